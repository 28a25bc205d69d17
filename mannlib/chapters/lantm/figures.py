"""The LANTM chapter's result figures: Table 3 as curves (:func:`scores_figure`) and the
learning curves of the runs (:func:`curves_figure`)."""
from __future__ import annotations

import pandas as pd

from ...engine.cache import Run
from .settings import MODELS, TASKS


def scores_figure(scores: pd.DataFrame, y: str = "coarse"):
    """Table 3 as curves: per task, the score against the problem size, median over seeds with
    the min-max band, the training maximum m dashed."""
    import matplotlib.pyplot as plt
    from ...methods import plots as P
    tasks = [t for t in TASKS if t in set(scores["task"])]
    fig, axes = plt.subplots(1, len(tasks), figsize=(3.2 * len(tasks), 3.2), sharey=True, squeeze=False)
    for ax, task in zip(axes[0], tasks):
        df = scores[scores["task"] == task].rename(columns={"size": "difficulty"})
        P.accuracy_vs_difficulty(df, train_max=int(df["m"].iloc[0]), y=y, xlabel="problem size", ax=ax)
        ax.set_title(task)
        ax.set_ylabel(f"{y} score" if ax is axes[0][0] else "")
        if ax is not axes[0][-1]:
            ax.get_legend().remove()
    return fig


def curves_figure(runs: list[Run], y: str = "dev_acc"):
    """Learning curves: the dev coarse score (sizes m/2, m, 3m/2, 2m) against the update, one
    line per run."""
    import matplotlib.pyplot as plt
    from ...methods.plots import model_colors
    tasks = [t for t in TASKS if any(r.config.task == t for r in runs)]
    colors = model_colors(MODELS)
    fig, axes = plt.subplots(1, len(tasks), figsize=(3.2 * len(tasks), 3.0), sharey=True, squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for r in runs:
            if r.config.task == task:
                ax.plot(r.curve["step"], r.curve[y], color=colors[r.config.model], lw=1, alpha=0.8,
                        label=f"{r.config.model} {r.config.seed}")
        ax.set(title=task, xlabel="update", ylim=(-0.02, 1.02))
    axes[0][0].set_ylabel("dev coarse score")
    axes[0][-1].legend(fontsize=7)
    return fig
