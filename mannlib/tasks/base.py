"""The interface every task implements (after DeepMind's neural_networks_chomsky_hierarchy).

A task samples examples as token strings (what ``python -m mannlib sample`` prints), turns
them into padded tensors (:class:`Batch`), and scores a model's logits. Tasks never import
models. Every sequence is right-padded; ``mask`` marks the output positions that are scored.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass
class Example:
    input: list[str]   # one token string per time step (mirror: 9-character bit strings)
    target: list[str]  # only what is to be predicted
    difficulty: int


@dataclass
class Batch:
    x: torch.Tensor           # (B, T) long token ids, or (B, T, input_size) float vectors
    y: torch.Tensor           # (B, T) long class ids, or (B, T, output_size) float bits
    mask: torch.Tensor        # (B, T) bool, True where the output is scored
    difficulty: torch.Tensor  # (B,) long

    def to(self, device, dtype: torch.dtype | None = None) -> "Batch":
        """On ``device``; with ``dtype``, float inputs and targets in that dtype (token ids stay long)."""
        def put(t):
            return t.to(device, dtype) if dtype is not None and t.is_floating_point() else t.to(device)
        return Batch(put(self.x), put(self.y), self.mask.to(device), self.difficulty.to(device))


class TaskError(ValueError):
    """Bad task input (unknown name, impossible difficulty, ...); the message names what is allowed."""


class Task(ABC):
    name: str
    input_size: int      # vector width (input_tokens False) or vocabulary size (input_tokens True)
    output_size: int     # number of bits (output_bits True) or of classes
    input_tokens: bool   # x holds token ids that the model embeds
    output_bits: bool    # y holds bits (loss: BCE) rather than class ids (loss: CE)
    train_range: tuple[int, int]  # inclusive difficulty range used for training
    test_range: tuple[int, int]   # inclusive difficulty range used for testing

    # --- sampling -------------------------------------------------------------------------
    @abstractmethod
    def allowed(self) -> list[int]:
        """Every difficulty this task can generate (checked by :meth:`check_difficulty`)."""

    @abstractmethod
    def sample_one(self, rng: np.random.Generator, difficulty: int) -> Example:
        """One example of exactly this difficulty."""

    @abstractmethod
    def encode(self, examples: list[Example]) -> Batch:
        """Token strings -> padded tensors."""

    def default_difficulty(self, rng: np.random.Generator) -> int:
        """Difficulty drawn for training when none is given: uniform over the training range."""
        lo, hi = self.train_range
        choices = [d for d in self.allowed() if lo <= d <= hi]
        return int(choices[rng.integers(len(choices))])

    def check_difficulty(self, difficulty: int) -> int:
        allowed = self.allowed()
        if difficulty not in allowed:
            raise TaskError(f"task {self.name!r} cannot generate difficulty {difficulty}; "
                            f"allowed: {ranges_text(allowed)}")
        return int(difficulty)

    def sample(self, rng: np.random.Generator, n: int, difficulty: int | None = None) -> list[Example]:
        if n <= 0:
            raise TaskError(f"n must be a positive number of examples, got {n}")
        if difficulty is not None:
            self.check_difficulty(difficulty)
        return [self.sample_one(rng, difficulty if difficulty is not None else self.default_difficulty(rng))
                for _ in range(n)]

    def batch(self, rng: np.random.Generator, n: int, difficulty: int | None = None) -> Batch:
        return self.encode(self.sample(rng, n, difficulty))

    def difficulties(self, split: str = "test") -> list[int]:
        lo, hi = {"train": self.train_range, "test": (self.train_range[0], self.test_range[1])}[split]
        return [d for d in self.allowed() if lo <= d <= hi]

    # --- loss and metrics -----------------------------------------------------------------
    def loss(self, logits: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Mean loss over scored positions. logits: (B, T, output_size)."""
        m = batch.mask
        if self.output_bits:
            return F.binary_cross_entropy_with_logits(logits[m], batch.y[m])
        return F.cross_entropy(logits[m], batch.y[m])

    def score(self, logits: torch.Tensor, batch: Batch) -> dict[str, torch.Tensor]:
        """Per-example scores: ``correct`` (whole answer right, bool (B,)), ``units_correct`` and
        ``units_total`` (bits for mirror, characters incl. <e> for LANTM tasks, 1 for m10ae)."""
        m = batch.mask
        if self.output_bits:
            ok = ((logits > 0).float() == batch.y)                      # (B, T, bits)
            units_ok = (ok & m.unsqueeze(-1)).sum(dim=(1, 2))
            units_total = m.sum(1) * self.output_size
        else:
            ok = logits.argmax(-1) == batch.y                           # (B, T)
            units_ok = (ok & m).sum(1)
            units_total = m.sum(1)
        return {"correct": units_ok == units_total, "units_correct": units_ok, "units_total": units_total}


def answer_aligned_batch(xs: list[torch.Tensor], ys: list[torch.Tensor], difficulties: list[int]) -> Batch:
    """Right-pad a batch whose answers occupy the last steps of each input.

    Every task of both papers answers at the end of its input (mirror: the L steps after
    <EOS>; m10ae: the last numeral; LANTM tasks: the </s> steps), so example i's target
    ys[i] (n_i,) or (n_i, K) is placed at steps T_i - n_i .. T_i - 1 of its input xs[i]
    (T_i,) or (T_i, D), and ``mask`` is True exactly there. Padding is zeros, mask False.
    """
    B, T = len(xs), max(len(x) for x in xs)
    x = xs[0].new_zeros((B, T) + tuple(xs[0].shape[1:]))   # (B, T) or (B, T, D)
    y = ys[0].new_zeros((B, T) + tuple(ys[0].shape[1:]))   # (B, T) or (B, T, K)
    mask = torch.zeros(B, T, dtype=torch.bool)
    for i, (xi, yi) in enumerate(zip(xs, ys)):
        t, n = len(xi), len(yi)
        x[i, :t] = xi
        y[i, t - n:t] = yi
        mask[i, t - n:t] = True
    return Batch(x, y, mask, torch.tensor(difficulties, dtype=torch.long))


def ranges_text(values: list[int]) -> str:
    """[2, 3, 4, 8] -> '2-4, 8'; [2, 4, 6] -> '2-6 (even only)'."""
    evens = len(values) > 1 and all(u % 2 == 0 for u in values)
    out, start, prev = [], None, None
    for v in sorted(values):
        if start is None:
            start = prev = v
        elif v == prev + 1 + evens:
            prev = v
        else:
            out.append(f"{start}-{prev}" if start != prev else str(start)); start = prev = v
    if start is not None:
        out.append(f"{start}-{prev}" if start != prev else str(start))
    return ", ".join(out) + (" (even only)" if evens else "")
