"""Wang's protocol in the mirror chapter (§3.1: tuned on a development set): the tuning so far,
the chosen cells, and which runs the chapter reads, for notebooks/mirror.ipynb
(:mod:`mannlib.chapters.wang_runs` does the work for both Wang chapters)."""
from __future__ import annotations

import pandas as pd

from ...engine.cache import Run
from ...methods import plots as P
from .. import wang_runs as R
from .results import training_settings
from .settings import MODELS, Settings

TASK = "mirror"


def protocol_text(s: Settings, runs: list[Run]) -> str:
    """Which runs the chapter's figures read, in a sentence or two for the prose."""
    if s.protocol == "fixed":
        return (f"The figures below read runs of one fixed setting, without that search: "
                f"{training_settings(runs)}, last weights. The search itself runs as a campaign (next section); "
                "once the paper protocol's campaign is complete, the chapter reads its runs (the notebook's "
                "`protocol` parameter).")
    return (f"The figures below read the {s.protocol} protocol's runs (next section): for each model the cell "
            "chosen on the development set, trained until its development accuracy stopped improving, at its "
            f"best development checkpoint, with {len(s.seeds)} seeds.")


def protocol_values(profile: str = "paper", models=MODELS) -> dict:
    """:func:`mannlib.chapters.wang_runs.protocol_values` for mirror."""
    return R.protocol_values(TASK, profile, models)


def protocol_progress(profile: str = "paper", models=MODELS) -> pd.DataFrame:
    """Both protocols' campaigns, model by model (:func:`mannlib.chapters.wang_runs.progress`)."""
    return pd.concat({p: R.progress(TASK, p, profile, models) for p in R.PROTOCOLS}, names=["protocol"])


def tuning_table(protocol: str = "paper", profile: str = "paper", models=MODELS) -> pd.DataFrame:
    """The first rung's development accuracy of every cell and the chosen cell, per model."""
    return R.chosen_table(TASK, protocol, profile, models)


def tuning_figure(protocol: str = "paper", profile: str = "paper", models=MODELS):
    """The development curves of every tuning run so far (:func:`mannlib.methods.plots.tuning_curves`)."""
    return P.tuning_curves(R.tuning_curves(TASK, protocol, profile, models))


def protocol_results(profile: str = "paper", models=MODELS, train_max: int = 5) -> pd.DataFrame:
    """Fig. 2a under each complete protocol and its runs' convergence (see
    :func:`mannlib.chapters.wang_runs.protocol_results`)."""
    return R.protocol_results(TASK, profile, models, train_max, xlabel="input length L")
