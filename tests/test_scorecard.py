"""The reproduction scorecard: one row per checked claim, gathered from the chapters, never typed."""
import inspect
import json
import re

import pandas as pd
import pytest

from mannlib import scorecard as SC
from mannlib.chapters import CHAPTERS, chapter, lantm as L, memory_signatures as MS, mirror as M
from mannlib.chapters.base import MissingRuns
from mannlib.engine.paths import DATA, ROOT


@pytest.fixture(scope="module")
def paper():
    return SC.scorecard("paper")          # the committed runs; ~15 s, trains nothing


def test_rows_for_every_paper_with_allowed_verdicts(paper):
    assert list(paper.columns) == ["paper", "claim", "where", "paper says", "ours", "spread", "criterion", "verdict"]
    assert list(dict.fromkeys(paper.index.get_level_values("chapter"))) == list(SC.papers())   # the book's order
    assert set(CHAPTERS) - set(SC.papers()) == {"every_memory"}   # the one chapter beyond the papers: no claims
    assert set(paper["paper"]) == set(SC.papers().values())
    assert {p.split(" (")[0] for p in paper["paper"]} == {"Wang et al. 2019", "Yang 2016", "Koppula et al. 2018"}
    assert set(paper["verdict"]) <= set(SC.VERDICTS)
    assert paper.index.is_unique and paper.notna().all().all()
    assert (paper[["claim", "where", "paper says", "ours", "spread", "criterion"]] != "").all().all()
    for name in SC.papers():                                    # every row has the paper's side, no stale entry
        keys = {SC.paper_key(k) for k in paper.loc[name].index}   # a *_strict row quotes its claim's number
        assert keys == set(chapter(name).paper_says()), name


def test_counts_list_every_verdict(paper):
    counts = SC.verdict_counts(paper)
    assert list(counts.index) == list(SC.VERDICTS) and counts.sum() == len(SC.headline(paper))
    fake = pd.DataFrame({"verdict": ["partly", "partly", "reproduced"]})
    assert SC.verdict_counts(fake).to_dict() == {"reproduced": 1, "partly": 2, "not reproduced": 0, "not testable": 0}


def test_rows_agree_with_the_chapter_functions(paper):
    acc = M.accuracy_frame(M.load_runs(M.settings("paper")))
    for model in ("sann", "tann"):
        direct = M.generalisation_claim(acc, model)
        row = paper.loc[("mirror", direct.key)]
        assert (row["ours"], row["verdict"], row["where"], row["claim"]) == \
            (direct.ours, direct.verdict, direct.figure, direct.claim)
    scores = L.score_frame(L.load_runs(L.settings("paper"), train_missing=False))
    direct = L.invnorm_claim(scores)
    assert paper.loc[("lantm", "invnorm"), "ours"] == direct.ours
    assert paper.loc[("lantm", "invnorm"), "verdict"] == direct.verdict
    p = MS.get_profile("paper")                 # the setting the book reads (plateau: BBC News in WSJ's roles)
    r = MS.load_results(p)
    gru = [r[f"{p.domain}-gru-1x{h}"]["signatures"]["layer1"].marginal.mean() for h in (80, 160, 320, 640)]
    assert " → ".join(M.pct(v) for v in gru) in paper.loc[("memory_signatures", "size"), "ours"]


def test_paper_says_quotes_the_transcribed_tables():
    assert L.paper_says()["table4"] == "4x coarse: copy 100%, reverse 91%, bigramflip 96%"
    assert "addition 17%" in L.paper_says()["softmax"]


def test_the_calls_are_the_notebooks_calls():
    """Every claim function a chapter notebook calls, its chapter's ``claims`` calls too, and no other."""
    for name, alias in (("mirror", "M"), ("m10ae", "C"), ("lantm", "L")):
        nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
        source = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        ours = inspect.getsource(chapter(name).claims)
        pattern = rf"\b{alias}\.(\w+_claim)\("
        found = set(re.findall(rf"\b(?:{alias}\.)?(\w+_claim)\(", ours))
        if re.search(r"\bresults\(", ours):   # the LANTM chapter computes every claim in L.results
            found = set(re.findall(r"\b(\w+_claim)\(", inspect.getsource(L.results)))
        assert found and set(re.findall(pattern, source)) == found, name


def fake_card(rows):
    """A scorecard frame from (chapter, key, verdict) rows; every text names its row."""
    df = pd.DataFrame([{"chapter": c, "key": k, "paper": chapter(c).PAPER, "claim": f"claim {k} <b>", "where": f"Fig. {k}",
                        "paper says": f"paper {k}", "ours": f"ours {k}", "spread": f"spread {k}",
                        "criterion": f"criterion {k}", "verdict": v} for c, k, v in rows])
    return df.set_index(["chapter", "key"])


FAKE = fake_card([("mirror", "a", "reproduced"), ("mirror", "b", "partly"), ("lantm", "c", "not testable"),
                  ("lantm", "d", "not reproduced"), ("lantm", "e", "not testable")])


def test_summary_counts_each_chapter_and_all():
    table = SC.summary(FAKE)
    assert list(table.columns) == list(SC.VERDICTS) + ["claims"]
    papers = SC.papers()
    assert list(table.index) == [papers["mirror"], papers["lantm"], "all three papers"]
    assert table.loc[papers["mirror"]].tolist() == [1, 1, 0, 0, 2]
    assert table.loc[papers["lantm"]].tolist() == [0, 0, 1, 2, 3]
    assert table.loc["all three papers"].tolist() == [1, 1, 1, 2, 5]
    html = SC.summary_html(table)
    assert html.count("<tr>") == 4 and f'background-color: {SC.COLOURS["not testable"]}">not testable</th>' in html


def test_a_protocols_extra_rows_are_shown_but_not_counted():
    card = fake_card([("mirror", "a", "reproduced"), ("mirror", "a_strict", "not reproduced"),
                      ("mirror", "b", "partly")])
    assert list(SC.headline(card).index.get_level_values("key")) == ["a", "b"]
    assert SC.verdict_counts(card).to_dict() == {"reproduced": 1, "partly": 1, "not reproduced": 0, "not testable": 0}
    assert SC.summary(card).loc["all three papers", "claims"] == 2
    assert SC.paper_key("a_strict") == "a" and SC.paper_key("baselines") == "baselines"
    assert SC.card_html(card).count('class="verdict"') == 3                      # shown: every row


def test_card_rows_put_the_verdict_first_and_fold_the_long_text():
    html = SC.card_html(FAKE)
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    assert len(rows) == len(FAKE) + 1                           # the header, then one row per claim
    for (chapter, key), r in FAKE.iterrows():
        row = next(x for x in rows if f"claim {key} " in x)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        assert cells[0] == r["verdict"]                          # the verdict first, as a word ...
        assert f'class="verdict" style="background-color: {SC.COLOURS[r["verdict"]]}"' in row   # ... on its colour
        assert cells[2:] == [f"paper {key}", f"ours {key}"]
        folded = re.search(r"<details>(.*)</details>", cells[1]).group(1)
        assert f"criterion {key}" in folded and f"spread {key}" in folded and f"(Fig. {key})</summary>" in folded
    assert "claim a &lt;b&gt;" in html and "claim a <b>" not in html    # text is escaped
    heads = re.findall(r'<tr class="chapter"><th colspan="4"><a href="(\w+)\.html">', html)
    assert heads == ["mirror", "lantm"]                          # one heading per chapter, in order


def test_paper_card_links_every_chapter(paper):
    html = SC.card_html(paper)
    for name in SC.papers():
        assert f'href="{name}.html"' in html
    assert html.count('class="verdict"') == len(paper)


def test_spreads_say_what_the_runs_are(paper):
    """The LANTM rows name the seeds each model really has (once: "SoftMax: one seed" with three)."""
    s = L.settings("paper")
    lantm = paper.loc["lantm", "spread"]
    n = len(s.seeds["lantm-softmax"])
    assert "; SoftMax 2x coarse, " + (f"min-max over {n} seeds: copy" if n > 1 else "one seed: copy") in lantm["weighting"]
    from mannlib.engine.cache import settled
    lstm = [c.task for c in L.configs(s) + L.baseline_configs(s) if c.model == "lstm" and settled(c)]
    if lstm:                                                     # trained, or the committed baseline runs
        assert lantm["lstm"].startswith("2x coarse, one seed: ") and all(t in lantm["lstm"] for t in lstm)
    else:
        assert lantm["lstm"] == "no LSTM runs"


def test_m10ae_convergence_is_not_testable_at_our_budget(paper):
    row = paper.loc[("m10ae", "converge")]
    assert row["verdict"] == SC.NOT_TESTED and row["ours"].startswith("at this budget ")


def test_signature_claims_in_the_quick_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path))
    rows = MS.claims("quick")                 # trains the tiny models into tmp_path, ~6 s
    assert [c.key for c, _ in rows] == list(MS.paper_says())
    assert all(c.verdict in SC.VERDICTS for c, _ in rows)
    folder = tmp_path / f"signatures-quick-{MS.TRAINED}"                       # the setting the book reads
    assert MS.results_dir("quick") == folder and folder.is_dir() and DATA not in folder.parents


def test_paper_profile_trains_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path))          # an empty cache: every run is missing
    with pytest.raises(MissingRuns, match="mirror runs are missing"):
        M.claims("paper")
    assert not any(tmp_path.iterdir())
