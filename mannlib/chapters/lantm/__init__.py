"""The LANTM chapter (Yang 2016, §4-5 and appendix B): its runs, tables, verdicts and figures.

notebooks/lantm.ipynb tells the story; this package computes it, one module per kind of code:

* :mod:`.ablation`: which reading of §4's training setting lets the LANTM learn (issue 16);
* :mod:`.settings`: :func:`settings`, :func:`configs` (what ``python -m mannlib reproduce lantm``
  and ``lantm-fits`` train: :data:`RUNS`), :func:`load_runs`; :mod:`.deviations`: every way our
  setting differs from the paper's;
* :mod:`.tables`: Table 2 (:func:`table2`), Table 3 (:func:`score_frame`, :func:`table3`),
  Table 4 (:func:`extrapolation_scores`, :func:`table4`; every seed: :func:`extrapolation_all`, :func:`table4_seeds`), the cost (:func:`wall_times`,
  :func:`paper_cost`), how long the LSTM baseline trained (:func:`lstm_training`);
* :mod:`.traces`: the appendix figures (Figs. 7-11): :func:`trace_run` runs a trained model on
  one long problem with its trace, :func:`trace_figure`, :func:`parity_figure`,
  :func:`strength_by_parity`; :mod:`.figures`: :func:`scores_figure`, :func:`curves_figure`;
* :mod:`.claims`: the paper's claims next to ours with verdicts from stated thresholds (module
  constants), :func:`results` (everything at once), and the chapter contract's
  :func:`claims`, :func:`paper_says`, :func:`reference`.

The paper's numbers and settings (Tables 1-4, §4) are typed once, in :mod:`mannlib.papers.yang`.

Scales. ``"paper"`` (the default) is Yang's setting: Table 1's sizes, Table 2's sizes and
learning rates, RMSProp and the halving schedule, under the readings of §4 in :data:`READINGS` (the
ablation's best for its budget, the author's code for the author's budget, and that with the
ablation's stage 2: lr 0.01, alone or with an output layer that reads r_t), compared by
:mod:`.readings`; :data:`READING` is the default.
``"fits"`` is the setting of an earlier version of this chapter, kept as a parameter because it
shows what the misread optimiser could still learn (:data:`FITS`): a quarter of Table 1's
training sizes, RMSProp with momentum 0.95 at a small learning rate for the LANTMs (the LSTM
keeps Table 2's), the same number of updates for every model; see :func:`deviations` for each
difference.
"""
from __future__ import annotations

from ...engine.cache import train_or_load  # noqa: F401  (the notebook's exercises train a config with L.train_or_load)
from ...papers.yang import PAPER
from ..base import NOT_TESTED, Claim, claims_table, pct, points, summary, verdict  # noqa: F401  (the notebook's)
from . import ablation
from . import settings as settings_module   # the module (``settings`` is the function)
from .ablation import Diverged, halvings  # noqa: F401
from .claims import (CLEARLY, EXTRAPOLATES, FAILED, FAINT, GENERALISES_4X, HIGH_FINE, LATE, LOW_COARSE,  # noqa: F401
                     MASTERED, NEAR, SOFTMAX_MASTERS, TRACK, Results, claims, invnorm_claim, late_errors_claim,
                     lstm_claim, paper_says, parity_claim, reads_claim, reference, reference_settings, results,
                     softmax_claim, table4_claim, tasks_at, tasks_listed, weighting_claim)
from .deviations import SWITCH_TEXT, deviations, paper_deviations  # noqa: F401
from .figures import curves_figure, scores_figure  # noqa: F401
from .readings import best_reading, compare_readings  # noqa: F401
from .settings import (CHANCE_LOSS, FITS, FITS_LR, FITS_SEEDS, LANTMS, LSTM_SEEDS, MODELS,  # noqa: F401
                       PAPER_SEEDS, PAPER_STEPS, PAPER_TEST_PROBLEMS, QUICK_M, READING, READINGS, SCALES, TASKS, Settings,
                       baseline_configs, config, configs, dev_sizes, diverged_text, eval_n, fits_runs, load_runs, paper_runs,
                       settings, train_command, train_max)
from .tables import (FACTORS, PAPER_TABLE3, PAPER_TABLE4, STILL_LEARNING, best_runs, extrapolation_all, extrapolation_scores,  # noqa: F401
                     first_error, loss_drop, lstm_runs_text, lstm_training, median_coarse, n_params, n_seeds, of_runs, pace_table, paper_cost, per_seed, predict,
                     score_frame, show_table3, spaced, step_seconds, table2, table3, table4, table4_seeds,
                     wall_times)
from .traces import (GATES, Trace, parity_figure, read_distances, step_ratio, strength_by_parity,  # noqa: F401
                     trace_figure, trace_run, write_step_length)

# reproduce target -> the paper-profile runs (``python -m mannlib reproduce lantm``, ``lantm-fits``)
RUNS = {"lantm": paper_runs, "lantm-fits": fits_runs}
