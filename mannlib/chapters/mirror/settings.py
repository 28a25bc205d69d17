"""The mirror chapter's settings and runs (Wang et al. 2019, §3.2), and the thresholds of its
verdicts: every number the chapter quotes is a constant here, so the prose and the code cannot
drift apart."""
from __future__ import annotations

from dataclasses import dataclass

from ...engine.cache import Run
from ...engine.config import RunConfig, profile_config
from ...papers import wang
from ..wang_common import BASELINES, MEMORY_MODELS, MODELS, SEEDS  # noqa: F401  (the chapter's names)
from ..base import seed_tuple, subset
from ..wang_common import check_task_range, positive
from ..wang_protocol import spec
from ..wang_runs import choose_run_set, final_configs, final_runs, fixed_knobs
from ..wang_common import load_runs as load_configs

TRAIN_MAX = wang.MIRROR_TRAIN_MAX              # 5: "The maximum length ... is 5 during the training stage"
TEST_MAX = wang.MIRROR_TEST_MAX                # 10: "... extended to 10 when testing"
TEST_LENGTHS = tuple(range(TRAIN_MAX + 1, TEST_MAX + 1))  # 6..10
MAX_LENGTH = 100                               # the longest sequence mannlib.tasks.mirror generates
QUICK_SEEDS = (0, 1)

TARGET = 0.95       # issue 6: SANN and TANN >= 95% (median over seeds) at every length 6-10
GAP = 0.20          # "clearly lower": baselines >= 20 points below on lengths 6-10
CONVERGED = 0.95    # Fig. 2b: a run has converged at its first curve point with train_acc >= 95%
SHARP = 0.10        # Fig. 3a/c: a saturation ratio jumping >= 10 points at <EOS> or y1 ...
CALM = 2.0          # ... and >= twice the largest step-to-step change while encoding
OPPOSITE = 0.5      # Fig. 3d: P(PUSH) and pops differ by >= 0.5 between encoding and decoding

POLICY_KEYS = {"tann": ["addr_write", "addr_read"], "sann": ["p_push", "pops"]}   # eq. 9; eqs. 10-11
POLICY_GROUPS = {"tann": [["addr_write", "addr_read"]], "sann": [["p_push"], ["pops"]]}


@dataclass(frozen=True)
class Settings:
    profile: str                  # paper | quick (mannlib.notebook.PROFILES)
    seeds: tuple                  # seeds per model
    analysis_n: int               # samples in the analysis set (Wang §3.2: 500)
    analysis_length: int = 5      # L of every analysis sample (see Mirror.analysis_set)
    analysis_seed: int = 0        # numpy seed of the analysis set
    models: tuple = MODELS        # the models trained and compared (TANN and SANN always: the chapter analyses both)
    lr: float | None = None       # Adam's learning rate (None: the profile's, 1e-3 / 3e-3)
    batch_size: int | None = None  # None: the profile's (32 / 16)
    steps: int | None = None      # updates per run (None: the profile's, 10,000 / 60)
    cells: int | None = None      # memory cells N of TANN and SANN (None: 20 / 6)
    width: int | None = None      # size M of a memory cell (None: 20 / 8)
    hidden: int | None = None     # controller size of every model (None: 100 / 16)
    train_max: int = TRAIN_MAX    # training lengths 1..train_max
    test_max: int = TEST_MAX      # test lengths 1..test_max; beyond train_max they measure generalisation
    protocol: str = "fixed"       # the runs read: paper | strict (Wang's protocol) | fixed (mannlib.chapters.wang_runs)

    @property
    def test_lengths(self) -> tuple:
        """The lengths beyond training: train_max + 1 .. test_max (6..10)."""
        return tuple(range(self.train_max + 1, self.test_max + 1))


def settings(profile: str, analysis_length: int = 5, analysis_seed: int = 0, models=MODELS, seeds=None,
             lr: float | None = None, batch_size: int | None = None, steps: int | None = None,
             cells: int | None = None, width: int | None = None, hidden: int | None = None,
             train_max: int = TRAIN_MAX, test_max: int = TEST_MAX, protocol: str = "auto") -> Settings:
    """The chapter's settings, every argument a parameter of notebooks/mirror.ipynb (and of
    ``reproduce mirror --set``). The paper profile: Wang's settings, seeds 0-2, 500 analysis
    samples; quick: two seeds of tiny models and 120 samples, enough to exercise every cell in
    seconds. ``seeds`` is a number n (seeds 0..n-1) or a list; ``lr``, ``batch_size``, ``steps``,
    ``cells``, ``width`` and ``hidden`` replace the profile's value when given; ``models`` must
    hold TANN and SANN (the chapter analyses both); training lengths are 1..``train_max``, test
    lengths 1..``test_max``. ``protocol``: which runs to read (:mod:`mannlib.chapters.wang_runs`):
    ``paper`` or ``strict`` (Wang's protocol: the models' own chosen learning rate and batch size,
    three seeds at the paper's sizes; only ``models`` may change with it), ``fixed`` (one setting
    for every model, which the other knobs change) or ``auto`` (``paper`` once its campaign is
    complete and no fixed-setting knob is set, else ``fixed``). A bad value raises ValueError
    naming the allowed ones."""
    if profile not in ("paper", "quick"):
        raise ValueError(f"unknown profile {profile!r}; choose one of paper, quick")
    models = subset(models, MODELS, "model")
    if not set(MEMORY_MODELS) <= set(models):
        raise ValueError(f"models must include {' and '.join(MEMORY_MODELS)} (the chapter analyses both); "
                         f"choose from {', '.join(MODELS)}")
    knobs = fixed_knobs(seeds=seeds, lr=lr, batch_size=batch_size, steps=steps, cells=cells, width=width,
                        hidden=hidden, train_max=train_max if train_max != TRAIN_MAX else None,
                        test_max=test_max if test_max != TEST_MAX else None)
    seeds = seed_tuple(seeds) if seeds is not None else (SEEDS if profile == "paper" else QUICK_SEEDS)
    lr = positive("lr", lr, float)
    for name, value in (("batch_size", batch_size), ("steps", steps), ("cells", cells), ("width", width),
                        ("hidden", hidden)):
        positive(name, value)
    for name, value in (("train_max", train_max), ("test_max", test_max), ("analysis_length", analysis_length)):
        if positive(name, value) is None:
            raise ValueError(f"{name} must be a positive integer, got None")
    if not train_max < test_max <= MAX_LENGTH:
        raise ValueError(f"need train_max < test_max <= {MAX_LENGTH}, got train_max={train_max}, test_max={test_max}")
    if not 3 <= analysis_length <= MAX_LENGTH:   # Fig. 4 labels a cell with x_(L-2) after y2
        raise ValueError(f"analysis_length must be 3-{MAX_LENGTH}, got {analysis_length}")
    check_task_range("mirror", train_max, TRAIN_MAX, "train_max")
    n = wang.MIRROR_ANALYSIS_N if profile == "paper" else 120
    protocol = choose_run_set("mirror", protocol, profile, models, knobs)
    if protocol != "fixed":
        seeds = spec("mirror", profile).seeds
    return Settings(profile, seeds, n, analysis_length, analysis_seed, models, lr, batch_size, steps, cells, width,
                    hidden, train_max, test_max, protocol)


def paper_configs() -> list[RunConfig]:
    """Wang §3.2, Figs. 2-4: srnn, lstm, tann, sann at Wang §3.1's sizes, three seeds each (what
    ``python -m mannlib reproduce mirror`` trains)."""
    return [profile_config("mirror", model, "paper", seed) for model in MODELS for seed in SEEDS]


def overrides(s: Settings, model: str) -> dict:
    """The fields of a run of ``model`` that ``s``'s parameters change from the profile's config
    (none with the default parameters, so the committed runs keep their ids)."""
    out = {k: getattr(s, k) for k in ("lr", "batch_size", "steps") if getattr(s, k) is not None}
    sizes = ("hidden", "cells", "width") if model in MEMORY_MODELS else ("hidden",)
    out.update({f"sizes.{k}": getattr(s, k) for k in sizes if getattr(s, k) is not None})
    if s.train_max != TRAIN_MAX:
        out["task_args.train_max"] = s.train_max
    if (s.train_max, s.test_max) != (TRAIN_MAX, TEST_MAX):
        out["eval_difficulties"] = tuple(range(1, s.test_max + 1))
    return out


def configs(s: Settings) -> list[RunConfig]:
    """The runs of the chapter, model by model, then seed: under Wang's protocol its final runs
    (:func:`mannlib.chapters.wang_runs.final_configs`); otherwise :func:`paper_configs` in the
    paper profile with the default parameters, or each profile's config with ``s``'s parameters."""
    if s.protocol != "fixed":
        return final_configs("mirror", s.protocol, s.profile, s.models)
    return [profile_config("mirror", m, s.profile, seed, **overrides(s, m)) for m in s.models for seed in s.seeds]


def paper_runs(models=MODELS, seeds=None, lr: float | None = None, batch_size: int | None = None,
               steps: int | None = None, cells: int | None = None, width: int | None = None,
               hidden: int | None = None, train_max: int = TRAIN_MAX, test_max: int = TEST_MAX) -> list[RunConfig]:
    """``reproduce mirror``: :func:`paper_configs`; with parameters (``reproduce mirror --set
    cells=5``: the notebook's names), the paper-profile runs of :func:`settings` with them."""
    return configs(settings("paper", models=models, seeds=seeds, lr=lr, batch_size=batch_size, steps=steps,
                            cells=cells, width=width, hidden=hidden, train_max=train_max, test_max=test_max,
                            protocol="fixed"))   # Wang's protocol is `reproduce mirror --protocol paper`


def load_runs(s: Settings) -> list[Run]:
    """Load (or train what is missing of) :func:`configs`: in the paper profile the missing runs
    train first, two at a time, after an estimate; quick runs train silently. Under Wang's
    protocol, its final runs with the protocol's test scores (the rest of its campaign trains first)."""
    if s.protocol != "fixed":
        return final_runs("mirror", s.protocol, s.profile, s.models)
    return load_configs(configs(s), s.profile, "mirror")
