"""The M10AE chapter (Wang et al. 2019, §3.1 and §3.3): its runs, tables, verdicts and analyses.

notebooks/m10ae.ipynb tells the story; this package computes it, in seven small modules:

* :mod:`.settings`: the runs, :func:`grid_configs` (Wang §3.1's learning-rate x batch-size grid,
  tuned on the dev set), :func:`configs` (srnn, lstm, tann, sann x seeds at :data:`CHOSEN`) and
  :func:`long_configs`, all what ``python -m mannlib reproduce m10ae`` trains; :func:`budget`
  says how much training that is; the #LPO ranges of a ``train_max`` (:func:`lpo_ranges`);
  every threshold of a verdict (:data:`TARGET` and friends); ``Settings.protocol`` says which
  main runs the chapter reads (the fixed setting's, or Wang's protocol's: :func:`fixed_settings`);
* :mod:`.data`: :func:`datasets` (the training set a run really uses, the test set) and
  :func:`describe_frame` (``mannlib.tasks.m10ae.describe`` as one tidy table);
* :mod:`.results` (Fig. 5): :func:`tuning_table`, :func:`grid_choice`, :func:`lpo_scores`,
  :func:`range_table`, :func:`per_model_text`, :func:`wall_times`, :func:`run_epochs`,
  :func:`claim_epochs`, :func:`run_stops`, :func:`progress_curves` (Fig. 5b's x), :func:`longer_training`,
  :func:`ten_epochs`, :func:`target_text`;
  :func:`accuracy_frame` and :func:`curve_frame` are shared with the mirror chapter
  (:mod:`mannlib.chapters.wang_common`);
* :mod:`.analysis`: the 500 structured expressions N0 L0 N1 H0 N2 H1 N3 L1 N4 (Figs. 6-9):
  :func:`analyse`, :func:`memory_norms`, :func:`algorithm_check`, :func:`figure9_panels`;
* :mod:`.verdicts`: the claims with verdicts from stated thresholds: :func:`generalisation_claim`,
  :func:`memory_claim`, :func:`srnn_claim`, :func:`convergence_claim`, :func:`gate_claim`,
  :func:`policy_claim`, :func:`stack_claim`, :func:`tsne_claim`, :func:`algorithm_claim`;
* :mod:`.protocol`: Wang's protocol (tuned on a development set): :func:`protocol_progress`,
  :func:`protocol_tuning_table`, :func:`tuning_figure`, :func:`protocol_results`, and
  :func:`reading_values` and :func:`analysis_runs`, which say which runs the chapter reads;
* :mod:`.contract`: what the chapter answers the book (:mod:`mannlib.chapters`): ``PAPER``,
  ``paper_says()``, ``claims(profile)``, ``reference()``, ``RUNS``.

Verdicts are one of ``reproduced``, ``partly``, ``not reproduced`` (or ``not testable``); every
threshold is a module constant that the chapter quotes. The claim machinery (:class:`Claim`,
:func:`verdict`, :func:`claims_table`, :func:`noise`) comes from :mod:`mannlib.chapters.base`.
"""
from ..base import (NOT_TESTED, Claim, check_models, claims_table, glue_figure, glue_values, noise, pct, points,
                    rerun_cost, summary, verdict)
from ..wang_common import ABOVE_SHUFFLED, SUPPORTED, accuracy_frame, agreement_figure, curve_frame, models_text
from .analysis import (CATEGORIES, STEP_NAMES, Analysis, PanelSpec, agreement, algorithm_check, analyse, best_seed,
                       by_category, check_set, figure9_panels, figure9_specs, gate_saturation, hypothesis_policy,
                       left_to_right, memory_norms, panel_labels, policy_summary)
from .contract import PAPER, RUNS, claims, paper_says, reference
from .data import datasets, describe_frame, last_numeral_baseline, plot_dataset
from .protocol import (analysis_runs, protocol_progress, protocol_results, protocol_tuning_table, protocol_values,
                       reading_values, tuning_figure)
from .results import (PROGRESS_LABELS, claim_epochs, grid_choice, late_gain, longer_summary, longer_text,
                      longer_training, lpo_scores, per_model_text, plot_longer, progress_curves, range_table,
                      run_epochs, run_stops, target_text, ten_epochs, trained_steps, tuning_table, wall_times)
from .settings import (ALGO_N, ALGO_SEED, ALL_LPO, BASELINES, CELLS, CHECKPOINT_EVERY, CHOSEN, DEV_N, EMPTY,
                       EVAL_EVERY, FAR, GRID, GRID_DEV_N, GRID_EXAMPLES, LEARNED, LONG_EVAL_EVERY, LONG_MODELS,
                       LONG_STEPS, MANY_POPS, MEMORY_MODELS, MODELS, NO_PUSH, PUSHED, QUICK_LPO, QUICK_SEEDS, RISING,
                       SEEDS, SLOW_EPOCHS, STEPS, TARGET, TEST_LPO, TEST_MAX, TRAIN_EXAMPLES, TRAIN_MAX, Settings,
                       budget, configs, every_config, fixed_settings, grid_configs, knob_overrides, load_runs,
                       long_configs, lpo_ranges, paper_configs, paper_overrides, paper_runs, quick_lpo, settings, span)
from .verdicts import (algorithm_claim, convergence_claim, ended_text, gate_claim, generalisation_claim,
                       longer_claims, memory_claim, policy_claim, srnn_claim, stack_claim, tsne_claim, untrained)

__all__ = [
    "NOT_TESTED", "Claim", "check_models", "claims_table", "glue_figure", "glue_values", "noise", "pct", "points",
    "rerun_cost", "summary", "verdict",
    "ABOVE_SHUFFLED", "SUPPORTED", "accuracy_frame", "agreement_figure", "curve_frame", "models_text",
    "CATEGORIES", "STEP_NAMES", "Analysis", "PanelSpec", "agreement", "algorithm_check", "analyse", "best_seed",
    "by_category", "check_set", "figure9_panels", "figure9_specs", "gate_saturation", "hypothesis_policy",
    "left_to_right", "memory_norms", "panel_labels", "policy_summary",
    "PAPER", "RUNS", "claims", "paper_says", "reference",
    "datasets", "describe_frame", "last_numeral_baseline", "plot_dataset",
    "grid_choice", "late_gain", "longer_summary", "longer_text", "longer_training", "lpo_scores", "per_model_text",
    "plot_longer", "range_table", "tuning_table", "wall_times", "claim_epochs", "run_epochs", "trained_steps",
    "target_text", "ten_epochs", "PROGRESS_LABELS", "progress_curves", "run_stops",
    "analysis_runs", "protocol_progress", "protocol_results", "protocol_tuning_table", "protocol_values",
    "reading_values", "tuning_figure",
    "ALGO_N", "ALGO_SEED", "ALL_LPO", "BASELINES", "CELLS", "CHECKPOINT_EVERY", "CHOSEN", "DEV_N", "EMPTY",
    "EVAL_EVERY", "FAR", "GRID", "GRID_DEV_N", "GRID_EXAMPLES", "LEARNED", "LONG_EVAL_EVERY", "LONG_MODELS",
    "LONG_STEPS", "MANY_POPS", "MEMORY_MODELS", "MODELS", "NO_PUSH", "PUSHED", "QUICK_LPO", "QUICK_SEEDS", "RISING",
    "SEEDS", "SLOW_EPOCHS", "STEPS", "TARGET", "TEST_LPO", "TEST_MAX", "TRAIN_EXAMPLES", "TRAIN_MAX", "Settings",
    "budget", "configs", "every_config", "fixed_settings", "grid_configs", "knob_overrides", "load_runs",
    "long_configs", "lpo_ranges",
    "paper_configs", "paper_overrides", "paper_runs", "quick_lpo", "settings", "span",
    "algorithm_claim", "convergence_claim", "ended_text", "gate_claim", "generalisation_claim", "longer_claims",
    "memory_claim",
    "policy_claim", "srnn_claim", "stack_claim", "tsne_claim", "untrained",
]
