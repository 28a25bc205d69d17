"""mannlib.chapters.base.rerun_cost: the price a "Try it" box quotes, from a made-up plan."""
import pandas as pd
import pytest

from mannlib.chapters.base import rerun_cost
from mannlib.engine import sweep
from mannlib.engine.config import RunConfig


def fake_plan(rows, seen):
    """A stand-in for sweep.plan: ``rows`` as (cached, s_per_update, steps, cpu_h) per config, in order."""
    def plan(configs, reps=2, evaluation=False):
        seen.append((list(configs), evaluation))
        return pd.DataFrame([{"run": f"r{i}", "seed": c.seed, "steps": steps, "cached": cached,
                              "s_per_update": None if cached else sec, "cpu_h": cpu_h, "dev_cpu_h": 0.0}
                             for i, (c, (cached, sec, steps, cpu_h)) in enumerate(zip(configs, rows))])
    return plan


CONFIGS = [RunConfig("m10ae", "sann", seed=s) for s in range(3)]


@pytest.mark.parametrize("rows, expected", [
    ([(True, None, 100, 0.0)] * 3, "nothing to train, it only reads committed runs"),
    # 0.005 h = 0.3 min in all
    ([(True, None, 100, 0.0), (False, 0.1, 100, 0.005), (True, None, 100, 0.0)], "1 run to train, under a CPU-minute"),
    # training 1,000 x 0.9 s = 15 min each, with evaluation 0.5 h = 30 min each: 90 min, 45 evaluating;
    # 3 runs on 2 cores: 45 min
    ([(False, 0.9, 1000, 0.5)] * 3, "3 runs to train, about 90 CPU-minutes, 45 of them evaluation (45 min on 2 cores)"),
    # one long run dominates: 60 + 6 + 6 min, wall at least the 60 min run; training only (no evaluation share)
    ([(False, 3.6, 1000, 1.0), (False, 0.36, 1000, 0.1), (False, 0.36, 1000, 0.1)],
     "3 runs to train, about 72 CPU-minutes (60 min on 2 cores)"),
])
def test_rerun_cost_words(monkeypatch, rows, expected):
    seen = []
    monkeypatch.setattr(sweep, "plan", fake_plan(rows, seen))
    assert rerun_cost(CONFIGS) == expected
    assert seen == [(CONFIGS, True)]                       # priced with evaluation


def test_rerun_cost_counts_duplicates_once_and_takes_the_cores(monkeypatch):
    seen = []
    monkeypatch.setattr(sweep, "plan", fake_plan([(False, 0.36, 1000, 0.2)] * 2, seen))
    # 2 runs x 12 min, of which 6 min training each: 24 CPU-minutes, 12 evaluating; on 1 core 24 min
    assert rerun_cost(CONFIGS[:2] + CONFIGS[:1], cores=1) == \
        "2 runs to train, about 24 CPU-minutes, 12 of them evaluation (24 min on 1 core)"
    assert seen[0][0] == CONFIGS[:2]
    with pytest.raises(ValueError, match="cores must be a positive integer, got 0"):
        rerun_cost(CONFIGS, cores=0)
