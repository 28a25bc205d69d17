"""mannlib.chapters.wang_runs and the Wang chapters' ``protocol`` knob: which runs a chapter reads
(the protocol's final runs once its campaign is complete, else the fixed-setting runs), the
protocol's test scores, the tuning tables, and the strict protocol's extra claim rows, on the
quick profile's campaigns in a scratch cache."""
import pandas as pd
import pytest

from mannlib.chapters import mirror as M, wang_protocol as W, wang_runs as R
from mannlib import scorecard as SC
from mannlib.chapters.mirror import contract
from mannlib.engine.cache import load_run, run_id

MODELS = ("tann", "sann")


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """Both mirror protocols for TANN and SANN, and M10AE's shared campaign for SANN, run to the end
    in one scratch cache (quick profile)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("MANNLIB_RUNS", str(tmp_path_factory.mktemp("runs")))
    mp.setenv("MANNLIB_PROGRESS", "none")
    quiet = lambda line: None  # noqa: E731
    before = {p: R.complete("mirror", p, "quick", MODELS) for p in R.PROTOCOLS}
    for p in R.PROTOCOLS:
        assert W.reproduce("mirror", p, profile="quick", jobs=1, models=MODELS, out=quiet) == 0
    for p in R.PROTOCOLS:   # shared runs: strict trains only the cells its own halving keeps beyond paper's
        assert W.reproduce("m10ae", p, profile="quick", jobs=1, models=("sann",), out=quiet) == 0
    yield before
    mp.undo()


def test_a_campaign_is_complete_once_every_model_has_its_seeds(campaign):
    assert campaign == {"paper": False, "strict": False}
    assert all(R.complete("mirror", p, "quick", MODELS) for p in R.PROTOCOLS)
    assert not R.complete("mirror", "paper", "quick", ("srnn",) + MODELS)       # srnn never trained
    assert all(R.complete("m10ae", p, "quick", ("sann",)) for p in R.PROTOCOLS)
    with pytest.raises(R.IncompleteProtocol, match="reproduce mirror --protocol paper"):
        R.final_configs("mirror", "paper", "quick", ("srnn",))


def test_the_chapter_reads_the_protocols_final_runs_with_their_best_checkpoint(campaign):
    s = M.settings("quick", models=MODELS, protocol="paper")
    assert s.protocol == "paper" and s.seeds == (0, 1, 2)
    states = W.states("mirror", "paper", "quick", MODELS)
    assert M.configs(s) == [c for st in states for c in st.final]
    runs = M.load_runs(s)
    assert [(r.config.model, r.config.seed) for r in runs] == [(m, k) for m in MODELS for k in (0, 1, 2)]
    for r in runs:
        assert r.model is not None and list(r.eval.index) == list(range(1, 11))
        assert r.config.keep_best and r.summary["best_step"] <= r.summary["steps"]
    # the chosen cell differs per protocol only through the dev set: both read complete runs
    strict = M.load_runs(M.settings("quick", models=MODELS, protocol="strict"))
    assert all(r.config.dev_difficulties == (1, 2, 3, 4, 5) for r in strict)
    assert all(r.config.dev_difficulties == tuple(range(1, 11)) for r in runs)


def test_auto_reads_the_paper_protocol_only_when_complete_and_no_knob_is_set(campaign, monkeypatch):
    assert M.settings("quick", models=MODELS).protocol == "fixed"        # quick: auto is always fixed
    monkeypatch.setattr(R, "complete", lambda *a, **k: True)
    assert R.resolve("auto", "mirror", "paper") == "paper"
    assert M.settings("paper").protocol == "paper"
    assert M.settings("paper", lr=1e-4).protocol == "fixed"               # a fixed-setting knob: fixed
    assert M.settings("paper", seeds=2).protocol == "fixed"
    monkeypatch.setattr(R, "complete", lambda *a, **k: False)
    assert M.settings("paper").protocol == "fixed"


def test_a_protocol_with_a_fixed_setting_knob_or_an_unknown_protocol_is_refused(campaign):
    with pytest.raises(ValueError, match="cells change the fixed-setting runs"):
        M.settings("quick", protocol="paper", cells=5)
    with pytest.raises(ValueError, match="choose one of auto, paper, strict, fixed"):
        M.settings("quick", protocol="best")


def test_tuning_table_holds_every_first_rung_cell_and_the_chosen_one(campaign):
    table = M.tuning_table("paper", "quick", MODELS)
    assert list(table.index.get_level_values("model")) == list(MODELS)
    assert list(table.columns) == ["lr 0.003, batch 8", "lr 0.003, batch 16", "lr 0.001, batch 8",
                                   "lr 0.001, batch 16", "chosen"]
    rung0 = W.tuning_table("mirror", "paper", "quick", MODELS).query("rung == 0")
    for m in MODELS:
        assert table.loc[m].iloc[0, :4].tolist() == rung0[rung0["model"] == m]["dev_acc"].tolist()
        (st,) = W.states("mirror", "paper", "quick", (m,))
        assert table.loc[m, "chosen"].iloc[0] == W.label(st.chosen)
    curves = R.tuning_curves("mirror", "paper", "quick", MODELS)
    assert set(curves.groupby("model")["cell"].nunique()) == {4}                 # every cell, longest rung
    assert (curves["examples"] == curves["step"] * curves["cell"].str.extract(r"batch (\d+)")[0].astype(int)).all()


def test_convergence_table_and_both_protocols_frame(campaign):
    runs = M.load_runs(M.settings("quick", models=MODELS, protocol="paper"))
    table = R.convergence_table(runs, train_examples=None)
    assert len(table) == 6 and set(table["stopped by"]) <= {"patience", "cap"}
    assert (table["best at"] <= table["updates"]).all()
    for r, (_, row) in zip(runs, table.iterrows()):
        assert row["updates"] == r.summary["steps"]
        assert row["stopped by"] == ("patience" if r.summary["stopped_early"] else "cap")
    m10ae = R.convergence_table(R.final_runs("m10ae", "paper", "quick", ("sann",), train=False), train_examples=128)
    assert (m10ae["epochs to best"] == [round(r["best at"] * int(r["cell"].split()[3]) / 128, 1)
                                         for _, r in m10ae.iterrows()]).all()
    acc = R.protocols_frame("mirror", "quick", MODELS)
    assert list(dict.fromkeys(acc["protocol"])) == ["paper", "strict"] and len(acc) == 2 * 6 * 10
    results = M.protocol_results("quick", MODELS)
    assert list(results["protocol"].unique()) == ["paper", "strict"] and len(results) == 12


def test_m10ae_strict_reads_the_shared_runs_second_criterion_without_weights(campaign):
    paper = R.final_runs("m10ae", "paper", "quick", ("sann",), train=False)
    strict = R.final_runs("m10ae", "strict", "quick", ("sann",), train=False)
    for r in strict:
        raw = load_run(r.id)
        assert r.model is None and r.eval.equals(raw.within["eval"]) and r.summary == raw.within["summary"]
    for r in paper:
        assert r.model is not None and r.eval.equals(load_run(r.id).eval)


def test_strict_rows_join_the_claims_only_when_the_chapter_reads_the_paper_protocol(campaign):
    s = M.settings("quick", models=("srnn", "lstm") + MODELS, protocol="fixed")
    assert contract.strict_claims(s) == []
    # a chapter reading the paper protocol adds the strict rows once strict is complete
    rows = contract.strict_claims(M.settings("quick", models=MODELS, protocol="paper"))
    assert [c.key for c, _ in rows] == ["generalise_sann_strict", "generalise_tann_strict", "baselines_strict"]
    assert all("strict protocol" in c.claim for c, _ in rows) and rows[2][0].verdict == "not testable"
    acc = M.accuracy_frame(R.final_runs("mirror", "strict", "quick", MODELS, train=False))
    assert rows[0][0].verdict == M.generalisation_claim(acc, "sann").verdict
    assert {SC.paper_key(c.key) for c, _ in rows} <= set(contract.paper_says())


def test_progress_says_where_a_campaign_stands(campaign):
    p = M.protocol_progress("quick", MODELS)
    assert list(p.index.get_level_values("protocol").unique()) == ["paper", "strict"]
    assert (p["seeds trained"] == "3 of 3").all() and p["chosen"].notna().all()
    assert "complete" in R.progress_text("mirror", "paper", "quick", MODELS)
    text = R.progress_text("mirror", "paper", "quick", ("lstm",))
    assert "under way" in text and "0 of the 4 tuning runs" in text
    assert pd.isna(R.progress("mirror", "paper", "quick", ("lstm",)).loc["lstm", "chosen"])
