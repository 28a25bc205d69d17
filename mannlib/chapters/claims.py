"""What every chapter shares: a paper's claim next to ours with a verdict, and glue for the book.

A chapter module computes each claim as a :class:`Claim` from its runs, with the thresholds of
the verdict as module constants that the chapter quotes; :func:`claims_table` and
:func:`summary` put them side by side, and :mod:`mannlib.scorecard` gathers them all.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

VERDICTS = ("reproduced", "partly", "not reproduced")
NOT_TESTED = "not testable"   # a claim our runs cannot test: a model we could not afford to train, or curves
                              # our budget cut short (a claim function says when it answers this)


@dataclass
class Claim:
    key: str        # short name for glue: generalise_tann, baselines, ...
    claim: str      # the paper's claim, in its words where possible
    figure: str     # where the paper shows it
    criterion: str  # what we count as reproduced / partly
    ours: str       # what our runs show, with numbers
    verdict: str    # one of VERDICTS, or NOT_TESTED


def verdict(full: bool, partial: bool) -> str:
    """'reproduced' if ``full``, else 'partly' if ``partial``, else 'not reproduced'."""
    return VERDICTS[0] if full else VERDICTS[1] if partial else VERDICTS[2]


def pct(x: float, digits: int = 1) -> str:
    """0.953 -> '95.3%' (digits=1) or '95%' (digits=0)."""
    return f"{100 * x:.{digits}f}%"


def points(x: float) -> str:
    """0.2 -> '20 points' (a difference of percentages)."""
    return f"{100 * x:.0f} points"


def check_models(df: pd.DataFrame, models, what: str):
    """ValueError naming the missing ones unless ``df["model"]`` holds every one of ``models``."""
    missing = [m for m in models if m not in set(df["model"])]
    if missing:
        raise ValueError(f"{what} needs runs of {', '.join(models)}; missing {', '.join(missing)}")


def summary(claims: list[Claim]) -> str:
    """The verdicts counted and listed, e.g. "We check 2 claims: 1 reproduced, 0 partly, 1 not
    reproduced. Reproduced: SANN generalises. Not reproduced: TANN generalises." (NOT_TESTED
    is counted only when a claim has it.)"""
    kinds = VERDICTS + ((NOT_TESTED,) if any(c.verdict == NOT_TESTED for c in claims) else ())
    counts = {v: [c.claim for c in claims if c.verdict == v] for v in kinds}
    head = f"We check {len(claims)} claims: " + ", ".join(f"{len(cs)} {v}" for v, cs in counts.items()) + "."
    return " ".join([head] + [f"{v.capitalize()}: {'; '.join(cs)}." for v, cs in counts.items() if cs])


def claims_table(claims: list[Claim]) -> pd.DataFrame:
    """The paper's claims next to ours: one row per claim."""
    return pd.DataFrame([{"paper's claim": c.claim, "where": c.figure, "ours": c.ours,
                          "criterion": c.criterion, "verdict": c.verdict} for c in claims],
                        index=pd.Index([c.key for c in claims], name="claim"))


def glue_figure(name: str, fig):
    """``myst_nb.glue`` a figure for a ``{glue:figure}`` directive, and close it (no second copy)."""
    import matplotlib.pyplot as plt
    from myst_nb import glue
    glue(name, fig, display=False)
    plt.close(fig)


def glue_values(prefix: str, values: dict):
    """``myst_nb.glue`` every value under ``prefix + key`` without display; numpy scalars become
    Python numbers so that ``{glue:text}`key:.1%``` formats them."""
    from myst_nb import glue
    for key, value in values.items():
        glue(prefix + key, value.item() if isinstance(value, np.generic) else value, display=False)
