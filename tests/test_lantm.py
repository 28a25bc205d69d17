"""LANTM memory (Yang 2016 §3): addressing, read weights, growth, trace, sizes and Table 2."""
import math

import pytest
import torch

from mannlib.models import ModelError, ModelIO, build_model
from mannlib.models.lantm import (LantmConfig, LANTMMemory, act, make_lantm_config, next_step, read_weights,
                                  table2_sizes)
from mannlib.papers.yang import TABLE2

IO = ModelIO(14, 14, True)


@pytest.fixture(autouse=True)
def float64_one_thread():
    """Exact comparisons in double precision (restored afterwards: other tests use float32)."""
    old, threads = torch.get_default_dtype(), torch.get_num_threads()
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)   # tiny tensors: intra-op threads only add synchronisation
    yield
    torch.set_default_dtype(old)
    torch.set_num_threads(threads)


def memory_with_bias(bias: dict, **cfg) -> LANTMMemory:
    """A memory whose instructions are constants: zero weights, the given biases (column: value)."""
    mem = LANTMMemory(4, make_lantm_config("lantm-invnorm", cfg, weighting="invnorm"))
    with torch.no_grad():
        mem.instructions.weight.zero_()
        mem.instructions.bias.zero_()
        for col, value in bias.items():
            mem.instructions.bias[col] = value
    return mem


# instruction columns (lantm.py docstring): keys 0:4, steps 4:8, gates 8:12, strength 12
READ_KEY, WRITE_KEY, READ_STEP, WRITE_STEP = (0, 1), (2, 3), (4, 5), (6, 7)
READ_KEY_GATE, WRITE_KEY_GATE, READ_STEP_GATE, WRITE_STEP_GATE = 8, 9, 10, 11
ON, OFF = 60.0, -60.0   # sigmoid(60) = 1 and sigmoid(-60) = 0 to double precision


def run(mem: LANTMMemory, steps: int, batch: int = 2):
    r, state = mem.initial_state(batch)
    h = torch.zeros(batch, 4)
    states = [state]
    for _ in range(steps):
        r, state, info = mem.step(h, None, state, trace=True)
        states.append(state)
    return states, info


def test_invnorm_hand_computed():
    # keys at distance 1 and 2 from the read key, equal strengths: w ∝ 1/1, 1/4
    w = read_weights("invnorm", torch.tensor([[0.0, 0.0]]), torch.tensor([[[1.0, 0.0], [0.0, 2.0]]]),
                     torch.tensor([[0.5, 0.5]]), alpha=2.0, eps=0.0)
    assert torch.allclose(w, torch.tensor([[0.8, 0.2]]))
    # strengths weight linearly, and a general exponent alpha: w ∝ S d^-alpha
    w = read_weights("invnorm", torch.tensor([[0.0, 0.0]]), torch.tensor([[[1.0, 0.0], [0.0, 2.0]]]),
                     torch.tensor([[1.0, 0.5]]), alpha=1.0, eps=0.0)
    assert torch.allclose(w, torch.tensor([[1 / 1.25, 0.25 / 1.25]]))


@pytest.mark.parametrize("alpha", [1.0, 2.0, 3.0])
def test_invnorm_tends_to_one_hot_at_a_stored_address(alpha):
    addresses = torch.tensor([[[0.0, 0.0], [1.0, 0.0], [0.3, -2.0]]])
    strengths = torch.tensor([[0.9, 0.2, 0.6]])
    previous = 0.0
    for distance in (1e-1, 1e-2, 1e-3, 1e-4):
        key = addresses[:, 1] + distance * torch.tensor([0.6, 0.8])
        w = read_weights("invnorm", key, addresses, strengths, alpha=alpha, eps=1e-12)
        assert w[0, 1] > previous and math.isclose(w.sum().item(), 1.0)
        previous = w[0, 1].item()
    assert previous > 1 - 1e-3 * (1 if alpha > 1 else 10)


def test_softmax_with_low_temperature_picks_the_nearest():
    addresses = torch.tensor([[[0.0, 0.0], [1.0, 0.0], [3.0, 3.0]]])
    strengths = torch.tensor([[1.0, 0.1, 1.0]])   # the nearest is weak: still chosen when T -> 0
    key = torch.tensor([[0.9, 0.1]])
    cold = read_weights("softmax", key, addresses, strengths, 2.0, 0.0, torch.tensor([[1e-3]]))
    assert cold[0, 1] > 1 - 1e-12
    hot = read_weights("softmax", key, addresses, strengths, 2.0, 0.0, torch.tensor([[1e6]]))
    assert torch.allclose(hot, strengths / strengths.sum(), atol=1e-5)   # uniform up to strengths


def test_group_actions():
    k = torch.tensor([2.0, 1.0])
    assert torch.equal(act("translation", torch.tensor([0.5, -3.0]), k), torch.tensor([2.5, -2.0]))
    # (a + bi)(x + yi) with a + bi = 2i: rotate by 90 degrees and scale by 2
    assert torch.allclose(act("scaling_rotation", torch.tensor([0.0, 2.0]), k), torch.tensor([-2.0, 4.0]))
    # SO(2): the step is projected to the unit circle, so |k| is preserved
    v = next_step("rotation", torch.tensor([1.0, 0.0]), torch.tensor([0.0, 5.0]), torch.tensor(1.0), True, 1e-12)
    assert torch.allclose(v, torch.tensor([0.0, 1.0]))
    assert torch.allclose(act("rotation", v, k), torch.tensor([-1.0, 2.0]))


def test_translation_step_moves_the_key_exactly_by_the_step():
    # key gates 0 (keep the previous key), step gates 1 (take the candidate step (3, 4) -> (0.6, 0.8))
    mem = memory_with_bias({READ_KEY_GATE: OFF, WRITE_KEY_GATE: OFF, READ_STEP_GATE: ON, WRITE_STEP_GATE: ON,
                            READ_STEP[0]: 3.0, READ_STEP[1]: 4.0, WRITE_STEP[0]: -4.0, WRITE_STEP[1]: 3.0},
                           step_delta=1e-300)
    states, _ = run(mem, 3)
    for before, after in zip(states, states[1:]):
        moved = after[3] - before[3]                                   # keys (B, head, 2)
        assert torch.allclose(moved[:, 0], torch.tensor([0.6, 0.8]).expand(2, 2), atol=1e-12)
        assert torch.allclose(moved[:, 1], torch.tensor([-0.8, 0.6]).expand(2, 2), atol=1e-12)


def test_step_gate_zero_keeps_the_previous_step_unnormalised():
    # Yang §4: the initial steps are learned and not normalised; gate 0 keeps them forever
    mem = memory_with_bias({READ_STEP_GATE: OFF, WRITE_STEP_GATE: OFF, READ_KEY_GATE: OFF, WRITE_KEY_GATE: OFF,
                            READ_STEP[0]: 9.0})
    with torch.no_grad():
        mem.v0.copy_(torch.tensor([[2.0, 0.0], [0.0, -0.5]]))
    states, _ = run(mem, 4)
    keys = torch.stack([s[3] for s in states])                          # (T + 1, B, head, 2)
    assert torch.allclose(keys[-1, 0], torch.tensor([[8.0, 0.0], [0.0, -2.0]]))


@pytest.mark.parametrize("gate, expected", [(ON, "candidate"), (OFF, "previous")])
def test_key_gate_one_takes_the_candidate_and_zero_the_previous_key(gate, expected):
    # candidate steps are zero (normalised zero stays zero), so the action is the identity
    mem = memory_with_bias({READ_KEY_GATE: gate, WRITE_KEY_GATE: gate, READ_STEP_GATE: ON, WRITE_STEP_GATE: ON,
                            READ_KEY[0]: 1.5, READ_KEY[1]: -2.0, WRITE_KEY[0]: 7.0, WRITE_KEY[1]: 0.25})
    with torch.no_grad():
        mem.k0.copy_(torch.tensor([[0.1, 0.2], [0.3, 0.4]]))
    states, info = run(mem, 2)
    want = torch.tensor([[1.5, -2.0], [7.0, 0.25]]) if expected == "candidate" else mem.k0.detach()
    assert torch.allclose(states[-1][3], want.expand(2, 2, 2), atol=1e-12)
    assert torch.allclose(info["write_key"], want[1].expand(2, 2), atol=1e-12)
    assert torch.allclose(info["read_key_gate"], torch.full((2,), 1.0 if gate > 0 else 0.0))


def test_memory_grows_by_one_entry_per_step_and_reads_the_current_write():
    mem = memory_with_bias({WRITE_STEP[0]: 1.0, 13: 2.0}, write_gate_bias=-5.0)
    states, info = run(mem, 5, batch=3)
    for n, (addresses, vectors, strengths, _, _) in enumerate(states):
        assert addresses.shape == (3, n, 2) and vectors.shape == (3, n, 20) and strengths.shape == (3, n)
    assert torch.allclose(info["write_vector"][:, 0], torch.full((3,), math.tanh(2.0)))
    mem.trace_steps = 7
    _, info = run(mem, 5, batch=3)
    assert info["read_weights"].shape == (3, 7) and torch.allclose(info["read_weights"][:, 5:], torch.zeros(3, 2))


def test_write_gates_start_strongly_negative():
    mem = LANTMMemory(10, LantmConfig())
    bias = mem.instructions.bias
    assert bias[WRITE_KEY_GATE] == bias[WRITE_STEP_GATE] == -5.0
    assert abs(bias[READ_KEY_GATE]) < 1 and abs(bias[READ_STEP_GATE]) < 1


def test_trace_keys_shapes_and_values_match_the_untraced_model():
    torch.manual_seed(0)
    model = build_model("lantm-softmax", IO, hidden=8, embed=4, width=5)
    x = torch.randint(0, 14, (3, 6))
    logits, trace = model(x, trace=True)
    assert torch.allclose(logits, model(x))
    for key in ("read_key", "write_key", "read_step", "write_step"):
        assert trace[key].shape == (3, 6, 2)
    for key in ("write_strength", "read_key_gate", "write_key_gate", "read_step_gate", "write_step_gate",
                "temperature"):
        assert trace[key].shape == (3, 6)
    assert trace["read_weights"].shape == (3, 6, 6) and trace["write_vector"].shape == (3, 6, 5)
    assert torch.allclose(trace["read_weights"].sum(-1), torch.ones(3, 6))
    assert torch.all(trace["read_weights"].tril(0) == trace["read_weights"])   # slot i written at step i


@pytest.mark.parametrize("group", ["rotation", "scaling_rotation"])
def test_other_groups_run_and_reach_every_parameter(group):
    torch.manual_seed(1)
    model = build_model("lantm-invnorm", IO, hidden=6, embed=3, width=4, group=group)
    model(torch.randint(0, 14, (2, 5))).square().sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_bad_settings_name_what_is_allowed():
    with pytest.raises(ModelError, match="unknown group 'lie'; choose one of translation, rotation"):
        build_model("lantm-invnorm", IO, group="lie")
    with pytest.raises(ModelError, match="no setting 'hiden'.*hidden \\(int\\)"):
        build_model("lantm-invnorm", IO, hiden=3)
    with pytest.raises(ModelError, match="hidden='50' is not a int"):
        build_model("lantm-softmax", IO, hidden="50")
    with pytest.raises(ModelError, match="fixes weighting"):
        build_model("lantm-softmax", IO, weighting="invnorm")
    with pytest.raises(ModelError, match="alpha=0.0 is impossible"):
        build_model("lantm-invnorm", IO, alpha=0)
    with pytest.raises(ModelError, match="Table 2 has no task 'mirror'"):
        table2_sizes("mirror", "lstm")


# --- Yang Table 2 -------------------------------------------------------------------------------

def count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def yang_minus_ours(task: str, model: str) -> int:
    """The exact gap to Table 2 (lantm.py docstring): Yang's 45H + 135 against our torch LSTM
    biases (8H), 33 instructions (33H + 33) and 28 initial values: 4H + 74. Table 2 counts the
    SoftMax temperature (H + 1) on copy and reverse only; our SoftMax always has it."""
    H = TABLE2[task][model]["hidden"]
    softmax_without_temperature = model == "lantm-softmax" and task not in ("copy", "reverse")
    return 4 * H + 74 - (H + 1) * softmax_without_temperature


@pytest.mark.parametrize("task", list(TABLE2))
@pytest.mark.parametrize("model", ["lantm-invnorm", "lantm-softmax", "lstm"])
def test_table2_parameter_counts(task, model):
    from mannlib.tasks import get_task
    row = TABLE2[task][model]
    t = get_task(task)
    assert t.input_size == row["vocab"]
    built = build_model(model, ModelIO(t.input_size, t.output_size, t.input_tokens), **table2_sizes(task, model))
    ours = count(built)
    assert abs(ours - row["params"]) / row["params"] < 0.02, (ours, row["params"])
    if model != "lstm":
        assert row["params"] - ours == yang_minus_ours(task, model)


def test_yang_output_layer_reads_h_and_x():
    # Table 2's V(2E + H + 1): embedding V x E plus an output layer on [h_t; x_t]
    sizes = dict(hidden=50, embed=7, width=20)
    hx, hr, h = (count(build_model("lantm-invnorm", ModelIO(128, 128, True), output=o, **sizes))
                 for o in ("hx", "hr", "h"))
    assert hx - h == 128 * 7 and hr - h == 128 * 20
