"""The memory-signatures chapter's parameters (issue 17): ``settings`` checks every knob, the committed
units keep their names and folder, and a unit of other knobs gets a name or a folder of its own."""
import inspect

import pytest

from mannlib.chapters import memory_signatures as MS
from mannlib.engine.paths import DATA


def test_default_parameters_are_the_committed_setting():
    for profile in ("paper", "quick"):
        assert MS.settings(profile) is MS.get_profile(profile)
    p = MS.settings("paper", cells=["lstm", "gru"], delta=10, sizes=[640, 80, 160, 320], adaptation=0.05)
    assert p == MS.get_profile("paper")                               # the same values, however spelled
    assert MS.results_dir(p) == MS.models_dir(p) == DATA / "signatures"
    committed = sorted(f.stem for f in (DATA / "signatures").glob("*.json"))
    assert sorted(u.name for u in MS.units(p)) == committed            # every committed result, by its own name
    plateau = MS.settings("paper", "plateau")
    assert plateau is MS.PLATEAU_PROFILES["paper"] and MS.results_dir(plateau) == DATA / "signatures" / "plateau"


@pytest.mark.parametrize("knobs, message", [
    (dict(sizes=[80]), "at least two state sizes"), (dict(sizes=[80, -1]), "whole number >= 1"),
    (dict(deep_layers=1), "deep_layers must be a whole number >= 2"), (dict(deep_hidden=0), "deep_hidden"),
    (dict(main=2.5), "main must be a whole number"), (dict(cells=["rnn"]), "unknown cell 'rnn'; choose from gru, lstm"),
    (dict(cells=[]), "no cells given"), (dict(delta=1), "delta must be a whole number >= 2"),
    (dict(decoder_hidden=64, decoder_scales=[1.0]), "not both"), (dict(decoder_scales=[0]), "positive multiples"),
    (dict(dropouts=[1.0]), r"in \[0, 1\)"), (dict(adaptation=1.5), r"fraction in \(0, 1\]"),
    (dict(domain="wsj"), "unknown domain 'wsj'; choose one of news, bbc"),
    (dict(trained="long"), "choose one of short, plateau")])
def test_bad_parameters_name_what_is_allowed(knobs, message):
    with pytest.raises(ValueError, match=message):
        MS.settings("paper", **knobs)


def test_other_structure_means_other_names_in_the_same_folder():
    p = MS.settings("paper", sizes=[80, 1280], main=160, cells=["gru"], adaptation=0.1, deep_layers=6)
    names = [u.name for u in MS.units(p)]
    assert names == ["news-gru-1x80", "news-gru-1x1280", "news-gru-6x320",
                     "news-gru-1x160", "news-lstm-1x160",                 # Figs. 5 and 4c, whatever sizes and cells
                     "shakespeare-gru-1x160", "shakespeare-lstm-1x160", "shakespeare-lstm-1x160-news10", "ngram5-news"]
    assert MS.results_dir(p) == DATA / "signatures"                        # the decoding is the setting's
    assert MS.fig4_units(MS.settings("paper", adaptation=0.025))["b"] == "shakespeare-lstm-1x320-news2.5"
    assert {u.name for u in MS.units(MS.settings("paper", domain="bbc"))} >= {"bbc-lstm-1x640", "ngram5-bbc"}


def test_other_decoders_get_a_folder_of_their_own(monkeypatch, tmp_path):
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path))
    base = MS.models_dir("quick")
    folders = {MS.results_dir(MS.settings("quick", **k)) for k in
               (dict(delta=5), dict(delta=6), dict(decoder_hidden=64), dict(dropouts=[0.0]), dict(decoder_scales=[1.0]))}
    assert len(folders) == 5 and all(f.parent == base for f in folders)   # one each, beside the shared models
    assert MS.results_dir(MS.settings("quick", delta=5)).name.startswith("decoders-D5-h32-")
    assert MS.results_dir(MS.settings("quick", delta=5)) == MS.results_dir(MS.settings("quick", delta=5))


def test_a_stored_model_is_only_decoded_again(monkeypatch, tmp_path):
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path))
    MS.reproduce("quick", jobs=1, only=["news-gru-1x16"])
    p = MS.settings("quick", delta=4)
    table = MS.plan(p, time_update=lambda unit, p: 1.0, time_decoder=lambda dim, width, p: 0.5)
    row = table.loc["news-gru-1x16"]
    assert row["model_stored"] and not row["done"] and row["lm_min"] == 0 and row["eval_min"] == 0
    assert row["decoder_min"] == pytest.approx(80 * 0.5 / 60)              # quick: 80 decoder steps
    done = MS.reproduce(p, jobs=1, only=["news-gru-1x16"])
    assert done["news-gru-1x16"]["signatures"]["layer1"]["marginal"].__len__() == 4     # Δ = 4
    assert sorted(f.name for f in MS.results_dir(p).iterdir()) == ["news-gru-1x16.json"]   # no second model
    assert MS.load_results("quick")["news-gru-1x16"]["signatures"]["layer1"].accuracy.shape == (10, 31)


def test_the_pipeline_takes_the_notebook_parameters():
    knobs = [n for n, prm in inspect.signature(MS.PIPELINES["signatures"]).parameters.items()
             if prm.kind is prm.KEYWORD_ONLY]
    assert knobs == list(inspect.signature(MS.settings).parameters)[1:]   # all but profile
    assert MS.PIPELINES["signatures-plateau"].keywords == {"trained": "plateau"}
