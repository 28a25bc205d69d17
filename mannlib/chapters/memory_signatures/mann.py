"""Memory signatures of the mirror chapter's memory networks (beyond Koppula et al. 2018).

Where does a memory network keep its history? For the mirror runs (Wang §3.2), decode the
input δ steps back from three places of the unified framework (Wang eqs. 1-3): the controller
state h_t, the readout r_t and the whole memory M_t, with the decoders of Koppula et al. §4
(:mod:`mannlib.methods.signatures`). The inputs are the analysis set's 9-bit codes of 1..9
(Wang §3.2, "Analysis"), so every input step carries a symbol; <EOS> and answering steps carry
none. One file per model lands under ``results_dir(profile) / "mann"``.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from ...engine.cache import run_path, train_or_load
from ...engine.config import profile_config
from ...methods.signatures import decode_states, read_signatures, write_signatures
from ...tasks.mirror import Mirror, labels
from .settings import get_profile, results_dir

MODELS = ("lstm", "tann", "sann")     # the controller alone, then the two memories
STATES = {"h": "h", "read": "r", "memory": "M"}  # trace key -> symbol in the figure


def mirror_states(model, examples: list, task: Mirror) -> tuple[dict, np.ndarray]:
    """Trace ``model`` on ``examples``: (state name -> (N, T, D) array, labels (N, T) of 0..8, -1 = none)."""
    batch = task.encode(examples)
    with torch.no_grad():
        _, trace = model(batch.x, trace=True)
    lab = np.full(batch.mask.shape, -1, dtype=np.int64)
    for i, ex in enumerate(examples):
        lab[i, :ex.difficulty] = np.asarray(labels(ex)) - 1
    states = {k: trace[k].flatten(2).numpy() for k in STATES if k in trace}
    return states, lab


def mann_signatures(profile: str = "paper", seed: int = 0, n_train: int = 400, n_test: int = 200,
                    length: int = 5) -> list:
    """Decode the mirror runs (``seed``) of :data:`MODELS` and write one file per model under
    ``results_dir(profile, "short") / "mann"``; returns the paths. Skips a model whose file exists
    and was decoded from the run its config names now (a file of another run, e.g. after a model's
    default changed, is decoded again).
    These do not depend on how the language models are trained: every setting reads the same files,
    decoded as in the short setting."""
    out = results_dir(profile, "short") / "mann"
    task, cfg = Mirror(), replace(get_profile(profile, "short").decoder, max_delta=2 * length)
    rng = np.random.default_rng(seed)
    train, test = task.analysis_set(rng, n=n_train, length=length), task.analysis_set(rng, n=n_test, length=length)
    paths = []
    for name in MODELS:
        path = out / f"mirror-{name}.json"
        paths.append(path)
        config = profile_config("mirror", name, profile, seed)
        if path.exists() and read_signatures(path)[0].get("run") == run_path(config).name:
            continue
        run = train_or_load(config, progress="none")
        (s_tr, y_tr), (s_te, y_te) = (mirror_states(run.model, ex, task) for ex in (train, test))
        sigs = decode_states(s_tr, y_tr, s_te, y_te, cfg=cfg, vocab=9)
        write_signatures(path, {STATES[k]: v for k, v in sigs.items()}, run=run.id, model=name,
                         title=f"mirror {name} (seed {seed})")
    return paths
