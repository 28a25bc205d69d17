"""Execute chapter notebooks with papermill: ``python -m mannlib.runbook --profile quick --dest DIR CHAPTER...``.

Runs up to ``--jobs`` notebooks at once (one kernel each), prints one line per notebook with
its wall time, and exits non-zero if any notebook fails, showing the end of its log. Papermill
adds a cell with the parameters it was given (tagged ``injected-parameters``) after the cell
tagged ``parameters``; :func:`hide_injected` tags it ``remove-cell`` too, so that the book shows
one parameters cell per chapter while the executed notebook still records what was injected.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from .engine.config import PROFILES
from .engine.paths import ROOT


AFTER = {"scorecard"}  # notebooks that read the others' results
INJECTED, HIDDEN = "injected-parameters", "remove-cell"   # papermill's tag; the tag myst-nb leaves out


def hide_injected(path: Path) -> int:
    """Tag papermill's injected-parameters cells of the notebook at ``path`` ``remove-cell`` (the
    rendered page leaves them out; the notebook keeps them). Returns how many cells it tagged."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if INJECTED in c.metadata.get("tags", [])]
    for cell in cells:
        if HIDDEN not in cell.metadata["tags"]:
            cell.metadata["tags"].append(HIDDEN)
    if cells:
        nbformat.write(nb, path)
    return len(cells)


def run(chapter: str, profile: str, dest: Path) -> tuple[str, int, float, str]:
    src = ROOT / "notebooks" / f"{chapter}.ipynb"
    if not src.exists():
        raise SystemExit(f"no notebook {src}; chapters: {', '.join(chapters())}")
    out = dest / f"{chapter}.ipynb"
    t0 = time.time()
    proc = subprocess.run(
        [sys.executable, "-m", "papermill", str(src), str(out), "-p", "profile", profile,
         "-k", "python3", "--cwd", str(dest), "--no-progress-bar", "--log-output"],
        capture_output=True, text=True)
    if proc.returncode == 0:
        hide_injected(out)
    return chapter, proc.returncode, time.time() - t0, proc.stdout + proc.stderr


def chapters() -> list[str]:
    return sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m mannlib.runbook", description=__doc__.splitlines()[0])
    p.add_argument("chapters", nargs="*", help="chapter names (default: every notebook in notebooks/)")
    p.add_argument("--profile", choices=PROFILES, default="paper")
    p.add_argument("--dest", type=Path, default=ROOT / "book")
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args(argv)
    args.dest.mkdir(parents=True, exist_ok=True)
    names = args.chapters or chapters()
    failed = []
    # The scorecard gathers every chapter's results: run it after them, so that (quick profile)
    # it loads their runs instead of training the same ones at the same time.
    waves = [[n for n in names if n not in AFTER], [n for n in names if n in AFTER]]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for wave in waves:
            for name, rc, secs, log in pool.map(lambda c: run(c, args.profile, args.dest.resolve()), wave):
                print(f"{'ok  ' if rc == 0 else 'FAIL'} {name:<20} {args.profile:<6} {secs:6.1f} s", flush=True)
                if rc:
                    failed.append(name)
                    print("\n".join(log.splitlines()[-40:]), file=sys.stderr)
    if failed:
        print(f"failed notebooks: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
