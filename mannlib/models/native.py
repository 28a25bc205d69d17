"""Compiles and loads an optional C kernel of mannlib.models on first use (here:
``stack_tape_kernel.c``; ``lantm_native`` does the same for the LANTM), and finds the BLAS
``?gemm_`` that torch itself links.

A kernel is optional: its caller runs the same maths in torch when it is unavailable (no C
compiler, a compile error, a non-CPU tensor, or ``MANNLIB_NATIVE=0``). Builds are cached under
``$MANNLIB_KERNEL_CACHE`` (default ``~/.cache/mannlib``), keyed by the source, the compiler and
the CPU, since they are compiled with ``-march=native`` (without it under ``MANNLIB_PORTABLE=1``,
:mod:`mannlib.portable`: the same results on any x86-64 CPU); writing is atomic, so concurrent
first uses are safe.
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

TYPES = {torch.float32: (["-DSINGLE"], "f32"), torch.float64: ([], "f64")}
FLAGS = ("-O3", "-march=native", "-fno-math-errno", "-fopenmp-simd", "-shared", "-fPIC", "-std=c99")
PORTABLE_FLAGS = tuple(f for f in FLAGS if f != "-march=native")


def flags() -> tuple[str, ...]:
    """The compiler flags: tuned to this CPU, or its baseline under ``MANNLIB_PORTABLE=1``."""
    return PORTABLE_FLAGS if os.environ.get("MANNLIB_PORTABLE") == "1" else FLAGS

_libs: dict = {}


def kernel(source: Path, names: tuple[str, ...], args_type, dtype: torch.dtype):
    """The C functions ``names`` (each taking a pointer to ``args_type``) of ``source`` built for
    ``dtype``, or None when the kernel cannot be used."""
    if os.environ.get("MANNLIB_NATIVE", "1") == "0" or dtype not in TYPES:
        return None
    key = (str(source), names, dtype, flags())
    if key not in _libs:
        _libs[key] = build(source, names, args_type, dtype)
    return _libs[key]


def _cpu_id() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next((line for line in f if line.startswith("flags")), platform.processor())
    except OSError:
        return platform.processor()


def build(source: Path, names, args_type, dtype: torch.dtype, label: str | None = None):
    """Compile (or load the cached build of) ``source`` for ``dtype`` and return its functions
    ``names``, uncached in this process; None, with a RuntimeWarning naming ``label`` (default
    "C kernel <file>"), when it cannot be built. :func:`kernel` caches it per process."""
    return _load(source, names, args_type, *TYPES[dtype], label=label or f"C kernel {source.name}")


def _load(source: Path, names, args_type, defines: list, suffix: str, label: str):
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    try:
        version = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
        key = hashlib.sha256("\n".join([source.read_text(), suffix, cc, version, " ".join(flags()),
                                        platform.machine(), _cpu_id()]).encode()).hexdigest()[:16]
        cache = Path(os.environ.get("MANNLIB_KERNEL_CACHE") or
                     Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mannlib")
        target = cache / f"{source.stem}_{suffix}_{key}.so"
        if not target.exists():
            cache.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=cache) as tmp:
                built = Path(tmp) / target.name
                base = [cc, *flags(), *defines, str(source), "-o", str(built)]
                try:      # with glibc's vector exp (libmvec), else without
                    subprocess.run(base + ["-lmvec", "-lm"], check=True, capture_output=True, text=True, timeout=300)
                except subprocess.CalledProcessError:
                    subprocess.run(base + ["-DNO_MVEC", "-lm"], check=True, capture_output=True, text=True,
                                   timeout=300)
                os.replace(built, target)
        lib = ctypes.CDLL(str(target))
    except (OSError, subprocess.SubprocessError) as e:
        detail = getattr(e, "stderr", "") or e
        warnings.warn(f"{label} unavailable, using torch instead: {detail}", RuntimeWarning)
        return None
    fns = []
    for name in names:
        fn = getattr(lib, f"{name}_{suffix}")
        fn.argtypes, fn.restype = [ctypes.POINTER(args_type)], None
        fns.append(fn)
    return tuple(fns)


_gemm: dict = {}


def blas_gemm(dtype: torch.dtype) -> int | None:
    """Address of the Fortran ``sgemm_`` / ``dgemm_`` exported by torch's own CPU library (MKL in
    the x86 wheels), or None: then a kernel uses its own loops. ``MANNLIB_BLAS=0`` forces None."""
    if os.environ.get("MANNLIB_BLAS", "1") == "0" or dtype not in TYPES:
        return None
    if dtype not in _gemm:
        name = {torch.float32: "sgemm_", torch.float64: "dgemm_"}[dtype]
        address = None
        for path in sorted((Path(torch.__file__).parent / "lib").glob("libtorch_cpu.*")):
            try:
                address = ctypes.cast(getattr(ctypes.CDLL(str(path)), name), ctypes.c_void_p).value
                break
            except (OSError, AttributeError):
                continue
        _gemm[dtype] = address
    return _gemm[dtype]


def ptr(t: torch.Tensor | None):
    """Address of a contiguous CPU tensor's data (None for absent buffers)."""
    if t is None:
        return None
    assert t.is_contiguous() and t.device.type == "cpu", "a C kernel needs contiguous CPU tensors"
    return t.data_ptr()
