"""Yang's Tables 2-4 from our models and runs, next to the paper's, and what the runs cost.

Table 2: :func:`table2`; Table 3: :func:`score_frame`, :func:`per_seed`, :func:`table3`,
:func:`show_table3`; Table 4: :func:`extrapolation_scores`, :func:`best_runs`, :func:`table4`;
the cost: :func:`wall_times`, :func:`paper_cost` (:func:`step_seconds` per update); how long the
LSTM baseline trained: :func:`lstm_training`.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from ...engine.cache import Run
from ...engine.config import profile_config
from ...engine.train import step_seconds
from ...models import ModelIO, build_model
from ...models.lantm import table2_sizes
from ...papers import yang
from ...tasks import get_task
from ..base import range_text
from .ablation import halvings
from .settings import MODELS, TASKS, Settings, config, settings

PAPER_TABLE3 = yang.TABLE3       # Yang Table 3, percent: task -> model -> (1x coarse, 1x fine, 2x coarse, 2x fine)
PAPER_TABLE4 = yang.TABLE4       # Yang Table 4 (InvNorm), percent: task -> factor -> (coarse, fine)
FACTORS = yang.TABLE4_FACTORS    # 4, 5, 8
STILL_LEARNING = 0.05            # a run whose training loss fell >= 5% over its last quarter was still learning


# --- Table 2 --------------------------------------------------------------------------------------
def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def table2(tasks=TASKS, models=MODELS) -> pd.DataFrame:
    """Yang Table 2 from built models: sizes, our parameter count and the paper's."""
    rows = []
    for model in models:
        for task in tasks:
            t, row = get_task(task), yang.TABLE2[task][model]
            with torch.random.fork_rng(devices=[]):
                net = build_model(model, ModelIO(t.input_size, t.output_size, t.input_tokens),
                                  **table2_sizes(task, model))
            ours = n_params(net)
            rows.append({"model": model, "task": task,
                         "LSTM size": f"4 x {row['hidden']}" if model == "lstm" else row["hidden"],
                         "vocab": t.input_size, "embed": row["embed"], "mem. width": row["width"] or "NA",
                         "LR": row["lr"], "#param (ours)": ours, "#param (paper)": row["params"],
                         "difference": ours - row["params"]})
    return pd.DataFrame(rows).set_index(["model", "task"])


# --- Table 3 --------------------------------------------------------------------------------------
def score_frame(runs: list[Run]) -> pd.DataFrame:
    """One row per (task, model, seed, size): n, coarse, fine, m (the training maximum) and
    ``column``: 1x (size <= m) or 2x (m < size <= 2m)."""
    frames = []
    for r in runs:
        m = r.task.train_range[1]
        ev = r.eval.reset_index().rename(columns={"difficulty": "size", "accuracy": "coarse"})
        ev = ev[ev["size"] <= 2 * m]
        frames.append(ev.assign(task=r.config.task, model=r.config.model, seed=r.config.seed, m=m,
                                column=np.where(ev["size"] <= m, "1x", "2x")))
    return pd.concat(frames, ignore_index=True)[["task", "model", "seed", "size", "m", "column", "n", "coarse", "fine"]]


def per_seed(scores: pd.DataFrame) -> pd.DataFrame:
    """Coarse and fine per (task, model, seed, column): problems right / problems, and the mean
    of the per-size fine scores (every size has the same number of problems)."""
    g = scores.assign(right=scores["coarse"] * scores["n"]).groupby(["task", "model", "seed", "column"])
    return pd.DataFrame({"coarse": g["right"].sum() / g["n"].sum(), "fine": g["fine"].mean()}).reset_index()


def median_coarse(scores: pd.DataFrame, model: str) -> pd.DataFrame:
    """Median over seeds of ``model``'s coarse score: index task (in :data:`TASKS` order),
    columns 1x, 2x."""
    p = per_seed(scores)
    p = p[p["model"] == model]
    return p.pivot_table(index="task", columns="column", values="coarse", aggfunc="median").reindex(
        [t for t in TASKS if t in set(p["task"])])


def table3(scores: pd.DataFrame) -> pd.DataFrame:
    """Our Table 3: per (task, model) and (column, score): median, min and max over seeds.
    Index (task, model); columns (column, score, stat)."""
    p = per_seed(scores).melt(["task", "model", "seed", "column"], ["coarse", "fine"], var_name="score")
    t = p.groupby(["task", "model", "column", "score"])["value"].agg(["median", "min", "max"])
    t = t.unstack(["column", "score"]).reorder_levels([1, 2, 0], axis=1).sort_index(axis=1)
    order = [(task, m) for task in TASKS for m in MODELS if (task, m) in t.index]
    return t.loc[order]


def show_table3(t3: pd.DataFrame, paper=PAPER_TABLE3) -> pd.DataFrame:
    """Ours next to the paper's, percent: "ours (min-max over seeds) | paper" per column."""
    cols = [("1x", "coarse"), ("1x", "fine"), ("2x", "coarse"), ("2x", "fine")]
    rows = {}
    for (task, model) in t3.index:
        row = {}
        for i, col in enumerate(cols):
            med, lo, hi = (t3.loc[(task, model), col + (stat,)] for stat in ("median", "min", "max"))
            spread = f" ({100 * lo:.0f}-{100 * hi:.0f})" if hi > lo else ""
            row[f"{col[0]} {col[1]}"] = f"{100 * med:.0f}%{spread} | {paper[task][model][i]}%"
        rows[(task, model)] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.names = ["task", "model"]
    return out


def n_seeds(scores: pd.DataFrame) -> pd.Series:
    return scores.groupby(["task", "model"])["seed"].nunique()


# --- Table 4 and extrapolation --------------------------------------------------------------------
def spaced(sizes: list[int], k: int) -> list[int]:
    """``k`` sizes evenly spaced over ``sizes`` (both ends included), in order, no repeats."""
    idx = np.unique(np.linspace(0, len(sizes) - 1, min(k, len(sizes))).round().astype(int))
    return [sizes[i] for i in idx]


@torch.no_grad()
def predict(model, task, examples: list) -> list[dict]:
    """Per example: truth and prediction (token ids over the answer incl. <e>) and whether
    each character is right."""
    batch = task.encode(examples)
    pred = model(batch.x).argmax(-1)                                                   # (B, T)
    out = []
    for i in range(len(examples)):
        m = batch.mask[i]
        truth, guess = batch.y[i][m], pred[i][m]
        out.append({"truth": truth.numpy(), "pred": guess.numpy(), "ok": (truth == guess).numpy()})
    return out


def first_error(ok: np.ndarray) -> float:
    """Where the first wrong character sits in the answer, 0 (first) .. 1 (last); NaN if none."""
    wrong = np.flatnonzero(~ok)
    return wrong[0] / max(len(ok) - 1, 1) if len(wrong) else math.nan


def extrapolation_scores(run: Run, factors=FACTORS, sizes_per: int = 8, n: int = 32, seed: int = 4321) -> pd.DataFrame:
    """Table 4 for one run: per factor, coarse, fine, the problems and sizes tested, and the
    median position of the first error in the wrong answers (:func:`first_error`)."""
    from ...engine.train import test_sets
    task, rows = run.task, []
    for f in factors:
        sizes = spaced(task.extrapolation(f), sizes_per)
        results = []
        for size, examples in test_sets(task, n, seed, sizes).items():
            for i in range(0, len(examples), 64):
                results += predict(run.model, task, examples[i:i + 64])
        ok = [r["ok"] for r in results]
        firsts = [first_error(o) for o in ok if not o.all()]
        rows.append({"task": run.config.task, "seed": run.config.seed, "factor": f,
                     "sizes": f"{sizes[0]}-{sizes[-1]}", "problems": len(ok),
                     "coarse": float(np.mean([o.all() for o in ok])), "fine": float(np.mean([o.mean() for o in ok])),
                     "first_error": float(np.median(firsts)) if firsts else math.nan})
    return pd.DataFrame(rows)


def best_runs(runs: list[Run], scores: pd.DataFrame, model: str = "lantm-invnorm") -> dict[str, Run]:
    """Per task, the ``model`` run with the best 2x coarse score (then 1x, then lowest seed), with
    its model: Table 4 and the traces run it, so a run whose weights were dropped to keep ``data/``
    small is retrained first (:func:`~mannlib.engine.cache.restore_weights`)."""
    from ...engine.cache import restore_weights
    ps = per_seed(scores).pivot_table(index=["task", "model", "seed"], columns="column", values="coarse")
    best = {}
    for task in TASKS:
        cands = [r for r in runs if r.config.task == task and r.config.model == model]
        if cands:
            best[task] = max(cands, key=lambda r: (ps.loc[(task, model, r.config.seed), "2x"],
                                                   ps.loc[(task, model, r.config.seed), "1x"], -r.config.seed))
    return {task: restore_weights(r) for task, r in best.items()}


def extrapolation_all(runs: list[Run], sizes_per: int = 8, n: int = 32, model: str = "lantm-invnorm") -> pd.DataFrame:
    """Table 4 for every ``model`` run (:func:`extrapolation_scores`, one row per task, seed and
    factor): the paper tests one "learned" model, and where every seed is at 100% at 2x the
    choice of :func:`best_runs` is a tie-break, so the chapter shows what each seed does too."""
    from ...engine.cache import restore_weights
    return pd.concat([extrapolation_scores(restore_weights(r), sizes_per=sizes_per, n=n)
                      for task in TASKS for r in sorted(runs, key=lambda r: r.config.seed)
                      if r.config.task == task and r.config.model == model], ignore_index=True)


def of_runs(ext_all: pd.DataFrame, best: dict[str, Run]) -> pd.DataFrame:
    """The rows of :func:`extrapolation_all` that belong to ``best`` (task -> run): Table 4."""
    keep = {(t, r.config.seed) for t, r in best.items()}
    return ext_all[[k in keep for k in zip(ext_all["task"], ext_all["seed"])]].reset_index(drop=True)


def seed_ranges(ext_all: pd.DataFrame, factor: int = 4, tasks=TASKS) -> str:
    """"copy 0-54%, reverse 0-40%": per task of ``tasks`` (in :func:`extrapolation_all`'s order),
    the min-max over seeds of the coarse score at ``factor`` x."""
    rows = ext_all[(ext_all["factor"] == factor) & ext_all["task"].isin(tasks)]
    return ", ".join(f"{t} {range_text(g['coarse'].agg(['min', 'max']))}" for t, g in rows.groupby("task", sort=False))


def table4_seeds(ext_all: pd.DataFrame, score: str = "coarse") -> pd.DataFrame:
    """Per task and factor, the median over seeds of the ``score`` and its range, in percent:
    "median (min-max)" (the median alone where the seeds agree or there is one)."""
    def cell(v):
        lo, mid, hi = 100 * v.min(), 100 * v.median(), 100 * v.max()
        return f"{mid:.0f}%" + (f" ({lo:.0f}-{hi:.0f})" if round(lo) != round(hi) else "")
    t = ext_all.pivot_table(index="task", columns="factor", values=score, aggfunc=cell, sort=False)
    return t.rename(columns=lambda f: f"{f}x {score}").rename_axis(columns=None)


def pace_table(runs: list[Run], ext_all: pd.DataFrame, factor: int = 4, tasks=("copy", "reverse"),
               model: str = "lantm-invnorm") -> pd.DataFrame:
    """Why seeds that agree at 2x differ at ``factor`` x: per run of ``tasks``, the read step over
    the write step on one problem of ``factor`` x m (:func:`~.traces.step_ratio`), the drift that
    pace implies by the last answer character, ``factor`` x m x |1 - ratio| write steps, and the
    run's coarse score at ``factor`` x from ``ext_all``. A drift past half a write step puts the
    read nearer the neighbouring key than its own."""
    from ...engine.cache import restore_weights
    from .traces import step_ratio, trace_run
    rows = []
    for r in sorted((r for r in runs if r.config.task in tasks and r.config.model == model),
                    key=lambda r: (tasks.index(r.config.task), r.config.seed)):
        size = factor * r.task.train_range[1]
        ratio = step_ratio(trace_run(restore_weights(r), size))
        coarse = ext_all[(ext_all["task"] == r.config.task) & (ext_all["seed"] == r.config.seed)
                         & (ext_all["factor"] == factor)]["coarse"]
        rows.append({"task": r.config.task, "seed": r.config.seed, "read step / write step": ratio,
                     f"drift at size {factor}m (write steps)": size * abs(1 - ratio),
                     f"{factor}x coarse": float(coarse.iloc[0]) if len(coarse) else math.nan})
    return pd.DataFrame(rows).set_index(["task", "seed"])


def table4(ext: pd.DataFrame, paper=PAPER_TABLE4) -> pd.DataFrame:
    """Ours next to the paper's: "ours | paper" per (factor, score), percent; paper blanks "-"."""
    rows = {}
    for task, g in ext.groupby("task", sort=False):
        row = {}
        for _, r in g.iterrows():
            p = paper.get(task, {}).get(r["factor"])
            for j, score in enumerate(("coarse", "fine")):
                row[f"{r['factor']}x {score}"] = f"{100 * r[score]:.0f}% | " + (f"{p[j]}%" if p else "-")
        rows[task] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("task")


# --- cost -----------------------------------------------------------------------------------------
def wall_times(runs: list[Run]) -> pd.DataFrame:
    """The honest cost: per run, updates, training wall time on this machine and per update, and
    how often the schedule halved the learning rate (:func:`~.ablation.halvings`)."""
    rows = [{"task": r.config.task, "model": r.config.model, "seed": r.config.seed,
             "sizes": f"2-{r.task.train_range[1]}", "updates": r.config.steps,
             "wall (s)": r.manifest["wall_s"], "ms / update": 1000 * r.manifest["wall_s"] / r.config.steps,
             "halvings": halvings(r), "created": r.manifest.get("created", "")} for r in runs]
    return pd.DataFrame(rows).set_index(["task", "model", "seed"]).round(1)


def loss_drop(run: Run, last: float = 0.25) -> float:
    """How much the training loss fell over the last ``last`` of the run: (L(a) - L(end)) / L(a),
    with L(a) the learning-curve point nearest to update (1 - last) x steps."""
    c = run.curve
    a = c.iloc[(c["step"] - (1 - last) * c["step"].iloc[-1]).abs().argmin()]
    return float((a["loss"] - c["loss"].iloc[-1]) / a["loss"])


def lstm_training(runs: list[Run], model: str = "lstm") -> pd.DataFrame:
    """How long each run of ``model`` (the LSTM baseline) trained and where it stood: per task
    and seed, the updates and epochs (10 batches of 32, §4), the hours of one core it took here,
    the training loss at the first and last curve points, the share it fell over the last
    quarter (:func:`loss_drop`) and whether that is >= :data:`STILL_LEARNING` (the run stopped
    while still learning), and the update of the kept (best dev) weights."""
    rows = [{"task": r.config.task, "seed": r.config.seed, "updates": r.config.steps, "epochs": r.config.steps // yang.EPOCH_BATCHES,
             "hours": r.manifest["wall_s"] / 3600, "first loss": float(r.curve["loss"].iloc[0]),
             "last loss": float(r.curve["loss"].iloc[-1]), "fall, last quarter": loss_drop(r),
             "still learning": loss_drop(r) >= STILL_LEARNING, "kept update": int(r.summary.get("best_step", r.config.steps))}
            for r in runs if r.config.model == model]
    cols = ["task", "seed", "updates", "epochs", "hours", "first loss", "last loss", "fall, last quarter",
            "still learning", "kept update"]
    out = pd.DataFrame(rows, columns=cols)
    out["task"] = pd.Categorical(out["task"], [t for t in TASKS if t in set(out["task"])])
    return out.sort_values(["task", "seed"]).set_index(["task", "seed"])


def lstm_runs_text(training: pd.DataFrame, s: Settings) -> str:
    """The LSTM baseline's runs in words: the tasks of ``s`` without one (not committed) and those
    whose run stopped while still learning."""
    have = set(training.index.get_level_values("task"))
    missing = [t for t in s.tasks if t not in have]
    still = [t for t in TASKS if t in have and bool(training.xs(t, level="task")["still learning"].any())]
    parts = []
    if missing:
        many = len(missing) > 1
        parts.append(f"No LSTM run is loaded for {', '.join(missing)}: not committed yet "
                     f"(the parameter train_lstm = True trains {'them' if many else 'it'}).")
    if still:
        parts.append(f"On {', '.join(still)} the run{'s' * (len(still) > 1)} stopped while still learning: the "
                     "paper's claim about the LSTM needs longer runs than our budget gives it.")
    elif have:
        parts.append("No run was still learning when its updates ran out.")
    return " ".join(parts)


def paper_cost(s: Settings, models=MODELS, steps: int | None = None, reps: int = 2) -> pd.DataFrame:
    """What the paper-scale runs cost here: per (model, task) the measured seconds per update at
    Table 1's sizes (batch 32) and the hours for ``steps`` updates (default: the paper scale's,
    :func:`~.settings.config`). Quick: the quick configs (tiny; a smoke test, not a measurement)."""
    rows, paper = [], settings("paper", "paper", train_lstm=True)
    for model in models:
        for task in TASKS:
            c = config(paper, task, model, 0) if s.profile == "paper" else profile_config(task, model, "quick", 0)
            sec = step_seconds(c, reps)
            n = steps or c.steps
            rows.append({"model": model, "task": task, "s / update": sec, "updates": n, "hours": sec * n / 3600})
    return pd.DataFrame(rows).set_index(["model", "task"])
