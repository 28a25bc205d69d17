"""Paths resolved from the repository root, never from the working directory."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]   # mannlib/engine/paths.py -> the repository
DATA = ROOT / "data"


def runs_dir() -> Path:
    """The run cache: ``data/runs`` unless the environment variable MANNLIB_RUNS redirects it."""
    return Path(os.environ.get("MANNLIB_RUNS") or DATA / "runs")
