"""One train / evaluate loop for every model x task.

Training (Wang §3.1; Yang §4 "Training and testing"): every batch holds fresh examples whose
difficulties are drawn from the task's training range (or, with ``train_examples``, a fixed
training set sampled once, M10AE's 80k, Wang §3.3); loss = the task's loss on the scored
positions; Adam or RMSProp with momentum; gradient-norm clipping; the ``yang`` schedule halves
the learning rate "after 100 epochs ... if the best error so far is not improved in 30 epochs"
(the error of an epoch = its mean training loss; an epoch = 10 batches), and ``yang-dev`` applies
the same rule to the development error (1 - the dev fine score, read at every learning-curve
point, so the 30 epochs are counted in steps of ``eval_every`` batches); ``decay`` is the Yang
author's later code instead (train.lua): a fixed rate until update ``decay_after``, then x0.99
every 20 updates (:data:`mannlib.papers.yang.AUTHOR_DECAY_RATE`); every ``eval_every``
steps a learning-curve point: mean training loss and accuracy since the last point (Wang Fig. 2b
plots "the performance on the training set") and the accuracy on a fixed dev set; ``keep_best``
keeps the weights with the best dev accuracy ("the best test scores are tabulated", Yang §4);
``patience`` stops a run after that many dev points without a new best; ``dev_within`` adds a
second selection criterion, the dev difficulties up to it, with its own best weights and its own
patience (the run goes on until both have stopped, and each criterion's result is exactly what a
run on its part of the dev set alone would give: one run serves Wang's two protocols, issue 15).

Divergence: a non-finite loss or gradient norm raises :class:`TrainingDiverged`, except in a
``keep_best`` run that has a best dev point already: there training stops at that update and the
run keeps its best dev weights, as Yang's author's loop does (main.lua ``break``s on a non-finite
training loss and reports the best validation score so far); the summary says where
(``diverged_at``).

Reproducible: the model is initialised from ``torch.manual_seed(seed)``, data comes from numpy
Generators seeded with ``[seed, stream]``, and a checkpoint holds every piece of state (model,
optimiser, generators, schedule, curve so far), so a run resumed from a checkpoint ends with
exactly the weights of an uninterrupted run (on CPU with the same thread count).

Device: CPU by default; ``device="cuda"`` (``--device cuda``, or $MANNLIB_DEVICE) trains on a GPU.
Data is still generated on the CPU from the same Generators, so a GPU run sees the same
examples, but its floating-point results differ slightly from a CPU run's; the manifest records
the device. Checkpoints and weights are stored on the CPU, so either kind resumes on either.
"""
from __future__ import annotations

import contextlib
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..papers import yang
from .config import EPOCH_STEPS, RunConfig
from . import files as safe
from .files import RunDamaged, load_checkpoint
from ..models import ModelIO, build_model
from ..tasks import Batch, Task, get_task
from .progress import Progress, resolve_progress  # noqa: F401  (resolve_progress re-exported)
from .evaluation import evaluate, score_sets, summarize, test_sets  # noqa: F401  (re-exported: train.test_sets ...)

CHECKPOINT = "checkpoint.pt"


def resolve_device(device: str | None = None) -> torch.device:
    """``device`` (default $MANNLIB_DEVICE, else "cpu") as a torch.device; ValueError naming the
    choices for anything else, or for "cuda" on a machine without a GPU."""
    name = device or os.environ.get("MANNLIB_DEVICE") or "cpu"
    if name not in ("cpu", "cuda") and not name.startswith("cuda:"):
        raise ValueError(f"unknown device {name!r}; choose one of cpu, cuda, cuda:N")
    if name != "cpu" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but torch sees no GPU here; use --device cpu")
    return torch.device(name)


class TrainingDiverged(ValueError):
    """The loss or gradient became NaN/inf; nothing was written. (A ValueError so that the
    command line reports it in one line.)"""


@dataclass
class TrainResult:
    model: torch.nn.Module     # final weights (the best dev weights when keep_best)
    curve: pd.DataFrame        # step, loss, train_acc, dev_acc, dev_fine, lr, wall_s
    eval: pd.DataFrame         # by difficulty: n, accuracy, fine
    summary: dict              # see summarize()
    wall_s: float              # training wall time, summed over resumed sessions
    device: str                # where it trained ("cpu", "cuda", "cuda:N")
    within: dict | None = None # with dev_within: the second criterion's dev_within, by_difficulty, summary


# --- building blocks ----------------------------------------------------------------------------
@contextlib.contextmanager
def default_dtype(name: str):
    """torch's default float dtype set to ``name`` (a :data:`~mannlib.engine.config.DTYPES` name)
    inside the block, restored after it."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, name))
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def build(config: RunConfig) -> tuple[Task, torch.nn.Module]:
    """The task and a freshly initialised model (``torch.manual_seed(seed)`` first), its
    parameters in ``config.dtype``: initialised as in float32 and then cast, so that a float64 run
    starts from the same weights as its float32 twin and differs only in the arithmetic."""
    task = get_task(config.task, **config.task_args)
    torch.manual_seed(config.seed)
    with default_dtype("float32"):
        model = build_model(config.model, ModelIO(task.input_size, task.output_size, task.input_tokens),
                            **config.sizes)
    return task, model.to(getattr(torch, config.dtype))


def make_optimizer(config: RunConfig, params) -> torch.optim.Optimizer:
    if config.optimizer == "adam":       # Wang §3.1
        return torch.optim.Adam(params, lr=config.lr)
    return torch.optim.RMSprop(params, lr=config.lr, momentum=config.momentum)  # Yang §4


@dataclass
class Plateau:
    """Yang §4: "after 100 epochs, we half the learning rate if the best error so far is not
    improved in 30 epochs". After a halving the 30-epoch window starts again."""
    start: int = yang.HALVE_AFTER_EPOCHS       # 100
    patience: int = yang.HALVE_PATIENCE_EPOCHS # 30
    factor: float = 0.5
    epoch: int = 0
    best: float = math.inf
    best_epoch: int = 0

    def end_epoch(self, error: float, epochs: int = 1) -> float:
        """Record the error at the end of the next ``epochs`` epochs (1: every epoch; the
        ``yang-dev`` schedule reads it at every dev evaluation); the factor to multiply the
        learning rate by (1.0 or 0.5)."""
        self.epoch += epochs
        if error < self.best:
            self.best, self.best_epoch = error, self.epoch
        if self.epoch > self.start and self.epoch - self.best_epoch >= self.patience:
            self.best_epoch = self.epoch
            return self.factor
        return 1.0


class TrainingData:
    """Batches for training: fresh samples (stream [seed, 0]) or draws from a fixed set
    (sampled once from stream [seed, 1]; each batch ``batch_size`` distinct indices)."""

    def __init__(self, task: Task, config: RunConfig):
        self.task, self.batch_size = task, config.batch_size
        self.rng = np.random.default_rng([config.seed, 0])
        self.fixed = None
        if config.train_examples is not None:
            self.fixed = task.sample(np.random.default_rng([config.seed, 1]), config.train_examples)

    def next(self) -> Batch:
        if self.fixed is None:
            return self.task.batch(self.rng, self.batch_size)
        idx = self.rng.choice(len(self.fixed), self.batch_size, replace=False)
        return self.task.encode([self.fixed[i] for i in idx])


# --- the loop -----------------------------------------------------------------------------------
def _after_checkpoint(step: int):
    """Hook called after every checkpoint (tests replace it to simulate a crash)."""


def _clone(state_dict: dict) -> dict:
    """A copy on the CPU (the best weights of a GPU run stay off the GPU and go into checkpoints)."""
    return {k: v.detach().to("cpu", copy=True) for k, v in state_dict.items()}


CURVE_COLUMNS = ["step", "loss", "train_acc", "dev_acc", "dev_fine", "lr", "wall_s"]
WITHIN_COLUMNS = ["dev_acc_within", "dev_fine_within"]   # with dev_within: the second criterion's scores


class _Loop:
    """The state of one training run; ``self.s`` holds everything a checkpoint must restore
    besides the model, the optimiser and the random generators."""

    def __init__(self, config: RunConfig, device: torch.device = torch.device("cpu")):
        self.config = c = config
        self.device = device
        self.task, self.model = build(c)
        self.dtype = getattr(torch, c.dtype)
        for d in c.eval_difficulties or ():   # checked now, not after the whole run
            self.task.check_difficulty(d)
        self.model.to(device)
        self.opt = make_optimizer(c, self.model.parameters())
        self.data = TrainingData(self.task, c)
        self.dev = test_sets(self.task, c.dev_n, c.eval_seed,
                             c.dev_difficulties or self.task.difficulties("train"), stream=1)
        self.s = dict(step=0, curve=[], lr=c.lr, plateau=asdict(Plateau()), window=[0.0, 0.0, 0],
                      epoch_loss=0.0, best=None, best_score=None, best_step=None, wall_s=0.0)

    def save(self, path: Path):
        safe.atomic_save(path, dict(config=self.config.to_json(), model=_clone(self.model.state_dict()),
                               optimizer=self.opt.state_dict(), numpy_rng=self.data.rng.bit_generator.state,
                               torch_rng=torch.get_rng_state(), state=self.s))

    def resume(self, path: Path):
        c = load_checkpoint(path)
        if c.get("config") != self.config.to_json():
            raise RunDamaged(f"checkpoint {path} belongs to another config; delete it to start afresh")
        self.model.load_state_dict(c["model"])
        self.opt.load_state_dict(c["optimizer"])
        self.data.rng.bit_generator.state = c["numpy_rng"]
        torch.set_rng_state(c["torch_rng"])
        self.s = c["state"]

    def step(self, step: int):
        """One update; the yang schedule's lr change at the end of an epoch."""
        c, s = self.config, self.s
        batch = self.data.next().to(self.device, self.dtype)
        logits = self.model(batch.x)                                   # (B, T, output_size)
        loss = self.task.loss(logits, batch)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), c.clip or math.inf)
        if not (torch.isfinite(loss) and torch.isfinite(norm)):
            raise TrainingDiverged(
                f"{c.task}-{c.model} seed {c.seed}: loss {loss.item()} / gradient norm {norm.item()} "
                f"at step {step} (lr {s['lr']:.3g}); nothing was written. "
                "Try a lower lr or a tighter clip (--set lr=... --set clip=...)")
        self.opt.step()
        acc = self.task.score(logits.detach(), batch)["correct"].float().mean().item()
        s["window"] = [s["window"][0] + loss.item(), s["window"][1] + acc, s["window"][2] + 1]
        s["epoch_loss"] += loss.item()
        if c.schedule == "yang" and step % EPOCH_STEPS == 0:
            plateau = Plateau(**s["plateau"])
            s["lr"] *= plateau.end_epoch(s["epoch_loss"] / EPOCH_STEPS)
            s["plateau"], s["epoch_loss"] = asdict(plateau), 0.0
            self.set_lr(s["lr"])
        if c.schedule == "decay" and step > c.decay_after and step % yang.AUTHOR_DECAY_EVERY == 0:
            s["lr"] *= yang.AUTHOR_DECAY_RATE
            self.set_lr(s["lr"])

    def set_lr(self, lr: float):
        """The learning rate of every parameter group (a schedule's change)."""
        for group in self.opt.param_groups:
            group["lr"] = lr

    def point(self, step: int, wall_s: float) -> dict:
        """A learning-curve point: training means since the last point, dev scores; keep the best."""
        s = self.s
        d = score_sets(self.model, self.task, self.dev)
        total_loss, total_acc, k = s["window"]
        row = dict(step=step, loss=total_loss / k, train_acc=total_acc / k, dev_acc=float(d["accuracy"].mean()),
                   dev_fine=float(d["fine"].mean()), lr=s["lr"], wall_s=round(wall_s, 3))
        s["curve"].append(row)
        s["window"] = [0.0, 0.0, 0]
        score = [row["dev_acc"], row["dev_fine"]]
        if self.config.schedule == "yang-dev":   # the lr of the next point; this row keeps the lr it trained with
            plateau = Plateau(**s["plateau"])
            s["lr"] *= plateau.end_epoch(1.0 - row["dev_fine"], epochs=max(1, self.config.eval_every // EPOCH_STEPS))
            s["plateau"] = asdict(plateau)
            self.set_lr(s["lr"])
        self.track(s, score, step)
        if self.config.dev_within is not None:   # the second criterion: the dev difficulties <= dev_within
            part = d[d.index <= self.config.dev_within]
            row.update(dev_acc_within=float(part["accuracy"].mean()), dev_fine_within=float(part["fine"].mean()))
            self.track(s.setdefault("within", {"best_score": None}), [row["dev_acc_within"], row["dev_fine_within"]], step)
        return row

    def track(self, t: dict, score: list, step: int):
        """Record a dev score in one selection criterion's state ``t``: the best so far and the
        points since it (patience), the best weights (``keep_best``), and the step at which it
        stopped; once stopped it records nothing more, so that a run that goes on for the other
        criterion keeps exactly what a run of this criterion alone would have kept."""
        if t.get("stopped"):
            return
        if t.get("top") is None or score > t["top"]:      # the best dev score so far, for patience
            t["top"], t["stall"] = score, 0
        else:
            t["stall"] = t.get("stall", 0) + 1
        if self.config.keep_best and (t["best_score"] is None or score > t["best_score"]):
            t["best"], t["best_score"], t["best_step"] = _clone(self.model.state_dict()), score, step
        if self.config.patience and t["stall"] >= self.config.patience:   # the dev score has stopped improving
            t["stopped"] = step

    def stopped(self) -> bool:
        """Every selection criterion has run out of patience."""
        return bool(self.s.get("stopped")) and (self.config.dev_within is None or bool(self.s["within"].get("stopped")))


def train(config: RunConfig, progress: str = "auto", workdir: Path | None = None,
          threads: int | None = None, desc: str | None = None, device: str | None = None) -> TrainResult:
    """Train and evaluate one run. With ``workdir``, write ``workdir/checkpoint.pt`` every
    ``checkpoint_every`` steps and resume from it if it exists. ``threads`` (default
    $MANNLIB_THREADS, else 1) sets ``torch.set_num_threads``: these models are small and
    sequential, so a second intra-op thread gains little and, on 2 shared cores, a busy
    neighbour makes it much slower; two runs side by side use both cores better.

    ``device``: see :func:`resolve_device`; the returned model is on the CPU.

    Raises TrainingDiverged (naming the step) when the loss or gradient norm is not finite, unless
    the run keeps its best dev weights and has some (see the module docstring).

    ``config.dtype`` is torch's default float dtype while it trains (parameters, states, and the
    float inputs cast to it); the returned model keeps that dtype."""
    torch.set_num_threads(threads or int(os.environ.get("MANNLIB_THREADS") or 1))
    with default_dtype(config.dtype):
        return _train(config, progress, workdir, desc, device)


def _train(config: RunConfig, progress: str, workdir: Path | None, desc: str | None, device: str | None):
    c, loop = config, _Loop(config, resolve_device(device))
    ckpt = None
    if workdir is not None:
        Path(workdir).mkdir(parents=True, exist_ok=True)
        ckpt = Path(workdir) / CHECKPOINT
        if ckpt.exists():
            loop.resume(ckpt)
    s = loop.s
    bar = Progress(progress, c.steps, s["step"], desc or f"{c.task}-{c.model}")
    t0 = time.time() - s["wall_s"]
    try:
        for step in range(s["step"] + 1, c.steps + 1):
            try:
                loop.step(step)
            except TrainingDiverged as e:
                if not (c.keep_best and s["best"] is not None):   # no best dev weights to keep
                    raise
                s["diverged"] = dict(step=step, message=str(e))
                break
            if step % c.eval_every == 0 or step == c.steps:
                row = loop.point(step, time.time() - t0)
                bar.update(step, loss=row["loss"], acc=row["train_acc"], dev=row["dev_acc"])
                if loop.stopped():
                    break
            else:
                bar.update(step)
            if ckpt is not None and step % c.checkpoint_every == 0 and step < c.steps:
                s["step"], s["wall_s"] = step, time.time() - t0
                loop.save(ckpt)
                _after_checkpoint(step)
    finally:
        bar.close()
    wall = time.time() - t0
    curve = pd.DataFrame(s["curve"], columns=CURVE_COLUMNS + WITHIN_COLUMNS * (c.dev_within is not None))
    within = None
    if c.dev_within is not None:   # evaluated first: the model ends with the main criterion's weights
        by_d, summary = _result(loop, s["within"], curve)
        within = dict(dev_within=c.dev_within, by_difficulty=by_d, summary=summary)
    by_difficulty, summary = _result(loop, s, curve)
    loop.model.cpu()
    return TrainResult(loop.model, curve, by_difficulty, summary, wall, str(loop.device), within)


def _result(loop: _Loop, t: dict, curve: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The test scores and summary of one selection criterion ``t``: its best weights
    (``keep_best``) evaluated, the steps it trained for (up to its own stop)."""
    c = loop.config
    if c.keep_best and t["best"] is not None:
        loop.model.load_state_dict(t["best"])
    by_difficulty = evaluate(loop.model, loop.task, c.eval_n, c.eval_seed, c.eval_difficulties)
    diverged = loop.s.get("diverged")
    if diverged and t.get("stopped") and t["stopped"] < diverged["step"]:
        diverged = None   # this criterion had stopped before the run diverged
    steps = t.get("stopped") or (diverged["step"] - 1 if diverged else c.steps)
    summary = summarize(by_difficulty, loop.task)
    summary.update(final_loss=float(curve.loc[curve["step"] <= steps, "loss"].iloc[-1]), steps=steps)
    if c.patience:
        summary["stopped_early"] = t.get("stopped") is not None
    if c.keep_best:
        summary["best_step"] = t["best_step"]
    if diverged:
        summary["diverged_at"] = diverged["step"]
    return by_difficulty, summary


def step_seconds(config: RunConfig, reps: int = 2) -> float:
    """CPU seconds per training update of ``config`` on this machine (one thread, the best of
    ``reps`` after one warm-up update; CPU time, so that a busy neighbour does not inflate it):
    the price of a run before it is trained (``reproduce --dry-run``, the LANTM chapter's cost)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]), default_dtype(config.dtype):
            loop = _Loop(config.replace(steps=reps + 1))
            loop.step(1)
            times = []
            for i in range(reps):
                t0 = time.process_time()
                loop.step(i + 2)
                times.append(time.process_time() - t0)
    finally:
        torch.set_num_threads(threads)
    return min(times)

