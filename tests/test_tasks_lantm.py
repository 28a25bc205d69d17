"""Yang's tasks (§4, Tables 1, 2, 4): answers against list operations and Python integers."""
import numpy as np
import pytest
import torch

from mannlib.tasks import TaskError, get_task
from mannlib.tasks.lantm import extrapolation_range


def _parts(ex):
    """Split an example into its input characters and answer, checking the marker layout."""
    k = ex.input.index("</s>") - 1
    chars, answer = ex.input[1:k + 1], ex.target[:-1]
    assert ex.input == ["<s>"] + chars + ["</s>"] * (len(answer) + 1)
    assert ex.target[-1] == "<e>" and "<e>" not in answer
    return chars, answer


def _number(digits):
    """Least significant digit first -> int."""
    return int("".join(reversed(digits)))


@pytest.mark.parametrize("name, solve", [
    ("copy", lambda s: s),
    ("reverse", lambda s: s[::-1]),
    ("bigramflip", lambda s: [s[i ^ 1] for i in range(len(s))]),
])
def test_permutations(name, solve):
    task, rng = get_task(name), np.random.default_rng(0)
    for d in task.difficulties("test")[::3]:
        ex = task.sample_one(rng, d)
        chars, answer = _parts(ex)
        assert len(chars) == d == ex.difficulty and answer == solve(chars)
        assert all(c.isdigit() and 0 <= int(c) < 124 for c in chars)


def test_symbols_cover_the_alphabet():
    exs = get_task("copy").sample(np.random.default_rng(0), 40, 64)
    assert {c for e in exs for c in e.input[1:65]} == {str(i) for i in range(124)}


@pytest.mark.parametrize("k", [1, 2, 3, 7, 40, 80])
def test_double_decodes_to_twice_the_input(k):
    task, rng = get_task("double"), np.random.default_rng(k)
    for _ in range(50):
        chars, answer = _parts(task.sample_one(rng, k))
        assert len(chars) == k and len(answer) == k + 1
        assert _number(answer) == 2 * _number(chars)


@pytest.mark.parametrize("k", [1, 2, 5, 16, 32])
def test_addition_decodes_to_the_sum(k):
    task, rng = get_task("addition"), np.random.default_rng(k)
    for _ in range(50):
        chars, answer = _parts(task.sample_one(rng, k))
        assert len(chars) == 2 * k and len(answer) == k + 1
        assert _number(answer) == _number(chars[0::2]) + _number(chars[1::2])


def test_arithmetic_by_hand():
    # addition, k = 3: x = 74 (4 7 0), y = 195 (5 9 1); 74 + 195 = 269 -> 9 6 2 0
    assert get_task("addition").solve(list("457901")) == list("9620")
    assert get_task("double").solve(list("821")) == list("6520")        # 2 * 128 = 256
    assert get_task("double").solve(list("99")) == list("891")          # 2 * 99 = 198


def test_carries_happen():
    task, rng = get_task("addition"), np.random.default_rng(0)
    tops = {task.sample_one(rng, 2).target[2] for _ in range(200)}
    assert tops == {"0", "1"}


def test_vocabulary_sizes_match_table_2():
    sizes = {n: (get_task(n).input_size, get_task(n).output_size) for n in
             ["copy", "reverse", "bigramflip", "double", "addition"]}
    assert sizes == {"copy": (128, 128), "reverse": (128, 128), "bigramflip": (128, 128),
                     "double": (14, 14), "addition": (14, 14)}
    assert get_task("copy", n_symbols=128).input_size == 132


def test_table_1_ranges_and_even_bigramflip():
    ranges = {n: (get_task(n).train_range, get_task(n).test_range) for n in
              ["copy", "reverse", "bigramflip", "double", "addition"]}
    assert ranges == {"copy": ((2, 64), (65, 128)), "reverse": ((2, 64), (65, 128)),
                      "bigramflip": ((2, 32), (33, 64)), "double": ((2, 40), (41, 80)),
                      "addition": ((2, 16), (17, 32))}
    bf = get_task("bigramflip")
    assert bf.difficulties("train") == list(range(2, 33, 2))
    rng = np.random.default_rng(0)
    assert {bf.default_difficulty(rng) for _ in range(400)} == set(range(2, 33, 2))
    with pytest.raises(TaskError, match="even"):
        bf.sample(rng, 1, 5)


def test_extrapolation_ranges_table_4():
    assert extrapolation_range("copy", 4) == list(range(193, 257))
    assert extrapolation_range("reverse", 5) == list(range(257, 321))
    assert extrapolation_range("bigramflip", 8) == list(range(226, 257, 2))
    assert extrapolation_range("double", 8) == list(range(281, 321))
    assert extrapolation_range("addition", 4) == list(range(49, 65))
    assert extrapolation_range("addition", 2) == list(range(17, 33))   # Table 3's "2x" = test range
    assert extrapolation_range("copy", 1) == list(range(2, 65))        # Table 3's "1x" = training
    for name in ["copy", "reverse", "bigramflip", "double", "addition"]:
        task = get_task(name)
        assert max(task.allowed()) == 8 * task.train_range[1]
        task.sample(np.random.default_rng(0), 1, max(task.allowed()))
    with pytest.raises(TaskError):
        extrapolation_range("copy", 9)
    with pytest.raises(TaskError):
        extrapolation_range("mirror", 2)


def test_fine_score_counts_every_character_including_end_marker():
    task = get_task("double")
    b = task.encode(task.sample(np.random.default_rng(0), 2, 3))    # 4 digits + <e> each
    logits = np.full(tuple(b.y.shape) + (14,), -5.0)
    logits[np.arange(2)[:, None], np.arange(b.y.shape[1]), b.y.numpy()] = 5.0
    logits = torch.tensor(logits)
    s = task.score(logits, b)
    assert s["correct"].all() and s["units_total"].tolist() == [5, 5]
    last = int(b.mask[0].nonzero()[-1])                               # the <e> step
    assert b.y[0, last] == task.ids["<e>"]
    logits[0, last, task.ids["<e>"]] = -10.0                          # miss only <e>
    s = task.score(logits, b)
    assert s["correct"].tolist() == [False, True] and s["units_correct"].tolist() == [4, 5]
