"""What a campaign of the chapter will cost, before it runs: per unit, whether it is done (or where
its checkpoint stands) and its CPU-minutes from step times measured here, then the total.

A language model's estimate is its updates left to the cap (an upper bound: training stops earlier
when the dev perplexity stalls) times a measured update, plus its dev checks (forward passes only,
counted as :data:`EVAL_COST` of an update per symbol), plus its decoders: the training steps of
every layer's decoder bank, at every size of the sweep, times a measured step. The test-perplexity
pass and the state extraction are not counted (under 5% of a unit in the committed runs).
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from ...methods.signatures import DecoderBank, rule_width
from ...models.charlm import CharLM, LMConfig, TrainConfig, kernel_parameters
from ...tasks import corpus as corpora
from .settings import Profile, Unit, models_dir, resolve, results_dir, units

EVAL_COST = 1 / 3      # a dev symbol scored costs about a third of a symbol trained (forward only)
NGRAM_MINUTES = 0.1    # the n-gram baseline: a few seconds


def lm_config(unit: Unit, p: Profile) -> TrainConfig:
    """The training setting of ``unit``: the retrained LSTM's, a deep model's or a 1-layer model's."""
    return p.finetune if unit.parent else p.lm if unit.layers == 1 else p.deep_lm


def decoder_widths(unit: Unit, p: Profile) -> list[int]:
    """The hidden width of every decoder bank ``unit`` trains: one per layer and size of the sweep."""
    if not p.decoder_scales:
        return [p.decoder.hidden] * unit.layers
    lm = LMConfig(unit.cell, unit.hidden, unit.layers, p.embed)
    return [max(1, round(s * rule_width(unit.hidden, kernel_parameters(lm, l), corpora.VOCAB)))
            for s in p.decoder_scales for l in range(1, unit.layers + 1)]


def dev_checks(start: int, cfg: TrainConfig) -> int:
    """Dev checks after update ``start`` up to the cap: every ``eval_every`` updates and at the cap."""
    if not cfg.eval_every:
        return 0
    return cfg.updates // cfg.eval_every - start // cfg.eval_every + (1 if cfg.updates % cfg.eval_every else 0)


def unit_minutes(unit: Unit, p: Profile, s_update: float, s_decoder: dict, start: int = 0,
                 trained: bool = False) -> dict:
    """CPU-minutes of ``unit`` from update ``start`` on, given ``s_update`` seconds per training
    update and ``s_decoder`` (width -> seconds per decoder step): training, dev checks, decoders.
    ``trained``: its model is stored already (another decoding of it), only the decoders count."""
    if not unit.cell:
        return {"lm_min": 0.0, "eval_min": 0.0, "decoder_min": NGRAM_MINUTES, "cpu_min": NGRAM_MINUTES}
    cfg = lm_config(unit, p)
    lm = 0.0 if trained else (cfg.updates - start) * s_update
    per_check = cfg.eval_chars / (cfg.batch * cfg.bptt) * s_update * EVAL_COST
    evals = 0.0 if trained else dev_checks(start, cfg) * per_check
    dec = sum(p.decoder.steps * s_decoder[w] for w in decoder_widths(unit, p))
    return {"lm_min": lm / 60, "eval_min": evals / 60, "decoder_min": dec / 60, "cpu_min": (lm + evals + dec) / 60}


# --- measured step times -----------------------------------------------------------------------------
def measure_update(unit: Unit, p: Profile, repeats: int = 5) -> float:
    """Seconds of one training update of ``unit``'s model on one thread: the median of ``repeats``
    after a warm-up update (within 25% of a real training loop's, dev checks aside, in our pilots)."""
    cfg, threads = lm_config(unit, p), torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        model = CharLM(LMConfig(unit.cell, unit.hidden, unit.layers, p.embed))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = torch.randint(0, corpora.VOCAB, (cfg.batch, cfg.bptt + 1))
        times = []
        for _ in range(repeats + 1):
            t = time.perf_counter()
            logits, _ = model(x[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            times.append(time.perf_counter() - t)
        return float(np.median(times[1:]))
    finally:
        torch.set_num_threads(threads)


def measure_decoder_step(dim: int, width: int, p: Profile, repeats: int = 2) -> float:
    """Seconds of one training step of a decoder bank (Δ x dropouts heads of ``width`` units on
    ``dim``-wide states) on one thread: the fastest of ``repeats`` after a warm-up step (a large
    bank takes seconds a step). The heads are independent and side by side, so a step costs the
    heads times one head's step: a bank of at most 4 heads is measured and scaled, which keeps the
    memory of pricing a rule-sized bank for a 1,280-unit model (60 heads, ~6 GB) to a fraction."""
    cfg, threads = p.decoder, torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        heads = cfg.dropouts * cfg.max_delta
        scale, heads = len(heads) / min(len(heads), 4), heads[:4]
        bank = DecoderBank(dim, width, corpora.VOCAB, heads)
        opt = torch.optim.Adam(bank.parameters(), lr=cfg.lr)
        x, y = torch.randn(cfg.batch, dim), torch.randint(0, corpora.VOCAB, (len(heads), cfg.batch))
        times = []
        for _ in range(repeats + 1):
            t = time.perf_counter()
            loss = F.cross_entropy(bank(x).reshape(-1, corpora.VOCAB), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            times.append(time.perf_counter() - t)
        return scale * min(times[1:])
    finally:
        torch.set_num_threads(threads)


# --- the plan ------------------------------------------------------------------------------------------
def checkpoint_update(out: Path, name: str) -> int:
    """The update a unit's checkpoint has reached (0: none)."""
    path = out / "checkpoints" / f"{name}.ckpt"
    return int(torch.load(path, map_location="cpu", weights_only=True)["update"]) if path.exists() else 0


def model_stored(models: Path, unit: Unit) -> bool:
    """Whether ``unit``'s language model and its training report are stored under ``models``."""
    return all((models / "models" / f"{unit.name}{ext}").exists() for ext in (".pt", ".train.json"))


def plan(profile="paper", trained: str | None = None, time_update=measure_update,
         time_decoder=measure_decoder_step) -> pd.DataFrame:
    """One row per unit of the campaign (``profile``: a name, or a :class:`Profile` of
    :func:`~.settings.settings`): done (its result exists), whether its model is stored (another
    decoding of it: only its decoders are left), the update its checkpoint has reached, the
    measured seconds per update, and the CPU-minutes left (0 when done).
    ``time_update(unit, p)`` and ``time_decoder(dim, width, p)`` give the step times (measured here)."""
    p = resolve(profile, trained)
    out, models = results_dir(p), models_dir(p)
    rows, s_dec = [], {}
    for unit in units(p):
        done = (out / f"{unit.name}.json").exists()
        stored = bool(unit.cell) and model_stored(models, unit)
        row = {"unit": unit.name, "done": done, "model_stored": stored, "resume_at": 0, "s_per_update": math.nan}
        if not done and unit.cell:
            row["resume_at"] = 0 if stored else checkpoint_update(models, unit.name)
            row["s_per_update"] = math.nan if stored else time_update(unit, p)
            dims = [unit.hidden] * len(decoder_widths(unit, p))
            for dim, w in zip(dims, decoder_widths(unit, p)):
                if (dim, w) not in s_dec:
                    s_dec[(dim, w)] = time_decoder(dim, w, p)
            cost = unit_minutes(unit, p, 0.0 if stored else row["s_per_update"],
                                {w: s_dec[(unit.hidden, w)] for w in decoder_widths(unit, p)}, row["resume_at"], stored)
        elif not done:
            cost = unit_minutes(unit, p, 0.0, {})
        else:
            cost = {"lm_min": 0.0, "eval_min": 0.0, "decoder_min": 0.0, "cpu_min": 0.0}
        rows.append(row | cost)
    return pd.DataFrame(rows).set_index("unit")


def print_plan(profile="paper", trained: str | None = None, jobs: int = 2, **measure) -> pd.DataFrame:
    """:func:`plan`, printed: a line per unit, then the CPU-hours left and the hours on ``jobs`` cores."""
    p = resolve(profile, trained)
    table = plan(p, **measure)
    for name, row in table.iterrows():
        if row["done"]:
            print(f"{name:<34} done")
            continue
        at = f", resumes at update {row['resume_at']:,}" if row["resume_at"] else ""
        step = f" ({row['s_per_update']:.3f} s/update{at})" if row["s_per_update"] == row["s_per_update"] else (
            " (model stored: decoders only)" if row["model_stored"] else "")
        print(f"{name:<34} {row['cpu_min']:6.1f} CPU-min: train {row['lm_min']:.1f}, dev checks "
              f"{row['eval_min']:.1f}, decoders {row['decoder_min']:.1f}{step}")
    todo = int((~table["done"]).sum())
    hours = table["cpu_min"].sum() / 60
    print(f"signatures ({p.name}, trained={p.trained}): {len(table)} units, {todo} to run: {hours:.2f} CPU-hours "
          f"at most (every model to its cap), about {hours / max(1, min(jobs, todo)):.2f} h on {jobs} core(s)")
    return table
