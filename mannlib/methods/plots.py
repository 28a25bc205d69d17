"""The figures of the Wang et al. 2019 chapters; each function draws one figure and returns it.

Inputs are tidy DataFrames (columns in each docstring) or the outputs of :mod:`mannlib.methods.analysis`
and :mod:`mannlib.methods.hypotheses`. Models keep one colour in every figure (:func:`model_colors`).
Spread over seeds is drawn as a band around the median: min-max (default) or interquartile.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..models import MODELS

MODEL_ORDER = MODELS   # the paper's models first (Wang Fig. 2, then Yang)
BANDS = ("minmax", "iqr", None)
PHASE_COLORS = {"encoding": "tab:red", "delimiter": "0.5", "decoding": "tab:blue"}  # Wang Fig. 3: red / blue


def model_colors(models) -> dict[str, tuple]:
    """A fixed colour per model name: the paper's models first, others after them."""
    names = list(MODEL_ORDER) + sorted(set(models) - set(MODEL_ORDER))
    return dict(zip(names, sns.color_palette("tab10", len(names))))


def _figure(ax, size=(6, 4)):
    if ax is None:
        return plt.subplots(figsize=size)
    return ax.figure, ax


def _require(df: pd.DataFrame, columns, what: str):
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} needs columns {', '.join(columns)}; missing {', '.join(missing)}")


def _median_band(ax, df: pd.DataFrame, x: str, y: str, band: str | None):
    """One median line per model over seeds, with a min-max or interquartile band."""
    if band not in BANDS:
        raise ValueError(f"unknown band {band!r}; choose one of {', '.join(map(str, BANDS))}")
    _require(df, ["model", x, y], "this plot")
    colors = model_colors(df["model"].unique())
    for model in [m for m in colors if m in set(df["model"])]:
        g = df[df["model"] == model].groupby(x)[y]
        med = g.median()
        ax.plot(med.index, med.values, marker="o", ms=3, color=colors[model], label=model)
        if band:
            lo, hi = (g.min(), g.max()) if band == "minmax" else (g.quantile(0.25), g.quantile(0.75))
            ax.fill_between(med.index, lo.values, hi.values, color=colors[model], alpha=0.2, lw=0)
    ax.set(xlabel=x, ylabel=y)
    ax.legend(title="model")


def accuracy_vs_difficulty(df: pd.DataFrame, train_max: float, y: str = "accuracy", band: str | None = "minmax",
                           xlabel: str = "difficulty", ax=None):
    """Wang Fig. 2a / 5a: test accuracy against difficulty, median over seeds with a band.

    df: one row per (model, seed, difficulty) with columns model, seed, difficulty and ``y``.
    A dashed black line marks ``train_max``, the largest difficulty seen in training.
    """
    fig, ax = _figure(ax)
    _median_band(ax, df, "difficulty", y, band)
    ax.axvline(train_max, color="k", ls="--", lw=1)
    ax.set(xlabel=xlabel, ylabel=y, ylim=(-0.02, 1.02))
    return fig


def learning_curves(df: pd.DataFrame, y: str = "train_acc", band: str | None = "minmax", ax=None, x: str = "step"):
    """Wang Fig. 2b / 5b: training performance against training step (or ``x``: examples, when
    the models' batch sizes differ), median over seeds with a band.

    df: one row per (model, seed, step) with columns model, seed, ``x`` and ``y`` (the run
    cache's curve: train_acc, dev_acc, loss, ...).
    """
    fig, ax = _figure(ax)
    _median_band(ax, df, x, y, band)
    return fig


def tuning_curves(df: pd.DataFrame, x: str = "examples", y: str = "dev_acc"):
    """Wang §3.1's tuning, as it went: one panel per model, the development curve of every grid
    cell it trained (a lighter line for a cell dropped at an earlier rung, the darkest for the
    longest rung reached).

    df: one row per (model, cell, step) with columns model, cell, rung, ``x`` and ``y``
    (:func:`mannlib.chapters.wang_runs.tuning_curves`).
    """
    _require(df, ["model", "cell", "rung", x, y], "tuning_curves")
    models = [m for m in MODEL_ORDER if m in set(df["model"])] + sorted(set(df["model"]) - set(MODEL_ORDER))
    fig, axes = plt.subplots(1, max(len(models), 1), figsize=(3.2 * max(len(models), 1), 3.2), sharey=True,
                             squeeze=False)
    colors, top = model_colors(models), max(int(df["rung"].max()), 1) if len(df) else 1
    for ax, model in zip(axes[0], models):
        for (cell, rung), g in df[df["model"] == model].groupby(["cell", "rung"], sort=False):
            ax.plot(g[x], g[y], color=colors[model], alpha=0.25 + 0.75 * rung / top, lw=0.8 + rung * 0.6,
                    label=cell if rung == top else None)
        ax.set(title=model, xlabel=x, xscale="log")
        if any(line.get_label()[:1] != "_" for line in ax.lines):
            ax.legend(fontsize="x-small")
    axes[0][0].set(ylabel=y, ylim=(-0.02, 1.02))
    fig.tight_layout()
    return fig


def by_protocol(df: pd.DataFrame, train_max: float, xlabel: str = "difficulty", y: str = "accuracy"):
    """Wang Fig. 2a / 5a under each protocol side by side (one panel per value of ``protocol``),
    median over seeds with the min-max band; df as :func:`accuracy_vs_difficulty`'s plus protocol."""
    _require(df, ["protocol", "model", "seed", "difficulty", y], "by_protocol")
    protocols = list(dict.fromkeys(df["protocol"]))
    fig, axes = plt.subplots(1, len(protocols), figsize=(5.5 * len(protocols), 3.8), sharey=True, squeeze=False)
    for ax, p in zip(axes[0], protocols):
        accuracy_vs_difficulty(df[df["protocol"] == p], train_max, y=y, xlabel=xlabel, ax=ax)
        ax.set_title(f"{p} protocol")
    fig.tight_layout()
    return fig


def _step_axis(ax, df: pd.DataFrame):
    """x ticks at every step, labelled with the ``symbol`` column when there is one."""
    steps = sorted(df["step"].unique())
    ax.set_xticks(steps)
    if "symbol" in df.columns:
        names = df.drop_duplicates("step").set_index("step")["symbol"]
        labels = [str(names[s]) for s in steps]
        crowded = max(map(len, labels)) > 3 or len(steps) > 12
        ax.set_xticklabels(labels, rotation=45 if crowded else 0, ha="right" if crowded else "center",
                           rotation_mode="anchor")
    ax.set_xlabel("time step")


def _shade_phases(ax, phases: dict | None):
    """Shade inclusive step ranges {name: (first, last)}, e.g. analysis.mirror_phases(L); phases
    longer than one step are named above the axes (a single step is named by its tick)."""
    for name, (first, last) in (phases or {}).items():
        color = PHASE_COLORS.get(name, "0.5")
        ax.axvspan(first - 0.5, last + 0.5, color=color, alpha=0.08, lw=0)
        if last > first:
            ax.text((first + last) / 2, 1.01, name, transform=ax.get_xaxis_transform(), ha="center",
                    va="bottom", fontsize="small", color=color)


def gate_saturation(sat: pd.DataFrame, phases: dict | None = None, title: str = ""):
    """Wang Fig. 3a/c, 6a: left (< 0.1) and right (> 0.9) saturation ratio per time step, one
    panel per gate. sat: :func:`mannlib.methods.analysis.saturation` (step, gate, side, ratio[, symbol])."""
    _require(sat, ["step", "gate", "side", "ratio"], "gate_saturation")
    gates = list(dict.fromkeys(sat["gate"]))
    fig, axes = plt.subplots(1, len(gates), figsize=(4.5 * len(gates), 3.5), sharey=True, squeeze=False)
    for ax, gate in zip(axes[0], gates):
        sns.lineplot(sat[sat["gate"] == gate], x="step", y="ratio", hue="side", marker="o", ax=ax,
                     palette={"left": "tab:purple", "right": "tab:orange"})
        _shade_phases(ax, phases)
        _step_axis(ax, sat)
        ax.set(ylim=(-0.02, 1.02), ylabel="saturation ratio")
        ax.set_title(f"{gate} gate", pad=18 if phases else 6)
    fig.suptitle(title, y=1.08 if phases else 1.0)
    return fig


def saturation_by_category(sat: pd.DataFrame, title: str = ""):
    """Saturation ratios per input-symbol category (N, L, H, delimiter), bars by side, one panel
    per gate. sat: :func:`mannlib.methods.analysis.saturation_by_category`."""
    _require(sat, ["category", "gate", "side", "ratio"], "saturation_by_category")
    grid = sns.catplot(sat, x="category", y="ratio", hue="side", col="gate", kind="bar", height=3.2,
                       palette={"left": "tab:purple", "right": "tab:orange"})
    grid.set(ylim=(0, 1))
    grid.figure.suptitle(title, y=1.05)
    return grid.figure


def policy_over_time(summary: pd.DataFrame, groups=None, phases: dict | None = None,
                     hypothesis: dict | None = None, title: str = ""):
    """Wang Fig. 3b/d, 6b: mean read/write policy per time step with a +-1 std band.

    summary: :func:`mannlib.methods.analysis.step_summary` (step, quantity, mean, std[, symbol]).
    groups: quantities sharing a panel, e.g. [["addr_write", "addr_read"]] (TANN, eq. 9) or
    [["p_push"], ["pops"]] (SANN, eqs. 10-11); default one panel per quantity.
    hypothesis: {quantity: (T,) values} drawn dotted, e.g. ``CellHypothesis.policy``.
    """
    _require(summary, ["step", "quantity", "mean", "std"], "policy_over_time")
    groups = groups or [[q] for q in dict.fromkeys(summary["quantity"])]
    fig, axes = plt.subplots(1, len(groups), figsize=(4.5 * len(groups), 3.5), squeeze=False)
    colors = dict(zip(summary["quantity"].unique(), sns.color_palette("Set1")))
    for ax, group in zip(axes[0], groups):
        for q in group:
            d = summary[summary["quantity"] == q]
            ax.plot(d["step"], d["mean"], marker="o", ms=3, color=colors[q], label=q)
            ax.fill_between(d["step"], d["mean"] - d["std"], d["mean"] + d["std"], color=colors[q],
                            alpha=0.15, lw=0)
            if hypothesis and q in hypothesis:
                ax.plot(np.arange(len(hypothesis[q])), np.asarray(hypothesis[q], dtype=float), ls=":",
                        marker="x", color=colors[q], label=f"{q} (hypothesis)")
        _shade_phases(ax, phases)
        _step_axis(ax, summary)
        ax.legend(fontsize="small")
    fig.suptitle(title, y=1.06 if phases else 1.0)
    return fig


def memory_heatmaps(mean_mem, step_names=None, title: str = ""):
    """Wang Fig. 7: the averaged memory (T, N, k) (:func:`mannlib.methods.analysis.mean_memory`), one
    heatmap per time step, cells down (0 = stack top) and the first k dimensions across."""
    m = np.asarray(mean_mem)
    T, N, k = m.shape
    fig, axes = plt.subplots(1, T, figsize=(0.5 * k * T + 1.5, 0.25 * N + 1.2), sharey=True, squeeze=False)
    vmax = np.abs(m).max() or 1.0
    for t, ax in enumerate(axes[0]):
        im = ax.imshow(m[t], cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="auto")
        ax.set_title(step_names[t] if step_names is not None else str(t), fontsize="small")
        ax.set_xticks(range(k))
        ax.tick_params(labelsize="x-small")
        ax.grid(False)
    axes[0][0].set_ylabel("cell")
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8)
    fig.suptitle(title, y=1.04)
    return fig


def tsne_scatter(panel, title: str = "", ax=None):
    """Wang Fig. 4 / 9, one panel: the t-SNE embedding coloured by hypothesis label, titled with
    the held-out probe accuracy, its shuffled-label baseline and chance. panel: analysis.TsnePanel."""
    fig, ax = _figure(ax, (4, 4))
    labels = np.array([str(v) for v in panel.labels])
    order = sorted(set(labels), key=lambda s: (len(s), s))
    sns.scatterplot(x=panel.embedding[:, 0], y=panel.embedding[:, 1], hue=labels, hue_order=order, s=10,
                    palette="tab10" if len(order) <= 10 else "husl", linewidth=0, ax=ax)
    ax.legend(fontsize="x-small", markerscale=1.5, loc="best", ncol=1 + len(order) // 10)
    ax.set(xticks=[], yticks=[])
    ax.set_title(f"{title}\n{panel.probe} acc {panel.score:.2f} (shuffled {panel.shuffled_score:.2f},"
                 f" chance {panel.chance:.2f})", fontsize="small")
    return fig


def tsne_grid(panels: dict, ncols: int = 3):
    """Several :func:`tsne_scatter` panels, {title: TsnePanel}, in a grid (Fig. 4: six, Fig. 9: three)."""
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4 * ncols, 4 * nrows), squeeze=False)
    for ax, (title, panel) in zip(axes.ravel(), panels.items()):
        tsne_scatter(panel, title, ax)
    for ax in axes.ravel()[len(panels):]:
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def agreement_heatmap(agreement: pd.DataFrame, value: str = "score", title: str = ""):
    """Probe accuracy of a hypothesis at every labelled (time step, cell):
    :func:`mannlib.methods.analysis.hypothesis_agreement` (step, cell, score, shuffled_score, chance)."""
    _require(agreement, ["step", "cell", value], "agreement_heatmap")
    grid = agreement.pivot(index="cell", columns="step", values=value)
    fig, ax = plt.subplots(figsize=(0.45 * grid.shape[1] + 2, 0.3 * grid.shape[0] + 1.5))
    sns.heatmap(grid, vmin=0, vmax=1, cmap="viridis", annot=grid.shape[1] <= 25, fmt=".2f",
                annot_kws={"fontsize": 6}, ax=ax)
    ax.set_title(title)
    return fig


def trace_table(frame: pd.DataFrame, title: str = ""):
    """Wang Fig. 8: the variables of the hypothesised M10AE algorithm after each input symbol.
    frame: :func:`mannlib.methods.hypotheses.m10ae_trace_frame` (rows variables, columns (step, symbol))."""
    symbols = [c[1] if isinstance(c, tuple) else str(c) for c in frame.columns]
    chars = [max(len(str(v)) for v in [sym, *frame.iloc[:, i]]) + 3 for i, sym in enumerate(symbols)]
    chars = [max(len(str(v)) for v in frame.index) + 2] + chars        # the row labels first
    fig, ax = plt.subplots(figsize=(0.1 * sum(chars) + 0.5, 0.3 * len(frame) + 0.8))
    ax.set_axis_off()
    table = ax.table(cellText=frame.values, rowLabels=list(frame.index), colLabels=symbols, loc="center",
                     cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    for (row, col), cell in table.get_celld().items():
        cell.set_width(chars[col + 1] / sum(chars))
        if row == 0 or col == -1:
            cell.set_text_props(fontweight="bold")
    ax.set_title(title)
    return fig


def interval_heatmap(mean: pd.DataFrame, lo: pd.DataFrame, hi: pd.DataFrame, title: str = "",
                     missing: str | pd.DataFrame = "no runs", ax=None):
    """Accuracies on a grid (rows x columns, e.g. models x tasks) coloured by ``mean`` (0-1), each
    cell annotated with its mean and, below it, its interval [lo-hi] in percent (``lo`` NaN: the
    mean alone, e.g. one seed). A NaN mean leaves the cell grey, labelled ``missing`` (one text,
    or a frame of the grid's shape with one per cell)."""
    if not (mean.shape == lo.shape == hi.shape):
        raise ValueError(f"mean, lo and hi must have one shape, got {mean.shape}, {lo.shape}, {hi.shape}")
    fig, ax = _figure(ax, (1.0 * mean.shape[1] + 2.5, 0.55 * mean.shape[0] + 1.5))
    text = np.full(mean.shape, "", dtype=object)
    for i, j in np.ndindex(mean.shape):
        m, a, b = mean.iat[i, j], lo.iat[i, j], hi.iat[i, j]
        text[i, j] = "" if m != m else f"{100 * m:.0f}%" if a != a else f"{100 * m:.0f}%\n[{100 * a:.0f}-{100 * b:.0f}]"
    values = mean.astype(float)
    sns.heatmap(values, vmin=0, vmax=1, cmap="viridis", mask=values.isna(), annot=text, fmt="",
                annot_kws={"fontsize": 7}, cbar_kws={"label": "accuracy"}, ax=ax)
    ax.set_facecolor("0.88")
    for i, j in zip(*np.where(values.isna().to_numpy())):
        label = missing if isinstance(missing, str) else missing.iat[i, j]
        ax.text(j + 0.5, i + 0.5, label, ha="center", va="center", fontsize=7, color="0.35")
    ax.grid(False)
    ax.set(title=title, xlabel="", ylabel="")
    ax.tick_params(axis="x", rotation=30)
    ax.tick_params(axis="y", rotation=0)
    return fig
