"""The chapter's reference record (tests/reference): what its claims and tables rest on, in the
quick profile, recomputed by ``python -m mannlib reference`` and compared with the stored one."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

from ...methods.signatures import read_signatures, signature_distance
from ..base import claim_records, plain
from . import pipeline
from .analysis import MIN_COUNT
from .verdicts import claims
from .mann import mann_signatures
from .settings import fig4_units, get_profile


def reference() -> dict:
    """notebooks/memory_signatures.ipynb in the quick profile of the setting the book reads
    (:data:`~.settings.TRAINED`): every unit's perplexities, forward accuracy, learning curve (its
    dev checks, the best and why it stopped) and recall per δ and layer, the Fig. 4 distances, the
    memory networks' signatures, and the four claims of :func:`~.verdicts.claims`."""
    rows = claims("quick")                                      # trains the quick units
    p, results = get_profile("quick"), pipeline.load_results("quick")
    units = {}
    for name, r in sorted(results.items()):
        units[name] = {"perplexity": plain(r.get("perplexity", {})),
                       "forward_accuracy": plain(r.get("forward", {}).get("accuracy")),
                       "final_losses": plain(r.get("train", {}).get("losses", [])[-3:]),
                       "dev_checks": plain(r.get("train", {}).get("dev_checks", [])),
                       "stopped": r.get("train", {}).get("stopped"),
                       "best_update": r.get("train", {}).get("best_update"),
                       "marginal": {k: plain(v.marginal) for k, v in r["signatures"].items()},
                       "dropout": {k: plain(v.dropout) for k, v in r["signatures"].items()}}
    fig4 = list(fig4_units(p).values())
    sigs = [results[n]["signatures"]["layer1"] for n in fig4]
    distances = {f"{fig4[i]} / {fig4[j]}": signature_distance(sigs[i], sigs[j], MIN_COUNT)
                 for i in range(3) for j in range(i + 1, 3)}
    with contextlib.redirect_stdout(io.StringIO()):
        files = mann_signatures("quick")
    mann = {}
    for path in files:
        meta, sig = read_signatures(path)
        mann[Path(path).stem] = {"run": meta.get("run"), "marginal": {k: plain(v.marginal) for k, v in sig.items()}}
    return {"tables": {"units": units, "fig4_distances": plain(distances), "mann": mann},
            "claims": claim_records(rows)}
