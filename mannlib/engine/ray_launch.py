"""Sweeps on a Ray cluster (Moritz et al. 2018, "Ray: a distributed framework for emerging AI
applications"): one Ray task per run, so that ``reproduce --launcher ray`` spreads a chapter's
runs over every node, with the same run ids and results as the local launcher.

Each task asks for one CPU (one GPU when the device is CUDA) and trains through
:func:`mannlib.engine.cache.train_or_load` with one torch thread, exactly as a local worker does:
the run id is the hash of the config, and a run trained on a Ray worker is the run a local process
would have trained. Where its files go:

- ``shared_fs=True``: the workers see the run cache at the driver's path (a shared filesystem:
  NFS, a cluster's home directories); a task writes its run there directly, under the cache's
  lock, with its atomic writes. Before any task trains, it checks that it can see a marker file
  the driver wrote, so a node without the mount fails its runs loudly instead of training into
  a private copy of the path.
- default (``shared_fs=False``, safe anywhere): a task trains into a scratch cache on its node
  (``$TMPDIR/mannlib-ray/KEY``) and sends the finished run's files back; the driver checks them
  against their manifest and moves them into its cache in one rename (:func:`install_run`), so
  the driver's cache never holds a partial run directory.

A task whose worker or node dies is retried by Ray (``max_retries``, default 3). A retry resumes
from the run's last checkpoint (written every ``checkpoint_every`` updates) when it can see it:
always with a shared filesystem, and in the scratch mode when it lands on the same node. A run
that diverges, or a config that cannot train, raises no Ray error: it is reported like the local
launcher's (a diverged run's record is sent back too, so the driver will not train it again).

Ray is an optional dependency (``pip install -e ".[cluster]"``), imported only here and only when
the Ray launcher is asked for. The code on every node must be this project's, installed alike.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
import time
import uuid
from pathlib import Path

from .cache import DIVERGED, MANIFEST, run_id, run_path, train_or_load, verify
from .config import ConfigError, RunConfig
from .files import RunError, atomic_write
from .train import CHECKPOINT, resolve_device

MAX_RETRIES = 3
INSTALL = 'pip install -e ".[cluster]"'
INCOMING = ".incoming"       # under the cache root: where sent-back runs are assembled before their rename


def import_ray():
    """The ``ray`` module, or a ConfigError saying how to install it."""
    try:
        import ray
    except ModuleNotFoundError as e:
        if e.name != "ray":
            raise
        raise ConfigError(f"the Ray launcher needs the optional dependency ray: {INSTALL} "
                          "(or pip install -r requirements-cluster.txt)") from None
    return ray


def device_name(device: str | None) -> str:
    """The device the runs train on (default ``$MANNLIB_DEVICE``, else cpu), checked by name
    only: the driver may have no GPU where the workers do."""
    name = device or os.environ.get("MANNLIB_DEVICE") or "cpu"
    resolve_device("cpu" if re.fullmatch(r"cuda(:\d+)?", name) else name)   # an unknown name fails here
    return name


# --- on a worker --------------------------------------------------------------------------------
@contextlib.contextmanager
def runs_at(root: Path):
    """Point the run cache ($MANNLIB_RUNS) at ``root`` for the duration."""
    old = os.environ.get("MANNLIB_RUNS")
    os.environ["MANNLIB_RUNS"] = str(root)
    try:
        yield
    finally:
        if old is None:
            del os.environ["MANNLIB_RUNS"]
        else:
            os.environ["MANNLIB_RUNS"] = old


def settled_files(path: Path) -> dict[str, bytes] | None:
    """The files to send back from a finished run directory: a complete run's (those its manifest
    lists, and the manifest), or a diverged run's record (its config, checkpoint and
    ``diverged.json``); None when the run is neither."""
    if (path / MANIFEST).exists():
        names = [*json.loads((path / MANIFEST).read_text())["files"], MANIFEST]
    elif (path / DIVERGED).exists():
        names = sorted(p.name for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    else:
        return None
    return {n: (path / n).read_bytes() for n in names}


def train_task(config_dict: dict, marker: str | None, scratch: str | None, force: bool, device: str,
               progress: str) -> dict:
    """One run as a Ray task: train (or resume, or load) it into the shared cache that holds the
    driver's ``marker`` file (which must be visible here) or into the node-local scratch cache
    ``scratch``; with ``force``, a finished entry there is deleted first. Returns the summary, the
    error message of a run that raised a ValueError (diverged, damaged, cannot train), the seconds
    it took, and in the scratch mode the files of the finished run (its scratch entry then
    deleted)."""
    config = RunConfig.from_dict(config_dict)
    if scratch:
        where = Path(tempfile.gettempdir()) / "mannlib-ray" / scratch
    else:
        where, marker = Path(marker).parent, Path(marker)
        if not marker.exists():
            return dict(summary=None, files=None, seconds=0.0, error=(
                f"the run cache {where} is not shared with node {socket.gethostname()} (no {marker.name} there); "
                "mount it at the same path, or drop shared_fs (--shared-fs) to send runs back to the driver"))
    t0 = time.time()
    with runs_at(where):
        path = run_path(config)
        if force and any((path / f).exists() for f in (MANIFEST, DIVERGED)):
            shutil.rmtree(path)
        summary = error = None
        try:
            summary = train_or_load(config, progress=progress, threads=1, device=device).summary
        except ValueError as e:
            error = str(e)
        files = settled_files(path) if scratch else None
        if files:
            shutil.rmtree(path)
    return dict(summary=summary, error=error, seconds=time.time() - t0, files=files)


# --- on the driver ------------------------------------------------------------------------------
def install_run(path: Path, files: dict[str, bytes]) -> None:
    """Put a run sent back by a worker into the driver's cache at ``path``, never partial: the
    files are written into ``ROOT/.incoming/`` and checked against their manifest, then the
    directory is renamed into place in one step. When ``path`` already holds an incomplete entry
    (a checkpoint of an interrupted local attempt), the files replace its own one by one, the
    manifest (or the diverged record) last, as the cache itself writes them, so the entry counts
    as complete only once everything is in. A complete entry already there is kept: the run is
    content-addressed, so it is the same run."""
    path = Path(path)
    if (path / MANIFEST).exists():
        return
    staging = path.parent / INCOMING / f"{path.name}.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for name, data in files.items():
            atomic_write(staging / name, data)
        if MANIFEST in files:
            verify(staging)       # the checksums the worker wrote: nothing was lost on the way
        try:
            os.rename(staging, path)            # atomic; fails when path holds an incomplete entry
        except OSError:
            last = (MANIFEST, DIVERGED)
            for name in sorted(files, key=lambda n: n in last):
                os.replace(staging / name, path / name)
            if MANIFEST in files:
                (path / CHECKPOINT).unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            staging.parent.rmdir()              # only when no other run is being assembled
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class RayPool:
    """Runs as Ray tasks (see the module docstring); the interface of
    :class:`mannlib.engine.workers.LocalPool`: handles are Ray object refs. Joins the cluster at
    ``address`` (Ray's rule without one: ``$RAY_ADDRESS``, else the cluster last started on this
    machine with ``ray start``, else a Ray instance started here) unless this process is already
    connected, and leaves only what it joined."""

    def __init__(self, jobs: int | None, device: str | None, address: str | None, shared_fs: bool,
                 progress: str = "none", limit: int | None = None, max_retries: int = MAX_RETRIES):
        self.device = device_name(device)
        self.gpu = self.device.startswith("cuda")
        self.jobs, self.address, self.shared_fs, self.progress = jobs, address, shared_fs, progress
        self.limit, self.max_retries = limit, max_retries
        self.configs, self.markers, self.started = {}, [], False

    def __enter__(self):
        ray = self.ray = import_ray()
        if not ray.is_initialized():
            ray.init(address=self.address)
            self.started = True
        unit = "GPU" if self.gpu else "CPU"
        total = int(ray.cluster_resources().get(unit, 0))
        if total < 1:
            self.__exit__()
            raise ConfigError(f"the Ray cluster has no {unit} to train on (device {self.device})")
        self.slots = max(1, min(self.jobs or total, self.limit or total))
        resources = dict(num_gpus=1) if self.gpu else dict(num_cpus=1)
        self.task = ray.remote(train_task).options(max_retries=self.max_retries, **resources)
        return self

    def __exit__(self, *exc):
        for marker in self.markers:
            marker.unlink(missing_ok=True)
        if self.started:
            self.ray.shutdown()
            self.started = False

    def marker(self, root: Path) -> str:
        """The marker file of the shared run cache ``root``, written once per pool."""
        for m in self.markers:
            if m.parent == root:
                return str(m)
        root.mkdir(parents=True, exist_ok=True)
        marker = root / f".ray-driver-{uuid.uuid4().hex[:12]}"
        marker.write_text(f"{socket.gethostname()} {os.getpid()}\n")
        self.markers.append(marker)
        return str(marker)

    def submit(self, config: RunConfig, force: bool = False):
        path = run_path(config)
        if force and path.exists():
            shutil.rmtree(path)
        root = path.parent.resolve()
        if self.shared_fs:
            marker, scratch = self.marker(root), None
        else:   # one scratch cache per driver cache, stable across sweeps: a rerun finds its checkpoints
            marker, scratch = None, hashlib.sha256(f"{socket.gethostname()}:{root}".encode()).hexdigest()[:12]
        ref = self.task.remote(config.to_dict(), marker, scratch, force,
                               "cuda" if self.gpu else "cpu", self.progress)   # Ray picks the GPU
        self.configs[ref] = config
        return ref

    def wait(self, handles) -> list:
        ready, _ = self.ray.wait(list(handles), num_returns=1)
        return ready

    def result(self, handle) -> tuple[str, dict, float]:
        config = self.configs.pop(handle)
        try:
            out = self.ray.get(handle)
        except self.ray.exceptions.RayTaskError:
            raise            # an exception in our own code (not a ValueError): a bug, shown in full
        except self.ray.exceptions.RayError as e:   # its worker or node died, and so did every retry
            raise RunError(f"{run_id(config)}: its Ray task was lost after {self.max_retries} retries "
                           f"({type(e).__name__})") from None
        if out["files"]:
            install_run(run_path(config), out["files"])
        if out["error"]:
            raise ValueError(out["error"])
        return run_id(config), out["summary"], out["seconds"]
