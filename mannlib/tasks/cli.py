"""Commands ``sample`` and ``tasks``.

``python -m mannlib sample TASK --n N --seed S [--difficulty D]`` prints N JSON lines
``{"input": [...], "target": [...], "difficulty": D}``; without ``--difficulty`` each example's
difficulty is drawn from the training range. The same seed always prints the same lines.
``python -m mannlib tasks`` lists the tasks with their training and testing ranges.
"""
from __future__ import annotations

import json

import numpy as np

from . import TASKS, get_task, load_tasks
from .base import ranges_text


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("sample", help="print examples of a task as JSON lines")
    p.add_argument("task", help="task name (see: python -m mannlib tasks)")
    p.add_argument("--n", type=int, default=1, help="number of examples (default 1)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--difficulty", type=int, default=None,
                   help="difficulty of every example (default: drawn from the training range)")
    p.set_defaults(func=sample)

    p = subparsers.add_parser("tasks", help="list the tasks with their training and testing ranges")
    p.set_defaults(func=list_tasks)


def sample(args) -> int:
    task = get_task(args.task)
    for ex in task.sample(np.random.default_rng(args.seed), args.n, args.difficulty):
        print(json.dumps({"input": ex.input, "target": ex.target, "difficulty": ex.difficulty}))
    return 0


def list_tasks(args) -> int:
    load_tasks()
    rows = [("task", "train", "test", "allowed", "input", "output")]
    for name in TASKS:
        t = get_task(name)
        rows.append((name, _span(t.train_range), _span(t.test_range), ranges_text(t.allowed()),
                     f"{t.input_size} {'tokens' if t.input_tokens else 'wide'}",
                     f"{t.output_size} {'bits' if t.output_bits else 'classes'}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return 0


def _span(r: tuple[int, int]) -> str:
    return f"{r[0]}-{r[1]}"
