"""Evaluation of a model on a task: test sets drawn per difficulty, accuracy (the whole answer
right, Yang's "coarse" score) and fine score (units right / units) per difficulty, and the
summary inside and beyond the training range. The trainer (:mod:`mannlib.engine.train`) scores
its dev points and final test with these; chapters call them through it."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from ..tasks import Task


def test_sets(task: Task, n: int, seed: int, difficulties=None, stream: int = 0) -> dict[int, list]:
    """``n`` examples per difficulty (default: the whole test range), difficulty d drawn from
    the Generator ``[seed, d, stream]``: a difficulty's examples do not depend on which other
    difficulties are asked for."""
    diffs = task.difficulties("test") if difficulties is None else [task.check_difficulty(d) for d in difficulties]
    return {d: task.sample(np.random.default_rng([seed, d, stream]), n, d) for d in diffs}


@torch.no_grad()
def score_sets(model, task: Task, sets: dict[int, list], batch_size: int = 256) -> pd.DataFrame:
    """Accuracy (whole answer right) and fine score (units right / units) per difficulty."""
    was_training = model.training
    model.eval()
    first = next(model.parameters())
    rows = []
    for d, examples in sets.items():
        correct = units = total = 0
        for i in range(0, len(examples), batch_size):
            batch = task.encode(examples[i:i + batch_size]).to(first.device, first.dtype)
            s = task.score(model(batch.x), batch)
            correct += int(s["correct"].sum())
            units += int(s["units_correct"].sum())
            total += int(s["units_total"].sum())
        rows.append({"difficulty": d, "n": len(examples), "accuracy": correct / len(examples),
                     "fine": units / total})
    model.train(was_training)
    return pd.DataFrame(rows).set_index("difficulty")


def evaluate(model, task: Task, n: int, seed: int, difficulties=None) -> pd.DataFrame:
    """Score ``model`` on ``n`` fresh examples per difficulty sampled with ``seed``.

    Returns a DataFrame indexed by difficulty with columns n, accuracy, fine."""
    return score_sets(model, task, test_sets(task, n, seed, difficulties))


def summarize(by_difficulty: pd.DataFrame, task: Task) -> dict:
    """Mean accuracy / fine score over the evaluated difficulties inside the training range
    (``train_*``) and beyond it (``test_*``); NaN where none was evaluated."""
    inside = by_difficulty.index <= task.train_range[1]
    out = {}
    for name, rows in (("train", by_difficulty[inside]), ("test", by_difficulty[~inside])):
        out[f"{name}_acc"] = float(rows["accuracy"].mean()) if len(rows) else math.nan
        out[f"{name}_fine"] = float(rows["fine"].mean()) if len(rows) else math.nan
    return out
