"""The mirror chapter's analysis (Wang et al. 2019, §3.2 "Analysis", Figs. 3-4): :func:`best_seed`
picks the run to analyse, :func:`analyse` runs it on Wang's analysis set with its trace,
:func:`hypothesis` fits the paper's hypothesised strategy to it, :func:`agreement` probes every
labelled (time step, cell), :func:`seed_agreement` does so for every seed."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ...engine.cache import Run
from ...methods import analysis as A, hypotheses as H
from ...tasks.mirror import labels as input_labels
from .. import wang_common
from ..base import pct
from .settings import MEMORY_MODELS, POLICY_KEYS, TARGET, TEST_LENGTHS, TRAIN_MAX, Settings


@dataclass
class Analysis:
    run: Run
    labels: np.ndarray          # (B, L) the input labels 1..9 of the analysis samples
    trace: dict                 # model(x, trace=True)'s trace as numpy arrays, (B, T, ...)
    accuracy: float             # whole-sequence accuracy on the analysis set
    step_names: list            # (T,) x1..xL, <EOS>, y1..yL

    @property
    def model(self) -> str:
        return self.run.config.model

    @property
    def length(self) -> int:
        return self.labels.shape[1]

    @property
    def phases(self) -> dict:
        return A.mirror_phases(self.length)


def beyond_accuracy(run: Run, train_max: int = TRAIN_MAX, column: str = "accuracy") -> float:
    """A run's mean test ``column`` (accuracy or fine) beyond ``train_max`` (lengths 6-10)."""
    return wang_common.beyond_accuracy(run, train_max, column)


def best_seed(runs: list[Run], model: str, train_max: int = TRAIN_MAX) -> Run:
    """The run of ``model`` to analyse (:func:`mannlib.chapters.wang_common.best_seed`): the best
    mean accuracy beyond the training lengths 1-5, ties broken by bit accuracy, then the lower seed."""
    return wang_common.best_seed(runs, model, train_max)


def analysed_model_note(a: Analysis, lengths=TEST_LENGTHS) -> str:
    """Whether the analysed run generalises as the paper's did, in one sentence for the prose;
    ``lengths``: the test lengths beyond training."""
    acc, span = beyond_accuracy(a.run, lengths[0] - 1), f"{lengths[0]}-{lengths[-1]}"
    if acc >= TARGET:
        return f"It generalises ({pct(acc)} at lengths {span}), like the model the paper analyses."
    return (f"It does not generalise ({pct(acc)} at lengths {span}), so what follows shows how our "
            f"{a.model.upper()} solves the training lengths, not the generalising model the paper analyses.")


@torch.no_grad()
def analyse(run: Run, s: Settings) -> Analysis:
    """Run ``run``'s model on Wang's analysis set (``s.analysis_n`` samples of length
    ``s.analysis_length`` whose vectors are the codes of 1..9) and keep its trace."""
    if run.model is None:
        raise ValueError(f"run {run.id} kept no weights (save_weights=False); it cannot be analysed")
    task = run.task
    examples = task.analysis_set(np.random.default_rng(s.analysis_seed), s.analysis_n, s.analysis_length)
    batch = task.encode(examples)
    logits, trace = run.model(batch.x, trace=True)                           # (B, T, 9), {key: (B, T, ...)}
    correct = task.score(logits, batch)["correct"]
    return Analysis(run, np.array([input_labels(e) for e in examples]),
                    {k: A.to_numpy(v) for k, v in trace.items()}, float(correct.float().mean()),
                    A.mirror_step_names(s.analysis_length))


def gate_saturation(a: Analysis) -> pd.DataFrame:
    """Fig. 3a/c: saturation of the controller's input and forget gates per time step."""
    return A.saturation({"input": a.trace["gate_i"], "forget": a.trace["gate_f"]}, step_names=a.step_names)


def policy_summary(a: Analysis) -> pd.DataFrame:
    """Fig. 3b/d: TANN's expected write/read address (eq. 9) or SANN's P(PUSH) and expected
    pops (eqs. 10-11), mean and spread per time step."""
    if a.model not in POLICY_KEYS:
        raise ValueError(f"no read/write policy for {a.model!r}; choose one of {', '.join(POLICY_KEYS)}")
    return A.step_summary(a.trace, POLICY_KEYS[a.model], a.step_names)


def hypothesis(a: Analysis) -> H.CellHypothesis:
    """The paper's hypothesised strategy for the analysed model: SANN's push-all / pop-one
    (:func:`~mannlib.methods.hypotheses.mirror_sann`), or TANN's tape walk
    (:func:`~mannlib.methods.hypotheses.mirror_tann`) from the start cell and stride the model uses
    (:func:`~mannlib.methods.hypotheses.tape_layout`), not the paper's cell 17."""
    cells = a.trace["memory"].shape[2]
    if a.model == "sann":
        return H.mirror_sann(a.length, cells)
    if a.model == "tann":
        start, stride = tann_layout(a)
        return H.mirror_tann(a.length, cells, start=start, stride=stride)
    raise ValueError(f"no hypothesis for {a.model!r}; choose one of {', '.join(MEMORY_MODELS)}")


def tann_layout(a: Analysis) -> tuple[int, int]:
    """(start cell, stride) of an analysed TANN's writing (:func:`~mannlib.methods.hypotheses.tape_layout`)
    for its hypothesis. A stride of 0 (x1 and x2 written to the same cell) contradicts the
    pseudo-code, which moves on after every write: the paper's stride +1 is used instead."""
    if a.model != "tann":
        raise ValueError(f"tann_layout needs a TANN analysis, got {a.model!r}")
    start, stride = H.tape_layout(a.trace["w_write"], a.length)
    return start, stride or 1


def agreement(a: Analysis, hyp: H.CellHypothesis, seed: int = 0) -> pd.DataFrame:
    """Held-out k-NN accuracy of the hypothesis labels at every labelled (step, cell), with its
    shuffled-label baseline and chance (:func:`mannlib.methods.analysis.hypothesis_agreement`), plus
    the step's name and the input position the cell should hold."""
    df = A.hypothesis_agreement(a.trace["memory"], hyp.labels(a.labels), seed=seed)
    where = hyp.frame().set_index(["step", "cell"])
    df["symbol"] = [a.step_names[t] for t in df["step"]]
    df["position"] = [int(where.loc[(t, n), "position"]) for t, n in zip(df["step"], df["cell"])]
    return df


def hypothesis_grid(hyp: H.CellHypothesis) -> pd.DataFrame:
    """What ``hyp`` says every used cell holds after every step: rows cells, columns step names,
    entries "x3" (input position 3) or "" (nothing the hypothesis vouches for)."""
    used = sorted({n for row in hyp.positions for n, p in enumerate(row) if p is not None})
    grid = pd.DataFrame([[f"x{row[n]}" if row[n] is not None else "" for row in hyp.positions] for n in used],
                        index=pd.Index(used, name="cell"), columns=hyp.step_names)
    grid.columns.name = "after step"
    return grid


def seed_agreement(runs: list[Run], s: Settings, seed: int = 0, known: dict | None = None) -> pd.DataFrame:
    """:func:`agreement` summarised for every run of TANN and SANN: one row per (model, seed)
    with the mean accuracy beyond the training lengths, the accuracy on the analysis set, the hypothesis's
    start/stride (TANN, :func:`tann_layout`) and the median probe and shuffled-label scores over its pairs.
    known: {run id: (Analysis, agreement)} already computed, reused rather than redone."""
    rows, known = [], known or {}
    for run in runs:
        if run.config.model not in MEMORY_MODELS:
            continue
        if run.id in known:
            a, agree = known[run.id]
        else:
            a = analyse(run, s)
            agree = agreement(a, hypothesis(a), seed)
        layout = "start {}, stride {:+d}".format(*tann_layout(a)) if a.model == "tann" else ""
        beyond = f"accuracy L {s.test_lengths[0]}-{s.test_lengths[-1]}"
        rows.append({"model": a.model, "seed": run.config.seed, beyond: beyond_accuracy(run, s.train_max),
                     "analysis-set accuracy": a.accuracy, "hypothesis tape layout": layout,
                     "median k-NN score": agree["score"].median(),
                     "median shuffled": agree["shuffled_score"].median(), "pairs": len(agree)})
    return pd.DataFrame(rows).set_index(["model", "seed"])

