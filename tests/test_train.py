"""The trainer: schedule, evaluation, determinism, exact resumption, the NaN guard, progress."""
import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from mannlib.engine import train as T
from mannlib.engine.config import ConfigError, profile_config
from mannlib.tasks import get_task


def tiny(seed=0, **overrides):
    """A mirror LSTM that trains in well under a second."""
    base = dict(steps=24, eval_every=8, checkpoint_every=8, dev_n=4, eval_n=4, batch_size=8,
                eval_difficulties=[2, 7], **{"sizes.hidden": 8})
    return profile_config("mirror", "lstm", "quick", seed, **{**base, **overrides})


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def without_time(curve: pd.DataFrame) -> pd.DataFrame:
    return curve.drop(columns="wall_s")


# --- Yang's halving schedule ----------------------------------------------------------------------
def test_plateau_halves_after_100_epochs_when_30_epochs_bring_no_improvement():
    p = T.Plateau()
    factors = [p.end_epoch(1.0) for _ in range(200)]   # best at epoch 1, never improved
    assert [e + 1 for e, f in enumerate(factors) if f != 1.0] == [101, 131, 161, 191]
    assert {f for f in factors} == {1.0, 0.5}


def test_plateau_waits_while_the_error_improves():
    p = T.Plateau()
    assert all(p.end_epoch(1.0 / (e + 1)) == 1.0 for e in range(300))
    p = T.Plateau()
    errors = [1.0] * 119 + [0.5] * 81       # halved at 101; improves at 120, so next at 150, 180
    halvings = [e + 1 for e, err in enumerate(errors) if p.end_epoch(err) != 1.0]
    assert halvings == [101, 150, 180]


def test_yang_schedule_sets_the_optimizer_learning_rate(monkeypatch):
    monkeypatch.setattr(T, "Plateau", lambda **kw: _HalveEveryEpoch())
    result = T.train(tiny(schedule="yang", optimizer="rmsprop", momentum=0.95, lr=0.01, steps=30,
                          eval_every=10), progress="none")
    assert result.curve["lr"].tolist() == [0.005, 0.0025, 0.00125]   # an epoch = 10 batches (Yang §4)


class _HalveEveryEpoch(T.Plateau):
    def end_epoch(self, error, epochs=1):
        self.epoch += epochs
        return 0.5


def test_plateau_counts_epochs_in_steps_of_a_dev_evaluation():
    p = T.Plateau()                          # yang-dev on LANTM: a dev point every 20 epochs
    factors = [p.end_epoch(1.0, epochs=20) for _ in range(12)]   # epochs 20, 40, ..., 240
    assert [20 * (k + 1) for k, f in enumerate(factors) if f != 1.0] == [120, 160, 200, 240]


def test_yang_dev_schedule_reads_the_dev_error_at_each_point(monkeypatch):
    seen = []

    class Record(_HalveEveryEpoch):
        def end_epoch(self, error, epochs=1):
            seen.append((round(error, 6), epochs))
            return super().end_epoch(error, epochs)
    monkeypatch.setattr(T, "Plateau", lambda **kw: Record(**kw))
    result = T.train(tiny(schedule="yang-dev", optimizer="rmsprop", lr=0.01, steps=30, eval_every=10),
                     progress="none")
    assert result.curve["lr"].tolist() == [0.01, 0.005, 0.0025]     # a point keeps the lr it trained with
    assert [e for _, e in seen] == [1, 1, 1]                          # eval_every 10 batches = 1 epoch
    assert [err for err, _ in seen] == [round(1 - f, 6) for f in result.curve["dev_fine"]]


def test_decay_schedule_keeps_the_rate_then_multiplies_it_by_099_every_20_updates():
    """The Yang author's code (train.lua): x0.99 at every progress report (2 iterations of 10
    batches) once ``decay_delay`` iterations have passed; here decay_after = 40 updates."""
    result = T.train(tiny(schedule="decay", decay_after=40, optimizer="rmsprop", lr=0.01, steps=100,
                          eval_every=20), progress="none")
    assert result.curve["lr"].tolist() == pytest.approx([0.01, 0.01, 0.01 * 0.99, 0.01 * 0.99 ** 2, 0.01 * 0.99 ** 3])


@pytest.mark.parametrize("overrides", [dict(schedule="decay"), dict(decay_after=10), dict(schedule="decay", decay_after=-1)])
def test_decay_needs_its_update_and_nothing_else_takes_one(overrides):
    with pytest.raises(ConfigError, match="decay_after"):
        tiny(**overrides)


def test_decay_after_leaves_the_ids_of_runs_without_it_alone():
    assert "decay_after" not in tiny().to_json()
    assert tiny(schedule="decay", decay_after=40).to_dict()["decay_after"] == 40


# --- evaluation -------------------------------------------------------------------------------------
class ZeroBits(nn.Module):
    """Predicts bit 0 everywhere (logit -1)."""
    def __init__(self):
        super().__init__()
        self.p = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return torch.full(x.shape[:2] + (9,), -1.0) + 0 * self.p


class MirrorOracle(ZeroBits):
    """Reads the input and answers the mirror task perfectly (logit +-5)."""
    def forward(self, x):                                 # x: (B, T, 10)
        out = torch.zeros(x.shape[0], x.shape[1], 9)
        for b in range(x.shape[0]):
            L = int(x[b, :, -1].argmax())                 # <EOS> position = L
            for i in range(L):
                out[b, L + 1 + i] = x[b, L - 1 - i, :9] * 10 - 5
        return out


def test_evaluate_counts_whole_answers_and_bits():
    task = get_task("mirror")
    perfect = T.evaluate(MirrorOracle(), task, n=20, seed=3, difficulties=[1, 4, 10])
    assert perfect.index.tolist() == [1, 4, 10]
    assert perfect["accuracy"].tolist() == [1.0] * 3 and perfect["fine"].tolist() == [1.0] * 3
    zeros = T.evaluate(ZeroBits(), task, n=20, seed=3, difficulties=[1, 4])
    for d, examples in T.test_sets(task, 20, 3, [1, 4]).items():   # count from the token strings
        bits = "".join("".join(e.target) for e in examples)
        assert zeros.loc[d, "fine"] == pytest.approx(bits.count("0") / len(bits), abs=1e-12)
        assert zeros.loc[d, "accuracy"] == np.mean([set("".join(e.target)) == {"0"} for e in examples])
        assert zeros.loc[d, "n"] == 20


def test_a_difficulty_is_sampled_the_same_whatever_else_is_asked_for():
    task = get_task("mirror")
    alone = T.test_sets(task, 5, 7, [3])[3]
    among = T.test_sets(task, 5, 7, [1, 2, 3, 9])[3]
    assert [e.input for e in alone] == [e.input for e in among]
    assert [e.input for e in T.test_sets(task, 5, 8, [3])[3]] != [e.input for e in alone]


def test_summary_splits_at_the_training_maximum():
    by = pd.DataFrame({"n": 1, "accuracy": [1.0, 0.8, 0.4, 0.2], "fine": [1.0, 0.9, 0.7, 0.5]},
                      index=pd.Index([4, 5, 6, 10], name="difficulty"))
    s = T.summarize(by, get_task("mirror"))               # mirror trains on lengths 1-5
    assert s == pytest.approx({"train_acc": 0.9, "train_fine": 0.95, "test_acc": 0.3, "test_fine": 0.6})
    assert math.isnan(T.summarize(by.loc[[4]], get_task("mirror"))["test_acc"])


def test_fixed_training_set_is_reused():
    task = get_task("mirror")
    data = T.TrainingData(task, tiny(train_examples=8, batch_size=8))   # every batch = the whole set
    rows = [sorted(map(tuple, data.next().x.flatten(1).tolist())) for _ in range(3)]
    assert rows[0] == rows[1] == rows[2]
    fresh = T.TrainingData(task, tiny(batch_size=8))
    assert not torch.equal(fresh.next().x, fresh.next().x)


# --- determinism and resumption -------------------------------------------------------------------------
def test_same_config_and_seed_give_identical_weights_and_metrics():
    a, b = T.train(tiny(), progress="none"), T.train(tiny(), progress="none")
    assert same_weights(a.model, b.model)
    pd.testing.assert_frame_equal(without_time(a.curve), without_time(b.curve))
    pd.testing.assert_frame_equal(a.eval, b.eval)
    assert a.summary == b.summary
    c = T.train(tiny(seed=1), progress="none")
    assert not same_weights(a.model, c.model)


class Crash(Exception):
    pass


@pytest.mark.parametrize("overrides", [
    dict(),                                                     # Adam, fresh samples
    dict(optimizer="rmsprop", momentum=0.95, schedule="yang", keep_best=True, train_examples=64,
         checkpoint_every=6),                                   # checkpoint between curve points
])
def test_a_crashed_run_resumes_to_exactly_the_uninterrupted_weights(tmp_path, monkeypatch, overrides):
    config = tiny(**overrides)
    straight = T.train(config, progress="none", workdir=tmp_path / "a")

    def crash(step):
        if step == 2 * config.checkpoint_every:
            raise Crash
    monkeypatch.setattr(T, "_after_checkpoint", crash)
    with pytest.raises(Crash):
        T.train(config, progress="none", workdir=tmp_path / "b")
    assert (tmp_path / "b" / T.CHECKPOINT).exists()
    monkeypatch.setattr(T, "_after_checkpoint", lambda step: None)
    torch.manual_seed(999)                                      # the resumed run must not depend on it
    resumed = T.train(config, progress="none", workdir=tmp_path / "b")
    assert same_weights(straight.model, resumed.model)
    pd.testing.assert_frame_equal(without_time(straight.curve), without_time(resumed.curve))
    assert straight.summary == resumed.summary


# --- the NaN guard ------------------------------------------------------------------------------------------
def test_nan_loss_stops_with_the_step(monkeypatch):
    real_build = T.build

    def poisoned(config):
        task, model = real_build(config)
        calls = {"n": 0}

        def hook(module, inputs, output):
            calls["n"] += 1
            return output * math.nan if calls["n"] == 5 else output
        model.register_forward_hook(hook)
        return task, model
    monkeypatch.setattr(T, "build", poisoned)
    with pytest.raises(T.TrainingDiverged, match=r"at step 5 .*nothing was written"):
        T.train(tiny(eval_every=24), progress="none")


def poison_training_step(monkeypatch, at: int):
    """Make the ``at``-th training forward pass (dev scoring not counted) return NaN."""
    real_build = T.build

    def poisoned(config):
        task, model = real_build(config)
        calls = {"n": 0}

        def hook(module, inputs, output):
            if not module.training:
                return output
            calls["n"] += 1
            return output * math.nan if calls["n"] == at else output
        model.register_forward_hook(hook)
        return task, model
    monkeypatch.setattr(T, "build", poisoned)


def test_a_keep_best_run_that_diverges_stops_with_its_best_dev_weights(monkeypatch):
    """Yang's author's loop: a non-finite loss ends training, the best dev score so far stands.
    The result is exactly the run that stops just before the bad update."""
    c = tiny(keep_best=True, eval_every=4, steps=24)
    poison_training_step(monkeypatch, at=11)
    diverged = T.train(c, progress="none")
    monkeypatch.undo()
    clean = T.train(c.replace(steps=10), progress="none")
    assert diverged.summary["diverged_at"] == 11 and diverged.summary["steps"] == 10
    assert diverged.summary["best_step"] == clean.summary["best_step"] <= 8
    assert same_weights(diverged.model, clean.model)
    pd.testing.assert_frame_equal(without_time(diverged.curve), without_time(clean.curve).iloc[:2])
    assert "diverged_at" not in clean.summary


def test_a_divergence_before_any_dev_point_still_raises(monkeypatch):
    poison_training_step(monkeypatch, at=3)
    with pytest.raises(T.TrainingDiverged, match="at step 3"):
        T.train(tiny(keep_best=True, eval_every=4), progress="none")


# --- progress -----------------------------------------------------------------------------------------------
def test_coarse_progress_prints_one_line_per_quarter(capsys):
    T.train(tiny(steps=8, eval_every=4, checkpoint_every=8), progress="coarse", desc="run")
    lines = capsys.readouterr().err.strip().splitlines()
    assert [line.split(" (")[0].split(" loss")[0] for line in lines] == [f"run: step {s}/8" for s in (2, 4, 6, 8)]
    assert "acc" in lines[-1] and "ETA" in lines[-1]


def test_no_progress_prints_nothing(capsys):
    T.train(tiny(steps=8), progress="none")
    assert capsys.readouterr() == ("", "")


def test_progress_choice(monkeypatch):
    monkeypatch.setenv("MANNLIB_PROGRESS", "none")
    assert T.resolve_progress("auto") == "none" and T.resolve_progress("bar") == "bar"
    monkeypatch.delenv("MANNLIB_PROGRESS")
    assert T.resolve_progress("auto") == "coarse"       # pytest captures stderr: not a terminal
    with pytest.raises(ValueError, match="choose one of auto, bar, coarse, none"):
        T.resolve_progress("widget")


def test_device_is_checked_and_cpu_is_the_default(tmp_path, monkeypatch):
    monkeypatch.delenv("MANNLIB_DEVICE", raising=False)
    assert T.resolve_device() == torch.device("cpu")
    monkeypatch.setenv("MANNLIB_DEVICE", "cuda:7x")
    with pytest.raises(ValueError, match="unknown device 'cuda:7x'|torch sees no GPU"):
        T.resolve_device()
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="torch sees no GPU here; use --device cpu"):
            T.resolve_device("cuda")
    monkeypatch.delenv("MANNLIB_DEVICE")
    a = T.train(tiny(), progress="none")
    b = T.train(tiny(), progress="none", device="cpu")          # explicit cpu = the default, bit for bit
    assert same_weights(a.model, b.model) and a.summary == b.summary
    assert all(p.device.type == "cpu" for p in b.model.parameters())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_a_cuda_run_returns_a_cpu_model_close_to_the_cpu_run():
    a = T.train(tiny(), progress="none")
    g = T.train(tiny(), progress="none", device="cuda")
    assert all(p.device.type == "cpu" for p in g.model.parameters())
    for (k, va), vb in zip(a.model.state_dict().items(), g.model.state_dict().values()):
        assert torch.allclose(va, vb, atol=1e-3), k


# --- patience: training until the dev score stops improving ------------------------------------------
def test_patience_stops_when_the_dev_score_has_not_improved(tmp_path):
    frozen = tiny(steps=200, eval_every=5, checkpoint_every=5, lr=1e-12, patience=2)   # nothing can improve
    result = T.train(frozen, progress="none", workdir=tmp_path)
    assert result.curve["step"].tolist() == [5, 10, 15]        # the best at 5, then 2 points without a new best
    assert result.summary["steps"] == 15 and result.summary["stopped_early"] is True
    full = T.train(tiny(steps=20, eval_every=5, checkpoint_every=5, lr=1e-12), progress="none")
    assert len(full.curve) == 4 and "stopped_early" not in full.summary


def test_patience_is_hashed_only_when_set():
    from mannlib.engine.config import RunConfig
    c = tiny()
    assert "patience" not in c.to_json()                       # every run committed before it keeps its id
    assert '"patience":3' in c.replace(patience=3).to_json()
    assert RunConfig.from_dict(c.replace(patience=3).to_dict()).patience == 3
    with pytest.raises(T.ConfigError if hasattr(T, "ConfigError") else ValueError, match="patience must be"):
        tiny(patience=0)
