"""Two choices the paper leaves open, tried: does either explain why no memory model extrapolates?

Wang et al. do not give the stack's largest pop count K for mirror (ours, 3, follows M10AE's
Fig. 6b, which shows about 3 expected pops), and where §2 says that "h_t and the input x_t are
then inputted to the write module and the read module" (ours do), §2.2 refers for the heads to
Graves et al.'s NTM, whose heads read h_t alone. :data:`DESIGN` changes one of them per memory
model (a ``None`` value removes the field: the model's default); every other field
is the fixed-setting run's (:func:`~.settings.paper_configs`), so each changed run has a twin
among the committed runs, seed for seed. In the paper profile the tape's change is also tried on
the final runs of Wang's paper protocol (its chosen cell, not tuned again for the change), so that
a gain in one setting is not read as a gain in general. ``python -m mannlib reproduce
mirror-design`` trains them.
"""
from __future__ import annotations

import pandas as pd

from ...engine.cache import Run
from ...engine.config import RunConfig, profile_config
from ..base import pct, seed_tuple
from ..wang_common import NAMES, load_runs
from ..wang_runs import final_configs
from .settings import QUICK_SEEDS, SEEDS, TARGET, TEST_LENGTHS, TRAIN_MAX

DESIGN = {  # model -> (what changes, in words; the config fields it changes)
    "sann": ("at most 1 pop per step (K = 1; ours: 3)", {"sizes.max_pops": 1}),
    "tann": ("heads that read h_t only (Graves' NTM; ours: h_t and x_t, Wang §2)", {"sizes.head_input": None}),
}
PROTOCOL_CHECK = ("tann",)   # models whose change is also tried on the paper protocol's final runs
HELPS = 0.10   # a change helps when it raises the median mean accuracy at lengths 6-10 by >= 10 points
SETTINGS = {"fixed": "fixed setting", "protocol": "paper protocol's cell"}


def changed(c: RunConfig, overrides: dict) -> RunConfig:
    """``c`` with :data:`DESIGN` ``overrides`` (``sizes.NAME`` keys): a value sets the field, ``None``
    removes it, so the model takes its default and the run keeps the id it has without the field."""
    sizes = dict(c.sizes)
    for key, value in overrides.items():
        name = key.split(".", 1)[1]
        if value is None:
            sizes.pop(name, None)
        else:
            sizes[name] = value
    return RunConfig.from_dict({**c.to_dict(), "sizes": sizes})


def design_configs(profile: str = "paper", seeds=None) -> list[RunConfig]:
    """The runs with one choice of :data:`DESIGN` changed and, before them, their twins as
    committed (the fixed setting), model by model, seed by seed; in the paper profile then the
    paper protocol's final runs of :data:`PROTOCOL_CHECK` and the same changed: ``reproduce
    mirror-design``."""
    seeds = seed_tuple(seeds) if seeds is not None else SEEDS if profile == "paper" else QUICK_SEEDS
    out = []
    for model, (_, overrides) in DESIGN.items():
        twins = [profile_config("mirror", model, profile, seed) for seed in seeds]
        out += twins + [changed(c, overrides) for c in twins]
    if profile == "paper":
        for model in PROTOCOL_CHECK:
            chosen = [c for c in final_configs("mirror", "paper", profile, (model,)) if c.seed in seeds]
            out += chosen + [changed(c, DESIGN[model][1]) for c in chosen]
    return out


def design_runs(profile: str = "paper", seeds=None) -> list[Run]:
    """Load (or train what is missing of) :func:`design_configs`."""
    return load_runs(design_configs(profile, seeds), profile, "mirror-design")


def variant(run: Run) -> str:
    """"as committed" for a twin, else the words of its :data:`DESIGN` change."""
    words, overrides = DESIGN[run.config.model]
    return words if changed(run.config, overrides) == run.config else "as committed"   # the change is in it


def design_table(runs: list[Run], train_max: int = TRAIN_MAX, lengths=TEST_LENGTHS) -> pd.DataFrame:
    """Per (model, setting, variant): seeds, and the median over seeds of the whole-sequence accuracy at
    lengths 1-``train_max`` (mean), at the first length beyond it, and at ``lengths`` (mean), then
    each seed's mean at ``lengths`` (the seeds of one model can differ widely)."""
    rows = []
    for run in runs:
        acc = run.eval["accuracy"]
        setting = SETTINGS["fixed" if run.config.patience is None else "protocol"]
        rows.append({"model": NAMES[run.config.model], "setting": setting, "variant": variant(run),
                     "seed": run.config.seed,
                     f"lengths 1-{train_max}": acc.loc[1:train_max].mean(), f"length {lengths[0]}": acc.loc[lengths[0]],
                     f"lengths {lengths[0]}-{lengths[-1]}": acc.loc[list(lengths)].mean()})
    df = pd.DataFrame(rows)
    groups = df.groupby(["model", "setting", "variant"], sort=False)
    out = groups.median(numeric_only=True).drop(columns="seed")
    out.insert(0, "seeds", groups["seed"].count())
    beyond = f"lengths {lengths[0]}-{lengths[-1]}"
    out[f"{beyond}, per seed"] = groups.apply(lambda g: ", ".join(
        f"{pct(a)} (seed {s})" for s, a in zip(g["seed"], g[beyond])), include_groups=False)
    return out


def design_text(table: pd.DataFrame) -> str:
    """The accuracy beyond the training lengths of each model as committed and changed (medians over
    seeds) in each setting, where a change helps or costs at least :data:`HELPS`, and which of
    them extrapolate (median >= TARGET over those lengths)."""
    beyond = table.columns[-2]
    parts, helped, hurt, reach = [], [], [], []
    for (model, setting) in dict.fromkeys(table.index.droplevel(2)):
        rows = table.loc[(model, setting)][beyond]
        changed = [v for v in rows.index if v != "as committed"]
        parts.append(f"{model} ({setting}) {pct(rows['as committed'])} as committed, "
                     + ", ".join(f"{pct(rows[v])} with {v}" for v in changed))
        helped += [f"{model} ({setting})" for v in changed if rows[v] - rows["as committed"] >= HELPS]
        hurt += [f"{model} ({setting})" for v in changed if rows["as committed"] - rows[v] >= HELPS]
        reach += [f"{model} ({setting}) {'as committed' if v == 'as committed' else 'changed'}"
                  for v in rows.index if rows[v] >= TARGET]
    moves = [f"the change helps {' and '.join(helped)} by at least {pct(HELPS, 0)}"] if helped else []
    moves += [f"the change costs {' and '.join(hurt)} at least {pct(HELPS, 0)}"] if hurt else []
    effect = "; ".join(moves) if moves else f"no change moves a model by {pct(HELPS, 0)} or more"
    verdict = (f"{pct(TARGET, 0)} there is reached by {', '.join(reach)}" if reach else
               f"no model reaches {pct(TARGET, 0)} there, changed or not")
    return f"Mean accuracy at {beyond}, median over seeds: {'; '.join(parts)}. So {effect}, and {verdict}."
