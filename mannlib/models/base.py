"""The interface a memory module implements, and what every model returns.

Wang et al. 2019 §2 (Fig. 1): a memory module is written and read from the controller
output h_t (and the input x_t); the controller (mannlib.models.controller) owns the LSTM.
Models never import tasks; they only see a :class:`ModelIO`.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ModelIO:
    input_size: int      # vector width, or vocabulary size when input_tokens
    output_size: int     # logits per step
    input_tokens: bool   # x is (B, T) token ids to embed, else (B, T, input_size) vectors


class ModelError(ValueError):
    """Bad model input (unknown name, impossible size); the message names what is allowed."""


State = tuple  # a memory state is a tuple of tensors whose first dimension is the batch


class Memory(nn.Module):
    """One external memory behind the unified framework (Wang §2, eqs. 1-3).

    Subclasses set ``read_size`` and implement ``initial_state`` and ``step``.
    ``step`` writes from (h_t, x_t), then reads, and returns r_t, the new state and,
    when ``trace`` is True, a dict of per-example tensors for analysis (else None).
    Recording the trace must cost nothing when ``trace`` is False.
    """

    read_size: int

    def initial_state(self, batch_size: int, device=None) -> tuple[torch.Tensor, State]:
        """(r_0, state_0): the readout fed to the controller at t = 1 and the empty memory."""
        raise NotImplementedError

    def step(self, h: torch.Tensor, x: torch.Tensor, state: State, trace: bool = False
             ) -> tuple[torch.Tensor, State, dict | None]:
        raise NotImplementedError

    # Optional: a fused whole-sequence path that computes what ``step`` computes, faster.
    def fused(self) -> bool:
        """Whether :meth:`sequence` can run here (settings, device, dtype, kernel)."""
        return False

    def sequence(self, xg: torch.Tensor, project, w_rec: torch.Tensor) -> torch.Tensor:
        """[r_t; h_t] for t = 1..T, (T, B, R + H), of the controller loop around this memory, from
        the x-side LSTM pre-activations xg (T, B, 4H) and the recurrent weights w_rec (R + H, 4H)
        acting on [r_{t-1}; h_{t-1}]; ``project(weight, bias)`` gives x_t W^T + b for every step,
        (T, B, out). Only called where :meth:`fused` says so."""
        raise NotImplementedError
