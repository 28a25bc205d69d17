"""Reference results of the quick profile: the numbers each chapter's claims and tables rest on.

Commands (each recomputes everything in a fresh scratch run cache, never ``data/``)::

    python -m mannlib reference                   # recompute, compare with tests/reference/*.json
    python -m mannlib reference --write           # recompute and rewrite tests/reference/*.json
    python -m mannlib reference lantm --write     # one chapter (mirror, m10ae, lantm, signatures)

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
  lantm: Table 3 per seed, Table 4, read distances and write strengths; signatures: every
  language model's perplexities and recall per δ, the Fig. 4 distances and the memory
  networks' signatures).
* ``claims``: every claim's verdict, its "ours" sentence and its criterion (which quotes the
  thresholds), computed as the book computes them
  (:mod:`mannlib.scorecard`, which makes the notebooks' calls; LANTM with the explicit settings
  of :func:`lantm_settings`, since that chapter's defaults are being reworked).

Tolerances (:data:`ATOL`, :data:`RTOL`): quick runs train on the CPU with one torch thread and
seeded generators, so on one machine a rerun reproduces every number bit for bit. Floats are
compared with |a - b| <= ATOL + RTOL |b|, which only absorbs a different CPU rounding the last
bits of a few thousand float32 operations differently; every deliberate change we tried moves
some number by far more (one more test example right changes an accuracy by 1/16). Integers,
strings (verdicts, the "ours" sentences with their rounded numbers, the criteria with their
thresholds), keys and lengths must match exactly. Wall times are never stored.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .paths import ROOT

REFERENCE_DIR = ROOT / "tests" / "reference"
CHAPTERS = ("mirror", "m10ae", "lantm", "signatures")
ATOL = 1e-6        # absolute slack for floats (see the module docstring)
RTOL = 1e-5        # relative slack for floats


# --- turning results into plain JSON -------------------------------------------------------------
def plain(obj):
    """numpy / pandas values as JSON-ready Python: frames as {column: [values]} (index reset,
    column levels joined with '/'), NaN and inf as None, numpy scalars as int / float / bool."""
    if isinstance(obj, pd.DataFrame):
        df = obj.reset_index() if not isinstance(obj.index, pd.RangeIndex) else obj
        cols = ["/".join(str(x) for x in c if str(x)) if isinstance(c, tuple) else str(c) for c in df.columns]
        return {c: plain(df.iloc[:, i].tolist()) for i, c in enumerate(cols)}
    if isinstance(obj, pd.Series):
        return {str(k if not isinstance(k, tuple) else "/".join(map(str, k))): plain(v) for k, v in obj.items()}
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [plain(v) for v in (obj.tolist() if isinstance(obj, np.ndarray) else obj)]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    return obj


def run_record(run) -> dict:
    """What a run's numbers are: curve (step, loss, train_acc, dev_acc, dev_fine, lr; no wall
    time) and test accuracy / fine per difficulty."""
    curve = run.curve.drop(columns=["wall_s"], errors="ignore")
    return {"curve": plain(curve), "eval": {str(d): [plain(r["accuracy"]), plain(r["fine"])]
                                            for d, r in run.eval.iterrows()}}


def claim_records(rows) -> dict:
    """{key: {"verdict", "ours", "criterion"}} from (Claim, spread) pairs or Claims (the criterion
    quotes the thresholds, so a changed threshold shows even where no verdict flips)."""
    claims = [r[0] if isinstance(r, tuple) else r for r in rows]
    return {c.key: {"verdict": c.verdict, "ours": c.ours, "criterion": c.criterion} for c in claims}


# --- the chapters ----------------------------------------------------------------------------------
def mirror() -> dict:
    """notebooks/mirror.ipynb in the quick profile."""
    from . import scorecard as SC
    from .chapters import mirror as M
    claims = SC.mirror_claims("quick")                          # trains the quick runs
    s = M.settings("quick")
    runs = M.load_runs(s)
    acc, curves = M.accuracy_frame(runs), M.curve_frame(runs)
    analyses = {m: M.analyse(M.best_seed(runs, m), s) for m in M.MEMORY_MODELS}
    tables = {"length_table": plain(M.length_table(acc)),
              "beyond_scores": plain(M.beyond_scores(acc)),
              "within_scores": plain(M.within_scores(acc)),
              "steps_to": plain(M.steps_to(curves))}
    for m, a in analyses.items():
        jump, calm = M.delimiter_jump(M.gate_saturation(a), s.analysis_length)
        tables[f"analysis_{m}"] = {"run": a.run.id, "accuracy": a.accuracy, "delimiter_jump": jump,
                                   "delimiter_calm": calm, "policy": plain(M.policy_summary(a)[["step", "quantity", "mean"]])}
    return {"runs": {r.id: run_record(r) for r in runs}, "tables": tables, "claims": claim_records(claims)}


def m10ae() -> dict:
    """notebooks/m10ae.ipynb in the quick profile (main, long and grid runs; the analysed SANN)."""
    from . import scorecard as SC
    from .chapters import m10ae as C
    claims = SC.m10ae_claims("quick")
    s = C.settings("quick")
    runs, long_runs = C.load_runs(C.configs(s), "quick"), C.load_runs(C.long_configs(s), "quick")
    grid = C.load_runs(C.grid_configs(s), "quick")
    acc, long_acc = C.accuracy_frame(runs), C.accuracy_frame(long_runs)
    a = C.analyse(C.best_seed(long_runs, "sann"), s)
    tables = {"lpo_scores_test": plain(C.lpo_scores(acc)), "lpo_scores_all": plain(C.lpo_scores(acc, C.ALL_LPO)),
              "long_lpo_scores_test": plain(C.lpo_scores(long_acc)),
              "late_gain": plain(C.late_gain(C.curve_frame(runs))),
              "tuning": plain(C.tuning_table(grid).drop(columns="wall_s")),
              "analysis": {"run": a.run.id, "accuracy": a.accuracy, "by_category": plain(C.by_category(a)),
                           "memory_norms": plain(C.memory_norms(a))}}
    return {"runs": {r.id: run_record(r) for r in runs + long_runs + grid}, "tables": tables,
            "claims": claim_records(claims)}


def lantm_settings():
    """The LANTM chapter's quick settings, spelled out (not ``lantm.settings("quick")``, whose
    defaults are being reworked): tiny models on sizes up to QUICK_M, 3 + 3 + 1 seeds, Table 4
    on 2 sizes x 8 problems, the appendix trace at 2x the training maximum."""
    from .chapters import lantm as L
    return L.Settings(profile="quick", scale="fits",
                      seeds={"lantm-invnorm": (0, 1, 2), "lantm-softmax": (0, 1, 2), "lstm": (0,)},
                      table4_sizes=2, table4_n=8, trace_factor=2)


def lantm() -> dict:
    """notebooks/lantm.ipynb's claims and tables for :func:`lantm_settings` (the same calls as
    :func:`mannlib.scorecard.lantm_claims`)."""
    from .chapters import lantm as L
    s = lantm_settings()
    runs = L.load_runs(s)
    r = L.results(s, runs)
    scores, claims, best, ext, traces = r.scores, r.claims, r.best, r.ext, r.traces
    tables = {"per_seed": plain(L.per_seed(scores)), "table4": plain(ext),
              "best_runs": {t: r.id for t, r in best.items()},
              "read_distances_copy": plain(L.read_distances(traces["copy"])),
              "strength_by_parity_addition": plain(L.strength_by_parity(traces["addition"]))}
    return {"runs": {r.id: run_record(r) for r in runs}, "tables": tables, "claims": claim_records(claims)}


def signatures() -> dict:
    """notebooks/memory_signatures.ipynb in the quick profile: every unit's perplexities,
    forward accuracy and recall per δ and layer, the Fig. 4 distances, the memory networks'
    signatures, and the four claims of :func:`mannlib.scorecard.signature_claims`."""
    from . import scorecard as SC, signatures as S
    from .signatures_mann import mann_signatures
    claims = SC.signature_claims("quick")                       # trains the quick units
    p, results = S.get_profile("quick"), S.load_results("quick")
    units = {}
    for name, r in sorted(results.items()):
        units[name] = {"perplexity": plain(r.get("perplexity", {})),
                       "forward_accuracy": plain(r.get("forward", {}).get("accuracy")),
                       "final_losses": plain(r.get("train", {}).get("losses", [])[-3:]),
                       "marginal": {k: plain(v.marginal) for k, v in r["signatures"].items()},
                       "dropout": {k: plain(v.dropout) for k, v in r["signatures"].items()}}
    fig4 = [f"shakespeare-lstm-1x{p.main}", f"shakespeare-lstm-1x{p.main}-news5", f"news-lstm-1x{p.main}"]
    sigs = [results[n]["signatures"]["layer1"] for n in fig4]
    distances = {f"{fig4[i]} / {fig4[j]}": S.signature_distance(sigs[i], sigs[j], SC.MIN_COUNT)
                 for i in range(3) for j in range(i + 1, 3)}
    with contextlib.redirect_stdout(io.StringIO()):
        files = mann_signatures("quick")
    mann = {}
    for path in files:
        meta, sig = S.read_signatures(path)
        mann[Path(path).stem] = {"run": meta.get("run"), "marginal": {k: plain(v.marginal) for k, v in sig.items()}}
    return {"tables": {"units": units, "fig4_distances": plain(distances), "mann": mann},
            "claims": claim_records(claims)}


SOURCES = {"mirror": mirror, "m10ae": m10ae, "lantm": lantm, "signatures": signatures}


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
    if chapter not in SOURCES:
        raise ValueError(f"unknown chapter {chapter!r}; choose one of {', '.join(CHAPTERS)}")
    import matplotlib
    matplotlib.use("Agg")
    return json.loads(json.dumps(plain(SOURCES[chapter]())))   # exactly what a file round-trip gives


def path_of(chapter: str, directory: Path = REFERENCE_DIR) -> Path:
    return Path(directory) / f"{chapter}.json"


def write(chapter: str, record: dict, directory: Path = REFERENCE_DIR) -> Path:
    path = path_of(chapter, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    about = (f"Reference results of the quick profile for the {chapter} chapter; regenerate with "
             f"`python -m mannlib reference {chapter} --write` and review the diff (see mannlib/reference.py).")
    path.write_text(json.dumps({"about": about, **record}, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return path


def load(chapter: str, directory: Path = REFERENCE_DIR) -> dict:
    path = path_of(chapter, directory)
    if not path.exists():
        raise FileNotFoundError(f"no reference {path}; create it with `python -m mannlib reference {chapter} --write`")
    record = json.loads(path.read_text())
    record.pop("about", None)
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


def check(chapter: str, record: dict, directory: Path = REFERENCE_DIR) -> list[str]:
    """Differences between ``record`` and the stored reference of ``chapter``."""
    return differences(load(chapter, directory), record, chapter)


# --- the command -----------------------------------------------------------------------------------
def add_parser(subparsers) -> None:
    p = subparsers.add_parser("reference", help="recompute the quick-profile reference results and compare "
                                                "(or --write them to tests/reference)")
    p.add_argument("chapters", nargs="*", metavar="CHAPTER", help=f"default: all of {', '.join(CHAPTERS)}")
    p.add_argument("--write", action="store_true", help="rewrite the reference files instead of comparing")
    p.add_argument("--dir", default=str(REFERENCE_DIR), help="where the reference files are (default: %(default)s)")
    p.set_defaults(func=reference_command)


def reference_command(args) -> int:
    import sys
    unknown = [c for c in args.chapters if c not in CHAPTERS]
    if unknown:
        raise ValueError(f"unknown chapter {unknown[0]!r}; choose one of {', '.join(CHAPTERS)}")
    failed = 0
    with scratch_cache():
        for chapter in args.chapters or CHAPTERS:
            record = compute(chapter)
            if args.write:
                print(f"wrote {write(chapter, record, Path(args.dir))}")
                continue
            diffs = check(chapter, record, Path(args.dir))
            failed += bool(diffs)
            print(f"{chapter}: " + ("matches the reference" if not diffs else f"{len(diffs)} differences"))
            for d in diffs[:40]:
                print(f"  {d}")
    if failed:
        print("if the change is intended, rerun with --write and review the diff of tests/reference/",
              file=sys.stderr)
    return 1 if failed else 0
