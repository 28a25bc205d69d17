"""Where runs train: on local processes or as Ray tasks, behind one small interface.

:func:`mannlib.engine.launch.train_all` (a fixed list of runs) and
:func:`mannlib.engine.sweep.train_staged` (a staged campaign) both train through a pool opened
here, so every chapter's ``reproduce`` and every notebook that trains can run its sweep on this
machine (``launcher="local"``, the default) or on a Ray cluster (``launcher="ray"``,
:mod:`mannlib.engine.ray_launch`). Either way a run is trained by
:func:`mannlib.engine.cache.train_or_load` with one torch thread, so its run id and its cache entry
do not depend on the launcher::

    with open_pool("local", jobs=2) as pool:
        handle = pool.submit(config)
        for h in pool.wait([handle]):
            run_id, summary, seconds = pool.result(h)   # ValueError: diverged or damaged

``pool.slots`` is how many runs it trains at once: ``jobs`` (local default 2); on Ray ``jobs`` is
a cap, and without one the pool fills the cluster (its CPUs, or its GPUs for a CUDA device).

Defaults from the environment, so that a notebook run (papermill) can be pointed at a cluster
without a code change: ``$MANNLIB_LAUNCHER`` (``local`` or ``ray``), ``$RAY_ADDRESS`` (Ray's own
variable: the cluster to join; unset, the cluster last started here with ``ray start``, else a
Ray instance started for the sweep) and ``$MANNLIB_RAY_SHARED_FS=1`` (the workers see the run
cache at the driver's path).
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from .config import ConfigError, RunConfig

LAUNCHERS = ("local", "ray")
DEFAULT_JOBS = 2     # local processes when no --jobs is given: the 2 cores of this machine


def check_launcher(name: str | None) -> str:
    """``name`` (default ``$MANNLIB_LAUNCHER``, else "local") if it is a launcher; ConfigError
    naming the launchers otherwise."""
    name = name or os.environ.get("MANNLIB_LAUNCHER") or "local"
    if name not in LAUNCHERS:
        raise ConfigError(f"unknown launcher {name!r}; choose one of {', '.join(LAUNCHERS)}")
    return name


def check_jobs(jobs: int | None) -> int | None:
    if jobs is not None and jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    return jobs


def train_one(config_dict: dict, force: bool = False, device: str | None = "cpu",
              progress: str = "none") -> tuple[str, dict, float]:
    """One run in a local worker process (one torch thread): (run id, summary, seconds). With
    ``force``, the cache entry is deleted first and the run trains from step 0."""
    from .cache import run_path, train_or_load
    config = RunConfig.from_dict(config_dict)
    if force and run_path(config).exists():
        shutil.rmtree(run_path(config))
    t0 = time.time()
    run = train_or_load(config, progress=progress, threads=1, device=device)
    return run.id, run.summary, time.time() - t0


class LocalPool:
    """``slots`` fresh Python processes (spawned: no forked torch thread pools), one run each at
    a time; handles are futures."""

    def __init__(self, slots: int, device: str | None, progress: str):
        self.slots, self.device, self.progress = slots, device, progress
        self.executor = None

    def __enter__(self):
        self.executor = ProcessPoolExecutor(max_workers=self.slots, mp_context=multiprocessing.get_context("spawn"))
        return self

    def __exit__(self, *exc):
        self.executor.shutdown(wait=True, cancel_futures=True)

    def submit(self, config: RunConfig, force: bool = False):
        return self.executor.submit(train_one, config.to_dict(), force, self.device, self.progress)

    def wait(self, handles) -> list:
        """The handles among ``handles`` that have finished (at least one; blocks until then)."""
        return list(wait(handles, return_when=FIRST_COMPLETED)[0])

    def result(self, handle) -> tuple[str, dict, float]:
        return handle.result()


def open_pool(launcher: str | None = None, jobs: int | None = None, device: str | None = None,
              address: str | None = None, shared_fs: bool | None = None, progress: str = "none",
              limit: int | None = None):
    """A pool (a context manager) that trains runs on ``launcher``'s workers, at most ``jobs``
    (and at most ``limit``, the number of runs there are) at a time. ``address`` and
    ``shared_fs`` are the Ray launcher's (:class:`mannlib.engine.ray_launch.RayPool`); the local
    launcher refuses them rather than ignore them."""
    launcher = check_launcher(launcher)
    check_jobs(jobs)
    if launcher == "ray":
        from .ray_launch import RayPool
        shared = shared_fs if shared_fs is not None else os.environ.get("MANNLIB_RAY_SHARED_FS") == "1"
        return RayPool(jobs, device, address, shared, progress, limit)
    if address or shared_fs:
        raise ConfigError("address and shared_fs are options of the Ray launcher; use launcher='ray' "
                          "(--launcher ray) or drop them")
    slots = jobs or DEFAULT_JOBS
    return LocalPool(max(1, min(slots, limit or slots)), device, progress)


def slots(launcher: str | None = None, jobs: int | None = None, device: str | None = None,
          address: str | None = None) -> int:
    """How many runs ``launcher`` would train at once (a dry run's wall-time estimate); on Ray this
    joins the cluster to count its CPUs (GPUs)."""
    if check_launcher(launcher) == "local" or check_jobs(jobs):
        return jobs or DEFAULT_JOBS
    with open_pool(launcher, jobs, device, address) as pool:
        return pool.slots
