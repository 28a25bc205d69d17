"""The run cache: one directory per training run, named by what produced it.

``{root}/{task}-{model}-{hash12}/`` where hash12 is the first 12 hex digits of the sha256 of
the run's canonical config JSON (seed included). Root: ``$MANNLIB_RUNS`` when set; otherwise
``data/runs`` for paper-profile runs and ``data/runs-quick`` (git-ignored) for quick ones, so
quick runs never land in ``data/runs`` (notebooks in the quick profile point MANNLIB_RUNS at a
scratch directory anyway, see mannlib.notebook). A run directory holds::

    config.json     the RunConfig
    weights.pt      float32 state_dict (torch.save; loaded with weights_only=True), unless
                    save_weights is False
    curve.csv       learning curve: step, loss, train_acc, dev_acc, dev_fine, lr, wall_s
    eval.json       {"eval_n", "eval_seed", "by_difficulty": {"D": {"n", "accuracy", "fine"}},
                     "summary": {...}}; with dev_within also "within": {"dev_within",
                     "by_difficulty", "summary"}, the same for the weights chosen on the dev
                     difficulties <= dev_within
    manifest.json   sha256 and size of each file above, wall time, versions: written LAST
    checkpoint.pt   only while training: resumable state, removed once the run is complete

Nothing is written for a config that cannot train (:func:`mannlib.engine.config.check_trainable`: an
impossible size, task argument or difficulty), nor for an unusable device. A run is complete
iff manifest.json exists and every checksum matches. Every file is written
atomically (temporary file in the same directory, fsync, os.replace), so a run killed at any
point (kill -9) leaves either its last checkpoint or a complete entry; ``train_or_load``
resumes the former. A damaged entry raises :class:`RunDamaged` naming the path, never used.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import platform
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from . import train as trainer
from .config import RunConfig, check_trainable
from . import files as safe   # atomic writes (one place to patch in the kill tests)
from .files import RunDamaged, RunError, jsonable, load_checkpoint  # noqa: F401  (re-exported)
from .paths import DATA, runs_dir

MANIFEST = "manifest.json"
DIVERGED = "diverged.json"   # a run that diverged after a checkpoint: where and why (training it again repeats it)
QUICK_ROOT = DATA / "runs-quick"


@dataclass
class Run:
    id: str
    path: Path
    config: RunConfig
    model: torch.nn.Module | None  # weights loaded, eval mode; None when save_weights was False
    curve: pd.DataFrame            # one row per learning-curve point
    eval: pd.DataFrame             # indexed by difficulty: n, accuracy, fine
    summary: dict                  # train_acc, test_acc, train_fine, test_fine, final_loss, steps, ...
    manifest: dict                 # files (sha256, bytes), wall_s, created, versions
    within: dict | None = None     # config.dev_within set: the second criterion's dev_within, eval, summary

    @property
    def task(self):
        from ..tasks import get_task
        return get_task(self.config.task, **self.config.task_args)


# --- names and places ---------------------------------------------------------------------------
def run_id(config: RunConfig) -> str:
    digest = hashlib.sha256(config.to_json().encode()).hexdigest()
    return f"{config.task}-{config.model}-{digest[:12]}"


def cache_root(profile: str) -> Path:
    if os.environ.get("MANNLIB_RUNS") or profile == "paper":
        return runs_dir()
    return QUICK_ROOT


def roots() -> list[Path]:
    """Where runs are looked up: $MANNLIB_RUNS alone, else data/runs and data/runs-quick."""
    return [runs_dir()] if os.environ.get("MANNLIB_RUNS") else [runs_dir(), QUICK_ROOT]


def run_path(config: RunConfig) -> Path:
    return cache_root(config.profile) / run_id(config)


def settled(config: RunConfig) -> bool:
    """Whether ``config`` needs no training: complete in the cache, or recorded as diverged (training
    it again would diverge at the same step)."""
    path = run_path(config)
    return (path / MANIFEST).exists() or (path / DIVERGED).exists()


def find_run(run_id: str) -> Path:
    for root in roots():
        if (root / run_id / "config.json").exists():
            return root / run_id
    known = [p.name for root in roots() if root.is_dir() for p in sorted(root.iterdir())
             if (p / "config.json").exists()]
    listed = ", ".join(known[:8]) + (f", ... ({len(known)} in all)" if len(known) > 8 else "")
    raise RunError(f"unknown run id {run_id!r}; known runs in {', '.join(map(str, roots()))}: "
                   f"{listed or 'none'} (python -m mannlib runs lists them)")


def _json_bytes(obj) -> bytes:
    return (json.dumps(jsonable(obj), indent=1) + "\n").encode()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _file_entry(path: Path) -> dict:
    """A file's entry in the manifest: its checksum and size."""
    return {"sha256": _sha256(path), "bytes": path.stat().st_size}


@contextlib.contextmanager
def _locked(path: Path, wait: bool = False):
    """Hold an exclusive lock on a run directory (one trainer per run); if another process holds
    it, RunError, or with ``wait`` block until that process is done."""
    with open(path / ".lock", "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise RunError(f"run {path} is being trained by another process") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# --- checking and loading -----------------------------------------------------------------------
def verify(path: Path) -> dict:
    """The manifest of a complete run; RunError if incomplete, RunDamaged if anything is off."""
    path = Path(path)
    if not (path / MANIFEST).exists():
        raise RunError(f"run {path} is incomplete (no {MANIFEST}); train it again to resume it")
    try:
        manifest = json.loads((path / MANIFEST).read_text())
        files = manifest["files"]
    except (ValueError, KeyError, TypeError):
        raise RunDamaged(f"{path / MANIFEST} is unreadable; delete {path} and retrain") from None
    for name in ("config.json", "curve.csv", "eval.json"):
        if name not in files:
            raise RunDamaged(f"{path / MANIFEST} does not list {name}; delete {path} and retrain")
    for name, entry in files.items():
        if not (path / name).exists():
            raise RunDamaged(f"{path / name} is missing; delete {path} and retrain")
        if _sha256(path / name) != entry["sha256"]:
            raise RunDamaged(f"{path / name} does not match its checksum in {MANIFEST}; delete {path} and retrain")
    return manifest


def _read_config(path: Path) -> RunConfig:
    try:
        config = RunConfig.from_dict(json.loads((path / "config.json").read_text()))
    except (OSError, ValueError, TypeError) as e:
        raise RunDamaged(f"{path / 'config.json'} is unreadable ({e}); delete {path}") from None
    if run_id(config) != path.name:
        raise RunDamaged(f"{path / 'config.json'} does not hash to the directory name {path.name}; delete {path}")
    return config


def _load(path: Path) -> Run:
    manifest = verify(path)
    config = _read_config(path)
    model = None
    if "weights.pt" in manifest["files"]:
        with torch.random.fork_rng(devices=[]):  # building initialises; leave the caller's RNG alone
            _, model = trainer.build(config)
        model.load_state_dict(torch.load(path / "weights.pt", weights_only=True))
        model.eval()
    ev = json.loads((path / "eval.json").read_text())
    by_difficulty, summary = _scores(ev)
    within = None
    if "within" in ev:
        within = dict(zip(("eval", "summary"), _scores(ev["within"])), dev_within=ev["within"]["dev_within"])
    return Run(path.name, path, config, model, pd.read_csv(path / "curve.csv"), by_difficulty, summary, manifest,
               within)


def _scores(ev: dict) -> tuple[pd.DataFrame, dict]:
    """(by difficulty, summary) of an eval.json section."""
    by_difficulty = pd.DataFrame.from_dict(ev["by_difficulty"], orient="index")
    by_difficulty.index = by_difficulty.index.astype(int).rename("difficulty")
    return by_difficulty.sort_index(), {k: (math.nan if v is None else v) for k, v in ev["summary"].items()}


def drop_weights(run_id: str) -> Path:
    """Delete a complete run's weights to keep ``data/`` small when no chapter needs them (the
    LANTM chapter's 4 x 256 LSTM baselines: only their metrics are read). The manifest is
    rewritten first, atomically and with ``weights_dropped``, so the run stays complete and
    verifiable; it loads with ``model = None``. Retraining the config brings the weights back."""
    path = find_run(run_id)
    manifest = verify(path)
    if "weights.pt" in manifest["files"]:
        files = {n: e for n, e in manifest["files"].items() if n != "weights.pt"}
        safe.atomic_write(path / MANIFEST, _json_bytes(dict(manifest, files=files, weights_dropped=True)))
    (path / "weights.pt").unlink(missing_ok=True)
    return path


RESTORE = ".restore"   # the retraining of restore_weights: its checkpoint, so a killed restore resumes


def restore_weights(run: Run, progress: str = "auto", device: str | None = None) -> Run:
    """``run`` with its model: a run whose weights were dropped (:func:`drop_weights`) or never
    kept (``save_weights=False``) is retrained, in ``<run>/.restore`` (resumable, deleted when
    done), with the threads it was trained with. The committed metrics stay as they are; the
    retrained run must reproduce its test summary (the same config and seed give the same
    result), else RunError and nothing changes. Then ``weights.pt`` is written and added to
    the manifest, which is rewritten atomically last."""
    if run.model is not None:
        return run
    path = run.path
    with _locked(path, wait=True):
        manifest = verify(path)
        if "weights.pt" not in manifest["files"]:   # else restored by another process meanwhile
            work = path / RESTORE
            result = trainer.train(run.config, progress=progress, workdir=work, threads=manifest.get("threads"),
                                   desc=f"{path.name} (restoring its weights)", device=device)
            got, want = result.summary, run.summary
            off = [k for k, v in want.items() if isinstance(v, (int, float)) and k != "wall_s" and k in got
                   and not math.isclose(float(got[k]), float(v), rel_tol=1e-6, abs_tol=1e-9)
                   and not (math.isnan(float(v)) and math.isnan(float(got[k])))]
            if off:
                raise RunError(f"retraining run {path.name} did not reproduce its committed test summary "
                               f"({', '.join(f'{k}: {want[k]} then {got[k]}' for k in off)}); its weights "
                               f"were not restored (a different torch version or thread count?)")
            safe.atomic_save(path / "weights.pt", result.model.state_dict())
            files = dict(manifest["files"], **{"weights.pt": _file_entry(path / "weights.pt")})
            entry = {k: v for k, v in manifest.items() if k != "weights_dropped"}
            safe.atomic_write(path / MANIFEST, _json_bytes(dict(entry, files=files)))
            shutil.rmtree(work, ignore_errors=True)
    (path / ".lock").unlink(missing_ok=True)
    return _load(path)


def load_run(run_id: str) -> Run:
    """A complete run from the cache (weights loaded); RunError / RunDamaged otherwise."""
    return _load(find_run(run_id))


# --- training into the cache --------------------------------------------------------------------
def train_or_load(config: RunConfig, progress: str = "auto", threads: int | None = None,
                  device: str | None = None) -> Run:
    """The cached run for ``config``; trains it (resuming a checkpoint if one exists) if needed,
    on ``device`` (not part of the config: see :func:`mannlib.engine.train.resolve_device`)."""
    path = run_path(config)
    if (path / MANIFEST).exists():
        run = _load(path)
        for leftover in (trainer.CHECKPOINT, ".lock"):  # left if killed just after the manifest
            (path / leftover).unlink(missing_ok=True)
        return run
    if (path / DIVERGED).exists():   # deterministic: resuming would diverge at the same step again
        raise trainer.TrainingDiverged(json.loads((path / DIVERGED).read_text())["message"])
    check_trainable(config)     # a config training would fail on leaves nothing behind: no directory, no lock
    device = str(trainer.resolve_device(device))   # ... nor a bad device; resolved once, here
    path.mkdir(parents=True, exist_ok=True)
    try:
        with _locked(path, wait=True):          # another process training it: wait, then load its result
            if not path.is_dir():               # its trainer diverged before a checkpoint and removed it
                return train_or_load(config, progress, threads, device)
            if (path / DIVERGED).exists():      # ... or diverged after one, meanwhile
                raise trainer.TrainingDiverged(json.loads((path / DIVERGED).read_text())["message"])
            if not (path / MANIFEST).exists():  # else finished by another process meanwhile
                try:
                    _train_into(path, config, progress, threads, device)
                except trainer.TrainingDiverged as e:   # cleaned up under the lock: a waiter sees the outcome
                    if not (path / trainer.CHECKPOINT).exists():   # nothing to resume: no entry left
                        shutil.rmtree(path, ignore_errors=True)
                    else:   # recorded: loading it again raises at once instead of training up to that step
                        safe.atomic_write(path / DIVERGED, _json_bytes({"message": str(e)}))
                    raise
    finally:
        if path.is_dir():
            (path / ".lock").unlink(missing_ok=True)
    return _load(path)


def _train_into(path: Path, config: RunConfig, progress: str, threads: int | None, device: str | None):
    """Train (or resume) ``config`` in ``path`` and write its entry, the manifest last; the caller
    holds the run's lock."""
    for stale in path.glob(".*.tmp"):  # left by a killed writer
        stale.unlink()
    if (path / "config.json").exists():
        _read_config(path)
    else:
        safe.atomic_write(path / "config.json", _json_bytes(config.to_dict()))
    result = trainer.train(config, progress=progress, workdir=path, threads=threads, desc=path.name,
                           device=device)
    files = ["config.json", "curve.csv", "eval.json"]
    if config.save_weights:
        safe.atomic_save(path / "weights.pt", result.model.state_dict())
        files.append("weights.pt")
    safe.atomic_write(path / "curve.csv", result.curve.to_csv(index=False).encode())
    ev = dict(eval_n=config.eval_n, eval_seed=config.eval_seed, by_difficulty=_rows(result.eval),
              summary=dict(result.summary, wall_s=round(result.wall_s, 1)))
    if result.within is not None:
        ev["within"] = dict(result.within, by_difficulty=_rows(result.within["by_difficulty"]))
    safe.atomic_write(path / "eval.json", _json_bytes(ev))
    safe.atomic_write(path / MANIFEST, _json_bytes(dict(
        files={n: _file_entry(path / n) for n in files},
        wall_s=round(result.wall_s, 1), threads=torch.get_num_threads(),
        device=result.device,
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        versions={"torch": torch.__version__, "python": platform.python_version()})))
    (path / trainer.CHECKPOINT).unlink(missing_ok=True)


def _rows(by_difficulty: pd.DataFrame) -> dict:
    return {str(d): row for d, row in by_difficulty.to_dict(orient="index").items()}


def list_runs() -> list[dict]:
    """Every run directory under :func:`roots`: id, task, model, seed, profile, status
    (complete | incomplete | diverged | damaged), path, error (if any) and the summary metrics."""
    out = []
    for root in roots():
        for path in sorted(root.iterdir()) if root.is_dir() else []:
            if not (path / "config.json").exists():
                continue
            row = dict(id=path.name, task=None, model=None, seed=None, profile=None,
                       status="complete", path=str(path), error=None)
            try:
                config = _read_config(path)
                row.update(task=config.task, model=config.model, seed=config.seed, profile=config.profile)
                verify(path)
                row.update(json.loads((path / "eval.json").read_text())["summary"])
            except RunDamaged as e:
                row.update(status="damaged", error=str(e))
            except RunError:
                row["status"] = "diverged" if (path / DIVERGED).exists() else "incomplete"
            out.append(row)
    return out
