"""The figures of "Every memory on every task", each a function of the result frames
(:mod:`.results`) that returns the figure."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd

from ...methods.plots import accuracy_vs_difficulty, interval_heatmap, model_colors
from .results import REGION_NAMES, REGIONS, grid, missing_text


def heatmap_figure(summary: pd.DataFrame, models, tasks, names: dict):
    """Two panels, models x tasks: the accuracy in the training range and beyond it, each cell the
    mean over seeds at the chosen learning rate with its 95% interval; grey where no lr is chosen
    yet ("not trained": no run; "lr not chosen": no seed with every lr of the grid)."""
    fig, axes = plt.subplots(2, 1, figsize=(1.0 * len(tasks) + 3, 2 * (0.55 * len(models) + 1.3)), sharex=True)
    for ax, region in zip(axes, REGIONS):
        cells = {k: grid(summary, f"{region}_{k}", models, tasks) for k in ("mean", "lo", "hi")}
        for frame in cells.values():
            frame.index = [names[m] for m in frame.index]
        why = grid(summary, "runs", models, tasks).fillna(0).map(lambda n: missing_text(n).replace(" yet", ""))
        interval_heatmap(cells["mean"], cells["lo"], cells["hi"], title=f"accuracy {REGION_NAMES[region]}",
                         missing=why, ax=ax)
    fig.tight_layout()
    return fig


def curves_figure(lengths: pd.DataFrame, models, tasks, train_max: dict, names: dict, ncols: int = 4):
    """Accuracy against test length, one panel per task, one line per model (median over seeds at
    its chosen learning rate) with a band from the lowest to the highest seed; the dashed line is
    the training maximum m. ``lengths``: :func:`~.results.chosen` rows (task, model, seed,
    difficulty, accuracy)."""
    ncols = min(ncols, len(tasks) + 1)
    nrows = math.ceil((len(tasks) + 1) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 2.8 * nrows), squeeze=False)
    panels = axes.ravel()
    colors = model_colors(models)
    for ax, task in zip(panels, tasks):
        df = lengths[lengths["task"] == task]
        if df.empty:
            ax.text(0.5, 0.5, "no results yet", ha="center", va="center", transform=ax.transAxes, color="0.4")
            ax.set(xticks=[], yticks=[])
        else:
            accuracy_vs_difficulty(df, train_max[task], band="minmax", xlabel="length", ax=ax)
            ax.get_legend().remove()
        ax.set_title(task)
    for ax in panels[len(tasks):]:
        ax.set_axis_off()
    handles = [plt.Line2D([], [], color=colors[m], marker="o", ms=3, label=names[m]) for m in models]
    panels[len(tasks)].legend(handles=handles, title="model", loc="center", frameon=False)
    fig.tight_layout()
    return fig
