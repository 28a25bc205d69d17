"""What the M10AE chapter answers the book (:mod:`mannlib.chapters`): the paper it reproduces,
what the paper reports per claim, every claim as notebooks/m10ae.ipynb computes it (for the
scorecard), the quick profile's reference record, and the runs ``reproduce m10ae`` trains."""
from __future__ import annotations

from ...papers import wang
from ..base import Claim, claim_records, plain, range_text, require, run_record
from ..wang_common import BASELINES, MODELS, accuracy_frame, curve_frame
from .analysis import (algorithm_check, analyse, best_seed, by_category, check_set, figure9_panels, figure9_specs,
                       gate_saturation, memory_norms)
from .results import late_gain, lpo_scores, tuning_table
from .settings import (ALL_LPO, LONG_MODELS, budget, configs, grid_configs, load_runs, long_configs, paper_runs,
                       settings, span)
from .verdicts import (algorithm_claim, convergence_claim, gate_claim, generalisation_claim, longer_claims,
                       memory_claim, policy_claim, srnn_claim, stack_claim, tsne_claim)

PAPER = f"{wang.PAPER} (§3.3, M10AE)"
RUNS = {"m10ae": paper_runs}      # reproduce target -> the paper-profile RunConfigs (--set: the notebook's parameters)


def paper_says() -> dict[str, str]:
    """What Wang et al. report for each of :func:`claims`' keys (:data:`mannlib.papers.wang.M10AE_SAYS`)."""
    return dict(wang.M10AE_SAYS)


def claims(profile: str = "paper") -> list[tuple[Claim, str]]:
    """notebooks/m10ae.ipynb's claims (default parameters): (claim, spread over seeds). In the
    paper profile every run must be committed (:func:`~mannlib.chapters.base.require`)."""
    s = settings(profile)
    if profile == "paper":
        require(configs(s), "m10ae")
    runs = load_runs(configs(s), s.profile)
    acc, curves = accuracy_frame(runs), curve_frame(runs)
    main = configs(s)[0]
    found = [generalisation_claim(acc, train_max=s.train_max), memory_claim(acc, main.eval_n),
             srnn_claim(acc, main.eval_n), convergence_claim(curves, budget(s, main)["epochs"])]
    if profile == "paper":
        require(long_configs(s), "m10ae")
    long_runs = load_runs(long_configs(s), s.profile)
    long_acc = accuracy_frame(long_runs)
    found += longer_claims(long_acc, main.eval_n, s.train_max)
    sann = best_seed(long_runs, "sann", s.train_max)        # the chapter analyses the best-trained SANN
    a = analyse(sann, s)
    found += [gate_claim(gate_saturation(a)), policy_claim(a), stack_claim(memory_norms(a)),
              algorithm_claim(algorithm_check(check_set()))]
    specs = figure9_specs()
    found.append(tsne_claim(specs, figure9_panels(a, specs)))

    def ranges(lpo, models, what, frame=acc):
        t = lpo_scores(frame, lpo)
        return f"{what}, min-max over {len(s.seeds)} seeds: " + ", ".join(
            f"{m.upper()} {range_text(t.loc[m, ['min', 'max']])}" for m in models)
    beyond = f"#LPO {span(s.test_lpo)}"
    one = f"one run: SANN seed {sann.config.seed}, {sann.config.steps:,} updates (best at {beyond})"
    spread = {"generalise": ranges(s.test_lpo, MODELS, f"mean accuracy at {beyond}"),
              "memory": ranges(ALL_LPO, MODELS, "mean accuracy at #LPO 0-20"),
              "srnn": ranges(ALL_LPO, BASELINES, "mean accuracy at #LPO 0-20"),
              "converge": f"median over {len(s.seeds)} seeds per model; every seed's curve in the chapter's Fig. 5b",
              "gates": one, "policy": one, "stack": one, "tsne": one,
              "algorithm": "no training: the pseudo-code on random expressions",
              "generalise_long": ranges(s.test_lpo, LONG_MODELS, f"mean accuracy at {beyond}", long_acc),
              "srnn_long": ranges(ALL_LPO, BASELINES, "mean accuracy at #LPO 0-20", long_acc)}
    return [(c, spread[c.key]) for c in found]


def reference() -> dict:
    """notebooks/m10ae.ipynb in the quick profile (main, long and grid runs; the analysed SANN):
    every quick run's curve and test scores, the tables the claims rest on, and every claim
    (:mod:`mannlib.reference`)."""
    rows = claims("quick")                                      # trains the quick runs
    s = settings("quick")
    runs, long_runs = load_runs(configs(s), "quick"), load_runs(long_configs(s), "quick")
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
