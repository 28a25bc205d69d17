"""The M10AE chapter's prose about which runs it reads (mannlib.chapters.m10ae.reading_values,
ten_epochs, target_text): the same glue names whichever runs are read, and sentences that hold
for the fixed setting's short runs, its longer ones, and Wang's protocol's (on hand-made runs)."""
import dataclasses
from types import SimpleNamespace

import pytest

from mannlib.chapters import m10ae as C

SIZES = {"sann": {"cells": 5, "width": 100, "hidden": 100}, "lstm": {"hidden": 100}}


def run(model, seed, batch=32, steps=1500, trained=None, dev=None, wall=300.0):
    """A run of ``model`` with ``steps`` configured, ``trained`` updates made (its summary) and
    the development #LPO ``dev`` (None: the training range)."""
    config = SimpleNamespace(model=model, seed=seed, lr=1e-3, batch_size=batch, steps=steps, train_examples=80_000,
                             sizes=SIZES[model], dev_difficulties=dev)
    return SimpleNamespace(config=config, manifest={"wall_s": wall}, summary={"steps": trained or steps})


def fixed(steps=None):
    return C.settings("paper", protocol="fixed", steps=steps)


def protocol():
    """Paper-profile settings reading the paper protocol, without asking the cache whether its campaign is complete."""
    return dataclasses.replace(fixed(), protocol="paper", seeds=(0, 1, 2))


def test_target_text_says_met_or_by_how_much_it_is_missed():
    assert C.target_text(0.104, 0.9) == "is missed by 79.6 points"
    assert C.target_text(0.9, 0.9) == "is met (SANN 90.0%)"
    assert C.target_text(0.931, 0.9) == "is met (SANN 93.1%)"


def test_ten_epochs_prices_the_fixed_setting_runs_at_their_measured_speed():
    runs = [run("sann", s, steps=2000, wall=w) for s, w in enumerate((200.0, 400.0, 300.0))]
    runs += [run("lstm", s, steps=2000, wall=20.0) for s in range(3)]
    out = C.ten_epochs(runs)
    updates = 10 * 80_000 / 32                                 # 25,000
    assert out["ten_epoch_steps"] == "25,000" and out["fixed_n_runs"] == 6
    assert out["ten_epoch_hours"] == pytest.approx((150 + 10) * 3 * updates / 1000 / 3600)   # median ms x seeds


def test_every_run_set_glues_the_same_names():
    main = [run(m, s) for m in ("lstm", "sann") for s in range(3)]
    tuned = [run(m, s, trained=5000, dev=tuple(range(21))) for m in ("lstm", "sann") for s in range(3)]
    assert set(C.reading_values(fixed(), main)) == set(C.reading_values(protocol(), tuned))


def test_the_fixed_settings_prose_calls_runs_early_only_within_their_first_epoch():
    short = C.reading_values(fixed(), [run(m, s) for m in ("lstm", "sann") for s in range(3)])   # 0.60 epochs
    assert "for 0.60 epochs" in short["caveat"] and short["caveat"].endswith("learn early")
    assert short["budget_note"].startswith("Our models are therefore early")
    assert short["trained_text"] == "after 0.60 epochs of training" and short["dev_lpo"] == "0-14"
    long = C.reading_values(fixed(5000), [run(m, s, steps=5000) for m in ("lstm", "sann") for s in range(3)])
    assert "for 2.00 epochs" in long["caveat"] and "early" not in long["caveat"] + long["budget_note"]
    assert "fixed-setting runs" in long["reading_note"] and "protocol" in long["reading_note"]


def test_under_the_protocol_no_sentence_describes_the_fixed_settings_budget_as_the_main_runs():
    runs = [run("lstm", s, trained=t, dev=tuple(range(21))) for s, t in enumerate((2500, 5000, 7500))]
    runs += [run("sann", s, batch=64, trained=6250, dev=tuple(range(21))) for s in range(3)]
    v = C.reading_values(protocol(), runs)
    assert "1.0 to 5.0 epochs of its training set" in v["caveat"] and "stop after 0.60 epochs" in v["caveat"]
    assert v["trained_text"].startswith("with every run trained until its development accuracy stopped improving")
    assert "budget" not in v["curve_stop"] and "paper protocol's runs" in v["reading_note"]
    assert v["dev_lpo"] == "0-20" and v["analysed_from"] == "the paper protocol's run"
    assert not any("fraction" in text or "early" in text for text in v.values())


# --- Fig. 5b's x-axis, the convergence claim's wording, the long runs' label ------------------------
def curves_of(runs, points=(100, 200, 300, 400), acc=(0.1, 0.2, 0.3, 0.35)):
    """curve_frame-like curves (step, examples, train_acc, dev_acc) of hand-made ``runs``."""
    import pandas as pd
    return pd.concat([pd.DataFrame({"model": r.config.model, "seed": r.config.seed, "step": points,
                                    "examples": [p * r.config.batch_size for p in points],
                                    "train_acc": acc, "dev_acc": acc}) for r in runs], ignore_index=True)


def test_fig5b_keeps_steps_when_the_models_share_a_batch_size():
    import matplotlib
    matplotlib.use("Agg")
    from mannlib.methods import plots as P
    runs = [run(m, s) for m in ("lstm", "sann") for s in range(2)]
    curves = curves_of(runs)
    progress, x = C.progress_curves(curves, runs)
    assert x == "step" and progress is curves and C.PROGRESS_LABELS[x] == "step"
    fig = P.learning_curves(progress, x=x)
    assert fig.axes[0].get_xlabel() == "step" and list(fig.axes[0].lines[0].get_xdata()) == [100, 200, 300, 400]


def test_fig5b_counts_epochs_when_the_batch_sizes_differ():
    runs = [run("lstm", s, batch=32) for s in range(2)] + [run("sann", s, batch=128) for s in range(2)]
    progress, x = C.progress_curves(curves_of(runs), runs)
    assert x == "epochs" and "epochs" in C.PROGRESS_LABELS[x]
    last = progress[progress["step"] == 400].set_index("model")["epochs"]
    assert last["lstm"].tolist() == pytest.approx([400 * 32 / 80_000] * 2)       # 0.16 epochs
    assert last["sann"].tolist() == pytest.approx([400 * 128 / 80_000] * 2)      # 0.64 epochs
    with pytest.raises(ValueError, match="no run for the curves"):
        C.progress_curves(curves_of(runs), runs[:3])


def ended(model, seed, how):
    """A hand-made run that ended by ``how``: "budget" (no patience), "patience" or "cap"."""
    r = run(model, seed)
    if how != "budget":
        r.summary["stopped_early"] = how == "patience"
    return r


def test_run_stops_reads_each_runs_summary():
    runs = [ended("lstm", 0, "budget"), ended("lstm", 1, "patience"), ended("sann", 0, "cap")]
    assert C.run_stops(runs).to_dict() == {("lstm", 0): "budget", ("lstm", 1): "patience", ("sann", 0): "cap"}


@pytest.mark.parametrize("ways, start", [
    (("budget", "budget"), "at this budget LSTM, SANN have not converged; training accuracy after 1.00 epochs"),
    (("patience", "patience"), "LSTM, SANN had not converged when their runs stopped by patience"),
    (("cap", "cap"), "LSTM, SANN had not converged when their runs reached the protocol's cap; "),
    (("patience", "cap"), "LSTM, SANN had not converged by the end of their runs (1 stopped by patience, "
                          "1 at the protocol's cap); "),
])
def test_the_convergence_claim_says_how_the_runs_ended_without_changing_its_verdict(ways, start):
    runs = [ended("lstm", 0, ways[0]), ended("sann", 0, ways[1])]
    curves = curves_of(runs)                               # both still rising over their last quarter
    per_run = 1.0 if ways == ("budget", "budget") else C.run_epochs(runs)
    c = C.convergence_claim(curves, per_run, C.run_stops(runs))
    assert c.ours.startswith(start) and c.verdict == C.NOT_TESTED
    assert c.criterion == C.convergence_claim(curves, 1.0).criterion
    assert ("or reached the cap" in c.ours) == ("cap" in ways)
    if ways == ("budget", "budget"):                      # the fixed setting's wording, as before
        assert c.ours == C.convergence_claim(curves, 1.0).ours
    else:
        assert "budget" not in c.ours


def test_only_the_unconverged_models_runs_are_worded():
    runs = [ended("lstm", 0, "cap"), ended("sann", 0, "patience")]
    curves = curves_of(runs)
    flat = curves["model"] == "lstm"
    curves.loc[flat, "train_acc"] = 0.9                   # LSTM converged (flat at 90%), SANN still rising
    c = C.convergence_claim(curves, C.run_epochs(runs), C.run_stops(runs))
    assert c.ours.startswith("SANN had not converged when its runs stopped by patience (no better development "
                             "accuracy); ")


def test_the_long_runs_label_counts_the_updates_they_made():
    import pandas as pd
    acc = pd.DataFrame([{"model": m, "seed": 0, "difficulty": d, "accuracy": 0.1, "fine": 0.5}
                        for m in C.LONG_MODELS for d in C.ALL_LPO])
    quick = C.long_configs(C.settings("quick", protocol="fixed"))[0].steps
    assert quick != C.LONG_STEPS
    assert all(c.claim.endswith(f"({quick:,} updates)") for c in C.longer_claims(acc, 500, steps=quick))
    assert all(c.claim.endswith("(12,000 updates)") for c in C.longer_claims(acc, 500))    # the paper's long runs
