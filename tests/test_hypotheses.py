"""The hypothesised strategies of Wang et al. 2019 (§3.2, §3.3), pinned down by hand."""
import itertools

import numpy as np
import pytest

from mannlib.methods import hypotheses as H
from mannlib.tasks.m10ae import evaluate as task_evaluate

_ = None


# --- mirror, TANN ---------------------------------------------------------------------------

def test_tann_small_case_by_hand():
    h = H.mirror_tann(3, cells=5, start=3)
    assert h.step_names == ["x1", "x2", "x3", "<EOS>", "y1", "y2", "y3"]
    assert h.positions == [
        [_, _, _, 1, _],      # x1 written to cell 3
        [_, _, _, 1, 2],      # x2 to cell 4
        [3, _, _, 1, 2],      # x3 to cell 0 (wraps round)
    ] + [[3, _, _, 1, 2]] * 4  # nothing is written after the input
    nan = float("nan")
    np.testing.assert_array_equal(h.policy["addr_write"], [3, 4, 0, nan, nan, nan, nan])
    np.testing.assert_array_equal(h.policy["addr_read"], [nan, nan, nan, nan, 0, 4, 3])  # x3, x2, x1


def test_tann_paper_layout():
    """The paper's TANN: w^w <- 17, w^r <- (17 + L - 1) % N with N = 20."""
    h = H.mirror_tann(5)
    assert h.policy["addr_write"][:5] == [17, 18, 19, 0, 1]
    assert h.policy["addr_read"][6:] == [1, 0, 19, 18, 17]
    held = h.frame().query("step == 10").set_index("cell")["position"].to_dict()
    assert held == {0: 4, 1: 5, 17: 1, 18: 2, 19: 3}


def test_tann_negative_stride_and_overwrite():
    h = H.mirror_tann(2, cells=4, start=1, stride=-1)
    assert h.positions[1] == [2, 1, _, _] and h.policy["addr_read"][3:] == [0, 1]
    h = H.mirror_tann(3, cells=2, start=0)          # L > N: x3 overwrites x1
    assert h.positions[2] == [3, 2]
    assert h.policy["addr_read"][4:] == [0, 1, 0]   # y3 reads x3's cell: the strategy fails, as written


@pytest.mark.parametrize("length,start,stride", [(1, 0, 1), (5, 17, 1), (7, 3, -1), (20, 9, 1)])
def test_both_strategies_reverse_the_input(length, start, stride):
    """What each strategy outputs at y_j is x_{L-j+1}: the pseudo-codes really do mirror."""
    tann = H.mirror_tann(length, start=start, stride=stride)
    sann = H.mirror_sann(length)
    for j in range(1, length + 1):
        t = length + j                                           # step of y_j
        assert tann.positions[t][int(tann.policy["addr_read"][t])] == length - j + 1
        assert sann.positions[t - 1][0] == length - j + 1         # the top it outputs, then pops


def test_labels_map_positions_to_the_samples_inputs():
    h = H.mirror_tann(3, cells=5, start=3)
    lab = h.labels([[5, 7, 9], [1, 2, 3]])
    assert lab.shape == (2, 7, 5)
    assert lab[0, 0].tolist() == [_, _, _, 5, _]
    assert lab[1, 6].tolist() == [3, _, _, 1, 2]
    with pytest.raises(ValueError, match=r"\(B, L\) with L = 3"):
        h.labels([[1, 2]])


def test_tape_layout_recovers_start_and_stride():
    for start, stride in [(17, 1), (2, -1), (0, 2)]:
        h = H.mirror_tann(5, cells=20, start=start, stride=stride)
        w = np.zeros((4, 11, 20))
        for t, a in enumerate(h.policy["addr_write"][:5]):
            w[:, t, int(a)] = 0.9
            w[:, t, (int(a) + 5) % 20] = 0.1
        assert H.tape_layout(w, 5) == (start, stride)
    assert H.tape_layout(w, 1) == (0, 1)
    with pytest.raises(ValueError, match="w_write must be"):
        H.tape_layout(w[0], 5)


# --- mirror, SANN ---------------------------------------------------------------------------

def test_sann_small_case_by_hand():
    h = H.mirror_sann(3, cells=4)
    assert h.positions == [
        [1, _, _, _], [2, 1, _, _], [3, 2, 1, _],   # x1..x3 pushed, top first
        [3, 2, 1, _],                                # <EOS>: nothing
        [2, 1, _, _], [1, _, _, _], [_, _, _, _],    # y1..y3: output the top, pop it
    ]
    assert h.policy == {"p_push": [1, 1, 1, 0, 0, 0, 0], "pops": [0, 0, 0, 0, 1, 1, 1]}
    assert H.mirror_sann(3, cells=2).positions[2] == [3, 2]   # a full stack drops its bottom
    assert H.mirror_sann(2).labels([[4, 9]])[0, 2, :3].tolist() == [9, 4, None]
    with pytest.raises(ValueError, match="length >= 1"):
        H.mirror_sann(0)


# --- M10AE ----------------------------------------------------------------------------------

def reference(tokens) -> int:
    """Independent M10AE evaluator: first collapse every term (* and / left to right), then add
    and subtract the terms left to right; every intermediate result is taken mod 10."""
    nums, ops = [int(t) for t in tokens[0::2]], tokens[1::2]
    terms, lows = [nums[0]], []
    for op, n in zip(ops, nums[1:]):
        if op == "*":
            terms[-1] = terms[-1] * n % 10
        elif op == "/":
            terms[-1] = terms[-1] % n % 10
        else:
            lows.append(op)
            terms.append(n)
    value = terms[0]
    for op, term in zip(lows, terms[1:]):
        value = (value + term if op == "+" else value - term) % 10
    return value


def test_reference_on_the_paper_example():
    assert reference(list("8+6*3/2-4")) == 4   # Table 1: (6*3)%10=8, 8%2=0, 8+0=8, 8-4=4
    assert reference(list("6*3/4")) == 0       # (18 % 10) % 4 = 0, not 18 % 4 = 2


def test_algorithm_evaluates_random_expressions():
    rng = np.random.default_rng(0)
    for _ in range(3000):
        n = int(rng.integers(1, 16))                              # numerals
        nums = rng.choice(list("123456789"), size=n)
        ops = rng.choice(list("+-*/"), size=n - 1)
        tokens = [nums[0]] + [t for pair in zip(ops, nums[1:]) for t in pair]
        result, trace = H.m10ae_algorithm(tokens)
        assert result == reference(tokens) == task_evaluate(tokens), "".join(tokens)
        assert all(len(row["S"]) <= 2 for row in trace)           # the stack never holds more than 2


def test_figure_8_trace_by_hand():
    result, trace = H.m10ae_algorithm("8+6*3/2-4")
    assert result == 4
    got = [(r["symbol"], r["l0"], r["l0'"], r["l1"], r["p0"], r["p1"], r["S"], r["pops"], r["pushes"])
           for r in trace]
    assert got == [
        ("8", 8, 0, 8, None, None, (8,), 0, 1),
        ("+", 8, 0, 8, "+", None, (), 1, 0),
        ("6", 4, 8, 6, "+", None, (4,), 0, 1),              # premature 8+6 ...
        ("*", 8, 8, 6, "+", None, ((6, "*"), 4), 0, 1),      # ... undone: l0 <- l0'
        ("3", 6, 8, 8, "+", "*", (6,), 2, 1),                # 6*3 = 8, 8+8 = 6
        ("/", 8, 8, 8, "+", "*", ((8, "/"), 6), 0, 1),
        ("2", 8, 8, 0, "+", "/", (8,), 2, 1),                # 8 % 2 = 0, 8+0 = 8
        ("-", 8, 8, 0, "-", "/", (), 1, 0),
        ("4", 4, 8, 4, "-", None, (4,), 0, 1),               # 8-4 = 4
    ]
    frame = H.m10ae_trace_frame(trace)
    assert list(frame.index) == ["l0", "l0'", "l1", "p0", "p1", "S"]
    assert frame[(3, "*")].tolist() == ["8", "8", "6", "+", "null", "[6*, 4]"]


def test_symbolic_run_names_what_each_variable_holds():
    result, trace = H.m10ae_algorithm("N0 L0 N1 H0 N2 H1 N3 L1 N4".split(), symbolic=True)
    assert result == "N0L0N1H0N2H1N3L1N4"
    assert trace[4]["l1"] == "N1H0N2" and trace[4]["S"] == ("N0L0N1H0N2",)
    assert trace[5]["S"] == (("N1H0N2", "H1"), "N0L0N1H0N2")
    assert trace[8]["l0'"] == "N0L0N1H0N2H1N3"
    with pytest.raises(ValueError, match="must start with N, L or H"):
        H.m10ae_algorithm(["N0", "X"], symbolic=True)


def test_no_zero_divisor():
    """The right operand of / is always the numeral just read (1..9); a 0 can only be a left
    operand. Every N H N H N expression evaluates without ZeroDivisionError."""
    assert H.m10ae_algorithm("5*2/3")[0] == 0                  # 10 % 10 = 0, then 0 % 3 = 0
    assert H.m10ae_algorithm("5*2/3")[1][2]["l1"] == 0
    for a, p, b, q, c in itertools.product("123456789", "*/", "123456789", "*/", "123456789"):
        tokens = [a, p, b, q, c]
        assert H.m10ae_algorithm(tokens)[0] == reference(tokens)
    with pytest.raises(ValueError, match="allowed: numerals 1-9"):
        H.m10ae_algorithm("8/0")


@pytest.mark.parametrize("bad", ["", "8+", "+8", "88", "8+*2"])
def test_malformed_expressions_are_refused(bad):
    with pytest.raises(ValueError, match="malformed M10AE expression"):
        H.m10ae_algorithm(bad)


def test_cell_labels_read_the_stack():
    lab = H.m10ae_cell_labels(["8+6*3/2-4", "1+1"], cells=3)
    assert lab.shape == (2, 9, 3)
    assert lab[0, 3].tolist() == [(6, "*"), 4, None]
    assert lab[0, 8].tolist() == [4, None, None]
    assert lab[1, 2].tolist() == [2, None, None] and lab[1, 3:].tolist() == [[None] * 3] * 6
    assert H.m10ae_cell_labels(["8+6*3"], cells=1)[0, 3].tolist() == [(6, "*")]
