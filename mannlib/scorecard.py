"""The reproduction scorecard: every claim the book checks, with our verdict, in one table.

:func:`scorecard` asks every chapter of the registry (:data:`mannlib.chapters.CHAPTERS`, in the
book's order) that reproduces a paper (:func:`reproductions`) for its claims,
``chapter.claims(profile)``: each chapter computes them with the same functions its notebook calls, so a row always says what its chapter says, and nothing is
typed by hand (in the paper profile everything is read from data/). The ``spread`` column gives
the range over seeds of the number a row rests on, or says which single run it comes from; the
``paper says`` column is ``chapter.paper_says()``, what the paper reports for the claim where its
text gives a number (typed once, in :mod:`mannlib.papers`).
"""
from __future__ import annotations

from html import escape

import pandas as pd

from .chapters import chapter as get_chapter, chapters
from .chapters.base import NOT_TESTED, VERDICTS as _VERDICTS

VERDICTS = _VERDICTS + (NOT_TESTED,)   # reproduced, partly, not reproduced, not testable


def reproductions() -> dict:
    """The chapters that reproduce a paper, in the book's order: every chapter of the registry
    whose ``paper_says()`` names a claim. A chapter beyond the papers (``every_memory``) checks
    no paper's claims and has no row."""
    return {name: c for name, c in chapters().items() if c.paper_says()}


def papers() -> dict[str, str]:
    """chapter name -> the paper (and section) it reproduces, in the book's order."""
    return {name: c.PAPER for name, c in reproductions().items()}


# --- the table ------------------------------------------------------------------------------------
PROTOCOL_ROWS = ("_strict",)   # a Wang chapter's extra rows: the same claim under the strict protocol


def paper_key(key: str) -> str:
    """The claim whose paper number a row quotes: its own key, or for a protocol's extra row
    (``generalise_sann_strict``) the claim it repeats (``generalise_sann``)."""
    for suffix in PROTOCOL_ROWS:
        if key.endswith(suffix):
            return key.removesuffix(suffix)
    return key


def scorecard(profile: str = "paper") -> pd.DataFrame:
    """One row per claim of the three papers, in the book's order. Index (chapter, key: the
    claim's key in its chapter); columns paper, claim, where (the paper's figure or table),
    paper says (its number, or what kind of evidence it gives), ours, spread (over seeds),
    criterion, verdict (one of :data:`VERDICTS`)."""
    rows = []
    for name, chapter in reproductions().items():
        says = chapter.paper_says()
        for claim, spread in chapter.claims(profile):
            rows.append({"chapter": name, "key": claim.key, "paper": chapter.PAPER, "claim": claim.claim,
                         "where": claim.figure, "paper says": says.get(paper_key(claim.key), ""),
                         "ours": claim.ours, "spread": spread, "criterion": claim.criterion,
                         "verdict": claim.verdict})
    return pd.DataFrame(rows).set_index(["chapter", "key"])


def headline(df: pd.DataFrame) -> pd.DataFrame:
    """The rows that judge a paper's claims under the paper's protocol: all but a protocol's extra
    rows (``*_strict``, the same claim under another protocol, shown but not counted)."""
    if "key" not in df.index.names:
        return df
    return df[[paper_key(k) == k for k in df.index.get_level_values("key")]]


def verdict_counts(df: pd.DataFrame) -> pd.Series:
    """How many headline rows (:func:`headline`) have each verdict, every verdict of
    :data:`VERDICTS` listed (zeros included)."""
    return headline(df)["verdict"].value_counts().reindex(list(VERDICTS), fill_value=0).rename("claims")


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """How much of each paper holds: one row per chapter (named by its chapter's ``PAPER``, in the book's
    order) and a last row "all three papers"; columns the :data:`VERDICTS` (counts of headline
    rows: a protocol's extra rows are not counted twice) and "claims"."""
    rows = {get_chapter(c).PAPER: verdict_counts(df.loc[[c]]) for c in dict.fromkeys(df.index.get_level_values("chapter"))}
    rows["all three papers"] = verdict_counts(df)
    table = pd.DataFrame(rows).T.rename_axis("paper")
    return table.assign(claims=table.sum(axis=1))


COLOURS = {"reproduced": "#d4edda", "partly": "#fff3cd", "not reproduced": "#f8d7da", NOT_TESTED: "#e2e3e5"}
STYLE = """<style>
table.scorecard, table.scorecard-summary {font-size: 0.9em; border-collapse: collapse}
table.scorecard {width: 100%; table-layout: fixed}
table.scorecard th, table.scorecard td, table.scorecard-summary th, table.scorecard-summary td {
  text-align: left; vertical-align: top; padding: 0.3em 0.5em; border-bottom: 1px solid #dee2e6}
table.scorecard td.verdict {font-weight: bold}
table.scorecard tr.chapter th {padding-top: 1em}
table.scorecard summary {cursor: pointer}
</style>"""


def summary_html(table: pd.DataFrame) -> str:
    """:func:`summary` as a small HTML table, each verdict's column headed in its colour."""
    head = "".join(f'<th style="background-color: {COLOURS[v]}">{escape(v)}</th>' for v in VERDICTS)
    rows = "".join(f"<tr><th>{escape(paper)}</th>" + "".join(f"<td>{int(row[v])}</td>" for v in VERDICTS)
                   + f"<td>{int(row['claims'])}</td></tr>" for paper, row in table.iterrows())
    return (f'{STYLE}<table class="scorecard-summary"><thead><tr><th>paper</th>{head}<th>claims</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def card_html(df: pd.DataFrame) -> str:
    """The scorecard for the page, one short row per claim, grouped by chapter under a heading row
    that links to the chapter's page. Columns: verdict (its word on its colour), claim (with the
    figure or table), the paper says, ours; how the row was judged (criterion) and the spread over
    seeds are folded in a <details> under the claim."""
    body = []
    for chapter, rows in df.groupby(level="chapter", sort=False):
        body.append(f'<tr class="chapter"><th colspan="4"><a href="{chapter}.html">{escape(get_chapter(chapter).PAPER)}</a>'
                    "</th></tr>")
        for _, r in rows.iterrows():
            body.append(
                f'<tr><td class="verdict" style="background-color: {COLOURS.get(r["verdict"], "")}">'
                f'{escape(r["verdict"])}</td>'
                f'<td><details><summary>{escape(r["claim"])} ({escape(r["where"])})</summary>'
                f'<p><b>Criterion:</b> {escape(r["criterion"])}</p><p><b>Spread:</b> {escape(r["spread"])}</p>'
                f"</details></td><td>{escape(r['paper says'])}</td><td>{escape(r['ours'])}</td></tr>")
    widths = "".join(f'<col style="width: {w}">' for w in ("7.5em", "34%", "24%", "auto"))
    return (f'{STYLE}<table class="scorecard"><colgroup>{widths}</colgroup><thead><tr><th>verdict</th>'
            '<th>claim (click for how it is judged)</th><th>the paper says</th><th>ours</th></tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')
