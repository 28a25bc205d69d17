"""``python -m mannlib sample`` / ``tasks``: the JSON-lines format and one-line errors (exit 2)."""
import json
import subprocess
import sys

import numpy as np
import pytest

from mannlib.__main__ import main
from mannlib.engine.paths import ROOT
from mannlib.tasks import get_task


def run_main(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as e:   # argparse errors
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def test_sample_prints_json_lines_equal_to_the_library(capsys):
    code, out, err = run_main(capsys, "sample", "reverse", "--n", "3", "--seed", "5", "--difficulty", "4")
    assert code == 0 and err == ""
    lines = [json.loads(line) for line in out.splitlines()]
    expected = get_task("reverse").sample(np.random.default_rng(5), 3, 4)
    assert lines == [{"input": e.input, "target": e.target, "difficulty": 4} for e in expected]
    assert lines[0]["input"][0] == "<s>" and lines[0]["target"][-1] == "<e>"


def test_sample_without_difficulty_is_deterministic_and_from_training_range(capsys):
    outs = [run_main(capsys, "sample", "m10ae", "--n", "20", "--seed", "1")[1] for _ in range(2)]
    assert outs[0] == outs[1]
    lines = [json.loads(line) for line in outs[0].splitlines()]
    assert len(lines) == 20 and all(0 <= x["difficulty"] <= 14 for x in lines)
    assert all(len(x["target"]) == 1 for x in lines)


def test_mirror_tokens_are_bit_strings(capsys):
    _, out, _ = run_main(capsys, "sample", "mirror", "--n", "1", "--seed", "0", "--difficulty", "2")
    line = json.loads(out)
    assert line["input"][2] == "<EOS>" and len(line["input"]) == 5 and len(line["input"][0]) == 9


def test_tasks_lists_every_task_with_ranges(capsys):
    code, out, _ = run_main(capsys, "tasks")
    assert code == 0
    rows = {line.split()[0]: line.split()[1:3] for line in out.splitlines()[1:]}
    assert rows == {"mirror": ["1-5", "6-10"], "m10ae": ["0-14", "15-20"], "copy": ["2-64", "65-128"],
                    "reverse": ["2-64", "65-128"], "bigramflip": ["2-32", "33-64"],
                    "double": ["2-40", "41-80"], "addition": ["2-16", "17-32"]}


@pytest.mark.parametrize("argv, says", [
    (["sample", "copy", "--n", "0"], "positive"),
    (["sample", "bigramflip", "--difficulty", "5"], "allowed: 2-256 (even only)"),
    (["sample", "mirror", "--difficulty", "0"], "allowed: 1-100"),
    (["sample", "copy", "--n", "two"], "invalid int"),
])
def test_bad_input_one_line_exit_2(capsys, argv, says):
    code, out, err = run_main(capsys, *argv)
    assert code == 2 and out == "" and says in err and len(err.strip().splitlines()) == 1


def test_unknown_task_from_a_real_process():
    p = subprocess.run([sys.executable, "-m", "mannlib", "sample", "nope"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.strip() == ("error: unknown task 'nope'; choose one of "
                                "mirror, m10ae, copy, reverse, bigramflip, double, addition")
