"""The chapter's claims: four of Koppula et al. 2018 (Figs. 1-4), each with its verdict.

:func:`judge` is a pure function of the results (name -> result of one unit); :func:`claims`
makes sure they exist (the paper profile reads the committed results of the setting the book
reads, data/signatures/<:data:`~.settings.TRAINED`>, trains nothing and says what is missing; quick trains the tiny
versions if missing, as the chapter does) and judges them. The verdicts'
thresholds are the constants below, which the criteria quote.
"""
from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd

from ...methods.signatures import perplexity_gap_ratio
from ...papers import koppula as K
from ..base import NOT_TESTED, Claim, MissingRuns, pct, points, verdict
from . import pipeline
from .analysis import DOMAIN_LABELS, distance_matrix, fig4_signatures, language_models
from .settings import PLATEAU_CAPS, Profile, fig4_units, percent, resolve, results_dir, units

PAPER = K.PAPER

DECLINE = 0.30      # Fig. 1: recall falls by >= 30 points from δ = 1 to δ = Δ ...
RISE = 0.02         # ... and never rises by more than 2 points from one δ to the next ("continuous")
CLOSER = 2.0        # Fig. 4: perplexity gap to the Shakespeare model >= 2x the gap to the news model (paper: 4.0)
ONE_MODEL = "one model per setting (no seeds)"   # the spread of every claim


def paper_says() -> dict[str, str]:
    """What the paper reports for each claim key (§4-§6), from :mod:`mannlib.papers.koppula`."""
    layers = K.DEEP[0]
    return {"decline": f"'{K.QUOTES['decline']}' (a heatmap)",
            "size": f"recall '{K.QUOTES['size']}' from {K.SIZES[0]} to {K.SIZES[-1]} units (a heatmap); "
                    f"perplexity down {100 * K.PERPLEXITY_DROP:.0f}%",
            "depth": f"recall '{K.QUOTES['depth']}' from layer 1 to {layers} (a heatmap)",
            "adaptation": f"WSJ perplexity {K.PPL_SHAKESPEARE:.3f} (Shakespeare), {K.PPL_RETRAINED:.3f} (retrained), "
                          f"{K.PPL_WSJ:.3f} (WSJ): a gap {K.GAP_RATIO:.1f}x smaller to the WSJ model; "
                          "signatures alike (visual)"}


def mean_recall(result: dict, layer: int = 1) -> float:
    """The marginal recall of ``layer``'s signature, averaged over δ."""
    return float(result["signatures"][f"layer{layer}"].marginal.mean())


def claims(profile="paper") -> list[tuple[Claim, str]]:
    """The four claims of :func:`judge` on the chapter's results of ``profile`` (a name, or a
    :class:`Profile` of :func:`~.settings.settings`), each with its spread ("one model per
    setting"). Quick: trains what is missing, quietly. Paper: trains nothing (hours of CPU), and
    raises :class:`~mannlib.chapters.base.MissingRuns` naming the missing units unless every
    result is committed, as the other chapters do."""
    p = resolve(profile)
    if p.name == "paper":
        out = results_dir(p)
        missing = [u.name for u in units(p) if not (out / f"{u.name}.json").exists()]
        if missing:
            raise MissingRuns(f"the scorecard reads the committed results, and {len(missing)} memory_signatures units "
                              f"are missing from {out} ({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}): "
                              "run notebooks/memory_signatures.ipynb or `python -m mannlib reproduce signatures` first")
    with contextlib.redirect_stdout(io.StringIO()):   # one line per unit trained; paper: none (committed)
        pipeline.reproduce(p, jobs=1)
    return [(c, ONE_MODEL) for c in judge(pipeline.load_results(p), p)]


def judge(r: dict, p: Profile) -> list[Claim]:
    """Four claims of Koppula et al. 2018 from the results ``r`` of profile ``p``. Each claim
    compares recall rates or perplexities of models that are all trained; what each one tests:

    * decline (Fig. 1): the Shakespeare GRU's marginal recall falls by >= DECLINE from δ = 1 to
      δ = Δ and never rises by more than RISE between neighbouring δ; partly: the fall alone.
    * size (Fig. 2): mean recall over δ grows with every kernel size, for GRU and LSTM;
      partly: the largest model above the smallest for both.
    * depth (Fig. 3): mean recall falls with every layer of the 4-layer GRU and LSTM; partly:
      layer 1 above the last layer for both.
    * adaptation (Fig. 4): the retrained LSTM's signature is closer (RMS over cells with >=
      MIN_COUNT positions) to the news LSTM's than to the Shakespeare LSTM's, and its news
      perplexity gap to the Shakespeare model is >= CLOSER x its gap to the news model;
      reproduced: both; partly: one. "Not testable" where the profile asks for an adaptation set
      of ``p.min_adaptation_sentences`` full stops (the plateau setting: half of §6's 5% of WSJ)
      and the retrained model saw fewer: its domain is then too small for the paper's ratio.
    """
    delta = p.decoder.max_delta
    out = []

    gru = r[f"shakespeare-gru-1x{p.main}"]["signatures"]["layer1"].marginal
    fall, rise = gru[0] - gru[-1], float(np.diff(gru).max())
    out.append(Claim("decline", "Recall declines continuously with the distance δ", "Fig. 1",
                     f"reproduced: recall falls by >= {points(DECLINE)} from δ = 1 to {delta} and never rises by "
                     f"more than {points(RISE)} from one δ to the next; partly: the fall alone",
                     f"Shakespeare GRU [1, {p.main}]: {pct(gru[0])} at δ = 1, {pct(gru[-1])} at δ = {delta}; "
                     f"largest rise {100 * max(rise, 0):.1f} points",
                     verdict(fall >= DECLINE and rise <= RISE, fall >= DECLINE)))

    d = p.domain
    cells, both = " and ".join(c.upper() for c in p.cells), "for both" if len(p.cells) > 1 else "for it"
    size = {c: [mean_recall(r[f"{d}-{c}-1x{h}"]) for h in p.sizes] for c in p.cells}
    out.append(Claim("size", "Bigger states remember more", "Fig. 2",
                     f"mean recall over δ = 1-{delta} rises with every size, {cells}; partly: the largest "
                     f"model above the smallest {both}",
                     "mean recall, " + "; ".join(f"{c.upper()} " + " → ".join(pct(v) for v in vs)
                                                  for c, vs in size.items()) + f" ({', '.join(map(str, p.sizes))} units)",
                     verdict(all(np.all(np.diff(v) > 0) for v in size.values()),
                             all(v[-1] > v[0] for v in size.values()))))

    layers, hidden = p.deep
    depth = {c: [mean_recall(r[f"{d}-{c}-{layers}x{hidden}"], l) for l in range(1, layers + 1)]
             for c in p.cells}
    out.append(Claim("depth", "Deeper layers remember less", "Fig. 3",
                     f"mean recall falls from every layer to the next in the [{layers}, {hidden}] {cells}; "
                     f"partly: layer 1 above the last {both}",
                     "mean recall from layer 1 to {}: ".format(layers) + "; ".join(
                         f"{c.upper()} " + " → ".join(pct(v) for v in vs) for c, vs in depth.items()),
                     verdict(all(np.all(np.diff(v) < 0) for v in depth.values()),
                             all(v[0] > v[-1] for v in depth.values()))))

    names = fig4_units(p)
    label = DOMAIN_LABELS.get(d, d)
    ppl, d_ab, d_bc, ratio = adaptation_numbers(r, p)
    closer = bool(ratio >= CLOSER)                 # NaN unless the retrained model is worse than the news model;
                                                   # a zero gap (infinite ratio) is never closer
    shown = f"{ratio:.1f}" if np.isfinite(ratio) else f"undefined (the retrained model is not worse than the {label} model)"

    criterion = (f"reproduced: the retrained signature is closer to the {label} model's than to the Shakespeare "
                 f"model's, and its perplexity gap to the Shakespeare model is >= {CLOSER:g}x that to the {label} "
                 "model; partly: one of the two")
    ours = (f"{label} perplexity {ppl['a']:.3f} (Shakespeare), {ppl['b']:.3f} (retrained), {ppl['c']:.3f} "
            f"({label}): gap ratio {shown}; signature distance retrained-{label} {d_bc:.3f}, "
            f"retrained-Shakespeare {d_ab:.3f}")
    judged = verdict(d_bc < d_ab and closer, d_bc < d_ab or closer)
    if p.min_adaptation_sentences:
        sentences = r[names["b"]]["train"]["train_sentences"]
        criterion += (f"; not testable if the adaptation set holds fewer than {p.min_adaptation_sentences:,} "
                      f"sentences (half of the paper's 5% of WSJ's {K.WSJ_SEGMENTS:,} segments)")
        ours += f"; adaptation set {sentences:,} sentences"
        judged = judged if sentences >= p.min_adaptation_sentences else NOT_TESTED
    out.append(Claim("adaptation", f"A model retrained on {percent(p.finetune_fraction)}% of the new domain resembles "
                     "that domain's model",
                     "Fig. 4", criterion, ours, judged))
    return out


# --- does the cap matter? --------------------------------------------------------------------------
def adaptation_numbers(r: dict, p: Profile) -> tuple[dict, float, float, float]:
    """Fig. 4's numbers (§6): the three models' perplexities on the domain's test text (a
    Shakespeare, b retrained, c domain), the signature distances b-a and b-c (the figure's
    :func:`~.analysis.distance_matrix` of :func:`~.analysis.fig4_signatures`) and the perplexity
    gap ratio (a - b) / (b - c)."""
    sigs, by_title = fig4_signatures(r, p)
    dist = distance_matrix(sigs)
    ppl = {title.split(".")[0]: value for title, value in by_title.items()}
    return ppl, float(dist.loc["a", "b"]), float(dist.loc["b", "c"]), perplexity_gap_ratio(ppl["a"], ppl["b"], ppl["c"])


def adaptation_by_setting(by_setting: dict[str, dict], profile: str = "paper") -> pd.DataFrame:
    """Fig. 4 under each setting of ``by_setting`` (trained -> results; :func:`plateau_settings`):
    the retrained model's signature distance to the domain model and to the Shakespeare model,
    and the perplexity gap ratio (:func:`adaptation_numbers`); a row per setting."""
    rows = {}
    for trained, results in by_setting.items():
        _, d_ab, d_bc, ratio = adaptation_numbers(results, resolve(profile, trained))
        rows[trained] = {"to domain": d_bc, "to Shakespeare": d_ab, "gap ratio": ratio}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["to domain", "to Shakespeare", "gap ratio"])


def plateau_settings(profile: str = "paper") -> dict[str, dict]:
    """trained -> results, for every plateau setting (:data:`~.settings.PLATEAU_CAPS`) whose units
    are all stored for the profile ``profile`` (a name): the committed settings the chapter can
    compare. The quick profile compares nothing (its settings differ only by name): {}."""
    if profile != "paper":
        return {}
    out = {}
    for trained in PLATEAU_CAPS:
        p = resolve(profile, trained)
        if all((results_dir(p) / f"{u.name}.json").exists() for u in units(p)):
            out[trained] = pipeline.load_results(p)
    return out


def cap_table(by_setting: dict[str, dict]) -> pd.DataFrame:
    """One row per language model, a column group per setting of ``by_setting`` (trained ->
    results; :func:`plateau_settings`): the cap, the updates trained, why training stopped and the
    test perplexity on the corpus it trained on."""
    if not by_setting:
        return pd.DataFrame()
    frames = {}
    for trained, results in by_setting.items():
        frames[trained] = pd.DataFrame({name: {
            "cap": r["train"]["config"]["updates"], "updates": r["train"]["updates"],
            "stopped": r["train"].get("stopped"), "test perplexity": round(r["perplexity"][r["corpus"]], 3)}
            for name, r in language_models(results).items()}).T
    return pd.concat(frames, axis=1)


def cap_verdicts(by_setting: dict[str, dict], profile: str = "paper") -> pd.DataFrame:
    """The verdict of every claim of :func:`judge` under each setting of ``by_setting`` (trained ->
    results): index claim key, a column per setting."""
    return pd.DataFrame({trained: {c.key: c.verdict for c in judge(results, resolve(profile, trained))}
                         for trained, results in by_setting.items()})
