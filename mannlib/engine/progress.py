"""Progress of a training run: a tqdm bar in a terminal, a line at every quarter of the run in
notebooks and logs (so a rerun with new parameters shows where it is), or nothing."""
from __future__ import annotations

import os
import sys
import time


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return type(shell).__name__ == "ZMQInteractiveShell"


def resolve_progress(progress: str = "auto") -> str:
    """'auto': $MANNLIB_PROGRESS if set, else 'coarse' in notebooks and when stderr is not a
    terminal, else 'bar' (tqdm)."""
    if progress == "auto":
        progress = os.environ.get("MANNLIB_PROGRESS") or (
            "bar" if sys.stderr.isatty() and not _in_notebook() else "coarse")
    if progress not in ("bar", "coarse", "none"):
        raise ValueError(f"unknown progress {progress!r}; choose one of auto, bar, coarse, none")
    return progress


class Progress:
    """A tqdm bar ('bar'), a line at every quarter of the run ('coarse'; stdout in notebooks,
    else stderr), or nothing ('none'). ``update(step, **stats)`` shows the latest stats."""

    def __init__(self, kind: str, total: int, initial: int, desc: str):
        self.kind, self.total, self.desc = resolve_progress(kind), total, desc
        self.start, self.t0, self.stats = initial, time.time(), {}
        self.next_quarter = initial * 4 // total + 1
        self.bar = None
        if self.kind == "bar":
            from tqdm import tqdm
            self.bar = tqdm(total=total, initial=initial, desc=desc, unit="step", dynamic_ncols=True)

    def update(self, step: int, **stats):
        self.stats.update(stats)
        if self.bar is not None:
            self.bar.update(step - self.bar.n)
            if stats:
                self.bar.set_postfix({k: f"{v:.3g}" for k, v in stats.items()}, refresh=False)
        elif self.kind == "coarse" and step * 4 >= self.next_quarter * self.total:
            self.next_quarter = step * 4 // self.total + 1
            elapsed = time.time() - self.t0
            eta = elapsed / (step - self.start) * (self.total - step)
            text = "".join(f" {k} {v:.3g}" for k, v in self.stats.items())
            print(f"{self.desc}: step {step}/{self.total}{text} ({elapsed:.0f} s, ETA {eta:.0f} s)",
                  file=sys.stdout if _in_notebook() else sys.stderr, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
