"""The command line: train, runs, eval, reproduce (formats are checked through them).

One test goes through ``python -m mannlib`` in a subprocess; the rest call ``main(argv)``,
the same code path (bad input: one line on stderr, exit code 2) without the interpreter start-up."""
import json
import os
import re
import subprocess
import sys

import pytest

from mannlib.engine import cache as C
from mannlib import chapters
from mannlib.engine import sweep as experiments
from mannlib.__main__ import main
from mannlib.engine.config import profile_config
from mannlib.engine.train import evaluate
from test_train import tiny

ID = re.compile(r"^[a-z0-9-]+-[0-9a-f]{12}$")
TINY = ["--profile", "quick", "--set", "steps=8", "--set", "eval_every=4", "--set", "eval_n=4",
        "--set", "dev_n=4", "--set", "sizes.hidden=8"]


@pytest.fixture(autouse=True)
def runs(tmp_path, monkeypatch):
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("MANNLIB_PROGRESS", "none")
    return tmp_path / "runs"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "mannlib", *args], capture_output=True, text=True,
                          env={**os.environ, "MANNLIB_THREADS": "1"})


def test_train_runs_eval_through_the_command_line(runs, capsys):
    p = cli("train", "mirror", "lstm", "--seed", "1", *TINY)
    assert p.returncode == 0, p.stderr
    run_id = p.stdout.strip().splitlines()[-1]
    assert ID.match(run_id) and run_id.startswith("mirror-lstm-") and (runs / run_id / "manifest.json").exists()

    assert main(["runs", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["id"], row["task"], row["model"], row["seed"], row["profile"], row["status"]) == (
        run_id, "mirror", "lstm", 1, "quick", "complete")
    assert 0 <= row["train_acc"] <= 1 and 0 <= row["test_acc"] <= 1

    assert main(["eval", run_id, "--n", "6", "--seed", "3", "--difficulty", "2", "7", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["run", "task", "model", "by_difficulty"]
    assert (out["run"], out["task"], out["model"]) == (run_id, "mirror", "lstm")
    run = C.load_run(run_id)
    expected = evaluate(run.model, run.task, 6, 3, [2, 7])["accuracy"]
    assert out["by_difficulty"] == {"2": expected[2], "7": expected[7]}


@pytest.mark.parametrize("argv, message", [
    (["train", "mirorr", "lstm"], "unknown task 'mirorr'; choose one of mirror, m10ae, copy, reverse, bigramflip"),
    (["train", "mirror", "sann2"], "unknown model 'sann2'; choose one of srnn, lstm, tann, sann"),
    (["train", "mirror", "lstm", "--set", "lr"], "malformed --set 'lr'; expected key=value"),
    (["train", "mirror", "lstm", "--set", "lrr=1"], "unknown config key 'lrr'; allowed: task, model"),
    (["train", "mirror", "lstm", "--set", "steps=many"], "steps must be int"),
    (["eval", "mirror-lstm-123456789abc", "--n", "5", "--seed", "0"], "unknown run id 'mirror-lstm-123456789abc'"),
    (["reproduce", "mirrors"], "unknown chapter 'mirrors'; choose one of mirror, mirror-design, m10ae, lantm, lantm-fits, every_memory, signatures"),
    (["train", "mirror", "lstm", "--device", "tpu"], "unknown device 'tpu'; choose one of cpu, cuda, cuda:N"),
    (["reproduce", "mirror", "--device", "gpu"], "unknown device 'gpu'; choose one of cpu, cuda, cuda:N"),
])
def test_bad_input_names_what_is_allowed(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: " + message) and err.count("\n") == 1


def test_eval_rejects_impossible_difficulties(capsys):
    run = C.train_or_load(tiny(steps=4))
    assert main(["eval", run.id, "--n", "2", "--seed", "0", "--difficulty", "0", "--json"]) == 2
    assert "cannot generate difficulty 0; allowed: 1-100" in capsys.readouterr().err


def test_eval_of_yang_tasks_gives_coarse_and_fine(capsys):
    run = C.train_or_load(tiny(steps=2).replace(task="double", eval_difficulties=[3], dev_difficulties=[3]))
    assert main(["eval", run.id, "--n", "4", "--seed", "0", "--difficulty", "2", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    expected = evaluate(run.model, run.task, 4, 0, [2, 5])
    assert out["by_difficulty"] == {str(d): {"coarse": expected.loc[d, "accuracy"], "fine": expected.loc[d, "fine"]}
                                    for d in (2, 5)}


def test_train_loads_a_cached_run_and_prints_its_id_last(capsys, monkeypatch):
    assert main(["train", "mirror", "lstm", *TINY]) == 0
    first = capsys.readouterr().out.splitlines()[-1]
    monkeypatch.setattr("mannlib.engine.train.train", lambda *a, **k: pytest.fail("trained again"))
    assert main(["train", "mirror", "lstm", *TINY]) == 0
    assert capsys.readouterr().out.splitlines() == [first]


def test_runs_table(capsys):
    run = C.train_or_load(tiny(steps=4))
    assert main(["runs"]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split() == ["id", "task", "model", "seed", "profile", "status", "train_acc", "test_acc", "wall_s"]
    assert row.split()[:6] == [run.id, "mirror", "lstm", "0", "quick", "complete"]
    assert row.split()[6:8] == [f"{run.summary['train_acc']:.4g}", f"{run.summary['test_acc']:.4g}"]


def test_reproduce_trains_a_chapter_two_at_a_time(runs, monkeypatch, capsys):
    configs = [tiny(steps=4, seed=s) for s in (0, 1)]
    monkeypatch.setattr(chapters, "run_targets", lambda: {"tiny": lambda: configs})
    assert main(["reproduce", "tiny", "--jobs", "2"]) == 0
    estimate, *lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"tiny: 2 runs to train \(0 cached\): about \d+ CPU-minutes, \d+ min on 2 core\(s\)", estimate)
    assert sorted(line.split()[1] for line in lines) == sorted(C.run_id(c) for c in configs)
    assert all(re.match(r"\[[12]/2\] \S+  \d+\.\d min  train_acc ", line) for line in lines)
    assert all((runs / C.run_id(c) / "manifest.json").exists() for c in configs)
    assert main(["reproduce", "tiny"]) == 0 and capsys.readouterr().out == ""     # all cached: nothing to say


def test_reproduce_passes_chapter_parameters_and_names_the_allowed_ones(runs, monkeypatch, capsys):
    asked = {}

    def tiny_runs(seeds=1, steps=4):
        asked.update(seeds=seeds, steps=steps)
        return [tiny(steps=steps, seed=s) for s in range(seeds)]
    monkeypatch.setattr(chapters, "run_targets", lambda: {"tiny": tiny_runs})
    assert main(["reproduce", "tiny", "--set", "seeds=2", "--set", "steps=3", "--dry-run"]) == 0
    assert asked == {"seeds": 2, "steps": 3} and "tiny: 2 runs, 2 to train" in capsys.readouterr().out
    assert main(["reproduce", "tiny", "--set", "seed=2"]) == 2
    assert "unknown parameter 'seed' for tiny; choose one of seeds, steps" in capsys.readouterr().err


def test_mirror_chapter_is_wang_settings_times_three_seeds():
    runs = chapters.target_runs("mirror")
    assert sorted((c.model, c.seed) for c in runs) == sorted(
        (m, s) for m in ("srnn", "lstm", "tann", "sann") for s in (0, 1, 2))
    assert all(c.profile == "paper" and c.task == "mirror" for c in runs)
    assert {c.sizes["hidden"] for c in runs} == {100}


def test_grid_and_tune_rank_configs_by_dev_accuracy():
    configs = experiments.grid(tiny(steps=4), lr=[0.01, 0.001], batch_size=[8, 16])
    assert [(c.lr, c.batch_size) for c in configs] == [(0.01, 8), (0.01, 16), (0.001, 8), (0.001, 16)]
    table = experiments.tune(configs, progress="none")
    assert list(table.columns) == ["batch_size", "lr", "dev_acc", "best_dev_acc", "run"]
    assert sorted(table["run"]) == sorted(C.run_id(c) for c in configs)
    assert table["dev_acc"].is_monotonic_decreasing
    for row in table.itertuples():
        assert row.dev_acc == C.load_run(row.run).curve["dev_acc"].iloc[-1]


def test_plan_prices_what_is_missing_and_skips_what_is_cached(runs):
    from mannlib.engine.cache import train_or_load
    configs = [profile_config("copy", "lantm-invnorm", "quick", seed) for seed in (0, 1)]
    p = experiments.plan(configs, reps=1)
    assert list(p["cached"]) == [False, False] and (p["s_per_update"] > 0).all()
    assert p["s_per_update"].nunique() == 1                       # measured once for both seeds
    assert p["cpu_h"].iloc[0] == pytest.approx(p["s_per_update"].iloc[0] * configs[0].steps / 3600)
    train_or_load(configs[0], progress="none")
    p = experiments.plan(configs, reps=1)
    assert list(p["cached"]) == [True, False] and p["cpu_h"].iloc[0] == 0.0
    whole = experiments.plan(configs, reps=1, price_cached=True)   # the set's price: the trained run costs too
    assert list(whole["cached"]) == [True, False] and whole["cpu_h"].iloc[0] == pytest.approx(whole["cpu_h"].iloc[1])
    assert whole["cpu_h"].iloc[0] > 0


def test_plan_with_evaluation_counts_every_dev_point_and_the_test(runs):
    c = tiny(steps=40, eval_every=10)
    p = experiments.plan([c, c.replace(lr=1e-4, eval_every=20), c.replace(schedule="decay", decay_after=20)],
                         reps=1, evaluation=True)   # a decay schedule is priced like any other
    assert p["s_per_update"].nunique() == 1                 # lr and eval_every leave an update's price alone
    assert p["dev_cpu_h"].iloc[0] == pytest.approx(2 * p["dev_cpu_h"].iloc[1])   # 4 dev points against 2
    train = p["s_per_update"] * 40 / 3600
    assert ((p["cpu_h"] > train + p["dev_cpu_h"]) & (p["dev_cpu_h"] > 0)).all()   # and the final test
    assert list(experiments.plan([c], reps=1).columns) == ["run", "seed", "steps", "cached", "s_per_update", "cpu_h"]


def test_train_staged_asks_for_more_runs_as_runs_finish(runs):
    a, b = tiny(steps=4), tiny(seed=1, steps=4)
    asked = []

    def next_runs(failed):               # b can only be named once a is trained (a stage decided)
        asked.append(failed)
        return [b] if (C.run_path(a) / C.MANIFEST).exists() else [a]
    lines = []
    assert experiments.train_staged(next_runs, jobs=2, out=lines.append) == {}
    assert lines == [f"done {C.run_id(a)}", f"done {C.run_id(b)}"] and len(asked) == 3
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        experiments.train_staged(next_runs, jobs=0)


def test_reproduce_dry_run_trains_nothing(runs, capsys, monkeypatch):
    monkeypatch.setattr(chapters, "run_targets",
                        lambda: {"tiny": lambda: [profile_config("double", "lantm-invnorm", "quick", 0)]})
    assert main(["reproduce", "tiny", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "tiny: 1 runs, 1 to train:" in out and "CPU-hours" in out
    assert not runs.exists() or not any(runs.iterdir())


def test_reproduce_protocol_dry_run_plans_and_trains_nothing(runs, capsys):
    assert main(["reproduce", "mirror", "--protocol", "strict", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "mirror strict:" in out and "CPU-h" in out
    assert not runs.exists() or not any(runs.iterdir())
    assert main(["reproduce", "lantm", "--protocol", "paper", "--dry-run"]) == 2


def test_reproduce_signatures_names_its_parameters(capsys):
    assert main(["reproduce", "signatures", "--set", "deltaa=3"]) == 2
    err = capsys.readouterr().err
    assert "unknown parameter 'deltaa' for signatures; choose one of trained, sizes" in err and "delta" in err
