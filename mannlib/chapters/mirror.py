"""The mirror chapter (Wang et al. 2019, §3.2): its runs, tables, verdicts and analyses.

notebooks/mirror.ipynb tells the story; this module computes it:

* results (Fig. 2): :func:`accuracy_frame`, :func:`curve_frame`, :func:`length_table`,
  :func:`steps_to`;
* the paper's claims next to ours, each with a verdict computed from stated thresholds
  (:data:`TARGET` and friends): :func:`generalisation_claim`, :func:`baseline_claim`,
  :func:`convergence_claim`, :func:`delimiter_claim`, :func:`policy_claim`,
  :func:`hypothesis_claim`, gathered by :func:`claims_table`;
* the analysis (Fig. 3, 4): :func:`best_seed` picks the run to analyse, :func:`analyse` runs it
  on Wang's analysis set with its trace, :func:`hypothesis` fits the paper's hypothesised
  strategy to it, :func:`agreement` probes every labelled (time step, cell), :func:`figure4`
  computes the t-SNE panels and :func:`negative_text` reads the negative examples;
* sentences for the prose that read correctly whatever the numbers are
  (:func:`generalisation_lesson`, :func:`analysed_model_note`, :func:`summary`, ...).

The generic pieces (:class:`Claim`, :func:`verdict`, :func:`pct`, :func:`points`,
:func:`summary`, :func:`claims_table`, :func:`best_seed` with ``train_max``) are shared with
:mod:`mannlib.chapters.m10ae`.

Verdicts are one of :data:`VERDICTS`; every threshold is a module constant that the chapter
quotes, so the prose and the code cannot drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .. import analysis as A, hypotheses as H
from ..cache import Run, train_or_load
from ..config import RunConfig, profile_config
from ..experiments import SEEDS, mirror as paper_configs
from ..tasks.mirror import Mirror, labels as input_labels
from .claims import VERDICTS, Claim, check_models, claims_table, pct, points, summary, verdict  # noqa: F401

MODELS = ("srnn", "lstm", "tann", "sann")      # Wang Fig. 2: SimpRNN, LSTM, TANN, SANN
BASELINES = ("srnn", "lstm")                   # no external memory
MEMORY_MODELS = ("tann", "sann")
TRAIN_MAX = Mirror.train_range[1]              # 5: "The maximum length ... is 5 during the training stage"
TEST_LENGTHS = tuple(range(Mirror.test_range[0], Mirror.test_range[1] + 1))  # 6..10

TARGET = 0.95       # issue 6: SANN and TANN >= 95% (median over seeds) at every length 6-10
GAP = 0.20          # "clearly lower": baselines >= 20 points below on lengths 6-10
CONVERGED = 0.95    # Fig. 2b: a run has converged at its first curve point with train_acc >= 95%
SHARP = 0.10        # Fig. 3a/c: a saturation ratio jumping >= 10 points at <EOS> or y1 ...
CALM = 2.0          # ... and >= twice the largest step-to-step change while encoding
OPPOSITE = 0.5      # Fig. 3d: P(PUSH) and pops differ by >= 0.5 between encoding and decoding
SUPPORTED = 0.90    # Fig. 4: median held-out probe accuracy over the labelled (step, cell) pairs
ABOVE_SHUFFLED = 0.30  # partly: the median beats the shuffled-label baseline by >= 30 points

POLICY_KEYS = {"tann": ["addr_write", "addr_read"], "sann": ["p_push", "pops"]}   # eq. 9; eqs. 10-11
POLICY_GROUPS = {"tann": [["addr_write", "addr_read"]], "sann": [["p_push"], ["pops"]]}


# --- settings and runs ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    profile: str                  # paper | quick (mannlib.notebook.PROFILES)
    seeds: tuple                  # seeds per model
    analysis_n: int               # samples in the analysis set (Wang §3.2: 500)
    analysis_length: int = 5      # L of every analysis sample (see Mirror.analysis_set)
    analysis_seed: int = 0        # numpy seed of the analysis set


def settings(profile: str, analysis_length: int = 5, analysis_seed: int = 0) -> Settings:
    """The paper profile: Wang's settings, seeds 0-2, 500 analysis samples; quick: two seeds of
    tiny models and 120 samples, enough to exercise every cell in seconds."""
    if profile == "paper":
        return Settings("paper", SEEDS, 500, analysis_length, analysis_seed)
    if profile == "quick":
        return Settings("quick", (0, 1), 120, analysis_length, analysis_seed)
    raise ValueError(f"unknown profile {profile!r}; choose one of paper, quick")


def configs(s: Settings) -> list[RunConfig]:
    """The runs of the chapter: :func:`mannlib.experiments.mirror` in the paper profile (what
    ``python -m mannlib reproduce mirror`` trains), their quick versions otherwise."""
    if s.profile == "paper" and tuple(s.seeds) == tuple(SEEDS):
        return paper_configs()
    return [profile_config("mirror", m, s.profile, seed) for m in MODELS for seed in s.seeds]


def load_runs(s: Settings) -> list[Run]:
    """Load (or train what is missing of) :func:`configs`; quick runs train silently."""
    progress = "none" if s.profile == "quick" else "auto"
    return [train_or_load(c, progress=progress) for c in configs(s)]


# --- results: Fig. 2 ------------------------------------------------------------------------------
def accuracy_frame(runs: list[Run]) -> pd.DataFrame:
    """Fig. 2a's data: one row per (model, seed, difficulty) with accuracy (whole sequence right)
    and fine (bits right), from each run's final evaluation."""
    frames = [r.eval.reset_index().assign(model=r.config.model, seed=r.config.seed) for r in runs]
    df = pd.concat(frames, ignore_index=True)
    return df[["model", "seed", "difficulty", "accuracy", "fine"]]


def curve_frame(runs: list[Run]) -> pd.DataFrame:
    """Fig. 2b's data: every learning-curve point (step, loss, train_acc, dev_acc, ...) with
    model and seed."""
    return pd.concat([r.curve.assign(model=r.config.model, seed=r.config.seed) for r in runs],
                     ignore_index=True)


def training_settings(runs: list[Run]) -> str:
    """The learning rate and batch size of the runs, in words: one setting or "per model"."""
    settings_ = {(r.config.lr, r.config.batch_size, r.config.steps) for r in runs}
    if len(settings_) == 1:
        lr, batch, steps = settings_.pop()
        return f"learning rate {lr:g}, batch size {batch} and {steps:,} updates for every model"
    return "the per-model learning rates, batch sizes and numbers of updates in the table"


def _order(models) -> list[str]:
    return [m for m in MODELS if m in set(models)] + sorted(set(models) - set(MODELS))


def length_table(acc: pd.DataFrame, lengths=TEST_LENGTHS) -> pd.DataFrame:
    """Accuracy per model at each length: median, min and max over seeds. Index model;
    columns (length, stat) with stat in median, min, max."""
    sel = acc[acc["difficulty"].isin(lengths)]
    table = sel.groupby(["model", "difficulty"])["accuracy"].agg(["median", "min", "max"]).unstack("difficulty")
    table = table.swaplevel(axis=1).sort_index(axis=1, level=0, sort_remaining=False)
    table.columns.names = ["length", "stat"]
    return table.loc[_order(table.index)]


def show_length_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`length_table` as text, one column per length: "median (min-max)" in percent."""
    out = {}
    for length in dict.fromkeys(table.columns.get_level_values(0)):
        t = table[length]
        out[f"L = {length}"] = [f"{pct(a)} ({100 * b:.0f}-{100 * c:.0f})"
                                for a, b, c in zip(t["median"], t["min"], t["max"])]
    return pd.DataFrame(out, index=table.index)


def steps_to(curves: pd.DataFrame, threshold: float = CONVERGED, column: str = "train_acc") -> pd.DataFrame:
    """The first curve step at which ``column`` reaches ``threshold``, per (model, seed); NaN
    when it never does. Columns model, seed, step."""
    rows = []
    for (model, seed), g in curves.groupby(["model", "seed"], sort=False):
        hit = g.loc[g[column] >= threshold, "step"]
        rows.append({"model": model, "seed": seed, "step": float(hit.min()) if len(hit) else np.nan})
    return pd.DataFrame(rows, columns=["model", "seed", "step"])


# --- claims and verdicts (the machinery: .claims) ------------------------------------------------
def beyond_scores(acc: pd.DataFrame, lengths=TEST_LENGTHS) -> pd.Series:
    """Mean accuracy over ``lengths`` per (model, seed), then the median over seeds: per model."""
    sel = acc[acc["difficulty"].isin(lengths)]
    per_seed = sel.groupby(["model", "seed"])["accuracy"].mean()
    scores = per_seed.groupby("model").median()
    return scores.loc[_order(scores.index)]


def within_scores(acc: pd.DataFrame) -> pd.Series:
    """Mean accuracy on the training lengths 1-5 per (model, seed), median over seeds: per model."""
    return beyond_scores(acc, tuple(range(1, TRAIN_MAX + 1)))


def fit_text(acc: pd.DataFrame) -> str:
    """How well each model fits the training lengths, for the prose."""
    scores = within_scores(acc)
    return "median accuracy on lengths 1-5: " + ", ".join(f"{m.upper()} {pct(v)}" for m, v in scores.items())


def closest_seed(acc: pd.DataFrame, models=MEMORY_MODELS, lengths=TEST_LENGTHS[:3]) -> str:
    """The single run of ``models`` with the best mean accuracy beyond length 5, and its accuracy
    at ``lengths``: "SANN seed 1: 94.2% at length 6, 44.0% at 7, 6.0% at 8"."""
    sel = acc[acc["model"].isin(models)]
    per_run = sel[sel["difficulty"] > TRAIN_MAX].groupby(["model", "seed"])["accuracy"].mean()
    model, seed = per_run.idxmax()
    run = sel[(sel["model"] == model) & (sel["seed"] == seed)].set_index("difficulty")["accuracy"]
    parts = [f"{pct(run[d])} at {'length ' if i == 0 else ''}{d}" for i, d in enumerate(lengths)]
    return f"{model.upper()} seed {seed}: " + ", ".join(parts)


def generalisation_lesson(acc: pd.DataFrame) -> str:
    """What Fig. 2a says about the paper's main claim, in one to three sentences for the prose."""
    beyond, within = beyond_scores(acc), within_scores(acc)
    memory = [m for m in MEMORY_MODELS if m in beyond.index]
    good = [m for m in memory if beyond[m] >= TARGET]
    base = [m for m in BASELINES if m in beyond.index]
    if good == memory and memory and all(beyond[b] <= beyond[memory].min() - GAP for b in base):
        return "As in the paper, the memory models generalise beyond the training lengths and the baselines do not."
    if good:
        names = " and ".join(m.upper() for m in good)
        return f"Of the memory models, {names} generalise{'s' if len(good) == 1 else ''} by our criterion."
    text = "None of our memory models generalises beyond length 5 by our criterion (the median over seeds)"
    if memory and (within[memory] >= TARGET).all():
        text += (", although both fit the training lengths: with our settings they found solutions that "
                 "work up to length 5 without an algorithm that carries over to longer inputs")
    return text + f". The closest single run is {closest_seed(acc, memory)}."


def generalisation_claim(acc: pd.DataFrame, model: str, lengths=TEST_LENGTHS) -> Claim:
    """Fig. 2a, "both SANN and TANN can generalize beyond input length of training samples".
    Reproduced: the median over seeds is >= TARGET at every length; partly: some seed is, or
    the median is at the first test length."""
    check_models(acc, [model], "generalisation_claim")
    sel = acc[(acc["model"] == model) & acc["difficulty"].isin(lengths)]
    median = sel.groupby("difficulty")["accuracy"].median()                    # (lengths,)
    seeds_ok = sel.groupby("seed")["accuracy"].min() >= TARGET
    worst = int(median.idxmin())
    full = bool((median >= TARGET).all())
    partial = bool(seeds_ok.any() or median.iloc[0] >= TARGET)
    ours = (f"median over {sel['seed'].nunique()} seeds: {pct(median.min())} at its worst length "
            f"(L = {worst}), {pct(median.iloc[0])} at L = {median.index[0]}; {int(seeds_ok.sum())} of "
            f"{len(seeds_ok)} seeds reach {pct(TARGET, 0)} at every length {lengths[0]}-{lengths[-1]}")
    return Claim(f"generalise_{model}", f"{model.upper()} generalises beyond the training length 5",
                 "Fig. 2a",
                 f"reproduced: median >= {pct(TARGET, 0)} at every length {lengths[0]}-{lengths[-1]}; "
                 f"partly: one seed does, or the median does at L = {lengths[0]}", ours, verdict(full, partial))


def baseline_claim(acc: pd.DataFrame, lengths=TEST_LENGTHS) -> Claim:
    """Fig. 2a: the models without external memory are clearly lower. Scores: mean accuracy on
    ``lengths`` (median over seeds). Reproduced: the better baseline is >= GAP below the worse
    memory model; partly: >= GAP below the better one."""
    check_models(acc, BASELINES + MEMORY_MODELS, "baseline_claim")
    s = beyond_scores(acc, lengths)
    base, low, high = s[list(BASELINES)].max(), s[list(MEMORY_MODELS)].min(), s[list(MEMORY_MODELS)].max()
    ours = "mean accuracy at lengths {}-{} (median over seeds): {}".format(
        lengths[0], lengths[-1], ", ".join(f"{m.upper()} {pct(v)}" for m, v in s.items()))
    return Claim("baselines", "SimpRNN and LSTM, without external memory, do clearly worse", "Fig. 2a",
                 f"reproduced: the better baseline is >= {points(GAP)} below both TANN and SANN; "
                 "partly: below one of them", ours, verdict(base <= low - GAP, base <= high - GAP))


def _steps_text(steps: pd.Series) -> str:
    if steps.isna().all():
        return "never"
    med = steps.fillna(np.inf).median()
    reached = steps.dropna()
    span = f"{reached.min():,.0f}-{reached.max():,.0f}" if len(reached) > 1 else f"{reached.min():,.0f}"
    never = f", {int(steps.isna().sum())} never" if steps.isna().any() else ""
    return f"{'never' if np.isinf(med) else f'{med:,.0f}'} (seeds: {span}{never})"


def convergence_claim(curves: pd.DataFrame, threshold: float = CONVERGED) -> Claim:
    """Fig. 2b, "SANN converges faster than TANN": the step at which the training accuracy
    first reaches ``threshold``. Reproduced: SANN's median is smaller; partly: SANN's fastest
    seed beats TANN's fastest."""
    check_models(curves, MEMORY_MODELS, "convergence_claim")
    steps = steps_to(curves, threshold)
    by = {m: steps.loc[steps["model"] == m, "step"] for m in MEMORY_MODELS}
    inf = {m: s.fillna(np.inf) for m, s in by.items()}
    full = inf["sann"].median() < inf["tann"].median()
    partial = inf["sann"].min() < inf["tann"].min()
    ours = (f"steps to {pct(threshold, 0)} training accuracy, median over seeds: SANN {_steps_text(by['sann'])}, "
            f"TANN {_steps_text(by['tann'])}")
    return Claim("converge", "SANN converges faster than TANN", "Fig. 2b",
                 f"reproduced: SANN's median steps to {pct(threshold, 0)} training accuracy are fewer; "
                 "partly: its fastest seed is faster", ours, verdict(full, partial))


# --- analysis: Fig. 3-4 ---------------------------------------------------------------------------
@dataclass
class Analysis:
    run: Run
    labels: np.ndarray          # (B, L) the input labels 1..9 of the analysis samples
    trace: dict                 # model(x, trace=True)'s trace as numpy arrays, (B, T, ...)
    accuracy: float             # whole-sequence accuracy on the analysis set
    step_names: list            # (T,) x1..xL, <EOS>, y1..yL

    @property
    def model(self) -> str:
        return self.run.config.model

    @property
    def length(self) -> int:
        return self.labels.shape[1]

    @property
    def phases(self) -> dict:
        return A.mirror_phases(self.length)


def beyond_accuracy(run: Run, train_max: int = TRAIN_MAX, column: str = "accuracy") -> float:
    """A run's mean test ``column`` (accuracy or fine) beyond ``train_max`` (lengths 6-10)."""
    ev = run.eval[column]
    return float(ev[ev.index > train_max].mean())


def best_seed(runs: list[Run], model: str, train_max: int = TRAIN_MAX) -> Run:
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


def analysed_model_note(a: Analysis) -> str:
    """Whether the analysed run generalises as the paper's did, in one sentence for the prose."""
    acc = beyond_accuracy(a.run)
    if acc >= TARGET:
        return f"It generalises ({pct(acc)} at lengths 6-10), like the model the paper analyses."
    return (f"It does not generalise ({pct(acc)} at lengths 6-10), so what follows shows how our "
            f"{a.model.upper()} solves the training lengths, not the generalising model the paper analyses.")


@torch.no_grad()
def analyse(run: Run, s: Settings) -> Analysis:
    """Run ``run``'s model on Wang's analysis set (``s.analysis_n`` samples of length
    ``s.analysis_length`` whose vectors are the codes of 1..9) and keep its trace."""
    if run.model is None:
        raise ValueError(f"run {run.id} kept no weights (save_weights=False); it cannot be analysed")
    task = run.task
    examples = task.analysis_set(np.random.default_rng(s.analysis_seed), s.analysis_n, s.analysis_length)
    batch = task.encode(examples)
    logits, trace = run.model(batch.x, trace=True)                           # (B, T, 9), {key: (B, T, ...)}
    correct = task.score(logits, batch)["correct"]
    return Analysis(run, np.array([input_labels(e) for e in examples]),
                    {k: A.to_numpy(v) for k, v in trace.items()}, float(correct.float().mean()),
                    A.mirror_step_names(s.analysis_length))


def gate_saturation(a: Analysis) -> pd.DataFrame:
    """Fig. 3a/c: saturation of the controller's input and forget gates per time step."""
    return A.saturation({"input": a.trace["gate_i"], "forget": a.trace["gate_f"]}, step_names=a.step_names)


def policy_summary(a: Analysis) -> pd.DataFrame:
    """Fig. 3b/d: TANN's expected write/read address (eq. 9) or SANN's P(PUSH) and expected
    pops (eqs. 10-11), mean and spread per time step."""
    if a.model not in POLICY_KEYS:
        raise ValueError(f"no read/write policy for {a.model!r}; choose one of {', '.join(POLICY_KEYS)}")
    return A.step_summary(a.trace, POLICY_KEYS[a.model], a.step_names)


def hypothesis(a: Analysis) -> H.CellHypothesis:
    """The paper's hypothesised strategy for the analysed model: SANN's push-all / pop-one
    (:func:`~mannlib.hypotheses.mirror_sann`), or TANN's tape walk
    (:func:`~mannlib.hypotheses.mirror_tann`) from the start cell and stride the model uses
    (:func:`~mannlib.hypotheses.tape_layout`), not the paper's cell 17."""
    cells = a.trace["memory"].shape[2]
    if a.model == "sann":
        return H.mirror_sann(a.length, cells)
    if a.model == "tann":
        start, stride = tann_layout(a)
        return H.mirror_tann(a.length, cells, start=start, stride=stride)
    raise ValueError(f"no hypothesis for {a.model!r}; choose one of {', '.join(MEMORY_MODELS)}")


def tann_layout(a: Analysis) -> tuple[int, int]:
    """(start cell, stride) of an analysed TANN's writing (:func:`~mannlib.hypotheses.tape_layout`)
    for its hypothesis. A stride of 0 (x1 and x2 written to the same cell) contradicts the
    pseudo-code, which moves on after every write: the paper's stride +1 is used instead."""
    if a.model != "tann":
        raise ValueError(f"tann_layout needs a TANN analysis, got {a.model!r}")
    start, stride = H.tape_layout(a.trace["w_write"], a.length)
    return start, stride or 1


def agreement(a: Analysis, hyp: H.CellHypothesis, seed: int = 0) -> pd.DataFrame:
    """Held-out k-NN accuracy of the hypothesis labels at every labelled (step, cell), with its
    shuffled-label baseline and chance (:func:`mannlib.analysis.hypothesis_agreement`), plus
    the step's name and the input position the cell should hold."""
    df = A.hypothesis_agreement(a.trace["memory"], hyp.labels(a.labels), seed=seed)
    where = hyp.frame().set_index(["step", "cell"])
    df["symbol"] = [a.step_names[t] for t in df["step"]]
    df["position"] = [int(where.loc[(t, n), "position"]) for t, n in zip(df["step"], df["cell"])]
    return df


def hypothesis_grid(hyp: H.CellHypothesis) -> pd.DataFrame:
    """What ``hyp`` says every used cell holds after every step: rows cells, columns step names,
    entries "x3" (input position 3) or "" (nothing the hypothesis vouches for)."""
    used = sorted({n for row in hyp.positions for n, p in enumerate(row) if p is not None})
    grid = pd.DataFrame([[f"x{row[n]}" if row[n] is not None else "" for row in hyp.positions] for n in used],
                        index=pd.Index(used, name="cell"), columns=hyp.step_names)
    grid.columns.name = "after step"
    return grid


def seed_agreement(runs: list[Run], s: Settings, seed: int = 0, known: dict | None = None) -> pd.DataFrame:
    """:func:`agreement` summarised for every run of TANN and SANN: one row per (model, seed)
    with the mean accuracy beyond length 5, the accuracy on the analysis set, the hypothesis's
    start/stride (TANN, :func:`tann_layout`) and the median probe and shuffled-label scores over its pairs.
    known: {run id: (Analysis, agreement)} already computed, reused rather than redone."""
    rows, known = [], known or {}
    for run in runs:
        if run.config.model not in MEMORY_MODELS:
            continue
        if run.id in known:
            a, agree = known[run.id]
        else:
            a = analyse(run, s)
            agree = agreement(a, hypothesis(a), seed)
        layout = "start {}, stride {:+d}".format(*tann_layout(a)) if a.model == "tann" else ""
        rows.append({"model": a.model, "seed": run.config.seed, "accuracy L 6-10": beyond_accuracy(run),
                     "analysis-set accuracy": a.accuracy, "hypothesis tape layout": layout,
                     "median k-NN score": agree["score"].median(),
                     "median shuffled": agree["shuffled_score"].median(), "pairs": len(agree)})
    return pd.DataFrame(rows).set_index(["model", "seed"])


def agreement_figure(agree: pd.DataFrame, step_names, title: str = ""):
    """:func:`mannlib.plots.agreement_heatmap` with the steps named (x1 .. <EOS> .. yL)."""
    from ..plots import agreement_heatmap
    fig = agreement_heatmap(agree, title=title)
    ax = fig.axes[0]
    steps = sorted(agree["step"].unique())
    ax.set_xticklabels([step_names[t] for t in steps], rotation=45, ha="right", rotation_mode="anchor")
    ax.set_xlabel("after step")
    return fig


@dataclass(frozen=True)
class PanelSpec:
    step: int         # time step (0-based: x1 = 0, <EOS> = L)
    cell: int         # memory cell
    position: int     # input position x_p whose labels colour the panel
    supports: bool    # True: what the hypothesis says the cell holds; False: a wrong label

    def title(self, step_names) -> str:
        """Wang Fig. 4's caption form: (time step, cell): hypothesis semantics."""
        return f"({step_names[self.step]}, {self.cell}): x{self.position}" + ("" if self.supports else " (wrong)")


def cell_holding(hyp: H.CellHypothesis, step: int, position: int) -> int:
    """The cell that ``hyp`` says holds input x_position after ``step``."""
    row = hyp.positions[step]
    if position not in row:
        raise ValueError(f"hypothesis {hyp.name!r} puts x{position} in no cell after step "
                         f"{hyp.step_names[step]}; it holds {sorted(p for p in row if p)}")
    return row.index(position)


def figure4_specs(hyp: H.CellHypothesis, pairs) -> list[PanelSpec]:
    """Panels for Fig. 4: ``pairs`` of (step name, input position) the hypothesis should explain,
    e.g. [("<EOS>", 1), ("y2", 3)], then one negative example: the first pair's cell labelled
    with the neighbouring position (x2 for x1), a wrong hypothesis about the same vectors."""
    specs = []
    for name, position in pairs:
        if name not in hyp.step_names:
            raise ValueError(f"unknown step {name!r}; steps: {', '.join(hyp.step_names)}")
        step = hyp.step_names.index(name)
        specs.append(PanelSpec(step, cell_holding(hyp, step, position), position, True))
    first = specs[0]
    wrong = first.position + 1 if first.position < hyp.length else first.position - 1
    return specs + [PanelSpec(first.step, first.cell, wrong, False)]


def figure4_panels(a: Analysis, specs: list[PanelSpec], seed: int = 0) -> dict:
    """{title: TsnePanel}: t-SNE of the cell vectors at each spec's (step, cell) over the
    analysis samples, coloured by the label of input x_position, with its probe scores."""
    return {spec.title(a.step_names): A.tsne_panel(a.trace["memory"][:, spec.step, spec.cell],
                                                   a.labels[:, spec.position - 1], seed=seed)
            for spec in specs}


def figure4(analyses: dict, hyps: dict, pairs, seed: int = 0) -> dict:
    """Fig. 4 for several models: {"TANN (<EOS>, 2): x1": TsnePanel, ...}, each model's panels
    from :func:`figure4_specs` ``pairs`` (its supporting examples, then its negative one)."""
    panels = {}
    for model, a in analyses.items():
        specs = figure4_specs(hyps[model], pairs)
        panels.update({f"{model.upper()} {title}": panel for title, panel in figure4_panels(a, specs, seed).items()})
    return panels


def negative_text(panels: dict) -> str:
    """What the negative panels of :func:`figure4` (titles ending "(wrong)") show, for the prose:
    a cell that holds x1 and nothing else cannot predict the independent x2, so a negative panel
    should score like shuffled labels (within ABOVE_SHUFFLED)."""
    neg = {title.split()[0]: p for title, p in panels.items() if title.endswith("(wrong)")}
    if not neg:
        raise ValueError("no negative panel (a title ending in '(wrong)'); see figure4_specs")
    scores = ", ".join(f"{m} {pct(p.score)} (shuffled {pct(p.shuffled_score)})" for m, p in neg.items())
    high = [m for m, p in neg.items() if p.score >= p.shuffled_score + ABOVE_SHUFFLED]
    if not high:
        return (f"The negative panels score like shuffled labels ({scores}), as they should: a cell that "
                "holds one input says nothing about another, independent one.")
    return (f"The negative panels do not all score like shuffled labels: {scores}. A cell that held "
            f"one input and nothing else could not predict an independent one, so in {' and '.join(high)} "
            "the cell also carries the second input: the one-input-per-cell reading of the hypothesis is "
            "incomplete there, even where its own labels score high. A k-NN probe on the full vectors "
            "picks up such a mixture; a t-SNE map may not show it.")


# --- claims about the analysis --------------------------------------------------------------------
def delimiter_jump(sat: pd.DataFrame, length: int) -> tuple[float, float]:
    """(jump, calm): the largest change of any saturation ratio at the delimiter or right after
    it (x_L -> <EOS>, <EOS> -> y1), and the largest change between consecutive encoding steps
    x1..xL. sat: :func:`gate_saturation`."""
    wide = sat.pivot_table(index="step", columns=["gate", "side"], values="ratio")   # (T, 4)
    diffs = wide.diff().abs()
    jump = float(diffs.loc[length:length + 1].max().max())
    calm = float(diffs.loc[1:length - 1].max().max()) if length > 1 else 0.0
    return jump, calm


def delimiter_claim(sats: dict, length: int) -> Claim:
    """Fig. 3a/c: "both TANN and SANN are sensitive of the delimiter ... after which dramatic
    changes of saturation rate appear". sats: {model: :func:`gate_saturation`}. A model shows it
    when some ratio changes by >= SHARP at <EOS> or y1, and by >= CALM times the largest change
    between encoding steps."""
    shows, parts = [], []
    for model, sat in sats.items():
        jump, calm = delimiter_jump(sat, length)
        shows.append(jump >= SHARP and jump >= CALM * calm)
        parts.append(f"{model.upper()} {points(jump)} at <EOS> or y1 vs up to {points(calm)} between encoding steps")
    return Claim("delimiter", "The gates' saturation changes sharply at the delimiter", "Fig. 3a, 3c",
                 f"a ratio changes by >= {points(SHARP)} at <EOS> or y1, >= {CALM:g}x any change between "
                 "encoding steps; reproduced: both models; partly: one",
                 "largest change of a saturation ratio: " + "; ".join(parts), verdict(all(shows), any(shows)))


def focus_moves(w, steps) -> list[int]:
    """Circular moves (in -N/2 < move <= N/2) of the focus, the argmax cell of the mean
    weighting (B, T, N) over samples, between consecutive ``steps``."""
    mean = A.to_numpy(w).mean(0)                                             # (T, N)
    N, cells = mean.shape[1], [int(mean[t].argmax()) for t in steps]
    moves = [(b - a) % N for a, b in zip(cells, cells[1:])]
    return [m - N if m > N // 2 else m for m in moves]


def opposite_policies(a: Analysis) -> tuple[bool, str]:
    """Fig. 3b/d, "the policies for encoding ... and decoding ... are opposite": (holds, text).

    TANN: the write focus moves by a constant stride s != 0 over x1..xL and the read focus by -s
    over y1..yL. SANN: mean P(PUSH) over encoding exceeds that over decoding by >= OPPOSITE and
    mean expected pops over decoding exceed those over encoding by >= OPPOSITE."""
    (e0, e1), (d0, d1) = a.phases["encoding"], a.phases["decoding"]
    if a.model == "tann":
        write = focus_moves(a.trace["w_write"], range(e0, e1 + 1))
        read = focus_moves(a.trace["w_read"], range(d0, d1 + 1))
        holds = len(set(write)) == 1 and write[0] != 0 and set(read) == {-write[0]}
        return holds, f"TANN write focus moves {write} while encoding, read focus {read} while decoding"
    if a.model == "sann":
        enc, dec = slice(e0, e1 + 1), slice(d0, d1 + 1)
        push = a.trace["p_push"][:, enc].mean(), a.trace["p_push"][:, dec].mean()
        pops = a.trace["pops"][:, enc].mean(), a.trace["pops"][:, dec].mean()
        holds = push[0] - push[1] >= OPPOSITE and pops[1] - pops[0] >= OPPOSITE
        return holds, (f"SANN P(PUSH) {push[0]:.2f} encoding vs {push[1]:.2f} decoding, "
                       f"pops {pops[0]:.2f} vs {pops[1]:.2f}")
    raise ValueError(f"no policy for {a.model!r}; choose one of {', '.join(MEMORY_MODELS)}")


def policy_claim(analyses: list[Analysis]) -> Claim:
    """Fig. 3b/d: opposite encoding and decoding policies; reproduced for both models, partly one."""
    results = [opposite_policies(a) for a in analyses]
    return Claim("policy", "Encoding and decoding policies are opposite, \"reversing in their own ways\"",
                 "Fig. 3b, 3d",
                 f"TANN: read focus walks back with the write stride; SANN: P(PUSH) and pops differ by "
                 f">= {OPPOSITE} between the phases. Reproduced: both; partly: one",
                 "; ".join(text for _, text in results),
                 verdict(all(h for h, _ in results), any(h for h, _ in results)))


def hypothesis_claim(model: str, agree: pd.DataFrame, others: dict | None = None) -> Claim:
    """Fig. 4: the hypothesised strategy explains the memory. agree: :func:`agreement` of the
    analysed run; others: {seed: median score} of the other seeds, quoted for context.
    Reproduced: median probe accuracy >= SUPPORTED; partly: >= ABOVE_SHUFFLED above shuffled."""
    score, shuffled = agree["score"].median(), agree["shuffled_score"].median()
    rest = "" if not others else "; other seeds: " + ", ".join(f"seed {k} {pct(v)}" for k, v in others.items())
    ours = (f"k-NN accuracy over {len(agree)} labelled (step, cell) pairs: median {pct(score)} "
            f"(shuffled labels {pct(shuffled)}, chance {pct(agree['chance'].median())}){rest}")
    return Claim(f"hypothesis_{model}", f"The hypothesised {model.upper()} strategy explains its memory cells",
                 "Fig. 4", f"median k-NN accuracy >= {pct(SUPPORTED, 0)}; partly: >= "
                 f"{points(ABOVE_SHUFFLED)} above shuffled labels", ours,
                 verdict(score >= SUPPORTED, score >= shuffled + ABOVE_SHUFFLED))
