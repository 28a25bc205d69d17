"""M10AE, modulo-10 arithmetic expressions (Wang et al. 2019, §3.3, Table 1 row 2).

An expression without brackets over the numerals 1..9 and the operators + - * /, where
"/ represent[s] a modulo operator", "each intermediate result is modulo by 10" and "*, / have
higher priority than + and -" (§3.3); evaluation is left to right. Table 1's example::

    8+6*3/2-4:  (6*3)%10 = 8,  (8%2)%10 = 0,  (8+0)%10 = 8,  (8-4)%10 = 4

Semantics we fix where the paper is silent (all follow from "left to right, high priority first"):

* A term is N (H N)*, evaluated left to right, so the right operand of * and / is always a
  numeral 1..9: ``x % 0`` cannot occur. The left operand may be 0 (6*5 -> 0, then 0%7 -> 0).
* Subtraction is reduced into 0..9 like every other result (Python's ``%``): 2-7 -> 5.
* The model reads one token per step and is scored once, at the last token (10 classes). There
  is no end-of-expression token: the paper's analysis sequences N L N H N H N L N have exactly
  nine steps (Fig. 6-8) and its hypothesised strategy returns l_0 right after the last numeral.
  Token id 0 is a padding token that never occurs inside an expression.

Difficulty = #LPO, the number of + and - (§3.3). The paper gives only maxima ("The maximum #LPO is
14 for training and 20 for validation"); we draw #LPO uniformly from 0..14 for training (0 = a
single term, still a valid expression) and 0..20 for validation/testing. ``train_max=m`` (a task
argument) trains on #LPO 0..m instead and tests on m+1..max(20, m+1): beyond the training range,
at least to the paper's maximum. Term lengths are not given
either: each of the #LPO + 1 terms has h high-priority operators, h uniform on 0..max_term_ops
(default 2, the longest term of the paper's example), so a term holds 1..3 numerals and an
expression has sum_i (2 h_i + 1) + #LPO tokens (mean 4 #LPO + 3). Every numeral is uniform on 1..9
and every operator uniform within its category. :func:`describe` tabulates a generated set.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import torch

from . import TASKS
from .base import Batch, Example, Task, TaskError, answer_aligned_batch

NUMERALS = tuple("123456789")
LOW = ("+", "-")    # low-priority operators, counted by #LPO
HIGH = ("*", "/")   # high-priority operators; "/" is modulo
PAD = "<pad>"
VOCAB = (PAD,) + NUMERALS + LOW + HIGH   # input ids: 0 = padding, 1..9 numerals, 10..13 operators
RESULTS = tuple("0123456789")            # output classes: the result's value

OPERATORS = {   # the four operators mod 10: + - * and / (modulo), as functions of (left, right)
    "+": lambda a, b: (a + b) % 10,
    "-": lambda a, b: (a - b) % 10,
    "*": lambda a, b: (a * b) % 10,
    "/": lambda a, b: (a % b) % 10,   # b is a numeral 1..9 (see module docstring)
}


def running_values(tokens: list[str]) -> list[tuple[int, int]]:
    """Scan left to right; for each step, (value of the expression so far, value of the current term).

    At a numeral the pair is what the prefix ending there evaluates to and the running value of
    the term it closes; at an operator both are carried over from the numeral before. This is
    the bookkeeping of the paper's hypothesised SANN strategy (§3.3, l_0 and l_1), written as a
    one-pass evaluator: ``done`` combines the finished terms, ``low`` is the pending + or -,
    ``high`` the pending * or / inside the current term.
    """
    out, done, low, term, high = [], 0, "+", 0, None
    expect_numeral = True
    for tok in tokens:
        if expect_numeral != (tok in NUMERALS):
            raise TaskError(f"malformed M10AE expression {''.join(tokens)!r}: numerals 1-9 and "
                            f"operators {' '.join(LOW + HIGH)} must alternate, starting and ending with a numeral")
        if tok in NUMERALS:
            term = OPERATORS[high](term, int(tok)) if high else int(tok)
            out.append((OPERATORS[low](done, term), term))
        elif tok in LOW:
            done, low, high = OPERATORS[low](done, term), tok, None
            out.append(out[-1])
        elif tok in HIGH:
            high = tok
            out.append(out[-1])
        else:
            raise TaskError(f"unknown M10AE token {tok!r}; allowed: {' '.join(NUMERALS + LOW + HIGH)}")
        expect_numeral = not expect_numeral
    if expect_numeral:
        raise TaskError(f"malformed M10AE expression {''.join(tokens)!r}: it must end with a numeral")
    return out


def evaluate(tokens: list[str] | str) -> int:
    """The value 0..9 of an expression, e.g. ``evaluate("8+6*3/2-4") == 4``."""
    return running_values(list(tokens))[-1][0]


def count_lpo(tokens: list[str]) -> int:
    """#LPO, the difficulty: how many + and - the expression holds."""
    return sum(tok in LOW for tok in tokens)


class M10AE(Task):
    name = "m10ae"
    input_tokens = True
    output_bits = False
    input_size = len(VOCAB)   # 14 = padding + 9 numerals + 4 operators
    output_size = 10          # the result 0..9
    train_range = (0, 14)     # "The maximum #LPO is 14 for training ..."
    test_range = (15, 20)     # "... and 20 for validation" (§3.3)

    def __init__(self, max_term_ops: int = 2, max_lpo: int = 100, train_max: int | None = None):
        if max_term_ops < 0:
            raise TaskError(f"max_term_ops must be >= 0, got {max_term_ops}")
        if train_max is not None:  # train on #LPO 0..m instead of §3.3's 0..14; test beyond it (at least to 20)
            whole = isinstance(train_max, (int, np.integer)) and not isinstance(train_max, bool)
            if not (whole and 0 <= train_max < max_lpo):
                raise TaskError(f"m10ae: train_max must be an integer #LPO 0-{max_lpo - 1}, got {train_max!r}")
            self.train_range = (0, train_max)
            self.test_range = (train_max + 1, max(type(self).test_range[1], train_max + 1))
        self.max_term_ops = max_term_ops
        self.max_lpo = max_lpo

    def allowed(self) -> list[int]:
        return list(range(0, self.max_lpo + 1))

    def sample_one(self, rng: np.random.Generator, difficulty: int) -> Example:
        n_high = rng.integers(self.max_term_ops + 1, size=difficulty + 1).tolist()  # per term
        total = sum(n_high)
        numerals = iter(rng.integers(9, size=total + difficulty + 1).tolist())
        ops = rng.integers(2, size=total + difficulty).tolist()   # which * or /, then which + or -
        highs, lows = iter(ops[:total]), ops[total:]
        tokens = []
        for i, h in enumerate(n_high):
            if i:
                tokens.append(LOW[lows[i - 1]])
            tokens.append(NUMERALS[next(numerals)])
            for _ in range(h):
                tokens += [HIGH[next(highs)], NUMERALS[next(numerals)]]
        return Example(input=tokens, target=[str(evaluate(tokens))], difficulty=difficulty)

    def encode(self, examples: list[Example]) -> Batch:
        ids = {tok: i for i, tok in enumerate(VOCAB)}
        xs, ys = [], []
        for ex in examples:
            unknown = set(ex.input) - set(NUMERALS + LOW + HIGH)
            if unknown or len(ex.target) != 1 or ex.target[0] not in RESULTS:
                raise TaskError(f"not an M10AE example: input {ex.input}, target {ex.target}")
            xs.append(torch.tensor([ids[tok] for tok in ex.input]))            # (T,)
            ys.append(torch.tensor([int(ex.target[0])]))                       # (1,)
        return answer_aligned_batch(xs, ys, [ex.difficulty for ex in examples])

    # --- analysis set (§3.3 "Analysis", Fig. 6-9) -------------------------------------------------
    def analysis_set(self, rng: np.random.Generator, n: int = 500) -> list[Example]:
        """``n`` expressions of the structure N0 L0 N1 H0 N2 H1 N3 L1 N4 (e.g. 8+6*3/2-4), every
        symbol drawn uniformly within its category (numerals 1..9, L in + -, H in * /)."""
        pattern = [NUMERALS, LOW, NUMERALS, HIGH, NUMERALS, HIGH, NUMERALS, LOW, NUMERALS]
        examples = []
        for _ in range(n):
            tokens = [cat[rng.integers(len(cat))] for cat in pattern]
            examples.append(Example(input=tokens, target=[str(evaluate(tokens))], difficulty=2))
        return examples


ANALYSIS_STRUCTURE = ("N0", "L0", "N1", "H0", "N2", "H1", "N3", "L1", "N4")  # step names (Fig. 9)


def fixed_datasets(seed: int = 0, n_train: int = 80_000, n_valid: int = 20_000,
                   max_train_lpo: int | None = None, max_valid_lpo: int | None = None,
                   task: M10AE | None = None) -> tuple[list[Example], list[Example]]:
    """Wang's fixed splits (§3.3): "80 and 20 thousand examples are generated for training and
    validation ... The maximum #LPO is 14 for training and 20 for validation".

    #LPO is uniform on 0..max_train_lpo (training) and 0..max_valid_lpo (validation), by default
    the ends of ``task``'s training and test ranges (14 and 20 unless it has a ``train_max``). The two
    splits come from independent streams seeded by (seed, 0) and (seed, 1), so the same seed
    always gives the same lists. They are not made disjoint (the paper does not say): only
    #LPO = 0 has few distinct expressions (3,087 with max_term_ops = 2), so only there do
    validation expressions also occur in training.
    """
    task = task or M10AE()
    max_train_lpo = task.train_range[1] if max_train_lpo is None else max_train_lpo
    max_valid_lpo = task.test_range[1] if max_valid_lpo is None else max_valid_lpo
    splits = []
    for stream, (n, hi) in enumerate([(n_train, max_train_lpo), (n_valid, max_valid_lpo)]):
        rng = np.random.default_rng([seed, stream])
        task.check_difficulty(hi)
        splits.append([task.sample_one(rng, int(rng.integers(hi + 1))) for _ in range(n)])
    return splits[0], splits[1]


def describe(examples: list[Example]) -> dict[str, dict[int, int]]:
    """Counts that document a data set: ``lpo`` (#LPO -> examples), ``term_numerals`` (numerals
    per term -> terms), ``tokens`` (expression length -> examples) and ``label`` (result -> examples)."""
    lpo, term, length, label = Counter(), Counter(), Counter(), Counter()
    for ex in examples:
        lpo[count_lpo(ex.input)] += 1
        length[len(ex.input)] += 1
        label[int(ex.target[0])] += 1
        for chunk in "".join(ex.input).replace("-", "+").split("+"):
            term[(len(chunk) + 1) // 2] += 1
    return {name: dict(sorted(c.items())) for name, c in
            [("lpo", lpo), ("term_numerals", term), ("tokens", length), ("label", label)]}


TASKS["m10ae"] = M10AE
