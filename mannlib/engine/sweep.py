"""Sweeps: grids of configs, tuning on a development set, successive halving over the run cache,
training many runs at once, and the plan (what a list of runs will cost here before any of it
trains).

The runs themselves come from the chapters (``RUNS`` of each package in :mod:`mannlib.chapters`;
the staged Wang protocol in :mod:`mannlib.chapters.wang_protocol`); ``python -m mannlib reproduce
TARGET`` trains them through the run cache, so the book and the command line always agree on
what was trained.

Successive halving (Jamieson & Talwalkar 2016; the inner loop of Li et al.'s Hyperband): every
cell of a grid trains on a small budget, the best ``1/eta`` go on to a larger one, and so on. Here
a rung's runs are ordinary cached runs, and a rung's decision is a pure function of their dev
scores (:func:`halving`), so an interrupted campaign resumes from the cache and a dry run shows
which stages are already determined. Why not a library: scikit-learn's ``HalvingGridSearchCV``
(installed) cross-validates estimators it fits in memory, and Optuna's or Ray Tune's halving
(not installed; Ray's core is an optional extra that only launches runs) keep their own trial
store beside ours and decide while trials run; none reads its decisions back from finished,
content-addressed runs.
"""
from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

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


# --- successive halving -------------------------------------------------------------------------
def dev_score(curve: pd.DataFrame, within: bool = False, until: int | None = None) -> tuple:
    """A run's development score, higher is better: (best dev accuracy, dev fine score at that
    point, minus the number of dev points before it was first reached). The first two are the
    trainer's ``keep_best`` order, so the score is that of the weights the run keeps; the third
    breaks a tie (e.g. two cells at 100%) in favour of the cell that got there sooner.
    ``within``: the second criterion's columns (a run with ``dev_within``); ``until``: the points
    up to that step only (where that criterion stopped, when the run went on for the other)."""
    if until is not None:
        curve = curve[curve["step"] <= until]
    suffix = "_within" if within else ""
    points = list(zip(curve["dev_acc" + suffix], curve["dev_fine" + suffix]))
    if not points:
        raise ValueError("a run with no learning-curve point has no dev score")
    best = max(points)
    return (float(best[0]), float(best[1]), -points.index(best))


def keep_count(n: int, eta: int) -> int:
    """How many of ``n`` cells a rung passes on: ceil(n / eta), at least one."""
    if n < 1 or eta < 2:
        raise ValueError(f"need n >= 1 cells and eta >= 2, got n={n}, eta={eta}")
    return max(1, math.ceil(n / eta))


def survivors(scores: Sequence[tuple], keep: int) -> list[int]:
    """Positions of the ``keep`` highest ``scores`` (tuples, compared element by element), best
    first; a tie goes to the earlier position."""
    if any(s is None for s in scores):
        raise ValueError("every cell of a rung needs a score before the rung can be decided")
    return sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)[:keep]   # stable: ties keep order


@dataclass
class Rung:
    """One rung of :func:`halving`: the cells it trains, their runs and scores, its decision."""
    cells: list[int]                # positions in the grid, best of the rung before first
    configs: list[RunConfig]        # one run per cell, at this rung's budget
    scores: list[tuple | None]      # each run's score (None: not trained yet)
    keep: list[int] | None          # the cells passed on, best first (None: undecided)


def halving(cells: Sequence[RunConfig], budgets: Sequence[Callable[[RunConfig], RunConfig]],
            score: Callable[[RunConfig], tuple | None], eta: int = 3) -> list[Rung]:
    """Successive halving over ``cells``, as far as the scores known now allow: rung k trains the
    surviving cells at ``budgets[k](cell)`` and passes on the best ``ceil(n / eta)`` by
    ``score(run config)`` (``None``: not trained yet). The rungs returned end at the first
    undecided one. Ties go to the cell ranked higher at the rung before (at the first rung: grid
    order). Deterministic: the same scores give the same rungs. After the last rung, the chosen
    cell is ``cells[rungs[-1].keep[0]]`` when ``len(rungs) == len(budgets)`` and it is decided."""
    if not cells or not budgets:
        raise ValueError("halving needs at least one cell and one budget")
    alive, rungs = list(range(len(cells))), []
    for budget in budgets:
        configs = [budget(cells[i]) for i in alive]
        scores = [score(c) for c in configs]
        keep = None
        if all(s is not None for s in scores):
            keep = [alive[j] for j in survivors(scores, keep_count(len(alive), eta))]
        rungs.append(Rung(alive, configs, scores, keep))
        if keep is None:
            break
        alive = keep
    return rungs


# --- training many runs -------------------------------------------------------------------------
def train_staged(next_runs: Callable[[dict], list[RunConfig]], jobs: int | None = 2, device: str | None = None,
                 out: Callable[[str], None] = print, launcher: str | None = None, address: str | None = None,
                 shared_fs: bool | None = None) -> dict[str, str]:
    """Train what ``next_runs(failed)`` asks for (a staged campaign; a fixed list of runs is
    :func:`mannlib.engine.launch.train_all`'s), ``jobs`` runs at a time (locally, ``jobs`` 1: in
    this process; more: fresh processes with one torch thread each; on Ray, ``jobs`` tasks, or as
    many as the cluster holds when None), asking again whenever a run ends, since a finished run
    may decide a stage and so name new runs; stop when it names none that is not done or running.
    ``failed`` maps the run id of a run that raised a ValueError (diverged, damaged) to its
    message; it is what this returns. ``launcher``, ``address``, ``shared_fs``: see
    :func:`mannlib.engine.workers.open_pool`."""
    from .cache import run_id, train_or_load
    from .workers import check_jobs, check_launcher, open_pool
    check_jobs(jobs)
    launcher = check_launcher(launcher)
    failed, done, running = {}, set(), {}

    def todo():
        return [c for c in next_runs(failed) if run_id(c) not in done and run_id(c) not in failed
                and run_id(c) not in running.values()]

    def finish(rid, call):
        try:
            call()
            done.add(rid)
            out(f"done {rid}")
        except ValueError as e:
            failed[rid] = str(e)
            out(f"FAILED {rid}: {e}")

    if jobs == 1 and launcher == "local":
        while batch := todo():
            finish(run_id(batch[0]), lambda: train_or_load(batch[0], progress="auto", device=device))
        return failed
    with open_pool(launcher, jobs, device, address, shared_fs, progress="coarse") as pool:
        while True:
            for c in todo()[:pool.slots - len(running)]:
                running[pool.submit(c)] = run_id(c)
            if not running:
                return failed
            for handle in pool.wait(list(running)):
                finish(running.pop(handle), lambda: pool.result(handle))


# --- what it costs ------------------------------------------------------------------------------
# Fields that do not change the cost of one update: runs differing only in these share a price.
_PRICE_NEUTRAL = dict(seed=0, steps=1, lr=1e-3, schedule="none", eval_every=1, dev_n=1, dev_difficulties=None,
                      keep_best=False, eval_n=1, eval_difficulties=None, eval_seed=0, checkpoint_every=1,
                      save_weights=True, patience=None, dev_within=None, decay_after=None)
_PRICES: dict = {}        # measured in this process: key -> seconds


def _recorded(prices: dict | None, key: tuple) -> float | None:
    """A price from a recorded table (None: measure it here); an error if the table lacks it."""
    if prices is None:
        return _PRICES.get(key)
    if key not in prices:
        raise LookupError(f"no recorded price for {key[0]} of {key[1][:80]}...; record the prices again with "
                          "`python -m mannlib reproduce CHAPTER --dry-run --record-prices FILE`")
    return prices[key]


def _update_price(c: RunConfig, reps: int, prices: dict | None = None) -> float:
    from .train import step_seconds
    neutral = c.replace(**_PRICE_NEUTRAL)
    key = ("update", neutral.to_json(), reps)
    price = _recorded(prices, key)
    if price is None:
        price = _PRICES[key] = step_seconds(neutral, reps)
    return price


def save_prices(path) -> Path:
    """Write every price measured in this process to ``path`` (JSON), for :func:`load_prices`."""
    from .files import atomic_write
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"key": list(k), "seconds": v} for k, v in sorted(_PRICES.items(), key=lambda kv: repr(kv[0]))]
    atomic_write(path, (json.dumps(rows, indent=0) + "\n").encode())
    return path


def load_prices(path) -> dict:
    """The prices recorded by :func:`save_prices`: the same keys as measured ones."""
    def key(k):
        return tuple(tuple(x) if isinstance(x, list) else x for x in k)
    return {key(r["key"]): r["seconds"] for r in json.loads(Path(path).read_text())}


def eval_seconds(config: RunConfig, n: int, difficulties, sample: int = 128, prices: dict | None = None) -> float:
    """CPU seconds (one thread) for a freshly initialised model of ``config`` to score ``n``
    examples per difficulty: measured on ``min(n, sample)`` per difficulty and scaled; memoised
    per model, sizes, task and difficulties. The cost of a dev point or of the final test.
    With ``prices`` (:func:`load_prices`), the recorded price instead of a measurement."""
    import time

    import torch

    from .train import build, score_sets, test_sets
    k = min(n, sample)
    key = ("eval", config.task, config.model, repr(sorted(config.sizes.items())),
           repr(sorted(config.task_args.items())), tuple(difficulties), k)
    price = _recorded(prices, key)
    if price is not None:
        return price * n
    threads = torch.get_num_threads()     # not memoised yet (_recorded returned None): measure it
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):
            task, model = build(config)
        sets = test_sets(task, k, 0, difficulties)
        t0 = time.process_time()
        score_sets(model, task, sets)
        _PRICES[key] = (time.process_time() - t0) / k
    finally:
        torch.set_num_threads(threads)
    return _PRICES[key] * n


def plan(configs: list[RunConfig], reps: int = 2, evaluation: bool = False,
         prices: dict | None = None, price_cached: bool = False) -> pd.DataFrame:
    """What training ``configs`` would cost here before any of it is trained: one row per run
    with its id, whether the cache already holds it complete, and for the others the measured
    CPU seconds per update (:func:`mannlib.engine.train.step_seconds`, measured once per distinct
    model, sizes, batch and task setting) times its updates. With ``evaluation``, also the
    evaluation at its largest: every dev point the cap allows (``ceil(steps / eval_every)``) and
    the final test, measured by :func:`eval_seconds`, in ``dev_cpu_h`` and included in ``cpu_h``
    (a run stopped early by ``patience`` costs less); without it evaluation is not counted. With
    ``prices`` (:func:`load_prices`), recorded prices replace the measurements: the same plan on
    any machine, whatever else it is doing. With ``price_cached``, the runs the cache holds are
    priced too (what they cost, or would cost, to train): the price of the whole set, which does
    not fall to zero as it is trained."""
    from .cache import run_path, settled
    from ..tasks import get_task
    rows = []
    for c in configs:
        done = settled(c)   # a diverged run is settled
        free = done and not price_cached
        sec = None if free else _update_price(c, reps, prices)
        row = {"run": run_path(c).name, "seed": c.seed, "steps": c.steps, "cached": done,
               "s_per_update": sec, "cpu_h": 0.0 if free else sec * c.steps / 3600}
        if evaluation:
            task = get_task(c.task, **c.task_args)
            dev = (c.dev_difficulties or task.difficulties("train"))
            test = (c.eval_difficulties or task.difficulties("test"))
            dev_h = 0.0 if free else math.ceil(c.steps / c.eval_every) * eval_seconds(c, c.dev_n, dev,
                                                                                       prices=prices) / 3600
            test_h = 0.0 if free else eval_seconds(c, c.eval_n, test, prices=prices) / 3600
            row.update(dev_cpu_h=dev_h, cpu_h=row["cpu_h"] + dev_h + test_h)
        rows.append(row)
    return pd.DataFrame(rows)
