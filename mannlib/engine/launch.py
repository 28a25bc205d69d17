"""Train a list of runs through the cache: ``jobs`` local processes (or Ray tasks), an estimate
first, one line per finished run. The command line (``reproduce``) and the chapters (a notebook
rerun with new parameters) both use :func:`train_all`, so a reader sees the same report either way::

    lantm: 6 runs to train (24 cached): about 41 CPU-minutes, 21 min on 2 cores
    [1/6] copy-lantm-invnorm-1a2b3c4d5e6f  7.1 min  test_acc 0.31
    ...

The estimate is the measured seconds per update of each distinct setting on this machine
(:func:`mannlib.engine.sweep.plan`) times its updates; evaluation is not counted (`reproduce --dry-run` counts it). Where the runs
train is the launcher's business (:mod:`mannlib.engine.workers`: local processes, or a Ray
cluster through :mod:`mannlib.engine.ray_launch`); the report and the runs are the same.
"""
from __future__ import annotations

import sys

from .cache import settled
from .config import RunConfig
from .workers import open_pool


def estimate_line(name: str, plan, jobs: int) -> str:
    """"NAME: 6 runs to train (24 cached): about 41 CPU-minutes, 21 min on 2 cores" from a
    :func:`~mannlib.engine.sweep.plan` frame."""
    todo = plan[~plan["cached"]]
    minutes = 60 * todo["cpu_h"].sum()
    wall = minutes / max(1, min(jobs, len(todo)))
    return (f"{name}: {len(todo)} run{'s' * (len(todo) != 1)} to train ({len(plan) - len(todo)} cached): "
            f"about {minutes:.0f} CPU-minutes, {wall:.0f} min on {min(jobs, len(todo))} core(s)")


def train_all(configs: list[RunConfig], name: str = "runs", jobs: int | None = None, device: str | None = "cpu",
              force: bool = False, out=None, launcher: str | None = None, address: str | None = None,
              shared_fs: bool | None = None) -> list[str]:
    """Train every config not in the cache (all of them with ``force``; a run recorded as diverged
    counts as cached, its divergence being deterministic), ``jobs`` at a time (default 2 local
    processes; on Ray, as many as the cluster holds) after printing the estimate; one line per
    finished run to ``out`` (default stdout). A run that diverges or is damaged is reported and
    the others go on. Returns the failure messages (empty when every run is in the cache
    afterwards). ``launcher`` ("local", "ray"; default ``$MANNLIB_LAUNCHER``, else local),
    ``address`` and ``shared_fs``: see :func:`mannlib.engine.workers.open_pool`."""
    from .sweep import plan
    out = out or sys.stdout
    todo = [c for c in configs if force or not settled(c)]
    if not todo:
        return []
    failures = []
    with open_pool(launcher, jobs, device, address, shared_fs, limit=len(todo)) as pool:
        p = plan(configs)
        if force:
            p["cached"] = False
        print(estimate_line(name, p, pool.slots), file=out, flush=True)
        queue, running = list(todo), {}
        for i in range(1, len(todo) + 1):
            while queue and len(running) < pool.slots:
                c = queue.pop(0)
                running[pool.submit(c, force)] = c
            handle = pool.wait(list(running))[0]
            c = running.pop(handle)
            try:
                run_id, summary, seconds = pool.result(handle)
                shown = "  ".join(f"{k} {summary[k]:.3g}" for k in ("train_acc", "test_acc") if k in summary)
                print(f"[{i}/{len(todo)}] {run_id}  {seconds / 60:.1f} min  {shown}", file=out, flush=True)
            except ValueError as e:   # a diverged or damaged run: report it, carry on with the rest
                failures.append(f"{c.task}-{c.model} seed {c.seed}: {e}")
                print(f"[{i}/{len(todo)}] FAILED {failures[-1]}", file=out, flush=True)
    return failures
