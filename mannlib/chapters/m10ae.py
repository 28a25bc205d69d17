"""The M10AE chapter (Wang et al. 2019, §3.1 and §3.3): its runs, tables, verdicts and analyses.

notebooks/m10ae.ipynb tells the story; this module computes it:

* runs: :func:`grid_configs` (Wang §3.1's learning-rate x batch-size grid, tuned on the dev set)
  and :func:`configs` (srnn, lstm, tann, sann x seeds at :data:`CHOSEN`), both what
  ``python -m mannlib reproduce m10ae`` trains; :func:`budget` says how much training that is;
* data: :func:`datasets` (the training set a run really uses, the test set) and
  :func:`describe_frame` (``mannlib.tasks.m10ae.describe`` as one tidy table);
* results (Fig. 5): :func:`lpo_scores`, :func:`range_table`, :func:`wall_times`, and the
  claims with verdicts from stated thresholds: :func:`generalisation_claim`,
  :func:`memory_claim`, :func:`srnn_claim`, :func:`convergence_claim`;
* the analysis on the 500 structured expressions N0 L0 N1 H0 N2 H1 N3 L1 N4 (Fig. 6-9):
  :func:`analyse`, :func:`gate_claim`, :func:`policy_claim`, :func:`memory_norms`,
  :func:`stack_claim`, :func:`algorithm_check`, :func:`figure9_panels`, :func:`tsne_claim`.

Verdicts are one of ``reproduced``, ``partly``, ``not reproduced``; every threshold is a module
constant that the chapter quotes. The claim machinery (:class:`Claim`, :func:`verdict`,
:func:`claims_table`) and the result frames are shared with the mirror chapter.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .. import analysis as A, hypotheses as H
from ..cache import Run, train_or_load
from ..config import RunConfig, profile_config
from ..experiments import SEEDS, grid
from ..tasks.m10ae import ANALYSIS_STRUCTURE, M10AE, count_lpo, describe, evaluate, running_values
from . import mirror
from .claims import (NOT_TESTED, Claim, check_models, claims_table, glue_figure, glue_values, pct,  # noqa: F401
                     points, summary, verdict)
from .mirror import ABOVE_SHUFFLED, SUPPORTED, accuracy_frame, curve_frame  # noqa: F401

MODELS = ("srnn", "lstm", "tann", "sann")    # Wang Fig. 5: SimpRNN, LSTM, TANN, SANN
BASELINES = ("srnn", "lstm")                 # no external memory
MEMORY_MODELS = ("tann", "sann")
TRAIN_MAX = M10AE.train_range[1]             # 14: "The maximum #LPO is 14 for training ..."
TEST_LPO = tuple(range(M10AE.test_range[0], M10AE.test_range[1] + 1))   # 15..20 (".. and 20 for validation")
ALL_LPO = tuple(range(0, M10AE.test_range[1] + 1))                       # 0..20, Fig. 5a's x-axis
TRAIN_EXAMPLES = 80_000                      # "80 and 20 thousand examples are generated" (§3.3)

# --- Wang §3.1's settings and our budget ---------------------------------------------------------
GRID = {"lr": (1e-3, 1e-4), "batch_size": (32, 64, 128, 256)}   # "chosen from [0.001, 0.0001]", "[32, ..., 256]"
GRID_EXAMPLES = 12_800   # training examples per grid run (steps = GRID_EXAMPLES / batch): equal data, ~equal CPU
GRID_DEV_N = 100         # dev examples per #LPO 0..14 for the grid (1,500), the choice is made on them
CHOSEN = {"lr": 1e-3, "batch_size": 32}   # not the grid's winner: the grid cannot tell its settings apart at our
                                          # budget, so Adam's default rate and the smallest batch (the most updates);
                                          # the notebook shows the winner and the gap
CELLS = 5                # from {5, 10, 20}: the hypothesised algorithm never holds more than 2 items
STEPS = 1_500            # parameter updates per main run: what our CPU budget allows (see budget())
DEV_N = 20               # dev examples per #LPO 0..14 for the learning curves (300)
EVAL_EVERY = 100         # steps between learning-curve points
CHECKPOINT_EVERY = 500   # resumable every 500 steps
QUICK_LPO = (0, 7, 14, 15, 20)   # the quick profile scores these #LPO only, 8 expressions each
ALGO_N, ALGO_SEED = 200, 7       # the algorithm check: 200 random expressions per #LPO 0-20

# --- thresholds of the verdicts ------------------------------------------------------------------
TARGET = 0.90       # issue 7: SANN >= 90% at #LPO 15-20 (mean over 15-20, median over seeds)
FAR = 0.10          # "SimpRNN performs extremely bad": >= 10 points below LSTM (mean over #LPO 0-20)
RISING = 0.02       # Fig. 5b "converge": a curve has flattened when it gains < 2 points over its last 25% of steps ...
LEARNED = 0.50      # ... at a solution, >= 50% training accuracy (guessing scores 10%), not at the start of learning
SLOW_EPOCHS = 1.0   # "slowly": it first comes within RISING of its final accuracy after more than one epoch
NO_PUSH = 0.10      # Fig. 6b: at + and -, "the push probability goes to zero": P(PUSH) <= 0.1 ...
MANY_POPS = 2.5     # ... "and the expectation of pop times rise up sharply to around 3": >= 2.5 (K = 3)
EMPTY = 0.25        # Fig. 7: the stack is emptied at + -: the top cell's norm <= 25% of its mean at numerals
PUSHED = 2.0        # Fig. 7: a push at * /: cell 1's norm >= 2x its norm at the numeral before


@dataclass(frozen=True)
class Settings:
    profile: str          # paper | quick (mannlib.notebook.PROFILES)
    seeds: tuple          # seeds per model
    steps: int            # parameter updates per main run
    analysis_n: int       # expressions in the analysis set (Wang §3.3: 500)
    analysis_seed: int = 0


def settings(profile: str, steps: int | None = None) -> Settings:
    """paper: Wang's settings at our :data:`STEPS` (or ``steps``), seeds 0-2, 500 analysis
    expressions; quick: two seeds of tiny models for 30 steps, scored at a few #LPO, and 200
    analysis expressions, enough to run every cell in seconds."""
    if profile == "paper":
        return Settings("paper", SEEDS, steps or STEPS, 500)
    if profile == "quick":
        return Settings("quick", (0, 1), steps or 30, 200)
    raise ValueError(f"unknown profile {profile!r}; choose one of paper, quick")


def _paper_overrides(model: str, steps: int) -> dict:
    sizes = {"sizes.cells": CELLS} if model in MEMORY_MODELS else {}
    return dict(sizes, **CHOSEN, steps=steps, dev_n=DEV_N, eval_every=EVAL_EVERY, checkpoint_every=CHECKPOINT_EVERY)


def configs(s: Settings) -> list[RunConfig]:
    """The chapter's main runs: every model x seed at :data:`CHOSEN` with :data:`CELLS` cells and
    ``s.steps`` updates on the fixed 80k training set (paper), or tiny quick versions."""
    if s.profile == "paper":
        return [profile_config("m10ae", m, "paper", seed, **_paper_overrides(m, s.steps))
                for m in MODELS for seed in s.seeds]
    return [profile_config("m10ae", m, "quick", seed, steps=s.steps, eval_every=10, eval_n=8,
                           eval_difficulties=QUICK_LPO) for m in MODELS for seed in s.seeds]


LONG_MODELS = ("srnn", "lstm", "sann")   # "does more training help?": eight times the budget
LONG_STEPS = 12_000      # 384k examples, 4.8 epochs: a SANN run took 16-26 min on one core here
LONG_EVAL_EVERY = 500    # (TANN, at about 2 h per run, did not fit)


def long_configs(s: Settings) -> list[RunConfig]:
    """:data:`LONG_MODELS` x seeds at :data:`LONG_STEPS` updates, otherwise the main runs'
    settings (paper); quick: the quick runs of those models with 60 steps."""
    if s.profile == "paper":
        long = Settings(s.profile, s.seeds, LONG_STEPS, s.analysis_n)
        return [c.replace(eval_every=LONG_EVAL_EVERY) for c in configs(long) if c.model in LONG_MODELS]
    quick = Settings(s.profile, s.seeds, 60, s.analysis_n)
    return [c for c in configs(quick) if c.model in LONG_MODELS]


def grid_configs(s: Settings) -> list[RunConfig]:
    """Wang §3.1's tuning grid for SANN (seed 0): lr x batch size, each run seeing
    :data:`GRID_EXAMPLES` training examples (so a batch of 256 makes 50 updates, one of 32 400)
    and scored on :data:`GRID_DEV_N` dev examples per #LPO 0-14. Quick: the quick learning rate
    and 1e-4 at the quick batch size, 20 steps each."""
    if s.profile == "paper":
        base = profile_config("m10ae", "sann", "paper", 0, **{**_paper_overrides("sann", 1),
                                                                "dev_n": GRID_DEV_N, "eval_n": 20})
        runs = grid(base, **GRID)
        return [c.replace(steps=GRID_EXAMPLES // c.batch_size, eval_every=GRID_EXAMPLES // c.batch_size // 4)
                for c in runs]
    base = profile_config("m10ae", "sann", "quick", 0, steps=20, eval_every=10)
    return grid(base, lr=[base.lr, GRID["lr"][1]])


def load_runs(configs_: list[RunConfig], profile: str) -> list[Run]:
    """Load (or train what is missing of) ``configs_``; quick runs train silently."""
    progress = "none" if profile == "quick" else "auto"
    return [train_or_load(c, progress=progress) for c in configs_]


def tuning_table(runs: list[Run]) -> pd.DataFrame:
    """The grid as a table, best dev accuracy first: lr, batch_size, steps, dev_acc (last point),
    best_dev_acc, wall_s. (As :func:`mannlib.experiments.tune`, from runs already loaded.)"""
    rows = [{"lr": r.config.lr, "batch_size": r.config.batch_size, "steps": r.config.steps,
             "dev_acc": float(r.curve["dev_acc"].iloc[-1]), "best_dev_acc": float(r.curve["dev_acc"].max()),
             "wall_s": float(r.manifest["wall_s"])} for r in runs]
    return pd.DataFrame(rows).sort_values(["dev_acc", "best_dev_acc"], ascending=False, kind="stable")


def grid_choice(tuning: pd.DataFrame, n_dev: int, chosen: dict = CHOSEN) -> dict:
    """Is the grid's winner really better than :data:`CHOSEN`? tuning: :func:`tuning_table`;
    n_dev: dev examples per run. ``gap`` = best dev_acc - chosen dev_acc, ``se`` the standard
    error of that difference (two independent binomials at the pooled accuracy), ``decided``
    whether the gap exceeds 2 se, i.e. whether the grid distinguishes the two settings."""
    best = tuning.iloc[0]
    row = tuning[(tuning["lr"] == chosen["lr"]) & (tuning["batch_size"] == chosen["batch_size"])]
    if row.empty:
        raise ValueError(f"the chosen setting {chosen} is not in the grid")
    mine = row.iloc[0]
    p = (best["dev_acc"] + mine["dev_acc"]) / 2
    se = float(np.sqrt(2 * p * (1 - p) / n_dev))
    gap = float(best["dev_acc"] - mine["dev_acc"])
    return {"best_lr": float(best["lr"]), "best_batch": int(best["batch_size"]), "best_dev": float(best["dev_acc"]),
            "chosen_dev": float(mine["dev_acc"]), "gap": gap, "se": se, "decided": gap > 2 * se,
            "spread": float(tuning["dev_acc"].max() - tuning["dev_acc"].min())}


def budget(s: Settings, config: RunConfig) -> dict:
    """How much training a main run gets: steps, examples seen, epochs over its training set."""
    examples = s.steps * config.batch_size
    n_train = config.train_examples or examples
    return {"steps": s.steps, "batch_size": config.batch_size, "examples": examples, "epochs": examples / n_train}


# --- data ----------------------------------------------------------------------------------------
def datasets(config: RunConfig) -> tuple[list, list]:
    """(training set, test set) exactly as the trainer builds them for ``config``: the fixed
    training set (``TrainingData``, stream [seed, 1], #LPO uniform on 0-14) and the final test
    set (``eval_n`` expressions per #LPO 0-20 from ``eval_seed``, the same for every seed)."""
    from ..tasks import get_task
    from ..train import TrainingData, test_sets
    task = get_task(config.task, **config.task_args)
    train = TrainingData(task, config).fixed or []
    test = [ex for exs in test_sets(task, config.eval_n, config.eval_seed, config.eval_difficulties).values()
            for ex in exs]
    return train, test


def describe_frame(**splits) -> pd.DataFrame:
    """:func:`mannlib.tasks.m10ae.describe` of each named split as one tidy table: columns split,
    quantity (lpo, term_numerals, tokens, label), value, count, fraction (within split and quantity)."""
    rows = []
    for name, examples in splits.items():
        for quantity, counts in describe(examples).items():
            total = sum(counts.values())
            rows += [(name, quantity, v, c, c / total) for v, c in counts.items()]
    return pd.DataFrame(rows, columns=["split", "quantity", "value", "count", "fraction"])


def plot_dataset(df: pd.DataFrame):
    """Four panels from :func:`describe_frame`: the share of each #LPO, numerals per term,
    expression length and result, one colour per split."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    titles = {"lpo": "#LPO", "term_numerals": "numerals per term", "tokens": "tokens per expression",
              "label": "result (class)"}
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.2))
    for ax, (quantity, title) in zip(axes, titles.items()):
        d = df[df["quantity"] == quantity]
        if quantity == "tokens":
            sns.lineplot(d, x="value", y="fraction", hue="split", ax=ax, legend=False)
        else:
            sns.barplot(d, x="value", y="fraction", hue="split", ax=ax, legend=quantity == "lpo")
            ax.tick_params(axis="x", labelsize="x-small")
        ax.set(title=title, xlabel="", ylabel="fraction" if quantity == "lpo" else "")
    fig.tight_layout()
    return fig


def last_numeral_baseline(train: list, test: list) -> pd.Series:
    """Accuracy per #LPO of the best guess from the last numeral alone: for each last numeral,
    the result most common in ``train``; scored on ``test``. What a network that has learned
    nothing compositional can reach (the result of a longer expression is nearly independent of
    any one symbol)."""
    counts = pd.crosstab([int(e.input[-1]) for e in train], [int(e.target[0]) for e in train])
    guess = counts.idxmax(axis=1).to_dict()                             # last numeral -> result
    df = pd.DataFrame({"lpo": [count_lpo(e.input) for e in test],
                       "ok": [guess.get(int(e.input[-1])) == int(e.target[0]) for e in test]})
    return df.groupby("lpo")["ok"].mean().rename("accuracy")


# --- results: Fig. 5 -----------------------------------------------------------------------------
def lpo_scores(acc: pd.DataFrame, lpo=TEST_LPO) -> pd.DataFrame:
    """Mean accuracy over ``lpo`` per (model, seed), then per model: median, min and max over
    seeds (index model, paper order)."""
    per_seed = acc[acc["difficulty"].isin(lpo)].groupby(["model", "seed"])["accuracy"].mean()
    table = per_seed.groupby("model").agg(["median", "min", "max"])
    return table.loc[[m for m in MODELS if m in table.index] + sorted(set(table.index) - set(MODELS))]


def range_table(acc: pd.DataFrame) -> pd.DataFrame:
    """Accuracy per model, "median (min-max)" over seeds in percent: inside the training range
    (#LPO 0-14), beyond it (15-20), and at #LPO 20 alone."""
    cols = {"#LPO 0-14": tuple(range(TRAIN_MAX + 1)), "#LPO 15-20": TEST_LPO, "#LPO 20": (TEST_LPO[-1],)}
    out = {}
    for name, lpo in cols.items():
        t = lpo_scores(acc, lpo)
        out[name] = [f"{100 * a:.1f}% ({100 * b:.0f}-{100 * c:.0f})" for a, b, c in zip(t["median"], t["min"], t["max"])]
    return pd.DataFrame(out, index=t.index)


def wall_times(runs: list[Run]) -> pd.DataFrame:
    """Training cost per model (median over its runs): steps, wall seconds, ms per step, epochs."""
    rows = [{"model": r.config.model, "steps": r.config.steps, "wall_s": float(r.manifest["wall_s"]),
             "ms_per_step": 1000 * float(r.manifest["wall_s"]) / r.config.steps,
             "epochs": r.config.steps * r.config.batch_size / (r.config.train_examples or 1)} for r in runs]
    df = pd.DataFrame(rows).groupby("model").median()
    return df.loc[[m for m in MODELS if m in df.index]]


def longer_training(long_runs: list[Run], runs: list[Run]) -> pd.DataFrame:
    """Does more training help? For each long run (:func:`long_configs`) and the main run of the
    same model and seed: updates, epochs, training accuracy over the last 10% of updates,
    development accuracy (last curve point), test accuracy on #LPO 0-14 and 15-20 and wall time;
    index (model, budget, seed) with budget "main" or "long". :func:`longer_summary` takes
    the median over seeds."""
    main = {(r.config.model, r.config.seed): r for r in runs}
    rows = []
    for long in long_runs:
        for budget, r in (("main", main[long.config.model, long.config.seed]), ("long", long)):
            c, curve = r.config, r.curve
            tail = curve[curve["step"] > 0.9 * c.steps]
            rows.append({"model": c.model, "budget": budget, "seed": c.seed, "steps": c.steps,
                         "epochs": c.steps * c.batch_size / (c.train_examples or c.steps * c.batch_size),
                         "train_acc": float(tail["train_acc"].mean()), "dev_acc": float(curve["dev_acc"].iloc[-1]),
                         "#LPO 0-14": float(r.eval.loc[r.eval.index <= TRAIN_MAX, "accuracy"].mean()),
                         "#LPO 15-20": float(r.eval.loc[r.eval.index > TRAIN_MAX, "accuracy"].mean()),
                         "wall_min": float(r.manifest["wall_s"]) / 60})
    return pd.DataFrame(rows).set_index(["model", "budget", "seed"])


def longer_summary(longer: pd.DataFrame) -> pd.DataFrame:
    """:func:`longer_training`'s columns as the median over seeds per (model, budget), with
    ``seeds`` counting them; models in paper order, "main" before "long"."""
    g = longer.groupby(level=["model", "budget"], sort=False)
    out = g.median().assign(seeds=g.size())
    order = [(m, b) for m in MODELS for b in ("main", "long") if (m, b) in out.index]
    return out.loc[order]


def longer_claims(long_acc: pd.DataFrame, n_per_lpo: int = 500) -> list[Claim]:
    """The claims of Fig. 5a that the long runs can test (TANN is not among them), keys and
    claims marked with the budget: only SANN generalises (against SimpRNN and LSTM), and SimpRNN
    is far below LSTM; same criteria as :func:`generalisation_claim` and :func:`srnn_claim`."""
    return [dataclasses.replace(c, key=f"{c.key}_long", claim=f"{c.claim} ({LONG_STEPS:,} updates)")
            for c in (generalisation_claim(long_acc, LONG_MODELS), srnn_claim(long_acc, n_per_lpo))]


def longer_text(longer: pd.DataFrame, eval_n: int) -> dict:
    """:func:`longer_summary` in words: ``gains`` (per model, the long runs' median test accuracy
    minus the main runs', on #LPO 0-14 and 15-20, in points), ``noise`` (two standard errors of
    such a difference for one run on #LPO 0-14, at the pooled accuracy) and ``helps`` (whether
    any gain exceeds it)."""
    longer = longer_summary(longer)
    parts, helps, noise = [], False, 0.0
    for model in longer.index.get_level_values("model").unique():
        main, long = longer.loc[(model, "main")], longer.loc[(model, "long")]
        d_in, d_out = 100 * (long["#LPO 0-14"] - main["#LPO 0-14"]), 100 * (long["#LPO 15-20"] - main["#LPO 15-20"])
        p = (long["#LPO 0-14"] + main["#LPO 0-14"]) / 2
        noise = max(noise, 200 * float(np.sqrt(2 * p * (1 - p) / (eval_n * (TRAIN_MAX + 1)))))
        helps |= bool(d_in > noise)
        parts.append(f"{model.upper()} {d_in:+.1f} points on #LPO 0-14 and {d_out:+.1f} on 15-20")
    return {"gains": "; ".join(parts), "noise": noise, "helps": helps}


def plot_longer(long_runs: list[Run], runs: list[Run]):
    """Development accuracy against update for each long run (solid) and the main run of the
    same model and seed (dashed), with the 10% of guessing dotted."""
    import matplotlib.pyplot as plt
    main = {(r.config.model, r.config.seed): r for r in runs}
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for long in long_runs:
        key = (long.config.model, long.config.seed)
        first = long.config.seed == min(r.config.seed for r in long_runs if r.config.model == key[0])
        colour = f"C{MODELS.index(key[0])}"
        for r, style in ((long, "-"), (main[key], "--")):
            ax.plot(r.curve["step"], r.curve["dev_acc"], style, color=colour, lw=1, alpha=0.8,
                    label=f"{key[0]} ({r.config.steps:,} updates)" if first else None)
    ax.axhline(0.1, color="0.5", lw=0.8, ls=":")
    ax.set(xlabel="update", ylabel="development accuracy (#LPO 0-14)")
    ax.legend(fontsize="x-small", ncol=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def generalisation_claim(acc: pd.DataFrame, models=MODELS) -> Claim:
    """Fig. 5a, "the performance of all the models except SANN drops quickly with the increase of
    #LPO ... SANN has learned to generalize". Reproduced: SANN's score on #LPO 15-20 (median over
    seeds) is >= TARGET and every other model's (of ``models``) is lower; partly: SANN is the
    best model there and its worst seed beats every other model's best seed."""
    check_models(acc, models, "generalisation_claim")
    s = lpo_scores(acc)
    others = s.drop(index="sann")
    best_other = others["median"].idxmax()
    sann_best = s.loc["sann", "median"] > others["median"].max()
    full = s.loc["sann", "median"] >= TARGET and sann_best
    partial = sann_best and s.loc["sann", "min"] > others["max"].max()
    ours = ("mean accuracy at #LPO 15-20, median over seeds: " + ", ".join(f"{m.upper()} {pct(v)}"
            for m, v in s["median"].items()) + f"; SANN's worst seed {pct(s.loc['sann', 'min'])}, the best other"
            f" seed ({best_other.upper()}) {pct(others.loc[best_other, 'max'])}")
    return Claim("generalise", "Only SANN generalises beyond #LPO 14", "Fig. 5a",
                 f"reproduced: SANN >= {pct(TARGET, 0)} at #LPO 15-20 and the best model there; partly: "
                 "the best model, with every seed above every other model's seeds", ours, verdict(full, partial))


def noise(p: float, n: int) -> float:
    """Two standard errors of the difference of two accuracies near ``p``, each measured on ``n``
    independent test expressions: 2 sqrt(2 p (1 - p) / n). A smaller gap is not a difference."""
    return 2 * float(np.sqrt(2 * p * (1 - p) / n))


def memory_claim(acc: pd.DataFrame, n_per_lpo: int = 500) -> Claim:
    """Fig. 5a, "the models with an external memory are better than the ones without". Scores:
    mean accuracy over #LPO 0-20 (median over seeds), each on ``n_per_lpo`` expressions per #LPO.
    A memory model beats the baselines when it is above the better one by more than
    :func:`noise`. Reproduced: TANN and SANN both do; partly: one of them."""
    check_models(acc, MODELS, "memory_claim")
    s = lpo_scores(acc, ALL_LPO)["median"]
    base = s[list(BASELINES)].max()
    margin = noise(base, n_per_lpo * len(ALL_LPO))
    beats = [m for m in MEMORY_MODELS if s[m] > base + margin]
    ours = ("mean accuracy over #LPO 0-20, median over seeds: " + ", ".join(f"{m.upper()} {pct(v)}" for m, v in s.items())
            + f"; test noise (2 se of a difference) {100 * margin:.1f} points")
    return Claim("memory", "Models with an external memory beat those without", "Fig. 5a",
                 "reproduced: TANN and SANN both above SimpRNN and LSTM by more than the test noise (mean over "
                 "#LPO 0-20); partly: one of them", ours, verdict(len(beats) == 2, len(beats) == 1))


def srnn_claim(acc: pd.DataFrame, n_per_lpo: int = 500) -> Claim:
    """Fig. 5a, "simpRNN performs extremely bad, indicating that the internal memory of LSTM is
    crutial". Reproduced: SimpRNN >= FAR below LSTM (mean over #LPO 0-20, median over seeds)
    and every LSTM seed above every SimpRNN seed; partly: below by more than :func:`noise`."""
    check_models(acc, BASELINES, "srnn_claim")
    s = lpo_scores(acc, ALL_LPO)
    gap = s.loc["lstm", "median"] - s.loc["srnn", "median"]
    margin = noise(s.loc["lstm", "median"], n_per_lpo * len(ALL_LPO))
    full = gap >= FAR and s.loc["lstm", "min"] > s.loc["srnn", "max"]
    ours = (f"mean accuracy over #LPO 0-20: LSTM {pct(s.loc['lstm', 'median'])}, SimpRNN "
            f"{pct(s.loc['srnn', 'median'])} (median over seeds), a gap of {100 * gap:.1f} points "
            f"(test noise {100 * margin:.1f})")
    return Claim("srnn", "SimpRNN is far below LSTM", "Fig. 5a",
                 f"reproduced: >= {points(FAR)} below, every seed; partly: below by more than the test noise",
                 ours, verdict(full, gap > margin))


def late_gain(curves: pd.DataFrame, column: str = "train_acc") -> pd.Series:
    """Per model, the median over seeds of the gain in ``column`` over the last quarter of the
    steps (last point minus the point at 75% of the run)."""
    gains = {}
    for (model, seed), g in curves.groupby(["model", "seed"], sort=False):
        g = g.sort_values("step")
        cut = g[g["step"] <= 0.75 * g["step"].max()]
        start = cut[column].iloc[-1] if len(cut) else g[column].iloc[0]
        gains[(model, seed)] = g[column].iloc[-1] - start
    s = pd.Series(gains).groupby(level=0).median()
    return s.loc[[m for m in MODELS if m in s.index]]


def convergence_claim(curves: pd.DataFrame, epochs: float) -> Claim:
    """Fig. 5b, "all the models converge slowly, which indicates the complexity of the task".
    ``curves``: :func:`curve_frame`; ``epochs``: the passes over its training set that a run
    makes in all (:func:`budget`), so that step k of a run of n steps is k / n * epochs epochs.

    Tests, on each model's training accuracy (median over seeds), that the curve *converges*:
    it flattens (gains < RISING over its last quarter, :func:`late_gain`) at a solution
    (>= LEARNED at the end), and *slowly*: it first comes within RISING of its final accuracy
    after more than SLOW_EPOCHS epochs. Reproduced: every model converges slowly; partly: every
    model converges, some slowly; not reproduced: every model converges, none slowly.
    Not testable (at this budget) when any model has not converged by the end of its run: a
    curve cut short, still rising or still near guessing, shows neither where nor how slowly it
    converges, and the paper gives no number to compare a partial curve with."""
    gain = late_gain(curves)
    ends, settle = {}, {}
    for (model, seed), g in curves.groupby(["model", "seed"], sort=False):
        g = g.sort_values("step")
        final = g["train_acc"].iloc[-1]
        first = g.loc[g["train_acc"] >= final - RISING, "step"].iloc[0]
        ends[(model, seed)], settle[(model, seed)] = final, first / g["step"].max() * epochs
    end = pd.Series(ends).groupby(level=0).median().loc[gain.index]
    settled = pd.Series(settle).groupby(level=0).median().loc[gain.index]
    converged = (gain < RISING) & (end >= LEARNED)
    slow = settled > SLOW_EPOCHS
    ours = f"training accuracy after {epochs:.2f} epochs (median over seeds; gain over the last 25% of steps): " + \
        ", ".join(f"{m.upper()} {pct(end[m], 0)} ({100 * gain[m]:+.1f} points)" for m in gain.index)
    if converged.all():
        ours += "; within " + points(RISING) + " of it from epoch " + ", ".join(
            f"{m.upper()} {settled[m]:.2f}" for m in gain.index)
        result = verdict(bool(slow.all()), bool(slow.any()))
    else:
        cut = [m.upper() for m in gain.index if not converged[m]]
        ours = f"at this budget {', '.join(cut)} ha{'s' if len(cut) == 1 else 've'} not converged; " + ours
        result = NOT_TESTED
    return Claim("converge", "All models converge slowly", "Fig. 5b",
                 f"converged: gains < {points(RISING)} over the last quarter of training at >= {pct(LEARNED, 0)} "
                 f"training accuracy; slowly: within {points(RISING)} of the end only after {SLOW_EPOCHS:g} epoch. "
                 "Reproduced: every model converges slowly; partly: every model converges, some slowly; "
                 "not testable: a model has not converged by the end of its run", ours, result)


def best_seed(runs: list[Run], model: str = "sann") -> Run:
    """The run of ``model`` with the best mean accuracy at #LPO 15-20 (ties: 0-14, then the lower
    seed): the paper analyses the SANN that "has learned to generalize"."""
    return mirror.best_seed(runs, model, TRAIN_MAX)


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


def gate_claim(sat: pd.DataFrame) -> Claim:
    """Fig. 6a, "the controller gates peak at the time steps when the low-priority operators
    appear". A gate peaks there when its saturation (left + right) at each of L0 and L1 exceeds
    that at every other step. Reproduced: all three gates; partly: one or two."""
    total = sat.groupby(["gate", "step"])["ratio"].sum().unstack("step")        # (gates, 9)
    low = [t for t, c in enumerate(CATEGORIES) if c == "L"]
    rest = [t for t in total.columns if t not in low]
    peaks = {g: bool(total.loc[g, low].min() > total.loc[g, rest].max()) for g in total.index}
    ours = "; ".join(f"{g}: {pct(total.loc[g, low].mean())} at + - vs at most {pct(total.loc[g, rest].max())} "
                     "elsewhere" for g in total.index)
    n = sum(peaks.values())
    return Claim("gates", "The controller's gates peak at the low-priority operators", "Fig. 6a",
                 "saturation (left + right) at L0 and L1 above every other step; reproduced: every gate; partly: some",
                 ours, verdict(n == len(peaks), n > 0))


def policy_claim(a: Analysis) -> Claim:
    """Fig. 6b: at + and - "the push probability goes to zero and the expectation of pop times
    rise up sharply to around 3", two halves: mean P(PUSH) <= NO_PUSH at L0 and L1, and mean
    pops >= MANY_POPS there. Reproduced: both halves; partly: one."""
    push, pops = a.trace["p_push"].mean(0), a.trace["pops"].mean(0)       # (9,) each
    low = np.array(CATEGORIES) == "L"
    no_push, many_pops = push[low].max() <= NO_PUSH, pops[low].min() >= MANY_POPS
    ours = (f"at + -: P(PUSH) {push[low].mean():.2f}, pops {pops[low].mean():.2f}; elsewhere P(PUSH) "
            f"{push[~low].min():.2f}-{push[~low].max():.2f}, pops {pops[~low].min():.2f}-{pops[~low].max():.2f}")
    return Claim("policy", "At + and -, P(PUSH) drops to zero and about 3 pops are expected", "Fig. 6b",
                 f"reproduced: P(PUSH) <= {NO_PUSH} and pops >= {MANY_POPS} at L0, L1; partly: one of the two",
                 ours, verdict(bool(no_push and many_pops), bool(no_push or many_pops)))


def memory_norms(a: Analysis) -> pd.DataFrame:
    """The mean L2 norm of every stack cell after every step (rows steps N0..N4, columns cells),
    with ``depth``: how many items the hypothesised algorithm holds there."""
    norms = np.linalg.norm(a.trace["memory"], axis=-1).mean(0)           # (9, N)
    df = pd.DataFrame(norms, index=pd.Index(STEP_NAMES, name="after"), columns=[f"cell {n}" for n in range(norms.shape[1])])
    df["depth"] = [len(r["S"]) for r in H.m10ae_algorithm(STEP_NAMES, symbolic=True)[1]]
    return df


def stack_claim(norms: pd.DataFrame) -> Claim:
    """Fig. 7: "the stack pops all its stored items when it comes to the end of a term ... and
    pushes every time it sees a high-priority operator". Emptied: after L0 and L1 the top cell's
    norm is <= EMPTY x its mean after numerals; pushed: after H0 and H1 cell 1's norm is >= PUSHED
    x its norm after the numeral before. Reproduced: both; partly: one."""
    top, second = norms["cell 0"].to_numpy(), norms["cell 1"].to_numpy()
    cats = np.array(CATEGORIES)
    low, high = np.flatnonzero(cats == "L"), np.flatnonzero(cats == "H")
    emptied = bool(top[low].max() <= EMPTY * top[cats == "N"].mean())
    pushed = bool(all(second[t] >= PUSHED * second[t - 1] for t in high))
    ours = (f"top-cell norm after + - {top[low].mean():.2f} vs {top[cats == 'N'].mean():.2f} after numerals; "
            f"cell 1 after * / " + ", ".join(f"{second[t]:.2f} (from {second[t - 1]:.2f})" for t in high))
    return Claim("stack", "The stack is emptied at + - and pushed at * /", "Fig. 7",
                 f"reproduced: top cell <= {pct(EMPTY, 0)} of its numeral level after + -, and cell 1 grows "
                 f">= {PUSHED:g}x at * /; partly: one of the two", ours, verdict(emptied and pushed, emptied or pushed))


# --- the hypothesised algorithm -------------------------------------------------------------------
def check_set(n: int = ALGO_N, seed: int = ALGO_SEED) -> list:
    """``n`` random expressions per #LPO 0-20 (the test distribution), the same in every profile."""
    from ..train import test_sets
    return [ex for exs in test_sets(M10AE(), n, seed, ALL_LPO).values() for ex in exs]


def algorithm_check(examples: list) -> pd.DataFrame:
    """Run :func:`mannlib.hypotheses.m10ae_algorithm` on each expression and compare with the task's
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
    from ..tasks.m10ae import _APPLY
    value = int(tokens[0])
    for op, num in zip(tokens[1::2], tokens[2::2]):
        value = _APPLY[op](value, int(num))
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
    (:func:`mannlib.analysis.hypothesis_agreement`), with the step names."""
    cells = a.trace["memory"].shape[2]
    labels = H.m10ae_cell_labels(a.tokens, cells)
    df = A.hypothesis_agreement(a.trace["memory"], labels, seed=seed)
    df["symbol"] = [STEP_NAMES[t] for t in df["step"]]
    return df


def tsne_claim(specs: list[PanelSpec], panels: dict) -> Claim:
    """Fig. 9: clear clusters for the hypothesis's values (9a, 9b), none for a wrong one (9c).
    Reproduced: every positive panel's k-NN score >= SUPPORTED and every negative one at least
    ABOVE_SHUFFLED below the positive panel of the same (step, cell); partly: every positive
    panel scores >= ABOVE_SHUFFLED above its shuffled baseline."""
    score = {s.title(): panels[s.title()].score for s in specs}
    pos = [s for s in specs if s.supports]
    same = {(s.step, s.cell): score[s.title()] for s in pos}
    neg_ok = all(score[s.title()] <= same.get((s.step, s.cell), 1.0) - ABOVE_SHUFFLED for s in specs if not s.supports)
    full = all(score[s.title()] >= SUPPORTED for s in pos) and neg_ok
    partial = all(panels[s.title()].score >= panels[s.title()].shuffled_score + ABOVE_SHUFFLED for s in pos)
    ours = "; ".join(f"{s.title()}: k-NN {pct(panels[s.title()].score)} (shuffled {pct(panels[s.title()].shuffled_score)},"
                     f" chance {pct(panels[s.title()].chance)})" for s in specs)
    return Claim("tsne", "Memory cells cluster by the hypothesis's intermediate values", "Fig. 9",
                 f"reproduced: positives >= {pct(SUPPORTED, 0)} k-NN accuracy, the negative >= {points(ABOVE_SHUFFLED)} "
                 f"below the positive on the same cell; partly: positives >= {points(ABOVE_SHUFFLED)} above shuffled",
                 ours, verdict(full, partial))


def algorithm_claim(check: pd.DataFrame) -> Claim:
    """§3.3's pseudo-code is offered as what SANN computes; it should at least compute M10AE.
    Reproduced: the final l0 is right on every checked expression; partly: on most (>= 99%)."""
    n, ok = int(check["n"].sum()), int(check["result_ok"].sum())
    ours = (f"right on {ok:,} of {n:,} random expressions (#LPO 0-{check.index.max()}); l0 equals the prefix's value "
            f"after every numeral in {int(check['prefix_ok'].sum()):,}; at most {int(check['max_stack'].max())} stack items")
    return Claim("algorithm", "The hypothesised algorithm evaluates M10AE", "§3.3 pseudo-code, Fig. 8",
                 "reproduced: right on every expression; partly: on >= 99%", ours, verdict(ok == n, ok >= 0.99 * n))
