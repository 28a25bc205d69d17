"""What every chapter shares: claims with verdicts, the words and numbers of the book, glue.

A chapter is a package under :mod:`mannlib.chapters` (registered in
:data:`mannlib.chapters.CHAPTERS`) that answers, for a profile ("paper" or "quick"):

* ``RUNS``: reproduce target -> a function returning the paper-profile :class:`RunConfig` list
  (``python -m mannlib reproduce TARGET`` trains them; the notebook loads the same configs), or
  ``PIPELINES``: target -> ``reproduce(profile, jobs)`` for experiments that are not RunConfigs;
* ``claims(profile) -> list[tuple[Claim, str]]``: every claim the chapter checks, with the spread
  over seeds that the number rests on (the scorecard reads these and replays nothing);
* ``PAPER``: the paper and section the chapter reproduces, and ``paper_says() -> dict``: what the
  paper reports for each claim key (typed once, in :mod:`mannlib.papers`).

A chapter computes each claim as a :class:`Claim` from its runs, with the thresholds of the
verdict as module constants that the chapter quotes; :func:`claims_table` and :func:`summary`
put them side by side.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine.files import RunError

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


def glue_claims(claims: list[Claim]):
    """``myst_nb.glue`` each claim's verdict and our numbers as ``verdict_KEY`` and ``ours_KEY``,
    for the prose ("**{glue:text}`verdict_invnorm`** ({glue:text}`ours_invnorm`)")."""
    for c in claims:
        glue_values("", {f"verdict_{c.key}": c.verdict, f"ours_{c.key}": c.ours})


def glue_values(prefix: str, values: dict):
    """``myst_nb.glue`` every value under ``prefix + key`` without display; numpy scalars become
    Python numbers so that ``{glue:text}`key:.1%``` formats them."""
    from myst_nb import glue
    for key, value in values.items():
        glue(prefix + key, value.item() if isinstance(value, np.generic) else value, display=False)


# --- the notebooks' parameters, checked alike in every chapter ----------------------------------
def subset(values, allowed: tuple, what: str) -> tuple:
    """``values`` (a name or a list of names) checked against ``allowed``, in ``allowed``'s order;
    ValueError naming the allowed ones for an unknown or empty choice."""
    values = (values,) if isinstance(values, str) else tuple(values)
    bad = [v for v in values if v not in allowed]
    if bad or not values:
        raise ValueError((f"unknown {what} {bad[0]!r}" if bad else f"no {what}s given")
                         + f"; choose from {', '.join(allowed)}")
    return tuple(v for v in allowed if v in values)


def seed_tuple(seeds) -> tuple:
    """Seeds as the notebooks take them: a number n (seeds 0..n-1) or a list of seeds >= 0."""
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds must be a positive number or a list of seeds, got {seeds!r}")
        return tuple(range(seeds))
    try:
        seeds = tuple(seeds)
    except TypeError:
        raise ValueError(f"seeds must be a positive number or a list of seeds >= 0, got {seeds!r}") from None
    if not seeds or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in seeds):
        raise ValueError(f"seeds must be a positive number or a list of seeds >= 0, got {list(seeds)!r}")
    return tuple(sorted(set(seeds)))


# --- numbers shared by the chapters ---------------------------------------------------------------
def noise(p: float, n: int) -> float:
    """Two standard errors of the difference of two accuracies near ``p``, each measured on ``n``
    independent examples: 2 sqrt(2 p (1 - p) / n). A smaller gap is not a difference."""
    return 2 * math.sqrt(2 * p * (1 - p) / n)


def epochs(steps: int, batch_size: int, train_examples: int | None) -> float:
    """Passes over a fixed training set of ``train_examples`` that ``steps`` updates of
    ``batch_size`` make (fresh samples every batch, ``train_examples`` None: 1.0 per run)."""
    return steps * batch_size / (train_examples or steps * batch_size)


def require(configs, chapter: str):
    """In the paper profile the scorecard trains nothing new: :class:`MissingRuns` naming the
    command to run unless every run is in the cache, complete or with a committed checkpoint (a
    run that diverges after it, such as one LANTM SoftMax run, resumes and diverges again in
    seconds)."""
    from ..engine.cache import DIVERGED, MANIFEST, run_path
    from ..engine.train import CHECKPOINT
    missing = [run_path(c).name for c in configs
               if not any((run_path(c) / f).exists() for f in (MANIFEST, CHECKPOINT, DIVERGED))]
    if missing:
        raise MissingRuns(f"the scorecard reads the committed runs, and {len(missing)} {chapter} runs are missing "
                          f"({', '.join(missing[:3])}, ...): run notebooks/{chapter}.ipynb or "
                          f"`python -m mannlib reproduce {chapter}` first")


class MissingRuns(RunError):
    """The committed runs a chapter's claims rest on are not all in the cache."""


def range_text(values: pd.Series, unit: str = "%") -> str:
    """"3-12%" (min-max of fractions), "95%" when they round alike; ``unit="n"``: "1,200-3,400"."""
    lo, hi = values.min(), values.max()
    if unit == "%":
        return f"{100 * lo:.0f}%" if round(100 * lo) == round(100 * hi) else f"{100 * lo:.0f}-{100 * hi:.0f}%"
    return f"{lo:,.0f}" if lo == hi else f"{lo:,.0f}-{hi:,.0f}"


def seeds_text(per_seed: pd.Series, models, what: str) -> str:
    """"mean accuracy at L 6-10, over 3 seeds: TANN 0-12%, SANN 3%"; ``per_seed``: (model, seed) -> value."""
    n = per_seed.groupby(level=0).size().max()
    return f"{what}, over {n} seed{'s' if n > 1 else ''}: " + ", ".join(
        f"{m.upper()} {range_text(per_seed.loc[m])}" for m in models if m in per_seed.index.get_level_values(0))


# --- the "Try it" boxes: what a rerun would cost here ----------------------------------------------
def rerun_cost(configs, cores: int = 2) -> str:
    """What training the runs of ``configs`` that the cache does not hold would cost on this
    machine, in the words of the chapters' "Try it" boxes, e.g. "12 runs to train, about 95
    CPU-minutes, 30 of them evaluation (48 min on 2 cores)". Priced by
    :func:`mannlib.engine.sweep.plan` with ``evaluation=True``: measured seconds per update
    times the updates, plus every dev point and the final test (the "evaluation" share). The
    wall time assumes ``cores`` runs at a time: the total over the cores, but never less than
    the longest run. Duplicate configs count once."""
    from ..engine import sweep
    if isinstance(cores, bool) or not isinstance(cores, int) or cores < 1:
        raise ValueError(f"cores must be a positive integer, got {cores!r}")
    p = sweep.plan(list({c.to_json(): c for c in configs}.values()), evaluation=True)
    todo = p[~p["cached"]]
    if todo.empty:
        return "nothing to train, it only reads committed runs"
    what = f"{len(todo)} run{'s' if len(todo) > 1 else ''} to train"
    minutes = 60 * todo["cpu_h"].sum()
    if minutes < 1:
        return f"{what}, under a CPU-minute"
    evaluating = minutes - 60 * (todo["s_per_update"] * todo["steps"]).sum() / 3600
    share = f", {evaluating:.0f} of them evaluation" if evaluating >= 0.5 else ""
    wall = max(minutes / cores, 60 * todo["cpu_h"].max())
    return f"{what}, about {minutes:.0f} CPU-minutes{share} ({wall:.0f} min on {cores} core{'s' if cores > 1 else ''})"


# --- reference records (mannlib.reference stores and compares them): results as plain JSON -------------------------------------------------------------
def plain(obj):
    """numpy / pandas values as JSON-ready Python: frames as {column: [values]} (index reset,
    column levels joined with '/'), NaN and inf as None, numpy scalars as int / float / bool."""
    if isinstance(obj, pd.DataFrame):
        df = obj.reset_index() if not isinstance(obj.index, pd.RangeIndex) else obj
        cols = ["/".join(str(x) for x in c if str(x)) if isinstance(c, tuple) else str(c) for c in df.columns]
        return {c: plain(df.iloc[:, i].tolist()) for i, c in enumerate(cols)}
    if isinstance(obj, pd.Series):
        return {str(k if not isinstance(k, tuple) else "/".join(map(str, k))): plain(v) for k, v in obj.items()}
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [plain(v) for v in (obj.tolist() if isinstance(obj, np.ndarray) else obj)]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    return obj


def run_record(run) -> dict:
    """What a run's numbers are: curve (step, loss, train_acc, dev_acc, dev_fine, lr; no wall
    time) and test accuracy / fine per difficulty."""
    curve = run.curve.drop(columns=["wall_s"], errors="ignore")
    return {"curve": plain(curve), "eval": {str(d): [plain(r["accuracy"]), plain(r["fine"])]
                                            for d, r in run.eval.iterrows()}}


def claim_records(rows) -> dict:
    """{key: {"verdict", "ours", "criterion"}} from (Claim, spread) pairs or Claims (the criterion
    quotes the thresholds, so a changed threshold shows even where no verdict flips)."""
    claims = [r[0] if isinstance(r, tuple) else r for r in rows]
    return {c.key: {"verdict": c.verdict, "ours": c.ours, "criterion": c.criterion} for c in claims}
