"""The strategies Wang et al. 2019 hypothesise their models learned, as executable functions.

Mirror (§3.2 "Analysis", the two pseudo-codes): :func:`mirror_tann` and :func:`mirror_sann`
run the pseudo-code on symbolic inputs (the 1-based input positions 1..L) and return a
:class:`CellHypothesis`: which input position every memory cell holds after every time step,
and the read/write policy the strategy implies, under the trace's key names so it can be drawn
over the measured policy (Fig. 3b/d). :meth:`CellHypothesis.labels` turns positions into the
labels 1..9 of the actual analysis samples (Fig. 4).

M10AE (§3.3 "Analysis"): :func:`m10ae_algorithm` runs the pseudo-code with l0, l0', l1, p0, p1
and the stack S on one expression and returns its result and the variables after every
symbol (Fig. 8); :func:`m10ae_cell_labels` reads the stack contents off as cell labels (Fig. 9).

Time steps are 0-based indices into the model's input sequence and a step's label describes
the memory after that step, as the trace's ``memory[:, t]`` does (the models write, then read).
Mirror steps: x1..xL (0..L-1), <EOS> (L), y1..yL (L+1..2L); cells are 0-based (SANN: 0 = top).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .analysis import mirror_step_names, symbol_category, to_numpy
from ..tasks.m10ae import OPERATORS  # the four operators mod 10: + - * and / (modulo)

NAN = float("nan")
TANN_START = 17   # "w^w <- 17: initialize the writing-to address" (the paper's trained TANN)


@dataclass
class CellHypothesis:
    """What a hypothesised mirror strategy says the memory holds (Wang §3.2)."""
    name: str
    positions: list[list[int | None]]   # (T, N): input position 1..L held by cell n after step t, or None
    policy: dict[str, list[float]]      # trace key -> (T,) hypothesised value per step; NaN: unspecified
    step_names: list[str]               # (T,) x1..xL, <EOS>, y1..yL

    @property
    def length(self) -> int:
        return (len(self.positions) - 1) // 2

    def frame(self) -> pd.DataFrame:
        """The labelled (step, cell) pairs: columns step, symbol, cell, position."""
        rows = [(t, self.step_names[t], n, p) for t, row in enumerate(self.positions)
                for n, p in enumerate(row) if p is not None]
        return pd.DataFrame(rows, columns=["step", "symbol", "cell", "position"])

    def labels(self, sample_labels) -> np.ndarray:
        """(B, L) labels of the samples' inputs x1..xL in input order (mirror analysis set: 1..9,
        see ``mannlib.tasks.mirror.labels``) -> (B, T, N) object array: the label of the input
        each cell should hold after each step, None where the hypothesis says nothing."""
        lab = np.asarray(sample_labels, dtype=object)
        if lab.ndim != 2 or lab.shape[1] != self.length:
            raise ValueError(f"sample_labels must be (B, L) with L = {self.length}, got shape {lab.shape}")
        T, N = len(self.positions), len(self.positions[0])
        out = np.full((len(lab), T, N), None, dtype=object)
        for t, row in enumerate(self.positions):
            for n, p in enumerate(row):
                if p is not None:
                    out[:, t, n] = lab[:, p - 1]
        return out


def _check_mirror(length: int, cells: int):
    if length < 1 or cells < 1:
        raise ValueError(f"need length >= 1 and cells >= 1, got length={length}, cells={cells}")


def mirror_tann(length: int, cells: int = 20, start: int = TANN_START, stride: int = 1) -> CellHypothesis:
    """Wang's hypothesised TANN strategy for mirror (§3.2 pseudo-code), run on positions 1..L.

    Encoding: x_t is written to cell w^w, then w^w <- (w^w + stride) % N, starting at w^w = start.
    Delimiter: w^r <- (start + stride (L - 1)) % N, the cell of x_L; nothing is written or read.
    Decoding: y_j outputs M[w^r], then w^r <- (w^r - stride) % N.
    The paper's trained TANN started at 17 with stride 1 (:data:`TANN_START`); a model of ours
    starts where it likes: estimate ``start`` and ``stride`` with :func:`tape_layout`. With
    L > N later inputs overwrite earlier ones, as in the pseudo-code. Cells not yet written hold
    the random initial memory: None. Policy: ``addr_write`` and ``addr_read`` (compare with eq. 9).
    """
    _check_mirror(length, cells)
    memory, w_write = [None] * cells, start % cells
    positions, write, read = [], [], []
    for t in range(1, length + 1):                 # encoding stage
        memory[w_write] = t
        write.append(float(w_write)), read.append(NAN)
        w_write = (w_write + stride) % cells
        positions.append(list(memory))
    w_read = (start + stride * (length - 1)) % cells  # the delimiter
    positions.append(list(memory)), write.append(NAN), read.append(NAN)
    for _ in range(length):                        # decoding stage
        write.append(NAN), read.append(float(w_read))
        w_read = (w_read - stride) % cells
        positions.append(list(memory))
    return CellHypothesis("tann", positions, {"addr_write": write, "addr_read": read},
                          mirror_step_names(length))


def mirror_sann(length: int, cells: int = 20) -> CellHypothesis:
    """Wang's hypothesised SANN strategy for mirror (§3.2 pseudo-code), run on positions 1..L.

    Encoding: push x_t (cell 0 is the top; a full stack of N cells drops its bottom cell).
    Delimiter: nothing. Decoding: output the top, then pop it. After step t cell n holds the
    n-th item from the top, None below the last item. Policy: ``p_push`` and ``pops`` (eqs. 10-11).
    """
    _check_mirror(length, cells)
    stack, positions, p_push, pops = [], [], [], []
    for step in mirror_step_names(length):
        if step.startswith("x"):                   # encoding: push x_t
            stack = [int(step[1:])] + stack[:cells - 1]
            p_push.append(1.0), pops.append(0.0)
        elif step.startswith("y"):                 # decoding: output the top, pop it
            stack = stack[1:]
            p_push.append(0.0), pops.append(1.0)
        else:                                      # the delimiter
            p_push.append(0.0), pops.append(0.0)
        positions.append(stack + [None] * (cells - len(stack)))
    return CellHypothesis("sann", positions, {"p_push": p_push, "pops": pops}, mirror_step_names(length))


def tape_layout(w_write, length: int) -> tuple[int, int]:
    """(start, stride) of a TANN's writing during encoding, for :func:`mirror_tann`.

    w_write: (B, T, N) write weightings of the analysis set. ``start`` is the cell with the
    largest mean weight at step 0 (x1); ``stride`` the circular offset, in -N/2 < stride <= N/2,
    of the largest-mean cell at step 1 (x2) from it (1 when L = 1). Argmax rather than the
    expected address of eq. 9, which is meaningless for a focus split across cells N-1 and 0.
    """
    w = to_numpy(w_write).astype(float)
    if w.ndim != 3 or w.shape[1] < length:
        raise ValueError(f"w_write must be (B, T >= L, N) with L = {length}, got shape {w.shape}")
    N = w.shape[2]
    start = int(w[:, 0].mean(0).argmax())
    if length < 2:
        return start, 1
    offset = (int(w[:, 1].mean(0).argmax()) - start) % N
    return start, offset - N if offset > N // 2 else offset


# --- M10AE (§3.3) -----------------------------------------------------------------------------

def _eval(op, a, b, symbolic: bool):
    """eval(f, a0, a1) of the pseudo-code; "if the stack is empty or f is null, the second
    argument ... will be returned" (footnote 3), i.e. a1."""
    if op is None:
        return b
    return f"{a}{op}{b}" if symbolic else OPERATORS[op](a, b)


def _category(token: str, symbolic: bool) -> str:
    if symbolic:
        if not token or token[0] not in "NLH":
            raise ValueError(f"symbolic token {token!r} must start with N, L or H (e.g. N0 L0 N1 H0 N2)")
        return token[0]
    category = symbol_category(token)
    if category not in ("N", "L", "H"):
        raise ValueError(f"unknown M10AE symbol {token!r}; allowed: numerals 1-9 and + - * /")
    return category


def m10ae_algorithm(tokens, symbolic: bool = False):
    """Wang's hypothesised SANN strategy for M10AE (§3.3 pseudo-code), step by step.

    For each symbol x_t::

        + or -:  p0 <- x_t;  pop till empty
        * or /:  l0 <- l0';  push (l1, x_t)
        numeral: (l1, p1) <- S[0];  l1 <- eval(p1, l1, x_t);  l0' <- l0;
                 l0 <- eval(p0, l0, l1);  pop till empty;  push l0

    starting from l0 = l1 = l0' = 0, p0 = p1 = null and an empty stack; the result is l0. On a
    numeral, S[0] is empty (first symbol, or after + -) or a pushed (l1, op) combination: reading
    an empty stack gives p1 = null, so eval returns x_t. The right operand of * and / is always
    the numeral x_t in 1..9, so "x mod 0" cannot occur (a left operand may be 0: 5*2/3 -> 0).

    ``symbolic``: tokens are names whose first letter is the category (e.g. the analysis
    structure N0 L0 N1 H0 N2 H1 N3 L1 N4) and eval writes the expression instead of computing
    it, so each variable shows which part of the input it stands for (Fig. 9's captions).

    Returns (result, trace): trace[t] = {step, symbol, l0, l0', l1, p0, p1, S, pops, pushes}
    after symbol t; S is the stack top first, an (l1, op) combination as a tuple.
    """
    tokens = list(tokens)
    cats = [_category(tok, symbolic) for tok in tokens]
    if not tokens or len(tokens) % 2 == 0 or any((c == "N") != (i % 2 == 0) for i, c in enumerate(cats)):
        raise ValueError(f"malformed M10AE expression {' '.join(tokens)!r}: numerals and operators "
                         "must alternate, starting and ending with a numeral")
    zero = "0" if symbolic else 0
    l0 = l1 = l0_cand = zero
    p0 = p1 = None
    stack, trace = [], []
    for t, (tok, cat) in enumerate(zip(tokens, cats)):
        pops, pushes = 0, 0
        if cat == "L":
            p0 = tok
            pops, stack = len(stack), []                      # pop till empty
        elif cat == "H":
            l0 = l0_cand                                      # adopt the candidate result
            stack, pushes = [(l1, tok)] + stack, 1            # push the combination
        else:
            x = tok if symbolic else int(tok)
            l1, p1 = stack[0] if stack else (l1, None)        # read the combination pushed
            l1 = _eval(p1, l1, x, symbolic)                   # high-priority operation
            l0_cand = l0                                      # save the candidate result
            l0 = _eval(p0, l0, l1, symbolic)                  # low-priority operation
            pops, stack, pushes = len(stack), [l0], 1         # pop till empty, push l0
        trace.append({"step": t, "symbol": tok, "l0": l0, "l0'": l0_cand, "l1": l1, "p0": p0, "p1": p1,
                      "S": tuple(stack), "pops": pops, "pushes": pushes})
    return l0, trace


def m10ae_trace_frame(trace: list[dict]) -> pd.DataFrame:
    """Fig. 8 as a table: one row per variable (l0, l0', l1, p0, p1, S), one column per step
    (columns a (step, symbol) MultiIndex); null is shown as "null", a combination (6, "*") as "6*"."""
    def show(v):
        if v is None:
            return "null"
        return f"{v[0]}{v[1]}" if isinstance(v, tuple) else str(v)
    variables = ["l0", "l0'", "l1", "p0", "p1", "S"]
    data = {(row["step"], row["symbol"]): [show(row[v]) for v in variables[:-1]]
            + ["[" + ", ".join(show(item) for item in row["S"]) + "]"] for row in trace}
    df = pd.DataFrame(data, index=variables)
    df.columns.names = ["step", "symbol"]
    return df


def m10ae_cell_labels(expressions, cells: int) -> np.ndarray:
    """The stack of :func:`m10ae_algorithm` as memory-cell labels (Fig. 9).

    expressions: B token lists -> (B, T, N) object array, T the longest expression: the item the
    hypothesis puts in cell n (0 = top) after step t (an int l0, or an (l1, op) tuple), None for
    cells below the last item and steps past the end. Items below cell N-1 are dropped.
    """
    expressions = [list(e) for e in expressions]
    T = max(len(e) for e in expressions)
    out = np.full((len(expressions), T, cells), None, dtype=object)
    for b, tokens in enumerate(expressions):
        for row in m10ae_algorithm(tokens)[1]:
            for n, item in enumerate(row["S"][:cells]):
                out[b, row["step"], n] = item
    return out
