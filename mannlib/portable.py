"""Portable numerics: the same float results on any x86-64 CPU, for the tests and the reference.

Training amplifies rounding. torch, MKL, oneDNN and our C kernels each choose their code at run
time by what the CPU offers (AVX-512, AVX2, FMA), and two choices round the last bits of a sum or
a product differently; a few hundred updates later a quick run's accuracy differs by a test
example. So a reference recorded on one machine failed on another (CI: 5 tests, an LSTM stopping
at update 250 instead of 180). Under :data:`ENV` every library takes its baseline code path, and
the C kernels are built without ``-march=native`` (``MANNLIB_PORTABLE``, read by
:mod:`mannlib.models.native`), so a rerun elsewhere reproduces the numbers bit for bit. It is
slower; training campaigns run without it.

The variables act when the libraries load, so they must be set before ``import torch``:
``tests/conftest.py`` sets them first, and ``python -m mannlib reference`` restarts itself with
them (:func:`ensure`). This module imports nothing heavy for that reason.
"""
from __future__ import annotations

import os
import sys

ENV = {
    "ATEN_CPU_CAPABILITY": "default",   # torch's kernels without AVX2/AVX-512 vectorisation
    "MKL_CBWR": "COMPATIBLE",           # MKL's conditional numerical reproducibility, any x86-64 CPU
    "ONEDNN_MAX_CPU_ISA": "SSE41",      # oneDNN's baseline instruction set
    "MANNLIB_PORTABLE": "1",            # our C kernels: no -march=native
}


def active() -> bool:
    """Whether this process runs with every setting of :data:`ENV`."""
    return all(os.environ.get(k) == v for k, v in ENV.items())


def set_before_torch():
    """Set :data:`ENV` in this process; an error if torch is already imported (too late to act)."""
    if not active() and "torch" in sys.modules:
        raise RuntimeError("portable numerics must be set before torch is imported "
                           f"(set {', '.join(f'{k}={v}' for k, v in ENV.items())} in the environment)")
    os.environ.update(ENV)


def ensure(argv: list[str]):
    """Restart this command (``python -m mannlib ARGV``) with :data:`ENV` unless it is active."""
    if not active():
        os.execve(sys.executable, [sys.executable, "-m", "mannlib", *argv], {**os.environ, **ENV})
