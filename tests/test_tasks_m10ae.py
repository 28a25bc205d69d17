"""M10AE (Wang §3.3): labels against an independently written evaluator, #LPO, datasets, analysis set."""
import numpy as np
import pytest

from mannlib.tasks import TaskError, get_task
from mannlib.tasks.m10ae import (ANALYSIS_STRUCTURE, count_lpo, describe, evaluate, fixed_datasets,
                                 running_values)

PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def shunting_yard(tokens):
    """Independent evaluator: two stacks (Dijkstra), left associative, every result mod 10."""
    values, ops = [], []

    def reduce_top():
        op, b, a = ops.pop(), values.pop(), values.pop()
        if op == "/":
            assert b != 0, "the right operand of / is always a numeral"
            r = a % b
        else:
            r = a + b if op == "+" else a - b if op == "-" else a * b
        values.append(r % 10)

    for tok in tokens:
        if tok.isdigit():
            values.append(int(tok))
        else:
            while ops and PRECEDENCE[ops[-1]] >= PRECEDENCE[tok]:
                reduce_top()
            ops.append(tok)
    while ops:
        reduce_top()
    (value,) = values
    return value


@pytest.mark.parametrize("expr, value", [
    ("8+6*3/2-4", 4),   # the paper's Table 1 example: 6*3->8, 8%2->0, 8+0->8, 8-4->4
    ("7", 7),
    ("2-7", 5),         # negative results wrap into 0..9
    ("1-2-3", 6),       # left to right: (1-2)-3 = -4 -> 6 (right to left would give 2)
    ("6*3/4", 0),       # 18 is reduced to 8 before the modulo: 8%4 = 0 (18%4 would be 2)
    ("8/5/2", 1),       # left to right: (8%5)%2 = 1 (right to left: 8%(5%2) = 0)
    ("6*5/7", 0),       # an intermediate 0 as left operand of the modulo
    ("3*4+5*6", 2),     # 2 + 0
    ("9+9*9*9", 8),     # 9 + 9 (81->1, 1*9=9) = 18 -> 8
])
def test_hand_computed_values(expr, value):
    assert evaluate(expr) == value
    assert shunting_yard(list(expr)) == value


def test_running_values_follow_the_paper_example():
    # (prefix value, current term value) after each of 8 + 6 * 3 / 2 - 4
    assert running_values(list("8+6*3/2-4")) == [
        (8, 8), (8, 8), (4, 6), (4, 6), (6, 8), (6, 8), (8, 0), (8, 0), (4, 4)]


def test_generated_labels_agree_with_independent_evaluator():
    task, rng = get_task("m10ae"), np.random.default_rng(0)
    examples = [task.sample_one(rng, int(d)) for d in rng.integers(0, 21, size=3000)]
    for ex in examples:
        assert ex.target == [str(shunting_yard(ex.input))], ex.input


def test_generated_expressions_have_the_requested_lpo_and_shape():
    task, rng = get_task("m10ae"), np.random.default_rng(1)
    for d in range(0, 21):
        for ex in task.sample(rng, 20, d):
            assert ex.difficulty == d == count_lpo(ex.input) == sum(t in "+-" for t in ex.input)
            assert all(t in "123456789" for t in ex.input[0::2])    # numerals at even steps
            assert all(t in "+-*/" for t in ex.input[1::2])         # operators in between
            terms = "".join(ex.input).replace("-", "+").split("+")
            assert len(terms) == d + 1 and all(1 <= (len(t) + 1) // 2 <= 3 for t in terms)


def test_count_lpo():
    assert count_lpo(list("8+6*3/2-4")) == 2
    assert count_lpo(list("8*6")) == 0


@pytest.mark.parametrize("bad", ["", "8+", "+8", "88", "8+-4", "8%3", "0+1"])
def test_malformed_expressions_raise(bad):
    with pytest.raises(TaskError):
        evaluate(bad)


def test_fixed_datasets_are_deterministic_and_in_range():
    a_train, a_valid = fixed_datasets(seed=3, n_train=1500, n_valid=600)
    b_train, b_valid = fixed_datasets(seed=3, n_train=1500, n_valid=600)
    assert (a_train, a_valid) == (b_train, b_valid)
    assert fixed_datasets(seed=4, n_train=1500, n_valid=600)[0] != a_train
    assert len(a_train) == 1500 and len(a_valid) == 600
    train, valid = describe(a_train), describe(a_valid)
    assert set(train["lpo"]) == set(range(15)) and set(valid["lpo"]) == set(range(21))
    assert set(train["term_numerals"]) == {1, 2, 3}
    assert set(train["label"]) == set(range(10))
    assert sum(train["tokens"].values()) == 1500


@pytest.mark.parametrize("train_max, train, test", [
    (None, (0, 14), (15, 20)),   # Wang §3.3: "The maximum #LPO is 14 for training and 20 for validation"
    (14, (0, 14), (15, 20)),
    (10, (0, 10), (11, 20)),
    (0, (0, 0), (1, 20)),        # single terms only
    (19, (0, 19), (20, 20)),
    (25, (0, 25), (26, 26)),     # beyond the paper's maximum: one #LPO past training
])
def test_train_max_moves_the_ranges(train_max, train, test):
    task = get_task("m10ae", **({} if train_max is None else {"train_max": train_max}))
    assert (task.train_range, task.test_range) == (train, test)
    assert task.difficulties("train") == list(range(train[1] + 1))
    assert task.difficulties("test") == list(range(test[1] + 1))


def test_training_draws_stay_in_the_training_range():
    task = get_task("m10ae", train_max=3)
    drawn = {ex.difficulty for ex in task.sample(np.random.default_rng(0), 400)}
    assert drawn == {0, 1, 2, 3}
    train, valid = fixed_datasets(seed=0, n_train=600, n_valid=600, task=task)
    assert set(describe(train)["lpo"]) == {0, 1, 2, 3} and set(describe(valid)["lpo"]) == set(range(21))


@pytest.mark.parametrize("bad", [-1, 100, 2.5, True, "10"])
def test_bad_train_max_names_what_is_allowed(bad):
    with pytest.raises(TaskError, match=r"m10ae: train_max must be an integer #LPO 0-99, got "):
        get_task("m10ae", train_max=bad)
    with pytest.raises(TaskError, match=r"train_max must be an integer #LPO 0-29"):
        get_task("m10ae", train_max=30, max_lpo=30)


def test_describe_counts_by_hand():
    task = get_task("m10ae")
    exs = [task.analysis_set(np.random.default_rng(0), n=1)[0]]
    d = describe(exs)
    assert d["lpo"] == {2: 1} and d["term_numerals"] == {1: 2, 3: 1} and d["tokens"] == {9: 1}


def test_analysis_set_structure():
    task = get_task("m10ae")
    examples = task.analysis_set(np.random.default_rng(0))
    assert len(examples) == 500 and len(ANALYSIS_STRUCTURE) == 9
    cats = {"N": "123456789", "L": "+-", "H": "*/"}
    for ex in examples:
        assert len(ex.input) == 9 and ex.difficulty == 2
        assert all(tok in cats[name[0]] for tok, name in zip(ex.input, ANALYSIS_STRUCTURE))
        assert ex.target == [str(shunting_yard(ex.input))]
    for step in range(9):  # every symbol of each category shows up at each position
        assert {ex.input[step] for ex in examples} == set(cats[ANALYSIS_STRUCTURE[step][0]])


def test_encode_ids_and_last_step_mask():
    task = get_task("m10ae")
    exs = [task.sample_one(np.random.default_rng(0), 0), task.sample_one(np.random.default_rng(0), 3)]
    exs[0].input, exs[0].target = list("8+6*3/2-4"), ["4"]
    b = task.encode(exs)
    assert b.x[0].tolist() == [8, 10, 6, 12, 3, 13, 2, 11, 4] + [0] * (b.x.shape[1] - 9)
    assert b.mask.sum(1).tolist() == [1, 1] and b.mask[0, 8] and b.y[0, 8] == 4
    assert b.mask[1, len(exs[1].input) - 1]
