"""The M10AE chapter's ``protocol`` knob (mannlib.chapters.m10ae with mannlib.chapters.wang_runs):
which main runs the chapter reads (Wang's protocol's final runs, or the fixed setting's), what
stays the fixed setting's (the grid, the long runs), the refusals, and the strict protocol's
extra claim rows, on the quick profile's campaigns in a scratch cache."""
import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from mannlib import scorecard as SC  # noqa: E402
from mannlib.chapters import m10ae as C, wang_protocol as W, wang_runs as R  # noqa: E402
from mannlib.chapters.m10ae import contract  # noqa: E402
from mannlib.engine.cache import load_run  # noqa: E402

MODELS = ("lstm", "sann")


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """M10AE's paper protocol for LSTM and SANN run to the end, then its strict protocol (the same
    shared runs, read by their second criterion), in one scratch cache (quick profile); what the
    chapter said between the two."""
    mp = pytest.MonkeyPatch()
    mp.setenv("MANNLIB_RUNS", str(tmp_path_factory.mktemp("runs")))
    mp.setenv("MANNLIB_PROGRESS", "none")
    quiet = lambda line: None  # noqa: E731
    assert W.reproduce("m10ae", "paper", profile="quick", jobs=1, models=MODELS, out=quiet) == 0
    between = {"strict_complete": R.complete("m10ae", "strict", "quick", MODELS),
               "strict_rows": contract.strict_claims(C.settings("quick", models=MODELS, protocol="paper"))}
    assert W.reproduce("m10ae", "strict", profile="quick", jobs=1, models=MODELS, out=quiet) == 0
    yield between
    mp.undo()


def final(protocol: str) -> list:
    return [c for st in W.states("m10ae", protocol, "quick", MODELS) for c in st.final]


def test_auto_reads_the_paper_protocol_only_when_complete_and_no_fixed_setting_knob_is_set(monkeypatch):
    assert C.settings("quick").protocol == "fixed"                       # quick: auto is always fixed
    monkeypatch.setattr(R, "complete", lambda *a, **k: True)
    assert C.settings("quick").protocol == "fixed"
    assert C.settings("paper").protocol == "paper" and C.settings("paper").seeds == W.spec("m10ae").seeds
    assert C.settings("paper", models=["sann", "lstm"]).protocol == "paper"      # models may change with it
    assert C.settings("paper", train_max=C.TRAIN_MAX).protocol == "paper"        # the default is no knob
    for knob in (dict(steps=3000), dict(seeds=1), dict(lr=1e-4), dict(batch_size=64), dict(cells=10),
                 dict(width=50), dict(hidden=64), dict(train_max=10)):
        assert C.settings("paper", **knob).protocol == "fixed", knob
    assert C.paper_runs() == C.paper_configs()          # `reproduce m10ae` trains the fixed setting whatever auto says
    monkeypatch.setattr(R, "complete", lambda *a, **k: False)
    assert C.settings("paper").protocol == "fixed"


def test_a_protocol_with_a_fixed_setting_knob_or_an_unknown_protocol_is_refused():
    with pytest.raises(ValueError, match="steps, cells change the fixed-setting runs.*only models may change"):
        C.settings("quick", protocol="paper", steps=10, cells=5)
    with pytest.raises(ValueError, match="train_max change the fixed-setting runs.*protocol='fixed'"):
        C.settings("quick", protocol="strict", train_max=10)
    with pytest.raises(ValueError, match="choose one of auto, paper, strict, fixed"):
        C.settings("quick", protocol="best")
    assert C.settings("quick", protocol="fixed", cells=5).cells == 5


def test_under_a_protocol_the_main_runs_are_its_final_runs_and_the_rest_stays_fixed(campaign):
    s, fixed = C.settings("quick", models=MODELS, protocol="paper"), C.settings("quick", models=MODELS)
    assert s.protocol == "paper" and s.seeds == (0, 1, 2) and C.fixed_settings(s) == fixed
    assert C.configs(s) == final("paper") and len(C.configs(s)) == 6
    runs = C.load_runs(s)
    assert [r.config for r in runs] == final("paper")
    for r in runs:
        assert r.model is not None and r.config.keep_best and r.eval.equals(load_run(r.id).eval)
    assert C.grid_configs(s) == C.grid_configs(fixed) and C.long_configs(s) == C.long_configs(fixed)
    every = {c.to_json() for c in C.every_config(s)}
    assert {c.to_json() for c in final("paper") + C.configs(fixed) + C.long_configs(fixed)} <= every


def test_strict_reads_the_shared_runs_second_criterion_and_analyses_read_the_paper_protocol(campaign):
    s = C.settings("quick", models=MODELS, protocol="strict")
    assert C.configs(s) == final("strict") != final("paper")           # SANN's strict choice differs here
    for r in C.load_runs(s):
        raw = load_run(r.id)
        assert r.model is None and r.eval.equals(raw.within["eval"]) and r.summary == raw.within["summary"]
    analysed = C.analysis_runs(s, long_runs=[])
    assert [r.config for r in analysed] == final("paper") and all(r.model is not None for r in analysed)


def test_the_budget_and_the_convergence_claim_count_each_runs_own_epochs(campaign):
    s = C.settings("quick", models=MODELS, protocol="paper")
    runs = C.load_runs(s)
    epochs = C.claim_epochs(s, runs)
    for r in runs:
        assert epochs[r.config.model, r.config.seed] == pytest.approx(
            r.summary["steps"] * r.config.batch_size / r.config.train_examples)
    assert C.wall_times(runs).loc["sann", "steps"] == pd.Series(
        [r.summary["steps"] for r in runs if r.config.model == "sann"]).median()
    claim = C.convergence_claim(C.curve_frame(runs), epochs)
    assert f"{epochs.min():.1f}-{epochs.max():.1f} epochs, each run until it stopped improving" in claim.ours
    values = C.reading_values(s, runs)
    assert "paper protocol's runs" in values["protocol_text"]
    assert f"median {epochs.median():.1f}" in values["budget_text"]
    fixed = C.settings("quick", models=MODELS)
    assert C.claim_epochs(fixed, C.load_runs(fixed)) == C.budget(fixed, C.configs(fixed)[0])["epochs"]


def test_strict_rows_join_the_claims_only_when_the_chapter_reads_the_paper_protocol_and_strict_is_complete(campaign):
    assert campaign == {"strict_complete": False, "strict_rows": []}    # the strict seeds were not trained yet
    assert contract.strict_claims(C.settings("quick", models=MODELS, protocol="fixed")) == []
    assert contract.strict_claims(C.settings("quick", models=MODELS, protocol="strict")) == []
    assert contract.strict_claims(C.settings("quick", models=("srnn",) + MODELS, protocol="paper")) == []
    rows = contract.strict_claims(C.settings("quick", models=MODELS, protocol="paper"))
    assert [c.key for c, _ in rows] == ["generalise_strict", "memory_strict", "srnn_strict"]
    assert all("strict protocol: chosen on #LPO 0-14 only" in c.claim for c, _ in rows)
    acc = C.accuracy_frame(R.final_runs("m10ae", "strict", "quick", MODELS, train=False))
    assert rows[0][0].verdict == C.generalisation_claim(acc).verdict and rows[2][0].verdict == "not testable"
    assert rows[0][1].startswith("mean accuracy at #LPO 15-20, min-max over 3 seeds: ")
    assert {SC.paper_key(c.key) for c, _ in rows} <= set(contract.paper_says())


def test_the_protocol_section_shows_both_campaigns_and_the_chosen_cells(campaign):
    p = C.protocol_progress("quick", MODELS)
    assert list(p.index.get_level_values("protocol").unique()) == ["paper", "strict"]
    assert (p["seeds trained"] == "3 of 3").all() and p["chosen"].notna().all()
    table = C.protocol_tuning_table("paper", "quick", MODELS)
    assert list(table.index) == [("lstm", ""), ("sann", 3), ("sann", 6)]        # SANN: one row per number of cells
    (st,) = W.states("m10ae", "paper", "quick", ("sann",))
    assert (table["chosen"] == W.label(st.chosen)).sum() == 1
    results = C.protocol_results("quick", MODELS)
    assert list(results["protocol"].unique()) == ["paper", "strict"] and len(results) == 12
    assert results["epochs to best"].notna().all()
    assert "epochs" in C.protocol_values("quick", MODELS)["rungs"]
    text = R.progress_text("m10ae", "paper", "quick", ("srnn", "lstm"))          # SimpRNN never trained here
    assert "under way" in text and text.endswith("and LSTM has a chosen cell")
