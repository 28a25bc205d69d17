"""The mirror chapter's claims (Wang et al. 2019, §3.2, Figs. 2-4), each a pure function from
result frames or analyses to a :class:`~mannlib.chapters.base.Claim` with a verdict computed
from the thresholds in :mod:`.settings`."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...methods import analysis as A
from ..base import NOT_TESTED, Claim, check_models, pct, points, verdict
from ..wang_common import ABOVE_SHUFFLED, BASELINES, MEMORY_MODELS, SUPPORTED, progress_axis
from .analysis import Analysis
from .results import beyond_scores, steps_to
from .settings import CALM, CONVERGED, GAP, OPPOSITE, SHARP, TARGET, TEST_LENGTHS


# --- Fig. 2 ---------------------------------------------------------------------------------------
def generalisation_claim(acc: pd.DataFrame, model: str, lengths=TEST_LENGTHS) -> Claim:
    """Fig. 2a, "both SANN and TANN can generalize beyond input length of training samples".
    Reproduced: the median over seeds is >= TARGET at every length; partly: some seed is, or
    the median is at the first test length."""
    check_models(acc, [model], "generalisation_claim")
    sel = acc[(acc["model"] == model) & acc["difficulty"].isin(lengths)]
    median = sel.groupby("difficulty")["accuracy"].median()                    # (lengths,)
    seeds_ok = sel.groupby("seed")["accuracy"].min() >= TARGET
    worst = int(median.idxmin())
    full = bool((median >= TARGET).all())
    partial = bool(seeds_ok.any() or median.iloc[0] >= TARGET)
    ours = (f"median over {sel['seed'].nunique()} seeds: {pct(median.min())} at its worst length "
            f"(L = {worst}), {pct(median.iloc[0])} at L = {median.index[0]}; {int(seeds_ok.sum())} of "
            f"{len(seeds_ok)} seeds reach {pct(TARGET, 0)} at every length {lengths[0]}-{lengths[-1]}")
    return Claim(f"generalise_{model}", f"{model.upper()} generalises beyond the training length {lengths[0] - 1}",
                 "Fig. 2a",
                 f"reproduced: median >= {pct(TARGET, 0)} at every length {lengths[0]}-{lengths[-1]}; "
                 f"partly: one seed does, or the median does at L = {lengths[0]}", ours, verdict(full, partial))


def baseline_claim(acc: pd.DataFrame, lengths=TEST_LENGTHS) -> Claim:
    """Fig. 2a: the models without external memory are clearly lower. Scores: mean accuracy on
    ``lengths`` (median over seeds). Reproduced: the better baseline is >= GAP below the worse
    memory model; partly: >= GAP below the better one. Not testable when the runs leave out a
    baseline (the notebook's ``models`` parameter)."""
    check_models(acc, MEMORY_MODELS, "baseline_claim")
    s = beyond_scores(acc, lengths)
    criterion = (f"reproduced: the better baseline is >= {points(GAP)} below both TANN and SANN; "
                 "partly: below one of them")
    claim = "SimpRNN and LSTM, without external memory, do clearly worse"
    missing = [m for m in BASELINES if m not in s.index]
    if missing:
        return Claim("baselines", claim, "Fig. 2a", criterion, f"not trained: {', '.join(m.upper() for m in missing)}",
                     NOT_TESTED)
    base, low, high = s[list(BASELINES)].max(), s[list(MEMORY_MODELS)].min(), s[list(MEMORY_MODELS)].max()
    ours = "mean accuracy at lengths {}-{} (median over seeds): {}".format(
        lengths[0], lengths[-1], ", ".join(f"{m.upper()} {pct(v)}" for m, v in s.items()))
    return Claim("baselines", claim, "Fig. 2a", criterion, ours, verdict(base <= low - GAP, base <= high - GAP))


def _steps_text(steps: pd.Series) -> str:
    if steps.isna().all():
        return "never"
    med = steps.fillna(np.inf).median()
    reached = steps.dropna()
    span = f"{reached.min():,.0f}-{reached.max():,.0f}" if len(reached) > 1 else f"{reached.min():,.0f}"
    never = f", {int(steps.isna().sum())} never" if steps.isna().any() else ""
    return f"{'never' if np.isinf(med) else f'{med:,.0f}'} (seeds: {span}{never})"


def convergence_claim(curves: pd.DataFrame, threshold: float = CONVERGED) -> Claim:
    """Fig. 2b, "SANN converges faster than TANN": the step at which the training accuracy
    first reaches ``threshold`` (in training examples instead when SANN and TANN trained with
    different batch sizes, as under Wang's protocol: :func:`~mannlib.chapters.wang_common.progress_axis`).
    Reproduced: SANN's median is smaller; partly: SANN's fastest seed beats TANN's fastest."""
    check_models(curves, MEMORY_MODELS, "convergence_claim")
    x = progress_axis(curves) if "examples" in curves.columns else "step"
    unit = "steps" if x == "step" else "training examples"
    steps = steps_to(curves, threshold, x=x)
    by = {m: steps.loc[steps["model"] == m, "step"] for m in MEMORY_MODELS}
    inf = {m: s.fillna(np.inf) for m, s in by.items()}
    full = inf["sann"].median() < inf["tann"].median()
    partial = inf["sann"].min() < inf["tann"].min()
    ours = (f"{unit} to {pct(threshold, 0)} training accuracy, median over seeds: SANN {_steps_text(by['sann'])}, "
            f"TANN {_steps_text(by['tann'])}")
    return Claim("converge", "SANN converges faster than TANN", "Fig. 2b",
                 f"reproduced: SANN's median {unit} to {pct(threshold, 0)} training accuracy are fewer; "
                 "partly: its fastest seed is faster", ours, verdict(full, partial))


# --- Figs. 3-4: the analysis ----------------------------------------------------------------------
def delimiter_jump(sat: pd.DataFrame, length: int) -> tuple[float, float]:
    """(jump, calm): the largest change of any saturation ratio at the delimiter or right after
    it (x_L -> <EOS>, <EOS> -> y1), and the largest change between consecutive encoding steps
    x1..xL. sat: :func:`gate_saturation`."""
    wide = sat.pivot_table(index="step", columns=["gate", "side"], values="ratio")   # (T, 4)
    diffs = wide.diff().abs()
    jump = float(diffs.loc[length:length + 1].max().max())
    calm = float(diffs.loc[1:length - 1].max().max()) if length > 1 else 0.0
    return jump, calm


def delimiter_claim(sats: dict, length: int) -> Claim:
    """Fig. 3a/c: "both TANN and SANN are sensitive of the delimiter ... after which dramatic
    changes of saturation rate appear". sats: {model: :func:`gate_saturation`}. A model shows it
    when some ratio changes by >= SHARP at <EOS> or y1, and by >= CALM times the largest change
    between encoding steps."""
    shows, parts = [], []
    for model, sat in sats.items():
        jump, calm = delimiter_jump(sat, length)
        shows.append(jump >= SHARP and jump >= CALM * calm)
        parts.append(f"{model.upper()} {points(jump)} at <EOS> or y1 vs up to {points(calm)} between encoding steps")
    return Claim("delimiter", "The gates' saturation changes sharply at the delimiter", "Fig. 3a, 3c",
                 f"a ratio changes by >= {points(SHARP)} at <EOS> or y1, >= {CALM:g}x any change between "
                 "encoding steps; reproduced: both models; partly: one",
                 "largest change of a saturation ratio: " + "; ".join(parts), verdict(all(shows), any(shows)))


def focus_moves(w, steps) -> list[int]:
    """Circular moves (in -N/2 < move <= N/2) of the focus, the argmax cell of the mean
    weighting (B, T, N) over samples, between consecutive ``steps``."""
    mean = A.to_numpy(w).mean(0)                                             # (T, N)
    N, cells = mean.shape[1], [int(mean[t].argmax()) for t in steps]
    moves = [(b - a) % N for a, b in zip(cells, cells[1:])]
    return [m - N if m > N // 2 else m for m in moves]


def opposite_policies(a: Analysis) -> tuple[bool, str]:
    """Fig. 3b/d, "the policies for encoding ... and decoding ... are opposite": (holds, text).

    TANN: the write focus moves by a constant stride s != 0 over x1..xL and the read focus by -s
    over y1..yL. SANN: mean P(PUSH) over encoding exceeds that over decoding by >= OPPOSITE and
    mean expected pops over decoding exceed those over encoding by >= OPPOSITE."""
    (e0, e1), (d0, d1) = a.phases["encoding"], a.phases["decoding"]
    if a.model == "tann":
        write = focus_moves(a.trace["w_write"], range(e0, e1 + 1))
        read = focus_moves(a.trace["w_read"], range(d0, d1 + 1))
        holds = len(set(write)) == 1 and write[0] != 0 and set(read) == {-write[0]}
        return holds, f"TANN write focus moves {write} while encoding, read focus {read} while decoding"
    if a.model == "sann":
        enc, dec = slice(e0, e1 + 1), slice(d0, d1 + 1)
        push = a.trace["p_push"][:, enc].mean(), a.trace["p_push"][:, dec].mean()
        pops = a.trace["pops"][:, enc].mean(), a.trace["pops"][:, dec].mean()
        holds = push[0] - push[1] >= OPPOSITE and pops[1] - pops[0] >= OPPOSITE
        return holds, (f"SANN P(PUSH) {push[0]:.2f} encoding vs {push[1]:.2f} decoding, "
                       f"pops {pops[0]:.2f} vs {pops[1]:.2f}")
    raise ValueError(f"no policy for {a.model!r}; choose one of {', '.join(MEMORY_MODELS)}")


def policy_claim(analyses: list[Analysis]) -> Claim:
    """Fig. 3b/d: opposite encoding and decoding policies; reproduced for both models, partly one."""
    results = [opposite_policies(a) for a in analyses]
    return Claim("policy", "Encoding and decoding policies are opposite, \"reversing in their own ways\"",
                 "Fig. 3b, 3d",
                 f"TANN: read focus walks back with the write stride; SANN: P(PUSH) and pops differ by "
                 f">= {OPPOSITE} between the phases. Reproduced: both; partly: one",
                 "; ".join(text for _, text in results),
                 verdict(all(h for h, _ in results), any(h for h, _ in results)))


def hypothesis_claim(model: str, agree: pd.DataFrame, others: dict | None = None) -> Claim:
    """Fig. 4: the hypothesised strategy explains the memory. agree: :func:`agreement` of the
    analysed run; others: {seed: median score} of the other seeds, quoted for context.
    Reproduced: median probe accuracy >= SUPPORTED; partly: >= ABOVE_SHUFFLED above shuffled."""
    score, shuffled = agree["score"].median(), agree["shuffled_score"].median()
    rest = "" if not others else "; other seeds: " + ", ".join(f"seed {k} {pct(v)}" for k, v in others.items())
    ours = (f"k-NN accuracy over {len(agree)} labelled (step, cell) pairs: median {pct(score)} "
            f"(shuffled labels {pct(shuffled)}, chance {pct(agree['chance'].median())}){rest}")
    return Claim(f"hypothesis_{model}", f"The hypothesised {model.upper()} strategy explains its memory cells",
                 "Fig. 4", f"median k-NN accuracy >= {pct(SUPPORTED, 0)}; partly: >= "
                 f"{points(ABOVE_SHUFFLED)} above shuffled labels", ours,
                 verdict(score >= SUPPORTED, score >= shuffled + ABOVE_SHUFFLED))
