"""Every task of both papers behind one interface (:class:`mannlib.tasks.base.Task`)."""
from __future__ import annotations

from .base import Batch, Example, Task, TaskError

# name -> factory; filled by the task modules (see get_task).
TASKS: dict[str, type] = {}


def get_task(name: str, **kwargs) -> Task:
    """The task called ``name``; unknown names raise TaskError listing the allowed ones."""
    load_tasks()
    if name not in TASKS:
        raise TaskError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}")
    return TASKS[name](**kwargs)


def load_tasks():
    """Import the task modules, which register themselves in :data:`TASKS` in the papers' order
    (whichever task module is imported first)."""
    from . import mirror, m10ae, lantm  # noqa: F401


load_tasks()
