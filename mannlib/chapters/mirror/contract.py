"""What the mirror chapter answers the book (:mod:`mannlib.chapters`): the paper it reproduces,
what the paper reports per claim, every claim as notebooks/mirror.ipynb computes it (for the
scorecard), the quick profile's reference record, and the runs ``reproduce mirror`` trains."""
from __future__ import annotations

from dataclasses import replace

from ...papers import wang
from ..base import Claim, claim_records, pct, plain, range_text, require, run_record, seeds_text
from ..wang_common import MEMORY_MODELS, MODELS, accuracy_frame, curve_frame, progress_axis
from .design import design_configs
from .analysis import agreement, analyse, best_seed, gate_saturation, hypothesis, policy_summary, seed_agreement
from .results import beyond_scores, length_table, steps_to, within_scores
from ..wang_runs import complete, final_runs
from .settings import CONVERGED, TEST_LENGTHS, configs, load_runs, paper_runs, settings
from .verdicts import (baseline_claim, convergence_claim, delimiter_claim, delimiter_jump, generalisation_claim,
                       hypothesis_claim, policy_claim)

PAPER = f"{wang.PAPER} (§3.2, mirror)"
RUNS = {"mirror": paper_runs,     # reproduce target -> the paper-profile RunConfigs (--set: the notebook's parameters)
        "mirror-design": design_configs}   # two choices the paper leaves open, changed (.design)


def paper_says() -> dict[str, str]:
    """What Wang et al. report for each of :func:`claims`' keys (:data:`mannlib.papers.wang.MIRROR_SAYS`;
    a strict protocol's row, ``*_strict``, quotes its claim's: :func:`mannlib.scorecard.paper_key`)."""
    return dict(wang.MIRROR_SAYS)


def strict_claims(s) -> list[tuple[Claim, str]]:
    """Fig. 2a's claims under the strict protocol (``*_strict`` rows, next to the paper
    protocol's): only when the chapter reads the paper protocol and the strict campaign is complete."""
    if s.protocol != "paper" or not complete("mirror", "strict", s.profile, s.models):
        return []
    acc = accuracy_frame(final_runs("mirror", "strict", s.profile, s.models, train=False))
    beyond = acc[acc["difficulty"].isin(TEST_LENGTHS)].groupby(["model", "seed"])["accuracy"].mean()
    what = f"mean accuracy at L {TEST_LENGTHS[0]}-{TEST_LENGTHS[-1]}"
    found = [generalisation_claim(acc, "sann"), generalisation_claim(acc, "tann"), baseline_claim(acc)]
    spreads = [seeds_text(beyond, ["sann"], what), seeds_text(beyond, ["tann"], what), seeds_text(beyond, MODELS, what)]
    return [(replace(c, key=f"{c.key}_strict", claim=f"{c.claim} (strict protocol: chosen on lengths 1-5 only)"), sp)
            for c, sp in zip(found, spreads)]


def claims(profile: str = "paper") -> list[tuple[Claim, str]]:
    """notebooks/mirror.ipynb's claims (default parameters): (claim, spread over seeds), judged on
    the runs the chapter reads (Wang's paper protocol once its campaign is complete, else the
    fixed-setting runs: :mod:`mannlib.chapters.wang_runs`), with the strict protocol's rows when
    both are complete. In the paper profile every run must be committed
    (:func:`~mannlib.chapters.base.require`)."""
    s = settings(profile)
    if profile == "paper":
        require(configs(s), "mirror")
    runs = load_runs(s)
    acc, curves = accuracy_frame(runs), curve_frame(runs)
    found = [generalisation_claim(acc, "sann"), generalisation_claim(acc, "tann"), baseline_claim(acc),
             convergence_claim(curves)]
    analyses = {m: analyse(best_seed(runs, m), s) for m in MEMORY_MODELS}
    sats = {m: gate_saturation(a) for m, a in analyses.items()}
    hyps = {m: hypothesis(a) for m, a in analyses.items()}
    found += [delimiter_claim(sats, s.analysis_length), policy_claim(list(analyses.values()))]
    agreements = {m: agreement(a, hyps[m], seed=s.analysis_seed) for m, a in analyses.items()}
    known = {a.run.id: (a, agreements[m]) for m, a in analyses.items()}
    seed_table = seed_agreement(runs, s, seed=s.analysis_seed, known=known)
    for m in MEMORY_MODELS:
        others = seed_table.loc[m, "median k-NN score"].drop(analyses[m].run.config.seed)
        found.append(hypothesis_claim(m, agreements[m], others=others.to_dict()))

    beyond = acc[acc["difficulty"].isin(TEST_LENGTHS)].groupby(["model", "seed"])["accuracy"].mean()
    what = f"mean accuracy at L {TEST_LENGTHS[0]}-{TEST_LENGTHS[-1]}"
    axis = progress_axis(curves)
    steps = steps_to(curves, x=axis).set_index(["model", "seed"])["step"]
    best = " and ".join(f"{m.upper()} seed {a.run.config.seed}" for m, a in analyses.items())
    spread = {"generalise_sann": seeds_text(beyond, ["sann"], what),
              "generalise_tann": seeds_text(beyond, ["tann"], what),
              "baselines": seeds_text(beyond, MODELS, what),
              "converge": "{} to {}, over seeds: ".format("steps" if axis == "step" else "training examples",
                                                        pct(CONVERGED, 0)) + ", ".join(
                  f"{m.upper()} " + ("never" if steps.loc[m].isna().all() else range_text(steps.loc[m].dropna(), "n")
                                     + (f" ({int(steps.loc[m].isna().sum())} never)" if steps.loc[m].isna().any() else ""))
                  for m in MEMORY_MODELS),
              "delimiter": f"one run each: {best} (best at L 6-10)",
              "policy": f"one run each: {best} (best at L 6-10)"}
    for m in MEMORY_MODELS:
        spread[f"hypothesis_{m}"] = (f"median k-NN score over {len(seed_table.loc[m])} seeds: "
                                     f"{range_text(seed_table.loc[m, 'median k-NN score'])}")
    return [(c, spread[c.key]) for c in found] + strict_claims(s)


def reference() -> dict:
    """notebooks/mirror.ipynb in the quick profile: every quick run's curve and test scores, the
    tables the claims rest on, and every claim (:mod:`mannlib.reference`)."""
    rows = claims("quick")                                      # trains the quick runs
    s = settings("quick")
    runs = load_runs(s)
    acc, curves = accuracy_frame(runs), curve_frame(runs)
    analyses = {m: analyse(best_seed(runs, m), s) for m in MEMORY_MODELS}
    tables = {"length_table": plain(length_table(acc)),
              "beyond_scores": plain(beyond_scores(acc)),
              "within_scores": plain(within_scores(acc)),
              "steps_to": plain(steps_to(curves))}
    for m, a in analyses.items():
        jump, calm = delimiter_jump(gate_saturation(a), s.analysis_length)
        tables[f"analysis_{m}"] = {"run": a.run.id, "accuracy": a.accuracy, "delimiter_jump": jump,
                                   "delimiter_calm": calm, "policy": plain(policy_summary(a)[["step", "quantity", "mean"]])}
    return {"runs": {r.id: run_record(r) for r in runs}, "tables": tables, "claims": claim_records(rows)}
