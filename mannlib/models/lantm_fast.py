"""The whole LANTM recurrence (Yang §3, translation group) as one autograd Function.

Why: a LANTM step is ~40 tiny tensor operations on (B, 2)-sized tensors, and its memory grows
by one entry per step. In eager PyTorch with autograd every op records a graph node that the
backward pass replays; at batch 32 on a CPU this overhead, not arithmetic, is the whole cost
(the plain loop of ``mannlib.engine.bench`` takes ~270 ms per training step on copy at length 64).
Here the forward loop runs without autograd into preallocated (T, ...) buffers and the
backward loop is written by hand from the same equations; weight gradients are one matrix
product over all T at the end. The loops run in C (``lantm_kernel.c``, via ``lantm_native``)
when a C compiler is available, else as torch operations (``_forward_torch`` and
``_backward_torch``, ~50 ATen calls per step). Measured figures: ``python -m mannlib bench``.

The maths is that of :class:`mannlib.models.lantm.LANTMMemory` (whose ``step`` is the
reference; ``tests/test_lantm_fast.py`` checks outputs and gradients against it):

    pre_t  = x_t W_x + b + [r_{t-1}; h_{t-1}] W_rec       (LSTM, Yang §2)
    c_t    = f c_{t-1} + i tanh(g),  h_t = o tanh(c_t)
    e_t    = W_e h_t + b_e                                 (instructions; layout: lantm.py docstring)
    per head (0 = read, 1 = write), §3.3-3.4 with the translation group and Yang's step tweak:
    vn     = v~ / sqrt(|v~|^2 + delta)                     (steps normalised to ~1, §4 tweak 2)
    v_t    = v_{t-1} + eta (vn - v_{t-1})                  (§3.4)
    k_t    = k_{t-1} + g (k~ - k_{t-1}) + v_t              (§3.3: gate, then action)
    write  a_t = k_t[write], M_t = tanh(.), S_t = sigmoid(.)   (§3.2; appended)
    read   w_i ∝ S_i (|k_t[read] - a_i|^2 + eps)^(-alpha/2)     (InvNorm, §3.1)
       or  w_i ∝ S_i exp(-|k_t[read] - a_i|^2 / T_t)            (SoftMax, §3.1)
           r_t = sum_{i<=t} w_i M_i

Backward identities used (z = log-weights before normalisation, gz = w (dw - <dw, w>)):
d(strength logit)_i = gz_i (1 - S_i) for both schemes; d|k - a_i|^2 = -(alpha/2) gz_i /
(|k - a_i|^2 + eps) (InvNorm) or -gz_i / T (SoftMax); dT = sum_i gz_i |k - a_i|^2 / T^2.
"""
from __future__ import annotations

import ctypes
from types import SimpleNamespace

import torch
import torch.nn.functional as F

from . import lantm_native

NATIVE = True  # use the C loops of lantm_kernel.c when they build (tests switch this off)

# instruction layout (columns of e_t), documented in mannlib/models/lantm.py
KEY, STEP, GATE, STRENGTH, VECTOR = slice(0, 4), slice(4, 8), slice(8, 12), 12, 13


def lantm_sequence(x, w_x, b, w_rec, w_e, b_e, r0, k0, v0, *, alpha: float, eps: float, delta: float,
                   softmax: bool, t_min: float, embedding=None):
    """[r_t; h_t] for t = 1..T, shape (T, B, R + H), from the controller input x (T, B, X), the
    LSTM weights w_x (4H, X), b (4H,) and w_rec (R + H, 4H) acting on [r_{t-1}; h_{t-1}], the
    instruction layer w_e (I, H), b_e (I,), and the initial r0 (B, R), k0, v0 (B, 2, 2) (head 0
    read, head 1 write); h_0 = c_0 = 0. With ``embedding`` (V, X), x holds token ids (T, B) and
    the input projection is looked up from embedding @ w_x^T (V x 4H), not computed per token.

    tanh(g) is computed as 2 sigmoid(2g) - 1 (tanh costs 3 sigmoids on CPU), so the g-rows of
    the LSTM weights are doubled here, under autograd, and one sigmoid serves all four gates."""
    H = w_rec.shape[1] // 4
    double = torch.ones(4 * H, dtype=w_rec.dtype, device=w_rec.device)
    double[2 * H:3 * H] = 2
    w_x, b = w_x * double.unsqueeze(1), b * double
    if embedding is None:
        xg = F.linear(x, w_x, b)                                             # (T, B, 4H), g doubled
    else:
        xg = F.embedding(x, F.linear(embedding, w_x, b))                     # (T, B, 4H), g doubled
    tensors = (xg, w_rec * double, w_e, b_e, r0, k0, v0)
    return _LantmSequence.apply(*tensors, (alpha, eps, delta, softmax, t_min), _history(tensors))


def _history(tensors) -> bool:
    """Whether a backward pass can follow, so that the forward pass must keep every step.
    Decided here, not in Function.forward: there grad mode is always off and needs_input_grad
    ignores torch.no_grad(), so evaluation would keep the history too (as in stack_tape_fast)."""
    return torch.is_grad_enabled() and any(t.requires_grad for t in tensors)


def _steps(buffer: torch.Tensor, dim: int = 0) -> tuple:
    """Per-step views of a buffer, made in one call: inside the loop, indexing a tensor costs
    as much as arithmetic on it, so every view the loop needs is prepared here."""
    return buffer.unbind(dim)


class _LantmSequence(torch.autograd.Function):
    """Forward and backward of the whole sequence; see the module docstring. The loops run in
    C (:mod:`lantm_native`) when it is available, else with the torch operations below; the
    backward pass uses the implementation that ran the forward pass."""

    @staticmethod
    def forward(ctx, xg, w_rec, w_e, b_e, r0, k0, v0, opts, hist):
        # xg and w_rec carry doubled g-rows (see lantm_sequence): the g-quarter of SIG is
        # sigmoid(2g) and tanh(g) = 2 sigmoid(2g) - 1.
        T, B, H4 = xg.shape
        H, R = H4 // 4, r0.shape[1]
        new = xg.new_zeros
        fns = lantm_native.kernel(xg.dtype) if NATIVE and xg.device.type == "cpu" else None
        # Without history (evaluation: see _history), the C loop reuses one row of each per-step
        # buffer (two for C and KV): memory O(B T) instead of O(B T^2), for long extrapolation
        # tests. The torch loops always keep every step.
        hist = hist or not fns
        rows, rows1 = (T, T + 1) if hist else (1, 2)
        s = Saved(
            RH=new(T + 1, B, R + H),         # [r_t; h_t], t = 0..T
            SIG=new(rows, B, 4 * H),         # sigmoid(pre): i, f, sigmoid(2g), o
            GT=new(rows, B, H),              # tanh(g)
            C=new(rows1, B, H),              # cell states
            TC=new(rows, B, H),              # tanh(c_t)
            E=new(rows, B, w_e.shape[0]),    # instructions; the steps are normalised in place
            G=new(rows, B, 5),               # sigmoid of the 4 gates and of the strength
            KV=new(rows1, B, 2, 2, 2),       # [key, step] x [read, write] x (x, y)
            NRM=new(rows, B, 2, 1),          # sqrt(|v~|^2 + delta)
            A=new(B, 2, T),                  # write keys a_i as (x, y) planes
            MV1=xg.new_ones(B, T, R + 1),    # memory vectors M_i, then a column of ones
            U=new(rows, B, T),               # read weights w_t (zero beyond slot t)
            D2=new(rows, B, T),              # |k_t - a_i|^2 (+ eps for InvNorm)
            TEMP=new(rows, B, 1))            # SoftMax temperatures
        s.MV1[:, :, :R] = 0
        s.RH[0, :, :R] = r0
        s.KV[0, :, 0], s.KV[0, :, 1] = k0, v0
        if fns:   # the C loop also keeps strengths, log-strengths and M^T contiguous per example
            s.S, s.LOGS, s.MT = new(B, T), new(B, T), new(B, R, T)
            _native(fns[0], s, opts, hist=hist, xg=xg.contiguous(), w_rec=w_rec.contiguous(),
                    w_eT=w_e.t().contiguous(), b_e=b_e.contiguous())
        else:
            _forward_torch(s, xg, w_rec, w_e, b_e, opts)
        ctx.opts, ctx.saved, ctx.fns = opts, s, fns
        ctx.save_for_backward(w_rec, w_e)
        return s.RH[1:]

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, d_out):
        s, (w_rec, w_e) = ctx.saved, ctx.saved_tensors
        T, B, _ = d_out.shape
        R, H = s.MV1.shape[2] - 1, s.C.shape[2]
        new = d_out.new_zeros
        g = Saved(DG=new(T + 1, B, 4 * H),   # d pre-activations (DG[T] = 0)
                  DE=new(T, B, w_e.shape[0]),  # d instruction logits
                  dKV=new(B, 2, 2, 2))       # d[key, step], finally of the initial ones
        if ctx.fns:   # the same implementation as the forward pass
            _native(ctx.fns[1], s, ctx.opts, d_out=d_out.contiguous(), w_recT=w_rec.t().contiguous(),
                    w_e=w_e.contiguous(), DG=g.DG, DE=g.DE, dKV=g.dKV, dMV=new(B, R, T), dA=new(B, 2, T),
                    dSL=new(B, T), dC=new(B, H), work=new(B, 2 * (R + H + T)))
        else:
            _backward_torch(s, g, d_out, w_rec, w_e, ctx.opts)
        DG, DE, dKV, RH = g.DG, g.DE, g.dKV, s.RH
        d_rh0 = DG[0] @ w_rec.t()                                            # (B, R + H)
        d_w_rec = RH[:T].reshape(T * B, -1).t() @ DG[:T].reshape(T * B, 4 * H)
        d_w_e = DE.reshape(T * B, -1).t() @ RH[1:, :, R:].reshape(T * B, H)
        return DG[:T], d_w_rec, d_w_e, DE.sum((0, 1)), d_rh0[:, :R], dKV[:, 0].clone(), dKV[:, 1].clone(), None, None


class Saved(SimpleNamespace):
    """The buffers of one sequence, by the names used in the loops and in lantm_kernel.c."""


def _native(fn, s: Saved, opts, hist: bool = True, **tensors):
    """Run a C loop of lantm_kernel.c over the buffers ``s`` and ``tensors``."""
    alpha, eps, delta, softmax, t_min = opts
    B, _, T = s.A.shape
    args = lantm_native.Args(T=T, B=B, H=s.C.shape[2], R=s.MV1.shape[2] - 1, NI=s.E.shape[2], softmax=int(softmax),
                             hist=int(hist), alpha=alpha, eps=eps, delta=delta, t_min=t_min)
    for name, t in {**vars(s), **tensors}.items():
        setattr(args, name, lantm_native.ptr(t))
    fn(ctypes.byref(args))


def _forward_torch(s: Saved, xg, w_rec, w_e, b_e, opts):
    """The forward loop with torch operations (the reference for lantm_kernel.c)."""
    alpha, eps, delta, softmax, t_min = opts
    T, B, H4 = xg.shape
    H, R = H4 // 4, s.MV1.shape[2] - 1
    RH, SIG, GT, C, TC, E, G, KV, NRM, A, MV1, U, D2, TEMP = (
        s.RH, s.SIG, s.GT, s.C, s.TC, s.E, s.G, s.KV, s.NRM, s.A, s.MV1, s.U, s.D2, s.TEMP)
    new = xg.new_zeros
    PRE = new(T, B, 4 * H)             # LSTM pre-activations (g doubled)
    DIFF = new(B, 2, T)                # a_i - k_read of the current step
    RU = new(T, B, 1, R + 1)           # [sum_i u_i M_i, sum_i u_i]
    LOGS = xg.new_full((B, T), float("-inf"))  # log strengths (SoftMax; -inf: not written)
    S = G[:, :, 4].t()                                                       # (B, T) strengths
    w_e_t = w_e.t()
    sqrt_delta = torch.tensor(delta, dtype=xg.dtype).sqrt()
    eps_t = torch.tensor(0.0 if softmax else eps, dtype=xg.dtype)
    minus_one = torch.tensor(-1.0, dtype=xg.dtype)
    XG, RH_, PRE_, SIG_, GT_, C_, TC_, E_, G_, KV_, NRM_, U_, RU_, D2_, TEMP_, LOGS_ = (
        _steps(b) for b in (xg, RH, PRE, SIG, GT, C, TC, E, G, KV, NRM, U, RU, D2, TEMP, LOGS.t()))
    R_, H_ = _steps(RH[:, :, :R]), _steps(RH[:, :, R:])
    SIGi, SIGf, SIGg, SIGo = (_steps(SIG[:, :, j * H:(j + 1) * H]) for j in range(4))
    E8, EV, EVx, EVy = (_steps(E[:, :, :8].view(T, B, 2, 2, 2)), _steps(E[:, :, STEP].view(T, B, 2, 2)),
                        _steps(E[:, :, STEP].view(T, B, 2, 2)[..., 0]),
                        _steps(E[:, :, STEP].view(T, B, 2, 2)[..., 1]))
    EG, EM, ES, ET = (_steps(E[:, :, GATE.start:STRENGTH + 1]), _steps(E[:, :, VECTOR:VECTOR + R]),
                      _steps(E[:, :, STRENGTH]), _steps(E[:, :, VECTOR + R:VECTOR + R + 1]))
    G4 = _steps(G[:, :, :4].view(T, B, 2, 2, 1))                         # [key, step] gates
    K_, V_, KW, KR = (_steps(KV[:, :, 0]), _steps(KV[:, :, 1]), _steps(KV[:, :, 0, 1]),
                      _steps(KV[:, :, 0, 0].unsqueeze(-1)))
    A_, DX, DY = _steps(A, 2), DIFF[:, 0], DIFF[:, 1]
    NRM2, MV_, U3 = _steps(NRM[..., 0]), _steps(MV1[:, :, :R], 1), _steps(U.unsqueeze(2))
    RUn, RUd = _steps(RU[:, :, 0, :R]), _steps(RU[:, :, 0, R:])
    for t in range(T):
        # controller (Yang §2)
        torch.addmm(XG[t], RH_[t], w_rec, out=PRE_[t])                   # (B, 4H)
        torch.sigmoid(PRE_[t], out=SIG_[t])
        torch.add(minus_one, SIGg[t], alpha=2, out=GT_[t])              # tanh(g)
        torch.addcmul(SIGf[t] * C_[t], SIGi[t], GT_[t], out=C_[t + 1])
        torch.mul(SIGo[t], torch.tanh(C_[t + 1], out=TC_[t]), out=H_[t + 1])
        torch.addmm(b_e, H_[t + 1], w_e_t, out=E_[t])                    # (B, I)
        # heads (§3.3-3.4), both at once: [key, step] x [read, write] x (x, y)
        torch.sigmoid(EG[t], out=G_[t])                                  # (B, 5)
        torch.hypot(torch.hypot(EVx[t], EVy[t]), sqrt_delta, out=NRM2[t])
        torch.div(EV[t], NRM_[t], out=EV[t])                             # v~ -> vn
        torch.lerp(KV_[t], E8[t], G4[t], out=KV_[t + 1])                 # [k_bar, v]
        K_[t + 1].add_(V_[t + 1])                                        # k = k_bar + v
        # write (§3.2): M_t, a_t; S_t is in G already
        torch.tanh(EM[t], out=MV_[t])
        A_[t].copy_(KW[t + 1])
        # read (§3.1), over all T slots (slots not yet written have S = 0)
        torch.sub(A, KR[t + 1], out=DIFF)                                # (B, 2, T)
        torch.addcmul(torch.addcmul(eps_t, DX, DX), DY, DY, out=D2_[t])  # |a_i - k|^2 (+ eps)
        if softmax:
            LOGS_[t].copy_(F.logsigmoid(ES[t]))
            torch.add(F.softplus(ET[t]), t_min, out=TEMP_[t])
            U_[t].copy_(torch.softmax(torch.addcdiv(LOGS, D2_[t], TEMP_[t], value=-1), -1))
        elif alpha == 2:
            torch.div(S, D2_[t], out=U_[t])
        else:
            torch.mul(D2_[t].pow(-alpha / 2), S, out=U_[t])
        torch.bmm(U3[t], MV1, out=RU_[t])                                # (B, 1, R + 1)
        torch.div(RUn[t], RUd[t], out=R_[t + 1])
        if not softmax:
            U_[t].div_(RUd[t])                                           # now the weights w_t


def _backward_torch(s: Saved, g: Saved, d_out, w_rec, w_e, opts):
    """The backward loop with torch operations (the reference for lantm_kernel.c): fills g.DG,
    g.DE and g.dKV."""
    alpha, eps, delta, softmax, t_min = opts
    RH, SIG, GT, C, TC, E, G, KV, A, NRM, MV1, U, D2, TEMP = (
        s.RH, s.SIG, s.GT, s.C, s.TC, s.E, s.G, s.KV, s.A, s.NRM, s.MV1, s.U, s.D2, s.TEMP)
    DG, DE, dKV = g.DG, g.DE, g.dKV
    T, B, _ = d_out.shape
    R, H = MV1.shape[2] - 1, C.shape[2]
    new = d_out.new_zeros
    DRH = new(T, B, R + H)             # d[r_t; h_t]
    DRb = new(B, T, R)                 # d r_t, batch-major for the d M products
    DMV = new(T, B, R)                 # d memory vector M_t
    DW = new(T, B, T)                  # d read weights
    DOT = new(B, 1)                    # <dw, w> = <dr, r>
    GZ = new(B, T)                     # d log-weights of the step being visited
    DIFF = new(B, 2, T)                # a_i - k_read of that step
    SC = new(B, T)                     # GZ over (d2 + eps) (InvNorm) or over T_t (SoftMax)
    DK = new(B, 2, 1)                  # its read-key gradient
    VQ = new(B, 2, 1)                  # <vn, d vn>
    dA = new(B, 2, T)                  # d write keys (x, y planes), from the reads
    DCT, DC = new(B, H), new(B, H)     # d c_t, and d c_{t-1} through the forget gate
    # Everything that does not depend on the carried gradients, batched over all T.
    M = MV1[:, :, :R]
    one_minus_s = 1 - G[:, :, 4].t()                                     # (B, T)
    WT = U.permute(2, 1, 0).contiguous().unsqueeze(2)                    # (T_i, B, 1, T_t)
    MT = M.transpose(1, 2).contiguous()                                  # (B, R, T)
    m_deriv = 1 - M.transpose(0, 1) * M.transpose(0, 1)                  # (T, B, R)
    scale = -2.0 if softmax else -alpha       # d log-weight / d|k - a|^2 = scale / 2 / (T or d2 + eps)
    if softmax:
        D2T = D2 * torch.sigmoid(E[:, :, VECTOR + R:VECTOR + R + 1]) / TEMP.square()  # d T chain
    gates = G[:, :, :4].view(T, B, 2, 2, 1)                              # [key, step] x head
    gate_arg = (E[:, :, :8].view(T, B, 2, 2, 2) - KV[:-1]) * (gates * (1 - gates))  # (k~ - k, vn - v) sigma'
    GKV = gates.clone()
    GKV[:, :, 1] /= NRM                                                  # (g, eta / |v~|)
    keep = 1 - gates
    i, f, o = SIG[:, :, :H], SIG[:, :, H:2 * H], SIG[:, :, 3 * H:]
    o_deriv = torch.addcmul(o, o * TC, TC, value=-1)                     # dh/dc = o (1 - tanh(c)^2)
    SD = torch.addcmul(SIG, SIG, SIG, value=-1).view(T, B, 4, H)         # sigmoid' of each quarter
    P = torch.stack([GT, C[:-1], 2 * i], 2).mul_(SD[:, :, :3])           # dc/dpre for i, f, 2g
    TCO = TC * SD[:, :, 3]                                               # dh/dpre_o
    w_rec_t = w_rec.t()
    DOUT, DRH_, DG_, DE_, DMV_, DW_, U_, WT_, D2_, TEMP_, RH_, OD, F_, TCO_, GKV_, GA, KEEP, MD = (
        _steps(b) for b in (d_out, DRH, DG, DE, DMV, DW, U, WT, D2, TEMP, RH, o_deriv, f, TCO, GKV,
                            gate_arg, keep, m_deriv))
    DR, DH, DR1, DRb_ = (_steps(DRH[:, :, :R]), _steps(DRH[:, :, R:]), _steps(DRH[:, :, :R].unsqueeze(2)),
                         _steps(DRb, 1))
    R_, KR, DW3 = _steps(RH[:, :, :R]), _steps(KV[:, :, 0, 0].unsqueeze(-1)), _steps(DW.unsqueeze(2))
    DG3, DGo, P3 = (_steps(DG[:, :, :3 * H].view(T + 1, B, 3, H)), _steps(DG[:, :, 3 * H:]), _steps(P))
    DMV3, VN = _steps(DMV.unsqueeze(2)), _steps(E[:, :, STEP].view(T, B, 2, 2))
    DEkv, DEv, DEg, DEm = (_steps(DE[:, :, :8].view(T, B, 2, 2, 2)), _steps(DE[:, :, STEP].view(T, B, 2, 2)),
                           _steps(DE[:, :, GATE].view(T, B, 2, 2)), _steps(DE[:, :, VECTOR:VECTOR + R]))
    dSL = DE[:, :, STRENGTH].t()                                         # (B, T) d strength logits
    DEt = _steps(DE[:, :, VECTOR + R]) if softmax else None
    D2T_ = _steps(D2T) if softmax else None
    dA_ = _steps(dA, 2)
    SC1, SC2, DK2, DOT0 = SC.unsqueeze(1), SC.unsqueeze(2), DK.view(B, 2), DOT.view(B)
    dK, dV, dK_read, dK_write = dKV[:, 0], dKV[:, 1], dKV[:, 0, 0], dKV[:, 0, 1]
    DCT3 = DCT.unsqueeze(1)
    for t in range(T - 1, -1, -1):
        torch.addmm(DOUT[t], DG_[t + 1], w_rec_t, out=DRH_[t])          # d[r_t; h_t]
        DRb_[t].copy_(DR[t])
        # read (§3.1)
        torch.bmm(WT_[t], DRb, out=DMV3[t])                              # d M_t: its reads are all done
        torch.bmm(DR1[t], MT, out=DW3[t])                                # d w (B, T)
        torch.linalg.vecdot(R_[t + 1], DR[t], out=DOT0)
        torch.sub(DW_[t], DOT, out=GZ).mul_(U_[t])                       # d log-weights
        dSL.addcmul_(GZ, one_minus_s)
        torch.sub(A, KR[t + 1], out=DIFF)                                # (B, 2, T)
        torch.div(GZ, TEMP_[t] if softmax else D2_[t], out=SC)
        dA.addcmul_(DIFF, SC1, value=scale)
        torch.bmm(DIFF, SC2, out=DK)
        dK_read.add_(DK2, alpha=-scale)
        if softmax:
            torch.linalg.vecdot(GZ, D2T_[t], out=DEt[t])
        # write (§3.2): every read of slot t has been visited
        dK_write.add_(dA_[t])
        torch.mul(DMV_[t], MD[t], out=DEm[t])
        # heads (§3.3-3.4): [k_bar, v] = lerp([k, v]_prev, [k~, vn], [g, eta]), k = k_bar + v
        dV.add_(dK)
        torch.mul(GKV_[t], dKV, out=DEkv[t])                             # d k~, (eta/|v~|) dv
        torch.linalg.vecdot(VN[t], DEv[t], out=VQ[..., 0])
        DEv[t].addcmul_(VN[t], VQ, value=-1)                             # d v~
        torch.linalg.vecdot(GA[t], dKV, out=DEg[t])                      # d gate logits
        dKV.mul_(KEEP[t])
        dh = torch.addmm(DH[t], DE_[t], w_e)
        # LSTM (Yang §2)
        torch.addcmul(DC, dh, OD[t], out=DCT)
        torch.mul(DCT3, P3[t], out=DG3[t])
        torch.mul(dh, TCO_[t], out=DGo[t])
        torch.mul(DCT, F_[t], out=DC)
