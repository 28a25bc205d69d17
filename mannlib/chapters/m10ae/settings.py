"""The M10AE chapter's settings and runs (Wang et al. 2019, §3.1 and §3.3), and the thresholds of
its verdicts: the paper's numbers come from :mod:`mannlib.papers.wang`, ours are constants here,
so that the prose quotes them and the code and the prose cannot drift apart.

Runs: :func:`grid_configs` (Wang §3.1's learning-rate x batch-size grid, tuned on the dev set),
:func:`configs` (srnn, lstm, tann, sann x seeds at :data:`CHOSEN`) and :func:`long_configs`
(eight times the budget), together what ``python -m mannlib reproduce m10ae`` trains
(:func:`paper_configs`): the *fixed setting* (one learning rate and batch size for every model);
:func:`budget` says how much training that is. The #LPO ranges follow the ``train_max``
parameter (:func:`lpo_ranges`, :func:`span`): training on 0..m, testing beyond it on m+1..20.
Under Wang's protocol (``Settings.protocol``, :mod:`mannlib.chapters.wang_runs`) the main runs
are the protocol's final runs; the grid and the long runs stay the fixed setting's
(:func:`fixed_settings`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ...engine.cache import Run
from ...engine.config import RunConfig, profile_config
from ...engine.sweep import grid
from ...papers import wang
from ..base import epochs
from ..wang_common import BASELINES, MEMORY_MODELS, MODELS, SEEDS  # noqa: F401  (the chapter's names)
from ..base import seed_tuple, subset
from ..wang_common import check_task_range, positive
from ..wang_common import load_runs as load_configs
from ..wang_protocol import spec
from ..wang_runs import choose_run_set, final_configs, final_runs, fixed_knobs

TRAIN_MAX = wang.M10AE_TRAIN_MAX_LPO         # 14: "The maximum #LPO is 14 for training ..."
TEST_MAX = wang.M10AE_TEST_MAX_LPO           # 20: "... and 20 for validation" (§3.3)
TEST_LPO = tuple(range(TRAIN_MAX + 1, TEST_MAX + 1))                    # 15..20
ALL_LPO = tuple(range(0, TEST_MAX + 1))                                  # 0..20, Fig. 5a's x-axis
TRAIN_EXAMPLES = wang.M10AE_TRAIN_EXAMPLES   # "80 and 20 thousand examples are generated" (§3.3)
QUICK_SEEDS = (0, 1)

# --- Wang §3.1's settings and our budget ---------------------------------------------------------
GRID = wang.GRID         # lr "chosen from [0.001, 0.0001]", batch size from "[32, 64, 128, 256]"
GRID_EXAMPLES = 12_800   # training examples per grid run (steps = GRID_EXAMPLES / batch): equal data, ~equal CPU
GRID_DEV_N = 100         # dev examples per #LPO 0..14 for the grid (1,500), the choice is made on them
CHOSEN = {"lr": 1e-3, "batch_size": 32}   # not the grid's winner: the grid cannot tell its settings apart at our
                                          # budget, so Adam's default rate and the smallest batch (the most updates);
                                          # the notebook shows the winner and the gap
CELLS = 5                # from wang.M10AE_CELLS {5, 10, 20}: the hypothesised algorithm never holds more than 2 items
STEPS = 1_500            # parameter updates per main run: what our CPU budget allows (see budget())
DEV_N = 20               # dev examples per #LPO 0..14 for the learning curves (300)
EVAL_EVERY = 100         # steps between learning-curve points
CHECKPOINT_EVERY = 500   # resumable every 500 steps
QUICK_LPO = (0, 7, 14, 15, 20)   # the quick profile scores these #LPO only, 8 expressions each (quick_lpo)
ALGO_N, ALGO_SEED = 200, 7       # the algorithm check: 200 random expressions per #LPO 0-20

LONG_MODELS = ("srnn", "lstm", "sann")   # "does more training help?": eight times the budget
LONG_STEPS = 12_000      # 384k examples, 4.8 epochs: a SANN run took 16-26 min on one core here
LONG_EVAL_EVERY = 500    # (TANN, at about 2 h per run, did not fit)

# --- thresholds of the verdicts ------------------------------------------------------------------
TARGET = 0.90       # issue 7: SANN >= 90% at #LPO 15-20 (mean over 15-20, median over seeds)
FAR = 0.10          # "SimpRNN performs extremely bad": >= 10 points below LSTM (mean over #LPO 0-20)
RISING = 0.02       # Fig. 5b "converge": a curve has flattened when it gains < 2 points over its last 25% of steps ...
LEARNED = 0.50      # ... at a solution, >= 50% training accuracy (guessing scores 10%), not at the start of learning
SLOW_EPOCHS = 1.0   # "slowly": it first comes within RISING of its final accuracy after more than one epoch
NO_PUSH = 0.10      # Fig. 6b: at + and -, "the push probability goes to zero": P(PUSH) <= 0.1 ...
MANY_POPS = 2.5     # ... "and the expectation of pop times rise up sharply to around 3": >= 2.5 (K = 3)
EMPTY = 0.25        # Fig. 7: the stack is emptied at + -: the top cell's norm <= 25% of its mean at numerals
PUSHED = 2.0        # Fig. 7: a push at * /: cell 1's norm >= 2x its norm at the numeral before


def lpo_ranges(train_max: int = TRAIN_MAX) -> tuple[tuple, tuple]:
    """(the #LPO trained on, the #LPO beyond them) for a training maximum m: (0..m, m+1..20), the
    ranges of ``mannlib.tasks.m10ae.M10AE(train_max=m)`` up to the paper's test maximum (§3.3)."""
    return tuple(range(train_max + 1)), tuple(range(train_max + 1, max(TEST_MAX, train_max + 1) + 1))


def span(lpo) -> str:
    """#LPO values as the prose writes them: (0, .., 14) -> "0-14", (20,) -> "20"."""
    return f"{lpo[0]}-{lpo[-1]}" if lpo[-1] != lpo[0] else str(lpo[0])


def quick_lpo(train_max: int = TRAIN_MAX) -> tuple:
    """The #LPO the quick profile scores: 0, the middle and the end of training, the first beyond
    it and the last (:data:`QUICK_LPO` at the paper's 14)."""
    return tuple(sorted({0, train_max // 2, train_max, train_max + 1, lpo_ranges(train_max)[1][-1]}))


@dataclass(frozen=True)
class Settings:
    profile: str          # paper | quick (mannlib.notebook.PROFILES)
    seeds: tuple          # seeds per model
    steps: int            # parameter updates per main run
    analysis_n: int       # expressions in the analysis set (Wang §3.3: 500)
    analysis_seed: int = 0
    lr: float | None = None          # Adam's learning rate of the main and long runs (None: CHOSEN's; quick: 3e-3)
    batch_size: int | None = None    # None: CHOSEN's (quick: 16)
    cells: int | None = None         # memory cells N of TANN and SANN (None: CELLS; quick: 6)
    width: int | None = None         # size of a memory cell (None: 100; quick: 8)
    hidden: int | None = None        # controller size of every model (None: 100; quick: 16)
    train_max: int = TRAIN_MAX       # training #LPO 0..train_max (Wang: 14); tested beyond it up to 20
    models: tuple = MODELS           # the models trained and compared (SANN always: the chapter tunes and analyses it)
    protocol: str = "fixed"          # the main runs read: paper | strict (Wang's protocol) | fixed (wang_runs)

    @property
    def train_lpo(self) -> tuple:
        """The #LPO trained on: 0..train_max (0..14)."""
        return lpo_ranges(self.train_max)[0]

    @property
    def test_lpo(self) -> tuple:
        """The #LPO beyond training: train_max + 1 .. 20 (15..20)."""
        return lpo_ranges(self.train_max)[1]


def settings(profile: str, steps: int | None = None, seeds=None, lr: float | None = None,
             batch_size: int | None = None, cells: int | None = None, width: int | None = None,
             hidden: int | None = None, train_max: int = TRAIN_MAX, models=MODELS, protocol: str = "auto") -> Settings:
    """The chapter's settings, every argument a parameter of notebooks/m10ae.ipynb (and of
    ``reproduce m10ae --set``). paper: Wang's settings at our :data:`STEPS` (or ``steps``),
    seeds 0-2, 500 analysis expressions; quick: two seeds of tiny models for 30 steps, scored at
    a few #LPO, and 200 analysis expressions, enough to run every cell in seconds. ``seeds`` is
    a number n (seeds 0..n-1) or a list; ``lr``, ``batch_size``, ``cells``, ``width`` and
    ``hidden`` replace the profile's value in the main and long runs (the tuning grid keeps its
    own learning rates and batch sizes but takes the sizes); ``train_max`` m trains on #LPO 0..m
    and tests on m+1..20 (Wang §3.3: 14); ``models`` must hold SANN (the chapter tunes and
    analyses it). ``protocol``: which main runs to read (:mod:`mannlib.chapters.wang_runs`):
    ``paper`` or ``strict`` (Wang's protocol: each model's own learning rate, batch size and
    cells chosen on the development set, trained until it stopped improving, three seeds; only
    ``models`` may change with it), ``fixed`` (one setting for every model, which the other
    parameters change) or ``auto`` (``paper`` once its campaign is complete and no fixed-setting
    parameter is set, else ``fixed``). A bad value raises ValueError naming the allowed ones."""
    if profile not in ("paper", "quick"):
        raise ValueError(f"unknown profile {profile!r}; choose one of paper, quick")
    models = subset(models, MODELS, "model")
    if "sann" not in models:
        raise ValueError("models must include sann (the chapter tunes and analyses it); "
                         f"choose from {', '.join(MODELS)}")
    knobs = fixed_knobs(steps=steps, seeds=seeds, lr=lr, batch_size=batch_size, cells=cells, width=width,
                        hidden=hidden, train_max=train_max if train_max != TRAIN_MAX else None)
    seeds = seed_tuple(seeds) if seeds is not None else (SEEDS if profile == "paper" else QUICK_SEEDS)
    lr = positive("lr", lr, float)
    for name, value in (("steps", steps), ("batch_size", batch_size), ("cells", cells), ("width", width),
                        ("hidden", hidden)):
        positive(name, value)
    if isinstance(train_max, bool) or not isinstance(train_max, int) or not 0 <= train_max < wang.M10AE_TEST_MAX_LPO:
        raise ValueError(f"train_max must be an integer #LPO 0-{wang.M10AE_TEST_MAX_LPO - 1}, got {train_max!r}")
    check_task_range("m10ae", train_max, TRAIN_MAX, "train_max")
    protocol = choose_run_set("m10ae", protocol, profile, models, knobs)
    if protocol != "fixed":
        seeds = spec("m10ae", profile).seeds
    knobs = dict(lr=lr, batch_size=batch_size, cells=cells, width=width, hidden=hidden, train_max=train_max,
                 models=models, protocol=protocol)
    if profile == "paper":
        return Settings("paper", seeds, steps or STEPS, wang.M10AE_ANALYSIS_N, **knobs)
    return Settings("quick", seeds, steps or 30, 200, **knobs)


def paper_overrides(model: str, steps: int) -> dict:
    """The paper-profile fields of a run of ``model`` that differ from Wang's defaults
    (:func:`mannlib.engine.config.profile_config`): our cells, setting and budget."""
    sizes = {"sizes.cells": CELLS} if model in MEMORY_MODELS else {}
    return dict(sizes, **CHOSEN, steps=steps, dev_n=DEV_N, eval_every=EVAL_EVERY, checkpoint_every=CHECKPOINT_EVERY)


def knob_overrides(s: Settings, model: str, optimiser: bool = True) -> dict:
    """The fields of a run of ``model`` that ``s``'s parameters change (none with the defaults, so
    the committed runs keep their ids); ``optimiser=False`` leaves lr and batch size alone (the grid)."""
    out = {k: getattr(s, k) for k in ("lr", "batch_size") if optimiser and getattr(s, k) is not None}
    sizes = ("hidden", "cells", "width") if model in MEMORY_MODELS else ("hidden",)
    out.update({f"sizes.{k}": getattr(s, k) for k in sizes if getattr(s, k) is not None})
    if s.train_max != TRAIN_MAX:
        out["task_args.train_max"] = s.train_max
    return out


def fixed_settings(s: Settings) -> Settings:
    """``s`` in the fixed setting: itself, or for a chapter reading Wang's protocol (whose other
    parameters are the defaults) the default fixed setting of its profile and models, whose grid
    and long runs the chapter still shows."""
    if s.protocol == "fixed":
        return s
    return dataclasses.replace(s, protocol="fixed", seeds=SEEDS if s.profile == "paper" else QUICK_SEEDS)


def configs(s: Settings) -> list[RunConfig]:
    """The chapter's main runs: under Wang's protocol its final runs (each model's chosen cell x
    seed, :func:`mannlib.chapters.wang_runs.final_configs`); in the fixed setting every model of
    ``s.models`` x seed at :data:`CHOSEN` with :data:`CELLS` cells and ``s.steps`` updates on
    the fixed 80k training set (paper), or tiny quick versions scored at :func:`quick_lpo`; the
    parameters of ``s`` replace what they name."""
    if s.protocol != "fixed":
        return final_configs("m10ae", s.protocol, s.profile, s.models)
    if s.profile == "paper":
        return [profile_config("m10ae", m, "paper", seed, **{**paper_overrides(m, s.steps), **knob_overrides(s, m)})
                for m in s.models for seed in s.seeds]
    return [profile_config("m10ae", m, "quick", seed, steps=s.steps, eval_every=10, eval_n=8,
                           eval_difficulties=quick_lpo(s.train_max), **knob_overrides(s, m))
            for m in s.models for seed in s.seeds]


def long_configs(s: Settings) -> list[RunConfig]:
    """:data:`LONG_MODELS` (those of ``s.models``) x seeds at :data:`LONG_STEPS` updates, otherwise the main runs'
    settings (paper); quick: the quick runs of those models with 60 steps. Always the fixed
    setting's (:func:`fixed_settings`): under a protocol they are compared with its main runs."""
    s = fixed_settings(s)
    if s.profile == "paper":
        long = dataclasses.replace(s, steps=LONG_STEPS)
        return [c.replace(eval_every=LONG_EVAL_EVERY) for c in configs(long) if c.model in LONG_MODELS]
    return [c for c in configs(dataclasses.replace(s, steps=60)) if c.model in LONG_MODELS]


def grid_configs(s: Settings) -> list[RunConfig]:
    """Wang §3.1's tuning grid for SANN (seed 0): lr x batch size, each run seeing
    :data:`GRID_EXAMPLES` training examples (so a batch of 256 makes 50 updates, one of 32 400)
    and scored on :data:`GRID_DEV_N` dev examples per training #LPO (0-14). Quick: the quick learning rate
    and 1e-4 at the quick batch size, 20 steps each. The fixed setting's whatever ``s.protocol``
    (a protocol has its own tuning: :mod:`mannlib.chapters.wang_protocol`)."""
    if s.profile == "paper":
        base = profile_config("m10ae", "sann", "paper", 0, **{**paper_overrides("sann", 1),
                                                                "dev_n": GRID_DEV_N, "eval_n": 20,
                                                                **knob_overrides(s, "sann", optimiser=False)})
        runs = grid(base, **GRID)
        return [c.replace(steps=GRID_EXAMPLES // c.batch_size, eval_every=GRID_EXAMPLES // c.batch_size // 4)
                for c in runs]
    base = profile_config("m10ae", "sann", "quick", 0, steps=20, eval_every=10,
                          **knob_overrides(s, "sann", optimiser=False))
    return grid(base, lr=[base.lr, GRID["lr"][1]])


def every_config(s: Settings) -> list[RunConfig]:
    """The grid, main and long runs of ``s``, each once: what the notebook trains or loads (under
    a protocol also the fixed setting's main runs, which its long runs are compared with)."""
    fixed = configs(fixed_settings(s)) if s.protocol != "fixed" else []
    return list({c.to_json(): c for c in grid_configs(s) + configs(s) + fixed + long_configs(s)}.values())


def paper_configs() -> list[RunConfig]:
    """Wang §3.3, Figs. 5-9: the §3.1 tuning grid (SANN, lr x batch size), then srnn, lstm, tann,
    sann at the chosen setting, three seeds each, then the long runs (what ``python -m mannlib
    reproduce m10ae`` trains: the fixed setting)."""
    s = settings("paper", protocol="fixed")
    return grid_configs(s) + configs(s) + long_configs(s)


def paper_runs(steps: int | None = None, seeds=None, lr: float | None = None, batch_size: int | None = None,
               cells: int | None = None, width: int | None = None, hidden: int | None = None,
               train_max: int = TRAIN_MAX, models=MODELS) -> list[RunConfig]:
    """``reproduce m10ae``: :func:`paper_configs`; with parameters (``reproduce m10ae --set
    cells=10``, ``--set models='["sann","lstm"]'``: the notebook's names), the grid, main and
    long runs of :func:`settings` with them, each once: always the fixed setting (Wang's protocol
    trains with ``reproduce m10ae --protocol paper``)."""
    return every_config(settings("paper", steps, seeds, lr, batch_size, cells, width, hidden, train_max, models,
                                 protocol="fixed"))


def load_runs(what, profile: str | None = None, name: str = "runs") -> list[Run]:
    """``what`` a :class:`Settings`: the chapter's main runs (:func:`configs`), under Wang's
    protocol with the protocol's test scores (the strict protocol's carry no weights; the rest of
    its campaign trains first); ``what`` a list of configs: those runs in ``profile``. Missing
    runs train first (:func:`mannlib.chapters.wang_common.load_runs`)."""
    if not isinstance(what, Settings):
        return load_configs(what, profile, name)
    if what.protocol != "fixed":
        return final_runs("m10ae", what.protocol, what.profile, what.models)
    return load_configs(configs(what), what.profile, "m10ae")


def budget(s: Settings, config: RunConfig) -> dict:
    """How much training a main run gets: steps, examples seen, epochs over its training set."""
    examples = s.steps * config.batch_size
    return {"steps": s.steps, "batch_size": config.batch_size, "examples": examples,
            "epochs": epochs(s.steps, config.batch_size, config.train_examples)}
