"""The quick profile's numbers, recomputed, against the committed reference in tests/reference.

Every chapter's quick runs are trained afresh in one scratch run cache (never data/), then the
numbers its claims and tables rest on are compared with ``tests/reference/<chapter>.json``
within :data:`mannlib.reference.ATOL` / ``RTOL`` (see :mod:`mannlib.reference` for why these
can be tight). A changed number fails here until the reference is regenerated on purpose:
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
    diffs = R.check(chapter, R.compute(chapter))
    assert not diffs, (f"{len(diffs)} numbers of the {chapter} chapter changed (first {min(len(diffs), 25)} below); "
                       f"if that is intended, run `python -m mannlib reference {chapter} --write` and review the "
                       "diff of tests/reference/\n" + "\n".join(diffs[:25]))


def test_reference_files_say_how_to_regenerate_them():
    for chapter in R.CHAPTERS:
        stored = json.loads(R.path_of(chapter).read_text())
        assert f"python -m mannlib reference {chapter} --write" in stored["about"]
        assert {"claims", "tables"} <= set(stored) and (stored["claims"] or not get_chapter(chapter).paper_says()), chapter
        assert all(set(c) == {"verdict", "ours", "criterion"} for c in stored["claims"].values())


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
