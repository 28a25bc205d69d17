"""Model-agnostic analysis of traces (Wang et al. 2019, §3.2-3.3 "Analysis").

Everything here works on numpy arrays (torch tensors are converted) shaped like the trace of
``model(x, trace=True)``: gates ``(B, T, H)``, policies ``(B, T)``, memory ``(B, T, N, d)``,
B samples of one analysis set, T time steps. Results are tidy pandas DataFrames for seaborn.

* :func:`saturation` / :func:`saturation_by_category`: the fraction of gate values below 0.1
  (left-saturated) or above 0.9 (right-saturated), Karpathy et al. 2015 as used in Wang Fig. 3a/c
  and Fig. 6a.
* :func:`step_summary`: per-step mean and spread of scalar policies (TANN's expected addresses,
  eq. 9; SANN's P(PUSH) and expected pops, eqs. 10-11; Wang Fig. 3b/d, 6b).
* :func:`mean_memory`: the memory averaged over samples, first dimensions only (Wang Fig. 7).
* :func:`tsne_panel` / :func:`probe_score`: Wang's verification method (t-SNE of the cell vectors
  at one (time step, cell), coloured by the hypothesis label; Fig. 4, 9), plus a number for
  "clear clusters": cross-validated k-NN accuracy of the labels against a shuffled-label
  baseline and the majority-class chance level. :func:`hypothesis_agreement` scores every
  labelled (time step, cell) at once.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits  # installed with scikit-learn

EOS = "<EOS>"                       # the mirror delimiter (mannlib.tasks.mirror.EOS)
NUMERALS, LOW, HIGH = set("123456789"), set("+-"), set("*/")
PROBES = ("knn", "logreg")


def to_numpy(x) -> np.ndarray:
    """A torch tensor (any device, with or without grad) or array-like -> numpy array."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


# --- names of time steps --------------------------------------------------------------------

def mirror_step_names(length: int) -> list[str]:
    """Wang Fig. 3's x-axis for input length L: x1..xL, <EOS>, y1..yL (T = 2L + 1 steps)."""
    return [f"x{i}" for i in range(1, length + 1)] + [EOS] + [f"y{i}" for i in range(1, length + 1)]


def mirror_phases(length: int) -> dict[str, tuple[int, int]]:
    """Inclusive step ranges of the mirror phases: encoding x1..xL, the delimiter, decoding y1..yL."""
    return {"encoding": (0, length - 1), "delimiter": (length, length), "decoding": (length + 1, 2 * length)}


def symbol_category(token: str | None) -> str | None:
    """The category of an input symbol (Wang §3.3): "N" numeral, "L" low-priority operator (+ -),
    "H" high-priority operator (* /), "delimiter" (<EOS>); None for padding (None or "<pad>")."""
    if token is None or token == "<pad>":
        return None
    for name, members in (("N", NUMERALS), ("L", LOW), ("H", HIGH), ("delimiter", {EOS})):
        if token in members:
            return name
    raise ValueError(f"no category for symbol {token!r}; allowed: numerals 1-9, + -, * /, {EOS}, <pad> or None")


# --- controller gates (Karpathy et al. 2015; Wang Fig. 3a/c, 6a) ------------------------------

def _gate_arrays(gates) -> dict[str, np.ndarray]:
    """{name: (B, T, H)} from a dict of gate arrays (a trace's gate_* keys are renamed i, f, o)."""
    if not isinstance(gates, dict) or not gates:
        raise ValueError("gates must be a non-empty dict {name: (B, T, H) array}, e.g. "
                         "{'input': trace['gate_i'], 'forget': trace['gate_f']}")
    out = {}
    for name, g in gates.items():
        g = to_numpy(g)
        if g.ndim != 3:
            raise ValueError(f"gate {name!r} must be (B, T, H), got shape {g.shape}")
        out[name] = g
    return out


def saturation(gates: dict, lo: float = 0.1, hi: float = 0.9, step_names=None) -> pd.DataFrame:
    """Left/right saturation ratios per time step (Karpathy et al. 2015; Wang Fig. 3a/c).

    gates: {name: (B, T, H)} sigmoid gate values. For every step t the ratio is the fraction
    of the B*H values that are ``< lo`` (side "left") or ``> hi`` (side "right"). Returns one
    row per (step, gate, side): columns step (0..T-1), gate, side, ratio, and symbol
    (``step_names[t]``) when step names are given.
    """
    rows = []
    for name, g in _gate_arrays(gates).items():
        left, right = (g < lo).mean(axis=(0, 2)), (g > hi).mean(axis=(0, 2))   # (T,) each
        for side, ratio in (("left", left), ("right", right)):
            rows += [(t, name, side, float(r)) for t, r in enumerate(ratio)]
    df = pd.DataFrame(rows, columns=["step", "gate", "side", "ratio"])
    if step_names is not None:
        T = df["step"].max() + 1
        if len(step_names) != T:
            raise ValueError(f"{len(step_names)} step names for {T} time steps")
        df["symbol"] = [step_names[t] for t in df["step"]]
    return df


def saturation_by_category(gates: dict, categories, lo: float = 0.1, hi: float = 0.9) -> pd.DataFrame:
    """Saturation ratios with the steps grouped by the category of their input symbol (Wang Fig. 6a).

    categories: (T,) shared by every sample or (B, T) per sample, each entry a category name
    (see :func:`symbol_category`) or None for steps to leave out (padding). The ratio of a
    category pools every (sample, step) of that category and every unit. Columns: category,
    gate, side, ratio, n_steps (the pooled (sample, step) pairs), in order of first appearance.
    """
    arrays = _gate_arrays(gates)
    B, T, _ = next(iter(arrays.values())).shape
    cats = np.asarray(categories, dtype=object)
    if cats.shape == (T,):
        cats = np.broadcast_to(cats, (B, T))
    if cats.shape != (B, T):
        raise ValueError(f"categories must be (T,) = ({T},) or (B, T) = ({B}, {T}), got {cats.shape}")
    order = list(dict.fromkeys(c for c in cats.ravel() if c is not None))
    rows = []
    for name, g in arrays.items():
        for cat in order:
            sel = g[cats == cat]                                   # (n_steps, H)
            rows.append((cat, name, "left", float((sel < lo).mean()), len(sel)))
            rows.append((cat, name, "right", float((sel > hi).mean()), len(sel)))
    return pd.DataFrame(rows, columns=["category", "gate", "side", "ratio", "n_steps"])


# --- read/write policies (Wang eqs. 9-11; Fig. 3b/d, 6b) ------------------------------------

def step_summary(trace: dict, keys, step_names=None) -> pd.DataFrame:
    """Per-step mean and spread over samples of scalar (B, T) trace entries.

    E.g. keys ("addr_write", "addr_read") for TANN (eq. 9) or ("p_push", "pops") for SANN
    (eqs. 10-11). Columns: step, quantity, mean, std, q25, q75 (and symbol with step names).
    """
    frames = []
    for key in keys:
        if key not in trace:
            raise ValueError(f"trace has no {key!r}; it has {', '.join(sorted(trace))}")
        v = to_numpy(trace[key]).astype(float)
        if v.ndim != 2:
            raise ValueError(f"trace[{key!r}] must be (B, T), got shape {v.shape}")
        q25, q75 = np.quantile(v, [0.25, 0.75], axis=0)
        frames.append(pd.DataFrame({"step": np.arange(v.shape[1]), "quantity": key, "mean": v.mean(0),
                                    "std": v.std(0), "q25": q25, "q75": q75}))
    df = pd.concat(frames, ignore_index=True)
    if step_names is not None:
        df["symbol"] = [step_names[t] for t in df["step"]]
    return df


def mean_memory(memory, dims: int | None = 3) -> np.ndarray:
    """The memory averaged over samples, cut to its first ``dims`` dimensions (Wang Fig. 7):
    (B, T, N, d) -> (T, N, dims)."""
    m = to_numpy(memory)
    if m.ndim != 4:
        raise ValueError(f"memory must be (B, T, N, d), got shape {m.shape}")
    return m[..., :dims].mean(0)


# --- verification by dimension reduction (Wang §3.2; Fig. 4, 9) -------------------------------

def _check_labelled(vectors, labels) -> tuple[np.ndarray, np.ndarray]:
    X = to_numpy(vectors).astype(float)
    y = np.asarray(labels, dtype=object)
    if X.ndim != 2 or y.shape != (len(X),):
        raise ValueError(f"vectors must be (n, d) and labels (n,); got {X.shape} and {y.shape}")
    if any(v is None for v in y):
        raise ValueError("labels contain None (the hypothesis says nothing about those samples); "
                         "select the labelled samples first")
    return X, pd.factorize(np.array([str(v) for v in y]))[0]


def _probe(kind: str):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    if kind == "knn":
        return KNeighborsClassifier(n_neighbors=5)
    if kind == "logreg":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    raise ValueError(f"unknown probe {kind!r}; choose one of {', '.join(PROBES)}")


def probe_score(vectors, labels, seed: int = 0, probe: str = "knn", folds: int = 5,
                shuffles: int = 3) -> dict[str, float]:
    """How well ``labels`` explain ``vectors`` (n, d), measured on held-out samples.

    ``score``: mean accuracy of a k-NN (k = 5) or logistic-regression probe over ``folds``
    shuffled cross-validation folds; ``shuffled_score``: the same with the labels randomly
    permuted (what a wrong hypothesis scores), averaged over ``shuffles`` permutations;
    ``chance``: the majority-class fraction.
    """
    from sklearn.model_selection import KFold, cross_val_score
    X, y = _check_labelled(vectors, labels)
    if len(X) < 2 * folds:
        raise ValueError(f"{len(X)} samples are too few for {folds}-fold cross-validation")
    rng = np.random.default_rng(seed)
    cv = KFold(folds, shuffle=True, random_state=seed)
    with threadpool_limits(1), warnings.catch_warnings():  # one thread: see tsne_panel
        warnings.filterwarnings("ignore", message="The number of unique classes")  # many labels, few samples
        score = cross_val_score(_probe(probe), X, y, cv=cv).mean()
        shuffled = np.mean([cross_val_score(_probe(probe), X, rng.permutation(y), cv=cv).mean()
                            for _ in range(shuffles)])
    return {"score": float(score), "shuffled_score": float(shuffled),
            "chance": float(np.bincount(y).max() / len(y))}


@dataclass
class TsnePanel:
    embedding: np.ndarray   # (n, 2) t-SNE of the vectors
    labels: np.ndarray      # (n,) the hypothesis labels, as given
    score: float            # held-out probe accuracy on the original vectors (probe_score)
    shuffled_score: float   # the same with shuffled labels
    chance: float           # majority-class fraction
    probe: str              # "knn" or "logreg"


def tsne_panel(vectors, labels, seed: int = 0, perplexity: float | None = None,
               probe: str = "knn") -> TsnePanel:
    """One verification panel (Wang §3.2, steps 1-4): t-SNE of the cell vectors (n, d) collected
    at one (time step, cell), with the hypothesis labels (n,) and their :func:`probe_score`.

    t-SNE (sklearn, PCA initialisation, ``random_state=seed``) uses perplexity 30 (sklearn's
    default, fine for Wang's n = 500) unless given, capped at (n - 1) / 3 for small n. It runs
    on one thread: OpenMP threads on a busy 2-core machine made it (and the probe) ten times
    slower. The score is computed on the original vectors, not on the 2-D picture.
    """
    from sklearn.manifold import TSNE
    X, _ = _check_labelled(vectors, labels)
    perplexity = perplexity or min(30.0, (len(X) - 1) / 3)
    with threadpool_limits(1):
        emb = TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(X)
    return TsnePanel(emb, np.asarray(labels, dtype=object), probe=probe,
                     **probe_score(X, labels, seed=seed, probe=probe))


def hypothesis_agreement(memory, cell_labels, seed: int = 0, probe: str = "knn",
                         shuffles: int = 1) -> pd.DataFrame:
    """:func:`probe_score` for every (time step, cell) that a hypothesis labels.

    memory (B, T, N, d); cell_labels (B, T, N), None where the hypothesis says nothing (e.g.
    from :meth:`mannlib.methods.hypotheses.CellHypothesis.labels`). A (step, cell) is scored when every
    sample has a label (one shuffled baseline each, for speed). Columns: step, cell, score,
    shuffled_score, chance.
    """
    m, lab = to_numpy(memory), np.asarray(cell_labels, dtype=object)
    if m.ndim != 4 or lab.shape != m.shape[:3]:
        raise ValueError(f"memory must be (B, T, N, d) and labels (B, T, N); got {m.shape} and {lab.shape}")
    rows = []
    for t in range(m.shape[1]):
        for n in range(m.shape[2]):
            y = lab[:, t, n]
            if all(v is not None for v in y):
                scores = probe_score(m[:, t, n], y, seed=seed, probe=probe, shuffles=shuffles)
                rows.append({"step": t, "cell": n, **scores})
    return pd.DataFrame(rows, columns=["step", "cell", "score", "shuffled_score", "chance"])
