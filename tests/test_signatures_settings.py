"""The memory-signatures chapter's parameters (issue 17): ``settings`` checks every knob, the committed
units keep their names and folder, and a unit of other knobs gets a name or a folder of its own.
The book reads the plateau setting (issue 21); the short setting is tested with trained="short"."""
import inspect

import pytest

from mannlib.chapters import memory_signatures as MS
from mannlib.engine.paths import DATA


def test_default_parameters_are_the_committed_setting():
    assert MS.TRAINED in MS.PLATEAU_CAPS                                # the book reads a plateau setting
    for profile in ("paper", "quick"):
        assert MS.settings(profile) is MS.get_profile(profile) is MS.get_profile(profile, MS.TRAINED)
        assert MS.settings(profile, "short") is MS.get_profile(profile, "short") is MS.PROFILES[profile]
    # the short setting: its committed results in data/signatures
    p = MS.settings("paper", "short", cells=["lstm", "gru"], delta=10, sizes=[640, 80, 160, 320], adaptation=0.05)
    assert p == MS.get_profile("paper", "short")                      # the same values, however spelled
    assert MS.results_dir(p) == MS.models_dir(p) == DATA / "signatures"
    committed = sorted(f.stem for f in (DATA / "signatures").glob("*.json"))
    assert sorted(u.name for u in MS.units(p)) == committed            # every committed result, by its own name
    # the default: the plateau setting the book reads, its committed results in data/signatures/<setting>
    plateau = MS.settings("paper", cells=["lstm", "gru"], delta=10, sizes=[640, 80, 160, 320], adaptation=0.05,
                          domain="bbc")
    assert plateau is MS.settings("paper", MS.TRAINED) and plateau.trained == MS.TRAINED
    assert MS.results_dir("paper") == MS.results_dir(plateau) == MS.models_dir(plateau) == DATA / "signatures" / MS.TRAINED
    names = [u.name for u in MS.units(plateau)]
    assert len(names) == len(set(names)) == 14
    assert {f.stem for f in (DATA / "signatures" / MS.TRAINED).glob("*.json")} == set(names)   # all committed
    for trained in MS.PLATEAU_CAPS:           # each plateau setting: the same units, by their own names
        assert [u.name for u in MS.units("paper", trained)] == names
        assert {f.stem for f in (DATA / "signatures" / trained).glob("*.json")} <= set(names)


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
    p = MS.settings("paper", "short", sizes=[80, 1280], main=160, cells=["gru"], adaptation=0.1, deep_layers=6)
    names = [u.name for u in MS.units(p)]
    assert names == ["news-gru-1x80", "news-gru-1x1280", "news-gru-6x320",
                     "news-gru-1x160", "news-lstm-1x160",                 # Figs. 5 and 4c, whatever sizes and cells
                     "shakespeare-gru-1x160", "shakespeare-lstm-1x160", "shakespeare-lstm-1x160-news10", "ngram5-news"]
    assert MS.results_dir(p) == DATA / "signatures"                        # the decoding is the setting's
    assert MS.fig4_units(MS.settings("paper", "short", adaptation=0.025))["b"] == "shakespeare-lstm-1x320-news2.5"
    assert {u.name for u in MS.units(MS.settings("paper", "short", domain="bbc"))} >= {"bbc-lstm-1x640", "ngram5-bbc"}
    # the same knobs in the default setting: BBC News in WSJ's roles, in its plateau folder
    p = MS.settings("paper", sizes=[80, 1280], main=160, cells=["gru"], adaptation=0.1, deep_layers=6)
    assert [u.name for u in MS.units(p)] == [
        "bbc-gru-1x80", "bbc-gru-1x1280", "bbc-gru-6x320", "bbc-gru-1x160", "bbc-lstm-1x160",
        "shakespeare-gru-1x160", "shakespeare-lstm-1x160", "shakespeare-lstm-1x160-bbc10", "ngram5-bbc"]
    assert MS.results_dir(p) == DATA / "signatures" / MS.TRAINED
    assert MS.fig4_units(MS.settings("paper", adaptation=0.025))["b"] == "shakespeare-lstm-1x320-bbc2.5"


@pytest.mark.parametrize("trained, folder, width", [("short", "signatures-quick", "h32"),          # 32-unit decoders
                                                    ("plateau", "signatures-quick-plateau", "rule0.25+1")])  # §4's rule
def test_other_decoders_get_a_folder_of_their_own(monkeypatch, tmp_path, trained, folder, width):
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path))
    base = MS.models_dir("quick", trained)
    assert base == tmp_path / folder
    folders = {MS.results_dir(MS.settings("quick", trained, **k)) for k in
               (dict(delta=5), dict(delta=6), dict(decoder_hidden=64), dict(dropouts=[0.0]), dict(decoder_scales=[1.0]))}
    assert len(folders) == 5 and all(f.parent == base for f in folders)   # one each, beside the shared models
    assert MS.results_dir(MS.settings("quick", trained, delta=5)).name.startswith(f"decoders-D5-{width}-")
    assert MS.results_dir(MS.settings("quick", trained, delta=5)) == MS.results_dir(MS.settings("quick", trained, delta=5))


def test_a_stored_model_is_only_decoded_again(monkeypatch, tmp_path):
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path))
    MS.reproduce("quick", jobs=1, only=["news-gru-1x16"], trained="short")
    p = MS.settings("quick", "short", delta=4)
    table = MS.plan(p, time_update=lambda unit, p: 1.0, time_decoder=lambda dim, width, p: 0.5)
    row = table.loc["news-gru-1x16"]
    assert row["model_stored"] and not row["done"] and row["lm_min"] == 0 and row["eval_min"] == 0
    assert row["decoder_min"] == pytest.approx(80 * 0.5 / 60)              # quick: 80 decoder steps
    done = MS.reproduce(p, jobs=1, only=["news-gru-1x16"])
    assert done["news-gru-1x16"]["signatures"]["layer1"]["marginal"].__len__() == 4     # Δ = 4
    assert sorted(f.name for f in MS.results_dir(p).iterdir()) == ["news-gru-1x16.json"]   # no second model
    assert MS.load_results("quick", "short")["news-gru-1x16"]["signatures"]["layer1"].accuracy.shape == (10, 31)


def test_the_pipeline_takes_the_notebook_parameters():
    knobs = [n for n, prm in inspect.signature(MS.PIPELINES["signatures"]).parameters.items()
             if prm.kind is prm.KEYWORD_ONLY]
    assert knobs == list(inspect.signature(MS.settings).parameters)[1:]   # all but profile
    # "signatures" trains the default setting (a plateau one; others with --set trained=...), "signatures-short"
    # the 300-update one
    assert set(MS.PIPELINES) == {"signatures", "signatures-short"} and MS.PIPELINES["signatures"] is MS.reproduce_all
    assert MS.PIPELINES["signatures-short"].func is MS.reproduce_all
    assert MS.PIPELINES["signatures-short"].keywords == {"trained": "short"}


def test_the_paper_claims_train_nothing_and_name_what_is_missing():
    """The scorecard reads the committed results: a paper profile with a unit missing raises
    MissingRuns (never hours of training), here the 14 units of decoders nobody committed."""
    from mannlib.chapters.base import MissingRuns
    p = MS.settings("paper", delta=5)                                  # another Δ: a folder of its own, empty
    assert MS.results_dir(p) == DATA / "signatures" / MS.TRAINED / MS.decoding_tag(p) and not MS.results_dir(p).exists()
    with pytest.raises(MissingRuns, match=r"14 memory_signatures units are missing from .*\(bbc-gru-1x80, "
                                          r"bbc-gru-1x160, bbc-gru-1x320, \.\.\.\): run notebooks/memory_signatures"):
        MS.claims(p)
    assert not MS.results_dir(p).exists()                              # nothing trained, nothing written
