"""Mirror (Wang §3.1-3.2): layout, reversal, tensors, per-bit metrics, analysis set."""
import numpy as np
import pytest
import torch

from mannlib.tasks import get_task
from mannlib.tasks.base import TaskError
from mannlib.tasks.mirror import labels


def test_layout_and_reversal():
    task = get_task("mirror")
    for L in range(1, 11):
        ex = task.sample_one(np.random.default_rng(L), L)
        seq = ex.input[:L]
        assert ex.input == seq + ["<EOS>"] + ["000000000"] * L
        assert ex.target == list(reversed(seq)) and ex.difficulty == L
        assert all(len(v) == 9 and set(v) <= {"0", "1"} for v in seq)


def test_bits_are_fair_coins():
    bits = np.array([[int(c) for v in ex.input[:10] for c in v]
                     for ex in get_task("mirror").sample(np.random.default_rng(0), 200, 10)])
    assert abs(bits.mean() - 0.5) < 0.02


def test_encode_vectors_delimiter_and_mask():
    task = get_task("mirror")
    exs = task.sample(np.random.default_rng(0), 4, None)
    b = task.encode(exs)
    T = max(len(e.input) for e in exs)
    assert b.x.shape == (4, T, 10) and b.y.shape == (4, T, 9) and b.mask.shape == (4, T)
    for i, ex in enumerate(exs):
        L = ex.difficulty
        assert b.x[i, :L, :9].tolist() == [[float(c) for c in v] for v in ex.input[:L]]
        assert b.x[i, :, 9].tolist() == [1.0 if t == L else 0.0 for t in range(T)]  # delimiter channel
        assert b.x[i, L:, :9].abs().sum() == 0                                      # zeros while answering
        assert b.mask[i].tolist() == [L < t <= 2 * L for t in range(T)]
        assert b.y[i, b.mask[i]].tolist() == [[float(c) for c in v] for v in ex.target]
        assert b.y[i, ~b.mask[i]].abs().sum() == 0


def token_by_token(task, examples):
    """The readable encoding, token by token: the specification of Mirror.encode's vectorised one."""
    from mannlib.tasks.base import answer_aligned_batch
    xs, ys = [], []
    for ex in examples:
        x = torch.zeros(len(ex.input), task.input_size)
        for t, tok in enumerate(ex.input):
            if tok == "<EOS>":
                x[t, -1] = 1.0
            else:
                x[t, :-1] = torch.tensor([float(c) for c in tok])
        xs.append(x)
        ys.append(torch.stack([torch.tensor([float(c) for c in tok]) for tok in ex.target]))
    return answer_aligned_batch(xs, ys, [ex.difficulty for ex in examples])


@pytest.mark.parametrize("bits,difficulty", [(9, None), (9, 10), (5, 3), (12, 1)])
def test_encode_matches_the_token_by_token_reading(bits, difficulty):
    task = get_task("mirror", bits=bits)
    exs = task.sample(np.random.default_rng(bits), 64, difficulty)
    exs += task.analysis_set(np.random.default_rng(1), 8, 5) if bits >= 4 else []
    fast, spec = task.encode(exs), token_by_token(task, exs)
    for name in ("x", "y", "mask"):
        a, b = getattr(fast, name), getattr(spec, name)
        assert a.dtype == b.dtype and torch.equal(a, b), name


def test_sampling_draws_the_same_bits_as_before():
    # the bit strings are the rng's integers(0, 2, (L, bits)) rows, in order: committed runs depend on it
    rng, ref = np.random.default_rng(7), np.random.default_rng(7)
    ex = get_task("mirror").sample_one(rng, 6)
    assert ex.input[:6] == ["".join(map(str, v)) for v in ref.integers(0, 2, size=(6, 9))]


@pytest.mark.parametrize("token", ["00000000", "0000000002", "00000000x", "00000000é", ""])
def test_a_bad_token_is_named(token):
    task = get_task("mirror")
    ex = task.sample_one(np.random.default_rng(0), 2)
    ex.input[1] = token
    with pytest.raises(TaskError, match=f"mirror token {token!r} is neither '<EOS>' nor a 9-character bit string"):
        task.encode([ex])


def test_score_counts_whole_sequences_and_bits():
    task = get_task("mirror")
    b = task.encode(task.sample(np.random.default_rng(0), 3, 4))
    logits = b.y * 2 - 1                          # perfect answers
    s = task.score(logits, b)
    assert s["correct"].all() and s["units_total"].tolist() == [36] * 3
    assert (s["units_correct"] == 36).all()
    t = b.mask[1].nonzero()[0, 0]
    logits[1, t, 5] *= -1                          # one wrong bit in example 1
    logits[2, 0, 0] = -logits[2, 0, 0]            # unscored step: no effect
    s = task.score(logits, b)
    assert s["correct"].tolist() == [True, False, True]
    assert s["units_correct"].tolist() == [36, 35, 36]
    assert torch.isclose(task.loss(b.y * 20 - 10, b), torch.tensor(0.0), atol=1e-3)


def test_analysis_set_uses_codes_of_one_to_nine():
    task = get_task("mirror")
    exs = task.analysis_set(np.random.default_rng(0))
    assert len(exs) == 500 and {e.difficulty for e in exs} == {5}
    labs = np.array([labels(e) for e in exs])
    assert labs.shape == (500, 5) and set(labs.ravel()) == set(range(1, 10))
    assert exs[0].input[0] == format(labs[0, 0], "09b")
    assert labels(exs[0])[::-1] == [int(v, 2) for v in exs[0].target]
    assert get_task("mirror").analysis_set(np.random.default_rng(0), n=3, length=7)[0].difficulty == 7


def test_train_max_moves_the_training_range_and_tests_beyond_it():
    from mannlib.tasks.mirror import Mirror
    assert (Mirror().train_range, Mirror().test_range) == ((1, 5), (6, 10))          # §3.2
    assert (Mirror(train_max=8).train_range, Mirror(train_max=8).test_range) == ((1, 8), (9, 10))
    assert Mirror(train_max=12).test_range == (13, 13)                               # at least one longer length
    for bad in (0, 100):
        with pytest.raises(Exception, match="train_max must be 1-99"):
            Mirror(train_max=bad)
