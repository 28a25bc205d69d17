"""Wang's protocol in the M10AE chapter (§3.1, §3.3: batch size, learning rate and number of cells
tuned on a development set): the tuning so far, the chosen cells, and which runs the chapter
reads, for notebooks/m10ae.ipynb (:mod:`mannlib.chapters.wang_runs` does the work for both Wang
chapters). M10AE's two protocols share their runs; the strict protocol's carry no weights, so
the analyses (Figs. 6-9) always read the paper protocol's runs (:func:`analysis_runs`)."""
from __future__ import annotations

import pandas as pd

from ...engine.cache import Run
from ...engine.config import profile_config
from ...methods import plots as P
from .. import wang_runs as R
from .results import run_epochs
from .settings import (MEMORY_MODELS, MODELS, TRAIN_EXAMPLES, TRAIN_MAX, Settings, budget, configs, fixed_settings,
                       span)

TASK = "m10ae"


def reading_values(s: Settings, runs: list[Run]) -> dict:
    """Which runs the chapter's figures read, as glue values for the prose, so that no sentence
    describes only one of them (§3.1, §3.3: Wang tunes each model and trains it to convergence;
    the fixed setting trains every model alike for a fixed budget): ``protocol_text`` (after the
    tuning grid), ``budget_text`` and ``budget_note`` (the training budget of ``runs``, the main
    runs), ``sizes`` (theirs), ``dev_lpo`` (the #LPO of their development set: the training
    range, or under the protocol the whole dev set), ``analysed_from`` (where the analysed SANN
    comes from), ``caveat`` (the introduction's), ``curve_stop`` (where Fig. 5b's curves end), ``trained_text``
    (how long the main runs trained, for the closing paragraph) and ``reading_note`` (which runs
    the closing paragraph's advice about longer training applies to)."""
    values = {"sizes": sizes_text(runs), "dev_lpo": span(runs[0].config.dev_difficulties or s.train_lpo)}
    if s.protocol == "fixed":
        return values | fixed_values(runs[0].config, budget(s, runs[0].config))
    f = fixed_settings(s)
    fixed, e = budget(f, configs(f)[0]), run_epochs(runs)
    epochs = f"{e.min():.1f} to {e.max():.1f} epochs of its training set"
    return values | {
        "protocol_text": ("That grid and those runs are the fixed setting, which this page keeps for this section and "
                          f"for the long runs only: from Fig. 5 on, the figures read the {s.protocol} protocol's runs "
                          "(next section), each model with its own learning rate, batch size and cells chosen on the "
                          "development set, trained until its development accuracy stopped improving, at its best "
                          f"development checkpoint, with {len(s.seeds)} seeds."),
        "budget_text": (f"Under the {s.protocol} protocol each run trains until its development accuracy stops "
                        f"improving: {e.min():.1f} to {e.max():.1f} epochs of its training set (median "
                        f"{e.median():.1f}), each model at its own chosen batch size."),
        "budget_note": (f"These runs are trained as the paper's protocol asks, unlike the fixed setting's, which stop "
                        f"after {fixed['epochs']:.2f} epochs"),
        "analysed_from": "the paper protocol's run",
        "caveat": (f"from Fig. 5 on, this page reads the runs of Wang's {s.protocol} protocol, each model at its own "
                   f"chosen learning rate, batch size and cells and each run trained until its development accuracy "
                   f"stopped improving ({epochs}), while the tuning grid and the longer-training section keep the "
                   f"fixed setting's runs, which stop after {fixed['epochs']:.2f} epochs"),
        "curve_stop": ("ours stop once their development accuracy has stopped improving, each run at its own step "
                       "(the convergence table of the protocol's section says when and why)"),
        "trained_text": f"with every run trained until its development accuracy stopped improving ({epochs})",
        "reading_note": (f"This page reads the {s.protocol} protocol's runs, which set their own length: each trains "
                         "until its development accuracy stops improving or it reaches the protocol's cap (the "
                         "convergence table of the protocol's section says which).")}


def fixed_values(c, b: dict) -> dict:
    """:func:`reading_values` for a chapter reading the fixed setting's main runs, of config ``c``
    and budget ``b`` (:func:`budget`): "early" only when they stop within their first epoch."""
    early = b["epochs"] < 1
    return {
        "protocol_text": (f"This page's figures read those runs, the fixed setting (learning rate {c.lr:g}, batch size "
                          f"{c.batch_size}, {b['steps']:,} updates, last weights), without the search of Wang's "
                          "protocol; that search runs as a campaign (next section), whose runs the page reads with the "
                          "notebook's protocol parameter set to paper, and in the paper profile by default once the "
                          "campaign is complete."),
        "budget_text": (f"Every run makes {b['steps']:,} updates of {c.batch_size} expressions, "
                        f"{b['examples']:,} examples or {b['epochs']:.2f} epochs of its training set."),
        "budget_note": ("Our models are therefore early in training, and every verdict below must be read with "
                        "that in mind" if early else
                        "Whether that is long enough for every model to converge is what Fig. 5b shows"),
        "analysed_from": "the long run",
        "caveat": (f"we train on two shared CPU cores, every model in one fixed setting for {b['epochs']:.2f} "
                   "epochs of its training set" + (", so this chapter measures what these models learn early"
                                                   if early else "")),
        "curve_stop": "ours are stopped by our budget",
        "trained_text": f"after {b['epochs']:.2f} epochs of training",
        "reading_note": ("This page reads those fixed-setting runs; with the notebook's protocol parameter set to "
                         "paper (in the paper profile the default once that campaign is complete) it reads the runs "
                         "of Wang's protocol instead, each trained until its development accuracy stops improving.")}


def sizes_text(runs: list[Run]) -> str:
    """The main runs' sizes in words: "memories of 5 cells of size 100, controllers of size 100",
    the cells per memory model when they differ (Wang's protocol chooses them per model)."""
    sizes = {r.config.model: r.config.sizes for r in runs}
    cells = {m: sizes[m]["cells"] for m in MEMORY_MODELS if m in sizes}
    n = (f"{next(iter(cells.values()))}" if len(set(cells.values())) == 1 else
         " and ".join(f"{k} ({m.upper()})" for m, k in cells.items()))
    return f"memories of {n} cells of size {sizes['sann']['width']}, controllers of size {sizes['sann']['hidden']}"


def analysis_runs(s: Settings, long_runs: list[Run]) -> list[Run]:
    """The runs the analysed SANN is chosen from (the best-trained): the fixed setting's long runs,
    or under a protocol the paper protocol's final runs (the strict protocol's keep no weights)."""
    return long_runs if s.protocol == "fixed" else R.final_runs(TASK, "paper", s.profile, s.models)


def protocol_values(profile: str = "paper", models=MODELS) -> dict:
    """:func:`mannlib.chapters.wang_runs.protocol_values` for M10AE."""
    return R.protocol_values(TASK, profile, models)


def protocol_progress(profile: str = "paper", models=MODELS) -> pd.DataFrame:
    """Both protocols' campaigns, model by model (:func:`mannlib.chapters.wang_runs.progress`)."""
    return pd.concat({p: R.progress(TASK, p, profile, models) for p in R.PROTOCOLS}, names=["protocol"])


def protocol_tuning_table(protocol: str = "paper", profile: str = "paper", models=MODELS) -> pd.DataFrame:
    """The first rung's development accuracy of every cell (TANN and SANN: per number of memory
    cells) and the chosen cell, per model (:func:`mannlib.chapters.wang_runs.chosen_table`)."""
    return R.chosen_table(TASK, protocol, profile, models)


def tuning_figure(protocol: str = "paper", profile: str = "paper", models=MODELS):
    """The development curves of every tuning run so far (:func:`mannlib.methods.plots.tuning_curves`)."""
    return P.tuning_curves(R.tuning_curves(TASK, protocol, profile, models))


def protocol_results(profile: str = "paper", models=MODELS, train_max: int = TRAIN_MAX) -> pd.DataFrame:
    """Fig. 5a under each complete protocol and its runs' convergence, with the epochs to the best
    development point over the fixed training set (§3.3: 80,000 expressions; the quick profile's
    own) (see :func:`mannlib.chapters.wang_runs.protocol_results`)."""
    examples = TRAIN_EXAMPLES if profile == "paper" else profile_config(TASK, "sann", profile, 0).train_examples
    return R.protocol_results(TASK, profile, models, train_max, xlabel="#LPO", train_examples=examples)
