"""The M10AE chapter's results (Wang et al. 2019, Fig. 5): the tuning grid and whether it decides
(:func:`tuning_table`, :func:`grid_choice`), accuracy per #LPO (:func:`lpo_scores`,
:func:`range_table`), training cost (:func:`wall_times`, :func:`run_epochs`, :func:`claim_epochs`,
:func:`run_stops`), Fig. 5b's x-axis (:func:`progress_curves`),
whether longer training helps (:func:`longer_training`, :func:`longer_text`, :func:`plot_longer`,
:func:`ten_epochs`), how much a curve still gains at its end (:func:`late_gain`) and the target
in words (:func:`target_text`)."""
from __future__ import annotations

import pandas as pd

from ...engine.cache import Run
from ..base import epochs, noise
from ..wang_common import NAMES, model_order, progress_axis
from .settings import CHOSEN, MODELS, TEST_LPO, TRAIN_MAX, Settings, lpo_ranges, span
from .settings import budget as run_budget


def tuning_table(runs: list[Run]) -> pd.DataFrame:
    """The grid as a table, best dev accuracy first: lr, batch_size, steps, dev_acc (last point),
    best_dev_acc, wall_s. (As :func:`mannlib.engine.sweep.tune`, from runs already loaded.)"""
    rows = [{"lr": r.config.lr, "batch_size": r.config.batch_size, "steps": r.config.steps,
             "dev_acc": float(r.curve["dev_acc"].iloc[-1]), "best_dev_acc": float(r.curve["dev_acc"].max()),
             "wall_s": float(r.manifest["wall_s"])} for r in runs]
    return pd.DataFrame(rows).sort_values(["dev_acc", "best_dev_acc"], ascending=False, kind="stable")


def grid_choice(tuning: pd.DataFrame, n_dev: int, chosen: dict = CHOSEN) -> dict:
    """Is the grid's winner really better than :data:`CHOSEN`? tuning: :func:`tuning_table`;
    n_dev: dev examples per run. ``gap`` = best dev_acc - chosen dev_acc, ``se`` the standard
    error of that difference (two independent binomials at the pooled accuracy), ``decided``
    whether the gap exceeds 2 se, i.e. whether the grid distinguishes the two settings."""
    best = tuning.iloc[0]
    row = tuning[(tuning["lr"] == chosen["lr"]) & (tuning["batch_size"] == chosen["batch_size"])]
    if row.empty:
        raise ValueError(f"the chosen setting {chosen} is not in the grid")
    mine = row.iloc[0]
    p = (best["dev_acc"] + mine["dev_acc"]) / 2
    se = noise(p, n_dev) / 2                        # one standard error of the difference
    gap = float(best["dev_acc"] - mine["dev_acc"])
    return {"best_lr": float(best["lr"]), "best_batch": int(best["batch_size"]), "best_dev": float(best["dev_acc"]),
            "chosen_dev": float(mine["dev_acc"]), "gap": gap, "se": se, "decided": gap > 2 * se,
            "spread": float(tuning["dev_acc"].max() - tuning["dev_acc"].min())}


def lpo_scores(acc: pd.DataFrame, lpo=TEST_LPO) -> pd.DataFrame:
    """Mean accuracy over ``lpo`` per (model, seed), then per model: median, min and max over
    seeds (index model, paper order)."""
    per_seed = acc[acc["difficulty"].isin(lpo)].groupby(["model", "seed"])["accuracy"].mean()
    table = per_seed.groupby("model").agg(["median", "min", "max"])
    return table.loc[model_order(table.index)]


def per_model_text(values: pd.Series, fmt: str = "{:.1%}") -> str:
    """Values per model in words, memory models first (the order the prose discusses them):
    {"srnn": 0.094, "sann": 0.031} -> "SANN 3.1% and SimpRNN 9.4%"; "" for none."""
    parts = [f"{NAMES[m]} {fmt.format(values[m])}" for m in reversed(MODELS) if m in values.index]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)


def range_table(acc: pd.DataFrame, train_max: int = TRAIN_MAX) -> pd.DataFrame:
    """Accuracy per model, "median (min-max)" over seeds in percent: inside the training range
    (#LPO 0-14 for ``train_max`` 14), beyond it (15-20), and at #LPO 20 alone; the column names
    say the ranges."""
    inside, beyond = lpo_ranges(train_max)
    cols = {f"#LPO {span(inside)}": inside, f"#LPO {span(beyond)}": beyond, f"#LPO {beyond[-1]}": (beyond[-1],)}
    out = {}
    for name, lpo in cols.items():
        t = lpo_scores(acc, lpo)
        out[name] = [f"{100 * a:.1f}% ({100 * b:.0f}-{100 * c:.0f})" for a, b, c in zip(t["median"], t["min"], t["max"])]
    return pd.DataFrame(out, index=t.index)


def trained_steps(run: Run) -> int:
    """The updates ``run`` made: its config's, or fewer for a run stopped by patience (Wang's
    protocol: its summary's ``steps``)."""
    return int((getattr(run, "summary", None) or {}).get("steps", run.config.steps))


def wall_times(runs: list[Run]) -> pd.DataFrame:
    """Training cost per model (median over its runs): steps trained, wall seconds, ms per step, epochs."""
    rows = [{"model": r.config.model, "steps": trained_steps(r), "wall_s": float(r.manifest["wall_s"]),
             "ms_per_step": 1000 * float(r.manifest["wall_s"]) / trained_steps(r),
             "epochs": epochs(trained_steps(r), r.config.batch_size, r.config.train_examples)} for r in runs]
    df = pd.DataFrame(rows).groupby("model").median()
    return df.loc[[m for m in MODELS if m in df.index]]


def run_epochs(runs: list[Run]) -> pd.Series:
    """Passes over its fixed training set that each run made, indexed (model, seed)."""
    return pd.Series({(r.config.model, r.config.seed): epochs(trained_steps(r), r.config.batch_size,
                                                             r.config.train_examples) for r in runs})


def run_stops(runs: list[Run]) -> pd.Series:
    """How each run ended, indexed (model, seed): "patience" (Wang's protocol: no better
    development accuracy for its patience), "cap" (the protocol's cap reached first) or "budget"
    (the fixed setting: no patience, every configured update made)."""
    def way(r: Run) -> str:
        s = getattr(r, "summary", None) or {}
        return "budget" if "stopped_early" not in s else "patience" if s["stopped_early"] else "cap"
    return pd.Series({(r.config.model, r.config.seed): way(r) for r in runs}, dtype=object)


PROGRESS_LABELS = {"step": "step", "epochs": "epochs of the training set"}   # Fig. 5b's x-axis label


def progress_curves(curves: pd.DataFrame, runs: list[Run]) -> tuple[pd.DataFrame, str]:
    """Fig. 5b's curves and their x: "step" while every model trained with one batch size (the
    fixed setting: a step is the same amount of data for each), else "epochs", the passes over
    the run's fixed training set (§3.3: 80,000 expressions) added as a column (examples /
    train_examples): under Wang's protocol each model trains with its own batch size, so steps
    do not compare them (:func:`mannlib.chapters.wang_common.progress_axis`). The label:
    :data:`PROGRESS_LABELS`."""
    if progress_axis(curves, tuple(curves["model"].unique())) == "step":
        return curves, "step"
    size = {(r.config.model, r.config.seed): r.config.train_examples for r in runs}
    missing = sorted({k for k in zip(curves["model"], curves["seed"])} - set(size))
    if missing:
        raise ValueError(f"no run for the curves of {missing}; pass the runs the curves come from")
    n = [size[k] for k in zip(curves["model"], curves["seed"])]
    return curves.assign(epochs=curves["examples"] / n), "epochs"


def claim_epochs(s: Settings, runs: list[Run]) -> float | pd.Series:
    """The epochs :func:`mannlib.chapters.m10ae.convergence_claim` puts on Fig. 5b's curves: the
    fixed setting's budget (one number, :func:`budget`), or under Wang's protocol, whose runs
    stop when their development accuracy stops improving, each run's own (:func:`run_epochs`)."""
    return run_budget(s, runs[0].config)["epochs"] if s.protocol == "fixed" else run_epochs(runs)


def ten_epochs(runs: list[Run]) -> dict:
    """Training the fixed setting's main runs ``runs`` for ten epochs (Wang gives no number; his
    Fig. 5b runs for many): ``ten_epoch_steps`` (updates per run, in words), ``ten_epoch_hours``
    (single-thread hours for all of them at their measured ms per update x updates x seeds,
    summed over models) and ``fixed_n_runs``."""
    c = runs[0].config
    updates = 10 * c.train_examples / c.batch_size
    seeds = len({r.config.seed for r in runs})
    return {"ten_epoch_steps": f"{int(updates):,}", "fixed_n_runs": len(runs),
            "ten_epoch_hours": float((wall_times(runs)["ms_per_step"] * seeds).sum() / 1000 / 3600 * updates)}


def target_text(score: float, target: float) -> str:
    """SANN's median score beyond the training range against the reproduction's target, in words
    for the prose: "is missed by 79.6 points", or "is met (SANN 93.1%)"."""
    if score >= target:
        return f"is met (SANN {score:.1%})"
    return f"is missed by {100 * (target - score):.1f} points"


def longer_training(long_runs: list[Run], runs: list[Run], train_max: int = TRAIN_MAX) -> pd.DataFrame:
    """Does more training help? For each long run (:func:`long_configs`) and the main run of the
    same model and seed: updates, epochs, training accuracy over the last 10% of updates,
    development accuracy (last curve point), test accuracy inside and beyond the training range
    (columns "#LPO 0-14" and "#LPO 15-20" for ``train_max`` 14) and wall time; index (model,
    budget, seed) with budget "main" or "long". :func:`longer_summary` takes the median over seeds."""
    inside, beyond = (f"#LPO {span(lpo)}" for lpo in lpo_ranges(train_max))
    main = {(r.config.model, r.config.seed): r for r in runs}
    rows = []
    for long in long_runs:
        for budget, r in (("main", main[long.config.model, long.config.seed]), ("long", long)):
            c, curve = r.config, r.curve
            tail = curve[curve["step"] > 0.9 * c.steps]
            rows.append({"model": c.model, "budget": budget, "seed": c.seed, "steps": c.steps,
                         "epochs": epochs(c.steps, c.batch_size, c.train_examples),
                         "train_acc": float(tail["train_acc"].mean()), "dev_acc": float(curve["dev_acc"].iloc[-1]),
                         inside: float(r.eval.loc[r.eval.index <= train_max, "accuracy"].mean()),
                         beyond: float(r.eval.loc[r.eval.index > train_max, "accuracy"].mean()),
                         "wall_min": float(r.manifest["wall_s"]) / 60})
    return pd.DataFrame(rows).set_index(["model", "budget", "seed"])


def longer_summary(longer: pd.DataFrame) -> pd.DataFrame:
    """:func:`longer_training`'s columns as the median over seeds per (model, budget), with
    ``seeds`` counting them; models in paper order, "main" before "long"."""
    g = longer.groupby(level=["model", "budget"], sort=False)
    out = g.median().assign(seeds=g.size())
    order = [(m, b) for m in MODELS for b in ("main", "long") if (m, b) in out.index]
    return out.loc[order]


def longer_text(longer: pd.DataFrame, eval_n: int, train_max: int = TRAIN_MAX) -> dict:
    """:func:`longer_summary` in words: ``gains`` (per model, the long runs' median test accuracy
    minus the main runs', inside and beyond the training range, #LPO 0-14 and 15-20 for
    ``train_max`` 14, in points), ``noise`` (two standard errors of such a difference for one run
    inside it, at the pooled accuracy) and ``helps`` (whether any gain exceeds it)."""
    longer = longer_summary(longer)
    lo, hi = lpo_ranges(train_max)
    a, b = f"#LPO {span(lo)}", f"#LPO {span(hi)}"            # longer_training's columns
    parts, helps, margin = [], False, 0.0
    for model in longer.index.get_level_values("model").unique():
        main, long = longer.loc[(model, "main")], longer.loc[(model, "long")]
        d_in, d_out = 100 * (long[a] - main[a]), 100 * (long[b] - main[b])
        p = (long[a] + main[a]) / 2
        margin = max(margin, 100 * noise(p, eval_n * len(lo)))   # in points
        helps |= bool(d_in > margin)
        parts.append(f"{model.upper()} {d_in:+.1f} points on {a} and {d_out:+.1f} on {span(hi)}")
    return {"gains": "; ".join(parts), "noise": margin, "helps": helps}


def plot_longer(long_runs: list[Run], runs: list[Run], train_max: int = TRAIN_MAX):
    """Development accuracy (on the training #LPO 0..``train_max``) against update for each long
    run (solid) and the main run of the same model and seed (dashed), with the 10% of guessing dotted."""
    import matplotlib.pyplot as plt
    main = {(r.config.model, r.config.seed): r for r in runs}
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for long in long_runs:
        key = (long.config.model, long.config.seed)
        first = long.config.seed == min(r.config.seed for r in long_runs if r.config.model == key[0])
        colour = f"C{MODELS.index(key[0])}"
        for r, style in ((long, "-"), (main[key], "--")):
            ax.plot(r.curve["step"], r.curve["dev_acc"], style, color=colour, lw=1, alpha=0.8,
                    label=f"{key[0]} ({r.config.steps:,} updates)" if first else None)
    ax.axhline(0.1, color="0.5", lw=0.8, ls=":")
    ax.set(xlabel="update", ylabel=f"development accuracy (#LPO {span(lpo_ranges(train_max)[0])})")
    ax.legend(fontsize="x-small", ncol=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def late_gain(curves: pd.DataFrame, column: str = "train_acc") -> pd.Series:
    """Per model, the median over seeds of the gain in ``column`` over the last quarter of the
    steps (last point minus the point at 75% of the run)."""
    gains = {}
    for (model, seed), g in curves.groupby(["model", "seed"], sort=False):
        g = g.sort_values("step")
        cut = g[g["step"] <= 0.75 * g["step"].max()]
        start = cut[column].iloc[-1] if len(cut) else g[column].iloc[0]
        gains[(model, seed)] = g[column].iloc[-1] - start
    s = pd.Series(gains).groupby(level=0).median()
    return s.loc[[m for m in MODELS if m in s.index]]


