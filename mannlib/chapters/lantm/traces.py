"""The appendix figures of Yang 2016 (Figs. 7-11): a trained LANTM run on one long problem with
its trace (:func:`trace_run`), what the trace measures (:func:`read_distances`,
:func:`strength_by_parity`), and its figures (:func:`trace_figure`, :func:`parity_figure`)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ...engine.cache import Run


@dataclass
class Trace:
    run: Run
    size: int                  # the problem size k
    tokens: list               # the input, one token per step (T,)
    steps: dict                # trace key -> numpy array (T, ...) (mannlib.models.lantm.LANTMMemory)
    answer_steps: np.ndarray   # the scored steps (the </s> steps), answer and <e>
    truth: np.ndarray          # token ids of the answer incl. <e>
    pred: np.ndarray
    ok: np.ndarray             # bool per answer character

    @property
    def read_steps(self) -> np.ndarray:
        """The reads that feed a non-marker output: output t uses the read of step t - 1 (Yang
        Fig. 7: "read key i is emitted when the LANTM reads the i th EOI symbol")."""
        return self.answer_steps[:-1] - 1

    @property
    def input_steps(self) -> np.ndarray:
        """The steps of the input characters c_1..c_k (after <s>, before the first </s>)."""
        return np.arange(1, self.answer_steps[0])


def trace_run(run: Run, size: int, seed: int = 0) -> Trace:
    """Run a trained LANTM on one random problem of ``size`` with its trace (Yang appendix B)."""
    task = run.task
    ex = task.sample(np.random.default_rng([seed, size]), 1, size)[0]
    batch = task.encode([ex])
    with torch.no_grad():
        logits, info = run.model(batch.x, trace=True)
    steps = {k: v[0].numpy() for k, v in info.items() if k not in ("read_weights",)}
    m = batch.mask[0]
    truth, pred = batch.y[0][m].numpy(), logits[0].argmax(-1)[m].numpy()
    return Trace(run, size, list(ex.input), steps, np.flatnonzero(m.numpy()), truth, pred, truth == pred)


def write_step_length(tr: Trace) -> float:
    """The median distance between consecutive write keys while the input is read."""
    w = tr.steps["write_key"][tr.input_steps]
    return float(np.median(np.linalg.norm(np.diff(w, axis=0), axis=1))) if len(w) > 1 else math.nan


def read_distances(tr: Trace) -> np.ndarray:
    """Per read of :attr:`Trace.read_steps`: the distance to the nearest key written so far, in
    units of :func:`write_step_length`."""
    w, r = tr.steps["write_key"], tr.steps["read_key"]
    d = [np.linalg.norm(w[:t + 1] - r[t], axis=1).min() for t in tr.read_steps]
    return np.array(d) / write_step_length(tr)


def step_ratio(tr: Trace) -> float:
    """The median distance between consecutive reads of :attr:`Trace.read_steps` over
    :func:`write_step_length`. On copy and reverse the reads should walk the write line one write
    step per answer character (Yang Fig. 7-8), so a ratio r puts the read of character n about
    n |1 - r| write steps off its key: reads that keep pace over 2m characters can still slide
    onto a neighbour over 4m."""
    r = tr.steps["read_key"][tr.read_steps]
    return float(np.median(np.linalg.norm(np.diff(r, axis=0), axis=1))) / write_step_length(tr) if len(r) > 1 else math.nan


def strength_by_parity(tr: Trace) -> dict:
    """Mean write strength at the odd and even input steps (Yang Fig. 11: addition stores each
    digit pair at one parity; the other has "vanishing memory strength")."""
    s, t = tr.steps["write_strength"], tr.input_steps
    return {"odd": float(s[t[t % 2 == 1]].mean()), "even": float(s[t[t % 2 == 0]].mean())}


GATES = {"read_key_gate": ("read key", "tab:blue"), "write_key_gate": ("write key", "tab:red"),
         "read_step_gate": ("read step", "tab:cyan"), "write_step_gate": ("write step", "tab:orange")}


def _key_panel(ax, tr: Trace, reads: np.ndarray, writes: np.ndarray, label_every: int):
    w, s, r = tr.steps["write_key"][writes], tr.steps["write_strength"][writes], tr.steps["read_key"]
    ax.scatter(w[:, 0], w[:, 1], c=s, cmap="Reds", vmin=0, vmax=1, s=40, edgecolors="none", label="write")
    wrong = ~tr.ok[:-1]
    idx = np.searchsorted(tr.read_steps, reads)
    ax.plot(r[reads, 0], r[reads, 1], "-", color="tab:blue", lw=0.6, alpha=0.6)
    ax.scatter(r[reads, 0], r[reads, 1], s=8, c=["gold" if wrong[i] else "tab:blue" for i in idx],
               label="read", zorder=3)
    for j, i in enumerate(idx):
        if i % label_every == 0 or j == len(idx) - 1:
            ax.annotate(str(i), r[reads[j]], fontsize=6, color="tab:blue", xytext=(2, 2), textcoords="offset points")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set(xlabel="key x", ylabel="key y")


def trace_figure(tr: Trace, title: str = ""):
    """Yang Figs. 7-11 in one figure: (a) write keys (red, darker = stronger) and the reads
    that produce the answer (blue, numbered; gold where the answer is wrong), overview and the
    last reads; (b) the four key and step gates over time, dashed at the first </s>; (c) truth,
    prediction and their difference (blue right, red wrong)."""
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(11, 9))
    gs = fig.add_gridspec(3, 2, height_ratios=[3, 1.6, 1.1], width_ratios=[1.6, 1], hspace=0.45)
    reads, writes = tr.read_steps, np.arange(len(tr.tokens))
    _key_panel(fig.add_subplot(gs[0, 0]), tr, reads, writes, label_every=max(1, len(reads) // 8))
    fig.axes[0].set_title("(a) read and write keys")
    last = reads[-min(12, len(reads)):]
    near = np.unique(np.concatenate([np.argsort(np.linalg.norm(tr.steps["write_key"] - tr.steps["read_key"][t], axis=1))[:2]
                                     for t in last]))
    _key_panel(fig.add_subplot(gs[0, 1]), tr, last, near, label_every=1)
    fig.axes[1].set_title("(a') the last reads")
    ax = fig.add_subplot(gs[1, :])
    for key, (name, color) in GATES.items():
        ax.plot(tr.steps[key], color=color, lw=1, label=name)
    ax.axvline(tr.answer_steps[0], color="0.3", ls="--", lw=0.8)
    ax.set(xlabel="time step", ylabel="gate", ylim=(-0.05, 1.05), title="(b) gate values")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax = fig.add_subplot(gs[2, :])
    vocab = tr.run.task.output_size
    colors = plt.get_cmap("hsv")(np.linspace(0, 1, vocab, endpoint=False))
    rgb = np.stack([colors[tr.truth], colors[tr.pred],
                    np.where(tr.ok[:, None], [[0.12, 0.47, 0.71, 1]], [[0.84, 0.15, 0.16, 1]])])
    ax.imshow(rgb, aspect="auto", interpolation="nearest")
    ax.set_yticks([0, 1, 2], ["truth", "prediction", "difference"])
    ax.set(xlabel="answer position", title=f"(c) answer: {int((~tr.ok).sum())} of {len(tr.ok)} characters wrong")
    ax.grid(False)
    fig.suptitle(title or f"{tr.run.config.task}, size {tr.size}")
    return fig


def parity_figure(tr: Trace):
    """Yang Fig. 11a/b: the write strength at every input step of an addition problem, odd
    steps (x digits) and even steps (y digits) in two colours."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 2.8))
    t, s = tr.input_steps, tr.steps["write_strength"]
    for parity, color, name in ((1, "tab:red", "odd steps (x digits)"), (0, "tab:gray", "even steps (y digits)")):
        sel = t[t % 2 == parity]
        ax.bar(sel, s[sel], color=color, label=name, width=0.8)
    ax.set(xlabel="input step", ylabel="write strength", ylim=(0, 1.05))
    ax.legend(fontsize=8)
    return fig
