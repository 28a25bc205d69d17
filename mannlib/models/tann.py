"""Tape memory: the Neural Turing Machine of Graves et al. 2014 as Wang et al.'s TANN (§2.2).

Memory M (N rows of width M). One write head and one read head; each emits from h_t a key k,
a strength beta = softplus(.), an interpolation gate g = sigmoid(.), a shift weighting s over
{-1, 0, +1} (softmax) and a sharpening exponent gamma = 1 + softplus(.). Addressing
(Graves §3.3):

    w_c  = softmax(beta * cos(k, M[i]))                 content (cosine with an epsilon)
    w_g  = g w_c + (1 - g) w_{t-1}                      interpolation
    w~   = sum_j w_g[j] s[i - j]  (circular)            shift: s[+1] moves the focus i -> i+1
    w    = w~^gamma / sum_i w~^gamma                    sharpening

The write head also emits an erase vector e = sigmoid(.) and an add vector a = tanh(.):

    M_t = M_{t-1} * (1 - w^w e^T) + w^w a^T             (Wang eq. 8)
    r_t = sum_i w^r[i] M_t[i]                           (Wang eq. 7)

Order per step: address and write with M_{t-1}, then address and read with M_t, both from
h_t (and x_t with ``TannConfig.head_input``, as Wang §2 says: the paper profile sets it for mirror and M10AE).
Stabilisers: an epsilon in the cosine, a small constant initial memory (1e-6, Collier & Beel
2018 found it converges fastest) and learned initial weightings (softmax of learned logits, one per head, initialised
at random to break the circular symmetry of a constant memory).
Trace: w_read, w_write (B, N), their expected addresses sum_i w[i] i (Wang eq. 9), memory.

``step`` is the reference. Without a trace, the model runs the whole sequence in
:mod:`mannlib.models.stack_tape_fast` (C, the same maths; ``TannConfig.fast``).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from . import stack_tape_fast
from .base import Memory

# Small products are written as multiply-and-sum: on CPU, torch.bmm over many tiny matrices
# costs several times more (forward and backward) than the elementwise form.

EPS = 1e-8        # cosine similarity denominator
TINY = 1e-30      # floor under a weighting before its log in sharpening
MEM_INIT = 1e-6   # constant initial memory (Collier & Beel 2018)


@dataclass
class TannConfig:
    hidden: int = 100   # controller LSTM size (Wang §3.1)
    embed: int = 100    # token embedding size (token inputs only)
    cells: int = 20     # N memory rows (Wang mirror: 20)
    width: int = 20     # M, row width (Wang mirror: 20)
    fast: bool = True   # run the fused sequence of stack_tape_fast (C) where it can run
    head_input: bool = False  # the heads also read x_t (Wang §2: "h_t and the input x_t are then
                              # inputted to the write module and the read module"); False: h_t only,
                              # as the committed runs


def content_weights(memory: torch.Tensor, key: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """softmax_i(beta cos(key, memory[i])): (B, N, M), (B, M), (B, 1) -> (B, N).
    cos = k.M[i] / sqrt(|k|^2 |M[i]|^2 + EPS^2), finite for an all-zero row or key."""
    dot = (memory * key.unsqueeze(1)).sum(-1)                                    # (B, N)
    norms2 = (memory * memory).sum(-1) * (key * key).sum(-1, keepdim=True)       # (B, N)
    return torch.softmax(beta * dot * (norms2 + EPS * EPS).rsqrt(), dim=-1)


def shift(w: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """Circular convolution with s (B, 3) over shifts (-1, 0, +1): (B, N) -> (B, N)."""
    return s[:, :1] * w.roll(-1, -1) + s[:, 1:2] * w + s[:, 2:] * w.roll(1, -1)


def sharpen(w: torch.Tensor, gamma: torch.Tensor) -> torch.Tensor:
    """w^gamma / sum_i w^gamma, computed as softmax(gamma log w): (B, N), (B, 1) -> (B, N).
    (Same value, cheaper backward than pow with a tensor exponent; TINY keeps log finite.)"""
    return torch.softmax(gamma * w.clamp_min(TINY).log(), dim=-1)


def address(memory, prev, key, beta, g, s, gamma) -> torch.Tensor:
    """One head's weighting (Graves §3.3): content, interpolation, shift, sharpening."""
    w = g * content_weights(memory, key, beta) + (1 - g) * prev       # (B, N)
    return sharpen(shift(w, s), gamma)


def write(memory: torch.Tensor, w: torch.Tensor, erase: torch.Tensor, add: torch.Tensor) -> torch.Tensor:
    """Erase then add (Wang eq. 8): (B, N, M), (B, N), (B, M), (B, M) -> (B, N, M)."""
    w = w.unsqueeze(-1)                                                 # (B, N, 1)
    return memory * (1 - w * erase.unsqueeze(1)) + w * add.unsqueeze(1)


def read(memory: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Expected row (Wang eq. 7): (B, N, M), (B, N) -> (B, M)."""
    return (w.unsqueeze(-1) * memory).sum(1)


class TapeMemory(Memory):
    """TANN's tape behind the framework's Memory interface. Head 0 writes, head 1 reads."""

    def __init__(self, hidden: int, cells: int, width: int, fast: bool = True, x_size: int = 0):
        super().__init__()
        self.read_size, self.cells, self.width, self.fast = width, cells, width, fast
        self.x_size = x_size                 # > 0: the heads read [h_t; x_t] (TannConfig.head_input)
        # per head: key M, beta 1, g 1, shift 3, gamma 1; the write head also erase M, add M
        self._split = [2 * width, 2, 2, 6, 2, width, width]
        self.heads = nn.Linear(hidden + x_size, sum(self._split))
        # Learned initial weightings, initialised at random as in Collier & Beel's code (Glorot
        # uniform). Not zeros: with a constant memory and uniform weightings every row stays
        # identical, the model is circularly symmetric and these logits get exactly zero gradient.
        bound = (6 / (1 + cells)) ** 0.5
        self.init_logits = nn.Parameter(torch.empty(2, cells).uniform_(-bound, bound))
        self.register_buffer("positions", torch.arange(float(cells)), persistent=False)

    def initial_state(self, batch_size: int, device=None):
        memory = self.init_logits.new_full((batch_size, self.cells, self.width), MEM_INIT)
        w0 = torch.softmax(self.init_logits, -1)                         # (2, N)
        w_write, w_read = w0[0].expand(batch_size, -1), w0[1].expand(batch_size, -1)
        return read(memory, w_read), (memory, w_read, w_write)

    def step(self, h, x, state, trace=False):
        memory, w_read, w_write = state
        B = h.shape[0]
        key, beta, g, s, gamma, erase, add = self.heads(torch.cat([h, x], -1) if self.x_size else h).split(
            self._split, -1)
        key = key.view(B, 2, self.width)
        beta, g, gamma = F.softplus(beta), torch.sigmoid(g), 1 + F.softplus(gamma)  # (B, 2) each
        s = torch.softmax(s.view(B, 2, 3), -1)                           # (B, 2, 3)
        w_write = address(memory, w_write, key[:, 0], beta[:, :1], g[:, :1], s[:, 0], gamma[:, :1])
        memory = write(memory, w_write, torch.sigmoid(erase), torch.tanh(add))  # eq. 8
        w_read = address(memory, w_read, key[:, 1], beta[:, 1:], g[:, 1:], s[:, 1], gamma[:, 1:])
        r = read(memory, w_read)                                         # eq. 7
        info = None
        if trace:
            info = {"w_read": w_read, "w_write": w_write,
                    "addr_read": w_read @ self.positions, "addr_write": w_write @ self.positions,  # eq. 9
                    "memory": memory}
        return r, (memory, w_read, w_write), info

    def fused(self):
        return self.fast and stack_tape_fast.kernel(self.heads.weight) is not None

    def sequence(self, xg, project, w_rec):
        """The whole sequence in stack_tape_fast (same maths as ``step`` in the controller loop)."""
        r0, (memory, w_read, w_write) = self.initial_state(xg.shape[1])
        H = self.heads.in_features - self.x_size
        xm = project(self.heads.weight[:, H:], None) if self.x_size else None   # x_t W_mx^T, every step
        return stack_tape_fast.tape_sequence(stack_tape_fast.kernel(xg), xg, w_rec, self.heads.weight[:, :H],
                                             self.heads.bias, r0, memory, torch.stack([w_write, w_read], 1), xm)
