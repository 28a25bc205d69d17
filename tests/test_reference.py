"""The quick profile's numbers, recomputed, against the committed reference in tests/reference.

Every chapter's quick runs are trained afresh in one scratch run cache (never data/), then the
numbers its claims and tables rest on are compared with ``tests/reference/<chapter>.json``
within :data:`mannlib.reference.ATOL` / ``RTOL`` (see :mod:`mannlib.reference` for why these
can be tight), or with ``tests/reference/cpu/<kind>/<chapter>.json`` on a CPU kind whose numbers
differ and which keeps its own set. A changed number fails here until the reference is regenerated on purpose:
``python -m mannlib reference --write``, and the diff of tests/reference/ reviewed.
"""
import json

import pytest

from mannlib import reference as R
from mannlib.chapters import chapter as get_chapter


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    with R.scratch_cache(tmp_path_factory.mktemp("reference-runs")) as root:
        yield root


@pytest.mark.parametrize("chapter", R.CHAPTERS)
def test_quick_profile_matches_the_reference(cache, chapter):
    try:
        R.source(chapter)
    except R.StaleReference as e:
        pytest.skip(str(e))
    diffs = R.check(chapter, R.compute(chapter))
    assert not diffs, (f"{len(diffs)} numbers of the {chapter} chapter changed (first {min(len(diffs), 25)} below); "
                       f"(compared with {R.source(chapter)}); if that is intended, run `python -m mannlib reference "
                       f"{chapter} --write` and review the diff of tests/reference/\n" + "\n".join(diffs[:25]))


def test_reference_files_say_how_to_regenerate_them():
    for chapter in R.CHAPTERS:
        stored = json.loads(R.path_of(chapter).read_text())
        assert f"python -m mannlib reference {chapter} --write" in stored["about"]
        assert {"claims", "tables"} <= set(stored) and (stored["claims"] or not get_chapter(chapter).paper_says()), chapter
        assert all(set(c) == {"verdict", "ours", "criterion"} for c in stored["claims"].values())
    for own in sorted((R.REFERENCE_DIR / R.KINDS).glob("*/*.json")):   # the CPU kinds' own sets
        stored = json.loads(own.read_text())
        assert own.stem in R.CHAPTERS and R.kind_slug(stored["cpu"]) == own.parent.name, own
        assert f"python -m mannlib reference {own.stem} --write --cpu" in stored["about"], own
        assert len(stored["default_sha256"]) == 64 and {"claims", "tables"} <= set(stored), own


@pytest.fixture
def kinds(tmp_path, monkeypatch):
    """A scratch reference directory on a machine whose CPU kind the test sets (``kinds.cpu``)."""
    from mannlib import portable
    monkeypatch.setattr(portable, "active", lambda: True)
    state = type("Kinds", (), {"cpu": "AMD EPYC", "dir": tmp_path})()
    monkeypatch.setattr(portable, "cpu_kind", lambda *a: state.cpu)
    return state


def test_a_cpu_kind_reads_its_own_set_and_others_the_default(kinds):
    d = kinds.dir
    R.write("lantm", {"claims": {}, "tables": {"x": 1.0}}, d)                   # the default set, on an AMD EPYC
    assert json.loads(R.path_of("lantm", d).read_text())["cpu"] == "AMD EPYC"
    kinds.cpu = "Intel(R) Xeon(R) Processor"
    assert R.source("lantm", d) == R.path_of("lantm", d)                       # no set of its own: the default
    assert R.check("lantm", {"claims": {}, "tables": {"x": 2.0}}, d) == ["lantm/tables/x: expected 1.0, got 2.0"]
    own = R.write("lantm", {"claims": {}, "tables": {"x": 2.0}}, d, cpu=True)
    assert own == d / "cpu" / "intel-r-xeon-r-processor" / "lantm.json"
    assert R.source("lantm", d) == own and R.check("lantm", {"claims": {}, "tables": {"x": 2.0}}, d) == []
    assert R.load("lantm", d) == {"claims": {}, "tables": {"x": 2.0}}          # no metadata in the record
    R.write("lantm", {"claims": {}, "tables": {"x": 3.0}}, d)                  # where it has a set, --write keeps to it
    assert R.load("lantm", d)["tables"]["x"] == 3.0
    kinds.cpu = "AMD EPYC"                                                     # ... and the default set is untouched
    assert R.source("lantm", d) == R.path_of("lantm", d) and R.load("lantm", d)["tables"]["x"] == 1.0
    assert R.check("lantm", {"claims": {}, "tables": {"x": 3.0}}, d) == ["lantm/tables/x: expected 1.0, got 3.0"]


def test_a_cpu_kinds_set_goes_stale_when_the_default_set_is_rewritten(kinds):
    d = kinds.dir
    R.write("mirror", {"claims": {}, "tables": {"x": 1.0}}, d)
    kinds.cpu = "Intel(R) Xeon(R) Processor"
    R.write("mirror", {"claims": {}, "tables": {"x": 2.0}}, d, cpu=True)
    kinds.cpu = "AMD EPYC"
    R.write("mirror", {"claims": {}, "tables": {"x": 1.5}}, d)                 # an intended change, on the AMD
    kinds.cpu = "Intel(R) Xeon(R) Processor"
    with pytest.raises(R.StaleReference, match="reference mirror --write --cpu"):
        R.source("mirror", d)
    R.write("mirror", {"claims": {}, "tables": {"x": 2.5}}, d)                 # recorded again on the Intel
    assert R.check("mirror", {"claims": {}, "tables": {"x": 2.5}}, d) == []


def test_a_cpu_kinds_set_needs_a_default_set_beside_it(kinds):
    with pytest.raises(FileNotFoundError, match="reference copy --write` first"):
        R.write("copy", {"claims": {}, "tables": {}}, kinds.dir, cpu=True)


def test_cpu_kind_is_the_model_name(tmp_path):
    from mannlib import portable
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Processor\n")
    assert portable.cpu_kind(str(info)) == "Intel(R) Xeon(R) Processor"
    assert portable.cpu_kind(str(tmp_path / "none")) != ""                     # no cpuinfo: what platform says
    assert R.kind_slug("Intel(R) Xeon(R) Processor") == "intel-r-xeon-r-processor" and R.kind_slug("()") == "unknown"


def test_differences_are_exact_except_for_float_slack():
    ref = {"a": 1, "b": [0.5, "x", None], "c": {"d": 0.25}}
    assert R.differences(ref, json.loads(json.dumps(ref))) == []
    assert R.differences(ref, {**ref, "a": 2}) == ["/a: expected 1, got 2"]
    assert R.differences(ref, {**ref, "b": [0.5 + 1e-7, "x", None]}) == []                  # within ATOL + RTOL
    assert R.differences(ref, {**ref, "b": [0.5 + 1e-5, "x", None]}) == ["/b[0]: expected 0.5, got 0.50001"]
    assert R.differences(ref, {**ref, "b": [0.5, "y", None]}) == ["/b[1]: expected 'x', got 'y'"]
    assert R.differences(ref, {**ref, "b": [0.5, "x"]}) == ["/b: 3 values expected, got 2"]
    assert R.differences(ref, {"a": 1, "b": ref["b"], "c": {"e": 0.25}}) == ["/c/d: missing", "/c/e: unexpected"]
    assert R.differences({"v": 1.0}, {"v": None}) == ["/v: expected 1.0, got None"]


def test_plain_turns_frames_and_numpy_into_json():
    import numpy as np
    import pandas as pd
    df = pd.DataFrame({("x", "mean"): [np.float32(0.5), np.nan]}, index=pd.Index(["a", "b"], name="model"))
    assert R.plain(df) == {"model": ["a", "b"], "x/mean": [0.5, None]}
    assert R.plain({1: np.int64(3), "f": np.float64(np.inf), "b": np.bool_(True)}) == {"1": 3, "f": None, "b": True}
