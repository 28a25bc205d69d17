"""mannlib.methods.analysis on hand-made arrays: gate saturation, policies, memory, verification scores."""
import numpy as np
import pytest
import torch

from mannlib.methods import analysis as A

# Two samples, three steps, two units; the boundaries 0.1 and 0.9 themselves are not saturated.
GATE = np.array([
    [[0.05, 0.5], [0.5, 0.5], [0.1, 0.9]],    # sample 0: steps 0, 1, 2
    [[0.95, 0.05], [0.5, 0.5], [0.0, 1.0]],   # sample 1
])  # (B=2, T=3, H=2)


def test_saturation_per_step_by_hand():
    df = A.saturation({"input": GATE, "forget": GATE[:, ::-1]}, step_names=["a", "b", "c"])
    got = {(r.gate, r.side, r.step): r.ratio for r in df.itertuples()}
    # input gate: step 0 has 0.05, 0.05 below and 0.95 above; step 2 has 0.0 below and 1.0 above
    assert got[("input", "left", 0)] == 0.5 and got[("input", "right", 0)] == 0.25
    assert got[("input", "left", 1)] == 0.0 and got[("input", "right", 1)] == 0.0
    assert got[("input", "left", 2)] == 0.25 and got[("input", "right", 2)] == 0.25
    # the forget gate is the input gate backwards in time
    for t in range(3):
        assert got[("forget", "left", t)] == got[("input", "left", 2 - t)]
    assert list(df.columns) == ["step", "gate", "side", "ratio", "symbol"]
    assert len(df) == 2 * 2 * 3 and set(df["symbol"]) == {"a", "b", "c"}


def test_saturation_takes_tensors_and_other_thresholds():
    df = A.saturation({"i": torch.tensor(GATE, requires_grad=True)}, lo=0.2, hi=0.6)
    right = df[df.side == "right"].set_index("step")["ratio"]
    assert right.tolist() == [0.25, 0.0, 0.5]   # 0.9 and 1.0 are above 0.6 at step 2


def test_saturation_errors():
    with pytest.raises(ValueError, match=r"\(B, T, H\)"):
        A.saturation({"i": GATE[0]})
    with pytest.raises(ValueError, match="non-empty dict"):
        A.saturation(GATE)
    with pytest.raises(ValueError, match="2 step names for 3"):
        A.saturation({"i": GATE}, step_names=["a", "b"])


def test_saturation_by_category_pools_steps_and_skips_padding():
    df = A.saturation_by_category({"input": GATE}, ["N", "L", "N"])
    got = {(r.category, r.side): (r.ratio, r.n_steps) for r in df.itertuples()}
    # N pools steps 0 and 2 of both samples: 8 values, 3 below 0.1 (0.05, 0.05, 0.0), 2 above 0.9
    assert got[("N", "left")] == (3 / 8, 4) and got[("N", "right")] == (2 / 8, 4)
    assert got[("L", "left")] == (0.0, 2)
    cats = np.array([["N", "L", None], ["N", "L", "N"]], dtype=object)  # (B, T), one padded step
    df = A.saturation_by_category({"input": GATE}, cats)
    got = {(r.category, r.side): (r.ratio, r.n_steps) for r in df.itertuples()}
    assert got[("N", "left")] == (3 / 6, 3)  # sample 0 step 2 left out
    with pytest.raises(ValueError, match=r"categories must be"):
        A.saturation_by_category({"input": GATE}, ["N", "L"])


def test_symbol_category():
    assert [A.symbol_category(s) for s in "8+6*3/2-4"] == ["N", "L", "N", "H", "N", "H", "N", "L", "N"]
    assert A.symbol_category("<EOS>") == "delimiter"
    assert A.symbol_category(None) is None and A.symbol_category("<pad>") is None
    with pytest.raises(ValueError, match="allowed: numerals 1-9"):
        A.symbol_category("0")


def test_mirror_steps_and_phases():
    assert A.mirror_step_names(2) == ["x1", "x2", "<EOS>", "y1", "y2"]
    assert A.mirror_phases(2) == {"encoding": (0, 1), "delimiter": (2, 2), "decoding": (3, 4)}


def test_step_summary_by_hand():
    trace = {"p_push": torch.tensor([[1.0, 0.0], [0.0, 0.0], [0.5, 1.0]]), "pops": np.ones((3, 2))}
    df = A.step_summary(trace, ["p_push", "pops"], step_names=["x1", "<EOS>"])
    row = df[(df.quantity == "p_push") & (df.step == 0)].iloc[0]
    assert row["mean"] == pytest.approx(0.5) and row["std"] == pytest.approx(np.std([1, 0, 0.5]))
    assert row["q25"] == 0.25 and row["q75"] == 0.75 and row["symbol"] == "x1"
    assert df[df.quantity == "pops"]["mean"].tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="trace has no 'addr_read'"):
        A.step_summary(trace, ["addr_read"])


def test_mean_memory():
    mem = np.arange(2 * 3 * 4 * 5, dtype=float).reshape(2, 3, 4, 5)   # (B, T, N, d)
    out = A.mean_memory(mem, dims=3)
    assert out.shape == (3, 4, 3)
    np.testing.assert_allclose(out, (mem[0, ..., :3] + mem[1, ..., :3]) / 2)
    with pytest.raises(ValueError, match=r"\(B, T, N, d\)"):
        A.mean_memory(mem[0])


def clusters(n=200, d=10, seed=0):
    """Four well-separated Gaussian clusters of sizes 80, 40, 40, 40 (majority 0.4)."""
    rng = np.random.default_rng(seed)
    y = np.repeat([1, 2, 3, 4], [80, 40, 40, 40])[:n]
    centres = rng.normal(0, 10, size=(5, d))
    return centres[y] + rng.normal(0, 0.5, size=(n, d)), y


def test_probe_score_separates_true_from_random_labels():
    X, y = clusters()
    good = A.probe_score(X, y)
    assert good["score"] == 1.0 and good["chance"] == 0.4
    assert good["shuffled_score"] < 0.45
    rand = A.probe_score(X, np.random.default_rng(1).permutation(y))
    assert rand["score"] < 0.45 and rand["chance"] == 0.4
    assert A.probe_score(X, y, probe="logreg")["score"] == 1.0


def test_tsne_panel_scores_clusters_and_random_labels():
    X, y = clusters()
    panel = A.tsne_panel(X, y, seed=0)
    assert panel.embedding.shape == (200, 2) and list(panel.labels) == list(y)
    assert panel.score >= 0.99 and panel.shuffled_score < 0.45 and panel.chance == 0.4
    # the picture itself separates the clusters: each point's nearest embedded neighbour shares its label
    dist = ((panel.embedding[:, None] - panel.embedding[None]) ** 2).sum(-1) + np.eye(200) * 1e9
    assert (y[dist.argmin(1)] == y).mean() >= 0.99
    noise = A.tsne_panel(np.random.default_rng(2).normal(size=(200, 10)), y, seed=0)
    assert noise.score < noise.chance + 0.1


def test_labels_must_be_complete_and_aligned():
    X, y = clusters()
    with pytest.raises(ValueError, match="labels contain None"):
        A.probe_score(X, [None] + list(y[1:]))
    with pytest.raises(ValueError, match=r"vectors must be \(n, d\)"):
        A.probe_score(X, y[:-1])
    with pytest.raises(ValueError, match="unknown probe 'svm'"):
        A.probe_score(X, y, probe="svm")


def test_hypothesis_agreement_finds_the_cell_that_holds_the_label():
    rng = np.random.default_rng(0)
    B, T, N, d = 120, 2, 3, 6
    y = rng.integers(1, 4, size=B)
    memory = rng.normal(size=(B, T, N, d))
    memory[:, 1, 0] += 8 * np.eye(d)[y]                 # step 1, cell 0 holds the label
    labels = np.full((B, T, N), None, dtype=object)
    labels[:, 1, 0] = labels[:, 1, 1] = y               # the hypothesis claims cells 0 and 1
    labels[:5, 0, 2] = 1                                # partly labelled: not scored
    df = A.hypothesis_agreement(memory, labels)
    assert df[["step", "cell"]].values.tolist() == [[1, 0], [1, 1]]
    assert df.iloc[0]["score"] == 1.0 and df.iloc[1]["score"] < 0.6
