"""The mirror chapter (Wang et al. 2019, §3.2): its runs, tables, verdicts and analyses.

notebooks/mirror.ipynb tells the story; this package computes it, in eight small modules:

* :mod:`.settings`: the paper's settings (:mod:`mannlib.papers.wang`), ours, the runs
  (:func:`settings`, :func:`configs`, :func:`load_runs`) and every threshold of a verdict
  (:data:`TARGET` and friends);
* :mod:`.results` (Fig. 2): :func:`length_table`, :func:`steps_to`, :func:`beyond_scores`, and
  sentences for the prose that read correctly whatever the numbers are
  (:func:`generalisation_lesson`, :func:`fit_text`, ...); :func:`accuracy_frame` and
  :func:`curve_frame` are shared with the M10AE chapter (:mod:`mannlib.chapters.wang_common`);
* :mod:`.analysis` (Figs. 3-4): :func:`best_seed` picks the run to analyse, :func:`analyse` runs
  it on Wang's analysis set with its trace, :func:`hypothesis` fits the paper's hypothesised
  strategy to it, :func:`agreement` probes every labelled (time step, cell);
* :mod:`.figures`: :func:`figure4` computes the t-SNE panels, :func:`negative_text` reads the
  negative examples;
* :mod:`.verdicts`: the paper's claims next to ours, each with a verdict from stated thresholds:
  :func:`generalisation_claim`, :func:`baseline_claim`, :func:`convergence_claim`,
  :func:`delimiter_claim`, :func:`policy_claim`, :func:`hypothesis_claim`;
* :mod:`.protocol`: Wang's protocol (tuned on a development set): :func:`protocol_progress`,
  :func:`tuning_table`, :func:`tuning_figure`, :func:`protocol_results`, and
  :func:`protocol_text`, which says which runs the chapter reads (``Settings.protocol``);
* :mod:`.design`: two choices the paper leaves open (the stack's pop count, the tape heads'
  input), each changed on the fixed-setting runs: :func:`design_runs`, :func:`design_table`,
  :func:`design_text`;
* :mod:`.contract`: what the chapter answers the book (:mod:`mannlib.chapters`): ``PAPER``,
  ``paper_says()``, ``claims(profile)``, ``reference()``, ``RUNS``.

Verdicts are one of :data:`VERDICTS`; the generic pieces (:class:`Claim`, :func:`verdict`,
:func:`pct`, :func:`points`, :func:`summary`, :func:`claims_table`) come from
:mod:`mannlib.chapters.base`.
"""
from ..base import VERDICTS, Claim, check_models, claims_table, pct, points, summary, verdict
from ..wang_common import (ABOVE_SHUFFLED, SUPPORTED, accuracy_frame, agreement_figure, curve_frame, models_text,
                           progress_axis)
from .analysis import (Analysis, agreement, analyse, analysed_model_note, best_seed, beyond_accuracy,
                       gate_saturation, hypothesis, hypothesis_grid, policy_summary, seed_agreement, tann_layout)
from .contract import PAPER, RUNS, claims, paper_says, reference
from .design import DESIGN, changed, design_configs, design_runs, design_table, design_text
from .figures import (PanelSpec, cell_holding, figure4, figure4_panels, figure4_specs,
                      negative_text)
from .protocol import protocol_progress, protocol_results, protocol_text, protocol_values, tuning_figure, tuning_table
from .results import (beyond_scores, closest_seed, fit_text, generalisation_lesson, length_table,
                      show_length_table, sizes_text, steps_to, training_settings, within_scores)
from .settings import (BASELINES, CALM, CONVERGED, GAP, MEMORY_MODELS, MODELS, OPPOSITE, POLICY_GROUPS,
                       POLICY_KEYS, QUICK_SEEDS, SEEDS, SHARP, TARGET, TEST_LENGTHS, TEST_MAX, TRAIN_MAX, Settings,
                       configs, load_runs, overrides, paper_configs, paper_runs, settings)
from .verdicts import (baseline_claim, convergence_claim, delimiter_claim, delimiter_jump, focus_moves,
                       generalisation_claim, hypothesis_claim, opposite_policies, policy_claim)

__all__ = [
    "VERDICTS", "Claim", "check_models", "claims_table", "pct", "points", "summary", "verdict",
    "ABOVE_SHUFFLED", "SUPPORTED", "accuracy_frame", "curve_frame", "models_text", "progress_axis",
    "Analysis", "agreement", "analyse", "analysed_model_note", "best_seed", "beyond_accuracy", "gate_saturation",
    "hypothesis", "hypothesis_grid", "policy_summary", "seed_agreement", "tann_layout",
    "PAPER", "RUNS", "claims", "paper_says", "reference",
    "protocol_progress", "protocol_results", "protocol_text", "protocol_values", "tuning_figure", "tuning_table",
    "PanelSpec", "agreement_figure", "cell_holding", "figure4", "figure4_panels", "figure4_specs", "negative_text",
    "beyond_scores", "closest_seed", "fit_text", "generalisation_lesson", "length_table", "show_length_table",
    "sizes_text", "steps_to", "training_settings", "within_scores",
    "BASELINES", "CALM", "CONVERGED", "GAP", "MEMORY_MODELS", "MODELS", "OPPOSITE", "POLICY_GROUPS", "POLICY_KEYS",
    "QUICK_SEEDS", "SEEDS", "SHARP", "TARGET", "TEST_LENGTHS", "TEST_MAX", "TRAIN_MAX", "Settings", "configs",
    "load_runs", "overrides", "paper_configs", "paper_runs", "settings",
    "baseline_claim", "convergence_claim", "delimiter_claim", "delimiter_jump", "focus_moves",
    "generalisation_claim", "hypothesis_claim", "opposite_policies", "policy_claim",
]
