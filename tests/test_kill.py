"""A run killed at any write of its directory is either complete and valid or resumable, and
the resumed run is bit-identical to one that was never interrupted (SANN, TANN, LANTM).

A run writes, in this order (mannlib.engine.cache.train_or_load, every file through ``atomic_write``):
config.json, checkpoint.pt at every ``checkpoint_every`` steps, weights.pt, curve.csv,
eval.json and manifest.json, then removes checkpoint.pt. The failures are injected
deterministically: ``atomic_write`` is replaced by one that dies at its n-th call, either in
the middle (a torn temporary file is left, the target is not replaced) or just after the
target was replaced. "Dying" raises an exception that nothing in mannlib catches; one test per
model kills a real process (``os._exit``) between the last result file and the manifest.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mannlib.engine import cache as C, files as F
from mannlib.engine.config import profile_config

SMALL = dict(steps=12, eval_every=4, checkpoint_every=4, dev_n=4, eval_n=4, batch_size=8)
CONFIGS = {
    "sann": profile_config("mirror", "sann", "quick", **SMALL, **{"sizes.hidden": 8, "sizes.cells": 4}),
    "tann": profile_config("mirror", "tann", "quick", **SMALL, **{"sizes.hidden": 8, "sizes.cells": 4}),
    # Yang's settings: RMSProp, the halving schedule, keep_best (the best weights live in the checkpoint)
    "lantm": profile_config("copy", "lantm-invnorm", "quick", **SMALL, dev_difficulties=(2, 4),
                            eval_difficulties=(4, 8), **{"task_args.train_max": 4, "sizes.hidden": 8}),
}
WRITES = ["config.json", "checkpoint.pt", "checkpoint.pt", "weights.pt", "curve.csv", "eval.json", "manifest.json"]
ENTRY = ["config.json", "curve.csv", "eval.json", "manifest.json", "weights.pt"]
REAL_WRITE = F.atomic_write


class Killed(BaseException):
    """Not an Exception: nothing on the way up may catch it, as nothing survives a kill."""


@pytest.fixture(autouse=True)
def quiet(monkeypatch):
    monkeypatch.setenv("MANNLIB_PROGRESS", "none")
    monkeypatch.setenv("MANNLIB_THREADS", "1")


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """Each model's uninterrupted run, and the names of the files it wrote, in order."""
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MANNLIB_PROGRESS", "none")
        mp.setenv("MANNLIB_RUNS", str(tmp_path_factory.mktemp("straight")))
        written = []
        mp.setattr(F, "atomic_write", lambda path, data: (written.append(Path(path).name), REAL_WRITE(path, data))[1])
        for name, config in CONFIGS.items():
            written.clear()
            out[name] = (C.train_or_load(config), list(written))
    return out


def die_at(monkeypatch, n: int, after: bool):
    """Make the n-th call of ``atomic_write`` die: mid-write (a torn temporary file, the target
    untouched) or, with ``after``, just after the target was replaced. Returns the names written."""
    names = []

    def write(path, data):
        path = Path(path)
        names.append(path.name)
        if len(names) == n and not after:
            path.with_name(f".{path.name}.{os.getpid()}.tmp").write_bytes(data[: len(data) // 2])
            raise Killed(f"mid-write of {path.name}")
        REAL_WRITE(path, data)
        if len(names) == n and after:
            raise Killed(f"after writing {path.name}")
    monkeypatch.setattr(F, "atomic_write", write)
    return names


def assert_identical(resumed, straight):
    for (key, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), key
    assert straight.curve.drop(columns="wall_s").equals(resumed.curve.drop(columns="wall_s"))
    assert straight.eval.equals(resumed.eval)
    assert straight.summary | {"wall_s": 0} == resumed.summary | {"wall_s": 0}
    assert (resumed.path / "config.json").read_bytes() == (straight.path / "config.json").read_bytes()
    assert sorted(p.name for p in resumed.path.iterdir()) == ENTRY     # no checkpoint, lock or temporary file


def test_a_run_writes_its_files_in_this_order(straight):
    for name, (run, written) in straight.items():
        assert written == WRITES, name
        assert sorted(p.name for p in run.path.iterdir()) == ENTRY


@pytest.mark.parametrize("model", CONFIGS)
@pytest.mark.parametrize("n, after", [(n, False) for n in range(1, len(WRITES) + 1)] + [(len(WRITES), True)],
                         ids=[f"mid-{i + 1}-{w}" for i, w in enumerate(WRITES)] + ["after-manifest"])
def test_killed_at_every_write_then_resumed(straight, model, n, after, tmp_path, monkeypatch):
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path))
    config = CONFIGS[model]
    names = die_at(monkeypatch, n, after)
    with pytest.raises(Killed):
        C.train_or_load(config)
    assert names == WRITES[:n]
    monkeypatch.setattr(F, "atomic_write", REAL_WRITE)
    path = C.run_path(config)
    rows = {r["id"]: r for r in C.list_runs()}
    if (path / "manifest.json").exists():                           # killed after the manifest: complete
        assert rows[path.name]["status"] == "complete"
        C.verify(path)
    elif (path / "config.json").exists():                           # otherwise incomplete, never "damaged"
        assert rows[path.name]["status"] == "incomplete"
        with pytest.raises(C.RunError, match="incomplete"):
            C.load_run(path.name)
        assert (path / "checkpoint.pt").exists() == (n > 2)       # the first checkpoint was written (n = 3 on)
    else:                                                           # killed writing the config: nothing to list
        assert n == 1 and not rows
    resumed = C.train_or_load(config)
    assert_identical(resumed, straight[model][0])


@pytest.mark.parametrize("model", CONFIGS)
def test_a_process_killed_between_the_results_and_the_manifest(straight, model, tmp_path, monkeypatch):
    """A real process, killed with os._exit right after eval.json is in place: the weights, the
    curve and the evaluation are there, the manifest is not; the run resumes to the same result."""
    config = CONFIGS[model]
    child = f"""
import os
from pathlib import Path
from mannlib.engine import cache, files
from mannlib.engine.config import RunConfig
real = files.atomic_write
def write(path, data):
    real(path, data)
    if Path(path).name == "eval.json":
        os._exit(9)
files.atomic_write = write
cache.train_or_load(RunConfig.from_dict({config.to_dict()!r}))
"""
    env = {**os.environ, "MANNLIB_RUNS": str(tmp_path), "MANNLIB_THREADS": "1", "MANNLIB_PROGRESS": "none"}
    proc = subprocess.run([sys.executable, "-c", child], env=env, capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    path = tmp_path / C.run_id(config)
    assert {"config.json", "checkpoint.pt", "weights.pt", "curve.csv", "eval.json"} <= {p.name for p in path.iterdir()}
    assert not (path / "manifest.json").exists()
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path))
    assert [r["status"] for r in C.list_runs()] == ["incomplete"]
    assert_identical(C.train_or_load(config), straight[model][0])
