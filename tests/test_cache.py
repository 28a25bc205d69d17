"""The run cache: naming, atomic complete entries, loading without training, damage detection,
resumption after a real kill -9."""
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from mannlib.engine import cache as C, files
from mannlib.engine import train as T
from mannlib.__main__ import main
from mannlib.engine.paths import DATA, ROOT
from test_train import tiny  # a mirror LSTM that trains in well under a second


@pytest.fixture(autouse=True)
def runs(tmp_path, monkeypatch):
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("MANNLIB_PROGRESS", "none")
    return tmp_path / "runs"


def test_run_id_is_task_model_and_a_hash_of_the_whole_config():
    c = tiny()
    assert C.run_id(c) == "mirror-lstm-" + hashlib.sha256(c.to_json().encode()).hexdigest()[:12]
    assert C.run_id(tiny(seed=1)) != C.run_id(c) and C.run_id(tiny(lr=0.01)) != C.run_id(c)


def test_quick_runs_never_default_to_data_runs(monkeypatch):
    monkeypatch.delenv("MANNLIB_RUNS")
    assert C.cache_root("paper") == DATA / "runs"
    assert C.cache_root("quick") == DATA / "runs-quick"
    assert "runs-quick/" in (ROOT / ".gitignore").read_text().split()


def test_a_complete_run(runs):
    run = C.train_or_load(tiny())
    assert run.path == runs / run.id
    assert sorted(p.name for p in run.path.iterdir()) == [
        "config.json", "curve.csv", "eval.json", "manifest.json", "weights.pt"]
    manifest = json.loads((run.path / "manifest.json").read_text())
    assert manifest["device"] == "cpu"                          # where it trained (--device)
    files = manifest["files"]
    assert {n: e["sha256"] for n, e in files.items()} == {
        n: hashlib.sha256((run.path / n).read_bytes()).hexdigest() for n in files}
    assert list(run.curve.columns) == ["step", "loss", "train_acc", "dev_acc", "dev_fine", "lr", "wall_s"]
    assert run.curve["step"].tolist() == [8, 16, 24]
    assert run.eval.index.tolist() == [2, 7] and list(run.eval.columns) == ["n", "accuracy", "fine"]
    assert {"train_acc", "test_acc", "final_loss", "steps", "wall_s"} <= set(run.summary)
    again = C.load_run(run.id)
    assert all(torch.equal(a, b) for a, b in zip(run.model.state_dict().values(), again.model.state_dict().values()))
    pd.testing.assert_frame_equal(T.evaluate(again.model, again.task, 8, 5), T.evaluate(run.model, run.task, 8, 5))


def test_cached_runs_are_loaded_without_training(monkeypatch):
    first = C.train_or_load(tiny())
    monkeypatch.setattr(T, "train", lambda *a, **k: pytest.fail("trained again"))
    second = C.train_or_load(tiny())
    assert second.id == first.id and second.summary == first.summary


def test_loading_does_not_touch_the_global_rng():
    run = C.train_or_load(tiny())
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    C.load_run(run.id)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("damage", ["flip a weight byte", "delete curve", "truncate eval", "garble manifest",
                                    "edit config"])
def test_damaged_runs_are_reported_naming_the_path(damage):
    path = C.train_or_load(tiny()).path
    target = {"flip a weight byte": "weights.pt", "delete curve": "curve.csv", "truncate eval": "eval.json",
              "garble manifest": "manifest.json", "edit config": "config.json"}[damage]
    data = (path / target).read_bytes()
    if damage == "flip a weight byte":
        (path / target).write_bytes(data[:-40] + bytes([data[-40] ^ 1]) + data[-39:])
    elif damage == "delete curve":
        (path / target).unlink()
    elif damage == "edit config":
        (path / target).write_text(json.dumps({**json.loads(data), "lr": 0.5}))
    else:
        (path / target).write_bytes(data[: len(data) // 2])
    with pytest.raises(C.RunDamaged, match=str(path / target) if damage != "garble manifest" else "manifest.json"):
        C.load_run(path.name)
    with pytest.raises(C.RunDamaged):
        C.train_or_load(tiny())                      # never silently used, nor silently retrained
    [row] = C.list_runs()
    assert row["status"] == "damaged" and str(path) in row["error"]


def test_incomplete_runs_are_listed_and_refused_by_load():
    config = tiny()
    path = C.run_path(config)
    path.mkdir(parents=True)
    (path / "config.json").write_text(config.to_json())
    [row] = C.list_runs()
    assert (row["id"], row["status"], row["seed"], row["profile"]) == (path.name, "incomplete", 0, "quick")
    with pytest.raises(C.RunError, match="incomplete"):
        C.load_run(path.name)
    with pytest.raises(C.RunError, match=r"unknown run id 'mirror-lstm-000'; known runs in .*: mirror-lstm-"):
        C.load_run("mirror-lstm-000")


def test_a_run_killed_by_sigkill_resumes_to_the_uninterrupted_weights(runs, tmp_path, monkeypatch):
    """A child process trains, is SIGKILLed right after its first checkpoint (leaving also a
    half-written temporary file); train_or_load resumes it to the same weights as a run
    that was never interrupted."""
    config = tiny()
    child = f"""
import os, signal
from mannlib.engine import cache, train
from mannlib.engine.config import RunConfig
config = RunConfig.from_dict({config.to_dict()!r})
def die(step):
    (cache.run_path(config) / ".weights.pt.1.tmp").write_bytes(b"half")
    os.kill(os.getpid(), signal.SIGKILL)
train._after_checkpoint = die
cache.train_or_load(config)
"""
    proc = subprocess.run([sys.executable, "-c", child], env={**os.environ, "MANNLIB_THREADS": "1"})
    assert proc.returncode == -9
    path = C.run_path(config)
    assert (path / T.CHECKPOINT).exists() and not (path / "manifest.json").exists()
    assert [r["status"] for r in C.list_runs()] == ["incomplete"]
    resumed = C.train_or_load(config)
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "curve.csv", "eval.json",
                                                      "manifest.json", "weights.pt"]
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path / "straight"))
    straight = C.train_or_load(config)
    for (k, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), k
    assert straight.summary | {"wall_s": 0} == resumed.summary | {"wall_s": 0}


def test_diverged_runs_are_never_written(monkeypatch):
    def boom(*a, **k):
        raise T.TrainingDiverged("loss nan at step 3")
    monkeypatch.setattr(T, "train", boom)
    with pytest.raises(T.TrainingDiverged):
        C.train_or_load(tiny())
    assert C.list_runs() == [] and not C.run_path(tiny()).exists()     # no checkpoint: no entry left behind


def test_a_diverged_run_keeps_its_checkpoint(monkeypatch):
    def boom(config, workdir, **k):
        (workdir / T.CHECKPOINT).write_bytes(b"state at step 2")
        raise T.TrainingDiverged("loss nan at step 3")
    monkeypatch.setattr(T, "train", boom)
    with pytest.raises(T.TrainingDiverged):
        C.train_or_load(tiny())
    path = C.run_path(tiny())
    assert [r["status"] for r in C.list_runs()] == ["diverged"] and (path / T.CHECKPOINT).exists()
    assert not (path / ".lock").exists() and not (path / "manifest.json").exists()


def test_one_trainer_per_run(runs):
    runs.mkdir()
    with C._locked(runs):
        with pytest.raises(C.RunError, match="being trained by another process"):
            with C._locked(runs):
                pass


def test_atomic_write_replaces_whole_files(tmp_path):
    files.atomic_write(tmp_path / "f", b"old")
    files.atomic_write(tmp_path / "f", b"new content")
    assert (tmp_path / "f").read_bytes() == b"new content" and os.listdir(tmp_path) == ["f"]


def test_an_unreadable_checkpoint_is_reported(tmp_path):
    (tmp_path / T.CHECKPOINT).write_bytes(b"not a checkpoint")
    with pytest.raises(C.RunDamaged, match=f"checkpoint {tmp_path / T.CHECKPOINT} is unreadable"):
        T.train(tiny(), workdir=tmp_path)


def test_a_checkpoint_of_another_config_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(T, "_after_checkpoint", lambda step: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        T.train(tiny(), workdir=tmp_path)
    monkeypatch.setattr(T, "_after_checkpoint", lambda step: None)
    with pytest.raises(C.RunDamaged, match="belongs to another config"):
        T.train(tiny(lr=0.5), workdir=tmp_path)


def test_dropping_weights_keeps_a_complete_verifiable_run(runs, capsys):
    run = C.train_or_load(tiny(seed=5))
    assert main(["runs", "--drop-weights", run.id]) == 0
    assert "dropped the weights of " + run.id in capsys.readouterr().err
    assert not (run.path / "weights.pt").exists()
    manifest = json.loads((run.path / "manifest.json").read_text())
    assert "weights.pt" not in manifest["files"] and manifest["weights_dropped"]
    again = C.load_run(run.id)                                   # complete, verified, metrics intact
    assert again.model is None and again.summary == run.summary
    pd.testing.assert_frame_equal(again.eval, run.eval)
    assert C.train_or_load(tiny(seed=5)).model is None           # a cached run, not retrained
    C.drop_weights(run.id)                                       # idempotent
    assert main(["eval", run.id, "--n", "2", "--seed", "0"]) == 2
    assert "saved without weights" in capsys.readouterr().err


def test_restoring_weights_retrains_the_same_model_and_keeps_the_committed_metrics(runs, capsys):
    run = C.train_or_load(tiny(seed=6))
    before = {k: v.clone() for k, v in run.model.state_dict().items()}
    curve, ev = (run.path / "curve.csv").read_bytes(), (run.path / "eval.json").read_bytes()
    C.drop_weights(run.id)
    assert main(["runs", "--restore-weights", run.id]) == 0
    assert "restored the weights of " + run.id in capsys.readouterr().err
    again = C.load_run(run.id)                       # verified: weights.pt is back in the manifest
    assert "weights_dropped" not in again.manifest and "weights.pt" in again.manifest["files"]
    for k, v in again.model.state_dict().items():
        assert torch.equal(v, before[k]), k          # same config and seed: the same weights
    assert (run.path / "curve.csv").read_bytes() == curve and (run.path / "eval.json").read_bytes() == ev
    assert not (run.path / C.RESTORE).exists()
    assert C.restore_weights(again) is again         # nothing to do


def test_a_restore_that_does_not_reproduce_the_metrics_changes_nothing(runs, monkeypatch):
    run = C.train_or_load(tiny(seed=7))
    C.drop_weights(run.id)
    dropped = C.load_run(run.id)
    real = T.train
    def off(*a, **k):
        r = real(*a, **k)
        r.summary["test_acc"] = r.summary["test_acc"] + 0.5
        return r
    monkeypatch.setattr(T, "train", off)
    with pytest.raises(C.RunError, match="did not reproduce its committed test summary"):
        C.restore_weights(dropped)
    assert not (run.path / "weights.pt").exists() and C.load_run(run.id).model is None


def test_a_second_trainer_waits_for_the_first_and_loads_its_run(runs):
    """Two notebooks sharing a cache may ask for the same run at once: the second waits for the
    first (no RunError, no second training) and loads what the first wrote."""
    import threading
    config = tiny()
    path = C.run_path(config)
    path.mkdir(parents=True)
    holding, release = threading.Event(), threading.Event()

    def first():
        with C._locked(path):
            holding.set()
            release.wait(10)
            C._train_into(path, config, "none", 1, None)
    t = threading.Thread(target=first)
    t.start()
    holding.wait(10)
    got = []
    second = threading.Thread(target=lambda: got.append(C.train_or_load(config, progress="none")))
    second.start()
    second.join(0.5)
    assert second.is_alive() and not got                 # blocked on the lock, not failed
    release.set()
    t.join(30), second.join(30)
    assert got and got[0].id == path.name and (path / "manifest.json").exists()


def test_a_diverged_run_with_a_checkpoint_is_recorded_and_not_trained_again(monkeypatch):
    calls = []

    def boom(config, workdir, **k):
        calls.append(1)
        (workdir / T.CHECKPOINT).write_bytes(b"state at step 2")
        raise T.TrainingDiverged("loss nan at step 3")
    monkeypatch.setattr(T, "train", boom)
    for _ in range(2):
        with pytest.raises(T.TrainingDiverged, match="loss nan at step 3"):
            C.train_or_load(tiny())
    assert calls == [1]                                      # the second load read the record, trained nothing
    path = C.run_path(tiny())
    assert json.loads((path / C.DIVERGED).read_text()) == {"message": "loss nan at step 3"}
    assert [r["status"] for r in C.list_runs()] == ["diverged"]
    from mannlib.engine.launch import train_all
    assert train_all([tiny()]) == [] and calls == [1]         # settled: nothing to train


def test_the_test_suite_refuses_to_train_into_data_runs(monkeypatch):
    """tests/conftest.py's guard: a test that would train a run into the committed cache fails."""
    import shutil
    from mannlib.engine.config import profile_config
    monkeypatch.delenv("MANNLIB_RUNS", raising=False)
    c = profile_config("mirror", "lstm", "paper", 987, steps=1)          # not committed
    assert DATA / "runs" in C.run_path(c).parents
    try:
        with pytest.raises(pytest.fail.Exception, match="into the committed cache data/runs"):
            C.train_or_load(c)
    finally:
        shutil.rmtree(C.run_path(c), ignore_errors=True)


def test_a_trainer_waiting_on_a_run_that_diverges_before_a_checkpoint_gets_the_divergence(monkeypatch):
    """Two trainers of one config (a book build beside a campaign): the first diverges before any
    checkpoint and removes the run under its lock; the second, which waited on that lock, must
    see a divergence too (it trains the run itself and diverges), not a half-removed directory."""
    import threading
    started, release, calls = threading.Event(), threading.Event(), []

    def diverges(config, workdir, **k):
        calls.append(workdir)
        if len(calls) == 1:
            started.set()
            release.wait(10)
        raise T.TrainingDiverged("loss nan at step 3")
    monkeypatch.setattr(T, "train", diverges)
    outcome = {}

    def first():
        with pytest.raises(T.TrainingDiverged):
            C.train_or_load(tiny())
    a = threading.Thread(target=first)
    a.start()
    assert started.wait(10)

    def second():
        try:
            C.train_or_load(tiny())
        except Exception as e:        # noqa: BLE001  (the test looks at which one)
            outcome["error"] = e
    b = threading.Thread(target=second)
    b.start()
    time.sleep(0.3)                   # the second is now blocked on the lock
    release.set()
    a.join(10), b.join(10)
    assert isinstance(outcome.get("error"), T.TrainingDiverged), outcome
    assert len(calls) == 2 and not C.run_path(tiny()).exists()


def test_a_run_that_diverges_before_a_checkpoint_is_removed_while_its_lock_is_held(monkeypatch):
    """Else a trainer waiting on the lock wakes up in a directory being removed (seen: a book
    build read a config.json that the campaign beside it was deleting)."""
    import fcntl
    held = []
    real_rmtree = C.shutil.rmtree

    def rmtree(path, *a, **k):
        with open(Path(path) / ".lock") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held.append(False)
                fcntl.flock(f, fcntl.LOCK_UN)
            except BlockingIOError:
                held.append(True)
        return real_rmtree(path, *a, **k)

    def diverges(config, workdir, **k):
        raise T.TrainingDiverged("loss nan at step 3")
    monkeypatch.setattr(T, "train", diverges)
    monkeypatch.setattr(C.shutil, "rmtree", rmtree)
    with pytest.raises(T.TrainingDiverged):
        C.train_or_load(tiny())
    assert held == [True] and not C.run_path(tiny()).exists()
