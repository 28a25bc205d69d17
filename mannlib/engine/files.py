"""Safe files for the engine: atomic writes and checkpoint reading, shared by the trainer and the
run cache (so neither imports the other's internals). A file written here holds either its old
content or all of the new one, whatever kills the process."""
from __future__ import annotations

import io
import math
import os
from pathlib import Path

import torch


class RunError(ValueError):
    """Unknown or incomplete run; the message names what is allowed or what to do."""


class RunDamaged(RunError):
    """A cache entry whose files are missing, unreadable or do not match their checksums."""


def atomic_write(path: Path, data: bytes):
    """Write ``data`` so that ``path`` holds either its old content or all of ``data``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_save(path: Path, obj):
    """``torch.save`` ``obj`` to ``path`` atomically."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write(path, buf.getvalue())


def jsonable(obj):
    """NaN/inf -> None, so that every JSON we write is strict JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    return obj


def load_checkpoint(path: Path) -> dict:
    """A checkpoint's tensors and state; :class:`RunDamaged` naming the path if it cannot be read."""
    try:
        return torch.load(path, weights_only=True, map_location="cpu")
    except Exception as e:
        raise RunDamaged(f"checkpoint {path} is unreadable ({type(e).__name__}); "
                         "delete it to restart this run from step 0") from None
