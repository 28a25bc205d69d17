"""mannlib.chapters.lantm.ablation: the settings it compares and how it reads its results."""
import pandas as pd
import pytest

from mannlib.chapters.lantm import ablation as A
from mannlib.engine.config import profile_config


def test_each_setting_changes_exactly_its_switches():
    base = profile_config("copy", "lantm-invnorm", "paper", 1, steps=A.STEPS)
    assert A.config("copy", "as before", 1) == base
    expected = {"optimizer": {"momentum": 0.0}, "write gates": {"sizes": {**base.sizes, "write_gate_bias": -10.0}},
                "clip": {"clip": 32.0}, "schedule": {"schedule": "none"}}
    for name, changed in expected.items():
        c = A.config("copy", f"+ {name}", 1).to_dict()
        diff = {k: v for k, v in c.items() if v != base.to_dict()[k]}
        assert diff == changed, name
    everything = A.config("addition", "all four", 0)
    assert (everything.momentum, everything.clip, everything.schedule, everything.sizes["write_gate_bias"]) == \
        (0.0, 32.0, "none", -10.0)
    assert everything.lr == 0.01 and A.config("copy", "all four", 0).lr == 0.02        # Table 2's rates
    with pytest.raises(ValueError, match="choose one of as before"):
        A.config("copy", "+ adam", 0)


def test_the_lstm_takes_every_switch_but_the_lantm_gates():
    assert A.overrides("all four", "lstm") == {"momentum": 0.0, "clip": 32.0, "schedule": "none"}
    assert A.overrides("all four")["sizes.write_gate_bias"] == -10.0


def test_configs_run_seed_by_seed_and_quick_keeps_its_steps():
    cs = A.configs()
    assert len(cs) == len(A.SEEDS) * len(A.SETTINGS) * len(A.TASKS)
    assert [c.seed for c in cs] == sorted(c.seed for c in cs)
    quick = A.configs(profile="quick")
    assert {c.profile for c in quick} == {"quick"} and {c.steps for c in quick} == {60}


def _table(rows):
    return pd.DataFrame(rows, columns=["setting", "task", "seed", "1x coarse", "2x coarse"])


def test_learners_and_best_setting_read_medians_over_seeds():
    t = _table([("as before", "copy", 0, 0.0, 0.0), ("as before", "copy", 1, 0.0, 0.0),
                ("+ optimizer", "copy", 0, 1.0, 0.9), ("+ optimizer", "copy", 1, 0.4, 0.3),
                ("all four", "copy", 0, 1.0, 0.95), ("all four", "copy", 1, 1.0, 0.95),
                ("+ clip", "copy", 0, A.LEARNS, 0.1), ("+ clip", "copy", 1, A.LEARNS, 0.1)])
    learn = A.learners(t)
    assert learn["as before"] == [] and learn["+ optimizer"] == ["copy"] and learn["+ clip"] == ["copy"]
    assert A.best_setting(t) == "all four"
    tie = _table([("+ optimizer", "copy", 0, 1.0, 0.9), ("all four", "copy", 0, 1.0, 0.9)])
    assert A.best_setting(tie) == "+ optimizer"                    # a tie goes to fewer changes
    s = A.summary(t)
    assert list(s.index.get_level_values(0).unique()) == ["as before", "+ optimizer", "+ clip", "all four"]
    assert s.loc[("+ optimizer", "copy"), ("1x coarse", "median")] == pytest.approx(0.7)


def test_a_diverged_run_is_a_result_at_zero_and_named_in_the_findings():
    c = A.config("copy", "as before", 1)
    t = A.table([("as before", A.Diverged(c, "loss inf at step 75"))])
    assert t.loc[0, ["1x coarse", "2x coarse", "diverged"]].tolist() == [0.0, 0.0, True]
    assert "1 run diverged (an infinite loss or gradient): as before on copy, seed 1." in A.findings(t)
