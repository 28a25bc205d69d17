"""Train a list of runs through the cache: ``jobs`` local processes, an estimate first, one line
per finished run. The command line (``reproduce``) and the chapters (a notebook rerun with new
parameters) both use :func:`train_all`, so a reader sees the same report either way::

    lantm: 6 runs to train (24 cached): about 41 CPU-minutes, 21 min on 2 cores
    [1/6] copy-lantm-invnorm-1a2b3c4d5e6f  7.1 min  test_acc 0.31
    ...

The estimate is the measured seconds per update of each distinct setting on this machine
(:func:`mannlib.engine.sweep.plan`) times its updates; evaluation is not counted.
"""
from __future__ import annotations

import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

from .cache import DIVERGED, MANIFEST, run_path, train_or_load
from .config import RunConfig


def estimate_line(name: str, plan, jobs: int) -> str:
    """"NAME: 6 runs to train (24 cached): about 41 CPU-minutes, 21 min on 2 cores" from a
    :func:`~mannlib.engine.sweep.plan` frame."""
    todo = plan[~plan["cached"]]
    minutes = 60 * todo["cpu_h"].sum()
    wall = minutes / max(1, min(jobs, len(todo)))
    return (f"{name}: {len(todo)} run{'s' * (len(todo) != 1)} to train ({len(plan) - len(todo)} cached): "
            f"about {minutes:.0f} CPU-minutes, {wall:.0f} min on {min(jobs, len(todo))} core(s)")


def train_one(config_dict: dict, force: bool = False, device: str = "cpu") -> tuple[str, dict, float]:
    """One run in a worker process (one torch thread, no progress bar): (run id, summary, seconds)."""
    import shutil
    config = RunConfig.from_dict(config_dict)
    if force and run_path(config).exists():
        shutil.rmtree(run_path(config))
    t0 = time.time()
    run = train_or_load(config, progress="none", threads=1, device=device)
    return run.id, run.summary, time.time() - t0


def train_all(configs: list[RunConfig], name: str = "runs", jobs: int = 2, device: str = "cpu",
              force: bool = False, out=None) -> list[str]:
    """Train every config not in the cache (all of them with ``force``; a run recorded as diverged
    counts as cached, its divergence being deterministic), ``jobs`` at a time in
    fresh processes, after printing the estimate; one line per finished run to ``out`` (default
    stdout). A run that diverges or is damaged is reported and the others go on. Returns the
    failure messages (empty when every run is in the cache afterwards)."""
    from .sweep import plan
    out = out or sys.stdout
    todo = [c for c in configs if force or not any((run_path(c) / f).exists() for f in (MANIFEST, DIVERGED))]
    if not todo:
        return []
    p = plan(configs)
    if force:
        p["cached"] = False
    print(estimate_line(name, p, jobs), file=out, flush=True)
    failures = []
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no forked torch thread pools
    with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(todo))), mp_context=ctx) as pool:
        futures = {pool.submit(train_one, c.to_dict(), force, device): c for c in todo}
        for i, future in enumerate(as_completed(futures), 1):
            c = futures[future]
            try:
                run_id, summary, seconds = future.result()
                shown = "  ".join(f"{k} {summary[k]:.3g}" for k in ("train_acc", "test_acc") if k in summary)
                print(f"[{i}/{len(todo)}] {run_id}  {seconds / 60:.1f} min  {shown}", file=out, flush=True)
            except ValueError as e:   # a diverged or damaged run: report it, carry on with the rest
                failures.append(f"{c.task}-{c.model} seed {c.seed}: {e}")
                print(f"[{i}/{len(todo)}] FAILED {failures[-1]}", file=out, flush=True)
    return failures
