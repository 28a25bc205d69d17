"""The paper-profile runs each chapter needs: ``python -m mannlib reproduce CHAPTER`` trains them.

Each chapter maps to a function returning its list of :class:`~mannlib.config.RunConfig`; the
chapter notebook loads the same configs with ``train_or_load``, so the book and the command
line always agree on what was trained.
"""
from __future__ import annotations

import itertools

import pandas as pd

from .config import ConfigError, RunConfig, profile_config

SEEDS = (0, 1, 2)


def mirror() -> list[RunConfig]:
    """Wang §3.2, Fig. 2-4: srnn, lstm, tann, sann at Wang §3.1's sizes, three seeds each."""
    return [profile_config("mirror", model, "paper", seed)
            for model in ("srnn", "lstm", "tann", "sann") for seed in SEEDS]


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
    varying = [k for k in dicts[0] if any(d[k] != dicts[0][k] for d in dicts)]
    rows = []
    for config, d in zip(configs, dicts):
        run = train_or_load(config, progress=progress)
        rows.append({**{k: d[k] for k in varying}, "dev_acc": run.curve["dev_acc"].iloc[-1],
                     "best_dev_acc": run.curve["dev_acc"].max(), "run": run.id})
    return pd.DataFrame(rows).sort_values(["dev_acc", "best_dev_acc"], ascending=False, kind="stable")


def m10ae() -> list[RunConfig]:
    """Wang §3.3, Fig. 5-9: the §3.1 tuning grid (SANN, lr x batch size), then srnn, lstm, tann,
    sann at the chosen setting, three seeds each; settings in :mod:`mannlib.chapters.m10ae`."""
    from .chapters import m10ae as chapter
    s = chapter.settings("paper")
    return chapter.grid_configs(s) + chapter.configs(s) + chapter.long_configs(s)


def lantm() -> list[RunConfig]:
    """Yang §4-5, Tables 3-4 and appendix B: the ablation that picks the reading of §4's
    training setting, then LANTM-InvNorm and -SoftMax on the five tasks at Table 1's sizes
    (the ablation's runs of the chosen setting are Table 3's too); settings and deviations in
    :mod:`mannlib.chapters.lantm` and :mod:`mannlib.chapters.lantm_ablation`."""
    from .chapters import lantm as chapter
    from .chapters import lantm_ablation
    configs = lantm_ablation.configs() + lantm_ablation.long_configs() + chapter.configs(chapter.settings("paper"))
    return list({c.to_json(): c for c in configs}.values())   # in order, each once


def lantm_fits() -> list[RunConfig]:
    """The LANTM chapter's ``scale="fits"`` runs: a quarter of Table 1's sizes, the momentum-0.95
    reading of RMSProp at a small learning rate, and the 4 x 256 LSTM baseline at those sizes."""
    from .chapters import lantm as chapter
    return chapter.configs(chapter.settings("paper", "fits"))


# chapter name -> its runs (the RunConfigs the chapter notebook loads).
CHAPTERS = {
    "mirror": mirror,
    "m10ae": m10ae,
    "lantm": lantm,
    "lantm-fits": lantm_fits,
}


def _signatures(profile: str = "paper", jobs: int = 2):
    """Koppula et al. 2018: language models, decoders and baselines (resumable, under data/signatures)."""
    from . import signatures, signatures_mann
    done = signatures.reproduce(profile, jobs=jobs)
    signatures_mann.mann_signatures(profile)  # beyond the paper: the mirror runs' signatures
    return done


# Chapters whose experiments are a pipeline rather than a list of RunConfigs: name -> reproduce(profile, jobs).
PIPELINES = {"signatures": _signatures}


def chapter_runs(chapter: str) -> list[RunConfig]:
    """The runs of ``chapter``; ConfigError naming the chapters for an unknown name."""
    if chapter not in CHAPTERS:
        raise ConfigError(f"unknown chapter {chapter!r}; choose one of {', '.join([*CHAPTERS, *PIPELINES])}")
    runs = CHAPTERS[chapter]()
    if not runs:
        raise ConfigError(f"chapter {chapter!r} defines no runs yet (mannlib/experiments.py)")
    return runs


def plan(configs: list[RunConfig], reps: int = 2) -> pd.DataFrame:
    """What training ``configs`` would cost here before any of it is trained: one row per run
    with its id, whether the cache already holds it complete, and for the others the measured
    CPU seconds per update (:func:`mannlib.train.step_seconds`, measured once per distinct
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

