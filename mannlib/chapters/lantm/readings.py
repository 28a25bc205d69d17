"""Which reading of Yang §4 does Table 3 use? Both readings of :data:`~.settings.READINGS` are
trained at the paper scale (InvNorm and SoftMax, five tasks, three seeds); :func:`compare_readings`
puts them side by side and :func:`best_reading` picks the one whose InvNorm generalises best, the
measure the chapter's first claim rests on (Table 3's 2x column, then 1x)."""
from __future__ import annotations

import pandas as pd

from .claims import MASTERED
from .settings import LANTMS, READING, READINGS, TASKS, load_runs, settings
from .tables import median_coarse, per_seed, score_frame


def compare_readings(profile: str = "paper", train_missing: bool = False) -> pd.DataFrame:
    """One row per (reading, model): updates per run, seeds, the mean over the five tasks of the
    median-over-seeds coarse score at 1x and 2x, the tasks mastered (median 1x coarse >=
    :data:`~.claims.MASTERED`) and ``runs mastered``, the (task, seed) runs that reach it alone (a
    median over three seeds hides a model that learns on one seed in three). Only committed runs
    unless ``train_missing``; a diverged run
    counts as missing (the runs column says how many runs each median rests on, ``complete``
    whether every run of the reading is committed, diverged ones counted as settled)."""
    from ...engine.cache import settled
    from .settings import configs
    rows = []
    for reading, steps in READINGS.items():
        s = settings(profile, reading=reading)
        runs = load_runs(s, train_missing=train_missing)
        done = {c.model: 0 for c in configs(s)}
        expected = dict(done)
        for c in configs(s):
            expected[c.model] += 1
            done[c.model] += settled(c)
        scores = score_frame(runs) if runs else None
        ps = per_seed(scores) if scores is not None else None
        for model in LANTMS:
            med = median_coarse(scores, model) if scores is not None and model in set(scores["model"]) else None
            if med is None or med.empty:
                continue
            rows.append({"reading": reading, "model": model, "updates": steps,
                         "runs": sum(r.config.model == model for r in runs),
                         "complete": done[model] == expected[model],
                         "tasks": len(med),
                         "runs mastered": int(((ps["model"] == model) & (ps["column"] == "1x")
                                               & (ps["coarse"] >= MASTERED)).sum()),
                         "1x coarse": float(med["1x"].mean()), "2x coarse": float(med["2x"].mean()),
                         "mastered": ", ".join(t for t in TASKS if t in med.index and med.loc[t, "1x"] >= MASTERED)
                         or "none"})
    return pd.DataFrame(rows).set_index(["reading", "model"])


def best_reading(table: pd.DataFrame, model: str = "lantm-invnorm") -> str:
    """The reading under which ``model`` has the highest mean 2x coarse score over the tasks
    (then 1x; a tie keeps the default :data:`~.settings.READING`, then the earlier reading of
    :data:`~.settings.READINGS`: the quick profile trains the same runs under every reading).
    A reading whose runs are not all committed (``complete``, when the table has it) ranks
    after every complete one: a partial campaign cannot become the default."""
    t = table.xs(model, level="model")
    order = list(READINGS)
    complete = t["complete"] if "complete" in t else pd.Series(True, index=t.index)
    return sorted(t.index, key=lambda r: (not bool(complete[r]), -round(t.loc[r, "2x coarse"], 3),
                                          -round(t.loc[r, "1x coarse"], 3), r != READING, order.index(r)))[0]
