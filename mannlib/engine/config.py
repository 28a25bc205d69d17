"""What a training run is: :class:`RunConfig`, and the paper / quick defaults per (task, model).

Wang et al. 2019 §3.1: Adam, batch size from {32, 64, 128, 256}, learning rate from
{1e-3, 1e-4}, "tuned on a development set"; mirror: N = M = 20 memory, controller 100;
M10AE: embeddings, cells and controller of size 100, N from {5, 10, 20}, a fixed training set
of 80k examples. Yang et al. 2016 §4 ("Training and testing"): RMSProp with momentum 0.95,
"every epoch has 10 batches, and every batch has 32 instances"; for LANTM "after 100 epochs,
we half the learning rate if the best error so far is not improved in 30 epochs"; LSTM
baseline: lr 2e-4, no adjustment; test every 20 (LANTM) or 200 (LSTM) epochs and keep the
best. Sizes and learning rates per task: Yang Table 2.

The config is the run's identity: the run cache (:mod:`mannlib.engine.cache`) names a run by a hash
of :meth:`RunConfig.to_json`, so every field that changes the result belongs here, and
nothing else (thread count, progress display) does.
"""
from __future__ import annotations

import dataclasses
import json
import numbers
from dataclasses import dataclass, field

from ..papers import yang

PROFILES = ("paper", "quick")
OPTIMIZERS = ("adam", "rmsprop")
SCHEDULES = ("none", "yang", "yang-dev", "decay")
DTYPES = ("float32", "float64")    # the floats a model trains in (the author's LANTM CPU runs: float64)
WANG_TASKS = ("mirror", "m10ae")
YANG_TASKS = ("copy", "reverse", "bigramflip", "double", "addition")
EPOCH_STEPS = yang.EPOCH_BATCHES  # Yang §4: "Every epoch has 10 batches"


class ConfigError(ValueError):
    """A bad config field or --set override; the message names what is allowed."""


# Fields added after the first runs were committed, with the default they are hashed away at.
LATER_FIELDS = {"patience": None, "dev_within": None, "decay_after": None, "dtype": "float32"}
_ABSENT = object()


@dataclass(frozen=True)
class RunConfig:
    task: str                              # a mannlib.tasks name (mirror, m10ae, copy, ...)
    model: str                             # a mannlib.models name (srnn, lstm, sann, tann, lantm-*)
    seed: int = 0                          # model init (torch) and data streams (numpy)
    profile: str = "paper"                 # which defaults it came from: paper | quick
    sizes: dict = field(default_factory=dict)  # build_model(name, io, **sizes) overrides
    task_args: dict = field(default_factory=dict)  # get_task(name, **task_args)
    optimizer: str = "adam"                # adam (Wang §3.1) | rmsprop (Yang §4)
    lr: float = 1e-3                       # initial learning rate
    momentum: float = 0.0                  # RMSProp momentum (Yang: 0.95); unused by Adam
    batch_size: int = 32
    steps: int = 1000                      # parameter updates (Yang: an epoch is 10 of them)
    train_examples: int | None = None      # None: fresh samples every batch; n: fixed set of n
    clip: float | None = 10.0              # gradient-norm clipping threshold (None: off)
    schedule: str = "none"                 # none | yang | yang-dev (halve lr on a 30-epoch plateau after 100,
                                           # of the training loss | of the dev error at each dev point) |
                                           # decay (x0.99 every 20 updates after decay_after: the author's code)
    eval_every: int = 100                  # steps between learning-curve points (dev evaluation)
    dev_n: int = 100                       # dev examples per difficulty, sampled once per run
    dev_difficulties: tuple | None = None  # None: the task's training range
    keep_best: bool = False                # final weights = best dev accuracy seen (Yang §4)
    eval_n: int = 500                      # final test examples per difficulty
    eval_seed: int = 1234                  # same test set for every seed of a setting
    eval_difficulties: tuple | None = None  # None: every difficulty of the test range
    checkpoint_every: int = 500            # steps between resumable checkpoints
    save_weights: bool = True              # False: keep only curve and metrics (big baselines)
    patience: int | None = None            # stop after this many dev points without a new best (None: all steps)
    dev_within: int | None = None          # a second selection criterion: the dev difficulties <= this (one run
                                           # serves two development sets, e.g. Wang's paper and strict protocols)
    decay_after: int | None = None         # schedule "decay": the update after which the lr decays
    dtype: str = "float32"                 # float32 | float64: parameters, states and float inputs

    def __post_init__(self):
        for name in ("dev_difficulties", "eval_difficulties"):  # JSON lists -> tuples
            value = getattr(self, name)
            if isinstance(value, (list, tuple)):
                if not value or not all(_is_int(d) for d in value):
                    raise ConfigError(f"{name} must be null or a non-empty list of integer difficulties, "
                                      f"got {list(value)!r}")
                object.__setattr__(self, name, tuple(int(d) for d in value))
        _check(self.profile, PROFILES, "profile")
        _check(self.optimizer, OPTIMIZERS, "optimizer")
        _check(self.schedule, SCHEDULES, "schedule")
        _check(self.dtype, DTYPES, "dtype")
        for f in dataclasses.fields(self):
            value, kinds = getattr(self, f.name), _TYPES[f.type]
            if not isinstance(value, kinds) or (isinstance(value, bool) and kinds is not bool):
                raise ConfigError(f"{f.name} must be {f.type}, got {value!r}")
        for name in ("lr", "momentum", "clip"):  # 1 and 1.0 must hash alike
            if getattr(self, name) is not None:
                object.__setattr__(self, name, float(getattr(self, name)))
        for name in ("batch_size", "steps", "eval_every", "dev_n", "eval_n", "checkpoint_every"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)!r}")
        if self.lr <= 0 or not 0 <= self.momentum < 1:
            raise ConfigError(f"need lr > 0 and 0 <= momentum < 1, got lr={self.lr}, momentum={self.momentum}")
        for name in ("seed", "eval_seed"):  # numpy Generators take no negative seeds
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.clip is not None and not self.clip > 0:
            raise ConfigError(f"clip must be null (no clipping) or > 0, got {self.clip!r}")
        for group in ("sizes", "task_args"):
            for key in getattr(self, group):
                if not isinstance(key, str) or not key:
                    raise ConfigError(f"{group} keys must be names, got {key!r}")
        if self.patience is not None and self.patience <= 0:
            raise ConfigError(f"patience must be null (train every step) or positive, got {self.patience!r}")
        if self.dev_within is not None and not self.keep_best:
            raise ConfigError("dev_within needs keep_best: each criterion keeps its own best weights")
        if (self.schedule == "decay") != (self.decay_after is not None) or (self.decay_after or 0) < 0:
            raise ConfigError(f"schedule 'decay' needs decay_after (an update, >= 0) and decay_after needs schedule "
                              f"'decay'; got schedule {self.schedule!r}, decay_after {self.decay_after!r}")
        if self.train_examples is not None and self.train_examples < self.batch_size:
            raise ConfigError(f"train_examples ({self.train_examples}) must be None or >= batch_size")

    # --- identity ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return json.loads(self.to_json())

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, no spaces): the text the run id hashes. A field added after
        runs were committed (:data:`LATER_FIELDS`) is left out while it has its default, so that
        adding it changed no run id."""
        d = {k: v for k, v in dataclasses.asdict(self).items() if LATER_FIELDS.get(k, _ABSENT) != v}
        return json.dumps(d, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        unknown = set(d) - set(fields())
        if unknown:
            raise ConfigError(f"unknown config keys {sorted(unknown)}; allowed: {', '.join(fields())}")
        return cls(**d)

    def replace(self, **overrides) -> "RunConfig":
        """A copy with fields replaced; ``sizes.hidden=64`` style keys go into ``sizes`` (or task_args)."""
        d = json.loads(json.dumps(dataclasses.asdict(self)))   # every field, LATER_FIELDS included
        for key, value in overrides.items():
            top, _, sub = key.partition(".")
            if top not in d or (sub and top not in ("sizes", "task_args")):
                raise ConfigError(f"unknown config key {key!r}; allowed: {', '.join(fields())}, "
                                  "sizes.NAME, task_args.NAME")
            if sub:
                d[top] = {**d[top], sub: value}
            else:
                d[top] = value
        return RunConfig.from_dict(d)


_TYPES = {"str": str, "int": int, "float": (int, float), "bool": bool, "dict": dict,
          "int | None": (int, type(None)), "float | None": (int, float, type(None)),
          "tuple | None": (tuple, type(None))}


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def check_trainable(config: RunConfig) -> None:
    """Refuse, before anything is written, a config that training would fail on: the run cache
    calls this before it creates a run directory or takes its lock. Checks the task and its
    arguments (integers, accepted by the task), that the task has training difficulties, every
    dev and test difficulty, and the model with every size (built once, off the global random
    state; the models' configs check each size's type and range, e.g. positive integers).
    Raises a ValueError subclass (ConfigError, TaskError, ModelError) whose one-line message
    names what is allowed."""
    import inspect

    import torch

    from ..models import ModelIO, build_model
    from ..tasks import TASKS, get_task
    get_task(config.task)                                          # an unknown task names the known ones
    params = [p for p in inspect.signature(TASKS[config.task]).parameters if p not in ("self", "args", "kwargs")]
    for key, value in config.task_args.items():
        if key not in params:
            raise ConfigError(f"task {config.task!r} has no argument {key!r}; allowed: "
                              f"{', '.join(f'task_args.{p}' for p in params) or 'none'}")
        if value is not None and not _is_int(value):
            raise ConfigError(f"task_args.{key} must be an integer (or null), got {value!r}")
    task = get_task(config.task, **config.task_args)
    if not task.difficulties("train"):
        raise ConfigError(f"task {config.task!r} with {config.task_args} has no training difficulty "
                          f"in {task.train_range}")
    for name in ("dev_difficulties", "eval_difficulties"):
        for d in getattr(config, name) or ():
            task.check_difficulty(d)
    if config.dev_within is not None:
        dev = config.dev_difficulties or tuple(task.difficulties("train"))
        if not min(dev) <= config.dev_within < max(dev):
            raise ConfigError(f"dev_within must split the dev difficulties {min(dev)}-{max(dev)}: at least "
                              f"{min(dev)} and below {max(dev)}, got {config.dev_within}")
    with torch.random.fork_rng(devices=[]):
        build_model(config.model, ModelIO(task.input_size, task.output_size, task.input_tokens), **config.sizes)


def fields() -> list[str]:
    return [f.name for f in dataclasses.fields(RunConfig)]


def parse_override(text: str) -> tuple[str, object]:
    """``'lr=1e-4'`` -> ('lr', 0.0001); values are JSON (numbers, null, true, [..]) or bare strings."""
    key, eq, raw = text.partition("=")
    if not eq or not key:
        raise ConfigError(f"malformed --set {text!r}; expected key=value, e.g. lr=1e-4 or sizes.hidden=64")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


def _check(value, allowed, what):
    if value not in allowed:
        raise ConfigError(f"unknown {what} {value!r}; choose one of {', '.join(allowed)}")


# --- paper and quick defaults -------------------------------------------------------------------
# Wang §3.1: "Both the number N of and size M of memory cells are 20. The controller dimension
# is 100." M10AE: embeddings, cells and controller of size 100, N from {5, 10, 20}.
_WANG_SIZES = {
    "mirror": {"hidden": 100, "cells": 20, "width": 20},
    "m10ae": {"hidden": 100, "embed": 100, "cells": 10, "width": 100},
}
_QUICK_SIZES = {"hidden": 16, "embed": 8, "cells": 6, "width": 8, "layers": 1}


def _paper(task: str, model: str) -> dict:
    if task in WANG_TASKS:
        sizes = _WANG_SIZES[task] if model in ("sann", "tann") else {"hidden": 100, "embed": 100}
        if model == "tann":   # Wang §2: "h_t and the input x_t are then inputted to the write module and the read module"
            sizes = {**sizes, "head_input": True}
        # Adam with lr / batch "tuned on a development set" (Wang §3.1); these are the grid's
        # defaults, the chapters record their choice. train_examples: M10AE's 80k set (§3.3).
        return dict(sizes=sizes, optimizer="adam", lr=1e-3, batch_size=32,
                    steps={"mirror": 10_000, "m10ae": 30_000}[task],
                    train_examples={"mirror": None, "m10ae": 80_000}[task],
                    eval_every=100, dev_n=100, keep_best=False, eval_n=500, checkpoint_every=1000)
    if task not in YANG_TASKS:
        raise ConfigError(f"no defaults for task {task!r}; choose one of {', '.join(WANG_TASKS + YANG_TASKS)}")
    from ..tasks import get_task
    m = get_task(task).train_range[1]
    # Yang tests "every 20 epochs" (LANTM) or 200 (LSTM) on "100 batches of random problems" and
    # tabulates the best; on 2 CPU cores we test fewer problems at sizes m/8, 2m/8, .., 2m
    # (Table 3's 1x and 2x columns: up to the training maximum m and up to twice it).
    grid = tuple(m * k // 8 for k in range(1, 17))
    common = dict(optimizer="rmsprop", momentum=yang.MOMENTUM, batch_size=yang.BATCH_SIZE, keep_best=True, steps=20_000,
                  dev_n=32, dev_difficulties=(m // 2, m, 3 * m // 2, 2 * m), eval_n=320,
                  eval_difficulties=grid, checkpoint_every=1000)
    from ..models.lantm import table2_sizes
    if model in yang.TABLE2[task]:   # Yang Table 2: sizes and learning rates
        sizes, lr = table2_sizes(task, model), yang.TABLE2[task][model]["lr"]
        if model == "lstm":  # "The LSTMs are trained with learning rate 0.0002, with no adjustments"
            return dict(common, sizes=sizes, lr=lr, eval_every=yang.LSTM_TEST_EVERY_EPOCHS * EPOCH_STEPS)
        return dict(common, sizes=sizes, lr=lr, schedule="yang", eval_every=yang.TEST_EVERY_EPOCHS * EPOCH_STEPS)
    return dict(common, sizes={}, lr=1e-3, eval_every=20 * EPOCH_STEPS)  # not in the paper


def _quick(task: str, model: str) -> dict:
    base = _paper(task, model)
    sizes = {k: _QUICK_SIZES.get(k, v) for k, v in base["sizes"].items()}
    quick = dict(base, sizes=sizes, batch_size=16, steps=60, eval_every=20, dev_n=8, eval_n=16,
                 checkpoint_every=20, lr=max(base["lr"], 3e-3))
    if base.get("train_examples"):
        quick["train_examples"] = 256
    if base.get("eval_difficulties"):  # Yang tasks: the 1x and 2x maxima only
        quick.update(eval_difficulties=base["eval_difficulties"][7::8], dev_difficulties=base["eval_difficulties"][7::8])
    return quick


def profile_config(task: str, model: str, profile: str = "paper", seed: int = 0, **overrides) -> RunConfig:
    """The config a chapter uses for (task, model): paper settings, or tiny ``quick`` ones that
    train in seconds; ``overrides`` as in :meth:`RunConfig.replace` (e.g. ``lr=1e-4``)."""
    _check(profile, PROFILES, "profile")
    from ..models import MODELS
    _check(model, MODELS, "model")
    defaults = (_paper if profile == "paper" else _quick)(task, model)
    defaults.setdefault("train_examples", None)
    config = RunConfig(task=task, model=model, seed=seed, profile=profile, **defaults)
    return config.replace(**overrides) if overrides else config
