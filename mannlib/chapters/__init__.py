"""The book's chapters: one package per chapter notebook, registered here in the book's order.

Each chapter package (``mannlib.chapters.mirror`` for notebooks/mirror.ipynb) keeps what its
notebook computes out of the notebook, so it is tested, and answers the same questions (see
:mod:`mannlib.chapters.base`): ``PAPER``, ``paper_says()``, ``claims(profile)``,
``reference()``, and ``RUNS`` (reproduce target -> paper-profile RunConfigs) or ``PIPELINES``
(target -> ``reproduce(profile, jobs)``). The scorecard, the reference results and the command
line all loop over :data:`CHAPTERS`; adding a chapter means adding its package and its name here.
"""
from __future__ import annotations

from importlib import import_module
from types import ModuleType

CHAPTERS = ("mirror", "m10ae", "lantm", "memory_signatures", "every_memory")   # the book's order (_toc.yml)


def chapter(name: str) -> ModuleType:
    """The chapter package ``name``; ValueError naming the chapters for an unknown name."""
    if name not in CHAPTERS:
        raise ValueError(f"unknown chapter {name!r}; choose one of {', '.join(CHAPTERS)}")
    return import_module(f"{__name__}.{name}")


def chapters() -> dict[str, ModuleType]:
    """Every chapter package, in the book's order."""
    return {name: chapter(name) for name in CHAPTERS}


def run_targets() -> dict:
    """``reproduce`` target -> function returning its RunConfigs, over every chapter."""
    return {t: f for m in chapters().values() for t, f in getattr(m, "RUNS", {}).items()}


def pipelines() -> dict:
    """``reproduce`` target -> ``reproduce(profile, jobs)`` for chapters whose experiments are a
    pipeline rather than a list of RunConfigs (the memory signatures)."""
    return {t: f for m in chapters().values() for t, f in getattr(m, "PIPELINES", {}).items()}


def target_runs(target: str, **knobs) -> list:
    """The RunConfigs of the ``reproduce`` target ``target`` with the chapter parameters ``knobs``
    (``reproduce --set``: the keyword arguments its RUNS function takes); ValueError naming the
    targets for an unknown one (pipelines included, which :func:`pipelines` runs instead) or the
    parameters for an unknown parameter."""
    import inspect
    targets = run_targets()
    if target not in targets:
        raise ValueError(f"unknown chapter {target!r}; choose one of {', '.join([*targets, *pipelines()])}")
    allowed = list(inspect.signature(targets[target]).parameters)
    unknown = [k for k in knobs if k not in allowed]
    if unknown:
        raise ValueError(f"unknown parameter {unknown[0]!r} for {target}; "
                         + (f"choose one of {', '.join(allowed)}" if allowed else "it takes none yet"))
    runs = targets[target](**knobs)
    if not runs:
        raise ValueError(f"chapter {target!r} defines no runs yet")
    return runs
