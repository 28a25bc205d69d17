"""The five tasks of the Lie-access NTM paper (Yang 2016, §4, Tables 1, 2 and 4).

Every task has a size k. The machine reads a start-of-input ``<s>``, the k input characters,
then a repeated end-of-input ``</s>``: "The machines are to output the correct sequence during
the response phase, which starts when they receive the first </s>" and "must correctly emit an
end-of-output symbol <e>" (§4). So, with answer a_1..a_n::

    input:  <s>  c_1 .. c_k  </s> x (n + 1)         T = k + n + 2
    target:                  a_1 .. a_n  <e>        scored at the n + 1 </s> steps

Permutation tasks draw k characters i.i.d. uniformly from the symbols: copy (a = c), reverse
(a = c reversed), bigramflip (k even, a = c_2 c_1 c_4 c_3 ...). Arithmetic tasks work on decimal
digits, least significant digit first, zero padded: double (k digits of x -> k + 1 digits of 2x)
and addition (x_1 y_1 x_2 y_2 .. x_k y_k -> k + 1 digits of x + y), x and y uniform on [0, 10^k).

Vocabulary. Input and output share one vocabulary, and Table 2's "Vocab" column ("the total
number of possible characters of each input sequence") is 14 for the arithmetic tasks and 128
for the permutation tasks. 14 = 10 digits + 4 non-digit characters, so we use four: a padding
token ``<pad>`` (id 0, fills batches), ``<s>``, ``</s>``, ``<e>``. The permutation tasks then get
128 - 4 = 124 data symbols, printed as their index "0".."123". The prose speaks of "128 atomic
symbols"; we follow Table 2 because its #Param column pins the vocabulary down: copy and double
differ only in vocabulary (same LSTM size 50 and embedding 7) and by 26105 - 18695 = 7410 = 114 x 65
parameters, i.e. 128 - 14 = 114 more characters at 65 parameters each. ``n_symbols=128`` gives the
prose's reading (vocabulary 132).

Metrics (§4): "Fine score refers to the percentage of digit or characters (including the EOO
marker) that the model correctly outputs. Coarse score refers to the percentage of total problems
that the model answers completely correctly" -- exactly :meth:`Task.score`'s ``units_correct /
units_total`` (summed over examples) and ``correct``.

Sizes: training and testing ranges of Table 1; :func:`extrapolation_range` gives Table 4's
"n x" sizes (n-1)m+1 .. nm for a training maximum m, and every task can generate up to 8m.
``train_max=m`` (a task argument) trains on 2..m and tests on m+1..2m instead of Table 1's
sizes: the smaller setting a 2-core machine can afford (the LANTM chapter).
"""
from __future__ import annotations

import numpy as np
import torch

from . import TASKS
from .base import Batch, Example, Task, TaskError, answer_aligned_batch

PAD, SOI, EOI, EOO = "<pad>", "<s>", "</s>", "<e>"
MARKERS = (PAD, SOI, EOI, EOO)
DIGITS = tuple("0123456789")


class LantmTask(Task):
    """Shared layout of Yang's tasks; subclasses draw the input characters and solve them."""

    input_tokens = True
    output_bits = False
    step = 1  # sizes are multiples of this (bigramflip: 2)

    def __init__(self, symbols: tuple[str, ...], max_factor: int = 8, train_max: int | None = None):
        if train_max is not None:  # train on 2..m, test on m+1..2m instead of Table 1's sizes
            lo = self.train_range[0]
            if train_max < lo or train_max % self.step:
                raise TaskError(f"{self.name}: train_max must be a multiple of {self.step} and >= {lo}, "
                                f"got {train_max}")
            self.train_range, self.test_range = (lo, train_max), (train_max + 1, 2 * train_max)
        self.symbols = symbols
        self.vocab = MARKERS + symbols
        self.ids = {tok: i for i, tok in enumerate(self.vocab)}
        self.input_size = self.output_size = len(self.vocab)
        self.max_factor = max_factor

    def allowed(self) -> list[int]:
        return list(range(self.step, self.max_factor * self.train_range[1] + 1, self.step))

    @property
    def max_train(self) -> int:
        return self.train_range[1]

    def draw(self, rng: np.random.Generator, size: int) -> list[str]:
        """The input characters c_1..c_k of a problem of this size."""
        return [self.symbols[i] for i in rng.integers(len(self.symbols), size=size)]

    def solve(self, chars: list[str]) -> list[str]:
        """The answer a_1..a_n (without <e>)."""
        raise NotImplementedError

    def sample_one(self, rng: np.random.Generator, difficulty: int) -> Example:
        chars = self.draw(rng, difficulty)
        answer = self.solve(chars)
        return Example(input=[SOI] + chars + [EOI] * (len(answer) + 1), target=answer + [EOO],
                       difficulty=difficulty)

    def encode(self, examples: list[Example]) -> Batch:
        xs, ys = [], []
        for ex in examples:
            try:
                xs.append(torch.tensor([self.ids[tok] for tok in ex.input]))    # (T,)
                ys.append(torch.tensor([self.ids[tok] for tok in ex.target]))   # (n + 1,)
            except KeyError as e:
                raise TaskError(f"{self.name}: unknown token {e.args[0]!r}; the vocabulary is "
                                f"{', '.join(MARKERS)} and {self.symbols[0]}..{self.symbols[-1]}") from None
        return answer_aligned_batch(xs, ys, [ex.difficulty for ex in examples])

    def extrapolation(self, n: int) -> list[int]:
        """Table 4's "n x" sizes: (n-1)m+1 .. nm for training maximum m (n = 1: the training range,
        which is what Table 3 calls "1x")."""
        if not 1 <= n <= self.max_factor:
            raise TaskError(f"{self.name}: extrapolation factor must be 1..{self.max_factor}, got {n}")
        m = self.max_train
        lo, hi = (self.train_range[0], m) if n == 1 else ((n - 1) * m + 1, n * m)
        return [d for d in self.allowed() if lo <= d <= hi]


class _Permutation(LantmTask):
    train_range, test_range = (2, 64), (65, 128)

    def __init__(self, n_symbols: int = 124, max_factor: int = 8, train_max: int | None = None):
        if n_symbols < 2:
            raise TaskError(f"{self.name}: n_symbols must be >= 2, got {n_symbols}")
        super().__init__(tuple(str(i) for i in range(n_symbols)), max_factor, train_max)


class Copy(_Permutation):
    name = "copy"

    def solve(self, chars):
        return list(chars)


class Reverse(_Permutation):
    name = "reverse"

    def solve(self, chars):
        return chars[::-1]


class BigramFlip(_Permutation):
    name = "bigramflip"
    train_range, test_range = (2, 32), (33, 64)
    step = 2  # "a_1 a_2 ... a_2k-1 a_2k": even lengths only

    def solve(self, chars):
        out = []
        for i in range(0, len(chars), 2):
            out += [chars[i + 1], chars[i]]
        return out


def add_digits(a: list[int], b: list[int]) -> list[int]:
    """Schoolbook addition of two k-digit numbers, least significant digit first -> k + 1 digits."""
    out, carry = [], 0
    for da, db in zip(a, b):
        carry, digit = divmod(da + db + carry, 10)
        out.append(digit)
    return out + [carry]


class _Arithmetic(LantmTask):
    def __init__(self, max_factor: int = 8, train_max: int | None = None):
        super().__init__(DIGITS, max_factor, train_max)


class Double(_Arithmetic):
    name = "double"
    train_range, test_range = (2, 40), (41, 80)

    def solve(self, chars):
        x = [int(c) for c in chars]
        return [str(d) for d in add_digits(x, x)]


class Addition(_Arithmetic):
    name = "addition"
    train_range, test_range = (2, 16), (17, 32)

    def draw(self, rng, size):
        return super().draw(rng, 2 * size)   # x_1 y_1 x_2 y_2 ... x_k y_k

    def solve(self, chars):
        digits = [int(c) for c in chars]
        return [str(d) for d in add_digits(digits[0::2], digits[1::2])]


def extrapolation_range(task: LantmTask | str, n: int) -> list[int]:
    """Sizes of Table 4's "n x" column for ``task`` (a LANTM task or its name)."""
    if isinstance(task, str):
        if task not in LANTM_TASKS:
            raise TaskError(f"no extrapolation range for {task!r}; choose one of {', '.join(LANTM_TASKS)}")
        task = TASKS[task]()
    return task.extrapolation(n)


LANTM_TASKS = {cls.name: cls for cls in (Copy, Reverse, BigramFlip, Double, Addition)}
TASKS.update(LANTM_TASKS)
