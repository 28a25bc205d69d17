"""mannlib.methods.plots: every figure function draws from tiny synthetic inputs and returns its Figure."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from mannlib.methods import analysis as A, hypotheses as H, plots as P  # noqa: E402

L = 3
STEPS = A.mirror_step_names(L)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def runs(x: str, y: str) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame([{"model": m, "seed": s, x: v, y: rng.uniform()}
                         for m in ("sann", "lstm", "mine") for s in range(3) for v in range(1, 5)])


@pytest.mark.parametrize("band", ["minmax", "iqr", None])
def test_accuracy_vs_difficulty(band):
    fig = P.accuracy_vs_difficulty(runs("difficulty", "accuracy"), train_max=2, band=band)
    ax = fig.axes[0]
    assert isinstance(fig, plt.Figure)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["lstm", "sann", "mine"]  # paper order first
    med = runs("difficulty", "accuracy").query("model == 'lstm'").groupby("difficulty")["accuracy"].median()
    np.testing.assert_allclose(ax.lines[0].get_ydata(), med.values)
    assert ax.lines[-1].get_xdata()[0] == 2 and ax.lines[-1].get_linestyle() == "--"
    assert len(ax.collections) == (0 if band is None else 3)


def test_median_band_errors():
    with pytest.raises(ValueError, match="unknown band 'std'"):
        P.learning_curves(runs("step", "train_acc"), band="std")
    with pytest.raises(ValueError, match="missing step"):
        P.learning_curves(runs("difficulty", "train_acc"))


def test_learning_curves():
    fig = P.learning_curves(runs("step", "train_acc"))
    assert fig.axes[0].get_xlabel() == "step" and len(fig.axes[0].lines) == 3


def gates():
    rng = np.random.default_rng(0)
    return {"input": rng.uniform(size=(4, 2 * L + 1, 5)), "forget": rng.uniform(size=(4, 2 * L + 1, 5))}


def test_gate_saturation_and_categories():
    fig = P.gate_saturation(A.saturation(gates(), step_names=STEPS), phases=A.mirror_phases(L), title="TANN")
    assert len(fig.axes) == 2
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == STEPS
    cats = ["N", "L", "N", "H", "N", "L", "N"]
    assert isinstance(P.saturation_by_category(A.saturation_by_category(gates(), cats)), plt.Figure)


def test_policy_over_time_with_hypothesis():
    rng = np.random.default_rng(0)
    trace = {"p_push": rng.uniform(size=(4, 2 * L + 1)), "pops": 3 * rng.uniform(size=(4, 2 * L + 1))}
    hyp = H.mirror_sann(L)
    fig = P.policy_over_time(A.step_summary(trace, ["p_push", "pops"], STEPS), phases=A.mirror_phases(L),
                             hypothesis=hyp.policy)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2      # measured and hypothesised
    tann = H.mirror_tann(L, cells=5, start=0)
    trace = {k: rng.uniform(0, 5, size=(4, 2 * L + 1)) for k in ("addr_write", "addr_read")}
    fig = P.policy_over_time(A.step_summary(trace, ["addr_write", "addr_read"]),
                             groups=[["addr_write", "addr_read"]], hypothesis=tann.policy)
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 4


def test_memory_heatmaps():
    mem = A.mean_memory(np.random.default_rng(0).normal(size=(4, 9, 5, 10)))
    fig = P.memory_heatmaps(mem, step_names=["N0", "L0", "N1", "H0", "N2", "H1", "N3", "L1", "N4"])
    assert len(fig.axes) == 9 + 1   # one per step and the colour bar


def test_tsne_plots():
    rng = np.random.default_rng(0)
    y = np.repeat([1, 2, 3], 20)
    panel = A.TsnePanel(rng.normal(size=(60, 2)), y, 0.9, 0.3, 1 / 3, "knn")
    fig = P.tsne_scatter(panel, "(6, 17); x1")
    assert "knn acc 0.90 (shuffled 0.30, chance 0.33)" in fig.axes[0].get_title()
    fig = P.tsne_grid({"a": panel, "b": panel}, ncols=3)
    assert sum(ax.axison for ax in fig.axes) == 2


def test_agreement_heatmap_and_trace_table():
    df = pd.DataFrame({"step": [0, 0, 1], "cell": [0, 1, 0], "score": [1.0, 0.5, 0.2]})
    assert isinstance(P.agreement_heatmap(df), plt.Figure)
    fig = P.trace_table(H.m10ae_trace_frame(H.m10ae_algorithm("8+6*3/2-4")[1]), title="Fig. 8")
    table = fig.axes[0].tables[0]
    assert table.get_celld()[(0, 0)].get_text().get_text() == "8"       # header: the symbols
    assert table.get_celld()[(6, 3)].get_text().get_text() == "[6*, 4]"  # S after '*'
