"""Portable numerics: the same float results on any x86-64 CPU, for the tests and the reference.

Training amplifies rounding. torch, MKL, oneDNN and our C kernels each choose their code at run
time by what the CPU offers (AVX-512, AVX2, FMA), and two choices round the last bits of a sum or
a product differently; a few hundred updates later a quick run's accuracy differs by a test
example. So a reference recorded on one machine failed on another (CI: 5 tests, an LSTM stopping
at update 250 instead of 180). Under :data:`ENV` every library takes its baseline code path, and
the C kernels are built without ``-march=native`` (``MANNLIB_PORTABLE``, read by
:mod:`mannlib.models.native`). It is slower; training campaigns run without it.

It narrows the differences between CPUs without ending them. Seen 2026-12-02, the references
recorded on an "AMD EPYC" held bit for bit on an "Intel(R) Xeon(R) Processor" for the mirror and
M10AE chapters and most every-memory runs (the LSTM, stack and tape, float32 LANTMs), but not
for the LANTM chapter's float64 runs or the memory-signature decoders (a batched product per
head), though the language models under them matched. On the Intel machine none of the switches
we could pull changes those numbers under :data:`ENV` (glibc's FMA/AVX2 code hidden,
``MKL_ENABLE_INSTRUCTIONS`` from SSE4.2 to AVX-512, ``ONEDNN_MAX_CPU_ISA``), so the rest is
chosen by something these settings do not reach: our guess, not tested for want of the AMD
machine, is MKL's choice of code by CPU vendor (its float64 and batched products) or a blocking
chosen by cache size. Such a CPU kind keeps its own reference set (:mod:`mannlib.reference`,
keyed by :func:`cpu_kind`).

The variables act when the libraries load, so they must be set before ``import torch``:
``tests/conftest.py`` sets them first, and ``python -m mannlib reference`` restarts itself with
them (:func:`ensure`). This module imports nothing heavy for that reason.
"""
from __future__ import annotations

import os
import platform
import sys

ENV = {
    "ATEN_CPU_CAPABILITY": "default",   # torch's kernels without AVX2/AVX-512 vectorisation
    "MKL_CBWR": "COMPATIBLE",           # MKL's conditional numerical reproducibility, any x86-64 CPU
    "ONEDNN_MAX_CPU_ISA": "SSE41",      # oneDNN's baseline instruction set
    "MANNLIB_PORTABLE": "1",            # our C kernels: no -march=native
}


def cpu_kind(cpuinfo: str = "/proc/cpuinfo") -> str:
    """This machine's CPU as the kernel names it (the ``model name`` of ``cpuinfo``, e.g. "AMD EPYC"
    or "Intel(R) Xeon(R) Processor"), else what :mod:`platform` says: the key of a CPU kind's own
    reference set (:mod:`mannlib.reference`)."""
    try:
        with open(cpuinfo) as f:
            name = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        name = ""
    return name or platform.processor() or platform.machine() or "unknown"


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
