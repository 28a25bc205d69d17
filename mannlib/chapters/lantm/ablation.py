"""Which training setting lets the LANTM learn Table 1's sizes? (issue 16, the ablation)

Yang §4 trains with "RMSProp with momentum .95" at Table 2's learning rates (0.02; addition 0.01)
and halves the learning rate "after 100 epochs ... if the best error so far is not improved in 30
epochs". Our first reading of that (the ``"paper"`` profile in :mod:`mannlib.engine.config`) stayed at
chance on copy of sizes 2-64. Four places where the reading may differ from what the author ran
(his public code, harvardnlp/lie-access-memory: ``options.lua``, ``train.lua``):

* ``optimizer``: torch's ``RMSprop(momentum=0.95)`` adds heavy-ball momentum, which multiplies the
  effective step by about 1 / (1 - 0.95) = 20. The author's code calls Torch7's ``optim.rmsprop``
  with no momentum (a squared-gradient average with decay 0.99, like torch's ``alpha=0.99``):
  here ``momentum=0``.
* ``write gates``: the author's write key gate and write step gate biases are -10 (ours -5),
  so that writes start on a straight line (§4, "Tweaks to the LANTM model").
* ``clip``: the author clips the gradient norm at 32 (ours 10).
* ``schedule``: our halving reads the "error" of an epoch as its 10-batch training loss, which is
  noisy and halves 15-30 times a run; ``schedule="none"`` keeps the learning rate fixed.

The ablation: the paper profile as it was, each difference switched on alone, all four together,
and the first three with the paper's halving rule read on a development error instead of a fixed
rate (``schedule="yang-dev"``: 1 - the dev fine score, checked at every dev evaluation, i.e. every
20 epochs, so "not improved in 30 epochs" means two evaluations without a new best); copy and addition at Table 1's sizes (2-64 and 2-16 digits), Table 2's sizes and
learning rates, :data:`STEPS` updates, seeds :data:`SEEDS`. The author's code also blanks the
input and stops writing during the answer phase; our tasks already feed a constant ``</s>``
during the answer, and the models never know which phase they are in (a memory never learns
which task it serves), so that difference is not ablated.

Stage 2 (:data:`STAGE2`): two more differences from the author's code, each on top of "all four"
at the author's budget (10,000 updates), on all five tasks:

* ``read output``: Table 2's parameter counts say the output layer reads [h_t; x_t] (our
  default); the author's code also feeds the output layer the read r_t of the same step, so the
  prediction sees what was just read. Here the output layer reads [h_t; r_t] (``output="hr"``,
  Wang's eq. 3, ungated; V x (m - E) parameters more than Table 2 counts).
* ``lr 0.01``: Table 2's 0.02 (addition 0.01) against 0.01 for every task, the rate of the
  author's LANTM configurations (``xopts/*/lantm_*_largetrain.json``) on all five tasks.

and a third on top of both (the best of the two on the committed runs):

* ``lr decay``: the author's code keeps the rate for ``decay_delay`` iterations of 10 batches
  (copy and reverse 600, the others 300, of 1,000) and then multiplies it by 0.99 every 20
  updates (``train.lua``), so that the last of 10,000 updates run at 13% (copy, reverse) or 3%
  of it; ours keeps it fixed (``schedule="decay"``, :data:`mannlib.papers.yang.AUTHOR_DECAY_AFTER`).

and a fourth, also on top of both:

* ``float64``: the author's CPU runs computed in double precision (``main.lua`` never sets a
  float tensor type, and Torch7's default is double); ours compute in float32, where InvNorm's
  weights, proportional to 1 / (d^2 + eps), can overflow (our reverse runs diverge). The same
  runs in float64 (``dtype="float64"``, from the same initial weights).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ...engine.cache import Run, train_or_load
from ...engine.config import RunConfig, profile_config
from ...papers import yang

TASKS = ("copy", "addition")
MODEL = "lantm-invnorm"
SEEDS = (0, 1)
STEPS = 5000          # Yang §5: addition learned "from about 0.16 million samples" = 5,000 batches of 32
                      # (mannlib.papers.yang.ADDITION_SAMPLES / BATCH_SIZE)

# setting -> overrides of profile_config(task, MODEL, "paper"); the first row is the paper profile.
SWITCHES = {
    "optimizer": {"momentum": 0.0},
    "write gates": {"sizes.write_gate_bias": -10.0},
    "clip": {"clip": 32.0},
    "schedule": {"schedule": "none"},
}
ALL_FOUR = {k: v for o in SWITCHES.values() for k, v in o.items()}
SETTINGS = {"as before": {}, **{f"+ {name}": o for name, o in SWITCHES.items()},
            "all four": ALL_FOUR, "all four, dev halving": {**ALL_FOUR, "schedule": "yang-dev"}}

# --- stage 2: two more switches on top of "all four" (the module docstring) ---------------------
STAGE2_TASKS = ("copy", "reverse", "bigramflip", "double", "addition")
STAGE2_SEEDS = (0, 1)
STAGE2_STEPS = 10_000   # the author's budget (settings.READINGS["all four"])
# A dict value is per task (task -> value).
MORE = {"read output": {"sizes.output": "hr"}, "lr 0.01": {"lr": 0.01},
        "lr decay": {"schedule": "decay", "decay_after": yang.AUTHOR_DECAY_AFTER}, "float64": {"dtype": "float64"}}
BOTH = {**ALL_FOUR, **MORE["read output"], **MORE["lr 0.01"]}
STAGE2 = {"all four": ALL_FOUR, **{f"all four + {name}": {**ALL_FOUR, **MORE[name]} for name in ("read output", "lr 0.01")},
          "all four + both": BOTH, "all four + both + lr decay": {**BOTH, **MORE["lr decay"]},
          "all four + both + float64": {**BOTH, **MORE["float64"]}}
ALL_SETTINGS = {**SETTINGS, **STAGE2}
LANTM_ONLY = ("sizes.", "lr", "decay_after", "dtype")   # overrides the LSTM baseline does not take: it keeps
                                               # Table 2's 2e-4 "with no adjustments" (Yang §4), so no decay
                                               # either, and float32


def overrides(setting: str, model: str = MODEL, task: str | None = None) -> dict:
    """``setting``'s overrides of the paper profile for ``model`` on ``task`` (the write gates and
    the output layer exist only in a LANTM, and the LSTM baseline keeps its own learning rate,
    without decay, so it takes the rest; a per-task value needs ``task``)."""
    if setting not in ALL_SETTINGS:
        raise ValueError(f"unknown ablation setting {setting!r}; choose one of {', '.join(ALL_SETTINGS)}")
    out = {}
    for k, v in ALL_SETTINGS[setting].items():
        if not model.startswith("lantm") and k.startswith(LANTM_ONLY):
            continue
        if isinstance(v, dict):
            if task not in v:
                raise ValueError(f"setting {setting!r} sets {k} per task ({', '.join(v)}); got task {task!r}")
            v = v[task]
        out[k] = "none" if k == "schedule" and v == "decay" and not model.startswith("lantm") else v
    return out


def config(task: str, setting: str, seed: int, model: str = MODEL, steps: int = STEPS,
           profile: str = "paper") -> RunConfig:
    """One run: the ``profile`` config of (task, model) with ``setting``'s overrides and ``steps``
    updates (the quick profile keeps its own few steps)."""
    extra = {} if profile == "quick" else {"steps": steps}
    return profile_config(task, model, profile, seed, **extra, **overrides(setting, model, task))


def configs(seeds=SEEDS, tasks=TASKS, settings=tuple(SETTINGS), profile: str = "paper",
            steps: int = STEPS) -> list[RunConfig]:
    """Every ablation run, seed by seed (a budget cut short still covers every setting once)."""
    return [config(task, s, seed, profile=profile, steps=steps) for seed in seeds for s in settings for task in tasks]


def stage2_configs(seeds=STAGE2_SEEDS, profile: str = "paper") -> list[RunConfig]:
    """Stage 2's runs, "+ both" first, seed by seed, then "+ both + lr decay" (the rest after), each
    once: on addition, whose Table 2 rate is 0.01 already, "+ lr 0.01" is "all four" and "+ both"
    "+ read output"."""
    first = ("all four + both", "all four + both + lr decay")
    order = list(first) + [s for s in STAGE2 if s not in first]
    cs = [config(task, s, seed, profile=profile, steps=STAGE2_STEPS) for s in order for seed in seeds
          for task in STAGE2_TASKS]
    return list({c.to_json(): c for c in cs}.values())


@dataclass
class Diverged:
    """A run whose loss or gradient became infinite before its first dev point, so that it has no
    best dev weights to keep (a later divergence ends the run with them, ``diverged_at`` in its
    summary, as the author's loop does): the cache records where, and the ablation counts it as a
    result (0% coarse, ``diverged``)."""
    config: RunConfig
    message: str


def load_runs(profile: str = "paper", train_missing: bool = True, seeds=SEEDS,
              stage: int = 1) -> list[tuple[str, Run | Diverged]]:
    """(setting, run) for :func:`configs` (``stage=2``: :data:`STAGE2` on its tasks and
    updates), a :class:`Diverged` for a run that diverges; with ``train_missing=False`` runs not
    in the cache are skipped. A run shared by two settings appears under both."""
    from ...engine.cache import settled
    from ...engine.train import TrainingDiverged
    settings, tasks, steps = (SETTINGS, TASKS, STEPS) if stage == 1 else (STAGE2, STAGE2_TASKS, STAGE2_STEPS)
    out = []
    for seed in seeds:
        for s in settings:
            for task in tasks:
                c = config(task, s, seed, profile=profile, steps=steps)
                if not train_missing and not settled(c):
                    continue   # not committed (a diverged run is: its record says where it diverged)
                try:
                    out.append((s, train_or_load(c, progress="none")))
                except TrainingDiverged as e:
                    out.append((s, Diverged(c, str(e))))
    return out


def table(runs: list[tuple[str, Run | Diverged]]) -> pd.DataFrame:
    """One row per (setting, task, seed): test coarse at 1x and 2x of the kept (best dev)
    weights (sizes <= m and m < size <= 2m; 0 for a run that diverged before its first dev
    point), final training loss, the step of the best dev point, the final learning rate, how
    often the schedule halved it, and whether the run diverged (a run that diverged later is
    scored with the best dev weights it had by then, as the author's loop does)."""
    rows = []
    for setting, r in runs:
        row = {"setting": setting, "task": r.config.task, "seed": r.config.seed}
        if isinstance(r, Diverged):
            rows.append({**row, "1x coarse": 0.0, "2x coarse": 0.0, "final loss": float("nan"),
                         "best dev step": 0, "final lr": float("nan"), "halvings": 0, "diverged": True,
                         "diverged at": int(r.message.split(" at step ")[-1].split(" ")[0])})
            continue
        m = r.task.train_range[1]
        ev = r.eval.reset_index()
        right = ev["accuracy"] * ev["n"]
        one, two = ev["difficulty"] <= m, (ev["difficulty"] > m) & (ev["difficulty"] <= 2 * m)
        best = r.curve.loc[r.curve["dev_acc"].idxmax()]
        rows.append({**row, "1x coarse": right[one].sum() / ev["n"][one].sum(),
                     "2x coarse": right[two].sum() / ev["n"][two].sum(),
                     "final loss": float(r.curve["loss"].iloc[-1]),
                     "best dev step": int(r.summary.get("best_step") or best["step"]),   # the kept weights'
                     "final lr": float(r.curve["lr"].iloc[-1]),
                     "halvings": halvings(r), "diverged": "diverged_at" in r.summary,
                     "diverged at": r.summary.get("diverged_at", 0)})
    return pd.DataFrame(rows)


def halvings(r: Run) -> int:
    """How often the halving schedule (Yang §4) cut the run's learning rate."""
    return int(round(math.log2(r.config.lr / r.curve["lr"].iloc[-1]))) if len(r.curve) else 0


def summary(t: pd.DataFrame) -> pd.DataFrame:
    """:func:`table` per (setting, task): median, min and max over seeds of the 1x and 2x coarse
    scores, settings in :data:`ALL_SETTINGS` order."""
    g = t.groupby(["setting", "task"])[["1x coarse", "2x coarse"]].agg(["median", "min", "max"])
    order = [(s, task) for s in ALL_SETTINGS for task in STAGE2_TASKS if (s, task) in g.index]
    return g.loc[order]


LEARNS = 0.5   # a setting "learns" a task when its median 1x coarse over seeds is at least this


def learners(t: pd.DataFrame) -> dict[str, list[str]]:
    """setting -> the tasks it learns (median 1x coarse >= :data:`LEARNS`)."""
    med = t.groupby(["setting", "task"])["1x coarse"].median()
    return {s: [task for task in STAGE2_TASKS if med.get((s, task), 0.0) >= LEARNS] for s in ALL_SETTINGS
            if s in set(t["setting"])}


def best_setting(t: pd.DataFrame) -> str:
    """The setting with the highest mean over tasks of the median 2x coarse score (then 1x);
    ties go to the earlier setting in :data:`ALL_SETTINGS` (fewer changes)."""
    med = t.groupby(["setting", "task"])[["1x coarse", "2x coarse"]].median().groupby("setting").mean()
    rank = sorted(med.index, key=lambda s: (-med.loc[s, "2x coarse"].round(3), -med.loc[s, "1x coarse"].round(3),
                                             list(ALL_SETTINGS).index(s)))
    return rank[0]


def findings(t: pd.DataFrame) -> str:
    """The ablation in words, from :func:`learners` and :func:`best_setting`: what each setting
    learns and which one is best."""
    learn = learners(t)

    def tasks(s):
        return " and ".join(learn[s]) if learn[s] else "neither task"
    parts = [f"As before, the LANTM learns {tasks('as before')}." if "as before" in learn else ""]
    div = t[t["diverged"]] if "diverged" in t else t.iloc[:0]
    if len(div):
        parts.append(diverged_sentence(div))
    alone = [f"{s[2:]} learns {tasks(s)}" for s in learn if s.startswith("+ ")]
    if alone:
        parts.append("Switched on alone: " + "; ".join(alone) + ".")
    if "all four" in learn:
        parts.append(f"All four together learn {tasks('all four')}.")
    if "all four, dev halving" in learn:
        parts.append(f"With the halving rule read on the development error instead of a fixed rate, they learn "
                     f"{tasks('all four, dev halving')}.")
    parts.append(f"Best (mean over tasks of the median 2x coarse score): {best_setting(t)}.")
    return " ".join(p for p in parts if p)


def diverged_sentence(div: pd.DataFrame) -> str:
    """The diverged rows of :func:`table` in words: a run scored with the best dev weights it had
    when it diverged (the author's loop stops there too), or 0% when it had none yet."""
    return (f"{len(div)} run{'s' * (len(div) > 1)} diverged (an infinite loss or gradient; training stops "
            "there, as in the author's loop, and the run is scored with its best dev weights so far, or 0% "
            "before its first dev point): "
            + "; ".join(f"{r['setting']} on {r['task']}, seed {r['seed']} (at update {r['diverged at']}, "
                        f"{r['1x coarse']:.0%} / {r['2x coarse']:.0%} at 1x / 2x)" for _, r in div.iterrows())
            + ".")


def _stage2_common(t: pd.DataFrame) -> tuple[list, list, pd.DataFrame]:
    """The stage-2 settings in ``t``, the tasks every one of them has run, and ``t`` on those tasks
    (a campaign cut short compares its settings on the same tasks)."""
    shown = [s for s in STAGE2 if s in set(t["setting"])]
    common = [task for task in STAGE2_TASKS if all(((t["setting"] == s) & (t["task"] == task)).any() for s in shown)]
    return shown, common, t[t["task"].isin(common)]


def stage2_findings(t: pd.DataFrame) -> str:
    """Stage 2 in words: per setting, the mean over tasks (those every setting has run) of the
    median 1x and 2x coarse scores, the tasks it learns (median 1x coarse >= :data:`LEARNS`), the diverged runs, and the best
    setting (:func:`best_setting`)."""
    shown, common, same = _stage2_common(t)
    med = same.groupby(["setting", "task"])[["1x coarse", "2x coarse"]].median().groupby("setting").mean()
    learn = learners(t)
    over = "the tasks" if len(common) == len(STAGE2_TASKS) else f"{', '.join(common) or 'no task'} (run by every setting)"
    parts = []
    for s in [s for s in shown if s in med.index]:
        tasks = ", ".join(learn[s]) if learn[s] else "no task"
        parts.append(f"{s} {med.loc[s, '1x coarse']:.0%} / {med.loc[s, '2x coarse']:.0%} (learns {tasks})")
    text = f"Coarse score at 1x / 2x, mean over {over} of the median over seeds: " + "; ".join(parts) + "."
    div = t[t["diverged"]] if "diverged" in t else t.iloc[:0]
    if len(div):
        text += " " + diverged_sentence(div)
    return text + f" Best: {best_setting(same)}."


def stage2_effect(t: pd.DataFrame) -> str:
    """One sentence for the chapter's summary: what the best stage-2 setting does to the mean over
    the tasks (those every setting has run) of the median 2x coarse score against "all four"."""
    shown, common, same = _stage2_common(t)
    if "all four" not in shown or not common:
        return ""
    two = same.groupby(["setting", "task"])["2x coarse"].median().groupby("setting").mean()
    best = best_setting(same)
    if best == "all four":
        return "Neither switch of the ablation's second stage improves on all four."
    return (f"In the ablation's second stage, {best[len('all four + '):]} on top of all four takes the mean 2x coarse "
            f"score over {len(common)} task{'s' * (len(common) > 1)} from {two['all four']:.0%} to {two[best]:.0%}.")


def curves_figure(runs: list[tuple[str, Run]]):
    """Dev coarse score against updates, one panel per task, one colour per setting, one line
    per seed (none for a diverged run): where each setting starts to learn, if it does."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    frames = [r.curve.assign(setting=s, task=r.config.task, seed=r.config.seed) for s, r in runs
              if not isinstance(r, Diverged)]
    df = pd.concat(frames, ignore_index=True)
    tasks = [t for t in STAGE2_TASKS if t in set(df["task"])]
    cols = min(3, len(tasks))
    rows = -(-len(tasks) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), sharey=True, squeeze=False)
    flat = axes.ravel()
    for ax, task in zip(flat, tasks):
        sns.lineplot(df[df["task"] == task], x="step", y="dev_acc", hue="setting", units="seed",
                     estimator=None, hue_order=[s for s in ALL_SETTINGS if s in set(df["setting"])], ax=ax,
                     legend=ax is flat[cols - 1])
        ax.set(title=task, xlabel="update", ylabel="dev coarse score", ylim=(-0.03, 1.03))
    for ax in flat[len(tasks):]:
        ax.set_visible(False)
    if flat[cols - 1].get_legend():
        sns.move_legend(flat[cols - 1], "upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    fig.tight_layout()
    return fig
