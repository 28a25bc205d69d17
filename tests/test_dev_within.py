"""Two selection criteria in one run (RunConfig.dev_within): the run serves two development sets,
and each criterion's result is exactly that of a run trained on its development set alone.

Wang's M10AE protocol (issue 15) tunes on a development set spanning #LPO 0-20 (the paper's) and
on one within the training range, #LPO 0-14 (strict); the second is the first's lower part, so one
run scored on both replaces two runs."""
import json

import pandas as pd
import pytest

from mannlib.engine import cache, sweep
from mannlib.engine import train as T
from mannlib.engine.config import ConfigError, check_trainable, profile_config

DEV = list(range(1, 11))    # mirror: lengths 1-10; the training range is 1-5


def cfg(**overrides):
    """A mirror LSTM whose two criteria stop at different points (seed 5, patience 3: with the
    tests' portable numerics the criterion over lengths 1-10 stops at step 270, the one over 1-5
    at 340; checked below)."""
    base = dict(steps=400, eval_every=10, checkpoint_every=10, dev_n=8, eval_n=4, batch_size=8, keep_best=True,
                lr=1e-2, patience=3, eval_difficulties=[2, 7], **{"sizes.hidden": 16})
    return profile_config("mirror", "lstm", "quick", 5, **{**base, **overrides})


@pytest.fixture(scope="module")
def three():
    both = T.train(cfg(dev_difficulties=DEV, dev_within=5), progress="none")
    alone = T.train(cfg(dev_difficulties=DEV), progress="none")            # the main criterion alone
    inside = T.train(cfg(dev_difficulties=list(range(1, 6))), progress="none")  # the second alone
    return both, alone, inside


def test_the_two_criteria_stop_at_different_points(three):
    both, alone, inside = three
    assert both.summary["steps"] == alone.summary["steps"] == 270
    assert both.within["summary"]["steps"] == inside.summary["steps"] == 340
    assert both.curve["step"].iloc[-1] == 340          # trained until both had stopped


def test_each_criterion_equals_its_own_run(three):
    both, alone, inside = three
    pd.testing.assert_frame_equal(both.eval, alone.eval)
    pd.testing.assert_frame_equal(both.within["by_difficulty"], inside.eval)
    assert both.summary == alone.summary
    assert both.within["summary"] == inside.summary
    assert both.within["dev_within"] == 5
    # the curve: the main columns are the run's own up to its stop, the within columns the other run's
    n = len(alone.curve)
    pd.testing.assert_frame_equal(both.curve[T.CURVE_COLUMNS].head(n).drop(columns="wall_s"),
                                  alone.curve.drop(columns="wall_s"))
    pd.testing.assert_series_equal(both.curve["dev_acc_within"], inside.curve["dev_acc"], check_names=False)
    # the returned model holds the main criterion's best weights
    assert all((both.model.state_dict()[k] == alone.model.state_dict()[k]).all() for k in alone.model.state_dict())


def test_dev_score_reads_either_criterion_up_to_its_stop(three):
    both, alone, inside = three
    assert sweep.dev_score(both.curve, until=both.summary["steps"]) == sweep.dev_score(alone.curve)
    assert sweep.dev_score(both.curve, within=True, until=both.within["summary"]["steps"]) == \
        sweep.dev_score(inside.curve)


def test_dev_score_on_a_hand_made_curve():
    curve = pd.DataFrame(dict(step=[10, 20, 30, 40], dev_acc=[.2, .5, .5, .9], dev_fine=[.3, .6, .7, .95],
                              dev_acc_within=[.4, .8, .6, .8], dev_fine_within=[.5, .9, .7, .9]))
    assert sweep.dev_score(curve) == (.9, .95, -3)
    assert sweep.dev_score(curve, until=30) == (.5, .7, -2)
    assert sweep.dev_score(curve, within=True) == (.8, .9, -1)     # first reached at the second point


def test_the_cache_stores_and_loads_the_second_criterion(tmp_path, monkeypatch):
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path))
    c = cfg(dev_difficulties=DEV, dev_within=5, steps=60, patience=None)
    run = cache.train_or_load(c, progress="none")
    again = cache.load_run(run.id)
    assert again.within["dev_within"] == 5 and again.within["summary"] == run.within["summary"]
    pd.testing.assert_frame_equal(again.within["eval"], run.within["eval"])
    assert "within" in json.loads((run.path / "eval.json").read_text())
    assert {"dev_acc_within", "dev_fine_within"} <= set(again.curve.columns)
    plain = cache.train_or_load(c.replace(dev_within=None), progress="none")
    assert plain.within is None and "dev_acc_within" not in plain.curve.columns


def test_bad_dev_within_is_refused_with_what_is_allowed():
    with pytest.raises(ConfigError, match="dev_within needs keep_best"):
        cfg(dev_difficulties=DEV, dev_within=5, keep_best=False)
    for bad in (10, 0, 11):
        with pytest.raises(ConfigError, match="must split the dev difficulties 1-10"):
            check_trainable(cfg(dev_difficulties=DEV, dev_within=bad))


def test_the_field_changes_no_existing_run_id():
    c = cfg()
    assert "dev_within" not in c.to_json()
    assert cache.run_id(c) != cache.run_id(c.replace(dev_difficulties=DEV, dev_within=5))
