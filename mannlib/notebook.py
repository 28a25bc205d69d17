"""What every chapter notebook calls first: ``setup(profile)``.

The notebook contract (see README): the cell tagged ``parameters`` sets ``profile`` to
"paper" (the paper's settings; loads the committed runs in data/ and trains only what is
missing) or "quick" (tiny settings for CI; everything goes to a scratch cache, never data/).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .engine.config import PROFILES   # paper | quick: one list, validated here for notebooks


def setup(profile: str) -> str:
    """Check ``profile``, point the run cache at the right place, and set plotting defaults."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    if profile == "quick" and not os.environ.get("MANNLIB_RUNS"):
        os.environ["MANNLIB_RUNS"] = str(Path(tempfile.gettempdir()) / "mannlib-quick-runs")
    os.environ.setdefault("MANNLIB_PROGRESS", "coarse")  # no tqdm widgets in executed notebooks
    import matplotlib
    import seaborn as sns
    matplotlib.rcParams.update({"figure.dpi": 100, "savefig.bbox": "tight"})
    sns.set_theme(style="whitegrid", context="notebook")
    return profile
