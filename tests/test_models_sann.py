"""The SANN stack (Wang §2.1): one-hot actions give a discrete stack; eq. 5, 6, 10, 11."""
import pytest
import torch

from mannlib.models.sann import StackMemory, update_stack

N, D, K = 4, 3, 2  # depth, cell width, max pops: actions [PUSH_0, PUSH_1, PUSH_2, STAY_0, STAY_1, STAY_2]


def list_stack_step(cells: list, action: str, pops: int, value: list) -> list:
    """A Python list as a fixed-depth stack (top first): pop ``pops`` times, then maybe push."""
    for _ in range(pops):
        cells = cells[1:] + [[0.0] * D]      # popping past the bottom keeps filling zeros
    if action == "push":
        cells = [value] + cells[:-1]         # the bottom cell falls off
    return cells


def one_hot(action: str, pops: int) -> torch.Tensor:
    probs = torch.zeros(1, 2 * K + 2)
    probs[0, pops if action == "push" else K + 1 + pops] = 1.0
    return probs


SEQUENCES = [
    # push to full depth and beyond: the oldest value falls off the bottom
    [("push", 0)] * 6,
    # pushes, a pop-then-push, a double pop, a no-op
    [("push", 0), ("push", 0), ("push", 0), ("push", 1), ("stay", 2), ("stay", 0), ("push", 0)],
    # popping past the bottom fills zeros; then pushes onto the emptied stack
    [("push", 0), ("stay", 2), ("stay", 2), ("push", 2), ("push", 0), ("stay", 1), ("push", 1)],
    [("stay", 1), ("push", 2), ("push", 0), ("push", 0), ("push", 0), ("push", 0), ("stay", 2), ("push", 1)],
]


@pytest.mark.parametrize("sequence", SEQUENCES)
def test_one_hot_actions_equal_a_list_stack(sequence):
    values = torch.arange(1.0, 1.0 + D * len(sequence)).view(len(sequence), 1, D)  # distinct, exact
    stack, cells = torch.zeros(1, N, D), [[0.0] * D for _ in range(N)]
    for (action, pops), value in zip(sequence, values):
        stack = update_stack(stack, one_hot(action, pops), value)
        cells = list_stack_step(cells, action, pops, value[0].tolist())
        assert stack[0].tolist() == cells


def test_expected_stack_is_the_probability_weighted_sum_of_the_action_results():
    # eq. 5, per example: M' = sum_a p(a) M_a, with M_a from the list stack
    torch.manual_seed(0)
    stack, value = torch.randn(2, N, D), torch.randn(2, D)
    probs = torch.softmax(torch.randn(2, 2 * K + 2), -1)
    got = update_stack(stack, probs, value)
    for b in range(2):
        want = torch.zeros(N, D)
        for a in range(2 * K + 2):
            action, pops = ("push", a) if a <= K else ("stay", a - K - 1)
            cells = list_stack_step(stack[b].tolist(), action, pops, value[b].tolist())
            want += probs[b, a] * torch.tensor(cells)
        torch.testing.assert_close(got[b], want)


def test_no_pops_stack_has_push_and_stay_only():
    stack = torch.tensor([[[1.0], [2.0]]])
    push = update_stack(stack, torch.tensor([[1.0, 0.0]]), torch.tensor([[9.0]]))
    stay = update_stack(stack, torch.tensor([[0.0, 1.0]]), torch.tensor([[9.0]]))
    assert push.flatten().tolist() == [9.0, 1.0] and stay.flatten().tolist() == [1.0, 2.0]


def test_action_probabilities_use_a_two_channel_size_two_conv_over_the_cells():
    # eq. 6 against torch's own Conv1d: cells = length axis, cell width = in-channels, flattened channel-major
    torch.manual_seed(1)
    mem = StackMemory(hidden=5, x_size=3, cells=N, width=D, max_pops=K)
    stack, x = torch.randn(2, N, D), torch.randn(2, 3)
    conv = mem.conv(stack.transpose(1, 2))                               # (2, 2, N-1)
    assert conv.shape == (2, 2, N - 1)
    want = torch.softmax(mem.from_memory(conv.flatten(1)) + mem.from_input(x), -1)
    torch.testing.assert_close(mem.action_probs(stack, x), want)


def test_step_reads_the_top_and_traces_push_probability_and_expected_pops():
    torch.manual_seed(2)
    mem = StackMemory(hidden=5, x_size=3, cells=N, width=D, max_pops=K)
    r0, state = mem.initial_state(2)
    assert r0.shape == (2, D) and not r0.any() and not state[0].any()
    h, x = torch.randn(2, 5), torch.randn(2, 3)
    r, (stack,), info = mem.step(h, x, state, trace=True)
    probs = info["actions"]
    torch.testing.assert_close(probs, mem.action_probs(state[0], x))   # eq. 6 sees the stack before the write
    torch.testing.assert_close(stack, update_stack(state[0], probs, mem.push_value(h)))
    assert torch.equal(r, stack[:, 0])                                   # eq. 4
    torch.testing.assert_close(info["p_push"], probs[:, 0] + probs[:, 1] + probs[:, 2])            # eq. 10
    torch.testing.assert_close(info["pops"], probs[:, 1] + probs[:, 4] + 2 * (probs[:, 2] + probs[:, 5]))  # eq. 11
    assert torch.equal(info["memory"], stack)
    assert mem.step(h, x, state)[2] is None
