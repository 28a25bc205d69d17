"""The M10AE chapter's analysis on the 500 structured expressions N0 L0 N1 H0 N2 H1 N3 L1 N4
(Wang et al. 2019, §3.3 "Analysis", Figs. 6-9): :func:`best_seed` picks the SANN to analyse,
:func:`analyse` runs it with its trace, :func:`gate_saturation`, :func:`policy_summary`,
:func:`by_category` and :func:`memory_norms` read the trace (Figs. 6-7), :func:`algorithm_check`
runs the paper's pseudo-code (Fig. 8), and :func:`figure9_panels` / :func:`agreement` probe the
memory cells with the hypothesis's labels (Fig. 9)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ...engine.cache import Run
from ...methods import analysis as A, hypotheses as H
from ...tasks.m10ae import ANALYSIS_STRUCTURE, M10AE, OPERATORS, count_lpo, evaluate, running_values
from .. import wang_common
from .settings import ALGO_N, ALGO_SEED, ALL_LPO, TRAIN_MAX, Settings


def best_seed(runs: list[Run], model: str = "sann", train_max: int = TRAIN_MAX) -> Run:
    """The run of ``model`` with the best mean accuracy beyond ``train_max`` (#LPO 15-20; ties:
    0-14, then the lower seed): the paper analyses the SANN that "has learned to generalize"."""
    return wang_common.best_seed(runs, model, train_max)


# --- the analysis set: Fig. 6-9 ------------------------------------------------------------------
STEP_NAMES = list(ANALYSIS_STRUCTURE)        # N0 L0 N1 H0 N2 H1 N3 L1 N4
CATEGORIES = [name[0] for name in STEP_NAMES]  # N L N H N H N L N


@dataclass
class Analysis:
    run: Run
    examples: list              # the analysis expressions (Example, 9 tokens each)
    trace: dict                 # model(x, trace=True)'s trace as numpy arrays, (B, T, ...)
    accuracy: float             # accuracy on the analysis set

    @property
    def tokens(self) -> list[list[str]]:
        return [ex.input for ex in self.examples]


@torch.no_grad()
def analyse(run: Run, s: Settings) -> Analysis:
    """Run ``run``'s model with its trace on ``s.analysis_n`` expressions N0 L0 N1 H0 N2 H1 N3 L1
    N4 (every symbol uniform in its category; Wang §3.3 "Analysis")."""
    if run.model is None:
        raise ValueError(f"run {run.id} kept no weights (save_weights=False); it cannot be analysed")
    task = run.task
    examples = task.analysis_set(np.random.default_rng(s.analysis_seed), s.analysis_n)
    batch = task.encode(examples)
    logits, trace = run.model(batch.x, trace=True)                 # (B, 9, 10), {key: (B, 9, ...)}
    correct = task.score(logits, batch)["correct"]
    return Analysis(run, examples, {k: A.to_numpy(v) for k, v in trace.items()}, float(correct.float().mean()))


def gate_saturation(a: Analysis) -> pd.DataFrame:
    """Fig. 6a: left (< 0.1) and right (> 0.9) saturation of the controller's input, forget and
    output gates at each step N0 .. N4."""
    gates = {"input": a.trace["gate_i"], "forget": a.trace["gate_f"], "output": a.trace["gate_o"]}
    return A.saturation(gates, step_names=STEP_NAMES)


def policy_summary(a: Analysis) -> pd.DataFrame:
    """Fig. 6b: SANN's P(PUSH) (eq. 10) and expected pops (eq. 11), mean and spread per step."""
    return A.step_summary(a.trace, ["p_push", "pops"], STEP_NAMES)


def hypothesis_policy() -> dict[str, list[float]]:
    """What the hypothesised algorithm does at each step of N0 L0 N1 H0 N2 H1 N3 L1 N4, as
    SANN actions: ``p_push`` 1 where it pushes (numerals, * /), ``pops`` the items it pops first."""
    trace = H.m10ae_algorithm(STEP_NAMES, symbolic=True)[1]
    return {"p_push": [float(r["pushes"]) for r in trace], "pops": [float(r["pops"]) for r in trace]}


def by_category(a: Analysis) -> pd.DataFrame:
    """Fig. 6 in numbers: per symbol category (N, L, H), the mean P(PUSH), expected pops and the
    saturation (left + right) of each gate."""
    cats = np.array(CATEGORIES)
    rows = {}
    for cat in ("N", "L", "H"):
        sel = cats == cat
        row = {"P(PUSH)": float(a.trace["p_push"][:, sel].mean()), "pops": float(a.trace["pops"][:, sel].mean())}
        for key, gate in (("gate_i", "input"), ("gate_f", "forget"), ("gate_o", "output")):
            g = a.trace[key][:, sel]
            row[f"{gate} saturated"] = float(((g < 0.1) | (g > 0.9)).mean())
        rows[cat] = row
    return pd.DataFrame(rows).T.rename_axis("category")


def memory_norms(a: Analysis) -> pd.DataFrame:
    """The mean L2 norm of every stack cell after every step (rows steps N0..N4, columns cells),
    with ``depth``: how many items the hypothesised algorithm holds there."""
    norms = np.linalg.norm(a.trace["memory"], axis=-1).mean(0)           # (9, N)
    df = pd.DataFrame(norms, index=pd.Index(STEP_NAMES, name="after"), columns=[f"cell {n}" for n in range(norms.shape[1])])
    df["depth"] = [len(r["S"]) for r in H.m10ae_algorithm(STEP_NAMES, symbolic=True)[1]]
    return df


# --- the hypothesised algorithm -------------------------------------------------------------------
def check_set(n: int = ALGO_N, seed: int = ALGO_SEED) -> list:
    """``n`` random expressions per #LPO 0-20 (the test distribution), the same in every profile."""
    from ...engine.train import test_sets
    return [ex for exs in test_sets(M10AE(), n, seed, ALL_LPO).values() for ex in exs]


def algorithm_check(examples: list) -> pd.DataFrame:
    """Run :func:`mannlib.methods.hypotheses.m10ae_algorithm` on each expression and compare with the task's
    evaluator, per #LPO: n, result_ok (final l0 = the value), prefix_ok (after every numeral, l0 =
    the value of the prefix, :func:`mannlib.tasks.m10ae.running_values`), max_stack (largest stack)."""
    rows = []
    for ex in examples:
        result, trace = H.m10ae_algorithm(ex.input)
        values = running_values(ex.input)
        prefix = all(r["l0"] == v[0] for r, v, tok in zip(trace, values, ex.input) if tok.isdigit())
        rows.append({"lpo": count_lpo(ex.input), "result_ok": result == evaluate(ex.input),
                     "prefix_ok": prefix, "max_stack": max(len(r["S"]) for r in trace)})
    df = pd.DataFrame(rows)
    return df.groupby("lpo").agg(n=("result_ok", "size"), result_ok=("result_ok", "sum"),
                                 prefix_ok=("prefix_ok", "sum"), max_stack=("max_stack", "max"))


def left_to_right(tokens) -> int:
    """A wrong hypothesis: evaluate strictly left to right, ignoring that * / bind tighter
    (8+6*3 -> (8+6)*3 % 10 = 2, not 6). Used as Fig. 9's negative example."""
    value = int(tokens[0])
    for op, num in zip(tokens[1::2], tokens[2::2]):
        value = OPERATORS[op](value, int(num))
    return value


@dataclass(frozen=True)
class PanelSpec:
    step: int          # time step 0..8 of N0 L0 N1 H0 N2 H1 N3 L1 N4
    cell: int          # stack cell (0 = top)
    semantics: str     # what the labels stand for, as parts of the structure (Fig. 9's captions)
    label: str         # "stack": the hypothesis's stack item; "left_to_right": the wrong hypothesis
    supports: bool     # True: the hypothesis says the cell holds it; False: a negative example

    def title(self) -> str:
        """Fig. 9's caption form: (time step, cell); semantics."""
        return f"({STEP_NAMES[self.step]}, {self.cell}); {self.semantics}" + ("" if self.supports else " (wrong)")


def figure9_specs() -> list[PanelSpec]:
    """Two positive examples and a negative one on the same vectors as the second. (a) after N2
    the top holds l0, the value of N0 L0 N1 H0 N2; (b) after N4 it holds l0, the value of the
    whole expression; (c) the same cell labelled with the value of the expression evaluated
    strictly left to right (:func:`left_to_right`), a hypothesis that ignores operator priority."""
    sym = H.m10ae_algorithm(STEP_NAMES, symbolic=True)[1]
    return [PanelSpec(4, 0, sym[4]["S"][0], "stack", True),
            PanelSpec(8, 0, sym[8]["S"][0], "stack", True),
            PanelSpec(8, 0, "N0L0N1H0N2H1N3L1N4 left to right", "left_to_right", False)]


def panel_labels(a: Analysis, spec: PanelSpec) -> np.ndarray:
    """(B,) labels of the analysis expressions for one panel: the hypothesis's stack item at
    (step, cell), e.g. 7 or "8*" for a combination, or the left-to-right value."""
    if spec.label == "left_to_right":
        return np.array([left_to_right(t) for t in a.tokens], dtype=object)
    if spec.label != "stack":
        raise ValueError(f"unknown panel label {spec.label!r}; choose one of stack, left_to_right")
    cells = a.trace["memory"].shape[2]
    items = H.m10ae_cell_labels(a.tokens, cells)[:, spec.step, spec.cell]
    if any(v is None for v in items):
        raise ValueError(f"the hypothesis puts nothing in cell {spec.cell} after {STEP_NAMES[spec.step]}")
    return np.array([v if isinstance(v, int) else f"{v[0]}{v[1]}" for v in items], dtype=object)


def figure9_panels(a: Analysis, specs: list[PanelSpec], seed: int = 0) -> dict:
    """{title: TsnePanel}: t-SNE of the cell vectors at each spec's (step, cell), coloured by its
    labels, with the held-out k-NN score, its shuffled-label baseline and chance."""
    return {spec.title(): A.tsne_panel(a.trace["memory"][:, spec.step, spec.cell], panel_labels(a, spec), seed=seed)
            for spec in specs}


def agreement(a: Analysis, seed: int = 0) -> pd.DataFrame:
    """k-NN score of the hypothesis's stack labels at every (step, cell) it fills
    (:func:`mannlib.methods.analysis.hypothesis_agreement`), with the step names."""
    cells = a.trace["memory"].shape[2]
    labels = H.m10ae_cell_labels(a.tokens, cells)
    df = A.hypothesis_agreement(a.trace["memory"], labels, seed=seed)
    df["symbol"] = [STEP_NAMES[t] for t in df["step"]]
    return df


