"""The unified MANN framework of Wang et al. 2019 §2 (Fig. 1, eqs. 1-3) and its builders.

One LSTM controller serves every memory module::

    i_t = [x_t; r_{t-1}]                      (eq. 1, f_i = concatenation)
    h_t = LSTM(i_t, h_{t-1})                  (eq. 2)
    r_t, M_t = memory.step(h_t, x_t, M_{t-1}) (write, then read; §2.1-2.2)
    o_t = [h_t; r_t] -> Linear -> logits      (eq. 3, f_o = concatenation)

``_run_memory`` is this loop step by step (the reference); without a trace, a memory that has a
fused whole-sequence path (``Memory.fused``: the stack and the tape, in C) runs that instead.
Token inputs are embedded first (Wang §3.1: trainable embeddings for M10AE); x_t above is
then the embedding. Without memory the model is a plain recurrent net run over the whole
sequence at once (``nn.LSTM`` / Elman ``nn.RNN``, optionally deep: Yang's 4x256 baseline).

``model(x)`` returns logits (B, T, output_size); ``model(x, trace=True)`` returns
``(logits, trace)``. Trace keys: ``gate_i``, ``gate_f``, ``gate_o``, ``h``, ``c`` (B, T, H)
(srnn: ``h`` only), ``read`` (B, T, R) with a memory, and the memory's own keys.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn

from . import stack_tape_fast
from .base import Memory, ModelError, ModelIO
from .sann import SannConfig, StackMemory
from .tann import TannConfig, TapeMemory

CELLS = ("lstm", "rnn")  # controller kinds; "rnn" (Elman, tanh) only without memory


# --- configuration -------------------------------------------------------------------------

@dataclass
class RecurrentConfig:
    """srnn and lstm: no external memory (Wang §3 baselines; Yang Table 2: layers=4, hidden=256)."""
    hidden: int = 100  # units per layer (Wang §3.1: controller 100)
    embed: int = 100   # token embedding size (token inputs only; ignored for vector inputs)
    layers: int = 1    # stacked layers (Yang's LSTM baseline: 4)


def make_config(cls, model: str, overrides: dict):
    """``cls(**overrides)`` checked against the dataclass ``cls``; a bad key or value raises a
    ModelError listing every allowed key with its range. A field's default decides its kind:
    int (>= ``cls.minimum[name]``, default 1), float (>= ``cls.minimum[name]``, default 0),
    bool, or anything else (one of ``cls.choices[name]``). Numbers come back as plain Python
    int/float (numpy scalars are converted; configs are saved as JSON)."""
    lows, choices = getattr(cls, "minimum", {}), getattr(cls, "choices", {})
    rules = {}  # name -> (description, check, convert)
    for f in fields(cls):
        kind = type(f.default)
        if kind is bool:
            rules[f.name] = ("bool", lambda v: isinstance(v, bool), bool)
        elif kind in (int, float):
            lo = lows.get(f.name, 1 if kind is int else 0.0)
            ok = _is_int if kind is int else _is_real
            rules[f.name] = (f"{kind.__name__} >= {lo}", lambda v, ok=ok, lo=lo: ok(v) and v >= lo, kind)
        else:
            allowed = tuple(choices[f.name])
            rules[f.name] = ("one of " + "/".join(map(str, allowed)), lambda v, a=allowed: v in a, kind)
    listing = ", ".join(f"{name} ({rule[0]})" for name, rule in rules.items())
    unknown = sorted(set(overrides) - set(rules))
    if unknown:
        raise ModelError(f"model {model!r} has no size {unknown[0]!r}; allowed: {listing}")
    for name, value in overrides.items():
        if not rules[name][1](value):
            raise ModelError(f"model {model!r}: {name}={value!r} is impossible; allowed: {listing}")
    return cls(**{name: rules[name][2](value) for name, value in overrides.items()})


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and v == v  # not NaN


def input_width(io: ModelIO, embed: int) -> int:
    """Width of x_t as the controller and the memory see it: the embedding size for token inputs."""
    return embed if io.input_tokens else io.input_size


# --- the LSTM step shared by the memory loop and the trace ---------------------------------

def lstm_step(pre: torch.Tensor, c: torch.Tensor):
    """One LSTM step from its pre-activations ``pre`` (B, 4H) in torch's gate order i, f, g, o
    (Yang §2 / torch.nn.LSTMCell): c' = f*c + i*tanh(g), h' = o*tanh(c').
    Returns h', c' (B, H) and the sigmoid gates (B, 4H) whose g-quarter is unused."""
    H = c.shape[-1]
    sig = pre.sigmoid()                                   # (B, 4H): i, f, ., o
    c = sig[:, H:2 * H] * c + sig[:, :H] * pre[:, 2 * H:3 * H].tanh()
    h = sig[:, 3 * H:] * c.tanh()
    return h, c, sig


def _gate_trace(sig: torch.Tensor) -> dict:
    """Input, forget and output gates from stacked sigmoid pre-activations (..., 4H)."""
    i, f, _, o = sig.chunk(4, dim=-1)
    return {"gate_i": i, "gate_f": f, "gate_o": o}


# --- the framework -------------------------------------------------------------------------

class MANN(nn.Module):
    """LSTM controller + optional external memory (Wang §2, eqs. 1-3).

    io      what x and the logits look like (no task is ever imported)
    memory  a :class:`Memory` (stack, tape, Lie-access, ...) or None for a plain recurrent net
    hidden  controller size H
    embed   embedding size for token inputs (default: hidden); unused for vector inputs
    layers  stacked layers, only without memory
    cell    "lstm", or "rnn" (Elman, tanh) only without memory
    """

    def __init__(self, io: ModelIO, memory: Memory | None, hidden: int, embed: int | None = None,
                 layers: int = 1, cell: str = "lstm"):
        super().__init__()
        if cell not in CELLS:
            raise ModelError(f"unknown controller cell {cell!r}; choose one of {', '.join(CELLS)}")
        if memory is not None and (cell != "lstm" or layers != 1):
            raise ModelError("a memory needs a single-layer lstm controller (layers=1, cell='lstm')")
        self.io, self.memory, self.hidden, self.layers, self.cell_kind = io, memory, hidden, layers, cell
        embed = hidden if embed is None else embed
        self.embedding = nn.Embedding(io.input_size, embed) if io.input_tokens else None
        x_size = input_width(io, embed)
        read_size = 0 if memory is None else memory.read_size
        if memory is None:
            rnn = nn.LSTM if cell == "lstm" else nn.RNN
            self.rnn = rnn(x_size, hidden, num_layers=layers, batch_first=True)
        else:
            self.cell = nn.LSTMCell(x_size + read_size, hidden)  # i_t = [x_t; r_{t-1}] (eq. 1)
        self.out = nn.Linear(hidden + read_size, io.output_size)  # o_t = [h_t; r_t] (eq. 3)

    def forward(self, x: torch.Tensor, trace: bool = False):
        if self.memory is not None and not trace and self.memory.fused():
            return self._fused_memory(x)
        x = self.embedding(x) if self.embedding is not None else x   # (B, T, X)
        if self.memory is None:
            out, _ = self.rnn(x)                                      # (B, T, H)
            logits = self.out(out)
            return (logits, self._recurrent_trace(x)) if trace else logits
        o, info = self._run_memory(x, trace)                          # (B, T, H + R)
        logits = self.out(o)
        return (logits, info) if trace else logits

    def _fused_memory(self, x: torch.Tensor) -> torch.Tensor:
        """Logits from the memory's fused sequence (the same maths as :meth:`_run_memory`): the
        x-side projections of all steps come from ``project``, a lookup per token for token inputs."""
        H, cell, table = self.hidden, self.cell, getattr(self.embedding, "weight", None)
        X = input_width(self.io, 0 if table is None else table.shape[1])
        inputs = x.transpose(0, 1)                                          # (T, B[, X])

        def project(weight, bias):                                          # (T, B, out)
            return stack_tape_fast.project(inputs, table, weight, bias)
        xg = project(cell.weight_ih[:, :X], cell.bias_ih + cell.bias_hh)    # (T, B, 4H)
        w_rec = torch.cat([cell.weight_ih[:, X:], cell.weight_hh], 1).t()   # (R + H, 4H)
        rh = self.memory.sequence(xg, project, w_rec).transpose(0, 1)      # (B, T, R + H)
        w_out = self.out.weight                                             # columns [h; r] -> [r; h]
        return F.linear(rh, torch.cat([w_out[:, H:], w_out[:, :H]], 1), self.out.bias)

    def _run_memory(self, x: torch.Tensor, trace: bool):
        """The step loop of eqs. 1-3. The x-side of the LSTM pre-activation is computed for all T
        at once; each step adds [r_{t-1}; h_{t-1}] times the stacked recurrent weights."""
        B, _, X = x.shape
        H, cell = self.hidden, self.cell
        pre_x = torch.nn.functional.linear(x, cell.weight_ih[:, :X], cell.bias_ih + cell.bias_hh)  # (B, T, 4H)
        w_rec = torch.cat([cell.weight_ih[:, X:], cell.weight_hh], 1).t()     # (R + H, 4H)
        r, state = self.memory.initial_state(B, x.device)                   # (B, R)
        h = c = x.new_zeros(B, H)
        hs, rs, steps = [], [], []
        # unbind, not x[:, t]: each indexing op's backward would allocate a full (B, T, .) zero tensor
        for pre_t, x_t in zip(pre_x.unbind(1), x.unbind(1)):
            h, c, sig = lstm_step(torch.addmm(pre_t, torch.cat([r, h], 1), w_rec), c)
            r, state, info = self.memory.step(h, x_t, state, trace)
            hs.append(h)
            rs.append(r)
            if trace:
                steps.append({**info, **_gate_trace(sig), "c": c})
        h_all, r_all = torch.stack(hs, 1), torch.stack(rs, 1)              # (B, T, H), (B, T, R)
        info = None
        if trace:
            info = {key: torch.stack([s[key] for s in steps], 1) for key in steps[0]}
            info.update(h=h_all, read=r_all)
        return torch.cat([h_all, r_all], -1), info

    def _recurrent_trace(self, x: torch.Tensor) -> dict:
        """Recompute every layer's states (and gates) step by step from the module's own weights.
        Standard keys hold the top layer; with layers > 1, ``<key>_layers`` is (B, T, L, H)."""
        per_layer = []
        inp = x
        for layer in range(self.layers):
            w_ih, w_hh, b_ih, b_hh = (getattr(self.rnn, f"{n}_l{layer}")
                                      for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
            pre_x = torch.nn.functional.linear(inp, w_ih, b_ih + b_hh)     # (B, T, 4H) or (B, T, H)
            h = c = x.new_zeros(x.shape[0], self.hidden)
            steps = []
            for pre_t in pre_x.unbind(1):
                pre = torch.addmm(pre_t, h, w_hh.t())
                if self.cell_kind == "lstm":
                    h, c, sig = lstm_step(pre, c)
                    steps.append({**_gate_trace(sig), "h": h, "c": c})
                else:
                    h = pre.tanh()
                    steps.append({"h": h})
            per_layer.append({key: torch.stack([s[key] for s in steps], 1) for key in steps[0]})
            inp = per_layer[-1]["h"]
        info = dict(per_layer[-1])
        if self.layers > 1:
            info.update({f"{key}_layers": torch.stack([p[key] for p in per_layer], 2) for key in info})
        return info


# --- builders (names in mannlib.models.registry) -------------------------------------------

def build_srnn(io: ModelIO, **sizes) -> MANN:
    """Elman (tanh) RNN baseline without memory (Wang §3)."""
    cfg = make_config(RecurrentConfig, "srnn", sizes)
    return MANN(io, None, cfg.hidden, embed=cfg.embed, layers=cfg.layers, cell="rnn")


def build_lstm(io: ModelIO, **sizes) -> MANN:
    """LSTM without memory: Wang's baseline, or Yang's encoder-decoder baseline with layers=4, hidden=256."""
    cfg = make_config(RecurrentConfig, "lstm", sizes)
    return MANN(io, None, cfg.hidden, embed=cfg.embed, layers=cfg.layers)


def build_sann(io: ModelIO, **sizes) -> MANN:
    """Stack-augmented network (Wang §2.1)."""
    cfg = make_config(SannConfig, "sann", sizes)
    memory = StackMemory(cfg.hidden, input_width(io, cfg.embed), cfg.cells, cfg.width, cfg.max_pops, cfg.fast)
    return MANN(io, memory, cfg.hidden, embed=cfg.embed)


def build_tann(io: ModelIO, **sizes) -> MANN:
    """Tape-augmented network, i.e. the NTM (Wang §2.2, Graves et al. 2014)."""
    cfg = make_config(TannConfig, "tann", sizes)
    memory = TapeMemory(cfg.hidden, cfg.cells, cfg.width, cfg.fast,
                        x_size=input_width(io, cfg.embed) if cfg.head_input else 0)
    return MANN(io, memory, cfg.hidden, embed=cfg.embed)
