"""Which runs a Wang chapter reads, and what the protocol campaign has decided so far.

The mirror and M10AE chapters can read three sets of runs (the notebooks' ``protocol`` knob):

* ``paper``: Wang's protocol (:mod:`mannlib.chapters.wang_protocol`, §3.1, §3.3): each model's
  cell chosen on a development set spanning the test range, trained until its development
  score stopped improving, three seeds, each run's best development checkpoint;
* ``strict``: the same, chosen on a development set within the training range only;
* ``fixed``: one setting for every model (the chapter's learning rate, batch size and number of
  updates, last weights): the runs the book read before the protocol campaign, and the only set
  whose knobs (lr, sizes, training range ...) a notebook can change;
* ``auto`` (the default): ``paper`` once its campaign is complete in the cache, else ``fixed``.

The scorecard judges the paper protocol; strict results are extra rows; analyses use the paper
protocol's best run. This module knows when a campaign is complete (:func:`complete`), loads its
final runs with the protocol's test scores (:func:`final_runs`), and tells where it stands
(:func:`progress`, :func:`chosen_table`, :func:`convergence_table`).
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ..engine.cache import MANIFEST, Run, load_run, run_id, run_path
from ..engine.files import RunError
from . import wang_protocol as W
from .wang_common import model_order

RUN_SETS = ("auto", "paper", "strict", "fixed")
PROTOCOLS = W.PROTOCOLS


def check_run_set(name: str) -> str:
    """``name`` if it is one of :data:`RUN_SETS`, else ValueError naming them."""
    if name not in RUN_SETS:
        raise ValueError(f"unknown protocol {name!r}; choose one of {', '.join(RUN_SETS)}")
    return name


def complete(task: str, protocol: str, profile: str = "paper", models=W.MODELS) -> bool:
    """Whether every model of ``protocol``'s campaign has its chosen cell and all its seeds in the cache."""
    return all(st.chosen is not None and all((run_path(c) / MANIFEST).exists() for c in st.final)
               for st in W.states(task, protocol, profile, models))


def resolve(run_set: str, task: str, profile: str = "paper", models=W.MODELS, knobs: bool = False) -> str:
    """The set a chapter reads: ``run_set`` itself, or for ``auto`` the paper protocol when, in the
    paper profile, its campaign is complete and no fixed-setting knob is set (``knobs``), else
    ``fixed`` (the quick profile's ``auto`` is always ``fixed``: its reference record must not
    depend on what else the quick cache holds)."""
    if check_run_set(run_set) != "auto":
        return run_set
    return "paper" if profile == "paper" and not knobs and complete(task, "paper", profile, models) else "fixed"


def fixed_knobs(**values) -> list[str]:
    """The names among ``values`` that are set (not None): the knobs of the fixed-setting runs."""
    return [k for k, v in values.items() if v is not None]


def choose_run_set(task: str, run_set: str, profile: str, models, knobs: list[str]) -> str:
    """:func:`resolve`, refusing a protocol together with fixed-setting ``knobs`` (the protocol
    chooses the learning rate and batch size itself, at the paper's sizes and seeds)."""
    if check_run_set(run_set) in PROTOCOLS and knobs:
        raise ValueError(f"{', '.join(knobs)} change the fixed-setting runs, and Wang's {run_set} protocol chooses "
                         "its own (only models may change with it): use protocol='fixed', or leave them at their "
                         "defaults")
    return resolve(run_set, task, profile, models, knobs=bool(knobs))


class IncompleteProtocol(RunError):
    """A chapter asked for the final runs of a protocol whose campaign has not finished."""


def final_configs(task: str, protocol: str, profile: str = "paper", models=W.MODELS) -> list:
    """The chosen cell of every model with every seed, model by model; IncompleteProtocol naming
    the command that finishes the campaign while a model's cell is not chosen yet."""
    states = W.states(task, protocol, profile, models)
    open_ = [st.model for st in states if st.chosen is None]
    if open_:
        raise IncompleteProtocol(f"the {protocol} protocol of {task} has not chosen a cell for {', '.join(open_)} "
                                 f"yet: run `python -m mannlib reproduce {task} --protocol {protocol}` "
                                 f"(`--dry-run` prints what is left)")
    return [c for st in states for c in st.final]


def final_runs(task: str, protocol: str, profile: str = "paper", models=W.MODELS, train: bool = True,
               out=print) -> list[Run]:
    """The protocol's final runs (:func:`final_configs`), each with the protocol's test scores
    (:func:`mannlib.chapters.wang_protocol.result`): a shared run read for the strict protocol
    carries its second criterion's scores and no weights (only the first criterion's are kept).
    ``train``: run the rest of the campaign first (resumable), else IncompleteProtocol."""
    if train and not complete(task, protocol, profile, models):
        W.reproduce(task, protocol, profile, models=models, out=out if profile == "paper" else (lambda s: None))
    runs = []
    for c in final_configs(task, protocol, profile, models):
        if not (run_path(c) / MANIFEST).exists():
            raise IncompleteProtocol(f"{run_id(c)} ({c.model} seed {c.seed}) of the {protocol} protocol of {task} "
                                     f"is not trained yet: run `python -m mannlib reproduce {task} --protocol {protocol}`")
        run = load_run(run_id(c))
        ev, summary = W.result(run, protocol)
        runs.append(run if ev is run.eval else replace(run, eval=ev, summary=summary, model=None))
    return runs


# --- where a campaign stands ----------------------------------------------------------------------
def progress(task: str, protocol: str, profile: str = "paper", models=W.MODELS) -> pd.DataFrame:
    """One row per model: rungs decided (of the spec's), runs trained (of those determined),
    chosen (the cell in words, or None), seeds trained (of the spec's)."""
    s = W.spec(task, profile)
    rows = []
    for st in W.states(task, protocol, profile, models):
        decided = sum(r.keep is not None for r in st.rungs)
        configs = [c for r in st.rungs for c in r.configs]
        rows.append({"model": st.model, "rungs decided": f"{decided} of {len(s.rungs) + 1}",
                     "runs trained": sum(v is not None for r in st.rungs for v in r.scores),
                     "runs so far": len(configs),
                     "chosen": W.label(st.chosen) if st.chosen is not None else None,
                     "seeds trained": f"{sum((run_path(c) / MANIFEST).exists() for c in st.final)} of {len(s.seeds)}"})
    return pd.DataFrame(rows).set_index("model")


def progress_text(task: str, protocol: str, profile: str = "paper", models=W.MODELS) -> str:
    """Where the campaign stands, in one sentence for the prose."""
    p = progress(task, protocol, profile, models)
    if complete(task, protocol, profile, models):
        return (f"the {protocol} protocol's campaign is complete: every model has its chosen cell trained with "
                f"{len(W.spec(task, profile).seeds)} seeds")
    chosen = [m.upper() for m in p.index if pd.notna(p.loc[m, "chosen"])]    # pandas holds a missing cell as NaN
    return (f"the {protocol} protocol's campaign is under way: {int(p['runs trained'].sum())} of the "
            f"{int(p['runs so far'].sum())} tuning runs determined so far are trained, and "
            + (f"{' and '.join([', '.join(chosen[:-1]), chosen[-1]] if len(chosen) > 1 else chosen)} "
               f"{'has' if len(chosen) == 1 else 'have'} a chosen cell" if chosen
               else "no model has a chosen cell yet"))


def chosen_table(task: str, protocol: str, profile: str = "paper", models=W.MODELS) -> pd.DataFrame:
    """The tuning's first rung, every cell's development accuracy: one row per model (and, for
    M10AE's memory models, per number of cells), one column per (lr, batch) in grid order, and the
    cell the protocol chose (None while undecided)."""
    t = W.tuning_table(task, protocol, profile, models)
    first = t[t["rung"] == 0].copy()
    first["lr, batch"] = [f"lr {lr:g}, batch {b}" for lr, b in zip(first["lr"], first["batch_size"])]
    first["cells"] = [int(c) if task == "m10ae" and c == c and c is not None else "" for c in first["cells"]]
    grid = first.set_index(["model", "cells", "lr, batch"])["dev_acc"].unstack()[list(pd.unique(first["lr, batch"]))]
    chosen = {st.model: st.chosen for st in W.states(task, protocol, profile, models)}
    grid["chosen"] = [(c is not None and (task != "m10ae" or cells == "" or c.sizes.get("cells") == cells)
                       and W.label(c)) or "" for (m, cells), c in zip(grid.index, (chosen[m] for m, _ in grid.index))]
    order = model_order(grid.index.get_level_values("model"))
    return grid.loc[[i for m in order for i in grid.index if i[0] == m]]


def convergence_table(runs: list[Run], train_examples: int | None = None) -> pd.DataFrame:
    """Per final run: model, seed, cell, updates trained, the update of the best development
    score, how it stopped (patience or the cap) and, for a fixed training set of
    ``train_examples`` (M10AE: 80,000), the epochs to that best point."""
    rows = []
    for r in runs:
        c, s = r.config, r.summary
        best = s.get("best_step")
        row = {"model": c.model, "seed": c.seed, "cell": W.label(c), "updates": int(s["steps"]),
               "best at": int(best) if best is not None else None,
               "stopped by": "patience" if s.get("stopped_early") else "cap"}
        if train_examples:
            row["epochs to best"] = round(best * c.batch_size / train_examples, 1) if best is not None else None
        rows.append(row)
    return pd.DataFrame(rows)


def tuning_curves(task: str, protocol: str, profile: str = "paper", models=W.MODELS) -> pd.DataFrame:
    """The development curve of every tuning run trained so far (each cell at its longest rung):
    model, cell (in words), rung, step, examples (step x batch), dev_acc (for a shared run read
    for the strict protocol, its second criterion's)."""
    column = "dev_acc_within" if W.within(task, protocol, profile) else "dev_acc"
    frames = []
    for st in W.states(task, protocol, profile, models):
        longest = {}
        for k, rung in enumerate(st.rungs):
            for i, c, v in zip(rung.cells, rung.configs, rung.scores):
                if v is not None:
                    longest[i] = (k, c)
        for k, c in longest.values():
            curve = pd.read_csv(run_path(c) / "curve.csv")
            frames.append(pd.DataFrame({"model": st.model, "cell": W.label(c), "rung": k, "step": curve["step"],
                                        "examples": curve["step"] * c.batch_size, "dev_acc": curve[column]}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["model", "cell", "rung", "step", "examples", "dev_acc"])


def protocols_frame(task: str, profile: str = "paper", models=W.MODELS) -> pd.DataFrame:
    """Figs. 2a / 5a under both protocols: the accuracy frame of each complete protocol's final
    runs (:func:`mannlib.chapters.wang_common.accuracy_frame`) with a ``protocol`` column; empty
    while neither is complete."""
    from .wang_common import accuracy_frame
    frames = [accuracy_frame(final_runs(task, p, profile, models, train=False)).assign(protocol=p)
              for p in PROTOCOLS if complete(task, p, profile, models)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["model", "seed", "difficulty", "accuracy", "fine", "protocol"])


# --- for the notebooks ----------------------------------------------------------------------------
def protocol_values(task: str, profile: str = "paper", models=W.MODELS) -> dict:
    """The protocol's numbers and where each campaign stands, as words for glue: rungs, patience,
    cap, dev_examples, progress_paper, progress_strict."""
    s = W.spec(task, profile)

    def points(k: int) -> str:
        if s.point_examples:
            return f"{k} epoch{'s' if k != 1 else ''}"
        return f"{k} development points ({k * s.point_updates:,} updates)"
    return {"rungs": " and then ".join(points(k) for k in s.rungs), "patience": points(s.patience),
            "cap": points(s.cap), "dev_examples": f"{s.dev_examples:,}",
            **{f"progress_{p}": progress_text(task, p, profile, models) for p in PROTOCOLS}}


def protocol_results(task: str, profile: str = "paper", models=W.MODELS, train_max: int = 5,
                     xlabel: str = "difficulty", train_examples: int | None = None) -> pd.DataFrame:
    """Figs. 2a / 5a under each complete protocol (drawn, side by side) and the convergence table
    of its final runs (:func:`convergence_table`, with a protocol column); a one-row frame
    saying so while neither campaign is complete."""
    from ..methods import plots as P
    acc = protocols_frame(task, profile, models)
    if acc.empty:
        return pd.DataFrame({"status": ["neither protocol's campaign is complete yet, so no chosen runs to show: "
                                        f"`python -m mannlib reproduce {task} --protocol paper --dry-run` "
                                        "prints what is left"]})
    P.by_protocol(acc, train_max, xlabel)
    return pd.concat([convergence_table(final_runs(task, p, profile, models, train=False), train_examples)
                      .assign(protocol=p) for p in dict.fromkeys(acc["protocol"])], ignore_index=True)
