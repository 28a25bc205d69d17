"""The results of "Every memory on every task" as tidy frames: accuracy per test length, the learning
rate chosen on the development set, each seed's accuracy in and beyond the training range, and
their means with 95% intervals over seeds.

Everything here is a pure function of frames (columns in each docstring), so that the tests can
feed it hand-made runs; :func:`length_frame` and :func:`dev_frame` are the only readers of runs.

Accuracy is the share of test problems answered entirely right (Wang's accuracy, Yang's coarse
score), per length, averaged over the lengths of a region: ``train`` (the training minimum to m)
and ``beyond`` (m + 1 to 2m). The interval is Student's t over seeds,
mean +- t(0.975, n - 1) s / sqrt(n) with s the sample standard deviation, clipped to [0, 1]; with
one seed there is none (NaN).
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from ...engine.sweep import dev_score

LEVEL = 0.95                 # the intervals' coverage
REGIONS = ("train", "beyond")
REGION_NAMES = {"train": "in the training range", "beyond": "beyond it (m+1 to 2m)"}
PENDING = ("missing", "partial", "done")   # a (model, task) pair's state: no lr chosen yet, fewer seeds, all


# --- from runs ----------------------------------------------------------------------------------
def length_frame(runs, train_max: dict) -> pd.DataFrame:
    """One row per (run, test length): task, model, lr, seed, difficulty, accuracy, fine, region
    (``train`` up to the task's ``train_max[task]``, else ``beyond``)."""
    cols = ["task", "model", "lr", "seed", "difficulty", "accuracy", "fine", "region"]
    frames = [r.eval.reset_index()[["difficulty", "accuracy", "fine"]].assign(
        task=r.config.task, model=r.config.model, lr=r.config.lr, seed=r.config.seed) for r in runs]
    if not frames:
        return pd.DataFrame(columns=cols)
    df = pd.concat(frames, ignore_index=True)
    df["region"] = np.where(df["difficulty"] <= df["task"].map(train_max), "train", "beyond")
    return df[cols]


def dev_frame(runs) -> pd.DataFrame:
    """One row per run: task, model, lr, seed, and its development score (the best dev accuracy
    and the dev fine score at that point: those of the weights ``keep_best`` kept)."""
    rows = []
    for r in runs:
        acc, fine, _ = dev_score(r.curve)
        rows.append({"task": r.config.task, "model": r.config.model, "lr": r.config.lr, "seed": r.config.seed,
                     "dev_acc": acc, "dev_fine": fine})
    return pd.DataFrame(rows, columns=["task", "model", "lr", "seed", "dev_acc", "dev_fine"])


# --- the learning rate --------------------------------------------------------------------------
def choose_lr(dev: pd.DataFrame, tasks, models, lrs) -> pd.DataFrame:
    """The learning rate of each (task, model): of ``lrs``, the one with the highest mean dev
    accuracy over the seeds that every lr of the grid has (then the higher mean dev fine score,
    then the first of ``lrs``). Index (task, model), every pair of ``tasks`` x ``models``; columns
    lr (NaN while no seed has every lr), compared (how many seeds the choice rests on), dev_acc
    and dev_fine (the chosen lr's means), runs (of the pair, at any lr of the grid)."""
    rows = []
    for task, model in itertools.product(tasks, models):
        g = dev[(dev["task"] == task) & (dev["model"] == model)]
        common = set.intersection(*[set(g.loc[np.isclose(g["lr"], lr), "seed"]) for lr in lrs])
        row = {"task": task, "model": model, "lr": math.nan, "compared": len(common),
               "dev_acc": math.nan, "dev_fine": math.nan,
               "runs": int(sum(np.isclose(g["lr"], lr).sum() for lr in lrs))}
        if common:
            at = g[g["seed"].isin(common)]
            means = [(at.loc[np.isclose(at["lr"], lr), "dev_acc"].mean(),
                      at.loc[np.isclose(at["lr"], lr), "dev_fine"].mean(), -i, lr) for i, lr in enumerate(lrs)]
            acc, fine, _, lr = max(means)
            row.update(lr=lr, dev_acc=acc, dev_fine=fine)
        rows.append(row)
    return pd.DataFrame(rows).set_index(["task", "model"])


def chosen(lengths: pd.DataFrame, choice: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`length_frame` at each (task, model)'s chosen learning rate."""
    lr = lengths.set_index(["task", "model"]).index.map(choice["lr"].to_dict())
    return lengths[np.isclose(lengths["lr"].to_numpy(float), np.asarray(lr, float))].reset_index(drop=True)


# --- per seed and over seeds ----------------------------------------------------------------------
def seed_scores(lengths: pd.DataFrame) -> pd.DataFrame:
    """Mean accuracy over the lengths of each region, per (task, model, seed): columns task,
    model, seed, train, beyond (NaN where a region has no length)."""
    g = lengths.groupby(["task", "model", "seed", "region"])["accuracy"].mean().unstack("region")
    return g.reindex(columns=list(REGIONS)).reset_index().rename_axis(columns=None)


def interval(values, level: float = LEVEL) -> tuple[float, float, float, int]:
    """(mean, low, high, n) of ``values`` (NaNs dropped): Student's t interval over the n values,
    clipped to [0, 1]; low and high are NaN for fewer than two values, everything NaN for none."""
    from scipy import stats
    x = np.asarray([v for v in values if v == v], float)
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, 1
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, max(0.0, mean - half), min(1.0, mean + half), n


def summary_frame(scores: pd.DataFrame, choice: pd.DataFrame, seeds) -> pd.DataFrame:
    """One row per (task, model) of ``choice`` (every pair of the setting, trained or not):
    lr, seeds (how many at the chosen lr), runs (at any lr), state (:data:`PENDING`: ``missing``
    while no lr is chosen, ``partial`` with fewer than ``len(seeds)`` seeds, ``done``), and for
    each region its mean, lo and hi over seeds (:func:`interval`)."""
    rows = []
    for (task, model), c in choice.iterrows():
        g = scores[(scores["task"] == task) & (scores["model"] == model)] if c["lr"] == c["lr"] else scores.iloc[:0]
        row = {"task": task, "model": model, "lr": c["lr"], "seeds": len(g), "runs": int(c["runs"])}
        row["state"] = PENDING[0] if not len(g) else PENDING[1] if len(g) < len(tuple(seeds)) else PENDING[2]
        for region in REGIONS:
            mean, lo, hi, _ = interval(g[region] if len(g) else [])
            row.update({f"{region}_mean": mean, f"{region}_lo": lo, f"{region}_hi": hi})
        rows.append(row)
    return pd.DataFrame(rows).set_index(["task", "model"])


def grid(summary: pd.DataFrame, column: str, models, tasks) -> pd.DataFrame:
    """``summary[column]`` as a models x tasks frame (the heatmap's layout), NaN where missing."""
    return summary[column].unstack("task").reindex(index=list(models), columns=list(tasks))


# --- in words and tables ------------------------------------------------------------------------
def cell_text(mean: float, lo: float, hi: float) -> str:
    """"97% [93-100]" (mean, then the 95% interval in percent), "97%" with one seed, "-" for none."""
    if mean != mean:
        return "-"
    if lo != lo:
        return f"{100 * mean:.0f}%"
    return f"{100 * mean:.0f}% [{100 * lo:.0f}-{100 * hi:.0f}]"


def missing_text(runs: int) -> str:
    """Why a pair has no numbers yet: no run at all, or no seed with every lr of the grid."""
    return "not trained yet" if not runs else "lr not chosen yet"


def results_table(summary: pd.DataFrame, names: dict) -> pd.DataFrame:
    """The results for the page: one row per (task, model) with the chosen lr, the seeds behind
    the numbers, and the accuracy in and beyond the training range as "mean [95% interval]";
    pairs without a chosen lr say why (:func:`missing_text`)."""
    rows = []
    for (task, model), r in summary.iterrows():
        row = {"task": task, "model": names.get(model, model),
               "lr": "not chosen yet" if r["lr"] != r["lr"] else f"{r['lr']:g}", "seeds": int(r["seeds"])}
        for region in REGIONS:
            row[REGION_NAMES[region]] = (missing_text(r["runs"]) if r["state"] == PENDING[0]
                                         else cell_text(r[f"{region}_mean"], r[f"{region}_lo"], r[f"{region}_hi"]))
        rows.append(row)
    return pd.DataFrame(rows).set_index(["task", "model"])


def progress(summary: pd.DataFrame) -> dict:
    """How far the matrix is: pairs in each state of :data:`PENDING`."""
    counts = summary["state"].value_counts()
    return {state: int(counts.get(state, 0)) for state in PENDING}
