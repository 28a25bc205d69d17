"""The LANTM kernels over a sweep of shapes and options, against the step-by-step reference.

``lantm_fast`` runs the whole recurrence as one autograd Function, either in torch loops or in
the C kernel of ``lantm_native``; ``LANTMMemory.step`` in Wang's controller loop is the
reference (``cfg.fast = False``). Here both kernels must give the reference's outputs and
parameter gradients for batch and length 1, a long sequence, token and vector inputs, InvNorm
(alpha = 2 and the general power) and SoftMax, and read keys that (nearly) coincide with a
written key; ``torch.autograd.gradcheck`` checks the hand-written backward passes against
finite differences in float64; and the C kernel must really run wherever a C compiler is.
"""
import os
import shutil
import warnings

import pytest
import torch

from mannlib.engine.config import profile_config
from mannlib.models import ModelIO, build_model
from mannlib.models import lantm_fast, lantm_native
from mannlib.models.lantm_fast import GATE, KEY, STEP

TOKENS = ModelIO(11, 11, True)
VECTORS = ModelIO(5, 3, False)
HAS_CC = bool(os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc"))
NATIVE_WANTED = HAS_CC and os.environ.get("MANNLIB_NATIVE", "1") != "0"
KERNELS = ["torch"] + (["c"] if NATIVE_WANTED else [])        # "c" fails below if it does not build
SHAPES = [(1, 1), (1, 5), (4, 1), (3, 9), (2, 48)]             # (B, T): B = 1, T = 1, a long T
WEIGHTINGS = {"invnorm": ("lantm-invnorm", {}), "invnorm-alpha3": ("lantm-invnorm", {"alpha": 3.0}),
              "softmax": ("lantm-softmax", {})}


@pytest.fixture(autouse=True)
def one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture
def kernel(request, monkeypatch):
    monkeypatch.setattr(lantm_fast, "NATIVE", request.param == "c")
    if request.param == "c":
        assert lantm_native.kernel(torch.float64) is not None, "the C kernel did not build (see lantm_native)"
    return request.param


def make(name, io, B, T, seed=0, **cfg):
    torch.manual_seed(seed)
    model = build_model(name, io, hidden=6, embed=4, width=3, **cfg).double()
    with torch.no_grad():    # spread the initial keys and steps so that no read is degenerate by accident
        model.memory.k0.normal_()
        model.memory.v0.normal_()
    g = torch.Generator().manual_seed(seed + 1)
    x = (torch.randint(0, io.input_size, (B, T), generator=g) if io.input_tokens
         else torch.randn(B, T, io.input_size, generator=g, dtype=torch.float64))
    return model, x


def outputs_and_grads(model, x):
    model.zero_grad()
    y = model(x)
    (y.sin() * torch.linspace(-1, 1, y.shape[-1], dtype=y.dtype)).sum().backward()
    return y.detach(), {name: p.grad.clone() for name, p in model.named_parameters()}


def assert_close(fast, ref, rtol, atol):
    (yf, gf), (yr, gr) = fast, ref
    torch.testing.assert_close(yf, yr, rtol=rtol, atol=atol)
    for name in gr:
        torch.testing.assert_close(gf[name], gr[name], rtol=rtol, atol=atol, msg=lambda m: f"{name}: {m}")


def fast_vs_reference(model, x, rtol=1e-9, atol=1e-10):
    assert model.fast_path(trace=False)
    fast = outputs_and_grads(model, x)
    model.cfg.fast = False
    ref = outputs_and_grads(model, x)
    model.cfg.fast = True
    assert_close(fast, ref, rtol, atol)
    return fast


@pytest.mark.parametrize("kernel", KERNELS, indirect=True)
@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("io", [TOKENS, VECTORS], ids=["tokens", "vectors"])
@pytest.mark.parametrize("B, T", SHAPES, ids=[f"B{b}-T{t}" for b, t in SHAPES])
def test_kernel_equals_the_step_by_step_reference(kernel, weighting, io, B, T):
    name, cfg = WEIGHTINGS[weighting]
    model, x = make(name, io, B, T, **cfg)
    y, grads = fast_vs_reference(model, x)
    assert y.shape == (B, T, io.output_size)
    assert all(g.abs().sum() > 0 for n, g in grads.items() if T > 1), "a parameter gets no gradient"


def coincident(name, io, offset, **cfg):
    """A model whose read head moves exactly like its write head (same initial key and step,
    the same instruction rows for both heads), so that every read key lies within ``offset``
    of the key just written (the key gates shrink the initial offset a little at every step): InvNorm's weights are dominated by (offset^2 + eps)^(-alpha/2)."""
    model, x = make(name, io, 3, 7, **cfg)
    e = model.memory.instructions
    with torch.no_grad():
        for block in (KEY, STEP):                          # columns: read x, read y, write x, write y
            e.weight[block.start:block.start + 2] = e.weight[block.start + 2:block.stop]
            e.bias[block.start:block.start + 2] = e.bias[block.start + 2:block.stop]
        for read, write in ((GATE.start, GATE.start + 1), (GATE.start + 2, GATE.start + 3)):
            e.weight[read], e.bias[read] = e.weight[write], e.bias[write]
        model.memory.k0[0] = model.memory.k0[1] + torch.tensor([offset, 0.0], dtype=torch.float64)
        model.memory.v0[0] = model.memory.v0[1]
    return model, x


@pytest.mark.parametrize("kernel", KERNELS, indirect=True)
@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("offset", [0.0, 1e-7, 1e-3])
def test_near_coincident_keys(kernel, weighting, offset):
    name, cfg = WEIGHTINGS[weighting]
    model, x = coincident(name, TOKENS, offset, **cfg)
    with torch.no_grad():
        _, trace = model(x, trace=True)
    gap = (trace["read_key"] - trace["write_key"]).norm(dim=-1)
    assert gap.max() <= offset + 1e-15 and gap.min() >= 0.5 * offset   # the construction holds (gates shrink it)
    y, grads = fast_vs_reference(model, x, rtol=1e-7, atol=1e-9)
    assert torch.isfinite(y).all() and all(torch.isfinite(g).all() for g in grads.values())


# --- gradcheck: the hand-written backward passes against finite differences ----------------------------
def sequence_inputs(B, T, tokens, softmax, seed=0):
    g = torch.Generator().manual_seed(seed)
    H, R, X, V = 3, 2, 2, 5
    n_instr = 13 + R + softmax
    rand = lambda *shape, scale=0.5: (scale * torch.randn(*shape, generator=g, dtype=torch.float64)).requires_grad_()
    x = torch.randint(0, V, (T, B), generator=g) if tokens else rand(T, B, X, scale=1.0)
    return dict(x=x, w_x=rand(4 * H, X), b=rand(4 * H), w_rec=rand(R + H, 4 * H), w_e=rand(n_instr, H, scale=0.8),
                b_e=rand(n_instr), r0=rand(B, R), k0=rand(B, 2, 2, scale=1.5), v0=rand(B, 2, 2, scale=1.0),
                embedding=rand(V, X, scale=1.0) if tokens else None)


@pytest.mark.parametrize("kernel", KERNELS, indirect=True)
@pytest.mark.parametrize("weighting, alpha, softmax", [("invnorm", 2.0, False), ("invnorm-alpha3", 3.0, False),
                                                       ("softmax", 2.0, True)])
@pytest.mark.parametrize("tokens", [False, True], ids=["vectors", "tokens"])
@pytest.mark.parametrize("B, T", [(1, 1), (2, 4)], ids=["B1-T1", "B2-T4"])
def test_gradcheck_in_float64(kernel, weighting, alpha, softmax, tokens, B, T):
    """Every input of ``lantm_sequence`` (weights, initial state, vector inputs or the embedding)
    by central differences. InvNorm's regulariser is 1e-3 here, not 1e-9, so that a step of
    1e-6 in a key stays far from the pole of (|k - a|^2 + eps)^(-alpha/2)."""
    inputs = sequence_inputs(B, T, tokens, softmax)
    names = [k for k, v in inputs.items() if isinstance(v, torch.Tensor) and v.requires_grad]

    def f(*tensors):
        kw = {**inputs, **dict(zip(names, tensors))}
        return lantm_fast.lantm_sequence(kw.pop("x"), *(kw.pop(k) for k in ("w_x", "b", "w_rec", "w_e", "b_e",
                                                                              "r0", "k0", "v0")),
                                         alpha=alpha, eps=1e-3, delta=1e-6, softmax=softmax, t_min=1e-4, **kw)
    assert torch.autograd.gradcheck(f, [inputs[k] for k in names], eps=1e-6, atol=1e-6, rtol=1e-5)


# --- the C kernel really runs ---------------------------------------------------------------------------
def test_the_c_kernel_runs_wherever_a_compiler_is(monkeypatch):
    """With a C compiler (and MANNLIB_NATIVE unset), the kernel builds without a warning, and a
    model's forward and backward passes and a training run go through it, never through the
    torch loops. Without one, the torch loops take over (what test_lantm_fast checks too)."""
    if not NATIVE_WANTED:
        assert lantm_native.kernel(torch.float32) is None
        model, x = make("lantm-invnorm", TOKENS, 2, 3)
        assert model(x).shape == (2, 3, 11)
        return
    monkeypatch.setattr(lantm_native, "_libs", {})                   # build (or load) afresh here
    with warnings.catch_warnings():
        warnings.simplefilter("error")                              # a failed build warns: fail instead
        kernels = {dtype: lantm_native.kernel(dtype) for dtype in (torch.float32, torch.float64)}
    assert all(k is not None for k in kernels.values()), "a C compiler is here, but the LANTM kernel did not build"
    calls = []

    def counting(fns):
        return tuple((lambda *a, fn=fn, i=i: (calls.append(i), fn(*a))[1]) for i, fn in enumerate(fns))
    monkeypatch.setattr(lantm_native, "_libs", {d: counting(k) for d, k in kernels.items()})

    def torch_loop(*args, **kwargs):
        raise AssertionError("the torch loop ran although the C kernel is available")
    monkeypatch.setattr(lantm_fast, "_forward_torch", torch_loop)
    monkeypatch.setattr(lantm_fast, "_backward_torch", torch_loop)
    assert lantm_fast.NATIVE
    for dtype in (torch.float64, torch.float32):
        model, x = make("lantm-softmax", TOKENS, 2, 5)
        outputs_and_grads(model.to(dtype), x)
    assert calls == [0, 1, 0, 1]                                     # forward, backward for each dtype
    from mannlib.engine.train import train
    config = profile_config("copy", "lantm-invnorm", "quick", steps=2, eval_every=2, eval_n=2, dev_n=2,
                            dev_difficulties=(4,), eval_difficulties=(4, 8),
                            **{"task_args.train_max": 4, "sizes.hidden": 6})
    train(config, progress="none")
    assert calls.count(1) == 4                                       # the two training steps' backward passes
