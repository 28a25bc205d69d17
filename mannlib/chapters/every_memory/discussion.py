"""The discussion of "Every memory on every task", computed: which memory leads on which task, and
how that compares with what each paper found for its own models and tasks.

These are comparisons, not the book's claims: the chapter reproduces no paper, so nothing here
enters the scorecard. A model *generalises* on a task when its mean accuracy beyond the training
range (m + 1 to 2m), over seeds at its chosen learning rate, is at least :data:`GENERALISES`.
A paper's finding "X generalises, Y does not" then *agrees* with ours when every X generalises
and no Y does, holds *partly* when every X is at least ahead of every Y, and *differs* otherwise;
"not compared yet" while a model it names has no run (or is not among the setting's models).
"""
from __future__ import annotations

import pandas as pd

from ...papers import deletang, wang, yang
from .results import PENDING, cell_text

GENERALISES = 0.90     # mean accuracy beyond the training range for "generalises"
AGREEMENT = ("agrees", "partly", "differs", "not compared yet")


def beyond(summary: pd.DataFrame, task: str) -> pd.Series:
    """model -> mean accuracy beyond the training range on ``task``, for the pairs with runs."""
    if task not in summary.index.get_level_values("task"):
        return pd.Series(dtype=float)
    rows = summary.xs(task, level="task")
    return rows.loc[rows["state"] != PENDING[0], "beyond_mean"]


def leaders(summary: pd.DataFrame, region: str = "beyond") -> pd.DataFrame:
    """Per task with runs: the model with the highest mean accuracy in ``region`` (train | beyond),
    its mean and 95% interval, and the others whose mean lies inside that interval ("tied")."""
    rows = []
    for task in dict.fromkeys(summary.index.get_level_values("task")):
        g = summary.xs(task, level="task")
        g = g[(g["state"] != PENDING[0]) & g[f"{region}_mean"].notna()]
        if not len(g):
            continue
        best = g[f"{region}_mean"].idxmax()
        lo = g.loc[best, f"{region}_lo"]
        lo = g.loc[best, f"{region}_mean"] if lo != lo else lo
        tied = [m for m in g.index if m != best and g.loc[m, f"{region}_mean"] >= lo]
        rows.append({"task": task, "leader": best, "mean": g.loc[best, f"{region}_mean"], "lo": g.loc[best, f"{region}_lo"],
                     "hi": g.loc[best, f"{region}_hi"], "tied": tuple(tied)})
    return pd.DataFrame(rows, columns=["task", "leader", "mean", "lo", "hi", "tied"]).set_index("task")


def leaders_text(summary: pd.DataFrame, names: dict, region: str = "beyond") -> str:
    """"mirror: SANN 98% [95-100] (tied: TANN); copy: ..." for every task with runs, or a sentence
    saying that none has any yet."""
    lead = leaders(summary, region)
    if lead.empty:
        return "no task has runs yet"
    parts = []
    for task, r in lead.iterrows():
        tied = f" (within its interval: {', '.join(names[m] for m in r['tied'])})" if r["tied"] else ""
        parts.append(f"{task}: {names[r['leader']]} {cell_text(r['mean'], r['lo'], r['hi'])}{tied}")
    return "; ".join(parts)


def agreement(means: pd.Series, should, should_not) -> str:
    """One of :data:`AGREEMENT` for the finding "every model of ``should`` generalises, none of
    ``should_not`` does" against ``means`` (model -> mean accuracy beyond the training range)."""
    if any(m not in means.index or means[m] != means[m] for m in (*should, *should_not)):
        return AGREEMENT[3]
    good = all(means[m] >= GENERALISES for m in should)
    bad = any(means[m] >= GENERALISES for m in should_not)
    if good and not bad:
        return AGREEMENT[0]
    ahead = min(means[m] for m in should) > max((means[m] for m in should_not), default=-1.0)
    return AGREEMENT[1] if ahead else AGREEMENT[2]


def _ours(means: pd.Series, models, present, names: dict) -> str:
    """"SANN 98%, TANN not trained yet, LSTM not in this setting"."""
    return ", ".join(f"{names[m]} {100 * means[m]:.0f}%" if m in means.index and means[m] == means[m]
                     else f"{names[m]} {'not trained yet' if m in present else 'not in this setting'}" for m in models)


# (source, task, the paper's finding in words, models that generalise, models that do not)
def findings() -> list[tuple]:
    """Every finding of the three papers that our matrix can hold up: Wang's on its two tasks,
    Yang's Table 3 on its five, Delétang et al.'s on the two tasks close to theirs."""
    t3 = yang.TABLE3
    out = [(wang.PAPER, "mirror", f"SANN and TANN generalise beyond length {wang.MIRROR_TRAIN_MAX}, "
            "SimpRNN and LSTM do not (Fig. 2a)", ("sann", "tann"), ("srnn", "lstm")),
           (wang.PAPER, "m10ae", f"only SANN generalises beyond #LPO {wang.M10AE_TRAIN_MAX_LPO} (Fig. 5a)",
            ("sann",), ("srnn", "lstm", "tann"))]
    for task in yang.TABLE1:
        inv, lstm = t3[task]["lantm-invnorm"][2], t3[task]["lstm"][2]
        out.append((yang.PAPER, task, f"LANTM-InvNorm {inv}% at 2x, the LSTM {lstm}% (Table 3)",
                    ("lantm-invnorm",), ("lstm",)))
    for task, (theirs, level, memory) in deletang.OVERLAP.items():
        model = {"stack": "sann", "tape": "tann"}[memory]
        others = ("srnn", "lstm") + (("sann",) if memory == "tape" else ())
        out.append((deletang.PAPER, task, f"{theirs} ({level}): the {memory}-RNN generalises, "
                    + ("the stack-RNN, " if memory == "tape" else "") + "RNN and LSTM do not (Table 2)",
                    (model,), others))
    return out


def comparison(summary: pd.DataFrame, names: dict) -> pd.DataFrame:
    """The papers' findings next to our matrix: one row per finding (:func:`findings`) on a task
    of ``summary``, with our mean accuracy beyond the training range for each model it names, and
    :func:`agreement`."""
    rows, tasks = [], set(summary.index.get_level_values("task"))
    present = set(summary.index.get_level_values("model"))
    for source, task, said, should, should_not in findings():
        if task not in tasks:
            continue
        means = beyond(summary, task)
        rows.append({"paper": source, "task": task, "the paper found": said,
                     "ours (beyond the training range)": _ours(means, (*should, *should_not), present, names),
                     "agreement": agreement(means, should, should_not)})
    return pd.DataFrame(rows, columns=["paper", "task", "the paper found", "ours (beyond the training range)",
                                       "agreement"])


def comparison_text(table: pd.DataFrame) -> dict[str, str]:
    """Per paper, "2 of 2 findings agree" style sentences (keys: wang, yang, deletang)."""
    out = {}
    for key, paper in (("wang", wang.PAPER), ("yang", yang.PAPER), ("deletang", deletang.PAPER)):
        rows = table[table["paper"] == paper]
        counts = rows["agreement"].value_counts()
        tested = len(rows) - int(counts.get(AGREEMENT[3], 0))
        if not len(rows):
            out[key] = "none of its findings is on a task of this setting"
            continue
        if not tested:
            out[key] = (f"{'its finding' if len(rows) == 1 else f'none of its {len(rows)} findings'} "
                        f"{'cannot' if len(rows) == 1 else 'can'} be compared yet (a model it names has no runs here)")
            continue
        out[key] = (f"of {tested} finding{'s' * (tested != 1)} with runs, {int(counts.get(AGREEMENT[0], 0))} agree"
                    f", {int(counts.get(AGREEMENT[1], 0))} partly and {int(counts.get(AGREEMENT[2], 0))} differ"
                    + (f" ({len(rows) - tested} not compared yet)" if tested < len(rows) else "")
                    + ": " + "; ".join(f"{r['task']} {r['agreement']}" for _, r in rows.iterrows()))
    return out
