"""The LANTM chapter's settings and runs: which runs each scale trains, and how they are loaded.

Scales. ``"paper"`` (the default) is Yang's setting: Table 1's sizes, Table 2's sizes and
learning rates, RMSProp and the halving schedule, under one of the readings of §4 (:data:`READINGS`):
the ablation's best setting for the ablation's budget, the author's own code (all four switches
of :mod:`mannlib.chapters.lantm.ablation`) for the author's budget, or that with stage 2's
learning rate 0.01, alone or with the output layer reading r_t. Table 3 is trained under each;
:func:`compare_readings` measures which one generalises best, and :data:`READING` (the default)
is that one among the readings whose runs are all committed (a test checks it). ``"fits"`` is the setting of an earlier version of this chapter (:data:`FITS`):
a quarter of Table 1's training sizes, RMSProp with momentum 0.95 at a small learning rate for
the LANTMs (the LSTM keeps Table 2's), the same number of updates for every model.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ...engine.cache import Run, train_or_load
from ...engine.config import RunConfig, profile_config
from ...engine.launch import train_all
from ...papers import yang
from ...tasks import get_task
from ...tasks.lantm import LANTM_TASKS
from ..base import seed_tuple, subset
from . import ablation

TASKS = tuple(LANTM_TASKS)                       # copy, reverse, bigramflip, double, addition
LANTMS = ("lantm-invnorm", "lantm-softmax")
MODELS = LANTMS + ("lstm",)                      # Table 2/3 rows: InvNorm, SoftMax, 4 x 256 LSTM
SCALES = ("paper", "fits")
PAPER_TEST_PROBLEMS = yang.TEST_PROBLEMS         # §4: "100 batches of random problems" (of 32)

# --- what two CPU cores afford ("fits") ----------------------------------------------------------
# task -> (training maximum m, parameter updates). A quarter of Table 1's maxima (64, 64, 32, 40,
# 16); pilot runs (chapter text) learned copy of length <= 16 in ~2,500 updates but not copy of
# length <= 32 in 4,000; the arithmetic tasks learn more slowly and get more updates.
FITS = {"copy": (16, 6000), "reverse": (16, 8000), "bigramflip": (8, 8000), "double": (10, 12000),
        "addition": (4, 15000)}
FITS_LR = 3e-4            # RMSProp (momentum 0.95) at Table 2's 0.02 stays at chance in our pilots
FITS_SEEDS = {"lantm-invnorm": (0, 1, 2), "lantm-softmax": (0, 1, 2), "lstm": (0,)}   # the LSTM: one seed, as the paper

# --- the paper's scale ---------------------------------------------------------------------------
# reading (an ablation setting) -> updates per run: the ablation's best setting for its budget (so its
# runs on copy and addition are Table 3's too), the author's code (all four switches) for the
# author's budget (xopts/*/lantm_*.json: 1,000 iterations of 10 batches), and that with stage 2's
# best switch (lr 0.01) or both of its switches (and the output layer reads r_t); their InvNorm seeds
# 0-1 are stage 2's runs.
READINGS = {"+ optimizer": ablation.STEPS, "all four": 10_000, "all four + lr 0.01": ablation.STAGE2_STEPS,
            "all four + both": ablation.STAGE2_STEPS, "all four + both + float64": ablation.STAGE2_STEPS}
READING = "all four + both + float64"        # the default: the best complete one of READINGS by compare_readings (tested)
PAPER_STEPS = READINGS[READING]    # updates per LANTM run under READING
PAPER_SEEDS = {"lantm-invnorm": (0, 1, 2), "lantm-softmax": (0, 1, 2)}
LSTM_SEEDS = (0,)                  # the 4 x 256 LSTM at Table 1's sizes: loaded where committed, trained with train_lstm=True
QUICK_M = {"copy": 4, "reverse": 4, "bigramflip": 4, "double": 4, "addition": 2}

CHANCE_LOSS = math.log(128)   # 4.85: uniform guessing over the 128 characters


@dataclass(frozen=True)
class Settings:
    profile: str                 # paper | quick (mannlib.notebook.PROFILES)
    scale: str                   # fits | paper (SCALES); quick ignores it
    seeds: dict                  # model -> seeds trained
    reading: str = READING       # paper scale: the reading of §4 (READINGS), its updates per run
    steps: int | None = None     # updates per run (None: the reading's, FITS', or the quick profile's)
    tasks: tuple = TASKS         # the tasks trained (Table 3's rows)
    table4_sizes: int = 8        # sizes per Table 4 column (evenly spaced over its range)
    table4_n: int = 32           # problems per size
    trace_factor: int = 2        # the appendix figures run a problem of trace_factor x m


def settings(profile: str, scale: str = "paper", train_lstm: bool = False, reading: str = READING,
             seeds=None, models=LANTMS, steps: int | None = None, tasks=TASKS) -> Settings:
    """The chapter's settings, every argument a parameter of the notebook (and of ``reproduce
    lantm --set``). ``scale`` picks the paper's (see the module docstring) or :data:`FITS`;
    ``reading`` one of :data:`READINGS` for the paper scale; ``seeds`` a number n (seeds 0..n-1) or
    a list of seeds for each LANTM of ``models`` (default: 3); ``steps`` the updates per run
    (default: the reading's, FITS' or the quick profile's); ``tasks`` the tasks trained. At the
    paper scale the 4 x 256 LSTM baseline (one seed, hours per task on a CPU core) is part of the
    runs to train only with ``train_lstm``; without it its committed runs are still loaded
    (:func:`baseline_configs`). Quick: tiny models on tiny sizes, seconds (every reading alike).
    A bad value raises ValueError naming the allowed ones."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    if reading not in READINGS:
        raise ValueError(f"unknown reading {reading!r}; choose one of {', '.join(map(repr, READINGS))}")
    if profile not in ("paper", "quick"):
        raise ValueError(f"unknown profile {profile!r}; choose one of paper, quick")
    models, tasks = subset(models, LANTMS, "model"), subset(tasks, TASKS, "task")
    if steps is not None and not (isinstance(steps, int) and not isinstance(steps, bool) and steps > 0):
        raise ValueError(f"steps must be a positive number of updates or None, got {steps!r}")
    if seeds is None:
        chosen = PAPER_SEEDS if profile == "paper" and scale == "paper" else FITS_SEEDS
        seed_map = {m: chosen[m] for m in models}
    else:
        seed_map = {m: seed_tuple(seeds) for m in models}
    if train_lstm or scale == "fits" or profile == "quick":   # the LSTM baseline: one seed
        seed_map["lstm"] = LSTM_SEEDS if profile == "paper" and scale == "paper" else FITS_SEEDS["lstm"]
    if profile == "paper":
        return Settings("paper", scale, seed_map, reading, steps, tasks)
    return Settings("quick", scale, seed_map, reading, steps, tasks, table4_sizes=2, table4_n=8, trace_factor=2)


def train_max(s: Settings, task: str) -> int:
    """m, the largest training size of ``task`` under ``s``."""
    if s.profile == "quick":
        return QUICK_M[task]
    return FITS[task][0] if s.scale == "fits" else get_task(task).train_range[1]


def eval_n(task: str, m: int) -> int:
    """Test problems per size so that Table 3's 1x column holds about 100 batches of 32 (§4)."""
    sizes = get_task(task, train_max=m).difficulties("train")
    return math.ceil(PAPER_TEST_PROBLEMS / len(sizes))


def dev_sizes(task: str, m: int) -> tuple:
    """m/2, m, 3m/2, 2m (the paper profile's dev sizes), rounded to sizes the task has."""
    step = get_task(task).step
    return tuple(sorted({max(step, (k * m // 2) // step * step) for k in (1, 2, 3, 4)}))


def config(s: Settings, task: str, model: str, seed: int) -> RunConfig:
    """One run of the chapter. Paper scale: the paper profile read as ``s.reading``, for its
    :data:`READINGS` updates (the LSTM: the profile's 20,000 at Table 2's 2e-4, read alike).
    Fits: Table 2's sizes trained on 2..m (:data:`FITS`) at :data:`FITS_LR`, tested on every
    size 2..2m. Quick: the quick profile on tiny sizes."""
    if s.profile == "paper" and s.scale == "paper":
        if model == "lstm":
            return profile_config(task, model, "paper", seed, **ablation.overrides(s.reading, model, task),
                                  **({"steps": s.steps} if s.steps else {}))
        return ablation.config(task, s.reading, seed, model=model, steps=s.steps or READINGS[s.reading])
    m = train_max(s, task)
    dev = tuple(get_task(task, train_max=m).check_difficulty(d) for d in dev_sizes(task, m))
    if s.profile == "quick":
        return profile_config(task, model, "quick", seed, **{"task_args.train_max": m}, dev_difficulties=dev,
                              eval_difficulties=(m, 2 * m), **({"steps": s.steps} if s.steps else {}))
    lr = FITS_LR if model in LANTMS else profile_config(task, model, "paper").lr   # the LSTM keeps Table 2's 2e-4
    return profile_config(task, model, "paper", seed, **{"task_args.train_max": m}, lr=lr,
                          steps=s.steps or FITS[task][1], dev_difficulties=dev, eval_difficulties=None,
                          eval_n=eval_n(task, m))


def configs(s: Settings, models=None) -> list[RunConfig]:
    """Every run of ``s``, seed by seed, then model by model (InvNorm first), then task: a
    budget cut short still leaves every model with a seed. ``models`` restricts them (default:
    every model of ``s.seeds``)."""
    models = [m for m in MODELS if m in s.seeds and (models is None or m in models)]
    seeds = sorted({seed for m in models for seed in s.seeds[m]})
    return [config(s, task, model, seed) for seed in seeds for model in models if seed in s.seeds[model]
            for task in s.tasks]


def baseline_configs(s: Settings) -> list[RunConfig]:
    """The 4 x 256 LSTM baseline runs of ``s`` that are loaded where committed but not trained:
    at the paper scale without ``train_lstm`` (when "lstm" is not in ``s.seeds``), one seed
    (:data:`LSTM_SEEDS`) per task of ``s`` under ``s.reading``; otherwise none (the LSTM is then
    either one of :func:`configs` or not part of the chapter)."""
    if s.profile != "paper" or s.scale != "paper" or "lstm" in s.seeds:
        return []
    return [config(s, task, "lstm", seed) for seed in LSTM_SEEDS for task in s.tasks]


def paper_runs(scale: str = "paper", train_lstm: bool = False, reading: str | None = None, seeds=None,
               models=LANTMS, steps: int | None = None, tasks=TASKS) -> list[RunConfig]:
    """``reproduce lantm`` (Yang §4-5, Tables 3-4 and appendix B): the ablation of §4's training
    setting, then LANTM-InvNorm and -SoftMax on the five tasks at Table 1's sizes under each of
    :data:`READINGS` (the ablation's runs of its own reading are Table 3's too); each once, in order.
    With parameters (``reproduce lantm --set seeds=5``: the notebook's): the runs of
    :func:`settings` with them, what the notebook would train. Stage 2 of the ablation comes
    between the two."""
    knobs = dict(scale=scale, train_lstm=train_lstm, reading=reading, seeds=seeds, models=models, steps=steps,
                 tasks=tasks)
    if knobs != dict(scale="paper", train_lstm=False, reading=None, seeds=None, models=LANTMS, steps=None, tasks=TASKS):
        return configs(settings("paper", **{**knobs, "reading": reading or READING}))
    runs = (ablation.configs() + ablation.stage2_configs()
            + [c for r in READINGS for c in configs(settings("paper", reading=r))])
    return list({c.to_json(): c for c in runs}.values())


def fits_runs() -> list[RunConfig]:
    """``reproduce lantm-fits``: the ``scale="fits"`` runs, a quarter of Table 1's sizes, the
    momentum-0.95 reading of RMSProp at a small learning rate, and the 4 x 256 LSTM baseline at
    those sizes."""
    return configs(settings("paper", "fits"))


def load_runs(s: Settings, models=None, train_missing: bool = True, diverged: list | None = None) -> list[Run]:
    """Load (or train what is missing of) :func:`configs`, then the committed runs of
    :func:`baseline_configs` (never trained here): in the paper profile the missing runs
    train first, two at a time, after an estimate of their time (:func:`mannlib.engine.launch.train_all`);
    quick runs train silently, one after another. With
    ``train_missing=False`` runs not in the cache are skipped (a budget cut short). A run whose
    loss or gradient becomes infinite has no weights to score: it is left out, and appended to
    ``diverged`` (when given) as a :class:`~mannlib.chapters.lantm.ablation.Diverged` (one that
    diverges later keeps its best dev weights: :func:`diverged_text`)."""
    from ...engine.cache import settled
    from ...engine.train import TrainingDiverged
    cs = configs(s, models)
    if train_missing and s.profile == "paper":   # an estimate first, both cores, one line per finished run
        train_all(cs, "lantm")   # two local processes, or $MANNLIB_LAUNCHER=ray: the whole cluster
    runs = []
    optional = [c for c in baseline_configs(s) if (models is None or c.model in models) and settled(c)]
    for c in cs + optional:
        if not train_missing and not settled(c):
            continue   # not committed; a diverged run is, and is named below
        try:
            runs.append(train_or_load(c, progress="none"))
        except TrainingDiverged as e:
            if diverged is not None:
                diverged.append(ablation.Diverged(c, str(e)))
    return runs


def diverged_text(diverged: list, runs=()) -> str:
    """The runs that diverged, in words: those with best dev weights by then (in ``runs``, with
    ``diverged_at`` in their summary) stopped there and are scored with them, as the author's
    loop does; those in ``diverged`` had none and are left out of the tables."""
    late = [r for r in runs if "diverged_at" in r.summary]
    if not diverged and not late:
        return "No run diverged."
    name = lambda c: f"{c.model} on {c.task}, seed {c.seed}"   # noqa: E731
    parts = []
    if late:
        parts.append(f"{len(late)} run{'s' * (len(late) > 1)} diverged (an infinite loss or gradient) after "
                     "a development point; as in the author's loop, training stopped there and the run is scored "
                     "with its best development weights: "
                     + "; ".join(f"{name(r.config)}, at update {r.summary['diverged_at']} (best at update "
                                 f"{r.summary['best_step']})" for r in late) + ".")
    if diverged:
        step = lambda d: d.message.split(" at step ")[-1].split(" ")[0]   # noqa: E731
        parts.append(f"{len(diverged)} run{'s' * (len(diverged) > 1)} diverged (an infinite loss or gradient) "
                     f"before any development point and {'are' if len(diverged) > 1 else 'is'} left out of the "
                     "tables: " + "; ".join(f"{name(d.config)}, at update {step(d)}" for d in diverged) + ".")
    return " ".join(parts)


def train_command(c: RunConfig) -> str:
    """The command line that trains ``c``: ``python -m mannlib train`` with a ``--set`` for
    every field that differs from the paper profile's config."""
    base = profile_config(c.task, c.model, c.profile, c.seed).to_dict()
    sets = []
    for key, value in c.to_dict().items():
        if key in ("sizes", "task_args"):
            sets += [f"{key}.{k}={v}" for k, v in value.items() if base[key].get(k) != v]
        elif value != base.get(key):
            v = "null" if value is None else ("[" + ",".join(map(str, value)) + "]" if isinstance(value, list) else value)
            sets.append(f"{key}={v}")
    seed = f" --seed {c.seed}" if c.seed else ""
    profile = "" if c.profile == "paper" else f" --profile {c.profile}"
    return f"python -m mannlib train {c.task} {c.model}{seed}{profile}" + "".join(f" --set {x}" for x in sets)
