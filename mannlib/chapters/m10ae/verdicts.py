"""The M10AE chapter's claims (Wang et al. 2019, §3.3, Figs. 5-9), each a pure function from
result frames or the analysis to a :class:`~mannlib.chapters.base.Claim` with a verdict computed
from the thresholds in :mod:`.settings`. A claim that compares models the runs leave out (the
notebook's ``models`` parameter) is ``not testable`` and says which were not trained."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ..base import NOT_TESTED, Claim, check_models, noise, pct, points, verdict
from ..wang_common import ABOVE_SHUFFLED, BASELINES, MEMORY_MODELS, MODELS, SUPPORTED
from .analysis import CATEGORIES, Analysis, PanelSpec
from .results import late_gain, lpo_scores
from .settings import (ALL_LPO, EMPTY, FAR, LEARNED, LONG_MODELS, LONG_STEPS, MANY_POPS, NO_PUSH, PUSHED, RISING,
                       SLOW_EPOCHS, TARGET, TRAIN_MAX, lpo_ranges, span)


def untrained(acc: pd.DataFrame, models) -> list[str]:
    """The models of ``models`` that ``acc`` holds no run of, in paper order."""
    return [m for m in MODELS if m in set(models) and m not in set(acc["model"])]


def not_trained(key: str, claim: str, figure: str, criterion: str, missing: list[str]) -> Claim:
    """A claim the runs cannot test because they leave out ``missing`` (the ``models`` parameter)."""
    return Claim(key, claim, figure, criterion, f"not trained: {', '.join(m.upper() for m in missing)}", NOT_TESTED)


# --- Fig. 5 ---------------------------------------------------------------------------------------
def generalisation_claim(acc: pd.DataFrame, models=MODELS, train_max: int = TRAIN_MAX) -> Claim:
    """Fig. 5a, "the performance of all the models except SANN drops quickly with the increase of
    #LPO ... SANN has learned to generalize". Reproduced: SANN's score beyond the training range
    (#LPO 15-20 for ``train_max`` 14; median over seeds) is >= TARGET and every other model's
    (of ``models``) is lower; partly: SANN is the best model there and its worst seed beats
    every other model's best seed. Not testable when the runs leave out a model of ``models``."""
    check_models(acc, ["sann"], "generalisation_claim")
    beyond = span(lpo_ranges(train_max)[1])
    claim = f"Only SANN generalises beyond #LPO {train_max}"
    criterion = (f"reproduced: SANN >= {pct(TARGET, 0)} at #LPO {beyond} and the best model there; partly: "
                 "the best model, with every seed above every other model's seeds")
    if missing := untrained(acc, models):
        return not_trained("generalise", claim, "Fig. 5a", criterion, missing)
    s = lpo_scores(acc[acc["model"].isin(models)], lpo_ranges(train_max)[1])
    others = s.drop(index="sann")
    best_other = others["median"].idxmax()
    sann_best = s.loc["sann", "median"] > others["median"].max()
    full = s.loc["sann", "median"] >= TARGET and sann_best
    partial = sann_best and s.loc["sann", "min"] > others["max"].max()
    ours = (f"mean accuracy at #LPO {beyond}, median over seeds: " + ", ".join(f"{m.upper()} {pct(v)}"
            for m, v in s["median"].items()) + f"; SANN's worst seed {pct(s.loc['sann', 'min'])}, the best other"
            f" seed ({best_other.upper()}) {pct(others.loc[best_other, 'max'])}")
    return Claim("generalise", claim, "Fig. 5a", criterion, ours, verdict(full, partial))


def memory_claim(acc: pd.DataFrame, n_per_lpo: int = 500) -> Claim:
    """Fig. 5a, "the models with an external memory are better than the ones without". Scores:
    mean accuracy over #LPO 0-20 (median over seeds), each on ``n_per_lpo`` expressions per #LPO.
    A memory model beats the baselines when it is above the better one by more than
    :func:`noise`. Reproduced: TANN and SANN both do; partly: one of them. Not testable when the
    runs leave out one of the four models."""
    claim = "Models with an external memory beat those without"
    criterion = ("reproduced: TANN and SANN both above SimpRNN and LSTM by more than the test noise (mean over "
                 "#LPO 0-20); partly: one of them")
    if missing := untrained(acc, MODELS):
        return not_trained("memory", claim, "Fig. 5a", criterion, missing)
    s = lpo_scores(acc, ALL_LPO)["median"]
    base = s[list(BASELINES)].max()
    margin = noise(base, n_per_lpo * len(ALL_LPO))
    beats = [m for m in MEMORY_MODELS if s[m] > base + margin]
    ours = ("mean accuracy over #LPO 0-20, median over seeds: " + ", ".join(f"{m.upper()} {pct(v)}" for m, v in s.items())
            + f"; test noise (2 se of a difference) {100 * margin:.1f} points")
    return Claim("memory", claim, "Fig. 5a", criterion, ours, verdict(len(beats) == 2, len(beats) == 1))


def srnn_claim(acc: pd.DataFrame, n_per_lpo: int = 500) -> Claim:
    """Fig. 5a, "simpRNN performs extremely bad, indicating that the internal memory of LSTM is
    crutial". Reproduced: SimpRNN >= FAR below LSTM (mean over #LPO 0-20, median over seeds)
    and every LSTM seed above every SimpRNN seed; partly: below by more than :func:`noise`. Not
    testable when the runs leave out SimpRNN or LSTM."""
    claim = "SimpRNN is far below LSTM"
    criterion = f"reproduced: >= {points(FAR)} below, every seed; partly: below by more than the test noise"
    if missing := untrained(acc, BASELINES):
        return not_trained("srnn", claim, "Fig. 5a", criterion, missing)
    s = lpo_scores(acc, ALL_LPO)
    gap = s.loc["lstm", "median"] - s.loc["srnn", "median"]
    margin = noise(s.loc["lstm", "median"], n_per_lpo * len(ALL_LPO))
    full = gap >= FAR and s.loc["lstm", "min"] > s.loc["srnn", "max"]
    ours = (f"mean accuracy over #LPO 0-20: LSTM {pct(s.loc['lstm', 'median'])}, SimpRNN "
            f"{pct(s.loc['srnn', 'median'])} (median over seeds), a gap of {100 * gap:.1f} points "
            f"(test noise {100 * margin:.1f})")
    return Claim("srnn", claim, "Fig. 5a", criterion, ours, verdict(full, gap > margin))


def longer_claims(long_acc: pd.DataFrame, n_per_lpo: int = 500, train_max: int = TRAIN_MAX,
                  steps: int = LONG_STEPS) -> list[Claim]:
    """The claims of Fig. 5a that the long runs can test (TANN is not among them), keys and
    claims marked with the budget, ``steps``: the updates the long runs made (the paper profile's
    :data:`LONG_STEPS`; pass the runs' own, fewer in the quick profile): only SANN generalises
    (against SimpRNN and LSTM), and SimpRNN is far below LSTM; same criteria as
    :func:`generalisation_claim` and :func:`srnn_claim`."""
    return [dataclasses.replace(c, key=f"{c.key}_long", claim=f"{c.claim} ({steps:,} updates)")
            for c in (generalisation_claim(long_acc, LONG_MODELS, train_max), srnn_claim(long_acc, n_per_lpo))]


def convergence_claim(curves: pd.DataFrame, epochs, stops=None) -> Claim:
    """Fig. 5b, "all the models converge slowly, which indicates the complexity of the task".
    ``curves``: :func:`curve_frame`; ``epochs``: the passes over its training set that a run
    makes in all, one number for every run (:func:`budget`) or per (model, seed) (Wang's
    protocol, runs stopped by patience: :func:`run_epochs`), so that step k of a run of n steps
    is k / n * epochs epochs; ``stops``: how each run ended, per (model, seed) "budget",
    "patience" or "cap" (:func:`run_stops`; None: by the budget, or by patience when ``epochs``
    is per run), which only words ``ours`` (:func:`ended_text`).

    Tests, on each model's training accuracy (median over seeds), that the curve *converges*:
    it flattens (gains < RISING over its last quarter, :func:`late_gain`) at a solution
    (>= LEARNED at the end), and *slowly*: it first comes within RISING of its final accuracy
    after more than SLOW_EPOCHS epochs. Reproduced: every model converges slowly; partly: every
    model converges, some slowly; not reproduced: every model converges, none slowly.
    Not testable (at this budget) when any model has not converged by the end of its run: a
    curve cut short, still rising or still near guessing, shows neither where nor how slowly it
    converges, and the paper gives no number to compare a partial curve with."""
    gain = late_gain(curves)
    per_run = dict(epochs) if isinstance(epochs, (dict, pd.Series)) else None
    ends, settle = {}, {}
    for (model, seed), g in curves.groupby(["model", "seed"], sort=False):
        g = g.sort_values("step")
        final = g["train_acc"].iloc[-1]
        first = g.loc[g["train_acc"] >= final - RISING, "step"].iloc[0]
        e = per_run[(model, seed)] if per_run is not None else epochs
        ends[(model, seed)], settle[(model, seed)] = final, first / g["step"].max() * e
    end = pd.Series(ends).groupby(level=0).median().loc[gain.index]
    settled = pd.Series(settle).groupby(level=0).median().loc[gain.index]
    converged = (gain < RISING) & (end >= LEARNED)
    slow = settled > SLOW_EPOCHS
    ways = dict(stops) if stops is not None else {k: "patience" if per_run else "budget" for k in ends}
    until = ("until it stopped improving" if "cap" not in ways.values() else
             "until it stopped improving or reached the cap")
    trained = (f"{epochs:.2f} epochs" if per_run is None else
               f"{min(per_run.values()):.1f}-{max(per_run.values()):.1f} epochs, each run {until}")
    ours = f"training accuracy after {trained} (median over seeds; gain over the last 25% of steps): " + \
        ", ".join(f"{m.upper()} {pct(end[m], 0)} ({100 * gain[m]:+.1f} points)" for m in gain.index)
    if converged.all():
        ours += "; within " + points(RISING) + " of it from epoch " + ", ".join(
            f"{m.upper()} {settled[m]:.2f}" for m in gain.index)
        result = verdict(bool(slow.all()), bool(slow.any()))
    else:
        cut = [m for m in gain.index if not converged[m]]
        ours = ended_text(cut, [w for (m, _), w in ways.items() if m in cut]) + ours
        result = NOT_TESTED
    return Claim("converge", "All models converge slowly", "Fig. 5b",
                 f"converged: gains < {points(RISING)} over the last quarter of training at >= {pct(LEARNED, 0)} "
                 f"training accuracy; slowly: within {points(RISING)} of the end only after {SLOW_EPOCHS:g} epoch. "
                 "Reproduced: every model converges slowly; partly: every model converges, some slowly; "
                 "not testable: a model has not converged by the end of its run", ours, result)


def ended_text(models: list[str], ways: list[str]) -> str:
    """The start of :func:`convergence_claim`'s ``ours`` for ``models`` that have not converged,
    by how their runs ended (``ways``: "budget", "patience" or "cap", one per run): "at this budget
    SANN has not converged; " (the fixed setting), or under Wang's protocol that they had not
    converged when their runs stopped by patience, reached the cap, or some of each."""
    names, one = ", ".join(m.upper() for m in models), len(models) == 1
    if set(ways) <= {"budget"}:
        return f"at this budget {names} ha{'s' if one else 've'} not converged; "
    own = "its runs" if one else "their runs"
    if set(ways) == {"patience"}:
        return f"{names} had not converged when {own} stopped by patience (no better development accuracy); "
    if set(ways) == {"cap"}:
        return f"{names} had not converged when {own} reached the protocol's cap; "
    counts = ", ".join(f"{ways.count(w)} {what}" for w, what in (("patience", "stopped by patience"),
                       ("cap", "at the protocol's cap"), ("budget", "at the budget")) if w in ways)
    return f"{names} had not converged by the end of {own} ({counts}); "


# --- Figs. 6-9: the analysis ---------------------------------------------------------------------
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
