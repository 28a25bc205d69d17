"""Loads ``lantm_kernel.c``, the LANTM forward and backward loops in C, compiling it on first use.

The kernel is optional: :mod:`mannlib.models.lantm_fast` runs the same loops with torch
operations when it is unavailable (no C compiler, a compile error, a non-CPU tensor, or
``MANNLIB_NATIVE=0``). Builds are cached under ``$MANNLIB_KERNEL_CACHE`` (default
``~/.cache/mannlib``), keyed by the source, the compiler and the CPU, since they are compiled
with ``-march=native``; writing is atomic, so concurrent first uses are safe.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import torch

SOURCE = Path(__file__).with_name("lantm_kernel.c")
TYPES = {torch.float32: (["-DSINGLE"], "f32"), torch.float64: ([], "f64")}
FLAGS = ("-O3", "-march=native", "-fno-math-errno", "-fopenmp-simd", "-shared", "-fPIC", "-std=c99")


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
        _libs[dtype] = _load(*TYPES[dtype])
    return _libs[dtype]


def _cpu_id() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next((line for line in f if line.startswith("flags")), platform.processor())
    except OSError:
        return platform.processor()


def _load(defines: list, suffix: str):
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    try:
        version = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
        key = hashlib.sha256("\n".join([SOURCE.read_text(), suffix, cc, version, " ".join(FLAGS),
                                        platform.machine(), _cpu_id()]).encode()).hexdigest()[:16]
        cache = Path(os.environ.get("MANNLIB_KERNEL_CACHE") or
                     Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mannlib")
        target = cache / f"lantm_kernel_{suffix}_{key}.so"
        if not target.exists():
            cache.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=cache) as tmp:
                built = Path(tmp) / target.name
                base = [cc, *FLAGS, *defines, str(SOURCE), "-o", str(built)]
                try:      # with glibc's vector exp (libmvec), else without
                    subprocess.run(base + ["-lmvec", "-lm"], check=True, capture_output=True, text=True, timeout=300)
                except subprocess.CalledProcessError:
                    subprocess.run(base + ["-DNO_MVEC", "-lm"], check=True, capture_output=True, text=True,
                                   timeout=300)
                os.replace(built, target)
        lib = ctypes.CDLL(str(target))
    except (OSError, subprocess.SubprocessError) as e:
        detail = getattr(e, "stderr", "") or e
        warnings.warn(f"LANTM C kernel unavailable, using the torch loop instead: {detail}", RuntimeWarning)
        return None
    fns = []
    for name in ("lantm_forward", "lantm_backward"):
        fn = getattr(lib, f"{name}_{suffix}")
        fn.argtypes, fn.restype = [ctypes.POINTER(Args)], None
        fns.append(fn)
    return tuple(fns)


def ptr(t: torch.Tensor | None):
    """Address of a contiguous CPU tensor's data (None for absent buffers)."""
    if t is None:
        return None
    assert t.is_contiguous() and t.device.type == "cpu", "the C kernel needs contiguous CPU tensors"
    return t.data_ptr()
