"""Wang et al. 2019's training protocol (§3.1, §3.3) for mirror and M10AE, as staged runs in the
run cache: tune each model on a development set, keep its best development checkpoint, train
until the development score stops improving, retrain the chosen setting with three seeds.

Per task and model, the cells of §3.1's grid ("batch size chosen from [32, 64, 128, 256] and the
learning rate chosen from [0.001, 0.0001] ... tuned on a development set"; for M10AE's memory
models also "the number of memory cells is chosen from [5, 10, 20]") are tuned by successive
halving (:func:`mannlib.engine.sweep.halving`): every cell trains for ``rungs[0]`` dev points,
the best third for ``rungs[1]``, the best third of those to the end (``patience``, ``cap``);
each model's best cell is then trained with seeds 0, 1, 2 (its seed-0 run is the last rung's run,
already trained). The shorter rungs keep no weights (only their dev scores are read). A longer rung retrains its cell from scratch: it is another config (``steps``
is part of a run's identity, and a finished run keeps no checkpoint to extend); since training is
deterministic, its first dev points repeat the shorter run's exactly.

Two protocols, differing only in the development set (its size fixed, split equally over its
difficulties, a fixed set per run from the trainer's dev stream, apart from the test set):

* ``paper``: it spans the test range, as in §3.3 ("80 and 20 thousand examples are generated for
  training and validation ... The maximum #LPO is 14 for training and 20 for validation": 20,000
  over #LPO 0-20); mirror, where §3.2 says nothing, by the same rule (lengths 1-10): our reading;
* ``strict``: it stays within the training range (#LPO 0-14, lengths 1-5): a model chosen
  without ever seeing a longer input.

M10AE's protocols share their runs (``Spec.shared``): the strict development set is the paper
one's lower part (#LPO 0-14 of the 952 per #LPO), scored as a second criterion in the same runs
(``RunConfig.dev_within``: its own best weights, its own patience, exactly what a run on that
set alone would keep), so a cell trained for one protocol serves the other, which halves the
campaign. Mirror's first rung was trained before this existed, with separate development sets
(2,000 examples over lengths 1-10 or 1-5), and keeps them.

The committed chapter runs are not these: the chapters switch to them once they are trained.
``reproduce(task, protocol)`` runs it all, resumably; ``reproduce(..., dry_run=True)`` prints the plan.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import pandas as pd

from ..engine import sweep
from ..engine.cache import MANIFEST, run_id, run_path, verify
from ..engine.config import RunConfig, profile_config
from ..papers import wang
from .wang_common import MEMORY_MODELS, MODELS, SEEDS

PROTOCOLS = ("paper", "strict")
TASKS = ("mirror", "m10ae")


@dataclass(frozen=True)
class Spec:
    """The protocol of one task in one profile; budgets are in dev points (a run is scored on its
    development set every ``eval_every`` updates)."""
    lrs: tuple                  # §3.1's learning rates
    batches: tuple              # §3.1's batch sizes
    cells: tuple                # sizes.cells of the memory models (M10AE's §3.1 choice); (): the profile's
    dev_examples: int           # development set size, split equally over its difficulties
    dev_ranges: dict            # protocol -> (lowest, highest) dev difficulty
    point_examples: int | None  # a dev point every this many training examples (M10AE: one epoch) ...
    point_updates: int | None   # ... or every this many updates (mirror: fresh samples, no epochs)
    rungs: tuple                # successive halving: dev points of each rung before the last
    patience: int               # dev points without a new best before a run stops (RunConfig.patience)
    cap: int                    # at most this many dev points per run
    checkpoint_points: int      # dev points between resumable checkpoints
    eta: int = 3                # the best ceil(n / eta) cells of a rung go on
    shared: bool = False        # both protocols train the same runs: strict is the paper set's lower part
    seeds: tuple = field(default=SEEDS)


SPECS = {
    # M10AE (§3.1, §3.3): a dev point per epoch of the fixed 80k set; scoring the 20k dev set costs
    # 6-10% of an epoch's training on one thread (measured, see the plan's dev_cpu_h), so once an epoch.
    # Ours, as the paper gives none: rungs of 3 and 9 epochs (the committed grid's 0.16 epoch decided
    # nothing), patience 10 epochs, a cap of 100 epochs (Fig. 5b: "all the models converge slowly").
    ("m10ae", "paper"): Spec(wang.LEARNING_RATES, wang.BATCH_SIZES, wang.M10AE_CELLS, wang.M10AE_VALID_EXAMPLES,
                             {"paper": (0, wang.M10AE_TEST_MAX_LPO), "strict": (0, wang.M10AE_TRAIN_MAX_LPO)},
                             point_examples=wang.M10AE_TRAIN_EXAMPLES, point_updates=None, rungs=(3, 9),
                             patience=10, cap=100, checkpoint_points=1, shared=True),
    # mirror (§3.2): fresh samples, so a dev point every 500 updates; rungs of 2,000 and 6,000 updates,
    # patience 5,000, a cap of 50,000 (five times the committed runs'); 2,000 dev examples. All ours.
    ("mirror", "paper"): Spec(wang.LEARNING_RATES, wang.BATCH_SIZES, (), 2_000,
                              {"paper": (1, wang.MIRROR_TEST_MAX), "strict": (1, wang.MIRROR_TRAIN_MAX)},
                              point_examples=None, point_updates=500, rungs=(4, 12), patience=10, cap=100,
                              checkpoint_points=4),
    # quick: the same machinery on the quick profile's tiny models, in seconds (tests)
    ("m10ae", "quick"): Spec((3e-3, 1e-3), (8, 16), (3, 6), 63, {"paper": (0, 20), "strict": (0, 14)},
                             point_examples=128, point_updates=None, rungs=(1, 2), patience=1, cap=3,
                             checkpoint_points=1, shared=True),
    ("mirror", "quick"): Spec((3e-3, 1e-3), (8, 16), (), 40, {"paper": (1, 10), "strict": (1, 5)},
                              point_examples=None, point_updates=10, rungs=(1, 2), patience=2, cap=4,
                              checkpoint_points=1),
}


def spec(task: str, profile: str = "paper") -> Spec:
    """The protocol's numbers for ``task`` (mirror, m10ae) in ``profile`` (paper, quick)."""
    if (task, profile) not in SPECS:
        raise ValueError(f"no Wang protocol for task {task!r} in profile {profile!r}; tasks: "
                         f"{', '.join(TASKS)}; profiles: paper, quick")
    return SPECS[task, profile]


def _check(protocol: str, models) -> None:
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    unknown = [m for m in models if m not in MODELS]
    if unknown or not models:
        raise ValueError(f"unknown models {unknown}; choose from {', '.join(MODELS)}")


def dev_set(task: str, protocol: str, profile: str = "paper") -> tuple[tuple, int]:
    """(dev difficulties, examples per difficulty) of ``protocol``: the spec's size split equally
    over the paper protocol's range (M10AE: 952 per #LPO 0-20, 19,992 in all; strict, shared:
    the same 952 per #LPO 0-14, 14,280), or, for a task whose protocols do not share runs, over
    the protocol's own range (mirror strict: 400 per length 1-5)."""
    _check(protocol, MODELS)
    s = spec(task, profile)
    lo, hi = s.dev_ranges[protocol]
    difficulties = tuple(range(lo, hi + 1))
    whole = s.dev_ranges["paper"] if s.shared else (lo, hi)
    return difficulties, s.dev_examples // (whole[1] - whole[0] + 1)


def within(task: str, protocol: str, profile: str = "paper") -> bool:
    """Whether ``protocol``'s score is a shared run's second criterion (M10AE strict)."""
    return spec(task, profile).shared and protocol == "strict"


def result(run, protocol: str) -> tuple[pd.DataFrame, dict]:
    """(test scores by difficulty, summary) of a protocol run under ``protocol``: a shared run
    (``dev_within``) answers for the strict protocol with its second criterion's weights."""
    if protocol == "strict" and run.within is not None:
        return run.within["eval"], run.within["summary"]
    return run.eval, run.summary


def eval_every(s: Spec, batch_size: int) -> int:
    """Updates between dev points: ``point_examples // batch`` (M10AE paper: 2,500 updates at batch
    32 ... 312 at 256, one epoch of 80k but 0.2% short at 256) or ``point_updates``."""
    return s.point_examples // batch_size if s.point_examples else s.point_updates


def cells(task: str, model: str, protocol: str = "paper", profile: str = "paper") -> list[RunConfig]:
    """The grid cells of ``model`` at the full budget (``cap`` dev points, stopping after
    ``patience`` without a new best, the best dev checkpoint kept), seed 0; grid order: lr, then
    batch, then cells."""
    _check(protocol, [model])
    s = spec(task, profile)
    difficulties, dev_n = dev_set(task, "paper" if s.shared else protocol, profile)
    shared = {"dev_within": s.dev_ranges["strict"][1]} if s.shared else {}
    out = []
    for lr in s.lrs:
        for batch in s.batches:
            every = eval_every(s, batch)
            for n in (s.cells if model in MEMORY_MODELS and s.cells else (None,)):
                extra = {"sizes.cells": n} if n is not None else {}
                out.append(profile_config(task, model, profile, 0, lr=lr, batch_size=batch, eval_every=every,
                                          steps=s.cap * every, patience=s.patience, keep_best=True,
                                          dev_n=dev_n, dev_difficulties=difficulties,
                                          checkpoint_every=s.checkpoint_points * every, **shared, **extra))
    return out


def budgets(s: Spec) -> list:
    """One function per rung, cell -> the cell's run at that rung: ``rungs`` dev points without
    weights (only their dev scores are read; ``data/`` stays small), then the cell itself."""
    return [lambda c, k=k: c.replace(steps=k * c.eval_every, save_weights=False) for k in s.rungs] + [lambda c: c]


def label(c: RunConfig) -> str:
    """A cell in words: ``lr 0.001 batch 32 cells 10``."""
    return f"lr {c.lr:g} batch {c.batch_size}" + (f" cells {c.sizes['cells']}" if c.task == "m10ae"
                                                   and c.model in MEMORY_MODELS else "")


@dataclass
class ModelState:
    """Where one model stands: its cells, the rungs decided so far, the chosen cell, its seeds."""
    model: str
    cells: list[RunConfig]
    rungs: list[sweep.Rung]
    chosen: RunConfig | None      # the chosen cell's full run (seed 0), once the last rung is decided
    final: list[RunConfig]        # the chosen cell with every seed ([] until chosen)


def states(task: str, protocol: str, profile: str = "paper", models=MODELS, failed=(),
           scores: dict | None = None) -> list[ModelState]:
    """Every model's state, computed from the runs in the cache: a rung is decided once all its
    runs are complete (or failed: they rank last). ``scores`` memoises run id -> dev score."""
    _check(protocol, models)
    s, scores = spec(task, profile), {} if scores is None else scores

    def score(c: RunConfig):
        rid = run_id(c)
        if rid in failed:
            return (-math.inf,)
        if rid not in scores and (run_path(c) / MANIFEST).exists():
            verify(run_path(c))
            ev = json.loads((run_path(c) / "eval.json").read_text())
            second = within(task, protocol, profile)
            scores[rid] = sweep.dev_score(pd.read_csv(run_path(c) / "curve.csv"), within=second,
                                          until=(ev["within"] if second else ev)["summary"]["steps"])
        return scores.get(rid)

    out = []
    for m in models:
        grid = cells(task, m, protocol, profile)
        rungs = sweep.halving(grid, budgets(s), score, s.eta)
        chosen = grid[rungs[-1].keep[0]] if len(rungs) == len(s.rungs) + 1 and rungs[-1].keep else None
        final = [chosen.replace(seed=seed) for seed in s.seeds] if chosen else []
        out.append(ModelState(m, grid, rungs, chosen, final))
    return out


def next_runs(task: str, protocol: str, profile: str = "paper", models=MODELS, failed=(),
              scores: dict | None = None) -> list[RunConfig]:
    """The runs that can be trained now and are not in the cache, earliest stage first."""
    staged = []
    for st in states(task, protocol, profile, models, failed, scores):
        todo = [(len(st.rungs) - 1, c) for c, v in zip(st.rungs[-1].configs, st.rungs[-1].scores) if v is None]
        todo += [(len(st.rungs), c) for c in st.final
                 if run_id(c) not in failed and not (run_path(c) / MANIFEST).exists()]
        staged += todo
    return [c for _, c in sorted(staged, key=lambda x: x[0])]


def tuning_table(task: str, protocol: str, profile: str = "paper", models=MODELS) -> pd.DataFrame:
    """Every rung run so far: model, rung, cell (lr, batch_size, cells), steps, run id, dev score
    (dev_acc, dev_fine, best_point: dev points before the best) or NaN, passed on (or chosen)."""
    rows = []
    for st in states(task, protocol, profile, models):
        for k, rung in enumerate(st.rungs):
            for i, c, v in zip(rung.cells, rung.configs, rung.scores):
                rows.append({"model": st.model, "rung": k, "lr": c.lr, "batch_size": c.batch_size,
                             "cells": c.sizes.get("cells"), "steps": c.steps, "run": run_id(c),
                             "dev_acc": v[0] if v else math.nan, "dev_fine": v[1] if v else math.nan,
                             "best_point": -v[2] if v else math.nan,
                             "passed": None if rung.keep is None else i in rung.keep})
    return pd.DataFrame(rows)


# --- the dry run ----------------------------------------------------------------------------------
def plan_frame(task: str, protocol: str, profile: str = "paper", models=MODELS, reps: int = 2) -> pd.DataFrame:
    """What is left to train, priced (:func:`mannlib.engine.sweep.plan`, evaluation included):
    one row per run of a stage already determined (``run`` its id, ``n`` 1, ``cpu_h`` 0 when
    cached or shared: a chosen cell's seed-0 run is its last rung's run), and one row per stage
    not determined yet (``run`` None, ``n`` the most runs it can hold, ``cpu_h`` the most they can
    cost: its ``n`` dearest candidates, each at its cap). Columns: stage (0.. for the rungs, then
    the seeds), model, run, cell, seed, steps, n, cached, cpu_h, dev_cpu_h."""
    s = spec(task, profile)
    todo = []   # (stage, model, kind, configs, n)
    for st in states(task, protocol, profile, models):
        for k, rung in enumerate(st.rungs):
            todo.append((k, st.model, "run", rung.configs, len(rung.configs)))
        if st.chosen is not None:
            todo.append((len(s.rungs) + 1, st.model, "run", st.final, len(st.final)))
            continue
        alive, n = st.rungs[-1].cells, len(st.rungs[-1].cells)
        for k in range(len(st.rungs), len(s.rungs) + 1):
            n = sweep.keep_count(n, s.eta)
            todo.append((k, st.model, "bound", [budgets(s)[k](st.cells[i]) for i in alive], n))
        again = [seed for seed in s.seeds if seed != 0]   # seed 0: the last rung's run
        todo.append((len(s.rungs) + 1, st.model, "bound", [st.cells[i].replace(seed=again[0]) for i in alive]
                     if again else [], len(again)))
    configs = list({run_id(c): c for _, _, _, cs, _ in todo for c in cs}.values())
    priced = sweep.plan(configs, reps, evaluation=True).set_index("run") if configs else None
    rows, seen = [], set()
    for stage, model, kind, cs, n in todo:
        if kind == "run":
            for c in cs:
                p, shared = priced.loc[run_id(c)], run_id(c) in seen
                seen.add(run_id(c))
                rows.append(dict(stage=stage, model=model, run=run_id(c), cell=label(c), seed=c.seed, steps=c.steps,
                                 n=1, cached=bool(p["cached"]), shared=shared,
                                 cpu_h=0.0 if shared else p["cpu_h"], dev_cpu_h=0.0 if shared else p["dev_cpu_h"]))
        else:
            p = priced.loc[[run_id(c) for c in cs]].sort_values("cpu_h", ascending=False, kind="stable").head(
                1 if stage > len(s.rungs) else n) if cs else None
            times = n if stage > len(s.rungs) else 1
            rows.append(dict(stage=stage, model=model, run=None, cell=None, seed=None,
                             steps=None if p is None else int(p["steps"].max()), n=n, cached=False, shared=False,
                             cpu_h=0.0 if p is None else times * float(p["cpu_h"].sum()),
                             dev_cpu_h=0.0 if p is None else times * float(p["dev_cpu_h"].sum())))
    return pd.DataFrame(rows)


def print_plan(task: str, protocol: str, profile: str = "paper", models=MODELS, jobs: int = 2, out=print,
               reps: int = 2) -> pd.DataFrame:
    """Print :func:`plan_frame` stage by stage: the runs of every determined stage (cached, shared
    or their CPU-minutes), a bound for every other, and the totals; returns the frame."""
    s = spec(task, profile)
    difficulties, dev_n = dev_set(task, protocol, profile)
    point = f"{s.point_examples:,} examples" if s.point_examples else f"{s.point_updates:,} updates"
    out(f"{task}, {protocol} protocol ({profile} profile): dev set {dev_n:,} per difficulty "
        f"{difficulties[0]}-{difficulties[-1]} ({dev_n * len(difficulties):,} examples), a dev point every {point}; "
        f"rungs of {', '.join(map(str, s.rungs))} dev points, then up to {s.cap} (patience {s.patience}); the best "
        f"1/{s.eta} go on; seeds {', '.join(map(str, s.seeds))}"
        + ("; the paper and strict protocols share these runs (strict: their dev difficulties "
           f"{s.dev_ranges['strict'][0]}-{s.dev_ranges['strict'][1]}), so what one trains the other finds cached"
           if s.shared else ""))
    df = plan_frame(task, protocol, profile, models, reps)
    names = {k: f"rung {k} ({'every cell' if k == 0 else 'the survivors'}, "
                f"{s.rungs[k] if k < len(s.rungs) else f'up to {s.cap}'} dev points)" for k in range(len(s.rungs) + 1)}
    names[len(s.rungs) + 1] = "seeds of the chosen cell (seed 0 is its last rung's run)"
    for stage, rows in df.groupby("stage", sort=True):
        out(f"stage {stage + 1}: {names[stage]}")
        for model, r in rows.groupby("model", sort=False):
            if r["run"].isna().all():
                out(f"  {model}: not determined yet: at most {int(r['n'].iloc[0])} runs, at most "
                    f"{r['cpu_h'].sum():.2f} CPU-h")
                continue
            fresh = int((~r["cached"].astype(bool) & ~r["shared"].astype(bool)).sum())
            out(f"  {model}: {len(r)} runs, {fresh} to train, {r['cpu_h'].sum():.2f} CPU-h")
            for row in r.itertuples():
                cost = "cached" if row.cached else "shared" if row.shared else f"{row.cpu_h * 60:7.1f} CPU-min"
                out(f"    {row.run:<28} {row.cell:<30} seed {int(row.seed)}  {int(row.steps):>7,} steps  {cost}")
    known, bound = df.loc[df["run"].notna(), "cpu_h"].sum(), df.loc[df["run"].isna(), "cpu_h"].sum()
    total = known + bound
    out(f"{task} {protocol}: {known:.1f} CPU-h determined + at most {bound:.1f} CPU-h not yet determined = at most "
        f"{total:.1f} CPU-h (dev evaluation {df['dev_cpu_h'].sum():.1f} of it), about {total / jobs:.1f} h on {jobs} "
        "core(s); a run stopped by patience costs less")
    return df


def reproduce(task: str, protocol: str = "paper", profile: str = "paper", jobs: int = 2, device: str | None = None,
              dry_run: bool = False, models=MODELS, out=print, **launch) -> int:
    """Run the whole protocol for ``task``, stage by stage, resumable: each call recomputes every
    decision from the cache and trains what is missing, ``jobs`` runs at a time, until every
    model's seeds are trained. A run that diverges ranks last in its rung and is reported; the
    return code is then 1. ``dry_run``: train nothing, print the plan (:func:`print_plan`).
    ``launch``: where the runs train (``launcher``, ``address``, ``shared_fs`` of
    :func:`mannlib.engine.sweep.train_staged`)."""
    _check(protocol, models)
    spec(task, profile)
    if dry_run:
        print_plan(task, protocol, profile, models, jobs, out)
        return 0
    scores: dict = {}
    failed = sweep.train_staged(lambda f: next_runs(task, protocol, profile, models, f, scores), jobs, device, out,
                                **launch)
    for st in states(task, protocol, profile, models, failed, scores):
        if st.chosen is not None:
            out(f"{st.model}: chosen {label(st.chosen)}; runs {', '.join(run_id(c) for c in st.final)}")
    if failed:
        out(f"{len(failed)} runs failed: {', '.join(failed)}")
    return 1 if failed else 0
