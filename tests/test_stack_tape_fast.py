"""The fused SANN and TANN sequences (stack_tape_fast: the C kernel, with torch's BLAS or its own
loops) against the step-by-step reference (StackMemory.step / TapeMemory.step in Wang's
controller loop), and the committed runs of data/runs evaluated both ways."""
import warnings

import numpy as np
import pytest
import torch

from mannlib.engine import cache
from mannlib.models import ModelIO, build_model, native, stack_tape_fast
from mannlib.models.controller import MANN
from mannlib.engine.paths import DATA

TOKENS = ModelIO(12, 12, True)
VECTORS = ModelIO(5, 3, False)
NATIVE_OK = all(stack_tape_fast.kernel(torch.zeros(0, dtype=d)) for d in (torch.float32, torch.float64))
needs_kernel = pytest.mark.skipif(not NATIVE_OK, reason="the stack/tape C kernel did not build here (see native.py)")


def outputs_and_grads(model, x):
    model.zero_grad()
    y = model(x)
    (y.sin() * torch.linspace(-1, 1, y.shape[-1], dtype=y.dtype)).sum().backward()
    return y.detach(), {name: p.grad.clone() for name, p in model.named_parameters()}


def make(name, io, shape=(3, 9), dtype=torch.float64, seed=0, **sizes):
    torch.manual_seed(seed)
    model = build_model(name, io, **{"hidden": 7, "embed": 5, "width": 4, **sizes}).to(dtype)
    torch.manual_seed(seed + 1)
    x = torch.randint(0, io.input_size, shape) if io.input_tokens else torch.randn(*shape, io.input_size, dtype=dtype)
    return model, x


def fused_and_reference(model, x):
    assert model.memory.fused()
    fused = outputs_and_grads(model, x)
    model.memory.fast = False
    assert not model.memory.fused()
    return fused, outputs_and_grads(model, x)


def assert_same(a, b, tol):
    (ya, ga), (yb, gb) = a, b
    torch.testing.assert_close(ya, yb, rtol=tol, atol=tol)
    assert ga.keys() == gb.keys()
    for name in ga:
        torch.testing.assert_close(ga[name], gb[name], rtol=tol, atol=tol, msg=name)


CASES = [("sann", {}), ("sann", {"cells": 2, "max_pops": 3}), ("sann", {"cells": 6, "max_pops": 0}),
         ("tann", {}), ("tann", {"cells": 1}), ("tann", {"cells": 2}), ("tann", {"cells": 7, "width": 3}),
         ("tann", {"head_input": True}), ("tann", {"cells": 2, "head_input": True})]   # heads that read x_t too
SHAPES = [(3, 9), (1, 1), (1, 6), (4, 1)]


@needs_kernel
@pytest.mark.parametrize("name, sizes", CASES, ids=[f"{n}-{s}" for n, s in CASES])
@pytest.mark.parametrize("io", [TOKENS, VECTORS], ids=["tokens", "vectors"])
@pytest.mark.parametrize("shape", SHAPES, ids=[f"B{b}T{t}" for b, t in SHAPES])
def test_fused_sequence_equals_the_step_by_step_reference(name, sizes, io, shape):
    model, x = make(name, io, shape, cells=sizes.pop("cells", 5), **sizes)
    assert_same(*fused_and_reference(model, x), 1e-10)


@needs_kernel
@pytest.mark.parametrize("name", ["sann", "tann"])
def test_the_kernels_own_loops_equal_the_reference_without_blas(monkeypatch, name):
    monkeypatch.setattr(stack_tape_fast, "BLAS", False)
    model, x = make(name, TOKENS, (5, 7), cells=4)
    assert_same(*fused_and_reference(model, x), 1e-10)
    if name == "tann":
        model, x = make(name, VECTORS, (5, 7), cells=4, head_input=True)
        assert_same(*fused_and_reference(model, x), 1e-10)


@needs_kernel
@pytest.mark.parametrize("name", ["sann", "tann"])
def test_float32_equals_the_reference(name):
    model, x = make(name, VECTORS, (6, 12), dtype=torch.float32, cells=5, hidden=16, width=8)
    assert_same(*fused_and_reference(model, x), 2e-4)


@needs_kernel
@pytest.mark.parametrize("name", ["sann", "tann"])
def test_without_gradients_the_fused_forward_keeps_two_rows_and_computes_the_same(name):
    model, x = make(name, TOKENS, (3, 11), cells=4)
    with torch.no_grad():
        light = model(x)
    torch.testing.assert_close(light, model(x).detach(), rtol=1e-12, atol=1e-12)


@needs_kernel
@pytest.mark.parametrize("name", ["sann", "tann"])
def test_gradients_reach_every_parameter(name):
    model, x = make(name, TOKENS, dtype=torch.float32, cells=4)
    _, grads = outputs_and_grads(model, x)
    assert [n for n, g in grads.items() if not g.abs().sum() > 0] == []


@needs_kernel
@pytest.mark.parametrize("name", ["sann", "tann"])
def test_the_fused_path_runs_by_default_and_not_for_traces(monkeypatch, name):
    model, x = make(name, TOKENS, cells=4)
    traced, _ = model(x, trace=True)                 # the trace needs the step-by-step loop
    monkeypatch.setattr(MANN, "_run_memory", lambda *a: pytest.fail("the reference loop ran"))
    torch.testing.assert_close(model(x), traced)


@pytest.mark.parametrize("name", ["sann", "tann"])
def test_the_fast_flag_changes_neither_parameters_nor_their_initialisation(name):
    fast, x = make(name, TOKENS, cells=4)
    slow, _ = make(name, TOKENS, cells=4, fast=False)
    assert not slow.memory.fused()
    a, b = fast.state_dict(), slow.state_dict()
    assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)


def test_off_the_cpu_or_switched_off_the_reference_loop_runs(monkeypatch):
    assert stack_tape_fast.kernel(torch.zeros(0, device="meta")) is None        # e.g. --device cuda
    assert stack_tape_fast.kernel(torch.zeros(0, dtype=torch.bfloat16)) is None
    monkeypatch.setenv("MANNLIB_NATIVE", "0")
    model, x = make("sann", TOKENS, cells=4)
    assert stack_tape_fast.kernel(x.float()) is None and not model.memory.fused()
    assert model(x).shape == (3, 9, 12)


def test_a_failed_build_falls_back_with_a_warning(monkeypatch, tmp_path):
    monkeypatch.setattr(native, "_libs", {})
    monkeypatch.setenv("MANNLIB_KERNEL_CACHE", str(tmp_path))
    monkeypatch.setenv("CC", "false")            # a "compiler" that always fails
    with pytest.warns(RuntimeWarning, match="stack_tape_kernel.c unavailable"):
        assert stack_tape_fast.kernel(torch.zeros(0, dtype=torch.float64)) is None
    model, x = make("tann", TOKENS, cells=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert not model.memory.fused() and model(x).shape == (3, 9, 12)


# --- the committed runs: weights, ids and outputs are unchanged by the fused path -------------------

# the first committed run of each kind that kept its weights (a run whose weights were dropped
# with `runs --drop-weights` loads with model None and has nothing to compare)
COMMITTED = [min((p for p in (DATA / "runs").glob(f"{task}-{model}-*") if (p / "weights.pt").exists()),
                 default=None)
             for task in ("mirror", "m10ae") for model in ("sann", "tann")]


@needs_kernel
@pytest.mark.parametrize("path", COMMITTED, ids=["mirror-sann", "mirror-tann", "m10ae-sann", "m10ae-tann"])
def test_a_committed_run_loads_and_evaluates_alike_both_ways(path):
    if path is None:
        pytest.skip("no such run committed under data/runs")
    run = cache._load(path)             # checks that config.json still hashes to the run id
    batch = run.task.batch(np.random.default_rng(0), 8, run.task.train_range[1])
    with torch.no_grad():
        fused = run.model(batch.x)
        run.model.memory.fast = False
        reference = run.model(batch.x)
    torch.testing.assert_close(fused, reference, rtol=1e-4, atol=1e-4)


@needs_kernel
def test_evaluation_keeps_no_history(monkeypatch):
    """Without gradients the buffers hold one step (two for the states), not T (eval at B=500)."""
    seen = []
    monkeypatch.setattr(stack_tape_fast, "_call", lambda fn, s, sizes, **t: seen.append((sizes["hist"], s.MEM.shape[0])))
    model, x = make("tann", TOKENS, (2, 10), cells=4)
    with torch.no_grad():
        model(x)
    model(x)
    assert seen == [(0, 2), (1, 11)]


def test_bench_times_m10ae_at_two_batch_sizes_against_the_lstm_of_the_same_task_and_batch():
    from mannlib.engine import bench
    assert {(t, d, b) for m, t, d, b in bench.BENCHES if m in ("lstm", "sann", "tann")} >= {
        ("mirror", 5, 32), ("m10ae", 14, 32), ("m10ae", 14, 128)}
    rows = bench.run(quick=True, only=["lstm", "sann"])["rows"]
    assert [(r["model"], r["task"], r["batch"]) for r in rows] == [
        ("lstm", "mirror", 4), ("sann", "mirror", 4), ("lstm", "m10ae", 4), ("sann", "m10ae", 4),
        ("lstm", "m10ae", 16), ("sann", "m10ae", 16)]
    for lstm, sann in zip(rows[::2], rows[1::2]):
        assert lstm["vs_lstm"] == 1.0
        assert sann["vs_lstm"] == pytest.approx(sann["library_ms"] / lstm["library_ms"], abs=0.01, rel=0.01)
    alone = bench.run(quick=True, only=["tann"])["rows"]        # the LSTM is timed even when not a row
    assert [r["model"] for r in alone] == ["tann"] * 3 and all(r["vs_lstm"] > 0 for r in alone)
