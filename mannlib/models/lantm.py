"""The Lie-access memory of Yang 2016 (LANTM, §3) behind the unified controller (Wang §2).

Memory (§3, §3.2): a growing dictionary of (address a_i in R^2, vector M_i in [-1, 1]^m,
strength S_i in [0, 1]); one entry is appended every step. One read head and one write head.

Addressing (§3.3), per head: the controller emits a candidate key k~, a gate g in [0, 1], a
candidate step v~ and a step gate eta in [0, 1]; then

    v_t = eta v~ + (1 - eta) v_{t-1}            (§3.4, interpolation of Lie actions)
    k_t = v_t . (g k~ + (1 - g) k_{t-1})        (§3.3, gate then group action)

Groups acting on R^2: ``translation`` (§3.3.3, v . k = k + v; the paper's choice for every
experiment), ``rotation`` SO(2) (§3.3.2: v scaled to unit norm, candidate and interpolated step
alike) and ``scaling_rotation`` R* x SO(2) (§3.3.1: v . k is the complex product).

Read (§3.1): w_i ∝ S_i |k_r - a_i|^-alpha (``invnorm``; we use (|k_r - a_i|^2 + eps)^(-alpha/2),
the paper's eps-regularised form with its exponent -2 read as -alpha/2 = -1, a typo otherwise
giving an inverse 4th power) or w_i ∝ S_i exp(-|k_r - a_i|^2 / T_t) (``softmax``, T_t emitted
by the controller), and r_t = sum_i w_i M_i. The write happens before the read, so the read at
step t sees the entry written at t (Yang: "M^(t) ... stored by time t").

Yang's two tweaks (§4, "Tweaks to the LANTM model"): the write key gate and write step gate
start strongly negative (``write_gate_bias``), so the model writes along a straight line; and
the controller's translation steps are normalised to length ~1 (v~ / sqrt(|v~|^2 + delta)),
while the learned initial steps are not.

Controller (Yang §2, eqs. of "TM"): the LSTM reads x_t and [rho_{t-1}; h_{t-1}] (Wang's
i_t = [x_t; r_{t-1}]); instructions are a linear map of h_t. Output: Yang writes y_t = F(h_t).
Table 2's #Param column pins the rest down exactly: for all 10 LANTM rows
#Param = V(2E + H + 1) + 4H(E + m + H) + 45H + 135 (+ H + 1 for copy/reverse SoftMax, its
temperature). The V(2E + H + 1) term is an embedding (V x E) plus an output layer reading
[h_t; x_t] (V x (H + E) + V), so ``output="hx"`` is the default; ``"hr"`` is Wang's eq. 3
([h_t; r_t]) and ``"h"`` the text's F(h_t). Our remaining terms are torch's LSTM (8H biases),
the 33 (34 with SoftMax) instructions (33H + 33) and 28 learned initial values (r_0 and per
head k_0, v_0): 4H + 74 fewer than Yang's count, 1-1.5% of every row (``TABLE2``; tested; the
SoftMax rows other than copy/reverse lack the temperature, so there we are 3H + 73 short).
Yang feeds "a learnable initial state"; here the memory's r_0, k_0, v_0 are learned while the
controller starts from h_0 = c_0 = 0 as in Wang's framework (learned h_0, c_0 would add 2H).

Instruction layout (columns of e_t = W_e h_t + b_e), shared with ``lantm_fast``::

    0:4  candidate keys (read xy, write xy)     4:8   candidate steps (read xy, write xy)
    8:12 gates: read key, write key, read step, write step (sigmoid)
    12   write strength (sigmoid)              13:13+m memory vector (tanh)
    13+m temperature (softplus + t_min; SoftMax only)

With the paper's settings (translation, normalised steps) and no trace, the whole sequence runs
in :mod:`mannlib.models.lantm_fast` (a hand-differentiated loop, in C when a compiler is
available), several times faster on CPU than this file's step-by-step autograd path, which
remains the reference (tests/test_lantm_fast.py) and serves traces and the other options.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn

from .base import Memory, ModelError, ModelIO
from .controller import MANN, input_width
from .lantm_fast import GATE, KEY, STEP, STRENGTH, VECTOR, lantm_sequence
from ..papers.yang import TABLE2  # Yang Table 2: task -> model -> sizes, learning rate, #Param

GROUPS = ("translation", "rotation", "scaling_rotation")
WEIGHTINGS = ("invnorm", "softmax")
OUTPUTS = ("hx", "hr", "h")


def table2_sizes(task: str, model: str) -> dict:
    """Builder keyword arguments reproducing Table 2's row for (task, model)."""
    if task not in TABLE2:
        raise ModelError(f"Table 2 has no task {task!r}; choose one of {', '.join(TABLE2)}")
    if model not in TABLE2[task]:
        raise ModelError(f"Table 2 has no model {model!r}; choose one of {', '.join(TABLE2[task])}")
    row = TABLE2[task][model]
    if model == "lstm":
        return {"hidden": row["hidden"], "layers": 4, "embed": row["embed"]}
    return {"hidden": row["hidden"], "embed": row["embed"], "width": row["width"]}


@dataclass
class LantmConfig:
    hidden: int = 50                 # controller LSTM size (Table 2: 50, bigramFlip 100)
    embed: int = 7                   # token embedding size (Table 2: 7, 10 or 14)
    width: int = 20                  # memory width m (Table 2: 20)
    weighting: str = "invnorm"       # read weights: invnorm or softmax (§3.1)
    group: str = "translation"       # Lie group acting on the key space R^2 (§3.3.1-3.3.3)
    alpha: float = 2.0               # InvNorm exponent (§3.1, "any exponent alpha > 0")
    eps: float = 1e-9                # InvNorm regulariser (§3.1: "e.g. 10^-9")
    step_norm: bool = True           # translation steps scaled to length ~1 (§4 tweak 2)
    step_delta: float = 1e-6         # the "~": v~ / sqrt(|v~|^2 + step_delta)
    write_gate_bias: float = -5.0    # initial bias of the write key and step gates (§4 tweak 1)
    t_min: float = 1e-4              # SoftMax temperature floor: T = softplus(.) + t_min
    output: str = "hx"               # output layer input: hx = [h; x] (Table 2), hr = [h; r], h
    fast: bool = True                # use lantm_fast when the settings allow it

    def check(self, model: str) -> "LantmConfig":
        choices = {"weighting": WEIGHTINGS, "group": GROUPS, "output": OUTPUTS}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ModelError(f"model {model!r}: unknown {name} {getattr(self, name)!r}; "
                                 f"choose one of {', '.join(allowed)}")
        for name in ("hidden", "embed", "width"):
            if getattr(self, name) < 1:
                raise ModelError(f"model {model!r}: {name}={getattr(self, name)} is impossible; it must be >= 1")
        for name in ("alpha", "eps", "step_delta", "t_min"):
            if not getattr(self, name) > 0:
                raise ModelError(f"model {model!r}: {name}={getattr(self, name)} is impossible; it must be > 0")
        return self


def make_lantm_config(model: str, overrides: dict, **defaults) -> LantmConfig:
    """LantmConfig from builder keyword arguments, type-checked; errors list the allowed keys."""
    kinds = {f.name: type(f.default) for f in fields(LantmConfig)}
    allowed = ", ".join(f"{name} ({kind.__name__})" for name, kind in kinds.items())
    values = dict(defaults)
    for name, value in overrides.items():
        if name not in kinds:
            raise ModelError(f"model {model!r} has no setting {name!r}; allowed: {allowed}")
        kind = kinds[name]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            raise ModelError(f"model {model!r}: {name}={value!r} is not a {kind.__name__}; allowed: {allowed}")
        values[name] = value
    return LantmConfig(**values).check(model)


# --- the pieces of §3.1-3.4 as functions -----------------------------------------------------

def complex_mul(v: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """(a + bi)(x + yi) on (..., 2) tensors: the linear groups' action v . k (§3.3.1)."""
    a, b = v.unbind(-1)
    x, y = k.unbind(-1)
    return torch.stack([a * x - b * y, b * x + a * y], -1)


def unit(v: torch.Tensor, delta: float) -> torch.Tensor:
    """v / sqrt(|v|^2 + delta) on (..., 2): length ~1, exactly the scaling of ``lantm_fast``."""
    return v / (v.square().sum(-1, keepdim=True) + delta).sqrt()


def next_step(group: str, v_prev, v_cand, eta, step_norm: bool, delta: float):
    """The step v_t of §3.4 from the previous step, the candidate and the step gate eta."""
    if group == "rotation" or (group == "translation" and step_norm):
        v_cand = unit(v_cand, delta)
    v = torch.lerp(v_prev, v_cand, eta)
    return unit(v, delta) if group == "rotation" else v


def act(group: str, v: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """The group action v . k on keys (..., 2) (§3.3.1-3.3.3)."""
    return k + v if group == "translation" else complex_mul(v, k)


def read_weights(weighting: str, key, addresses, strengths, alpha: float, eps: float, temperature=None):
    """Read weights over the memory (§3.1). key (B, 2), addresses (B, n, 2), strengths (B, n),
    temperature (B, 1) for softmax. Returns (B, n), rows summing to 1."""
    d2 = (addresses - key.unsqueeze(1)).square().sum(-1)                        # (B, n)
    if weighting == "softmax":
        return torch.softmax(strengths.log() - d2 / temperature, -1)
    u = strengths * (d2 + eps).pow(-alpha / 2)
    return u / u.sum(-1, keepdim=True)


class LANTMMemory(Memory):
    """Lie-access memory with one read and one write head (Yang §3); see the module docstring.

    State: (addresses (B, n, 2), vectors (B, n, m), strengths (B, n), keys (B, 2, 2), steps
    (B, 2, 2)), head 0 read and head 1 write; n grows by one per step. Trace keys (per step):
    ``read_key``, ``write_key`` (B, 2), ``write_strength``, ``write_vector`` (B, m), the four
    gates of Yang's Figs. 7-11 ``read_key_gate``, ``write_key_gate``, ``read_step_gate``,
    ``write_step_gate`` (B,), ``read_step``, ``write_step`` (B, 2), ``temperature`` (SoftMax)
    and, when ``trace_steps`` is set, ``read_weights`` zero-padded to (B, trace_steps).
    """

    def __init__(self, hidden: int, cfg: LantmConfig):
        super().__init__()
        self.cfg = cfg
        self.read_size = cfg.width
        self.n_instructions = VECTOR + cfg.width + (cfg.weighting == "softmax")
        self.instructions = nn.Linear(hidden, self.n_instructions)                 # e_t = W_e h_t + b_e
        with torch.no_grad():
            self.instructions.bias[GATE.start + 1] = cfg.write_gate_bias          # write key gate
            self.instructions.bias[GATE.start + 3] = cfg.write_gate_bias          # write step gate
        # Learned initial state (Yang §4: "a learnable initial state"); steps not normalised.
        linear = cfg.group != "translation"
        step0 = (math.cos(0.1), math.sin(0.1)) if linear else (1.0, 0.0)
        self.r0 = nn.Parameter(torch.zeros(cfg.width))
        self.k0 = nn.Parameter(torch.tensor([[1.0, 0.0]] * 2) if linear else torch.zeros(2, 2))
        self.v0 = nn.Parameter(torch.tensor([step0] * 2))
        self.trace_steps: int | None = None

    def initial_state(self, batch_size: int, device=None):
        B, m = batch_size, self.cfg.width
        empty = self.r0.new_zeros
        state = (empty(B, 0, 2), empty(B, 0, m), empty(B, 0), self.k0.expand(B, 2, 2), self.v0.expand(B, 2, 2))
        return self.r0.expand(B, m), state

    def step(self, h, x, state, trace=False):
        cfg, B, m = self.cfg, h.shape[0], self.cfg.width
        addresses, vectors, strengths, k_prev, v_prev = state
        e = self.instructions(h)                                                     # (B, I)
        gates = torch.sigmoid(e[:, GATE.start:STRENGTH + 1])                         # (B, 5)
        v = next_step(cfg.group, v_prev, e[:, STEP].view(B, 2, 2), gates[:, 2:4, None], cfg.step_norm,
                      cfg.step_delta)                                                # (B, 2, 2)
        k = act(cfg.group, v, torch.lerp(k_prev, e[:, KEY].view(B, 2, 2), gates[:, 0:2, None]))
        vector = torch.tanh(e[:, VECTOR:VECTOR + m])                                 # (B, m)
        addresses = torch.cat([addresses, k[:, 1:2]], 1)                             # (B, n, 2)
        vectors = torch.cat([vectors, vector.unsqueeze(1)], 1)                       # (B, n, m)
        strengths = torch.cat([strengths, gates[:, 4:5]], 1)                         # (B, n)
        temperature = None
        if cfg.weighting == "softmax":
            temperature = F.softplus(e[:, VECTOR + m:VECTOR + m + 1]) + cfg.t_min     # (B, 1)
        w = read_weights(cfg.weighting, k[:, 0], addresses, strengths, cfg.alpha, cfg.eps, temperature)
        r = torch.bmm(w.unsqueeze(1), vectors).squeeze(1)                            # (B, m)
        info = None
        if trace:
            info = {"read_key": k[:, 0], "write_key": k[:, 1], "read_step": v[:, 0], "write_step": v[:, 1],
                    "write_strength": gates[:, 4], "write_vector": vector,
                    "read_key_gate": gates[:, 0], "write_key_gate": gates[:, 1],
                    "read_step_gate": gates[:, 2], "write_step_gate": gates[:, 3]}
            if temperature is not None:
                info["temperature"] = temperature[:, 0]
            if self.trace_steps is not None:
                info["read_weights"] = F.pad(w, (0, self.trace_steps - w.shape[1]))
        return r, (addresses, vectors, strengths, k, v), info


class LANTM(MANN):
    """Wang's framework around a :class:`LANTMMemory`, with Yang's output layer (``cfg.output``)
    and the fused sequence of :mod:`lantm_fast` when the settings allow it."""

    def __init__(self, io: ModelIO, cfg: LantmConfig):
        memory = LANTMMemory(cfg.hidden, cfg)
        super().__init__(io, memory, cfg.hidden, embed=cfg.embed)
        self.cfg = cfg
        x_size = input_width(io, cfg.embed)
        features = {"hx": cfg.hidden + x_size, "hr": cfg.hidden + cfg.width, "h": cfg.hidden}[cfg.output]
        self.out = nn.Linear(features, io.output_size)

    def fast_path(self, trace: bool) -> bool:
        c = self.cfg
        return c.fast and not trace and c.group == "translation" and c.step_norm

    def forward(self, x: torch.Tensor, trace: bool = False):
        tokens = x if self.embedding is not None else None
        x = self.embedding(x) if self.embedding is not None else x                   # (B, T, X)
        H, m = self.hidden, self.cfg.width
        if self.fast_path(trace):
            h, r, info = *self._fast_sequence(x, tokens), None
        else:
            self.memory.trace_steps = x.shape[1] if trace else None
            hr, info = self._run_memory(x, trace)                                   # (B, T, H + m)
            h, r = hr.split([H, m], -1)
        features = {"hx": (h, x), "hr": (h, r), "h": (h,)}[self.cfg.output]
        logits = self.out(torch.cat(features, -1) if len(features) > 1 else h)
        return (logits, info) if trace else logits

    def _fast_sequence(self, x: torch.Tensor, tokens: torch.Tensor | None):
        """h (B, T, H) and r (B, T, m) from :func:`lantm_fast.lantm_sequence`."""
        c, cell, mem = self.cfg, self.cell, self.memory
        B, T, X = x.shape
        w_rec = torch.cat([cell.weight_ih[:, X:], cell.weight_hh], 1).t()             # (m + H, 4H)
        inputs = x.transpose(0, 1) if tokens is None else tokens.t()                  # (T, B[, X])
        rh = lantm_sequence(inputs, cell.weight_ih[:, :X], cell.bias_ih + cell.bias_hh, w_rec,
                            mem.instructions.weight, mem.instructions.bias,
                            mem.r0.expand(B, -1), mem.k0.expand(B, 2, 2), mem.v0.expand(B, 2, 2),
                            alpha=c.alpha, eps=c.eps, delta=c.step_delta, softmax=c.weighting == "softmax",
                            t_min=c.t_min, embedding=None if tokens is None else self.embedding.weight)
        rh = rh.transpose(0, 1)                                                       # (B, T, m + H)
        return rh[..., c.width:], rh[..., :c.width]


def _build(io: ModelIO, model: str, weighting: str, sizes: dict) -> LANTM:
    if "weighting" in sizes:
        raise ModelError(f"model {model!r} fixes weighting={weighting!r}; use lantm-invnorm or lantm-softmax")
    return LANTM(io, make_lantm_config(model, sizes, weighting=weighting))


def build_lantm_invnorm(io: ModelIO, **sizes) -> LANTM:
    """LANTM-InvNorm (Yang §3.1); ``sizes`` override :class:`LantmConfig` (see ``table2_sizes``)."""
    return _build(io, "lantm-invnorm", "invnorm", sizes)


def build_lantm_softmax(io: ModelIO, **sizes) -> LANTM:
    """LANTM-SoftMax (Yang §3.1): read weights by a softmax with an emitted temperature."""
    return _build(io, "lantm-softmax", "softmax", sizes)
