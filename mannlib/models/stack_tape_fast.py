"""The whole SANN and TANN recurrences (Wang et al. 2019 §2.1-2.2) as one autograd Function.

Why: a step of the reference loop (``MANN._run_memory`` with ``StackMemory.step`` or
``TapeMemory.step``) is 40-120 small tensor operations, each recorded by autograd and replayed
in the backward pass. At batch 32 on a CPU that bookkeeping, not arithmetic, is the cost.
torch.profiler on a training step of the reference loop (one thread; ATen calls per time step):

- SANN (mirror, T = 11; M10AE #LPO 14, T ~ 75): 11-12 mm, 35 mul, 12 add, 4-5 cat and 15
  SliceBackward0 nodes, each allocating and zero-filling a (B, N + K, d) gradient (18 zeros);
  the top ops by self time are mm, add and mul at about 13% each; 55-63% of a step is the
  backward pass. Each op takes 5-40 us on a 32 x 20 x 20 stack: dispatch, allocation and the
  autograd node, not arithmetic.
- TANN: ~97 mul, 32 sum, 67 slice, 10 cat per time step (two addressings of ~25 ops each on
  (B, N) tensors, erase/add on (B, N, M)); mul and its backward alone are ~30% of a step.
- the library LSTM is two mkldnn calls (forward, backward) for the whole sequence.

Here the forward loop runs without autograd into preallocated (T, ...) buffers and the backward
loop is written by hand from the same equations, both in C (``stack_tape_kernel.c``, loaded by
:mod:`native`); the products of a step call the BLAS that torch links (MKL in the x86 wheels)
when it is found, and the weight gradients are one matrix product over all T at the end. Token
inputs are projected by a lookup in (embedding W_x^T), not per token. perf on the fused M10AE
step: a third of it is MKL (the per-step products and the weight gradients), a quarter the C
loops, the rest the torch code around them (output layer, loss, optimiser). Without a C compiler
(or with ``MANNLIB_NATIVE=0``, or on a GPU) the model runs the reference loop instead. Measured
figures: ``python -m mannlib bench`` (column ``vs_lstm``).

The maths (controller: Wang eqs. 1-3; step t, h_0 = c_0 = 0):

    pre_t  = xg_t + [r_{t-1}; h_{t-1}] W_rec            xg_t = x_t W_x^T + b_ih + b_hh
    c_t    = f c_{t-1} + i tanh(g),  h_t = o tanh(c_t)  (gates sigmoid(pre) in order i, f, g, o)
    mo_t   = h_t W_m^T + b_m                             stack: push value; tape: head outputs
    stack  (sann.py; M_0 = 0, r_0 = 0)
           p_t = softmax(W_aM Conv1d(M_{t-1}) + xa_t)    xa_t = x_t W_ax^T + b_a        (eq. 6)
           M_t = sum_a p_t(a) a(M_{t-1}, mo_t),  r_t = M_t[0]                          (eqs. 4-5)
    tape   (tann.py; M_0, w_0 and r_0 from TapeMemory.initial_state)
           w^w_t = address(M_{t-1}, w^w_{t-1}, write head of mo_t)   (Graves §3.3)
           M_t = M_{t-1} (1 - w^w e^T) + w^w a^T                                        (eq. 8)
           w^r_t = address(M_t, w^r_{t-1}, read head of mo_t),  r_t = sum_i w^r_t[i] M_t[i]   (eq. 7)

Backward identities used (softmax y = softmax(z): dz = y (dy - <dy, y>)): the stack's dM_{t-1}
is eq. 5's band matrix transposed plus the conv's taps; d p(STAY_k) = sum_i <dM_t[i], M_{t-1}[i+k]>,
d p(PUSH_k) = <dM_t[0], v> + sum_{i>=1} <dM_t[i], M_{t-1}[i-1+k]>. For the tape's cosine
cos_i = <k, M_i> n_i^(-1/2), n_i = |M_i|^2 |k|^2 + eps^2: d<k, M_i> = dcos_i n_i^(-1/2) and
dn_i = -dcos_i cos_i / (2 n_i). ``tests/test_stack_tape_fast.py`` checks outputs and gradients
against the reference.
"""
from __future__ import annotations

import ctypes
from pathlib import Path
from types import SimpleNamespace

import torch
import torch.nn.functional as F

from . import native

NATIVE = True  # use the C kernel when it builds (False: always the reference loop)
BLAS = True    # let the kernel call torch's ?gemm_ (tests switch this off to check the C loops)

SOURCE = Path(__file__).with_name("stack_tape_kernel.c")


class Args(ctypes.Structure):
    """Mirror of ``Args`` in stack_tape_kernel.c (field for field)."""
    _fields_ = ([(n, ctypes.c_long) for n in ("T", "B", "H", "R", "N", "NA", "K", "NM", "tape", "hist")]
                + [(n, ctypes.c_void_p) for n in (
                    "gemm", "xg", "xa", "w_rec", "w_recT", "w_m", "w_mT", "b_m", "w_am", "wq", "d_out",
                    "RH", "ACT", "C", "TC", "MEM", "MO", "P", "FEAT", "WH", "PAR", "EA", "ADR",
                    "DG", "DM", "DL", "DY", "dMEM", "dWH", "dC", "DRH", "work")])


def kernel(t: torch.Tensor):
    """(forward, backward) C functions for tensors like ``t``, or None where the reference loop runs."""
    if not NATIVE or t.device.type != "cpu":
        return None
    return native.kernel(SOURCE, ("stack_tape_forward", "stack_tape_backward"), Args, t.dtype)


def project(x: torch.Tensor, embedding: torch.Tensor | None, weight: torch.Tensor, bias: torch.Tensor | None):
    """x_t W^T + b for every step, (T, B, out), from x (T, B, X), or from token ids x (T, B) and
    the embedding table (V, X): then a lookup in embedding W^T + b (V, out), not a product per token."""
    if embedding is None:
        return F.linear(x, weight, bias)
    return F.embedding(x, F.linear(embedding, weight, bias))


def stack_sequence(fns, xg, xa, w_rec, w_m, b_m, w_am, conv, *, max_pops: int, cells: int):
    """[r_t; h_t] for t = 1..T, shape (T, B, R + H), of the SANN (module docstring) with the C
    functions ``fns`` (from :func:`kernel`): xg (T, B, 4H),
    xa (T, B, 2K+2), w_rec (R + H, 4H), the push value f_s as w_m (d, H), b_m (d,), W_aM as
    w_am (2K+2, 2(N-1)) and the Conv1d weight conv (2, d, 2)."""
    wq = torch.cat([conv[:, :, 0], conv[:, :, 1]])                            # (4, d) taps
    tensors = (xg, w_rec, w_m, b_m, xa, w_am, wq, None, None, None)
    return _Sequence.apply(fns, False, (max_pops, cells, _history(tensors)), *tensors)


def tape_sequence(fns, xg, w_rec, w_m, b_m, r0, m0, w0, xm=None):
    """[r_t; h_t] for t = 1..T, shape (T, B, R + H), of the TANN (module docstring) with the C
    functions ``fns`` (from :func:`kernel`): xg (T, B, 4H),
    w_rec (R + H, 4H), the head layer's h_t part w_m (4M + 12, H), b_m, and the initial read r0
    (B, M), memory m0 (B, N, M) and weightings w0 (B, 2, N) (write head, read head). ``xm``
    (T, B, 4M + 12): x_t W_mx^T, the heads' input part when they read x_t too (``head_input``)."""
    tensors = (xg, w_rec, w_m, b_m, xm, None, None, r0, m0, w0)
    return _Sequence.apply(fns, True, (0, m0.shape[1], _history(tensors)), *tensors)


def _history(tensors) -> bool:
    """Whether a backward pass can follow, so that the forward pass must keep every step.
    (Decided out here: inside Function.forward, grad mode is off and needs_input_grad ignores it.)"""
    return torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors)


class Saved(SimpleNamespace):
    """The buffers of one sequence, by the names used in stack_tape_kernel.c."""


def _call(fn, s: Saved, sizes: dict, **tensors):
    args = Args(**sizes, gemm=native.blas_gemm(s.RH.dtype) if BLAS else None)
    for name, t in {**vars(s), **tensors}.items():
        setattr(args, name, native.ptr(t))
    fn(ctypes.byref(args))


class _Sequence(torch.autograd.Function):
    """Forward and backward of a whole SANN or TANN sequence in the C kernel."""

    @staticmethod
    def forward(ctx, fns, tape, shape, xg, w_rec, w_m, b_m, xa, w_am, wq, r0, m0, w0):
        T, B, H4 = xg.shape
        H, RW, NM = H4 // 4, w_rec.shape[0], w_m.shape[0]
        R, (K, N, hist) = RW - H, shape      # hist: keep every step (a backward pass follows)
        NA = 0 if tape else 2 * K + 2
        rows, rows1 = (T, T + 1) if hist else (1, 2)
        new = xg.new_empty   # the kernel writes every entry, but for the initial state set here
        s = Saved(RH=new(T + 1, B, RW), ACT=new(rows, B, H4), C=new(rows1, B, H), TC=new(rows, B, H),
                  MEM=new(rows1, B, N, R), MO=new(rows, B, NM))
        s.RH[0, :, R:], s.C[0] = 0, 0                                             # h_0 = c_0 = 0
        if tape:
            s.WH, s.PAR, s.EA, s.ADR = new(rows1, B, 2, N), new(rows, B, 2, 6), new(rows, B, 2 * R), new(rows, B, 2, 5, N)
            s.RH[0, :, :R], s.MEM[0], s.WH[0] = r0, m0, w0
        else:
            s.P, s.FEAT = new(rows, B, NA), new(rows, B, 2 * (N - 1))
            s.RH[0, :, :R], s.MEM[0] = 0, 0                                       # an empty stack
        sizes = dict(T=T, B=B, H=H, R=R, N=N, NA=NA, K=K, NM=NM, tape=int(tape), hist=int(hist))
        c = torch.Tensor.contiguous
        inputs = dict(xg=c(xg), w_rec=c(w_rec), w_recT=c(w_rec.t()), w_m=c(w_m), w_mT=c(w_m.t()), b_m=c(b_m))
        if not tape:
            inputs.update(xa=c(xa), w_am=c(w_am), wq=c(wq))
        elif xa is not None:                          # the tape's x_t W_mx^T (T, B, NM)
            inputs.update(xa=c(xa))
        _call(fns[0], s, sizes, **inputs)
        ctx.fns, ctx.s, ctx.sizes, ctx.inputs = fns, s, sizes, inputs
        return s.RH[1:]

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, d_out):
        s, z, i = ctx.s, ctx.sizes, ctx.inputs
        T, B, H, R, N, NA, NM = (z[k] for k in ("T", "B", "H", "R", "N", "NA", "NM"))
        new, zeros = d_out.new_empty, d_out.new_zeros   # outputs written in full; carries start at 0
        g = Saved(DG=new(T, B, 4 * H), DM=new(T, B, NM), dMEM=zeros(B, N, R), dC=zeros(B, H), DRH=new(B, R + H),
                  work=new(B * N * R + 16 * (N + R + NA + 8)))
        if z["tape"]:
            g.dWH = zeros(B, 2, N)
        else:
            g.DL, g.DY = new(T, B, NA), new(T, B, N, 4)
        _call(ctx.fns[1], s, z, d_out=d_out.contiguous(), **i, **vars(g))
        RH, DG, DM = s.RH, g.DG, g.DM
        flat = lambda t: t.reshape(-1, t.shape[-1])                             # noqa: E731
        d_w_rec = flat(RH[:T]).t() @ flat(DG)                                    # (R + H, 4H)
        d_w_m = flat(DM).t() @ flat(RH[1:, :, R:])                               # (NM, H)
        d_b_m = DM.sum((0, 1))
        if z["tape"]:
            d_r0 = (DG[0] @ i["w_recT"])[:, :R]
            d_xm = DM if "xa" in i else None                                      # d (x_t W_mx^T) = d mo
            return (None, None, None, DG, d_w_rec, d_w_m, d_b_m, d_xm, None, None, d_r0, g.dMEM, g.dWH)
        d_w_am = flat(g.DL).t() @ flat(s.FEAT)                                    # (2K+2, 2(N-1))
        d_wq = flat(g.DY).t() @ flat(s.MEM[:T])                                  # (4, d)
        return (None, None, None, DG, d_w_rec, d_w_m, d_b_m, g.DL, d_w_am, d_wq, None, None, None)
