"""The mirror task (Wang et al. 2019, §3.1-3.2, Table 1 row 1): reverse a sequence of bit vectors.

Input, one token per time step (T = 2L + 1)::

    x_1 .. x_L   <EOS>   000000000 x L         (9-bit vectors, Bernoulli(0.5) bits)
    target:              x_L .. x_1            (scored at the L steps after <EOS>)

"We append a delimiter at the end of the input to tell the model when to output" and "the
inputs are zero vector during decoding (output) stage" (§3.1-3.2). As tensors every step is a
10-wide vector: the 9 bits and a delimiter channel that is 1 only at <EOS>. Outputs are 9 bits
(loss: binary cross-entropy). Difficulty = L; training L <= 5, testing L <= 10 (§3.2).
"""
from __future__ import annotations

import numpy as np
import torch

from . import TASKS
from .base import Batch, Example, Task, TaskError

EOS = "<EOS>"


class Mirror(Task):
    name = "mirror"
    input_tokens = False
    output_bits = True
    train_range = (1, 5)   # "The maximum length of input sequence is 5 during the training stage"
    test_range = (6, 10)   # "... extended to 10 when testing" (§3.2)

    def __init__(self, bits: int = 9, max_length: int = 100, train_max: int | None = None):
        if bits < 4:  # the analysis set needs the codes of 1..9
            raise TaskError(f"mirror needs at least 4 bits per vector, got {bits}")
        if train_max is not None:  # train on 1..m instead of §3.2's 1..5; test beyond it (at least to 10)
            if not 1 <= train_max < max_length:
                raise TaskError(f"mirror: train_max must be 1-{max_length - 1}, got {train_max}")
            self.train_range = (1, train_max)
            self.test_range = (train_max + 1, max(type(self).test_range[1], train_max + 1))
        self.bits = bits
        self.max_length = max_length
        self.input_size = bits + 1   # bits + delimiter channel
        self.output_size = bits
        self.blank = "0" * bits       # the input while answering

    def allowed(self) -> list[int]:
        return list(range(1, self.max_length + 1))

    def sample_one(self, rng: np.random.Generator, difficulty: int) -> Example:
        vectors = rng.integers(0, 2, size=(difficulty, self.bits))  # (L, bits) Bernoulli(0.5)
        return self._example([row.tobytes().decode("ascii") for row in (vectors + ord("0")).astype(np.uint8)])

    def _example(self, seq: list[str]) -> Example:
        L = len(seq)
        return Example(input=seq + [EOS] + [self.blank] * L, target=seq[::-1], difficulty=L)

    def encode(self, examples: list[Example]) -> Batch:
        """x: (B, T, bits + 1), the bits of each vector and the delimiter channel (1 at <EOS>
        only); y: (B, T, bits), the target vectors at the answer steps (:func:`answer_aligned_batch`'s
        layout). Vectorised over the batch (mirror's batches are built every update, and a
        token-by-token loop cost as much as the model's step); tests/test_tasks_mirror.py checks it
        against the token-by-token reading."""
        B, T = len(examples), max(len(ex.input) for ex in examples)
        x = np.zeros((B, T, self.input_size), dtype=np.float32)
        y = np.zeros((B, T, self.bits), dtype=np.float32)
        mask = np.zeros((B, T), dtype=bool)
        at, tokens, eos, answer, targets = [], [], [], [], []    # (example, step) of each kind of entry
        for i, ex in enumerate(examples):
            for t, tok in enumerate(ex.input):
                (eos if tok == EOS else at).append((i, t))
                if tok != EOS:
                    tokens.append(tok)
            end = len(ex.input)
            answer += [(i, t) for t in range(end - len(ex.target), end)]
            targets += ex.target
        if at:
            x[tuple(np.array(at).T) + (slice(0, -1),)] = self._bit_rows(tokens)
        if eos:
            x[tuple(np.array(eos).T) + (-1,)] = 1.0
        rows = tuple(np.array(answer).T)
        y[rows] = self._bit_rows(targets)
        mask[rows] = True
        return Batch(torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(mask),
                     torch.tensor([ex.difficulty for ex in examples], dtype=torch.long))

    def _bit_rows(self, tokens: list[str]) -> np.ndarray:
        """(n, bits) float32 of n bit-string tokens; TaskError naming the first bad token."""
        codes = np.frombuffer("".join(tokens).encode("ascii", "replace"), dtype=np.uint8)
        if codes.size != len(tokens) * self.bits or not np.isin(codes, (48, 49)).all() \
                or any(len(tok) != self.bits for tok in tokens):
            bad = next(tok for tok in tokens if len(tok) != self.bits or set(tok) - {"0", "1"})
            raise TaskError(f"mirror token {bad!r} is neither {EOS!r} nor a {self.bits}-character bit string")
        return (codes.reshape(len(tokens), self.bits) - 48).astype(np.float32)

    # --- analysis set (§3.2 "Analysis") ---------------------------------------------------------
    def analysis_set(self, rng: np.random.Generator, n: int = 500, length: int = 5) -> list[Example]:
        """``n`` samples of one length whose vectors are the binary codes of 1..9 (uniform, i.i.d.).

        "we generate 500 samples with the same length, whose each input binary vector is
        restricted in the binary format of 1, 2, ..., 9. These numbers can be viewed as the
        labels of the samples" (§3.2). The paper's text does not state the length (it is only
        visible on the x-axis of Fig. 3); we use L = 5, the longest training length, so that the
        analysed behaviour is the one the models were trained on. Codes are written most
        significant bit first: 5 -> "000000101".
        """
        self.check_difficulty(length)
        labels = rng.integers(1, 10, size=(n, length))
        return [self._example([format(int(v), f"0{self.bits}b") for v in row]) for row in labels]


def labels(example: Example) -> list[int]:
    """The integer label (1..9 for the analysis set) of each input vector x_1..x_L, in input order."""
    return [int(tok, 2) for tok in example.input[:example.difficulty]]


TASKS["mirror"] = Mirror
