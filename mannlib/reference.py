"""Reference results of the quick profile: the numbers each chapter's claims and tables rest on.

Commands (each recomputes everything in a fresh scratch run cache, never ``data/``)::

    python -m mannlib reference                   # recompute, compare with tests/reference/*.json
    python -m mannlib reference --write           # recompute and rewrite tests/reference/*.json
    python -m mannlib reference lantm --write     # one chapter (mirror, m10ae, lantm, memory_signatures)

``tests/test_reference.py`` does what the first command does. A changed number therefore fails
the tests until someone regenerates the reference on purpose, and the change is reviewed in
the diff of ``tests/reference/``. It takes about a minute on one idle core.

What each file holds (:func:`compute`):

* ``runs``: every quick run the chapter trains, by run id (the id hashes the whole config, so
  a changed default shows as a missing and an unexpected id): its learning curve (loss,
  training and dev accuracy at every point) and its test accuracy and fine score per
  difficulty. These pin down the tasks, the models and the trainer.
* ``tables``: the frames behind the chapter's tables and verdicts, from the chapter's own
  functions (mirror: lengths table, steps to 95%, gate saturation jumps, policies; m10ae:
  #LPO scores, late gains, the tuning grid, the analysed SANN by category and its stack norms;
  lantm: Table 3 per seed, Table 4, read distances and write strengths; memory_signatures: every
  language model's perplexities and recall per δ, the Fig. 4 distances and the memory
  networks' signatures).
* ``claims``: every claim's verdict, its "ours" sentence and its criterion (which quotes the
  thresholds), computed as the book computes them (``chapter.claims("quick")``; LANTM with the
  explicit quick settings of its ``reference``).

Each chapter package computes its own record (``chapter.reference()``, built with
:func:`~mannlib.chapters.base.plain`, :func:`~mannlib.chapters.base.run_record` and
:func:`~mannlib.chapters.base.claim_records`); this module stores and compares them.

Tolerances (:data:`ATOL`, :data:`RTOL`): quick runs train on the CPU with one torch thread,
seeded generators and portable numerics (:mod:`mannlib.portable`: every library's baseline code
path, whatever the CPU offers), so a rerun on another machine reproduces the numbers bit for
bit, as far as those settings reach. Without them it does not: training amplifies a different
rounding of the last bits into a different accuracy within a few hundred updates.

CPU kinds (:func:`mannlib.portable.cpu_kind`): some numbers still differ between CPU kinds (seen:
the LANTM chapter's and the memory-signature decoders' on an Intel Xeon against the default set,
recorded on an AMD EPYC; :mod:`mannlib.portable` says what was tried). Such a kind keeps its own
set, ``tests/reference/cpu/<kind>/<chapter>.json``, recorded on it with ``--write --cpu``; it
holds the hash of the default file it was recorded beside (``default_sha256``). On a machine of
that kind the comparison reads its own set; every other machine reads the default set. When the
default set has been rewritten since (an intended change, recorded on another kind), the kind's
set is stale: the comparison says so and is skipped on that kind until someone reruns
``--write --cpu`` there. ``--write`` rewrites this kind's own set where one exists, else the
default set. An intended change made on a kind with its own set therefore leaves the default set
behind: rerecord it on a machine of the default's kind, or, where the entries the change moves
rest only on runs that agree between the two sets (``differences`` of those runs is empty), carry
the new entries into the default set and then rerun ``--write`` here (done once, for the LANTM
chapter's LSTM claim, whose five quick LSTM runs agree). Floats are compared with
|a - b| <= ATOL + RTOL |b|, a slack for summaries that a library may sum in another order;
every deliberate change we tried moves some number by far more (one more test example right
changes an accuracy by 1/16). Integers,
strings (verdicts, the "ours" sentences with their rounded numbers, the criteria with their
thresholds), keys and lengths must match exactly. Wall times are never stored.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path


from .chapters import CHAPTERS as _CHAPTERS, chapter as get_chapter
from .chapters.base import claim_records, plain, run_record  # noqa: F401  (re-exported: the chapters' records use them)
from .engine.paths import ROOT

REFERENCE_DIR = ROOT / "tests" / "reference"
KINDS = "cpu"      # REFERENCE_DIR / KINDS / <kind slug> / <chapter>.json: a CPU kind's own set
META = ("about", "cpu", "default_sha256")   # a file's fields that are not part of the record
CHAPTERS = _CHAPTERS   # every chapter of the registry has a reference record (tests/reference/NAME.json)
ATOL = 1e-6        # absolute slack for floats (see the module docstring)
RTOL = 1e-5        # relative slack for floats


# --- computing, storing, comparing -----------------------------------------------------------------
@contextlib.contextmanager
def scratch_cache(path: str | Path | None = None):
    """Point the run cache (MANNLIB_RUNS) at ``path`` or a fresh temporary directory, quietly, on
    one torch thread; restore everything afterwards."""
    import torch
    saved = {k: os.environ.get(k) for k in ("MANNLIB_RUNS", "MANNLIB_PROGRESS", "MANNLIB_THREADS")}
    threads = torch.get_num_threads()
    with contextlib.ExitStack() as stack:
        root = path or stack.enter_context(tempfile.TemporaryDirectory(prefix="mannlib-reference-"))
        os.environ.update(MANNLIB_RUNS=str(root), MANNLIB_PROGRESS="none", MANNLIB_THREADS="1")
        torch.set_num_threads(1)
        try:
            yield Path(root)
        finally:
            torch.set_num_threads(threads)
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def compute(chapter: str) -> dict:
    """The reference record of ``chapter`` (one of :data:`CHAPTERS`), computed in the current run
    cache (use :func:`scratch_cache` so that nothing stale is read)."""
    source = get_chapter(chapter).reference     # ValueError naming the chapters for an unknown one
    import matplotlib
    matplotlib.use("Agg")
    return json.loads(json.dumps(plain(source())))   # exactly what a file round-trip gives


def path_of(chapter: str, directory: Path = REFERENCE_DIR) -> Path:
    """The default reference file of ``chapter``."""
    return Path(directory) / f"{chapter}.json"


def kind_slug(kind: str) -> str:
    """A CPU kind as a directory name: "Intel(R) Xeon(R) Processor" -> "intel-r-xeon-r-processor"."""
    return re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-") or "unknown"


def kind_path(chapter: str, directory: Path = REFERENCE_DIR, kind: str | None = None) -> Path:
    """The reference file of ``chapter`` for CPU ``kind`` (default: this machine's), which may not exist."""
    from .portable import cpu_kind
    return Path(directory) / KINDS / kind_slug(kind or cpu_kind()) / f"{chapter}.json"


class StaleReference(RuntimeError):
    """This CPU kind's own reference set was recorded beside a default set that has changed since."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source(chapter: str, directory: Path = REFERENCE_DIR, kind: str | None = None) -> Path:
    """The file a comparison reads on CPU ``kind`` (default: this machine's): the kind's own set
    where it has one, else the default set. StaleReference when the kind's set was recorded beside
    another default file than today's."""
    own, default = kind_path(chapter, directory, kind), path_of(chapter, directory)
    if not own.exists():
        return default
    stored = json.loads(own.read_text())
    if not default.exists() or stored.get("default_sha256") != _sha256(default):
        raise StaleReference(
            f"{own} (CPU {stored.get('cpu')!r}) was recorded beside another {default.name} than today's: the default "
            f"reference changed since, on another CPU kind, so this kind's numbers are not known; on a machine of this "
            f"kind run `python -m mannlib reference {chapter} --write --cpu` and review the diff")
    return own


def write(chapter: str, record: dict, directory: Path = REFERENCE_DIR, cpu: bool = False) -> Path:
    """Store ``record``: in this CPU kind's own set with ``cpu`` or where that set already exists
    (with the hash of the default file beside it), else as the default set."""
    from . import portable
    if not portable.active():
        raise RuntimeError("a reference is recorded with portable numerics (mannlib.portable), so that it holds "
                           "on any CPU; run `python -m mannlib reference --write`, which sets them")
    kind, default = portable.cpu_kind(), path_of(chapter, directory)
    own = kind_path(chapter, directory, kind)
    if cpu or own.exists():
        if not default.exists():
            raise FileNotFoundError(f"no default reference {default} to record a CPU kind's set beside; "
                                    f"run `python -m mannlib reference {chapter} --write` first")
        about = (f"Reference results of the quick profile for the {chapter} chapter on CPUs of kind {kind!r}, "
                 f"whose numbers differ from the default set's ({default.name}); regenerate on such a machine with "
                 f"`python -m mannlib reference {chapter} --write --cpu` and review the diff (see mannlib/reference.py).")
        meta, path = {"about": about, "cpu": kind, "default_sha256": _sha256(default)}, own
    else:
        about = (f"Reference results of the quick profile for the {chapter} chapter; regenerate with "
                 f"`python -m mannlib reference {chapter} --write` and review the diff (see mannlib/reference.py).")
        meta, path = {"about": about, "cpu": kind}, default
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**meta, **record}, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return path


def load(chapter: str, directory: Path = REFERENCE_DIR, kind: str | None = None) -> dict:
    """The record a comparison on CPU ``kind`` reads (:func:`source`), without its metadata."""
    path = source(chapter, directory, kind)
    if not path.exists():
        raise FileNotFoundError(f"no reference {path}; create it with `python -m mannlib reference {chapter} --write`")
    record = json.loads(path.read_text())
    for key in META:
        record.pop(key, None)
    return record


def close(a: float, b: float, atol: float = ATOL, rtol: float = RTOL) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


def differences(expected, actual, where: str = "", atol: float = ATOL, rtol: float = RTOL) -> list[str]:
    """Every place where ``actual`` differs from ``expected`` ("path: expected ... got ..."):
    keys and list lengths exactly, numbers within the tolerances, everything else exactly."""
    def number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{where}/{k}: missing" for k in expected if k not in actual]
        out += [f"{where}/{k}: unexpected" for k in actual if k not in expected]
        for k in expected:
            if k in actual:
                out += differences(expected[k], actual[k], f"{where}/{k}", atol, rtol)
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(expected)} values expected, got {len(actual)}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in differences(e, a, f"{where}[{i}]", atol, rtol)]
    if number(expected) and number(actual):
        if isinstance(expected, int) and isinstance(actual, int):
            return [] if expected == actual else [f"{where}: expected {expected}, got {actual}"]
        return [] if close(actual, expected, atol, rtol) else [f"{where}: expected {expected!r}, got {actual!r}"]
    return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]


def check(chapter: str, record: dict, directory: Path = REFERENCE_DIR, kind: str | None = None) -> list[str]:
    """Differences between ``record`` and the stored reference of ``chapter`` on CPU ``kind``
    (default: this machine's; :func:`source` says which file); StaleReference as there."""
    return differences(load(chapter, directory, kind), record, chapter)


# --- the command -----------------------------------------------------------------------------------
def add_parser(subparsers) -> None:
    p = subparsers.add_parser("reference", help="recompute the quick-profile reference results and compare "
                                                "(or --write them to tests/reference)")
    p.add_argument("chapters", nargs="*", metavar="CHAPTER", help=f"default: all of {', '.join(CHAPTERS)}")
    p.add_argument("--write", action="store_true", help="rewrite the reference files instead of comparing "
                   "(this CPU kind's own set where it has one, else the default set)")
    p.add_argument("--cpu", action="store_true", help="with --write: record this CPU kind's own set "
                   "(tests/reference/cpu/KIND/), for a CPU whose numbers differ from the default set's")
    p.add_argument("--dir", default=str(REFERENCE_DIR), help="where the reference files are (default: %(default)s)")
    p.set_defaults(func=reference_command)


def reference_command(args) -> int:
    import sys
    unknown = [c for c in args.chapters if c not in CHAPTERS]
    if unknown:
        raise ValueError(f"unknown chapter {unknown[0]!r}; choose one of {', '.join(CHAPTERS)}")
    if args.cpu and not args.write:
        raise ValueError("--cpu records this CPU kind's own reference set: use it with --write")
    failed = 0
    with scratch_cache():
        for chapter in args.chapters or CHAPTERS:
            record = compute(chapter)
            if args.write:
                print(f"wrote {write(chapter, record, Path(args.dir), cpu=args.cpu)}")
                continue
            try:
                where, diffs = source(chapter, Path(args.dir)), check(chapter, record, Path(args.dir))
            except StaleReference as e:
                print(f"{chapter}: not compared: {e}")
                continue
            failed += bool(diffs)
            print(f"{chapter}: " + (f"matches the reference ({where})" if not diffs else f"{len(diffs)} differences "
                                    f"from {where}"))
            for d in diffs[:40]:
                print(f"  {d}")
    if failed:
        print("if the change is intended, rerun with --write and review the diff of tests/reference/",
              file=sys.stderr)
    return 1 if failed else 0
