"""What the two Wang et al. 2019 chapters share: the compared models, the seeds, the result
frames of Figs. 2 and 5, the choice of the run to analyse, the probe heatmap, and the thresholds of the t-SNE
verdicts (Figs. 4 and 9).

:mod:`mannlib.chapters.mirror` (§3.2) and :mod:`mannlib.chapters.m10ae` (§3.3) both import from
here; neither imports the other.
"""
from __future__ import annotations

import pandas as pd

from ..engine.cache import Run, train_or_load
from ..engine.config import RunConfig
from ..engine.launch import train_all

MODELS = ("srnn", "lstm", "tann", "sann")      # Wang Figs. 2 and 5: SimpRNN, LSTM, TANN, SANN
BASELINES = ("srnn", "lstm")                   # no external memory
MEMORY_MODELS = ("tann", "sann")
SEEDS = (0, 1, 2)                              # seeds per model in the paper profile (the paper gives none)
NAMES = {"srnn": "SimpRNN", "lstm": "LSTM", "tann": "TANN", "sann": "SANN"}   # as the paper writes them

SUPPORTED = 0.90       # Figs. 4, 9: median held-out k-NN probe accuracy of a hypothesis's labels
ABOVE_SHUFFLED = 0.30  # partly: the probe beats the shuffled-label baseline by >= 30 points


def load_runs(configs: list[RunConfig], profile: str, name: str = "runs") -> list[Run]:
    """Load (or train what is missing of) ``configs``. In the paper profile the missing runs train
    first, two at a time, after an estimate of their time, one line per finished run
    (:func:`mannlib.engine.launch.train_all`; nothing is printed when every run is cached);
    quick runs train silently, one after another."""
    if profile == "paper":
        train_all(configs, name)   # two local processes, or $MANNLIB_LAUNCHER=ray: the whole cluster
    return [train_or_load(c, progress="none") for c in configs]


# --- the notebooks' parameters (issue 17): one check per kind of value ---------------------------
def positive(name: str, value, kind=int):
    """``value`` unchanged when it is None or a positive ``kind`` (int, or float: a number);
    ValueError naming the knob otherwise."""
    ok = value is None or (isinstance(value, (int, float) if kind is float else int)
                           and not isinstance(value, bool) and value > 0)
    if not ok:
        what = "a positive number" if kind is float else "a positive integer"
        raise ValueError(f"{name} must be {what} or None (the profile's), got {value!r}")
    return float(value) if kind is float and value is not None else value


def check_task_range(task: str, train_max: int, default: int, what: str) -> None:
    """A training maximum other than the paper's needs the task to take ``train_max`` as a task
    argument; a one-line ValueError says so when it does not (yet)."""
    import inspect

    from ..tasks import TASKS
    if train_max != default and "train_max" not in inspect.signature(TASKS[task]).parameters:
        raise ValueError(f"{what} other than {default} needs mannlib.tasks.{task} to take task_args.train_max, "
                         f"which it does not yet; use {default}")


def accuracy_frame(runs: list[Run]) -> pd.DataFrame:
    """Figs. 2a / 5a's data: one row per (model, seed, difficulty) with accuracy (whole sequence,
    or result, right) and fine (bits right), from each run's final evaluation."""
    frames = [r.eval.reset_index().assign(model=r.config.model, seed=r.config.seed) for r in runs]
    df = pd.concat(frames, ignore_index=True)
    return df[["model", "seed", "difficulty", "accuracy", "fine"]]


def curve_frame(runs: list[Run]) -> pd.DataFrame:
    """Figs. 2b / 5b's data: every learning-curve point (step, loss, train_acc, dev_acc, ...) with
    model, seed and examples (training examples seen: step x the run's batch size; under Wang's
    protocol the models train with different batch sizes, so steps alone do not compare them)."""
    return pd.concat([r.curve.assign(model=r.config.model, seed=r.config.seed,
                                     examples=r.curve["step"] * r.config.batch_size) for r in runs],
                     ignore_index=True)


def progress_axis(curves: pd.DataFrame, models=MEMORY_MODELS) -> str:
    """The x of a convergence comparison: "step" while ``models`` trained with one batch size,
    "examples" when their batch sizes differ (their steps are then not the same amount of data)."""
    sel = curves[curves["model"].isin(models) & (curves["step"] > 0)]
    per_model = (sel["examples"] / sel["step"]).groupby(sel["model"]).unique()
    return "step" if len({b for v in per_model for b in v}) <= 1 else "examples"


def models_text(models) -> str:
    """("srnn", "lstm", "tann", "sann") -> "SimpRNN, LSTM, TANN and SANN", in the paper's order."""
    names = [NAMES.get(m, m) for m in model_order(models)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def model_order(models) -> list[str]:
    """``models`` in the paper's order (:data:`MODELS`), any others after them, sorted."""
    return [m for m in MODELS if m in set(models)] + sorted(set(models) - set(MODELS))


def beyond_accuracy(run: Run, train_max: int, column: str = "accuracy") -> float:
    """A run's mean test ``column`` (accuracy or fine) beyond ``train_max``."""
    ev = run.eval[column]
    return float(ev[ev.index > train_max].mean())


def best_seed(runs: list[Run], model: str, train_max: int) -> Run:
    """The run of ``model`` most likely to have learned a clean algorithm (the paper analyses a
    model that "can generalize greatly"): the best mean accuracy beyond the training
    difficulties (> ``train_max``) to the nearest percent; ties (e.g. every seed near 0%) go to
    the better mean bit accuracy (``fine``) beyond them, then the better accuracy up to
    ``train_max``, then the lower seed."""
    own = [r for r in runs if r.config.model == model]
    if not own:
        raise ValueError(f"no run of {model!r}; runs: {', '.join(sorted({r.config.model for r in runs}))}")

    def key(r: Run):
        ev = r.eval["accuracy"]
        return (-round(100 * beyond_accuracy(r, train_max)), -beyond_accuracy(r, train_max, "fine"),
                -ev[ev.index <= train_max].mean(), r.config.seed)
    return min(own, key=key)


def agreement_figure(agree: pd.DataFrame, step_names, title: str = ""):
    """:func:`mannlib.methods.plots.agreement_heatmap` with the steps named (mirror: x1 .. <EOS> .. yL;
    M10AE: N0 .. N4)."""
    from ..methods.plots import agreement_heatmap
    fig = agreement_heatmap(agree, title=title)
    ax = fig.axes[0]
    steps = sorted(agree["step"].unique())
    ax.set_xticklabels([step_names[t] for t in steps], rotation=45, ha="right", rotation_mode="anchor")
    ax.set_xlabel("after step")
    return fig
