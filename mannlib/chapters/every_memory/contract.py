"""What "Every memory on every task" answers the book (:mod:`mannlib.chapters`), and everything the
notebook shows at once (:func:`results`).

The chapter reproduces no paper: ``paper_says()`` is empty and ``claims()`` returns no claim, so the
scorecard (:mod:`mannlib.scorecard`, the three papers' claims) has no row for it; its comparisons
with the papers are the discussion's (:mod:`.discussion`). ``reference()`` records the quick
profile's runs and tables; ``RUNS`` is what ``python -m mannlib reproduce every_memory`` trains.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..base import Claim, plain, run_record
from .discussion import comparison, comparison_text, leaders, leaders_text
from .results import chosen, choose_lr, dev_frame, length_frame, progress, seed_scores, summary_frame
from .settings import NAMES, Loaded, Settings, load_runs, paper_runs, settings

PAPER = "Beyond the papers: every memory on every task"
RUNS = {"every_memory": paper_runs}    # reproduce target -> the runs (--set: the notebook's parameters)


def paper_says() -> dict[str, str]:
    """Nothing: the chapter reproduces no paper (its comparisons are in :mod:`.discussion`)."""
    return {}


def claims(profile: str = "paper") -> list[tuple[Claim, str]]:
    """No claim: the chapter compares the papers' findings in its discussion instead of checking
    a paper's claims, so it trains and reads nothing here (the scorecard skips it)."""
    settings(profile)   # an unknown profile still fails
    return []


@dataclass
class Results:
    """Everything the chapter shows, from the runs of a setting as far as they exist."""
    settings: Settings
    loaded: Loaded               # runs, missing configs, diverged ones
    lengths: pd.DataFrame        # every run's accuracy per test length (results.length_frame)
    dev: pd.DataFrame            # every run's dev score (results.dev_frame)
    choice: pd.DataFrame         # the lr of each (task, model) (results.choose_lr)
    chosen: pd.DataFrame         # lengths at the chosen lr
    scores: pd.DataFrame         # per (task, model, seed) at the chosen lr: train, beyond
    summary: pd.DataFrame        # per (task, model): means and 95% intervals over seeds, state
    comparison: pd.DataFrame     # the papers' findings next to ours (discussion.comparison)


def results(s: Settings) -> Results:
    """Load (quick: train) the runs of ``s`` and compute every frame of the chapter from them."""
    loaded = load_runs(s)
    lengths, dev = length_frame(loaded.runs, s.train_max), dev_frame(loaded.runs)
    choice = choose_lr(dev, s.tasks, s.models, s.lrs)
    at = chosen(lengths, choice)
    scores = seed_scores(at)
    summary = summary_frame(scores, choice, s.seeds)
    return Results(s, loaded, lengths, dev, choice, at, scores, summary, comparison(summary, NAMES))


def prose(r: Results) -> dict:
    """The numbers and sentences the notebook glues (``every_memory_KEY``)."""
    counts = progress(r.summary)
    texts = comparison_text(r.comparison)
    return {"pairs": len(r.summary), "done": counts["done"], "partial": counts["partial"], "missing": counts["missing"],
            "runs_loaded": len(r.loaded.runs), "runs_missing": len(r.loaded.missing),
            "diverged": len(r.loaded.diverged), "leaders_beyond": leaders_text(r.summary, NAMES, "beyond"),
            "leaders_train": leaders_text(r.summary, NAMES, "train"),
            "wang": texts["wang"], "yang": texts["yang"], "deletang": texts["deletang"]}


def reference() -> dict:
    """notebooks/every_memory.ipynb in the quick profile: every quick run's curve and test scores,
    the lr choice, the per-seed scores, the summary, the leaders and the comparison."""
    r = results(settings("quick"))
    tables = {"choice": plain(r.choice), "scores": plain(r.scores), "summary": plain(r.summary),
              "leaders": plain(leaders(r.summary).assign(tied=lambda d: d["tied"].map(", ".join))),
              "comparison": plain(r.comparison), "prose": plain(prose(r))}
    return {"runs": {run.id: run_record(run) for run in r.loaded.runs}, "tables": tables, "claims": {}}
