"""The chapter "Every memory on every task": every model of the book on every task, under one
protocol, with seeds and intervals.

notebooks/every_memory.ipynb tells the story; this package computes it:

* :mod:`.settings`: the protocol as constants (:data:`LRS`, :data:`SEEDS`, :data:`STEPS`,
  :data:`TRAIN_MAX`, :data:`SIZES`, ...), :func:`settings` (the notebook's parameters),
  :func:`configs` (what ``python -m mannlib reproduce every_memory`` trains: :data:`RUNS`),
  :func:`load_runs` (the runs the cache holds; nothing is trained in the paper profile unless
  asked), the protocol and sizes tables and the plan (:func:`plan_table`: measured CPU-hours; :func:`matrix_price`: the whole matrix's);
* :mod:`.results`: tidy frames from the runs, the learning rate chosen on the development set
  (:func:`choose_lr`), per-seed accuracy in and beyond the training range, means with 95%
  t-intervals (:func:`interval`), the results table;
* :mod:`.figures`: the heatmap (models x tasks, in and beyond the training range) and the
  accuracy-against-length curves;
* :mod:`.discussion`: which memory leads where, and the papers' findings (Wang et al. 2019, Yang
  2016, Delétang et al. 2023) next to ours;
* :mod:`.contract`: ``PAPER``, ``paper_says()`` (empty), ``claims()`` (none: the chapter reproduces
  no paper), ``reference()``, ``RUNS``, and :func:`results`, everything the notebook shows.
"""
from .contract import PAPER, RUNS, Results, claims, paper_says, prose, reference, results  # noqa: F401
from .discussion import (AGREEMENT, GENERALISES, agreement, beyond, comparison, comparison_text,  # noqa: F401
                         findings, leaders, leaders_text)
from .figures import curves_figure, heatmap_figure  # noqa: F401
from .results import (LEVEL, PENDING, REGION_NAMES, REGIONS, cell_text, chosen, choose_lr, dev_frame,  # noqa: F401
                      grid, interval, length_frame, missing_text, progress, results_table, seed_scores, summary_frame)
from .settings import (BATCH_SIZE, CLIP, CPU_HOURS, DEV_N, EVAL_EVERY, EVAL_N, FACTOR, LRS, MEMORY_SIZES,  # noqa: F401
                       NAMES, PAPER_TEST_MAX, PAPER_TRAIN_MAX, QUICK, SEEDS, SIZES, STEPS, TASKS, TRAIN_MAX, Loaded,
                       Settings, config, configs, dev_lengths, load_runs, make_task, matrix_price, model_sizes,
                       paper_runs, plan_summary, plan_table, protocol_table, settings, sizes_table, task_args,
                       test_lengths)
