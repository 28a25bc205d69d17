"""Memory signatures (Koppula et al. 2018, §4): how much of its past input a recurrent state holds.

The method only; the chapter that applies it to language models and memory networks is
:mod:`mannlib.chapters.memory_signatures`. For every layer l and every δ = 1..Δ a decoder is
trained on frozen states s_t^l (c_t for an LSTM, as in §3 eq. 1, and h_t for a GRU) to name the
input δ steps back, x_{t-δ}; s_t has just read x_t, so δ = 1 is the input before the current one.
The decoders are small ReLU MLPs ("fully-connected networks with ReLU non-linearities", §4),
trained on the training split with their dropout swept over keep probabilities 0.5..1.0 in steps
of 0.1 (§4), the best dropout per δ chosen on dev, and scored on test ("trained ... using the
corpus's training partition, and tested using the evaluation partition", §4). The **signature**
is the decoders' accuracy per (δ, symbol) (Fig. 1a) and per δ over all symbols (the marginal
recall of Figs. 2-3).

Everything here works on plain arrays (N, T, ...) of states and (N, T) labels, so the same code
reads a character LM's layers and a memory network's controller state, readout and memory
(``model(x, trace=True)``): see :func:`decode_states`.

Also: the recall of a 5-gram model's state (§6, Fig. 5: :func:`ngram_signature`), a distance
between signatures and the perplexity-gap ratio of the adaptation experiment (§6, Fig. 4:
:func:`signature_distance`, :func:`perplexity_gap_ratio`), and a file format for signatures
(:func:`write_signatures`, :func:`read_signatures`).
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..papers.koppula import KEEP_PROBABILITIES

DROPOUTS = tuple(round(1.0 - keep, 1) for keep in reversed(KEEP_PROBABILITIES))  # 0.0, 0.1, ..., 0.5 (§4)


class SignatureError(ValueError):
    """Bad decoder input (shapes that do not match, too few positions), or an unknown profile or
    unit of the chapter; the message says why and what is allowed."""


@dataclass
class DecoderConfig:
    """The Δ decoders of one state and how they are trained (§4). The paper's decoders had "at
    least as many parameters as the combined kernel and input projection" (§4); ours are one
    hidden layer of ``hidden`` units, so the recall they measure is a lower bound."""
    max_delta: int = 10            # Δ: one decoder for each δ = 1..Δ
    hidden: int = 64               # ReLU units of the decoder's hidden layer
    dropouts: tuple = DROPOUTS     # swept on the hidden layer: keep 1.0..0.5 (§4)
    steps: int = 600               # Adam steps
    batch: int = 256               # positions per step
    lr: float = 3e-3
    seed: int = 0

    def __post_init__(self):
        self.dropouts = tuple(float(p) for p in self.dropouts)
        if self.max_delta < 1 or not self.dropouts or not all(0.0 <= p < 1.0 for p in self.dropouts):
            raise SignatureError(f"need max_delta >= 1 and dropouts in [0, 1), got {self.max_delta}, {self.dropouts}")


@dataclass
class StateSet:
    """Frozen states and the input they were driven by: the s_t^l that §4's (δ, l)-decoders read
    ("during training of the decoders, the weights of the recurrent network are fixed")."""
    states: np.ndarray              # (N, T, D) float: the state after step t
    labels: np.ndarray              # (N, T) int: the input symbol at step t; -1 = none (padding)
    mask: np.ndarray | None = None  # (N, T) bool: the states to decode (None: all)

    def __post_init__(self):
        self.states = np.asarray(self.states, dtype=np.float32)
        self.labels = np.asarray(self.labels)
        if self.states.ndim > 3:
            self.states = self.states.reshape(*self.states.shape[:2], -1)  # e.g. a memory (N, T, slots, width)
        if self.states.ndim != 3 or self.labels.shape != self.states.shape[:2]:
            raise SignatureError(f"states must be (N, T, D) and labels (N, T); got {self.states.shape} "
                                 f"and {self.labels.shape}")
        if self.mask is not None and np.shape(self.mask) != self.labels.shape:
            raise SignatureError(f"mask must be (N, T) = {self.labels.shape}, got {np.shape(self.mask)}")

    def pairs(self, max_delta: int) -> tuple[np.ndarray, np.ndarray]:
        """X (P, D): the decoded states; Y (P, Δ): Y[p, δ-1] = label δ steps before state p, or -1."""
        n, t = self.labels.shape
        keep = np.ones((n, t), bool) if self.mask is None else np.asarray(self.mask, bool)
        rows, cols = np.nonzero(keep)
        y = np.full((len(rows), max_delta), -1, dtype=np.int64)
        for d in range(1, max_delta + 1):
            ok = cols >= d
            y[ok, d - 1] = self.labels[rows[ok], cols[ok] - d]
        return self.states[rows, cols], y


@dataclass
class Signature:
    """Recall of past input, row δ-1 for δ = 1..Δ: the memory signature of §4, per (δ, symbol)
    as in Fig. 1a and marginal per δ as in Figs. 2-3."""
    accuracy: np.ndarray                    # (Δ, V) accuracy on test positions whose x_{t-δ} is symbol v (nan: none)
    count: np.ndarray                       # (Δ, V) test positions behind each cell
    marginal: np.ndarray                    # (Δ,) accuracy over all test positions
    dropout: np.ndarray | None = None       # (Δ,) dropout chosen on dev
    dev_accuracy: np.ndarray | None = None  # (Δ, n_dropouts) dev accuracy of every decoder
    extra: dict = field(default_factory=dict)

    @property
    def deltas(self) -> np.ndarray:
        return np.arange(1, len(self.marginal) + 1)

    def to_dict(self) -> dict:
        def plain(a):
            return None if a is None else np.where(np.isnan(a), None, np.round(a, 5)).tolist() \
                if np.issubdtype(np.asarray(a).dtype, np.floating) else np.asarray(a).tolist()
        return {"accuracy": plain(self.accuracy), "count": plain(self.count), "marginal": plain(self.marginal),
                "dropout": plain(self.dropout), "dev_accuracy": plain(self.dev_accuracy), "extra": self.extra}

    @classmethod
    def from_dict(cls, d: dict) -> "Signature":
        def arr(a):
            return None if a is None else np.array(a, dtype=float)
        return cls(arr(d["accuracy"]), np.array(d["count"], dtype=np.int64), arr(d["marginal"]),
                   arr(d.get("dropout")), arr(d.get("dev_accuracy")), d.get("extra", {}))


def score(pred: np.ndarray, y: np.ndarray, vocab: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """pred, y (P, Δ) with y = -1 where there is no target -> accuracy (Δ, V), count (Δ, V), marginal (Δ,):
    "the accuracy across discrete inputs (e.g. Figure 1) or the overall accuracy for each time
    step (Figure 2)" (§4)."""
    n_delta = y.shape[1]
    acc, count, marginal = np.full((n_delta, vocab), np.nan), np.zeros((n_delta, vocab), np.int64), np.zeros(n_delta)
    for d in range(n_delta):
        ok = y[:, d] >= 0
        hit = (pred[ok, d] == y[ok, d]).astype(float)
        count[d] = np.bincount(y[ok, d], minlength=vocab)
        right = np.bincount(y[ok, d], weights=hit, minlength=vocab)
        with np.errstate(invalid="ignore"):
            acc[d] = right / count[d]
        marginal[d] = hit.mean() if len(hit) else np.nan
    return acc, count, marginal


# --- decoders ----------------------------------------------------------------------------------
class DecoderBank(nn.Module):
    """K independent decoders Linear(D, H) -> ReLU -> dropout(p_k) -> Linear(H, V) on one input
    (§4: fully-connected ReLU decoders, one per δ and dropout value). Their first layers sit side by side in one (D, K*H) matrix, so a step is one matrix product."""

    def __init__(self, dim: int, hidden: int, vocab: int, dropouts):
        super().__init__()
        self.heads, self.hidden = len(dropouts), hidden
        self.first = nn.Linear(dim, self.heads * hidden)
        bound = 1 / math.sqrt(hidden)
        self.w2 = nn.Parameter(torch.empty(self.heads, hidden, vocab).uniform_(-bound, bound))
        self.b2 = nn.Parameter(torch.empty(self.heads, 1, vocab).uniform_(-bound, bound))
        self.register_buffer("keep", 1.0 - torch.tensor(dropouts, dtype=torch.float32).view(-1, 1, 1))

    def forward(self, x: torch.Tensor, heads: np.ndarray | None = None) -> torch.Tensor:
        """x (B, D) -> logits (K, B, V), or (len(heads), B, V) for just the decoders ``heads``."""
        if heads is None:
            heads, w, b = slice(None), self.first.weight, self.first.bias
        else:
            heads = torch.as_tensor(np.asarray(heads), dtype=torch.long)
            rows = (heads[:, None] * self.hidden + torch.arange(self.hidden)).reshape(-1)
            w, b = self.first.weight[rows], self.first.bias[rows]
        h = F.relu(F.linear(x, w, b)).view(len(x), -1, self.hidden).transpose(0, 1)  # (k, B, H)
        if self.training:
            keep = self.keep[heads]
            h = h * (torch.rand_like(h) < keep) / keep
        return torch.baddbmm(self.b2[heads], h, self.w2[heads])


@torch.no_grad()
def _predict(bank: DecoderBank, x: torch.Tensor, heads=None, chunk: int = 4096) -> np.ndarray:
    """The decoders' answers (k, P) for the states x (P, D)."""
    bank.eval()
    return torch.cat([bank(x[i: i + chunk], heads).argmax(-1) for i in range(0, len(x), chunk)], dim=1).numpy()


def fit_signature(train: StateSet, test: StateSet, cfg: DecoderConfig | None = None,
                  dev: StateSet | None = None, vocab: int | None = None) -> Signature:
    """Train Δ × len(dropouts) decoders on ``train``, pick each δ's dropout on ``dev`` (default:
    the last fifth of the training rows), and score the chosen decoders on ``test``: one layer's
    memory signature (§4; the paper reports every number "with optimal training dropout on the
    decoder layers")."""
    cfg = cfg or DecoderConfig()
    if dev is None:
        n = len(train.labels)
        if n < 2:
            raise SignatureError("without a dev set, train needs at least 2 rows (the last fifth is held out)")
        cut = n - max(1, n // 5)
        sub = lambda a, s: None if a is None else a[s]
        train, dev = (StateSet(train.states[s], train.labels[s], sub(train.mask, s))
                      for s in (slice(0, cut), slice(cut, n)))
    vocab = vocab or int(max(train.labels.max(), test.labels.max())) + 1
    n_delta, n_drop = cfg.max_delta, len(cfg.dropouts)
    (x_tr, y_tr), (x_dev, y_dev), (x_te, y_te) = (s.pairs(n_delta) for s in (train, dev, test))
    if len(x_tr) == 0 or len(x_dev) == 0 or len(x_te) == 0:
        raise SignatureError(f"no states to decode: {len(x_tr)} train, {len(x_dev)} dev, {len(x_te)} test")
    mean, std = x_tr.mean(0), x_tr.std(0) + 1e-5  # standardize each unit on train
    x_tr, x_dev, x_te = (torch.as_tensor((x - mean) / std) for x in (x_tr, x_dev, x_te))

    # head k decodes δ = k // n_drop + 1 with dropout cfg.dropouts[k % n_drop]
    head_delta = np.repeat(np.arange(n_delta), n_drop)
    torch.manual_seed(cfg.seed)
    bank = DecoderBank(x_tr.shape[1], cfg.hidden, vocab, cfg.dropouts * n_delta)
    opt = torch.optim.Adam(bank.parameters(), lr=cfg.lr)
    targets = torch.as_tensor(y_tr[:, head_delta].T.copy())                   # (K, P)
    gen = torch.Generator().manual_seed(cfg.seed)
    bank.train()
    for _ in range(cfg.steps):
        idx = torch.randint(len(x_tr), (min(cfg.batch, len(x_tr)),), generator=gen)
        logits = bank(x_tr[idx])                                               # (K, B, V)
        loss = F.cross_entropy(logits.reshape(-1, vocab), targets[:, idx].reshape(-1), ignore_index=-1)
        opt.zero_grad()
        loss.backward()
        opt.step()

    pred_dev = _predict(bank, x_dev)                                           # (K, P_dev)
    dev_acc = np.array([[_accuracy(pred_dev[d * n_drop + j], y_dev[:, d]) for j in range(n_drop)]
                        for d in range(n_delta)])                              # (Δ, n_drop)
    best = np.nan_to_num(dev_acc, nan=-1.0).argmax(1)
    pred_te = _predict(bank, x_te, np.arange(n_delta) * n_drop + best).T       # (P_test, Δ)
    acc, count, marginal = score(pred_te, y_te, vocab)
    return Signature(acc, count, marginal, np.array(cfg.dropouts)[best], dev_acc,
                     {"train_positions": len(x_tr), "dev_positions": len(x_dev), "test_positions": len(x_te),
                      "decoder_hidden": cfg.hidden, "decoder_steps": cfg.steps})


def decoder_parameters(dim: int, hidden: int, vocab: int) -> int:
    """Parameters of one decoder Linear(dim, hidden) -> ReLU -> Linear(hidden, vocab), biases included."""
    return hidden * (dim + 1) + vocab * (hidden + 1)


def rule_width(dim: int, parameters: int, vocab: int) -> int:
    """The narrowest hidden layer whose decoder (:func:`decoder_parameters`) has at least
    ``parameters`` parameters: Koppula §4's "decoder parameter count ... at least as large as the
    combined kernel and input projection parameter count", with ``parameters`` that count
    (:func:`mannlib.models.charlm.kernel_parameters`)."""
    if dim < 1 or vocab < 1 or parameters < 1:
        raise SignatureError(f"need dim, vocab and parameters >= 1, got {dim}, {vocab}, {parameters}")
    return max(1, math.ceil((parameters - vocab) / (dim + 1 + vocab)))


def dev_score(sig: Signature) -> float:
    """How well a layer's decoders did on dev: the mean over δ of the dev accuracy of the dropout
    chosen for that δ. What a sweep of decoder sizes is decided on (§5: "selecting the best decoder
    architecture for every model architecture")."""
    if sig.dev_accuracy is None:
        raise SignatureError("the signature has no dev accuracies (fit_signature records them)")
    return float(np.nanmean(np.nanmax(np.nan_to_num(sig.dev_accuracy, nan=-1.0), axis=1)))


def _accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    ok = y >= 0
    return float((pred[ok] == y[ok]).mean()) if ok.any() else float("nan")


def decode_states(train: dict, train_labels: np.ndarray, test: dict, test_labels: np.ndarray,
                  cfg: DecoderConfig | None = None, train_mask=None, test_mask=None,
                  vocab: int | None = None) -> dict[str, Signature]:
    """One signature per named state, e.g. the trace of a memory network::

        {"h": (N, T, H), "read": (N, T, R), "memory": (N, T, slots, width)}

    with the input symbol ids (N, T) (-1 where there is none) and optional masks (N, T) of the
    steps to decode. Dev is the last fifth of the training rows. (§4's decoders applied beyond
    the paper, which decodes only LSTM/GRU layers.)"""
    missing = set(train) ^ set(test)
    if missing:
        raise SignatureError(f"train and test must name the same states; only in one: {sorted(missing)}")
    return {name: fit_signature(StateSet(_numpy(train[name]), _numpy(train_labels), _numpy(train_mask)),
                                StateSet(_numpy(test[name]), _numpy(test_labels), _numpy(test_mask)),
                                cfg, vocab=vocab)
            for name in train}


def _numpy(a):
    if a is None:
        return None
    return a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)


# --- the n-gram baseline (Fig. 5) ----------------------------------------------------------------
def _context_codes(stream: np.ndarray, k: int, vocab: int) -> np.ndarray:
    """code[t] = the k symbols ending at t as one integer (base ``vocab``); -1 for t < k - 1."""
    s = stream.astype(np.int64)
    code = np.full(len(s), -1, dtype=np.int64)
    if len(s) >= k:
        c = np.zeros(len(s) - k + 1, dtype=np.int64)
        for j in range(k):  # s[t - j] has weight vocab**j
            c += s[k - 1 - j: len(s) - j] * vocab ** j
        code[k - 1:] = c
    return code


def ngram_signature(train: np.ndarray, test: np.ndarray, order: int = 5, max_delta: int = 10,
                    vocab: int | None = None) -> Signature:
    """The recall of an ``order``-gram language model's state (§6, Fig. 5: "derived from states
    encoded in the n-gram").

    After reading x_t a back-off n-gram LM is in the state of its longest known context: the
    last k <= order-1 symbols x_{t-k+1..t} such that this k-gram occurs in the training stream.
    That state holds x_{t-δ} for δ < k exactly; further back the best any decoder of the state
    can do is the symbol seen most often δ steps before that context in training, which is what
    we predict (ties: the lower symbol id). Scored on ``test`` like :func:`fit_signature`."""
    train, test = np.asarray(train, dtype=np.int64), np.asarray(test, dtype=np.int64)
    vocab = vocab or int(max(train.max(), test.max())) + 1
    fallback = np.bincount(train, minlength=vocab).argmax()
    n, pred = len(test), np.full((len(test), max_delta), -1, dtype=np.int64)
    state_len = np.zeros(n, dtype=np.int64)
    tr_codes, te_codes = {}, {}
    for k in range(1, order):
        tr_codes[k], te_codes[k] = _context_codes(train, k, vocab), _context_codes(test, k, vocab)
        known = np.isin(te_codes[k], tr_codes[k][tr_codes[k] >= 0]) & (te_codes[k] >= 0)
        state_len[known] = k                                                   # longest known wins
    for d in range(1, max_delta + 1):
        for k in range(1, order):
            at = np.nonzero(state_len == k)[0]
            at = at[at >= d]
            if len(at) == 0:
                continue
            # training table: context code -> most frequent symbol d steps before it
            t = np.arange(max(k - 1, d), len(train))
            joint = tr_codes[k][t] * vocab + train[t - d]
            uniq, cnt = np.unique(joint, return_counts=True)
            ctx, sym = uniq // vocab, uniq % vocab
            order_ = np.lexsort((sym, -cnt, ctx))                              # by context, most frequent first
            ctx, sym = ctx[order_], sym[order_]
            first = np.r_[True, ctx[1:] != ctx[:-1]]
            ctx, sym = ctx[first], sym[first]
            pos = np.searchsorted(ctx, te_codes[k][at])
            found = (pos < len(ctx)) & (ctx[np.minimum(pos, len(ctx) - 1)] == te_codes[k][at])
            pred[at, d - 1] = np.where(found, sym[np.minimum(pos, len(ctx) - 1)], fallback)
    y = np.full((n, max_delta), -1, dtype=np.int64)
    for d in range(1, max_delta + 1):
        y[d:, d - 1] = test[:-d]
        pred[:d, d - 1] = -1
    acc, count, marginal = score(pred, y, vocab)
    return Signature(acc, count, marginal, extra={"order": order, "mean_state_length": float(state_len.mean())})


# --- comparing signatures (Fig. 4) -----------------------------------------------------------------
def signature_distance(a: Signature, b: Signature, min_count: int = 20) -> float:
    """Root-mean-square difference of two per-(δ, symbol) accuracy maps, over the cells both
    signatures back with at least ``min_count`` test positions (rare symbols are noise). The
    paper compares the signatures of Fig. 4 by eye ("a strong visual indicator for model
    similarity", §6); this is our number for it."""
    if a.accuracy.shape != b.accuracy.shape:
        raise SignatureError(f"signatures differ in shape: {a.accuracy.shape} vs {b.accuracy.shape}")
    ok = (a.count >= min_count) & (b.count >= min_count) & ~np.isnan(a.accuracy) & ~np.isnan(b.accuracy)
    if not ok.any():
        raise SignatureError(f"no cell has {min_count} test positions in both signatures")
    return float(np.sqrt(np.mean((a.accuracy[ok] - b.accuracy[ok]) ** 2)))


def perplexity_gap_ratio(ppl_old: float, ppl_retrained: float, ppl_new: float) -> float:
    """§6 / Fig. 4's perplexity ratio on the new domain: how much of the way from the old-domain
    model (``ppl_old``) to the new-domain one (``ppl_new``) the retrained model has come, as
    (ppl_old - ppl_retrained) / (ppl_retrained - ppl_new); the paper's 6.791, 4.110 and 3.443
    give 4.0. NaN (no ratio, never "closer" by any threshold) unless the retrained model is
    strictly worse than the new-domain model: a zero or negative gap there would give an
    infinite or meaningless ratio (e.g. three equally bad models)."""
    gap_old, gap_new = ppl_old - ppl_retrained, ppl_retrained - ppl_new
    return gap_old / gap_new if gap_new > 0 else math.nan


# --- storing signatures ------------------------------------------------------------------------------
def write_json(path, obj) -> None:
    """``obj`` as JSON (indent 1) at ``path``, atomically: the file holds the old or the whole new text."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


def write_signatures(path, signatures: dict, **meta) -> None:
    """Store named signatures (e.g. :func:`decode_states` of a memory network's trace) with
    free-form ``meta`` (model, task, run id, a ``title`` for the chapter's plot) as one JSON
    file, atomically. The chapter plots every file under ``results_dir(profile) / "mann"``."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_json(path, {"meta": meta, "signatures": {k: v.to_dict() for k, v in signatures.items()}})


def read_signatures(path) -> tuple[dict, dict]:
    """(meta, name -> :class:`Signature`) from a file of :func:`write_signatures`."""
    blob = json.loads(Path(path).read_text())
    return blob["meta"], {k: Signature.from_dict(v) for k, v in blob["signatures"].items()}
