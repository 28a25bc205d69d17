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
