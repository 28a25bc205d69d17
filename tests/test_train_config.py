"""RunConfig: canonical identity, overrides, validation, and the paper defaults per (task, model)."""
import json

import pytest

from mannlib.engine.config import ConfigError, RunConfig, parse_override, profile_config
from mannlib.models import MODELS


def test_canonical_json_is_sorted_compact_and_round_trips():
    c = profile_config("mirror", "sann", "paper", seed=2)
    text = c.to_json()
    assert " " not in text and list(json.loads(text)) == sorted(json.loads(text))
    assert RunConfig.from_dict(json.loads(text)) == c
    assert RunConfig.from_dict(json.loads(text)).to_json() == text
    assert profile_config("mirror", "sann", "paper", seed=3).to_json() != text


def test_equal_values_written_differently_are_the_same_config():
    a = RunConfig("mirror", "lstm", eval_difficulties=[1, 2], lr=1, clip=5)
    b = RunConfig("mirror", "lstm", eval_difficulties=(1, 2), lr=1.0, clip=5.0)
    assert a == b and a.to_json() == b.to_json() and a.eval_difficulties == (1, 2)


def test_overrides():
    c = profile_config("mirror", "sann", "paper", lr=1e-4, **{"sizes.hidden": 64})
    assert c.lr == 1e-4 and c.sizes == {"hidden": 64, "cells": 20, "width": 20}
    assert parse_override("lr=1e-4") == ("lr", 1e-4)
    assert parse_override("optimizer=rmsprop") == ("optimizer", "rmsprop")
    assert parse_override("eval_difficulties=[1,5]") == ("eval_difficulties", [1, 5])
    assert parse_override("train_examples=null") == ("train_examples", None)
    with pytest.raises(ConfigError, match="expected key=value"):
        parse_override("lr")
    with pytest.raises(ConfigError, match=r"unknown config key 'lrr'; allowed: task, model, seed"):
        profile_config("mirror", "sann", lrr=1)


@pytest.mark.parametrize("bad, message", [
    (dict(steps="abc"), "steps must be int"),
    (dict(steps=True), "steps must be int"),
    (dict(steps=0), "steps must be positive"),
    (dict(lr="fast"), "lr must be float"),
    (dict(optimizer="sgd"), "choose one of adam, rmsprop"),
    (dict(schedule="cosine"), "choose one of none, yang"),
    (dict(momentum=1.0), "0 <= momentum < 1"),
    (dict(train_examples=4, batch_size=8), "train_examples"),
])
def test_bad_fields_name_what_is_allowed(bad, message):
    with pytest.raises(ConfigError, match=message):
        RunConfig("mirror", "lstm", **bad)


def test_unknown_model_and_profile():
    with pytest.raises(ConfigError, match="unknown model 'sann2'; choose one of srnn, lstm"):
        profile_config("mirror", "sann2")
    with pytest.raises(ConfigError, match="choose one of paper, quick"):
        profile_config("mirror", "sann", "fast")


def test_wang_settings():
    c = profile_config("mirror", "tann", "paper")             # Wang §3.1: N = M = 20, controller 100
    assert (c.sizes, c.optimizer, c.lr, c.schedule) == ({"hidden": 100, "cells": 20, "width": 20, "head_input": True},
                                                        "adam", 1e-3, "none")   # the heads read [h_t; x_t] (Wang §2)
    assert c.train_examples is None
    m = profile_config("m10ae", "sann", "paper")               # 80k training examples (§3.3)
    assert m.train_examples == 80_000 and m.sizes["embed"] == m.sizes["width"] == m.sizes["hidden"] == 100


def test_yang_settings():
    c = profile_config("bigramflip", "lantm-softmax", "paper")  # Table 2: LSTM 100, embed 10, lr 0.02
    assert c.sizes == {"hidden": 100, "embed": 10, "width": 20} and c.lr == 0.02
    assert (c.optimizer, c.momentum, c.batch_size, c.schedule, c.keep_best) == ("rmsprop", 0.95, 32, "yang", True)
    assert c.eval_every == 200                                  # every 20 epochs of 10 batches
    assert max(c.eval_difficulties) == 64                       # 2x bigramflip's training maximum 32
    b = profile_config("addition", "lstm", "paper")            # 4 x 256, embed 64, lr 2e-4, no schedule
    assert b.sizes == {"hidden": 256, "layers": 4, "embed": 64} and b.lr == 2e-4 and b.schedule == "none"
    assert b.eval_every == 2000


@pytest.mark.parametrize("profile", ["paper", "quick"])
@pytest.mark.parametrize("task", ["mirror", "m10ae", "copy", "addition"])
def test_every_default_builds(task, profile):
    """The sizes of every default config are accepted by the model constructors."""
    from mannlib.engine.train import build
    for model in MODELS:
        build(profile_config(task, model, profile))
