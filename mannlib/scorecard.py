"""The reproduction scorecard: every claim the book checks, with our verdict, in one table.

:func:`scorecard` gathers one row per claim from the chapters, computed by the chapters' own
claim functions and called as the chapter notebooks call them, so a row always says what its
chapter says (nothing is typed by hand; in the paper profile everything is read from data/):

* Wang et al. 2019 §3.2, mirror: :func:`mirror_claims`, the calls of notebooks/mirror.ipynb
  into :mod:`mannlib.chapters.mirror` (Fig. 2a, 2b, 3, 4; the committed runs in data/runs);
* Wang et al. 2019 §3.3, M10AE: :func:`m10ae_claims`, the calls of notebooks/m10ae.ipynb into
  :mod:`mannlib.chapters.m10ae` (Fig. 5-9);
* Yang 2016: :func:`lantm_claims`, the calls of notebooks/lantm.ipynb into
  :mod:`mannlib.chapters.lantm` (Tables 3-4, Figs. 7 and 11), except that the LSTM row gets no
  timing of the paper-size LSTM (``lstm_claim(scores)``; same verdict, shorter text);
* Koppula et al. 2018: :func:`signature_claims`, defined here because the chapter
  (notebooks/memory_signatures.ipynb) states its claims in prose; four claims of Figs. 1-4
  with the thresholds below, from the results in data/signatures.

The ``spread`` column gives the range over seeds of the number a row rests on, or says which
single run it comes from. :data:`PAPER_SAYS` holds what each paper reports for a claim where
the text gives a number; the LANTM rows quote the chapter's copy of Yang's Tables 3 and 4.
"""
from __future__ import annotations

import contextlib
import io
from html import escape

import numpy as np
import pandas as pd

from .cache import MANIFEST, RunError, run_path
from .chapters import lantm as L, m10ae as C, mirror as M
from .chapters.claims import NOT_TESTED, VERDICTS as _VERDICTS, Claim, pct, points, verdict

VERDICTS = _VERDICTS + (NOT_TESTED,)   # reproduced, partly, not reproduced, not testable
PAPERS = {"mirror": "Wang et al. 2019 (§3.2, mirror)", "m10ae": "Wang et al. 2019 (§3.3, M10AE)",
          "lantm": "Yang 2016", "memory_signatures": "Koppula et al. 2018"}

# --- Koppula et al. 2018: thresholds of the verdicts (the chapter quotes the same numbers) --------
MIN_COUNT = 20      # (δ, symbol) cells backed by fewer test positions are left out (the chapter's MIN_COUNT)
DECLINE = 0.30      # Fig. 1: recall falls by >= 30 points from δ = 1 to δ = Δ ...
RISE = 0.02         # ... and never rises by more than 2 points from one δ to the next ("continuous")
CLOSER = 2.0        # Fig. 4: perplexity gap to the Shakespeare model >= 2x the gap to the news model (paper: 4.0)


def _paper_says() -> dict:
    t3, t4 = L.PAPER_TABLE3, L.PAPER_TABLE4
    inv2 = [t3[t]["lantm-invnorm"][2] for t in L.TASKS]
    soft = ", ".join(f"{t} {t3[t]['lantm-softmax'][0]}%" for t in L.TASKS)
    mean2 = {m: np.mean([t3[t][m][2] for t in L.TASKS]) for m in L.LANTMS}
    four = ", ".join(f"{t} {t4[t][4][0]}%" for t in ("copy", "reverse", "bigramflip"))
    lstm = ", ".join(f"{t} {t3[t]['lstm'][0]}/{t3[t]['lstm'][2]}%" for t in L.TASKS)
    plot = "a plot; no number in the text"
    return {
        "mirror": {k: plot for k in ("generalise_sann", "generalise_tann", "baselines", "converge",
                                     "delimiter", "policy")}
        | {"hypothesis_tann": "t-SNE maps with clear clusters (visual)",
           "hypothesis_sann": "t-SNE maps with clear clusters (visual)"},
        "m10ae": {k: plot for k in ("generalise", "memory", "srnn", "converge", "gates", "stack", "generalise_long",
                                    "srnn_long")}
        | {"policy": "P(PUSH) about 0 and about 3 pops at + and -", "algorithm": "pseudo-code, traced in Fig. 8",
           "tsne": "clear clusters in 9a, 9b; chaotic labels in 9c (visual)"},
        "lantm": {"invnorm": f"coarse 100% at 1x on every task, {min(inv2)}-{max(inv2)}% at 2x",
                  "softmax": f"coarse at 1x: {soft}",
                  "weighting": f"mean 2x coarse: InvNorm {mean2['lantm-invnorm']:.0f}%, "
                               f"SoftMax {mean2['lantm-softmax']:.0f}%",
                  "lstm": f"coarse 1x/2x: {lstm}",
                  "table4": f"4x coarse: {four}",
                  "late_errors": "high fine, low coarse at large sizes (words, no position measured)",
                  "reads": "reads along the write line (Fig. 7a, visual)",
                  "parity": "'vanishing memory strength' at every other location (visual)"},
        "memory_signatures": {"decline": "'a continuous decline in recall rates' (a heatmap)",
                              "size": "recall 'significantly increased' from 80 to 640 units (a heatmap); "
                                      "perplexity down 15%",
                              "depth": "recall 'decreases' from layer 1 to 4 (a heatmap)",
                              "adaptation": "WSJ perplexity 6.791 (Shakespeare), 4.110 (retrained), 3.443 (WSJ): "
                                            "a gap 4.0x smaller to the WSJ model; signatures alike (visual)"},
    }


PAPER_SAYS = _paper_says()


# --- loading runs ---------------------------------------------------------------------------------
def _require(configs, chapter: str):
    """In the paper profile the scorecard trains nothing new: every run must be in the cache,
    complete or with a committed checkpoint (a run that diverges after it, such as one LANTM
    SoftMax run, resumes and diverges again in seconds)."""
    from .train import CHECKPOINT
    missing = [run_path(c).name for c in configs
               if not any((run_path(c) / f).exists() for f in (MANIFEST, CHECKPOINT))]
    if missing:
        raise RunError(f"the scorecard reads the committed runs, and {len(missing)} {chapter} runs are missing "
                       f"({', '.join(missing[:3])}, ...): run notebooks/{chapter}.ipynb or "
                       f"`python -m mannlib reproduce {chapter}` first")


def _range(values: pd.Series, unit: str = "%") -> str:
    lo, hi = values.min(), values.max()
    if unit == "%":
        return f"{100 * lo:.0f}%" if round(100 * lo) == round(100 * hi) else f"{100 * lo:.0f}-{100 * hi:.0f}%"
    return f"{lo:,.0f}" if lo == hi else f"{lo:,.0f}-{hi:,.0f}"


def _seeds_text(per_seed: pd.Series, models, what: str) -> str:
    """"mean accuracy at L 6-10, min-max over 3 seeds: TANN 0-12%, SANN 3%"; per_seed: (model, seed) -> value."""
    n = per_seed.groupby(level=0).size().max()
    return f"{what}, over {n} seed{'s' if n > 1 else ''}: " + ", ".join(
        f"{m.upper()} {_range(per_seed.loc[m])}" for m in models if m in per_seed.index.get_level_values(0))


# --- the chapters' claims, called as their notebooks call them ------------------------------------
def mirror_claims(profile: str = "paper") -> list[tuple[Claim, str]]:
    """notebooks/mirror.ipynb's claims (default parameters): (claim, spread over seeds)."""
    s = M.settings(profile)
    if profile == "paper":
        _require(M.configs(s), "mirror")
    runs = M.load_runs(s)
    acc, curves = M.accuracy_frame(runs), M.curve_frame(runs)
    claims = [M.generalisation_claim(acc, "sann"), M.generalisation_claim(acc, "tann"), M.baseline_claim(acc),
              M.convergence_claim(curves)]
    analyses = {m: M.analyse(M.best_seed(runs, m), s) for m in M.MEMORY_MODELS}
    sats = {m: M.gate_saturation(a) for m, a in analyses.items()}
    hyps = {m: M.hypothesis(a) for m, a in analyses.items()}
    claims += [M.delimiter_claim(sats, s.analysis_length), M.policy_claim(list(analyses.values()))]
    agreements = {m: M.agreement(a, hyps[m], seed=s.analysis_seed) for m, a in analyses.items()}
    known = {a.run.id: (a, agreements[m]) for m, a in analyses.items()}
    seed_table = M.seed_agreement(runs, s, seed=s.analysis_seed, known=known)
    for m in M.MEMORY_MODELS:
        others = seed_table.loc[m, "median k-NN score"].drop(analyses[m].run.config.seed)
        claims.append(M.hypothesis_claim(m, agreements[m], others=others.to_dict()))

    beyond = acc[acc["difficulty"].isin(M.TEST_LENGTHS)].groupby(["model", "seed"])["accuracy"].mean()
    what = f"mean accuracy at L {M.TEST_LENGTHS[0]}-{M.TEST_LENGTHS[-1]}"
    steps = M.steps_to(curves).set_index(["model", "seed"])["step"]
    best = " and ".join(f"{m.upper()} seed {a.run.config.seed}" for m, a in analyses.items())
    spread = {"generalise_sann": _seeds_text(beyond, ["sann"], what),
              "generalise_tann": _seeds_text(beyond, ["tann"], what),
              "baselines": _seeds_text(beyond, M.MODELS, what),
              "converge": "steps to {}, over seeds: ".format(pct(M.CONVERGED, 0)) + ", ".join(
                  f"{m.upper()} " + ("never" if steps.loc[m].isna().all() else _range(steps.loc[m].dropna(), "n")
                                     + (f" ({int(steps.loc[m].isna().sum())} never)" if steps.loc[m].isna().any() else ""))
                  for m in M.MEMORY_MODELS),
              "delimiter": f"one run each: {best} (best at L 6-10)",
              "policy": f"one run each: {best} (best at L 6-10)"}
    for m in M.MEMORY_MODELS:
        spread[f"hypothesis_{m}"] = (f"median k-NN score over {len(seed_table.loc[m])} seeds: "
                                     f"{_range(seed_table.loc[m, 'median k-NN score'])}")
    return [(c, spread[c.key]) for c in claims]


def m10ae_claims(profile: str = "paper") -> list[tuple[Claim, str]]:
    """notebooks/m10ae.ipynb's claims (default parameters): (claim, spread over seeds)."""
    s = C.settings(profile)
    if profile == "paper":
        _require(C.configs(s), "m10ae")
    runs = C.load_runs(C.configs(s), s.profile)
    acc, curves = C.accuracy_frame(runs), C.curve_frame(runs)
    main = C.configs(s)[0]
    claims = [C.generalisation_claim(acc), C.memory_claim(acc, main.eval_n), C.srnn_claim(acc, main.eval_n),
              C.convergence_claim(curves, C.budget(s, main)["epochs"])]
    if profile == "paper":
        _require(C.long_configs(s), "m10ae")
    long_runs = C.load_runs(C.long_configs(s), s.profile)
    long_acc = C.accuracy_frame(long_runs)
    claims += C.longer_claims(long_acc, main.eval_n)
    sann = C.best_seed(long_runs, "sann")        # the chapter analyses the best-trained SANN
    a = C.analyse(sann, s)
    claims += [C.gate_claim(C.gate_saturation(a)), C.policy_claim(a), C.stack_claim(C.memory_norms(a)),
               C.algorithm_claim(C.algorithm_check(C.check_set()))]
    specs = C.figure9_specs()
    claims.append(C.tsne_claim(specs, C.figure9_panels(a, specs)))

    def ranges(lpo, models, what, frame=acc):
        t = C.lpo_scores(frame, lpo)
        return f"{what}, min-max over {len(s.seeds)} seeds: " + ", ".join(
            f"{m.upper()} {_range(t.loc[m, ['min', 'max']])}" for m in models)
    one = f"one run: SANN seed {sann.config.seed}, {sann.config.steps:,} updates (best at #LPO 15-20)"
    spread = {"generalise": ranges(C.TEST_LPO, C.MODELS, "mean accuracy at #LPO 15-20"),
              "memory": ranges(C.ALL_LPO, C.MODELS, "mean accuracy at #LPO 0-20"),
              "srnn": ranges(C.ALL_LPO, C.BASELINES, "mean accuracy at #LPO 0-20"),
              "converge": f"median over {len(s.seeds)} seeds per model; every seed's curve in the chapter's Fig. 5b",
              "gates": one, "policy": one, "stack": one, "tsne": one,
              "algorithm": "no training: the pseudo-code on random expressions",
              "generalise_long": ranges(C.TEST_LPO, C.LONG_MODELS, "mean accuracy at #LPO 15-20", long_acc),
              "srnn_long": ranges(C.ALL_LPO, C.BASELINES, "mean accuracy at #LPO 0-20", long_acc)}
    return [(c, spread[c.key]) for c in claims]


def lantm_claims(profile: str = "paper") -> list[tuple[Claim, str]]:
    """notebooks/lantm.ipynb's claims (default parameters: the paper scale): (claim, spread)."""
    s = L.settings(profile)
    if profile == "paper":
        _require(L.configs(s), "lantm")
    runs = L.load_runs(s)
    r = L.results(s, runs)
    scores, claims, best = r.scores, r.claims, r.best

    t3 = L.table3(scores)

    def ranges(model, column):
        n = len(s.seeds[model])
        return f"{column} coarse, " + (f"min-max over {n} seeds: " if n > 1 else "one seed: ") + ", ".join(
            f"{t} {_range(t3.loc[(t, model), (column, 'coarse')][['min', 'max']])}" for t in L.TASKS
            if (t, model) in t3.index)
    seeds = ", ".join(f"{t} {r.config.seed}" for t, r in best.items())
    has_lstm = "lstm" in set(scores["model"])
    spread = {"invnorm": ranges("lantm-invnorm", "2x"), "softmax": ranges("lantm-softmax", "1x"),
              "weighting": f"InvNorm {ranges('lantm-invnorm', '2x')}; SoftMax {ranges('lantm-softmax', '2x')}",
              "lstm": ranges("lstm", "2x") if has_lstm else "no LSTM runs",
              "table4": f"best InvNorm seed per task ({seeds})",
              "late_errors": f"best InvNorm seed per task ({seeds})",
              "reads": f"one copy problem, InvNorm seed {best['copy'].config.seed}",
              "parity": (f"one addition problem, InvNorm seed {best['addition'].config.seed}"
                         if "addition" in best else "no addition run")}
    return [(c, spread[c.key]) for c in claims]


# --- Koppula et al. 2018 --------------------------------------------------------------------------
def _mean_recall(result: dict, layer: int = 1) -> float:
    return float(result["signatures"][f"layer{layer}"].marginal.mean())


def signature_claims(profile: str = "paper") -> list[tuple[Claim, str]]:
    """Four claims of Koppula et al. 2018 from the chapter's results (data/signatures in the
    paper profile; quick trains the tiny versions if missing, as the chapter does). Each claim
    compares recall rates or perplexities of models that are all trained, so none answers "not
    testable"; what each one tests:

    * decline (Fig. 1): the Shakespeare GRU's marginal recall falls by >= DECLINE from δ = 1 to
      δ = Δ and never rises by more than RISE between neighbouring δ; partly: the fall alone.
    * size (Fig. 2): mean recall over δ grows with every kernel size, for GRU and LSTM;
      partly: the largest model above the smallest for both.
    * depth (Fig. 3): mean recall falls with every layer of the 4-layer GRU and LSTM; partly:
      layer 1 above the last layer for both.
    * adaptation (Fig. 4): the retrained LSTM's signature is closer (RMS over cells with >=
      MIN_COUNT positions) to the news LSTM's than to the Shakespeare LSTM's, and its news
      perplexity gap to the Shakespeare model is >= CLOSER x its gap to the news model;
      reproduced: both; partly: one.
    """
    from . import signatures as S
    with contextlib.redirect_stdout(io.StringIO()):   # one line per unit trained; paper: none (committed)
        S.reproduce(profile, jobs=1)
    r, p = S.load_results(profile), S.get_profile(profile)
    delta = p.decoder.max_delta
    claims = []

    gru = r[f"shakespeare-gru-1x{p.main}"]["signatures"]["layer1"].marginal
    fall, rise = gru[0] - gru[-1], float(np.diff(gru).max())
    claims.append(Claim("decline", "Recall declines continuously with the distance δ", "Fig. 1",
                        f"reproduced: recall falls by >= {points(DECLINE)} from δ = 1 to {delta} and never rises by "
                        f"more than {points(RISE)} from one δ to the next; partly: the fall alone",
                        f"Shakespeare GRU [1, {p.main}]: {pct(gru[0])} at δ = 1, {pct(gru[-1])} at δ = {delta}; "
                        f"largest rise {100 * max(rise, 0):.1f} points",
                        verdict(fall >= DECLINE and rise <= RISE, fall >= DECLINE)))

    size = {c: [_mean_recall(r[f"news-{c}-1x{h}"]) for h in p.sizes] for c in ("gru", "lstm")}
    claims.append(Claim("size", "Bigger states remember more", "Fig. 2",
                        f"mean recall over δ = 1-{delta} rises with every size, GRU and LSTM; partly: the largest "
                        "model above the smallest for both",
                        "mean recall, " + "; ".join(f"{c.upper()} " + " → ".join(pct(v) for v in vs)
                                                     for c, vs in size.items()) + f" ({', '.join(map(str, p.sizes))} units)",
                        verdict(all(np.all(np.diff(v) > 0) for v in size.values()),
                                all(v[-1] > v[0] for v in size.values()))))

    layers, hidden = p.deep
    depth = {c: [_mean_recall(r[f"news-{c}-{layers}x{hidden}"], l) for l in range(1, layers + 1)]
             for c in ("gru", "lstm")}
    claims.append(Claim("depth", "Deeper layers remember less", "Fig. 3",
                        f"mean recall falls from every layer to the next in the [{layers}, {hidden}] GRU and LSTM; "
                        "partly: layer 1 above the last for both",
                        "mean recall from layer 1 to {}: ".format(layers) + "; ".join(
                            f"{c.upper()} " + " → ".join(pct(v) for v in vs) for c, vs in depth.items()),
                        verdict(all(np.all(np.diff(v) < 0) for v in depth.values()),
                                all(v[0] > v[-1] for v in depth.values()))))

    names = {"a": f"shakespeare-lstm-1x{p.main}", "b": f"shakespeare-lstm-1x{p.main}-news5", "c": f"news-lstm-1x{p.main}"}
    sig = {k: r[v]["signatures"]["layer1"] for k, v in names.items()}
    ppl = {k: r[v]["perplexity"]["news"] for k, v in names.items()}
    d_ab, d_bc = (S.signature_distance(sig[x], sig[y], MIN_COUNT) for x, y in (("a", "b"), ("b", "c")))
    ratio = S.perplexity_gap_ratio(ppl["a"], ppl["b"], ppl["c"])   # NaN unless the retrained model is worse
    closer = bool(ratio >= CLOSER)                 # than the news model: a zero gap (infinite ratio) is never closer
    shown = f"{ratio:.1f}" if np.isfinite(ratio) else "undefined (the retrained model is not worse than the news model)"
    claims.append(Claim("adaptation", "A model retrained on 5% of the new domain resembles that domain's model",
                        "Fig. 4",
                        f"reproduced: the retrained signature is closer to the news model's than to the Shakespeare "
                        f"model's, and its perplexity gap to the Shakespeare model is >= {CLOSER:g}x that to the news "
                        "model; partly: one of the two",
                        f"news perplexity {ppl['a']:.3f} (Shakespeare), {ppl['b']:.3f} (retrained), {ppl['c']:.3f} "
                        f"(news): gap ratio {shown}; signature distance retrained-news {d_bc:.3f}, "
                        f"retrained-Shakespeare {d_ab:.3f}",
                        verdict(d_bc < d_ab and closer, d_bc < d_ab or closer)))
    one = "one model per setting (no seeds)"
    return [(c, one) for c in claims]


# --- the table ------------------------------------------------------------------------------------
SOURCES = {"mirror": mirror_claims, "m10ae": m10ae_claims, "lantm": lantm_claims,
           "memory_signatures": signature_claims}


def scorecard(profile: str = "paper") -> pd.DataFrame:
    """One row per claim of the three papers, in the book's order. Index (chapter, key: the
    claim's key in its chapter); columns paper, claim, where (the paper's figure or table),
    paper says (its number, or what kind of evidence it gives), ours, spread (over seeds),
    criterion, verdict (one of :data:`VERDICTS`)."""
    rows = []
    for chapter, source in SOURCES.items():
        for claim, spread in source(profile):
            rows.append({"chapter": chapter, "key": claim.key, "paper": PAPERS[chapter], "claim": claim.claim,
                         "where": claim.figure, "paper says": PAPER_SAYS[chapter].get(claim.key, ""),
                         "ours": claim.ours, "spread": spread, "criterion": claim.criterion,
                         "verdict": claim.verdict})
    return pd.DataFrame(rows).set_index(["chapter", "key"])


def verdict_counts(df: pd.DataFrame) -> pd.Series:
    """How many rows have each verdict, every verdict of :data:`VERDICTS` listed (zeros included)."""
    return df["verdict"].value_counts().reindex(list(VERDICTS), fill_value=0).rename("claims")


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """How much of each paper holds: one row per chapter (named by :data:`PAPERS`, in the book's
    order) and a last row "all three papers"; columns the :data:`VERDICTS` (counts) and "claims"."""
    rows = {PAPERS[c]: verdict_counts(df.loc[[c]]) for c in dict.fromkeys(df.index.get_level_values("chapter"))}
    rows["all three papers"] = verdict_counts(df)
    table = pd.DataFrame(rows).T.rename_axis("paper")
    return table.assign(claims=table.sum(axis=1))


COLOURS = {"reproduced": "#d4edda", "partly": "#fff3cd", "not reproduced": "#f8d7da", NOT_TESTED: "#e2e3e5"}
STYLE = """<style>
table.scorecard, table.scorecard-summary {font-size: 0.9em; border-collapse: collapse}
table.scorecard {width: 100%; table-layout: fixed}
table.scorecard th, table.scorecard td, table.scorecard-summary th, table.scorecard-summary td {
  text-align: left; vertical-align: top; padding: 0.3em 0.5em; border-bottom: 1px solid #dee2e6}
table.scorecard td.verdict {font-weight: bold}
table.scorecard tr.chapter th {padding-top: 1em}
table.scorecard summary {cursor: pointer}
</style>"""


def summary_html(table: pd.DataFrame) -> str:
    """:func:`summary` as a small HTML table, each verdict's column headed in its colour."""
    head = "".join(f'<th style="background-color: {COLOURS[v]}">{escape(v)}</th>' for v in VERDICTS)
    rows = "".join(f"<tr><th>{escape(paper)}</th>" + "".join(f"<td>{int(row[v])}</td>" for v in VERDICTS)
                   + f"<td>{int(row['claims'])}</td></tr>" for paper, row in table.iterrows())
    return (f'{STYLE}<table class="scorecard-summary"><thead><tr><th>paper</th>{head}<th>claims</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def card_html(df: pd.DataFrame) -> str:
    """The scorecard for the page, one short row per claim, grouped by chapter under a heading row
    that links to the chapter's page. Columns: verdict (its word on its colour), claim (with the
    figure or table), the paper says, ours; how the row was judged (criterion) and the spread over
    seeds are folded in a <details> under the claim."""
    body = []
    for chapter, rows in df.groupby(level="chapter", sort=False):
        body.append(f'<tr class="chapter"><th colspan="4"><a href="{chapter}.html">{escape(PAPERS[chapter])}</a>'
                    "</th></tr>")
        for _, r in rows.iterrows():
            body.append(
                f'<tr><td class="verdict" style="background-color: {COLOURS.get(r["verdict"], "")}">'
                f'{escape(r["verdict"])}</td>'
                f'<td><details><summary>{escape(r["claim"])} ({escape(r["where"])})</summary>'
                f'<p><b>Criterion:</b> {escape(r["criterion"])}</p><p><b>Spread:</b> {escape(r["spread"])}</p>'
                f"</details></td><td>{escape(r['paper says'])}</td><td>{escape(r['ours'])}</td></tr>")
    widths = "".join(f'<col style="width: {w}">' for w in ("7.5em", "34%", "24%", "auto"))
    return (f'{STYLE}<table class="scorecard"><colgroup>{widths}</colgroup><thead><tr><th>verdict</th>'
            '<th>claim (click for how it is judged)</th><th>the paper says</th><th>ours</th></tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')
