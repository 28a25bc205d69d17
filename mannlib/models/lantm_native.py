"""Loads ``lantm_kernel.c``, the LANTM forward and backward loops in C, compiling it on first use.

The kernel is optional: :mod:`mannlib.models.lantm_fast` runs the same loops with torch
operations when it is unavailable (no C compiler, a compile error, a non-CPU tensor, or
``MANNLIB_NATIVE=0``). :mod:`mannlib.models.native` compiles it, as it does the stack/tape
kernel, and caches the build under ``$MANNLIB_KERNEL_CACHE`` (default ``~/.cache/mannlib``).
"""
from __future__ import annotations

import ctypes
import os
from pathlib import Path

import torch

from . import native

SOURCE = Path(__file__).with_name("lantm_kernel.c")
TYPES = native.TYPES


class Args(ctypes.Structure):
    """Mirror of ``Args`` in lantm_kernel.c (field for field)."""
    _fields_ = ([(n, ctypes.c_long) for n in ("T", "B", "H", "R", "NI", "softmax", "hist")]
                + [(n, ctypes.c_double) for n in ("alpha", "eps", "delta", "t_min")]
                + [(n, ctypes.c_void_p) for n in (
                    "xg", "w_rec", "w_recT", "w_e", "w_eT", "b_e", "d_out",
                    "RH", "SIG", "GT", "C", "TC", "E", "G", "KV", "NRM", "A", "MV1", "U", "D2", "TEMP", "S", "LOGS", "MT",
                    "DG", "DE", "dKV", "dMV", "dA", "dSL", "dC", "work")])


_libs: dict = {}


def kernel(dtype: torch.dtype):
    """(forward, backward) C functions for ``dtype``, or None when the kernel cannot be used."""
    if os.environ.get("MANNLIB_NATIVE", "1") == "0" or dtype not in TYPES:
        return None
    if dtype not in _libs:
        _libs[dtype] = native.build(SOURCE, ("lantm_forward", "lantm_backward"), Args, dtype, label="LANTM C kernel")
    return _libs[dtype]


ptr = native.ptr   # address of a contiguous CPU tensor (None for absent buffers)
