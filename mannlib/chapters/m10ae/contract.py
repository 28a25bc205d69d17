"""What the M10AE chapter answers the book (:mod:`mannlib.chapters`): the paper it reproduces,
what the paper reports per claim, every claim as notebooks/m10ae.ipynb computes it (for the
scorecard), the quick profile's reference record, and the runs ``reproduce m10ae`` trains."""
from __future__ import annotations

from dataclasses import replace

from ...papers import wang
from ..base import Claim, claim_records, plain, range_text, require, run_record
from ..wang_common import BASELINES, MODELS, accuracy_frame, curve_frame
from .analysis import (algorithm_check, analyse, best_seed, by_category, check_set, figure9_panels, figure9_specs,
                       gate_saturation, memory_norms)
from ..wang_runs import complete, final_runs
from .protocol import analysis_runs
from .results import claim_epochs, late_gain, lpo_scores, run_stops, trained_steps, tuning_table
from .settings import ALL_LPO, LONG_MODELS, configs, grid_configs, load_runs, long_configs, paper_runs, settings, span
from .verdicts import (algorithm_claim, convergence_claim, gate_claim, generalisation_claim, longer_claims,
                       memory_claim, policy_claim, srnn_claim, stack_claim, tsne_claim)

PAPER = f"{wang.PAPER} (§3.3, M10AE)"
RUNS = {"m10ae": paper_runs}      # reproduce target -> the paper-profile RunConfigs (--set: the notebook's parameters)


def paper_says() -> dict[str, str]:
    """What Wang et al. report for each of :func:`claims`' keys (:data:`mannlib.papers.wang.M10AE_SAYS`;
    a strict protocol's row, ``*_strict``, quotes its claim's: :func:`mannlib.scorecard.paper_key`)."""
    return dict(wang.M10AE_SAYS)


def ranges(acc, lpo, models, what: str, n_seeds: int) -> str:
    """The spread of a Fig. 5a claim: mean accuracy over ``lpo``, min-max over seeds per model
    (those of ``models`` that ``acc`` holds)."""
    t = lpo_scores(acc, lpo)
    return f"{what}, min-max over {n_seeds} seeds: " + ", ".join(
        f"{m.upper()} {range_text(t.loc[m, ['min', 'max']])}" for m in models if m in t.index)


def strict_claims(s) -> list[tuple[Claim, str]]:
    """Fig. 5a's claims under the strict protocol (``*_strict`` rows, next to the paper
    protocol's): only when the chapter reads the paper protocol and the strict campaign is
    complete. The strict runs are the paper protocol's shared runs read by their second criterion
    (chosen on #LPO 0-14 only: :func:`mannlib.chapters.wang_runs.final_runs`)."""
    if s.protocol != "paper" or not complete("m10ae", "strict", s.profile, s.models):
        return []
    runs = final_runs("m10ae", "strict", s.profile, s.models, train=False)
    acc, n, seeds = accuracy_frame(runs), runs[0].config.eval_n, len({r.config.seed for r in runs})
    found = [generalisation_claim(acc, train_max=s.train_max), memory_claim(acc, n), srnn_claim(acc, n)]
    spreads = [ranges(acc, s.test_lpo, MODELS, f"mean accuracy at #LPO {span(s.test_lpo)}", seeds),
               ranges(acc, ALL_LPO, MODELS, "mean accuracy at #LPO 0-20", seeds),
               ranges(acc, ALL_LPO, BASELINES, "mean accuracy at #LPO 0-20", seeds)]
    return [(replace(c, key=f"{c.key}_strict", claim=f"{c.claim} (strict protocol: chosen on #LPO "
                     f"{span(s.train_lpo)} only)"), sp) for c, sp in zip(found, spreads)]


def claims(profile: str = "paper") -> list[tuple[Claim, str]]:
    """notebooks/m10ae.ipynb's claims (default parameters): (claim, spread over seeds), Fig. 5 judged
    on the main runs the chapter reads (Wang's paper protocol once its campaign is complete, else
    the fixed setting: :mod:`mannlib.chapters.wang_runs`), the long runs always the fixed
    setting's, with the strict protocol's rows when both protocols are complete. In the paper
    profile every run must be committed (:func:`~mannlib.chapters.base.require`)."""
    s = settings(profile)
    if profile == "paper":
        require(configs(s), "m10ae")
    runs = load_runs(s)
    acc, curves = accuracy_frame(runs), curve_frame(runs)
    eval_n = runs[0].config.eval_n
    found = [generalisation_claim(acc, train_max=s.train_max), memory_claim(acc, eval_n),
             srnn_claim(acc, eval_n), convergence_claim(curves, claim_epochs(s, runs), run_stops(runs))]
    if profile == "paper":
        require(long_configs(s), "m10ae")
    long_runs = load_runs(long_configs(s), s.profile)
    long_acc = accuracy_frame(long_runs)
    found += longer_claims(long_acc, long_runs[0].config.eval_n, s.train_max, long_runs[0].config.steps)
    sann = best_seed(analysis_runs(s, long_runs), "sann", s.train_max)     # the best-trained SANN
    a = analyse(sann, s)
    found += [gate_claim(gate_saturation(a)), policy_claim(a), stack_claim(memory_norms(a)),
              algorithm_claim(algorithm_check(check_set()))]
    specs = figure9_specs()
    found.append(tsne_claim(specs, figure9_panels(a, specs)))

    n, n_long = len(s.seeds), len({r.config.seed for r in long_runs})
    beyond = f"#LPO {span(s.test_lpo)}"
    one = f"one run: SANN seed {sann.config.seed}, {trained_steps(sann):,} updates (best at {beyond})"
    spread = {"generalise": ranges(acc, s.test_lpo, MODELS, f"mean accuracy at {beyond}", n),
              "memory": ranges(acc, ALL_LPO, MODELS, "mean accuracy at #LPO 0-20", n),
              "srnn": ranges(acc, ALL_LPO, BASELINES, "mean accuracy at #LPO 0-20", n),
              "converge": f"median over {len(s.seeds)} seeds per model; every seed's curve in the chapter's Fig. 5b",
              "gates": one, "policy": one, "stack": one, "tsne": one,
              "algorithm": "no training: the pseudo-code on random expressions",
              "generalise_long": ranges(long_acc, s.test_lpo, LONG_MODELS, f"mean accuracy at {beyond}", n_long),
              "srnn_long": ranges(long_acc, ALL_LPO, BASELINES, "mean accuracy at #LPO 0-20", n_long)}
    return [(c, spread[c.key]) for c in found] + strict_claims(s)


def reference() -> dict:
    """notebooks/m10ae.ipynb in the quick profile (main, long and grid runs; the analysed SANN):
    every quick run's curve and test scores, the tables the claims rest on, and every claim
    (:mod:`mannlib.reference`)."""
    rows = claims("quick")                                      # trains the quick runs
    s = settings("quick")
    runs, long_runs = load_runs(s), load_runs(long_configs(s), "quick")
    grid = load_runs(grid_configs(s), "quick")
    acc, long_acc = accuracy_frame(runs), accuracy_frame(long_runs)
    a = analyse(best_seed(long_runs, "sann", s.train_max), s)
    tables = {"lpo_scores_test": plain(lpo_scores(acc, s.test_lpo)), "lpo_scores_all": plain(lpo_scores(acc, ALL_LPO)),
              "long_lpo_scores_test": plain(lpo_scores(long_acc, s.test_lpo)),
              "late_gain": plain(late_gain(curve_frame(runs))),
              "tuning": plain(tuning_table(grid).drop(columns="wall_s")),
              "analysis": {"run": a.run.id, "accuracy": a.accuracy, "by_category": plain(by_category(a)),
                           "memory_norms": plain(memory_norms(a))}}
    return {"runs": {r.id: run_record(r) for r in runs + long_runs + grid}, "tables": tables,
            "claims": claim_records(rows)}
