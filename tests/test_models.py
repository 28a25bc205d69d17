"""The unified framework (Wang §2, eqs. 1-3), its builders, traces and errors."""
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
import torch
from torch import nn

from mannlib.models import MODELS, ModelError, ModelIO, build_model
from mannlib.models.controller import MANN, make_config

OURS = ("srnn", "lstm", "tann", "sann")
VEC = ModelIO(input_size=4, output_size=3, input_tokens=False)
TOK = ModelIO(input_size=7, output_size=5, input_tokens=True)
SMALL = {"srnn": dict(hidden=6, embed=5), "lstm": dict(hidden=6, embed=5),
         "sann": dict(hidden=6, embed=5, cells=4, width=3, max_pops=2),
         "tann": dict(hidden=6, embed=5, cells=4, width=3)}
CONTROLLER_KEYS = {"gate_i", "gate_f", "gate_o", "h", "c"}
TRACE_KEYS = {"srnn": {"h"}, "lstm": CONTROLLER_KEYS,
              "sann": CONTROLLER_KEYS | {"read", "actions", "p_push", "pops", "memory"},
              "tann": CONTROLLER_KEYS | {"read", "w_read", "w_write", "addr_read", "addr_write", "memory"}}


def inputs(io, B=3, T=5):
    return torch.randint(io.input_size, (B, T)) if io.input_tokens else torch.randn(B, T, io.input_size)


@pytest.mark.parametrize("io", [VEC, TOK], ids=["vectors", "tokens"])
@pytest.mark.parametrize("name", OURS)
def test_shapes_trace_keys_and_trace_changes_nothing(name, io):
    torch.manual_seed(0)
    model = build_model(name, io, **SMALL[name])
    if model.memory is not None:   # bitwise: the same loop with and without a trace (the fused
        model.memory.fast = False  # path, which never traces: tests/test_stack_tape_fast.py)
    x = inputs(io)
    logits = model(x)
    traced, trace = model(x, trace=True)
    assert logits.shape == (3, 5, io.output_size)
    assert torch.equal(logits, traced)
    assert set(trace) == TRACE_KEYS[name]
    assert all(v.shape[:2] == (3, 5) for v in trace.values())
    assert trace["h"].shape == (3, 5, 6)
    if name == "sann":
        assert trace["actions"].shape == (3, 5, 6) and trace["memory"].shape == (3, 5, 4, 3)
    if name == "tann":
        assert trace["w_read"].shape == (3, 5, 4) and trace["memory"].shape == (3, 5, 4, 3)


@pytest.mark.parametrize("io", [VEC, TOK], ids=["vectors", "tokens"])
@pytest.mark.parametrize("name", OURS)
def test_gradients_reach_every_parameter(name, io):
    torch.manual_seed(0)
    model = build_model(name, io, **SMALL[name])
    model(inputs(io, T=6)).square().mean().backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, pname


def test_memory_gates_reproduce_torch_lstm_cell():
    # the loop's own gate arithmetic against torch.nn.LSTMCell fed [x_t; r_{t-1}] (eqs. 1-2)
    torch.manual_seed(0)
    model = build_model("tann", VEC, **SMALL["tann"])
    x = inputs(VEC)
    _, trace = model(x, trace=True)
    h = c = torch.zeros(3, 6)
    r = model.memory.initial_state(3)[0]
    for t in range(5):
        f_prev = c
        h, c = model.cell(torch.cat([x[:, t], r], 1), (h, c))
        r = trace["read"][:, t]
        torch.testing.assert_close(trace["h"][:, t], h)
        torch.testing.assert_close(trace["c"][:, t], c)
        torch.testing.assert_close(trace["gate_o"][:, t] * c.tanh(), h)          # h = o tanh(c)
        g = (c - trace["gate_f"][:, t] * f_prev) / trace["gate_i"][:, t]        # c = f c' + i g, |g| < 1
        assert g.abs().max() < 1


def test_gate_order_is_input_forget_output():
    torch.manual_seed(0)
    model = build_model("sann", VEC, **SMALL["sann"])
    with torch.no_grad():
        bias = model.cell.bias_ih.view(4, 6)          # torch's order: i, f, g, o
        bias[0], bias[1], bias[3] = -30.0, 30.0, -30.0
    _, trace = model(inputs(VEC), trace=True)
    assert trace["gate_i"].max() < 1e-6 and trace["gate_f"].min() > 1 - 1e-6 and trace["gate_o"].max() < 1e-6


@pytest.mark.parametrize("layers", [1, 3])
def test_recurrent_trace_recomputes_what_nn_lstm_computes(layers):
    torch.manual_seed(0)
    model = build_model("lstm", TOK, hidden=6, embed=5, layers=layers)
    x = inputs(TOK)
    _, trace = model(x, trace=True)
    out, (h_n, c_n) = model.rnn(model.embedding(x))
    torch.testing.assert_close(trace["h"], out)
    torch.testing.assert_close(trace["c"][:, -1], c_n[-1])
    torch.testing.assert_close(trace["gate_o"] * trace["c"].tanh(), trace["h"])
    if layers > 1:
        assert trace["gate_f_layers"].shape == (3, 5, layers, 6)
        torch.testing.assert_close(trace["h_layers"][:, -1], h_n.transpose(0, 1))
        torch.testing.assert_close(trace["c_layers"][:, -1], c_n.transpose(0, 1))


def test_srnn_is_an_elman_tanh_rnn():
    torch.manual_seed(0)
    model = build_model("srnn", VEC, hidden=6, layers=2)
    assert isinstance(model.rnn, nn.RNN) and model.rnn.nonlinearity == "tanh"
    x = inputs(VEC)
    _, trace = model(x, trace=True)
    torch.testing.assert_close(trace["h"], model.rnn(x)[0])


def test_yang_lstm_baseline_size():
    # 4 x 256 LSTM, vocabulary 128 embedded in R^7, softmax over 128 (Yang Table 2, copy)
    io = ModelIO(input_size=128, output_size=128, input_tokens=True)
    model = build_model("lstm", io, hidden=256, layers=4, embed=7)
    lstm = 4 * (4 * 256 * 256 + 2 * 4 * 256) + 4 * 256 * (7 + 3 * 256)   # W_hh, two biases, W_ih per layer
    assert sum(p.numel() for p in model.parameters()) == 128 * 7 + lstm + 257 * 128


def test_unknown_model_lists_the_models():
    with pytest.raises(ModelError, match="choose one of srnn, lstm, tann, sann, lantm-invnorm, lantm-softmax"):
        build_model("sann2", VEC)
    assert MODELS[:4] == OURS


@pytest.mark.parametrize("name, sizes, message", [
    ("sann", dict(hidden=0), r"sann.*hidden=0.*allowed: hidden \(int >= 1\).*cells \(int >= 2\).*max_pops \(int >= 0\)"),
    ("sann", dict(cells=1), r"cells=1 is impossible"),
    ("tann", dict(width=-3), r"width=-3 is impossible; allowed: hidden \(int >= 1\), embed .*cells .*width"),
    ("lstm", dict(layers=2.5), r"layers=2.5 is impossible"),
    ("srnn", dict(hidden=True), r"hidden=True is impossible"),
    ("tann", dict(heads=2), r"model 'tann' has no size 'heads'; allowed: hidden .*, embed .*, cells .*, width"),
    ("lstm", dict(cells=20), r"has no size 'cells'; allowed: hidden \(int >= 1\), embed \(int >= 1\), layers"),
])
def test_bad_sizes_list_what_is_allowed(name, sizes, message):
    with pytest.raises(ModelError, match=message):
        build_model(name, VEC, **sizes)


@dataclass
class _Sizes:
    n: int = 3          # int >= 1 by default
    eps: float = 0.5    # float >= 0 by default
    lr: float = 1.0
    group: str = "a"    # one of choices
    flag: bool = False

    minimum: ClassVar[dict] = {"lr": 0.1}
    choices: ClassVar[dict] = {"group": ("a", "b")}


def test_make_config_checks_every_kind_of_field():
    cfg = make_config(_Sizes, "toy", dict(n=np.int64(2), eps=1, group="b", flag=True))
    assert cfg == _Sizes(n=2, eps=1.0, group="b", flag=True) and type(cfg.n) is int and type(cfg.eps) is float
    listing = r"allowed: n \(int >= 1\), eps \(float >= 0.0\), lr \(float >= 0.1\), group \(one of a/b\), flag \(bool\)"
    for bad in (dict(n=1.0), dict(eps=-0.1), dict(eps=float("nan")), dict(lr=0.05), dict(group="c"),
                dict(flag=1), dict(eps="1"), dict(m=1)):
        with pytest.raises(ModelError, match=listing):
            make_config(_Sizes, "toy", bad)


def test_memory_needs_a_single_layer_lstm():
    memory = build_model("sann", VEC, **SMALL["sann"]).memory
    with pytest.raises(ModelError, match="single-layer lstm"):
        MANN(VEC, memory, 6, layers=2)
    with pytest.raises(ModelError, match="choose one of lstm, rnn"):
        MANN(VEC, None, 6, cell="gru")


def train_tiny(name, io, make_batch, steps, **sizes):
    """Adam on ``make_batch() -> (x, y, scored)``; returns the accuracy on a fresh batch of 256."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: extra threads only add overhead on a busy machine
    try:
        return _train_tiny(name, io, make_batch, steps, **sizes)
    finally:
        torch.set_num_threads(threads)


def _train_tiny(name, io, make_batch, steps, **sizes):
    torch.manual_seed(0)
    model = build_model(name, io, **sizes)
    opt = torch.optim.Adam(model.parameters(), lr=0.03)
    for _ in range(steps):
        x, y, scored = make_batch(32)
        loss = nn.functional.cross_entropy(model(x)[:, scored].transpose(1, 2), y[:, scored])
        opt.zero_grad()
        loss.backward()
        opt.step()
    x, y, scored = make_batch(256)
    with torch.no_grad():
        return (model(x)[:, scored].argmax(-1) == y[:, scored]).float().mean().item()


def echo_batch(B, T=8):
    """Random bits; y_t = x_{t-1}, scored from t = 1."""
    x = torch.randint(2, (B, T))
    return x, torch.cat([x[:, :1], x[:, :-1]], 1), slice(1, None)


def mirror_batch(B, L=3):
    """L random bits, a delimiter (2), then L blanks (3); the answer is the bits reversed."""
    bits = torch.randint(2, (B, L))
    x = torch.cat([bits, torch.full((B, 1), 2), torch.full((B, L - 1), 3)], 1)     # (B, 2L)
    y = torch.cat([torch.zeros(B, L, dtype=torch.long), bits.flip(1)], 1)          # scored: the last L
    return x, y, slice(L, None)


def test_a_tiny_lstm_learns_to_echo_the_previous_bit():
    io = ModelIO(input_size=2, output_size=2, input_tokens=True)
    assert train_tiny("lstm", io, echo_batch, steps=60, hidden=8, embed=4) > 0.99


def test_a_tiny_sann_learns_to_mirror_three_bits():
    io = ModelIO(input_size=4, output_size=2, input_tokens=True)
    acc = train_tiny("sann", io, mirror_batch, steps=60, hidden=8, embed=4, cells=4, width=4, max_pops=1)
    assert acc > 0.99


@pytest.mark.parametrize("io", [VEC, TOK], ids=["vectors", "tokens"])
def test_tann_head_input_reads_the_controller_input(io):
    # TannConfig.head_input: the heads see [h_t; x_t] (x_t embedded for tokens); gradients reach every
    # parameter on the reference loop (the fused path: tests/test_stack_tape_fast.py)
    torch.manual_seed(0)
    model = build_model("tann", io, **SMALL["tann"], head_input=True)
    model.memory.fast = False
    x_size = 5 if io.input_tokens else io.input_size
    assert model.memory.heads.in_features == 6 + x_size
    model(inputs(io, T=6)).square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    assert build_model("tann", io, **SMALL["tann"]).memory.heads.in_features == 6    # the default: h_t only
