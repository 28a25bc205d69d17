"""The protocol of "Every memory on every task": one setting for every model and task, its runs,
and what they cost.

Every model of :data:`mannlib.models.MODELS` meets every task of :data:`mannlib.tasks.TASKS`
under one protocol (the numbers are the constants below, quoted by the chapter):

* training: Adam, batches of :data:`BATCH_SIZE` fresh examples drawn uniformly from the task's
  training range, the gradient norm clipped at :data:`CLIP` (Wang §3.1's optimiser and batch,
  the clip of our Wang runs), the same number of updates for every model of a task
  (:data:`STEPS`: the budget in training examples is ``steps x batch``);
* lengths: training on the task's lengths up to m (:data:`TRAIN_MAX`, where the papers' sizes do
  not fit the budget a smaller m, the same for every model; :data:`PAPER_TRAIN_MAX` the papers'),
  testing on every length from the training minimum to 2m;
* tuning: a learning rate from :data:`LRS` per (model, task), chosen on a development set drawn
  from the *training* range only (extrapolation is never selected for), by the mean over seeds
  of each run's best dev accuracy; every run keeps its best-dev weights (``keep_best``);
* seeds: :data:`SEEDS` for every learning rate of the grid, so that the choice and the reported
  numbers rest on the same three seeds; the runs are one fixed list (``reproduce every_memory``
  trains it in one go, locally or on a cluster);
* sizes: one controller size for every model, memories large enough for the longest test string
  (:data:`SIZES`; :func:`sizes_table`); the tape's heads read x_t as well as h_t (:data:`MODEL_OPTIONS`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from ...engine.cache import DIVERGED, MANIFEST, run_path, train_or_load
from ...engine.config import WANG_TASKS, YANG_TASKS, RunConfig
from ...engine.paths import DATA
from ...models import MODELS, ModelIO, build_model
from ...papers import wang, yang
from ...tasks import get_task
from ..base import seed_tuple, subset

TASKS = WANG_TASKS + YANG_TASKS                # mirror, m10ae (Wang), copy, reverse, bigramflip, double, addition (Yang)
NAMES = {"srnn": "SimpRNN", "lstm": "LSTM", "tann": "TANN", "sann": "SANN",
         "lantm-invnorm": "LANTM-InvNorm", "lantm-softmax": "LANTM-SoftMax"}   # as the papers write them

# --- the protocol -------------------------------------------------------------------------------
LRS = (1e-3, 3e-4)          # the learning-rate grid (Adam; Wang §3.1's grid is 1e-3, 1e-4)
SEEDS = (0, 1, 2)           # seeds of every (model, task, lr)
BATCH_SIZE = 32             # Wang §3.1's smallest batch, Yang §4's batch
CLIP = 10.0                 # gradient-norm clipping, as our Wang runs
FACTOR = 2                  # test lengths up to FACTOR x the training maximum
STEPS = {"mirror": 10_000, "m10ae": 12_000, "copy": 10_000, "reverse": 10_000, "bigramflip": 10_000,
         "double": 10_000, "addition": 10_000}        # updates per run, the same for every model of a task
TRAIN_MAX = {"mirror": 5, "m10ae": 14, "copy": 16, "reverse": 16, "bigramflip": 16, "double": 16, "addition": 8}
PAPER_TRAIN_MAX = {"mirror": wang.MIRROR_TRAIN_MAX, "m10ae": wang.M10AE_TRAIN_MAX_LPO,
                   **{t: yang.TABLE1[t][0][1] for t in yang.TABLE1}}     # Wang §3.2-3.3, Yang Table 1
PAPER_TEST_MAX = {"mirror": wang.MIRROR_TEST_MAX, "m10ae": wang.M10AE_TEST_MAX_LPO,
                  **{t: yang.TABLE1[t][1][1] for t in yang.TABLE1}}
SIZES = {"hidden": 100,     # controller LSTM (Elman for SimpRNN) units of every model (Wang §3.1: 100)
         "embed": 32,       # token embedding (token tasks only)
         "cells": 40,       # stack depth / tape rows: more than the longest test string (2 x 16 = 32)
         "width": 20}       # memory vector width of stack, tape and LANTM (Wang mirror, Yang Table 2: 20)
MEMORY_SIZES = {"sann": ("cells", "width"), "tann": ("cells", "width"),
                "lantm-invnorm": ("width",), "lantm-softmax": ("width",)}   # the memories' sizes; others: none
MODEL_OPTIONS = {"tann": {"head_input": True}}   # the tape's heads read x_t beside h_t, as Wang §2 says (the
                                                 # mirror chapter's "Two choices the paper leaves open")
EVAL_EVERY = 500            # updates between dev points (the best one's weights are kept)
DEV_N = 50                  # dev examples per training length, sampled once per run
EVAL_N = 200                # test examples per length
CHECKPOINT_EVERY = 1000
CPU_HOURS = 15.0            # what the default matrix may cost on this machine (one torch thread per run)
PRICES = DATA / "every_memory" / "prices.json"   # the plan's prices, measured on this machine by
# `python -m mannlib reproduce every_memory --dry-run --record-prices data/every_memory/prices.json`

# --- the quick profile: a tiny matrix that exercises every cell in a minute ---------------------
QUICK = dict(models=("lstm", "sann", "lantm-invnorm"), tasks=("mirror", "reverse"), seeds=(0, 1),
             lrs=(1e-2, 3e-3), steps=80, batch_size=16, eval_every=20, dev_n=8, eval_n=16, checkpoint_every=40,
             sizes={"hidden": 16, "embed": 8, "cells": 12, "width": 8},
             train_max={"mirror": 3, "m10ae": 14, "copy": 4, "reverse": 4, "bigramflip": 4, "double": 4,
                        "addition": 2})


@dataclass(frozen=True)
class Settings:
    profile: str                  # paper (the protocol above) | quick (tiny, for CI)
    models: tuple                 # the models compared
    tasks: tuple                  # the tasks
    seeds: tuple                  # seeds of every (model, task, lr)
    lrs: tuple                    # the learning-rate grid
    steps: dict                   # task -> updates per run
    train_max: dict               # task -> m, the largest training length
    sizes: dict = field(default_factory=lambda: dict(SIZES))
    batch_size: int = BATCH_SIZE
    eval_every: int = EVAL_EVERY
    dev_n: int = DEV_N
    eval_n: int = EVAL_N
    checkpoint_every: int = CHECKPOINT_EVERY
    train_missing: bool = False   # paper profile: train the missing runs first (hours); quick always trains


def settings(profile: str, models=None, tasks=None, seeds=None, steps=None, lrs=None,
             train_missing: bool = False) -> Settings:
    """The chapter's settings, every argument a parameter of notebooks/every_memory.ipynb (and of
    ``reproduce every_memory --set``). ``models``, ``tasks``: names (default: all six models and
    seven tasks; quick: three and two); ``seeds``: a number n (seeds 0..n-1) or a list (default 3;
    quick 2); ``steps``: updates per run for every task (default :data:`STEPS`, per task; quick
    80); ``lrs``: the learning-rate grid (default :data:`LRS`). A bad value raises ValueError
    naming the allowed ones."""
    if profile not in ("paper", "quick"):
        raise ValueError(f"unknown profile {profile!r}; choose one of paper, quick")
    quick = profile == "quick"
    models = subset(models if models is not None else (QUICK["models"] if quick else MODELS), MODELS, "model")
    tasks = subset(tasks if tasks is not None else (QUICK["tasks"] if quick else TASKS), TASKS, "task")
    seeds = seed_tuple(seeds) if seeds is not None else (QUICK["seeds"] if quick else SEEDS)
    lrs = tuple(lrs) if lrs is not None else (QUICK["lrs"] if quick else LRS)
    if not lrs or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0 for x in lrs) \
            or len(set(lrs)) < len(lrs):
        raise ValueError(f"lrs must be a list of distinct positive learning rates, got {list(lrs)!r}")
    if steps is not None and not (isinstance(steps, int) and not isinstance(steps, bool) and steps > 0):
        raise ValueError(f"steps must be a positive number of updates or None (the protocol's), got {steps!r}")
    per_task = {t: steps or (QUICK["steps"] if quick else STEPS[t]) for t in tasks}
    if not quick:
        return Settings("paper", models, tasks, seeds, tuple(float(x) for x in lrs), per_task,
                        {t: TRAIN_MAX[t] for t in tasks}, train_missing=bool(train_missing))
    q = QUICK
    return Settings("quick", models, tasks, seeds, tuple(float(x) for x in lrs), per_task,
                    {t: q["train_max"][t] for t in tasks}, dict(q["sizes"]), q["batch_size"], q["eval_every"],
                    q["dev_n"], q["eval_n"], q["checkpoint_every"], train_missing=True)


# --- lengths -------------------------------------------------------------------------------------
def task_args(s: Settings, task: str) -> dict:
    """The task argument that sets the training maximum (none where it is the task's own)."""
    m = s.train_max[task]
    return {} if m == get_task(task).train_range[1] else {"train_max": m}


def make_task(s: Settings, task: str):
    """The task with ``s``'s training range."""
    return get_task(task, **task_args(s, task))


def dev_lengths(s: Settings, task: str) -> tuple:
    """The development lengths: every training length (strict: never beyond the training range)."""
    return tuple(make_task(s, task).difficulties("train"))


def test_lengths(s: Settings, task: str) -> tuple:
    """Every length the task can generate from its training minimum to FACTOR x m."""
    t = make_task(s, task)
    lo, hi = t.train_range[0], FACTOR * s.train_max[task]
    return tuple(d for d in t.allowed() if lo <= d <= hi)


# --- runs ---------------------------------------------------------------------------------------
def model_sizes(s: Settings, model: str) -> dict:
    """The builder sizes of ``model``: the controller and embedding of every model, the memory's own,
    and its :data:`MODEL_OPTIONS`."""
    return {**{k: s.sizes[k] for k in ("hidden", "embed") + MEMORY_SIZES.get(model, ())}, **MODEL_OPTIONS.get(model, {})}


def config(s: Settings, task: str, model: str, lr: float, seed: int) -> RunConfig:
    """One run of the protocol (module docstring)."""
    return RunConfig(task=task, model=model, seed=seed, profile=s.profile, sizes=model_sizes(s, model),
                     task_args=task_args(s, task), optimizer="adam", lr=lr, batch_size=s.batch_size,
                     steps=s.steps[task], clip=CLIP, eval_every=s.eval_every, dev_n=s.dev_n,
                     dev_difficulties=dev_lengths(s, task), keep_best=True, eval_n=s.eval_n,
                     eval_difficulties=test_lengths(s, task), checkpoint_every=s.checkpoint_every,
                     save_weights=False)   # the chapter reads curves and test scores only: 252 runs in ~1.3 MB


def configs(s: Settings) -> list[RunConfig]:
    """Every run of ``s``: seed by seed, then task, model and learning rate, so that a campaign cut
    short leaves every (model, task) with both learning rates of its first seeds."""
    return [config(s, t, m, lr, seed) for seed in s.seeds for t in s.tasks for m in s.models for lr in s.lrs]


def paper_runs(models=None, tasks=None, seeds=None, steps=None, lrs=None) -> list[RunConfig]:
    """``python -m mannlib reproduce every_memory`` (``--set``: the notebook's parameters): every
    run of the protocol, 6 models x 7 tasks x 2 learning rates x 3 seeds."""
    return configs(settings("paper", models, tasks, seeds, steps, lrs))


@dataclass
class Loaded:
    """The runs of a setting as far as the cache holds them."""
    runs: list                    # complete runs
    missing: list                 # RunConfigs not trained yet
    diverged: list                # (RunConfig, message): an infinite loss or gradient


def load_runs(s: Settings) -> Loaded:
    """The runs of :func:`configs` in the cache. Quick (or ``train_missing``): the missing ones are
    trained first (paper profile: two at a time, after an estimate). Otherwise nothing trains: a
    run not in the cache is listed as missing, never an error."""
    from ...engine.launch import train_all
    from ...engine.train import TrainingDiverged
    cs = configs(s)
    if s.profile == "paper" and s.train_missing:
        train_all(cs, "every_memory", jobs=2)
    out = Loaded([], [], [])
    for c in cs:
        if not (s.train_missing or (run_path(c) / MANIFEST).exists() or (run_path(c) / DIVERGED).exists()):
            out.missing.append(c)
            continue
        try:
            out.runs.append(train_or_load(c, progress="none"))
        except TrainingDiverged as e:
            out.diverged.append((c, str(e)))
    return out


# --- what the protocol is, in tables ------------------------------------------------------------
def protocol_table(s: Settings) -> pd.DataFrame:
    """One row per task: the training, development and test lengths, the updates and training
    examples per run (the same for every model), and the papers' training and test maxima."""
    rows = []
    for t in s.tasks:
        train, test = make_task(s, t).difficulties("train"), test_lengths(s, t)
        rows.append({"task": t, "training lengths": f"{train[0]}-{train[-1]}", "dev lengths": f"{train[0]}-{train[-1]}",
                     "test lengths": f"{test[0]}-{test[-1]}", "updates": s.steps[t],
                     "training examples": s.steps[t] * s.batch_size,
                     "paper's training": f"up to {PAPER_TRAIN_MAX[t]}", "paper's test": f"up to {PAPER_TEST_MAX[t]}"})
    return pd.DataFrame(rows).set_index("task")


def n_params(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def sizes_table(s: Settings) -> pd.DataFrame:
    """One row per model: its sizes (the same on every task) and its trainable parameters on
    each task (they differ with the vocabulary and the output layer)."""
    rows = []
    for m in s.models:
        row = {"model": NAMES[m], **{k: s.sizes[k] if k in model_sizes(s, m) else "-" for k in SIZES}}
        for t in s.tasks:
            task = make_task(s, t)
            row[f"#param {t}"] = n_params(build_model(m, ModelIO(task.input_size, task.output_size, task.input_tokens),
                                                      **model_sizes(s, m)))
        rows.append(row)
    return pd.DataFrame(rows).set_index("model")


def plan_table(s: Settings, evaluation: bool = True, recorded: bool = False, whole: bool = False) -> pd.DataFrame:
    """What the runs cost here before they are trained (:func:`mannlib.engine.sweep.plan`: measured
    CPU seconds per update, one thread, times the updates; with ``evaluation``, every dev point
    and the final test too). With ``recorded``, the prices of :data:`PRICES` instead of measuring
    them now, so the budget check does not depend on the machine or its load. With ``whole``, the
    cached runs are priced too (the whole matrix's price); without it they cost nothing. One row
    per run: run id, task, model, lr, seed, cached, cpu_h."""
    from ...engine.sweep import load_prices, plan
    cs = configs(s)
    p = plan(cs, evaluation=evaluation, prices=load_prices(PRICES) if recorded else None, price_cached=whole)
    return p.assign(task=[c.task for c in cs], model=[c.model for c in cs], lr=[c.lr for c in cs])


def matrix_price(s: Settings) -> tuple[pd.DataFrame, str]:
    """The whole matrix priced, trained runs included (:func:`plan_table` with ``whole``): with the
    prices recorded in :data:`PRICES` where they cover every run, else measured now. Returns the
    plan and a phrase saying which prices it used."""
    try:
        return plan_table(s, recorded=True, whole=True), f"prices recorded in {PRICES.relative_to(DATA.parent)}"
    except (LookupError, FileNotFoundError):
        return plan_table(s, whole=True), "prices measured on this machine now"


def plan_summary(p: pd.DataFrame, jobs: int = 2) -> dict:
    """The plan in numbers: runs, done, to train, CPU-hours to go, wall hours on ``jobs`` cores;
    ``total_cpu_hours`` sums every row, the whole matrix's price for a ``plan_table(whole=True)``."""
    todo = p[~p["cached"]]
    hours = float(todo["cpu_h"].sum())
    return {"runs": len(p), "done": int(p["cached"].sum()), "to_train": len(todo), "cpu_hours": hours,
            "total_cpu_hours": float(p["cpu_h"].sum()),
            "wall_hours": hours / max(1, min(jobs, len(todo))) if len(todo) else 0.0,
            "budget": CPU_HOURS, "fits": math.isfinite(hours) and hours <= CPU_HOURS}
