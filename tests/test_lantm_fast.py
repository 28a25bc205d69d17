"""The fused LANTM sequence (lantm_fast: torch loops and the C kernel) against the step-by-step
reference (LANTMMemory.step in Wang's controller loop) and the plain loop of mannlib.engine.bench."""
import pytest
import torch

from mannlib.engine.bench import naive_lantm
from mannlib.models import ModelIO, build_model
from mannlib.models import lantm_fast, lantm_native

TOKENS = ModelIO(12, 12, True)
VECTORS = ModelIO(5, 3, False)
NATIVE_OK = lantm_native.kernel(torch.float64) is not None and lantm_native.kernel(torch.float32) is not None


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: intra-op threads only add synchronisation (100x slower on a busy machine)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def outputs_and_grads(model, x):
    model.zero_grad()
    y = model(x)
    (y.sin() * torch.linspace(-1, 1, y.shape[-1], dtype=y.dtype)).sum().backward()
    return y.detach(), {name: p.grad.clone() for name, p in model.named_parameters()}


def make(model_name, io=TOKENS, dtype=torch.float64, seed=0, **cfg):
    torch.manual_seed(seed)
    model = build_model(model_name, io, hidden=7, embed=5, width=4, **cfg).to(dtype)
    with torch.no_grad():   # spread the initial keys and steps so that reads are not degenerate
        model.memory.k0.normal_()
        model.memory.v0.normal_()
    torch.manual_seed(seed + 1)
    x = torch.randint(0, io.input_size, (3, 9)) if io.input_tokens else torch.randn(3, 9, io.input_size, dtype=dtype)
    return model, x


def assert_same(a, b, tol):
    ya, ga = a
    yb, gb = b
    assert torch.allclose(ya, yb, rtol=tol, atol=tol)
    for name in ga:
        assert torch.allclose(ga[name], gb[name], rtol=tol, atol=tol), name


CASES = [("lantm-invnorm", {}), ("lantm-invnorm", {"alpha": 3.0, "output": "hr"}),
         ("lantm-softmax", {}), ("lantm-softmax", {"output": "h"})]


@pytest.fixture
def torch_loops(monkeypatch):
    monkeypatch.setattr(lantm_fast, "NATIVE", False)


@pytest.mark.parametrize("name, cfg", CASES)
@pytest.mark.parametrize("io", [TOKENS, VECTORS], ids=["tokens", "vectors"])
def test_torch_loops_equal_the_step_by_step_reference(torch_loops, name, cfg, io):
    model, x = make(name, io, **cfg)
    assert model.fast_path(trace=False)
    fast = outputs_and_grads(model, x)
    model.cfg.fast = False
    assert_same(fast, outputs_and_grads(model, x), 1e-10)


@pytest.mark.skipif(not NATIVE_OK, reason="the LANTM C kernel did not build here (see lantm_native)")
@pytest.mark.parametrize("name, cfg", CASES)
@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-10), (torch.float32, 2e-4)])
def test_c_kernel_equals_the_step_by_step_reference(name, cfg, dtype, tol):
    model, x = make(name, dtype=dtype, **cfg)
    native = outputs_and_grads(model, x)
    model.cfg.fast = False
    assert_same(native, outputs_and_grads(model, x), tol)


def test_plain_loop_of_the_bench_equals_the_library():
    for name in ("lantm-invnorm", "lantm-softmax"):
        model, x = make(name)
        library = outputs_and_grads(model, x)
        plain = outputs_and_grads(type("Plain", (), {"__call__": lambda self, x: naive_lantm(model, x),
                                                     "zero_grad": model.zero_grad,
                                                     "named_parameters": model.named_parameters})(), x)
        assert_same(library, plain, 1e-10)


@pytest.mark.parametrize("native", [False, True] if NATIVE_OK else [False])
def test_gradients_reach_every_parameter(monkeypatch, native):
    monkeypatch.setattr(lantm_fast, "NATIVE", native)
    for name in ("lantm-invnorm", "lantm-softmax"):
        model, x = make(name, dtype=torch.float32)
        _, grads = outputs_and_grads(model, x)
        assert all(g.abs().sum() > 0 for g in grads.values()), [n for n, g in grads.items() if g.abs().sum() == 0]


def test_fast_path_only_where_it_applies():
    model, _ = make("lantm-invnorm")
    assert model.fast_path(trace=False) and not model.fast_path(trace=True)
    assert not make("lantm-invnorm", group="rotation")[0].fast_path(trace=False)
    assert not make("lantm-invnorm", step_norm=False)[0].fast_path(trace=False)


def test_kernel_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("MANNLIB_NATIVE", "0")
    assert lantm_native.kernel(torch.float32) is None


def test_a_failed_build_falls_back_with_a_warning(monkeypatch, tmp_path):
    monkeypatch.setattr(lantm_native, "_libs", {})
    monkeypatch.setenv("MANNLIB_KERNEL_CACHE", str(tmp_path))
    monkeypatch.setenv("CC", "false")            # a "compiler" that always fails
    with pytest.warns(RuntimeWarning, match="LANTM C kernel unavailable"):
        assert lantm_native.kernel(torch.float64) is None
    model, x = make("lantm-invnorm")
    assert model(x).shape == (3, 9, 12)         # the torch loops take over


@pytest.fixture
def forward_rows(monkeypatch):
    """(hist, rows of the per-step buffers) of every forward call of the C loop."""
    calls, native = [], lantm_fast._native

    def recording(fn, s, opts, hist=True, **tensors):
        if "xg" in tensors:                                          # the forward loop
            calls.append((hist, s.SIG.shape[0], s.U.shape[0]))
        return native(fn, s, opts, hist=hist, **tensors)
    monkeypatch.setattr(lantm_fast, "_native", recording)
    return calls


@pytest.mark.skipif(not NATIVE_OK, reason="the LANTM C kernel did not build here (see lantm_native)")
@pytest.mark.parametrize("name", ["lantm-invnorm", "lantm-softmax"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_evaluation_without_history_matches_training_forward(forward_rows, name, dtype):
    # under no_grad (parameters still requiring grad) the C loop keeps one row per per-step
    # buffer (two for C and KV); with gradients it keeps all T = 9, and the results agree
    model, x = make(name, dtype=dtype)
    with torch.no_grad():
        light = model(x)
    assert forward_rows == [(False, 1, 1)]
    y, grads = outputs_and_grads(model, x)
    assert forward_rows[1:] == [(True, 9, 9)]
    assert torch.equal(light, y)
    model.cfg.fast = False                                           # gradients: still the reference's
    assert_same((y, grads), outputs_and_grads(model, x), 1e-10 if dtype == torch.float64 else 2e-4)


@pytest.mark.skipif(not NATIVE_OK, reason="the LANTM C kernel did not build here (see lantm_native)")
def test_history_is_kept_exactly_when_a_backward_pass_can_follow(forward_rows):
    model, x = make("lantm-invnorm", io=VECTORS)
    model.requires_grad_(False)
    model(x)                                                         # grad mode on, nothing to differentiate
    model(x.requires_grad_())                                        # an input that requires grad
    with torch.no_grad():
        model(x)
    assert [hist for hist, _, _ in forward_rows] == [False, True, False]


def test_the_torch_loops_always_keep_history(torch_loops, monkeypatch):
    model, x = make("lantm-invnorm")
    seen, forward = [], lantm_fast._forward_torch
    monkeypatch.setattr(lantm_fast, "_forward_torch", lambda s, *a: (seen.append(s.SIG.shape[0]), forward(s, *a))[1])
    with torch.no_grad():
        light = model(x)
    assert seen == [9] and torch.equal(light, model(x).detach())
