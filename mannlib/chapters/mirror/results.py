"""The mirror chapter's results (Wang et al. 2019, Fig. 2): tables of accuracy per length, steps
to convergence, and sentences for the prose that read correctly whatever the numbers are."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...engine.cache import Run
from ..base import pct
from ..wang_common import model_order
from .settings import BASELINES, CONVERGED, GAP, MEMORY_MODELS, TARGET, TEST_LENGTHS, TRAIN_MAX


def training_settings(runs: list[Run]) -> str:
    """The learning rate and batch size of the runs, in words: one setting or "per model"."""
    settings_ = {(r.config.lr, r.config.batch_size, r.config.steps) for r in runs}
    if len(settings_) == 1:
        lr, batch, steps = settings_.pop()
        return f"learning rate {lr:g}, batch size {batch} and {steps:,} updates for every model"
    return "the per-model learning rates, batch sizes and numbers of updates in the table"


def sizes_text(runs: list[Run]) -> str:
    """The memory and controller sizes of the runs, in words: "TANN and SANN with N = 20 memory cells of
    size M = 20, controllers of size 100"."""
    def values(key, models):
        found = sorted({r.config.sizes.get(key) for r in runs if r.config.model in models} - {None})
        return " or ".join(map(str, found)) or "?"
    models = {r.config.model for r in runs}
    mem = [m for m in MEMORY_MODELS if m in models]
    return (f"{' and '.join(m.upper() for m in mem)} with N = {values('cells', mem)} memory cells of size "
            f"M = {values('width', mem)}, controllers of size {values('hidden', models)}")


def length_table(acc: pd.DataFrame, lengths=TEST_LENGTHS) -> pd.DataFrame:
    """Accuracy per model at each length: median, min and max over seeds. Index model;
    columns (length, stat) with stat in median, min, max."""
    sel = acc[acc["difficulty"].isin(lengths)]
    table = sel.groupby(["model", "difficulty"])["accuracy"].agg(["median", "min", "max"]).unstack("difficulty")
    table = table.swaplevel(axis=1).sort_index(axis=1, level=0, sort_remaining=False)
    table.columns.names = ["length", "stat"]
    return table.loc[model_order(table.index)]


def show_length_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`length_table` as text, one column per length: "median (min-max)" in percent."""
    out = {}
    for length in dict.fromkeys(table.columns.get_level_values(0)):
        t = table[length]
        out[f"L = {length}"] = [f"{pct(a)} ({100 * b:.0f}-{100 * c:.0f})"
                                for a, b, c in zip(t["median"], t["min"], t["max"])]
    return pd.DataFrame(out, index=table.index)


def steps_to(curves: pd.DataFrame, threshold: float = CONVERGED, column: str = "train_acc",
             x: str = "step") -> pd.DataFrame:
    """The first curve point (its ``x``: step, or examples) at which ``column`` reaches
    ``threshold``, per (model, seed); NaN when it never does. Columns model, seed, step (the
    point's ``x``)."""
    rows = []
    for (model, seed), g in curves.groupby(["model", "seed"], sort=False):
        hit = g.loc[g[column] >= threshold, x]
        rows.append({"model": model, "seed": seed, "step": float(hit.min()) if len(hit) else np.nan})
    return pd.DataFrame(rows, columns=["model", "seed", "step"])


def beyond_scores(acc: pd.DataFrame, lengths=TEST_LENGTHS) -> pd.Series:
    """Mean accuracy over ``lengths`` per (model, seed), then the median over seeds: per model."""
    sel = acc[acc["difficulty"].isin(lengths)]
    per_seed = sel.groupby(["model", "seed"])["accuracy"].mean()
    scores = per_seed.groupby("model").median()
    return scores.loc[model_order(scores.index)]


def within_scores(acc: pd.DataFrame, train_max: int = TRAIN_MAX) -> pd.Series:
    """Mean accuracy on the training lengths 1-``train_max`` per (model, seed), median over seeds: per model."""
    return beyond_scores(acc, tuple(range(1, train_max + 1)))


def fit_text(acc: pd.DataFrame, train_max: int = TRAIN_MAX) -> str:
    """How well each model fits the training lengths, for the prose."""
    scores = within_scores(acc, train_max)
    return f"median accuracy on lengths 1-{train_max}: " + ", ".join(f"{m.upper()} {pct(v)}" for m, v in scores.items())


def closest_seed(acc: pd.DataFrame, models=MEMORY_MODELS, lengths=TEST_LENGTHS[:3]) -> str:
    """The single run of ``models`` with the best mean accuracy beyond the training lengths (up to
    ``lengths[0] - 1``), and its accuracy at ``lengths``: "SANN seed 1: 94.2% at length 6, 44.0% at 7, 6.0% at 8"."""
    sel = acc[acc["model"].isin(models)]
    per_run = sel[sel["difficulty"] >= lengths[0]].groupby(["model", "seed"])["accuracy"].mean()
    model, seed = per_run.idxmax()
    run = sel[(sel["model"] == model) & (sel["seed"] == seed)].set_index("difficulty")["accuracy"]
    parts = [f"{pct(run[d])} at {'length ' if i == 0 else ''}{d}" for i, d in enumerate(lengths)]
    return f"{model.upper()} seed {seed}: " + ", ".join(parts)


def generalisation_lesson(acc: pd.DataFrame, lengths=TEST_LENGTHS) -> str:
    """What Fig. 2a says about the paper's main claim, in one to three sentences for the prose;
    ``lengths``: the test lengths beyond training."""
    train_max = lengths[0] - 1
    beyond, within = beyond_scores(acc, lengths), within_scores(acc, train_max)
    memory = [m for m in MEMORY_MODELS if m in beyond.index]
    good = [m for m in memory if beyond[m] >= TARGET]
    base = [m for m in BASELINES if m in beyond.index]
    if good == memory and memory and all(beyond[b] <= beyond[memory].min() - GAP for b in base):
        return "As in the paper, the memory models generalise beyond the training lengths and the baselines do not."
    if good:
        names = " and ".join(m.upper() for m in good)
        return f"Of the memory models, {names} generalise{'s' if len(good) == 1 else ''} by our criterion."
    text = f"None of our memory models generalises beyond length {train_max} by our criterion (the median over seeds)"
    if memory and (within[memory] >= TARGET).all():
        text += (", although both fit the training lengths: with our settings they found solutions that "
                 f"work up to length {train_max} without an algorithm that carries over to longer inputs")
    return text + f". The closest single run is {closest_seed(acc, memory, lengths[:3])}."
