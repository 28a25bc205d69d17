"""The mirror chapter's settings and runs (Wang et al. 2019, §3.2), and the thresholds of its
verdicts: every number the chapter quotes is a constant here, so the prose and the code cannot
drift apart."""
from __future__ import annotations

from dataclasses import dataclass

from ...engine.cache import Run
from ...engine.config import RunConfig, profile_config
from ...papers import wang
from ..wang_common import BASELINES, MEMORY_MODELS, MODELS, SEEDS, load_runs as load_configs  # noqa: F401

TRAIN_MAX = wang.MIRROR_TRAIN_MAX              # 5: "The maximum length ... is 5 during the training stage"
TEST_LENGTHS = tuple(range(TRAIN_MAX + 1, wang.MIRROR_TEST_MAX + 1))  # 6..10: "... extended to 10 when testing"

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


def settings(profile: str, analysis_length: int = 5, analysis_seed: int = 0) -> Settings:
    """The paper profile: Wang's settings, seeds 0-2, 500 analysis samples; quick: two seeds of
    tiny models and 120 samples, enough to exercise every cell in seconds."""
    if profile == "paper":
        return Settings("paper", SEEDS, wang.MIRROR_ANALYSIS_N, analysis_length, analysis_seed)
    if profile == "quick":
        return Settings("quick", (0, 1), 120, analysis_length, analysis_seed)
    raise ValueError(f"unknown profile {profile!r}; choose one of paper, quick")


def paper_configs() -> list[RunConfig]:
    """Wang §3.2, Figs. 2-4: srnn, lstm, tann, sann at Wang §3.1's sizes, three seeds each (what
    ``python -m mannlib reproduce mirror`` trains)."""
    return [profile_config("mirror", model, "paper", seed) for model in MODELS for seed in SEEDS]


def configs(s: Settings) -> list[RunConfig]:
    """The runs of the chapter: :func:`paper_configs` in the paper profile, their quick versions
    otherwise."""
    if s.profile == "paper" and tuple(s.seeds) == tuple(SEEDS):
        return paper_configs()
    return [profile_config("mirror", m, s.profile, seed) for m in MODELS for seed in s.seeds]


def load_runs(s: Settings) -> list[Run]:
    """Load (or train what is missing of) :func:`configs`; quick runs train silently."""
    return load_configs(configs(s), s.profile)
