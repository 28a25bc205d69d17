"""Sweeps: grids of configs, tuning on a development set, and the plan (what a list of runs will
cost here before any of it trains).

The runs themselves come from the chapters (``RUNS`` of each package in :mod:`mannlib.chapters`);
``python -m mannlib reproduce TARGET`` trains them through the run cache, so the book and the
command line always agree on what was trained.
"""
from __future__ import annotations

import itertools

import pandas as pd

from .config import RunConfig


def grid(base: RunConfig, **values) -> list[RunConfig]:
    """Every combination of ``values`` applied to ``base``: ``grid(c, lr=[1e-3, 1e-4],
    batch_size=[32, 64, 128, 256])`` is Wang §3.1's grid (8 configs)."""
    keys = list(values)
    return [base.replace(**dict(zip(keys, combo))) for combo in itertools.product(*values.values())]


def tune(configs: list[RunConfig], progress: str = "auto") -> pd.DataFrame:
    """Train (or load) each config and tabulate its dev accuracy, best first (Wang §3.1:
    hyper-parameters "tuned on a development set"). Columns: the fields that differ between
    the configs, ``dev_acc`` (last curve point), ``best_dev_acc`` (best point) and ``run``."""
    from .cache import train_or_load
    dicts = [c.to_dict() for c in configs]
    varying = [k for k in dict.fromkeys(k for d in dicts for k in d) if any(d.get(k) != dicts[0].get(k) for d in dicts)]
    rows = []
    for config, d in zip(configs, dicts):
        run = train_or_load(config, progress=progress)
        rows.append({**{k: d.get(k) for k in varying}, "dev_acc": run.curve["dev_acc"].iloc[-1],
                     "best_dev_acc": run.curve["dev_acc"].max(), "run": run.id})
    return pd.DataFrame(rows).sort_values(["dev_acc", "best_dev_acc"], ascending=False, kind="stable")


def plan(configs: list[RunConfig], reps: int = 2) -> pd.DataFrame:
    """What training ``configs`` would cost here before any of it is trained: one row per run
    with its id, whether the cache already holds it complete, and for the others the measured
    CPU seconds per update (:func:`mannlib.engine.train.step_seconds`, measured once per distinct
    model, sizes and task setting) times its updates. Evaluation is not counted (a few percent)."""
    from .cache import MANIFEST, run_path
    from .train import step_seconds
    price, rows = {}, []
    for c in configs:
        done = (run_path(c) / MANIFEST).exists()
        key = c.replace(seed=0, steps=1).to_json()
        if not done and key not in price:
            price[key] = step_seconds(c, reps)
        sec = None if done else price[key]
        rows.append({"run": run_path(c).name, "seed": c.seed, "steps": c.steps, "cached": done,
                     "s_per_update": sec, "cpu_h": 0.0 if done else sec * c.steps / 3600})
    return pd.DataFrame(rows)

