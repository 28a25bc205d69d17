"""Every task: registry, determinism, and tensors time-aligned with the token strings."""
import numpy as np
import pytest
import torch

from mannlib.tasks import TASKS, Task, TaskError, get_task
from mannlib.tasks.base import ranges_text

NAMES = ["mirror", "m10ae", "copy", "reverse", "bigramflip", "double", "addition"]


def test_registry_in_paper_order():
    get_task("mirror")
    assert list(TASKS) == NAMES
    for name in NAMES:
        task = TASKS[name]()
        assert isinstance(task, Task) and task.name == name


def test_unknown_task_names_the_allowed_ones():
    with pytest.raises(TaskError, match="mirror, m10ae, copy, reverse, bigramflip, double, addition"):
        get_task("nope")


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_examples(name):
    task = get_task(name)
    a = task.sample(np.random.default_rng(7), 5)
    assert a == task.sample(np.random.default_rng(7), 5)
    assert a != task.sample(np.random.default_rng(8), 5)
    lo, hi = task.train_range
    assert all(lo <= e.difficulty <= hi for e in a)


@pytest.mark.parametrize("name", NAMES)
def test_default_difficulty_is_uniform_over_training_range(name):
    task, rng = get_task(name), np.random.default_rng(0)
    drawn = [task.default_difficulty(rng) for _ in range(3000)]
    values, counts = np.unique(drawn, return_counts=True)
    assert values.tolist() == task.difficulties("train")
    assert counts.min() > 0.5 * counts.mean()


@pytest.mark.parametrize("name", NAMES)
def test_batch_is_time_aligned_with_tokens(name):
    task = get_task(name)
    rng = np.random.default_rng(1)
    exs = [task.sample_one(rng, d) for d in task.difficulties("train")[:2] + task.difficulties("test")[-1:]]
    b = task.encode(exs)
    T = max(len(e.input) for e in exs)
    assert b.x.shape[:2] == b.y.shape[:2] == b.mask.shape == (3, T)
    assert b.difficulty.tolist() == [e.difficulty for e in exs]
    assert b.x.dtype == (torch.long if task.input_tokens else torch.float32)
    assert b.y.dtype == (torch.float32 if task.output_bits else torch.long)
    for i, ex in enumerate(exs):
        t = len(ex.input)
        assert b.mask[i].sum() == len(ex.target)
        assert b.mask[i].tolist() == [t - len(ex.target) <= s < t for s in range(T)]   # answers last
        assert (b.x[i, t:] == 0).all() and (b.y[i, ~b.mask[i]] == 0).all()         # zero padding
        solo = task.encode([ex])                                                    # same as alone
        assert torch.equal(b.x[i, :t], solo.x[0]) and torch.equal(b.y[i, b.mask[i]], solo.y[0, solo.mask[0]])
    if task.input_tokens:
        assert int(b.x.max()) < task.input_size
    else:
        assert b.x.shape[2] == task.input_size
    if not task.output_bits:
        assert int(b.y.max()) < task.output_size
    perfect = (b.y * 2 - 1) if task.output_bits else torch.nn.functional.one_hot(b.y, task.output_size).float()
    s = task.score(perfect, b)
    assert s["correct"].all() and torch.equal(s["units_correct"], s["units_total"])


@pytest.mark.parametrize("name, d", [("mirror", 0), ("mirror", 101), ("m10ae", -1), ("copy", 513),
                                     ("bigramflip", 7), ("double", 0), ("addition", 129)])
def test_impossible_difficulties_raise(name, d):
    with pytest.raises(TaskError, match="allowed"):
        get_task(name).sample(np.random.default_rng(0), 1, d)


@pytest.mark.parametrize("n", [0, -3])
def test_non_positive_n_raises(n):
    with pytest.raises(TaskError, match="positive"):
        get_task("copy").sample(np.random.default_rng(0), n)


def test_encode_rejects_foreign_tokens():
    for name, ex_in in [("mirror", ["0101", "<EOS>", "0000"]), ("copy", ["<s>", "999", "</s>", "</s>"]),
                        ("m10ae", ["8", "%", "2"])]:
        task = get_task(name)
        ex = task.sample_one(np.random.default_rng(0), task.train_range[1])
        ex.input = ex_in
        with pytest.raises(TaskError):
            task.encode([ex])


def test_ranges_text():
    assert ranges_text([2, 3, 4, 8]) == "2-4, 8"
    assert ranges_text(list(range(2, 257, 2))) == "2-256 (even only)"
