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


def test_stage2_switches_change_exactly_the_output_layer_and_the_rate():
    base = A.config("copy", "all four", 1, steps=A.STAGE2_STEPS)
    assert base.steps == 10_000 and base.lr == 0.02 and base.sizes.get("output", "hx") == "hx"
    diff = lambda c: {k: v for k, v in c.to_dict().items() if v != base.to_dict()[k]}   # noqa: E731
    assert diff(A.config("copy", "all four + read output", 1, steps=A.STAGE2_STEPS)) == \
        {"sizes": {**base.sizes, "output": "hr"}}
    assert diff(A.config("copy", "all four + lr 0.01", 1, steps=A.STAGE2_STEPS)) == {"lr": 0.01}
    assert diff(A.config("copy", "all four + both", 1, steps=A.STAGE2_STEPS)) == \
        {"lr": 0.01, "sizes": {**base.sizes, "output": "hr"}}
    # addition's Table 2 rate is 0.01 already: the rate switch is "all four" there, and each run trains once
    assert A.config("addition", "all four + lr 0.01", 0, steps=A.STAGE2_STEPS) == \
        A.config("addition", "all four", 0, steps=A.STAGE2_STEPS)
    cs = A.stage2_configs()
    assert len(cs) == len({c.to_json() for c in cs}) == len(A.STAGE2_SEEDS) * (6 * 5 - 2)
    assert all(c.lr == 0.01 and c.sizes["output"] == "hr" for c in cs[:20])        # "+ both" (+ decay) first
    assert A.overrides("all four + both", "lstm") == {"momentum": 0.0, "clip": 32.0, "schedule": "none"}


def test_the_float64_switch_changes_only_the_precision_of_both_and_not_the_lstm():
    both = A.config("reverse", "all four + both", 1, steps=A.STAGE2_STEPS)
    f64 = A.config("reverse", "all four + both + float64", 1, steps=A.STAGE2_STEPS)
    assert f64 == both.replace(dtype="float64") and both.dtype == "float32"
    assert "dtype" not in A.overrides("all four + both + float64", "lstm")     # the baseline stays float32


def test_the_decay_switch_adds_the_authors_decay_per_task_on_top_of_both():
    both = A.config("reverse", "all four + both", 0, steps=A.STAGE2_STEPS)
    decay = A.config("reverse", "all four + both + lr decay", 0, steps=A.STAGE2_STEPS)
    diff = {k: v for k, v in decay.to_dict().items() if v != both.to_dict().get(k)}
    assert diff == {"schedule": "decay", "decay_after": 6000}        # 600 iterations of 10 batches (xopts)
    assert A.config("addition", "all four + both + lr decay", 0, steps=A.STAGE2_STEPS).decay_after == 3000
    # the LSTM baseline keeps Table 2's rate "with no adjustments": no decay
    assert A.overrides("all four + both + lr decay", "lstm", "copy") == {"momentum": 0.0, "clip": 32.0, "schedule": "none"}
    with pytest.raises(ValueError, match="per task"):
        A.overrides("all four + both + lr decay")


def test_stage2_findings_name_scores_learners_divergence_and_the_best():
    rows = [("all four", "copy", 0, 0.3, 0.2, False, 0), ("all four + both", "copy", 0, 1.0, 1.0, False, 0),
            ("all four + both", "reverse", 0, 0.0, 0.0, True, 7109), ("all four", "reverse", 0, 0.0, 0.0, False, 0)]
    t = pd.DataFrame(rows, columns=["setting", "task", "seed", "1x coarse", "2x coarse", "diverged", "diverged at"])
    text = A.stage2_findings(t)
    assert text.startswith("Coarse score at 1x / 2x, mean over copy, reverse (run by every setting) of the median "
                           "over seeds: "
                           "all four 15% / 10% (learns no task); all four + both 50% / 50% (learns copy).")
    assert ("1 run diverged (an infinite loss or gradient; training stops there, as in the author's loop, and the "
            "run is scored with its best dev weights so far, or 0% before its first dev point): all four + both on "
            "reverse, seed 0 (at update 7109, 0% / 0% at 1x / 2x).") in text
    assert text.endswith("Best: all four + both.")
    partial = A.stage2_findings(t[~((t["setting"] == "all four") & (t["task"] == "reverse"))])
    assert partial.startswith("Coarse score at 1x / 2x, mean over copy (run by every setting) of the median over "
                              "seeds: all four 30% / 20% (learns no task); all four + both 100% / 100% (learns copy).")


def test_stage2_effect_names_the_best_switch_and_its_gain():
    rows = [("all four", "copy", 0, 0.3, 0.2, False), ("all four + both", "copy", 0, 1.0, 1.0, False),
            ("all four + read output", "copy", 0, 0.5, 0.4, False)]
    t = pd.DataFrame(rows, columns=["setting", "task", "seed", "1x coarse", "2x coarse", "diverged"])
    assert A.stage2_effect(t) == ("In the ablation's second stage, both on top of all four takes the mean 2x coarse "
                                  "score over 1 task from 20% to 100%.")
    assert A.stage2_effect(t[t["setting"] != "all four + both"].replace({"2x coarse": {0.4: 0.1}})) == \
        "Neither switch of the ablation's second stage improves on all four."


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
    assert t.loc[0, ["1x coarse", "2x coarse", "diverged", "diverged at"]].tolist() == [0.0, 0.0, True, 75]
    assert "as before on copy, seed 1 (at update 75, 0% / 0% at 1x / 2x)." in A.findings(t)
