"""Sweeps on Ray (mannlib.engine.ray_launch) against the local launcher: the same runs, the same
report, whole run directories in the driver's cache, killed tasks retried from their checkpoint.

A local Ray instance (``ray.init(num_cpus=2)``) serves the whole module and is shut down at its
end. Ray is the optional ``[cluster]`` extra, which ``make install`` installs: under CI (``$CI``
set) a missing Ray fails these tests; elsewhere the tests that need Ray are skipped."""
import io
import json
import os
import re
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from mannlib import chapters
from mannlib.__main__ import main
from mannlib.engine import cache as C, ray_launch as R
from mannlib.engine import sweep, train as T
from mannlib.engine.config import ConfigError, profile_config
from mannlib.engine.files import RunDamaged
from mannlib.engine.launch import train_all
from mannlib.engine.train import CHECKPOINT
from mannlib.engine.workers import open_pool

FILES = ["config.json", "curve.csv", "eval.json", "manifest.json", "weights.pt"]
ESTIMATE = r"quick: 2 runs to train \(0 cached\): about \d+ CPU-minutes, \d+ min on 2 core\(s\)"


def quick_configs():
    return [profile_config("mirror", "lstm", "quick", seed=s) for s in (0, 1)]


@pytest.fixture(scope="module")
def ray_instance():
    if os.environ.get("CI"):
        import ray    # CI installs the [cluster] extra (make install): a missing Ray fails here
    else:
        ray = pytest.importorskip("ray", reason='the Ray launcher needs pip install -e ".[cluster]"')
    ray.init(address="local", num_cpus=2, include_dashboard=False, object_store_memory=128 * 2**20)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory):
    """The two quick runs trained by the local launcher (two processes): (cache root, report)."""
    root = tmp_path_factory.mktemp("local") / "runs"
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MANNLIB_RUNS", str(root))
        assert train_all(quick_configs(), "quick", jobs=2, out=out) == []
    return root, out.getvalue().splitlines()


@pytest.fixture
def runs(tmp_path, monkeypatch):
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("MANNLIB_PROGRESS", "none")
    return tmp_path / "runs"


def assert_same_run(a, b):
    """Two run directories hold the same run: same files; config and weights byte for byte; the
    evaluation and learning curve equal but for the wall-clock times."""
    assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir()) == FILES
    C.verify(a), C.verify(b)
    for name in ("config.json", "weights.pt"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    ea, eb = (json.loads((p / "eval.json").read_text()) for p in (a, b))
    for e in (ea, eb):
        e["summary"].pop("wall_s")
    assert ea == eb
    ca, cb = (pd.read_csv(p / "curve.csv").drop(columns="wall_s") for p in (a, b))
    pd.testing.assert_frame_equal(ca, cb, check_exact=True)


def report(lines):
    """Per-run lines without their order and minutes: {run id: the scores shown}."""
    out = {}
    for line in lines:
        m = re.fullmatch(r"\[[12]/2\] (\S+)  \d+\.\d min  (.*)", line)
        assert m, line
        out[m[1]] = m[2]
    return out


# --- the launcher's name ------------------------------------------------------------------------
def test_an_unknown_launcher_is_refused_naming_the_choices(runs, capsys):
    with pytest.raises(ConfigError, match="unknown launcher 'slurm'; choose one of local, ray"):
        train_all(quick_configs(), launcher="slurm")
    with pytest.raises(ConfigError, match="unknown launcher 'slurm'; choose one of local, ray"):
        sweep.train_staged(lambda failed: [], launcher="slurm")
    assert main(["reproduce", "mirror", "--launcher", "slurm", "--dry-run"]) == 2
    assert capsys.readouterr().err == "error: unknown launcher 'slurm'; choose one of local, ray\n"
    assert main(["train", "mirror", "lstm", "--launcher", "ray-cluster"]) == 2
    assert capsys.readouterr().err == "error: unknown launcher 'ray-cluster'; choose one of local, ray\n"
    assert main(["reproduce", "mirror", "--address", "10.0.0.1:6379", "--dry-run"]) == 2
    assert capsys.readouterr().err == "error: --address and --shared-fs go with --launcher ray\n"
    assert not runs.exists()                                    # nothing trained


def test_the_launcher_defaults_to_mannlib_launcher(monkeypatch):
    monkeypatch.setenv("MANNLIB_LAUNCHER", "slurm")
    with pytest.raises(ConfigError, match="unknown launcher 'slurm'"):
        open_pool()
    monkeypatch.setenv("MANNLIB_LAUNCHER", "local")
    assert open_pool(jobs=3, limit=2).slots == 2


def test_without_ray_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)             # "import ray" fails as if not installed
    with pytest.raises(ConfigError, match=re.escape('needs the optional dependency ray: pip install -e ".[cluster]"')):
        with open_pool("ray"):
            pass


# --- a sent-back run lands whole ------------------------------------------------------------------
def sent_files(config, tmp_path):
    """What a worker sends back for ``config``: the files of its complete scratch entry."""
    with R.runs_at(tmp_path / "scratch"):
        C.train_or_load(config, progress="none")
        return R.settled_files(C.run_path(config))


def test_a_sent_back_run_is_renamed_into_place_whole(runs, tmp_path):
    config = quick_configs()[0]
    files = sent_files(config, tmp_path)
    assert sorted(files) == FILES
    R.install_run(C.run_path(config), files)
    assert_same_run(C.run_path(config), tmp_path / "scratch" / C.run_id(config))
    assert sorted(p.name for p in runs.iterdir()) == [C.run_id(config)]     # no staging directory left


def test_a_sent_back_run_completes_an_interrupted_entry_manifest_last(runs, tmp_path):
    config = quick_configs()[0]
    files = sent_files(config, tmp_path)
    path = C.run_path(config)
    path.mkdir(parents=True)
    (path / "config.json").write_bytes(files["config.json"])
    (path / CHECKPOINT).write_bytes(b"state of an interrupted local attempt")
    R.install_run(path, files)
    assert_same_run(path, tmp_path / "scratch" / C.run_id(config))         # the checkpoint is gone
    assert [r["status"] for r in C.list_runs()] == ["complete"]


def test_a_run_damaged_on_the_way_is_refused_and_nothing_lands(runs, tmp_path):
    config = quick_configs()[0]
    files = sent_files(config, tmp_path)
    files["weights.pt"] = files["weights.pt"][:-1]
    with pytest.raises(RunDamaged, match="weights.pt does not match its checksum"):
        R.install_run(C.run_path(config), files)
    assert not C.run_path(config).exists() and sorted(p.name for p in runs.iterdir()) == []


def test_a_diverged_run_sends_back_its_record_and_is_not_trained_again(runs, tmp_path, monkeypatch):
    """The worker's side in-process: a run that diverges after a checkpoint leaves the local
    launcher's record (config, checkpoint, diverged.json); the task reports the divergence and
    sends that record, which the driver installs, so the run counts as settled."""
    def boom(config, workdir, **k):
        (workdir / CHECKPOINT).write_bytes(b"state at step 2")
        raise T.TrainingDiverged("loss nan at step 3")
    monkeypatch.setattr(T, "train", boom)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "node-tmp"))    # the node's scratch
    config = quick_configs()[0]
    out = R.train_task(config.to_dict(), None, "0123456789ab", False, "cpu", "none")
    assert out["error"] == "loss nan at step 3" and out["summary"] is None
    assert sorted(out["files"]) == ["checkpoint.pt", "config.json", "diverged.json"]
    assert not (tmp_path / "node-tmp" / "mannlib-ray" / "0123456789ab" / C.run_id(config)).exists()
    R.install_run(C.run_path(config), out["files"])
    assert [r["status"] for r in C.list_runs()] == ["diverged"]
    assert train_all([config], launcher="local") == []                        # settled: nothing to train


def test_a_worker_that_cannot_see_the_shared_cache_trains_nothing(tmp_path):
    marker = tmp_path / "runs" / ".ray-driver-0123456789ab"
    out = R.train_task(quick_configs()[0].to_dict(), str(marker), None, False, "cpu", "none")
    assert out["summary"] is None and out["files"] is None and not (tmp_path / "runs").exists()
    assert out["error"].startswith(f"the run cache {tmp_path / 'runs'} is not shared with node ")
    assert "drop shared_fs (--shared-fs)" in out["error"]


# --- on a local Ray instance ------------------------------------------------------------------------
@pytest.mark.parametrize("shared_fs", [False, True], ids=["send-back", "shared-fs"])
def test_a_ray_sweep_trains_the_local_launchers_runs(ray_instance, local_sweep, runs, shared_fs):
    local_root, local_lines = local_sweep
    out = io.StringIO()
    assert train_all(quick_configs(), "quick", launcher="ray", shared_fs=shared_fs, out=out) == []
    estimate, *lines = out.getvalue().splitlines()
    assert re.fullmatch(ESTIMATE, estimate) and re.fullmatch(ESTIMATE, local_lines[0])
    assert report(lines) == report(local_lines[1:])            # same run ids, same scores
    ids = sorted(C.run_id(c) for c in quick_configs())
    assert sorted(p.name for p in runs.iterdir()) == ids        # no staging directory, no marker left
    for rid in ids:
        assert_same_run(runs / rid, local_root / rid)
        assert not list((Path(tempfile.gettempdir()) / "mannlib-ray").glob(f"*/{rid}"))   # scratch cleared
    assert train_all(quick_configs(), "quick", launcher="ray", out=out) == []
    assert out.getvalue().count("\n") == 3                     # all cached: nothing more to say


def test_a_failing_run_is_reported_as_the_local_launcher_reports_it(ray_instance, runs):
    bad = profile_config("mirror", "lstm", "quick", seed=0, eval_difficulties=[0])   # cannot train
    reports = []
    for launcher in ("local", "ray"):
        out = io.StringIO()
        failures = train_all([bad], "bad", jobs=1, launcher=launcher, out=out)
        reports.append((failures, out.getvalue().splitlines()[1:]))
    assert reports[0] == reports[1] == (
        ["mirror-lstm seed 0: task 'mirror' cannot generate difficulty 0; allowed: 1-100"],
        ["[1/1] FAILED mirror-lstm seed 0: task 'mirror' cannot generate difficulty 0; allowed: 1-100"])
    assert not runs.exists() or not any(runs.iterdir())


def test_a_killed_task_is_retried_and_resumes_from_its_checkpoint(ray_instance, runs, tmp_path, monkeypatch):
    """SIGKILL the Ray worker training a run right after its first checkpoint: Ray retries the
    task, the retry finds the checkpoint in the shared cache, and the run ends as one trained
    without interruption."""
    psutil = pytest.importorskip("psutil")
    config = profile_config("mirror", "lstm", "quick", seed=0, steps=600, checkpoint_every=20, eval_every=300)
    path, killed = C.run_path(config), []

    def kill_after_first_checkpoint():        # only this test's own Ray workers: descendants of this process
        deadline = time.time() + 60
        while time.time() < deadline and not killed:
            if (path / CHECKPOINT).exists():
                for p in psutil.Process().children(recursive=True):
                    try:
                        if " ".join(p.cmdline()).startswith("ray::train_task"):
                            p.send_signal(signal.SIGKILL)
                            killed.append(p.pid)
                    except psutil.Error:
                        pass
            time.sleep(0.005)
    killer = threading.Thread(target=kill_after_first_checkpoint)
    killer.start()
    out = io.StringIO()
    try:
        assert train_all([config], "killed", launcher="ray", shared_fs=True, out=out) == []
    finally:
        killer.join()
    assert killed, "the worker finished before its first checkpoint could be seen"
    assert re.fullmatch(r"\[1/1\] mirror-lstm-\w{12}  \d+\.\d min  train_acc .*", out.getvalue().splitlines()[1])
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path / "straight"))
    C.train_or_load(config, progress="none")
    assert_same_run(path, C.run_path(config))


def test_a_staged_campaign_runs_on_ray(ray_instance, runs):
    a, b = quick_configs()

    def next_runs(failed):               # b is named once a is trained (a stage decided)
        return [b] if (C.run_path(a) / C.MANIFEST).exists() else [a]
    lines = []
    assert sweep.train_staged(next_runs, jobs=None, launcher="ray", out=lines.append) == {}
    assert lines == [f"done {C.run_id(a)}", f"done {C.run_id(b)}"]
    assert all((C.run_path(c) / C.MANIFEST).exists() for c in (a, b))


def test_reproduce_and_train_on_ray_through_the_command_line(ray_instance, runs, monkeypatch, capsys):
    configs = quick_configs()
    monkeypatch.setattr(chapters, "run_targets", lambda: {"quick": lambda: configs})
    assert main(["reproduce", "quick", "--launcher", "ray", "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("of them evaluation), about 0.0 h on 2 core(s) (one thread per run)")
    assert main(["reproduce", "quick", "--launcher", "ray"]) == 0
    estimate, *lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(ESTIMATE, estimate) and sorted(report(lines)) == sorted(C.run_id(c) for c in configs)
    assert main(["train", "mirror", "lstm", "--profile", "quick", "--seed", "2", "--launcher", "ray"]) == 0
    run_id = capsys.readouterr().out.splitlines()[-1]
    assert run_id == C.run_id(profile_config("mirror", "lstm", "quick", seed=2))
    assert sorted(p.name for p in (runs / run_id).iterdir()) == FILES
