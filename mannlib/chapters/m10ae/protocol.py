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
from .settings import MEMORY_MODELS, MODELS, TRAIN_EXAMPLES, TRAIN_MAX, Settings, budget, configs, fixed_settings

TASK = "m10ae"


def reading_values(s: Settings, runs: list[Run]) -> dict:
    """Which runs the chapter's figures read, as glue values for the prose: ``protocol_text``
    (after the tuning grid), ``budget_text`` and ``budget_note`` (the training budget of
    ``runs``, the main runs), ``sizes`` (theirs), ``analysed_from`` (where the analysed SANN
    comes from)."""
    values = {"sizes": sizes_text(runs)}
    if s.protocol == "fixed":
        c, b = runs[0].config, budget(s, runs[0].config)
        return values | {
            "protocol_text": (f"This page's figures read those runs, the fixed setting (learning rate {c.lr:g}, "
                              f"batch size {c.batch_size}, {b['steps']:,} updates, last weights), without the search "
                              "of Wang's protocol; that search runs as a campaign (next section), and once its paper "
                              "protocol is complete the chapter reads its runs (the notebook's `protocol` parameter)."),
            "budget_text": (f"Every run makes {b['steps']:,} updates of {c.batch_size} expressions, "
                            f"{b['examples']:,} examples or {b['epochs']:.2f} epochs of its training set."),
            "budget_note": "Our models are therefore early in training, and every verdict below must be read with "
                           "that in mind",
            "analysed_from": "the long run"}
    e, f = run_epochs(runs), fixed_settings(s)
    fixed = budget(f, configs(f)[0])
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
        "analysed_from": "the paper protocol's run"}


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
