"""``python -m mannlib bench``: the plain loops compute the library models, and a smoke run."""
import json

import pytest
import torch

from mannlib.__main__ import main
from mannlib.engine.bench import naive_forward
from mannlib.models import ModelIO, build_model
from test_lantm_fast import one_thread  # noqa: F401  (autouse: one torch thread for tiny tensors)


@pytest.mark.parametrize("name, io, sizes", [
    ("srnn", ModelIO(9, 9, False), dict(hidden=6)),
    ("lstm", ModelIO(11, 11, True), dict(hidden=6, embed=4, layers=2)),
    ("sann", ModelIO(9, 9, False), dict(hidden=6, cells=4, width=3)),
    ("tann", ModelIO(9, 9, False), dict(hidden=6, cells=4, width=3)),
    ("lantm-softmax", ModelIO(11, 11, True), dict(hidden=6, embed=4, width=3)),
])
def test_plain_loops_compute_the_library_models(name, io, sizes):
    torch.manual_seed(0)
    model = build_model(name, io, **sizes)
    x = torch.randint(0, 11, (2, 7)) if io.input_tokens else torch.randint(0, 2, (2, 7, 9)).float()
    assert torch.allclose(naive_forward(model, x), model(x), atol=1e-5)


def test_quick_bench_prints_json(capsys):
    assert main(["bench", "--quick", "--only", "lantm-invnorm", "srnn", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"date", "torch", "threads", "cpu"} <= set(result["machine"])
    assert [row["model"] for row in result["rows"]] == ["srnn", "lantm-invnorm"]
    for row in result["rows"]:
        assert row["library_ms"] > 0 and row["naive_ms"] > 0 and row["speedup"] > 0


def test_unknown_bench_model_is_one_line_exit_2(capsys):
    assert main(["bench", "--only", "lantm"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unknown bench model 'lantm'; choose from srnn, lstm, sann")
    assert "\n" not in err
