"""The chapter's figures: Koppula et al. 2018's Figs. 1-5 redrawn from our results, and the memory
networks' recall. Each function draws one figure from the frames and signatures of
:mod:`.analysis` and returns it (the notebook glues it)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ...methods.signatures import Signature, read_signatures
from .analysis import DOMAIN_LABELS, LABELS, reliable

DELTA_LABEL = "δ (steps back)"


def heatmap(ax, matrix, title: str, cmap: str = "Purples", vmin: float = 0.0, vmax: float = 1.0,
            ylabel: str = DELTA_LABEL, labels=LABELS):
    """A (δ, symbol) map on ``ax`` as in Fig. 1a: one column per symbol, one row per δ (labelled
    1.. unless ``ylabel`` is empty), NaN cells grey. Returns the image (for a colour bar)."""
    cmap = plt.get_cmap(cmap).with_extremes(bad="0.85")
    im = ax.imshow(matrix, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    rows = len(matrix)
    ax.set_yticks(range(rows), [str(d) for d in range(1, rows + 1)] if ylabel else [""] * rows, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10, loc="left")
    ax.grid(False)
    return im


def signature_and_forward(sig: Signature, forward: np.ndarray, main: int):
    """Fig. 1: (a) the Shakespeare GRU's signature, (b) its forward accuracy per next symbol."""
    fig, (ax_a, ax_b) = plt.subplots(2, 1, figsize=(11, 6), layout="constrained",
                                     gridspec_kw={"height_ratios": [len(sig.marginal), 1.5]})
    im = heatmap(ax_a, reliable(sig), f"a. memory signature of a 1-layer, {main}-unit GRU: recall of the input δ steps back")
    heatmap(ax_b, forward[None], "b. forward prediction: accuracy on the positions whose next symbol is this one", ylabel="")
    fig.colorbar(im, ax=[ax_a, ax_b], fraction=0.02, label="accuracy")
    return fig


def _recall_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c.startswith("δ=")]


def _recall_panels(table: pd.DataFrame, titles: dict, label, legend_title: str | None):
    """One panel per cell of a table indexed (cell, x): a line of recall per δ for each x."""
    cols = _recall_columns(table)
    deltas = [int(c[2:]) for c in cols]
    cells = [c.lower() for c in table.index.get_level_values(0).unique()]
    fig, axes = plt.subplots(1, len(cells), figsize=(5.5 * len(cells), 4), sharey=True, squeeze=False)
    axes = axes[0]
    for ax, cell in zip(axes, cells):
        for x, row in table.loc[cell.upper(), cols].iterrows():
            ax.plot(deltas, row.to_numpy(dtype=float), marker="o", label=label(x))
        ax.set(title=titles[cell], xlabel=DELTA_LABEL, ylim=(0, 1.02))
        ax.set_xticks(range(1, len(deltas) + 1))
    axes[0].set_ylabel("marginal recall (test accuracy)")
    axes[-1].legend(title=legend_title)
    return fig


def recall_by_size(sizes: pd.DataFrame, domain: str = "news"):
    """Fig. 2: marginal recall against δ for every size of 1-layer GRU (left) and LSTM (right),
    or of the one cell ``sizes`` holds (:func:`~.analysis.size_table`), trained on ``domain``."""
    cells = [c.lower() for c in sizes.index.get_level_values(0).unique()]
    return _recall_panels(sizes, {c: f"{c.upper()}, trained on {domain}" for c in cells}, lambda h: f"[1, {h}]",
                          "[layers, units]")


def recall_by_layer(depth: pd.DataFrame, deep: tuple, perplexity: dict):
    """Fig. 3: marginal recall against δ for every layer of the deep GRU (left) and LSTM (right);
    ``depth`` is :func:`~.analysis.depth_table`, ``perplexity`` cell -> news test perplexity."""
    layers, hidden = deep
    titles = {c: f"[{layers}, {hidden}] {c.upper()}, test perplexity {perplexity[c]:.2f}" for c in perplexity}
    return _recall_panels(depth, titles, lambda l: f"layer {l}", None)


def adaptation(sigs: dict, ppl: dict, domain: str = "news"):
    """Fig. 4: the three LSTMs' signatures (panel title -> signature), lighter green higher; ``ppl``
    their test perplexities on ``domain``."""
    fig, axes = plt.subplots(3, 1, figsize=(11, 9), sharex=True, layout="constrained")
    for ax, (title, sig) in zip(axes, sigs.items()):
        im = heatmap(ax, reliable(sig), f"{title}: {domain} test perplexity {ppl[title]:.3f}", cmap="Greens_r")
    fig.colorbar(im, ax=axes, fraction=0.02, label="accuracy (lighter: higher)")
    return fig


def rnn_against_ngram(gru: Signature, ngram: Signature, diff: np.ndarray, main: int, order: int):
    """Fig. 5: the GRU's recall minus the n-gram's per (δ, symbol), red where the GRU is stronger;
    beside it both marginal recalls."""
    lim = np.nanmax(np.abs(diff))
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(14, 4.2), layout="constrained",
                                     gridspec_kw={"width_ratios": [3, 1.2]})
    im = heatmap(ax_a, diff, f"GRU [1, {main}] recall minus {order}-gram recall", cmap="RdBu_r", vmin=-lim, vmax=lim)
    fig.colorbar(im, ax=ax_a, fraction=0.03, label="difference (red: GRU stronger)")
    ax_b.plot(gru.deltas, gru.marginal, marker="o", label=f"GRU [1, {main}]")
    ax_b.plot(ngram.deltas, ngram.marginal, marker="s", label=f"{order}-gram")
    ax_b.set(xlabel=DELTA_LABEL, ylabel="marginal recall", ylim=(0, 1.02), xticks=range(1, len(gru.marginal) + 1))
    ax_b.legend()
    return fig


def memory_network_recall(paths: list):
    """One panel per file of :func:`~.mann.mann_signatures`: the marginal recall of each state
    (h, r, M) against δ, titled by the file's ``title``."""
    fig, axes = plt.subplots(1, len(paths), figsize=(4.5 * len(paths), 3.8), sharey=True, squeeze=False)
    for ax, path in zip(axes[0], paths):
        meta, sigs = read_signatures(path)
        for key, sig in sigs.items():
            ax.plot(sig.deltas, sig.marginal, marker="o", label=key)
        ax.set(title=meta.get("title", path.stem), xlabel=DELTA_LABEL, ylim=(0, 1.02))
        ax.legend()
    axes[0][0].set_ylabel("marginal recall")
    return fig


def learning_curve_figure(curves: pd.DataFrame, labels: dict | None = None):
    """The dev perplexity of every model trained to the plateau against its updates, one panel per
    dev corpus (``curves`` is :func:`~.analysis.learning_curves`; ``labels``: corpus -> its name in
    the titles, beside :data:`~.analysis.DOMAIN_LABELS`), GRUs solid and LSTMs dashed, the best
    check of each marked with a star (the weights kept, §4's early stopping). The short setting
    has no dev checks: an empty frame draws one empty panel that says so."""
    corpora = list(dict.fromkeys(curves["corpus"])) or [None]
    fig, axes = plt.subplots(1, len(corpora), figsize=(6.5 * len(corpora), 4.5), layout="constrained", squeeze=False)
    colours = plt.get_cmap("tab20").colors
    for ax, corpus in zip(axes[0], corpora):
        panel = curves[curves["corpus"] == corpus]
        for i, (name, c) in enumerate(panel.groupby(level="model", sort=False)):
            updates, ppl = c.index.get_level_values("update"), c["dev perplexity"].to_numpy()
            colour = colours[(2 * i) % 20 + (2 * i) // 20 % 2]
            ax.plot(updates, ppl, marker=".", color=colour, ls="--" if c["cell"].iloc[0] == "lstm" else "-", label=name)
            best = int(np.argmin(ppl))
            ax.plot(updates[best], ppl[best], marker="*", markersize=12, color=colour)
        ax.set(xlabel="update", ylabel="dev perplexity")
        if corpus is None:
            ax.text(0.5, 0.5, "no dev checks: the short setting trains a fixed number of updates", ha="center",
                    va="center", transform=ax.transAxes)
            continue
        names = {"shakespeare": "Shakespeare", **DOMAIN_LABELS, **(labels or {})}
        ax.set_title(f"dev set: {names.get(corpus, corpus)}", fontsize=10, loc="left")
        ax.legend(fontsize=7, ncol=2)
    return fig
