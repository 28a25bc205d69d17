"""Stack memory: the multi-pop stack of Yogatama et al. 2018 as Wang et al.'s SANN (§2.1, eqs. 4-6).

The memory M (N cells of width d, cell 0 the top) is read as its top cell, r_t = M_t[0]
(eq. 4). There are 2K+2 actions, ordered here as

    a = [PUSH_0, ..., PUSH_K, STAY_0, ..., STAY_K]

PUSH_k pops k times and then pushes f_s(h_t) (a linear map); STAY_k only pops k times.
Popping moves every cell up and fills the bottom with zeros; pushing moves every cell down
and drops the bottom one. The new memory is the expectation over actions (eq. 5) with

    p(a | M_{t-1}, x_t) = softmax(W_aM flatten(Conv1d(M_{t-1})) + W_ax x_t + b_a)   (eq. 6)

Conv1d layout: the N cells are the length axis and the d cell features the input channels,
so Conv1d(d -> 2 channels, kernel 2) maps (B, d, N) to (B, 2, N-1), flattened channel-major
to 2(N-1) features (bias-free: its bias would duplicate b_a). Eq. 6 reads the memory before
this step's write (Wang: "computed using the current memory M_t and the system input x_t"),
i.e. the stack the actions act on. As in Wang (footnote 2) the policy sees M and x but not h.

Analysis quantities (Wang §3.2): P(PUSH) = sum_k p(PUSH_k) (eq. 10) and the expected number
of pops n_pop = sum_k k (p(PUSH_k) + p(STAY_k)) (eq. 11). Wang writes these sums to K-1;
with actions k = 0..K they run over every k = 0..K here.

``step`` is the reference. Without a trace, the model runs the whole sequence in
:mod:`mannlib.models.stack_tape_fast` (C, the same maths; ``SannConfig.fast``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from . import stack_tape_fast
from .base import Memory


@dataclass
class SannConfig:
    hidden: int = 100    # controller LSTM size (Wang §3.1)
    embed: int = 100     # token embedding size (token inputs only; Wang M10AE: 100)
    cells: int = 20      # N, stack depth (Wang mirror: 20; M10AE: 5, 10 or 20)
    width: int = 20      # d, cell width (Wang mirror: 20; M10AE: 100 = embedding size)
    max_pops: int = 3    # K: actions pop 0..K times. Wang Fig. 6b shows ~3 expected pops, so K >= 3
    fast: bool = True    # run the fused sequence of stack_tape_fast (C) where it can run

    minimum: ClassVar[dict] = {"cells": 2, "max_pops": 0}  # the size-2 conv needs two cells


def update_stack(stack: torch.Tensor, probs: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """The expected stack after one step (Wang eq. 5).

    stack (B, N, d), cell 0 the top; probs (B, 2K+2) = [PUSH_0..PUSH_K, STAY_0..STAY_K];
    value (B, d), the vector pushed. With pop_k(M)[i] = M[i+k] if i+k < N else 0:

        STAY_k: M' = pop_k(M)
        PUSH_k: M'[0] = value,  M'[i] = pop_k(M)[i-1] for i >= 1
        M_new = sum_k p(PUSH_k) PUSH_k(M) + p(STAY_k) STAY_k(M)

    i.e. M_new[0] = P(PUSH) value + sum_k p(STAY_k) pop_k(M)[0] and, for i >= 1,
    M_new[i] = sum_k p(PUSH_k) pop_k(M)[i-1] + p(STAY_k) pop_k(M)[i].
    Driven with one-hot probs this is exactly a discrete stack of fixed depth N.
    """
    B, N, d = stack.shape
    K = probs.shape[1] // 2 - 1
    p = probs[:, :, None, None].unbind(1)                        # 2K+2 tensors (B, 1, 1)
    p_push, p_stay = p[:K + 1], p[K + 1:]
    padded = F.pad(stack, (0, 0, 0, K))                          # (B, N+K, d), zeros below
    stay = p_stay[0] * stack                                     # (B, N, d)
    push = p_push[0] * stack[:, :N - 1]                          # (B, N-1, d): cells 1.. after a push
    for k in range(1, K + 1):
        popped = padded[:, k:k + N]                              # (B, N, d): pop_k(M)
        stay = stay + p_stay[k] * popped
        push = push + p_push[k] * popped[:, :N - 1]
    top = probs[:, :K + 1].sum(1, keepdim=True) * value          # (B, d): P(PUSH) value
    return stay + torch.cat([top.unsqueeze(1), push], 1)


class StackMemory(Memory):
    """SANN's stack behind the framework's Memory interface (Wang §2.1)."""

    def __init__(self, hidden: int, x_size: int, cells: int, width: int, max_pops: int, fast: bool = True):
        super().__init__()
        self.read_size, self.cells, self.width, self.max_pops, self.fast = width, cells, width, max_pops, fast
        n_actions = 2 * max_pops + 2
        self.push_value = nn.Linear(hidden, width)                         # f_s (§2.1)
        self.conv = nn.Conv1d(width, 2, kernel_size=2, bias=False)         # eq. 6, over the cells
        self.from_memory = nn.Linear(2 * (cells - 1), n_actions, bias=False)  # W_aM
        self.from_input = nn.Linear(x_size, n_actions)                     # W_ax, b_a
        self.register_buffer("pop_counts", torch.arange(max_pops + 1.0).repeat(2), persistent=False)

    def initial_state(self, batch_size: int, device=None):
        stack = self.push_value.weight.new_zeros(batch_size, self.cells, self.width)  # empty stack
        return stack[:, 0], (stack,)

    def action_probs(self, stack: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """p(a | M, x) of eq. 6: (B, N, d), (B, X) -> (B, 2K+2)."""
        # Conv1d(d -> 2, kernel 2) over the cells as one matmul: y[j] = W0 M[j] + W1 M[j+1]
        w = self.conv.weight                                             # (2 out, d in, 2 taps)
        y = stack @ torch.cat([w[:, :, 0], w[:, :, 1]]).t()              # (B, N, 4)
        conv = (y[:, :-1, :2] + y[:, 1:, 2:]).transpose(1, 2).flatten(1)  # (B, 2(N-1)) channel-major
        return torch.softmax(self.from_memory(conv) + self.from_input(x), dim=-1)

    def step(self, h, x, state, trace=False):
        (stack,) = state
        probs = self.action_probs(stack, x)                              # (B, 2K+2)
        stack = update_stack(stack, probs, self.push_value(h))           # eq. 5
        info = None
        if trace:
            info = {"actions": probs,
                    "p_push": probs[:, :self.max_pops + 1].sum(-1),      # eq. 10
                    "pops": probs @ self.pop_counts,                     # eq. 11
                    "memory": stack}
        return stack[:, 0], (stack,), info                              # r_t = M_t[0] (eq. 4)

    def fused(self):
        return self.fast and stack_tape_fast.kernel(self.push_value.weight) is not None

    def sequence(self, xg, project, w_rec):
        """The whole sequence in stack_tape_fast (same maths as ``step`` in the controller loop)."""
        return stack_tape_fast.stack_sequence(
            stack_tape_fast.kernel(xg), xg, project(self.from_input.weight, self.from_input.bias), w_rec,
            self.push_value.weight, self.push_value.bias, self.from_memory.weight, self.conv.weight,
            max_pops=self.max_pops, cells=self.cells)
