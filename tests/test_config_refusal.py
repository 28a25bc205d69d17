"""Invalid configs are refused before anything is written, and run ids never change.

``train_or_load`` checks a config (:func:`mannlib.engine.config.check_trainable`: task, task
arguments, every size, every difficulty) and the device before it creates the run directory
or its lock; the command line reports the error in one line naming what is allowed (exit 2).
The run cache names a run by the hash of ``RunConfig.to_json()``, so the committed runs under
data/runs are a contract: each one's config must still hash to its directory name.
"""
import hashlib
import json

import pytest
import torch

from mannlib.engine import cache as C
from mannlib.__main__ import main
from mannlib.engine.config import ConfigError, RunConfig, check_trainable, profile_config
from mannlib.engine.paths import DATA


@pytest.fixture(autouse=True)
def runs(tmp_path, monkeypatch):
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("MANNLIB_PROGRESS", "none")
    return tmp_path / "runs"


BAD = [
    # sizes: unknown, not positive, not integral
    (["mirror", "lstm", "--set", "sizes.cells=5"],
     "model 'lstm' has no size 'cells'; allowed: hidden (int >= 1), embed (int >= 1), layers (int >= 1)"),
    (["mirror", "lstm", "--set", "sizes.hidden=-1"], "model 'lstm': hidden=-1 is impossible; allowed: hidden (int >= 1)"),
    (["mirror", "lstm", "--profile", "quick", "--set", "sizes.hidden=0"], "model 'lstm': hidden=0 is impossible"),
    (["mirror", "srnn", "--set", "sizes.hidden=2.5"], "model 'srnn': hidden=2.5 is impossible"),
    (["mirror", "srnn", "--set", "sizes.layers=true"], "model 'srnn': layers=True is impossible"),
    (["mirror", "sann", "--set", "sizes.cells=1"], "model 'sann': cells=1 is impossible; allowed: hidden (int >= 1), "
                                                    "embed (int >= 1), cells (int >= 2)"),
    (["m10ae", "tann", "--set", "sizes.width=0"], "model 'tann': width=0 is impossible"),
    (["copy", "lantm-invnorm", "--set", "sizes.hidden=0"], "model 'lantm-invnorm': hidden=0 is impossible; it must be >= 1"),
    (["copy", "lantm-softmax", "--set", "sizes.width=1.5"], "model 'lantm-softmax': width=1.5 is not a int; allowed: hidden"),
    (["copy", "lantm-invnorm", "--set", "sizes.weighting=softmax"], "model 'lantm-invnorm' fixes weighting='invnorm'"),
    # task arguments
    (["copy", "lantm-invnorm", "--set", "task_args.train_max=3.0"], "task_args.train_max must be an integer (or null), got 3.0"),
    (["copy", "lantm-invnorm", "--set", "task_args.train_max=1"], "copy: train_max must be a multiple of 1 and >= 2, got 1"),
    (["mirror", "lstm", "--set", "task_args.train_max=0"], "mirror: train_max must be 1-99, got 0"),
    (["mirror", "lstm", "--set", "task_args.trainmax=3"],
     "task 'mirror' has no argument 'trainmax'; allowed: task_args.bits, task_args.max_length, task_args.train_max"),
    (["mirror", "lstm", "--set", "task_args.max_length=0"], "task 'mirror' with {'max_length': 0} has no training difficulty"),
    # difficulties, seeds, clipping, device
    (["mirror", "lstm", "--set", "eval_difficulties=[0]"], "task 'mirror' cannot generate difficulty 0; allowed: 1-100"),
    (["mirror", "lstm", "--set", "dev_difficulties=[101]"], "task 'mirror' cannot generate difficulty 101; allowed: 1-100"),
    (["mirror", "lstm", "--set", "eval_difficulties=[]"], "eval_difficulties must be null or a non-empty list"),
    (["mirror", "lstm", "--set", "dev_difficulties=[2.5]"], "dev_difficulties must be null or a non-empty list of integer"),
    (["mirror", "lstm", "--seed", "-1"], "seed must be >= 0, got -1"),
    (["mirror", "lstm", "--set", "eval_seed=-3"], "eval_seed must be >= 0, got -3"),
    (["mirror", "lstm", "--set", "clip=0"], "clip must be null (no clipping) or > 0, got 0.0"),
    (["mirror", "lstm", "--device", "tpu"], "unknown device 'tpu'; choose one of cpu, cuda, cuda:N"),
]


@pytest.mark.parametrize("argv, message", BAD, ids=[" ".join(a[2:]) or a[1] for a, _ in BAD])
def test_invalid_configs_leave_nothing_behind(argv, message, runs, capsys):
    assert main(["train", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: " + message) and err.count("\n") == 1, err
    assert not runs.exists(), sorted(p.relative_to(runs) for p in runs.rglob("*"))   # no directory, no lock


def test_train_or_load_checks_before_it_writes(runs):
    config = RunConfig("mirror", "lstm", profile="quick", sizes={"hidden": 0})
    with pytest.raises(ValueError, match="hidden=0 is impossible"):
        C.train_or_load(config)
    assert not runs.exists()
    with pytest.raises(ConfigError, match="task_args.bits must be an integer"):
        C.train_or_load(RunConfig("mirror", "lstm", task_args={"bits": 9.0}))
    assert not runs.exists()


def test_checking_does_not_touch_the_global_random_state():
    torch.manual_seed(3)
    expected = torch.rand(2)
    torch.manual_seed(3)
    check_trainable(profile_config("copy", "lantm-softmax", "quick"))
    assert torch.equal(torch.rand(2), expected)


def test_every_default_config_is_trainable():
    from mannlib.engine.config import WANG_TASKS, YANG_TASKS
    from mannlib.models import MODELS
    for task in WANG_TASKS + YANG_TASKS:
        for model in MODELS:
            check_trainable(profile_config(task, model, "quick"))


def committed_runs():
    return [p for p in sorted((DATA / "runs").iterdir()) if (p / "config.json").exists()]


def test_committed_run_ids_still_hash_their_configs():
    """The run id of every run under data/runs is the hash of its config's canonical JSON: a new
    RunConfig field, a renamed one or a changed normalisation would rename every run."""
    paths = committed_runs()
    assert len(paths) >= 70                                          # the book's runs are there
    for path in paths:
        raw = (path / "config.json").read_bytes()
        stored = json.loads(raw)
        config = RunConfig.from_dict(stored)
        assert C.run_id(config) == path.name, path.name
        assert config.to_dict() == stored, path.name                  # loading changes no field
        digest = hashlib.sha256(config.to_json().encode()).hexdigest()[:12]
        assert path.name.endswith("-" + digest) and path.name.startswith(f"{config.task}-{config.model}-")
        if (path / "manifest.json").exists():                        # the file is the one the manifest vouches for
            manifest = json.loads((path / "manifest.json").read_text())
            assert manifest["files"]["config.json"]["sha256"] == hashlib.sha256(raw).hexdigest(), path.name
        check_trainable(config)                                      # and it would still train
