"""Character language models for the memory-signature chapter (Koppula et al. 2018, §4).

    g~_{t+1} = argmax W_P RNN(W_C one-hot(g_t)) + b_P           (§4, after Karpathy et al. 2015)

an embedding W_C, a stack of GRU or LSTM layers and a projection W_P, b_P onto the 31 symbols.
Trained with truncated back-propagation through time on a symbol stream; scored by perplexity.

The memory of a layer is what the decoders of :mod:`mannlib.methods.signatures` read: c_t^l for an LSTM
(eq. 1: c_t = f * c_{t-1} + i * I) and h_t^l for a GRU, whose state and output are one vector.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

CELLS = ("gru", "lstm")


class LMError(ValueError):
    """Bad language-model setting; the message names what is allowed."""


@dataclass
class LMConfig:
    cell: str = "gru"     # "gru" or "lstm"
    hidden: int = 320     # units per layer (the paper's kernel size: 80, 160, 320, 640)
    layers: int = 1       # stacked recurrent layers (1 or 4 in the paper)
    embed: int = 32       # width of the symbol embedding W_C
    vocab: int = 31       # symbols in and out: len(mannlib.tasks.corpus.SYMBOLS) (a model never imports a task)

    def __post_init__(self):
        if self.cell not in CELLS:
            raise LMError(f"unknown cell {self.cell!r}; choose one of {', '.join(CELLS)}")
        if self.hidden < 1 or self.layers < 1 or self.embed < 1:
            raise LMError(f"hidden, layers and embed must be positive, got {self.hidden}, {self.layers}, {self.embed}")

    @property
    def name(self) -> str:
        return f"{self.cell}-{self.layers}x{self.hidden}"


@dataclass
class TrainConfig:
    updates: int = 400        # optimizer steps (with patience: the cap, the most it may take)
    batch: int = 32           # parallel streams
    bptt: int = 64            # truncated back-propagation length
    lr: float = 3e-3          # Adam learning rate: peak of a linear warm-up, then cosine decay to 0
    warmup: float = 0.1       # fraction of the updates spent warming up (0: constant learning rate)
    clip: float = 1.0         # gradient-norm clip
    eval_every: int = 0       # check dev perplexity every N updates and keep the best weights (0: never)
    eval_chars: int = 20_000  # dev symbols per check
    seed: int = 0
    patience: int = 0         # > 0: train to the dev plateau (:func:`train_to_plateau`): stop after this many
                              # dev checks in a row without a new best; 0: run all ``updates`` (:func:`train_lm`)
    decay: float = 0.5        # with patience: the learning rate is multiplied by this at every check without a new best

    def __post_init__(self):
        if self.patience < 0 or (self.patience and self.eval_every < 1) or not 0.0 < self.decay <= 1.0:
            raise LMError(f"need patience >= 0, eval_every >= 1 when patience > 0 and 0 < decay <= 1; got "
                          f"patience {self.patience}, eval_every {self.eval_every}, decay {self.decay}")


class CharLM(nn.Module):
    """Embedding -> ``layers`` single-layer GRU/LSTM modules -> projection (§4)."""

    def __init__(self, cfg: LMConfig):
        super().__init__()
        self.cfg = cfg
        rnn = nn.GRU if cfg.cell == "gru" else nn.LSTM
        self.embed = nn.Embedding(cfg.vocab, cfg.embed)                       # W_C
        self.rnns = nn.ModuleList(rnn(cfg.embed if l == 0 else cfg.hidden, cfg.hidden, batch_first=True)
                                  for l in range(cfg.layers))
        self.proj = nn.Linear(cfg.hidden, cfg.vocab)                          # W_P, b_P

    def forward(self, x: torch.Tensor, state: list | None = None) -> tuple[torch.Tensor, list]:
        """x (B, T) symbol ids -> logits (B, T, vocab) for the next symbol, and the final state
        (one entry per layer: h (1, B, H) for a GRU, (h, c) for an LSTM)."""
        u = self.embed(x)                                                      # (B, T, E)
        new_state = []
        for l, rnn in enumerate(self.rnns):
            u, s = rnn(u, None if state is None else state[l])                # (B, T, H)
            new_state.append(s)
        return self.proj(u), new_state

    @torch.no_grad()
    def memory_states(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The memory of every layer after each step, from a zero state: a list of ``layers``
        tensors (B, T, H), c_t for an LSTM and h_t for a GRU."""
        u = self.embed(x)
        memories = []
        for rnn in self.rnns:
            out, _ = rnn(u)                                                    # (B, T, H)
            memories.append(out if self.cfg.cell == "gru" else lstm_cells(rnn, u, out))
            u = out
        return memories


def lstm_cells(rnn: nn.LSTM, u: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """The cell states c_t (B, T, H) of a one-layer ``nn.LSTM`` that read ``u`` (B, T, I) from a
    zero state and emitted ``h`` (B, T, H). PyTorch returns only the last c; the gates are
    recomputed from (u_t, h_{t-1}) and eq. 1, c_t = f * c_{t-1} + i * I, is run forward."""
    h_prev = torch.cat([torch.zeros_like(h[:, :1]), h[:, :-1]], dim=1)       # (B, T, H)
    gates = (u @ rnn.weight_ih_l0.T + rnn.bias_ih_l0
             + h_prev @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)                   # (B, T, 4H), torch order i f g o
    i, f, g, _ = gates.chunk(4, dim=-1)
    i, f, g = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g)
    c = torch.zeros_like(h[:, 0])
    cells = []
    for t in range(h.shape[1]):
        c = f[:, t] * c + i[:, t] * g[:, t]
        cells.append(c)
    return torch.stack(cells, dim=1)


# --- training and scoring ----------------------------------------------------------------------
def batchify(stream: np.ndarray, rows: int) -> torch.Tensor:
    """Cut a symbol stream into ``rows`` contiguous pieces: (rows, len(stream) // rows) long ids."""
    length = len(stream) // rows
    if length < 2:
        raise LMError(f"a stream of {len(stream)} symbols is too short for {rows} rows")
    return torch.as_tensor(np.asarray(stream[: rows * length], dtype=np.int64)).view(rows, length)


def _detach(state):
    if state is None:
        return None
    return [tuple(t.detach() for t in s) if isinstance(s, tuple) else s.detach() for s in state]


def _lr_factor(step: int, cfg: TrainConfig) -> float:
    """Learning-rate multiplier before update ``step`` (0-based): linear warm-up over
    ``cfg.warmup * cfg.updates`` updates, then a half cosine down to 0; 1 when warmup is 0."""
    if cfg.warmup <= 0:
        return 1.0
    warm = max(1, round(cfg.warmup * cfg.updates))
    if step < warm:
        return (step + 1) / warm
    return 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, cfg.updates - warm)))


def train_lm(model: CharLM, stream: np.ndarray, cfg: TrainConfig, dev: np.ndarray | None = None) -> dict:
    """Truncated BPTT for ``cfg.updates`` steps over ``stream`` (wrapping around, state reset at
    the wrap). With ``cfg.eval_every`` and a ``dev`` stream the weights with the best dev
    perplexity are kept (early stopping, as the paper does on its dev sets).
    Returns losses (train NLL per update), dev checks, symbols seen and wall time."""
    torch.manual_seed(cfg.seed)
    data = batchify(stream, cfg.batch)                                         # (B, L)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: _lr_factor(step, cfg))
    start, pos, state = time.perf_counter(), 0, None
    losses, checks, best = [], [], (math.inf, None)
    model.train()
    for update in range(1, cfg.updates + 1):
        if pos + cfg.bptt + 1 > data.shape[1]:
            pos, state = 0, None
        x, y = data[:, pos: pos + cfg.bptt], data[:, pos + 1: pos + cfg.bptt + 1]
        pos += cfg.bptt
        logits, state = model(x, _detach(state))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if dev is not None and cfg.eval_every and (update % cfg.eval_every == 0 or update == cfg.updates):
            ppl = evaluate(model, dev[: cfg.eval_chars])["perplexity"]
            checks.append((update, ppl))
            if ppl < best[0]:
                best = (ppl, {k: v.clone() for k, v in model.state_dict().items()})
            model.train()
    if best[1] is not None:
        model.load_state_dict(best[1])
    model.eval()
    return {"losses": losses, "dev_checks": checks, "symbols_seen": cfg.updates * cfg.batch * cfg.bptt,
            "wall_s": time.perf_counter() - start, "config": asdict(cfg)}


def _warm_factor(step: int, cfg: TrainConfig) -> float:
    """Learning-rate multiplier before update ``step`` (0-based) when training to the plateau: a
    linear warm-up over ``cfg.warmup * cfg.updates`` updates, then 1 (no schedule tied to the cap)."""
    warm = round(cfg.warmup * cfg.updates) if cfg.warmup > 0 else 0
    return (step + 1) / warm if step < warm else 1.0


def train_to_plateau(model: CharLM, stream: np.ndarray, cfg: TrainConfig, dev: np.ndarray,
                     checkpoint=None, on_check=None) -> dict:
    """Truncated BPTT over ``stream`` (wrapping around, state reset at the wrap) until the dev
    perplexity stops improving, as the paper's models are trained ("dev93 for development and early
    stopping", Koppula §4). Every ``cfg.eval_every`` updates the first ``cfg.eval_chars`` symbols of
    ``dev`` are scored; a check without a new best multiplies the learning rate by ``cfg.decay``,
    and ``cfg.patience`` such checks in a row stop training; ``cfg.updates`` is the cap. The best
    weights are kept.

    With ``checkpoint`` (a path) everything the loop depends on (weights, Adam, learning-rate scale,
    stream position, the carried state, the best weights, the curve, the wall time so far) is written
    there atomically at every check, and a call that finds it continues from it: a run killed at any
    point and restarted ends with exactly the weights of an uninterrupted one (one thread, CPU).

    ``on_check`` (a callable, e.g. ``print``) gets a line at every dev check: the update, the dev
    perplexity, the best so far and the elapsed time (the progress of a run that takes an hour).

    Returns losses (train NLL per update), dev_checks ``[update, dev perplexity, learning rate]`` per
    check, best_update, stopped ("patience" or "cap"), updates, symbols seen and wall time."""
    if cfg.patience < 1:
        raise LMError(f"train_to_plateau needs patience >= 1, got {cfg.patience}")
    torch.manual_seed(cfg.seed)
    data = batchify(stream, cfg.batch)                                         # (B, L)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    run = {"update": 0, "pos": 0, "state": None, "scale": 1.0, "bad": 0, "best_ppl": math.inf, "best_update": 0,
           "best": None, "losses": [], "checks": [], "wall_s": 0.0, "stopped": None}
    blob = _read_checkpoint(checkpoint, cfg)
    if blob is not None:
        model.load_state_dict(blob.pop("model"))
        opt.load_state_dict(blob.pop("opt"))
        run.update(blob)
    start = time.perf_counter()
    model.train()
    while run["stopped"] is None:
        update = run["update"] + 1
        if run["pos"] + cfg.bptt + 1 > data.shape[1]:
            run["pos"], run["state"] = 0, None
        pos = run["pos"]
        x, y = data[:, pos: pos + cfg.bptt], data[:, pos + 1: pos + cfg.bptt + 1]
        run["pos"] = pos + cfg.bptt
        lr = cfg.lr * _warm_factor(update - 1, cfg) * run["scale"]
        for group in opt.param_groups:
            group["lr"] = lr
        logits, state = model(x, _detach(run["state"]))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        opt.step()
        run["state"], run["update"] = _detach(state), update
        run["losses"].append(loss.item())
        if update % cfg.eval_every == 0 or update == cfg.updates:
            ppl = evaluate(model, dev[: cfg.eval_chars])["perplexity"]
            model.train()
            run["checks"].append([update, ppl, lr])
            if ppl < run["best_ppl"]:
                run.update(best_ppl=ppl, best_update=update, bad=0,
                           best={k: v.clone() for k, v in model.state_dict().items()})
            else:
                run["bad"] += 1
                run["scale"] *= cfg.decay
            if run["bad"] >= cfg.patience:
                run["stopped"] = "patience"
            elif update >= cfg.updates:
                run["stopped"] = "cap"
            wall = run["wall_s"] + time.perf_counter() - start
            if checkpoint is not None:
                _write_checkpoint(checkpoint, cfg, model, opt, run, wall)
            if on_check is not None:
                on_check(f"update {update:,}/{cfg.updates:,}: dev perplexity {ppl:.3f} (best {run['best_ppl']:.3f} at "
                         f"{run['best_update']:,}), {wall / 60:.1f} min"
                         + (f", stopped by {run['stopped']}" if run["stopped"] else ""))
    model.load_state_dict(run["best"])
    model.eval()
    return {"losses": run["losses"], "dev_checks": run["checks"], "best_update": run["best_update"],
            "best_dev_perplexity": run["best_ppl"], "stopped": run["stopped"], "updates": run["update"],
            "symbols_seen": run["update"] * cfg.batch * cfg.bptt,
            "wall_s": run["wall_s"] + time.perf_counter() - start, "config": asdict(cfg)}


def _write_checkpoint(path, cfg: TrainConfig, model: CharLM, opt, run: dict, wall_s: float) -> None:
    """Everything :func:`train_to_plateau` needs to continue, in float32, atomically (a kill while
    writing leaves the previous checkpoint whole)."""
    tmp = f"{path}.tmp{os.getpid()}"
    torch.save({"config": asdict(cfg), "model": model.state_dict(), "opt": opt.state_dict(),
                **{k: v for k, v in run.items() if k != "wall_s"}, "wall_s": wall_s}, tmp)
    os.replace(tmp, path)


def _read_checkpoint(path, cfg: TrainConfig) -> dict | None:
    if path is None or not os.path.exists(path):
        return None
    blob = torch.load(path, map_location="cpu", weights_only=True)
    if blob.pop("config") != asdict(cfg):
        raise LMError(f"the checkpoint {path} was written by another training setting; delete it to start over")
    return blob


@torch.no_grad()
def evaluate(model: CharLM, stream: np.ndarray, rows: int = 16, chunk: int = 256) -> dict:
    """Next-symbol scores on ``stream``, read as ``rows`` contiguous pieces with the state carried.

    perplexity = exp(mean NLL per symbol); ``char_accuracy[c]`` is the forward-prediction
    accuracy on the positions whose next symbol is c (Fig. 1b), ``char_count[c]`` how many."""
    model.eval()
    data = batchify(stream, rows)
    vocab = model.cfg.vocab
    nll, correct, count = 0.0, np.zeros(vocab), np.zeros(vocab)
    state = None
    for pos in range(0, data.shape[1] - 1, chunk):
        x = data[:, pos: pos + chunk]
        y = data[:, pos + 1: pos + chunk + 1]
        x = x[:, : y.shape[1]]
        logits, state = model(x, state)                                       # (rows, t, V)
        nll += F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1), reduction="sum").item()
        hit = (logits.argmax(-1) == y).reshape(-1).numpy()
        y = y.reshape(-1).numpy()
        count += np.bincount(y, minlength=vocab)
        correct += np.bincount(y, weights=hit, minlength=vocab)
    total = count.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        char_accuracy = correct / count
    return {"nll": nll / total, "perplexity": math.exp(nll / total), "accuracy": correct.sum() / total,
            "char_accuracy": char_accuracy, "char_count": count, "symbols": int(total)}


# --- storage -----------------------------------------------------------------------------------
def save_lm(model: CharLM, path) -> None:
    """Weights in float16 (half the size; the chapter only reads states) plus the config; atomic."""
    tmp = f"{path}.tmp"
    torch.save({"config": asdict(model.cfg),
                "state": {k: v.half() for k, v in model.state_dict().items()}}, tmp)
    os.replace(tmp, path)


def kernel_parameters(cfg: LMConfig, layer: int = 1) -> int:
    """Parameters of layer ``layer``'s recurrent cell: its kernel W_hh and its input projection W_ih,
    with their biases (torch keeps two per gate block): gates x hidden x (inputs + hidden + 2), with
    3 gate blocks for a GRU and 4 for an LSTM, the inputs being the embedding for layer 1 and the
    layer below for the others. What Koppula §4 sizes its decoders against
    (:data:`mannlib.papers.koppula.DECODER_SIZING`)."""
    if not 1 <= layer <= cfg.layers:
        raise LMError(f"layer must be 1..{cfg.layers}, got {layer}")
    gates = 3 if cfg.cell == "gru" else 4
    inputs = cfg.embed if layer == 1 else cfg.hidden
    return gates * cfg.hidden * (inputs + cfg.hidden + 2)


def load_lm(path) -> CharLM:
    blob = torch.load(path, map_location="cpu", weights_only=True)
    model = CharLM(LMConfig(**blob["config"]))
    model.load_state_dict({k: v.float() for k, v in blob["state"].items()})
    return model.eval()
