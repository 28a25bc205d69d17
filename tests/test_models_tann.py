"""NTM addressing and read/write (Graves et al. 2014 §3; Wang §2.2, eqs. 7-9) on hand-computed cases."""
import math

import torch

from mannlib.models.tann import MEM_INIT, TapeMemory, address, content_weights, read, sharpen, shift, write

W = torch.tensor([[0.1, 0.2, 0.3, 0.4]])


def test_one_hot_shift_rolls_the_weighting_exactly():
    assert torch.equal(shift(W, torch.tensor([[0.0, 0.0, 1.0]])), W[:, [3, 0, 1, 2]])  # +1: focus i -> i+1
    assert torch.equal(shift(W, torch.tensor([[1.0, 0.0, 0.0]])), W[:, [1, 2, 3, 0]])  # -1
    assert torch.equal(shift(W, torch.tensor([[0.0, 1.0, 0.0]])), W)


def test_soft_shift_is_a_circular_convolution():
    got = shift(W, torch.tensor([[0.5, 0.25, 0.25]]))
    # w~[i] = 0.5 w[i+1] + 0.25 w[i] + 0.25 w[i-1]
    want = [0.5 * 0.2 + 0.25 * 0.1 + 0.25 * 0.4, 0.5 * 0.3 + 0.25 * 0.2 + 0.25 * 0.1,
            0.5 * 0.4 + 0.25 * 0.3 + 0.25 * 0.2, 0.5 * 0.1 + 0.25 * 0.4 + 0.25 * 0.3]
    torch.testing.assert_close(got, torch.tensor([want]))


def test_sharpening_raises_to_gamma_and_renormalises():
    got = sharpen(torch.tensor([[0.5, 0.25, 0.25]]), torch.tensor([[2.0]]))
    torch.testing.assert_close(got, torch.tensor([[2 / 3, 1 / 6, 1 / 6]]))
    assert torch.allclose(sharpen(W, torch.tensor([[1.0]])), W)


def test_content_addressing_picks_the_matching_row():
    memory = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])
    key = torch.tensor([[0.0, 2.0, 0.0]])                    # cosine ignores the key's length
    e = math.e
    torch.testing.assert_close(content_weights(memory, key, torch.tensor([[1.0]])),
                               torch.tensor([[1 / (2 + e), e / (2 + e), 1 / (2 + e)]]))
    assert content_weights(memory, key, torch.tensor([[50.0]])).argmax().item() == 1
    assert content_weights(memory, key, torch.tensor([[50.0]]))[0, 1] > 0.999


def test_interpolation_gate_zero_keeps_and_shifts_the_previous_weighting():
    memory, key = torch.randn(1, 4, 3), torch.randn(1, 3)
    one = torch.ones(1, 1)
    w = address(memory, W, key, one, torch.zeros(1, 1), torch.tensor([[0.0, 0.0, 1.0]]), one)
    torch.testing.assert_close(w, torch.tensor([[0.4, 0.1, 0.2, 0.3]]))
    w = address(memory, W, key, 50 * one, one, torch.tensor([[0.0, 1.0, 0.0]]), one)   # g = 1: content only
    torch.testing.assert_close(w, content_weights(memory, key, 50 * one))


def test_erase_then_add_on_a_2x3_memory():
    memory = torch.tensor([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]])
    w, erase, add = torch.tensor([[0.5, 1.0]]), torch.tensor([[1.0, 0.0, 0.5]]), torch.tensor([[1.0, 1.0, 0.0]])
    # row 0: [1(1-.5), 2(1-0), 3(1-.25)] + .5 [1, 1, 0];  row 1: [4(1-1), 5, 6(1-.5)] + [1, 1, 0]
    torch.testing.assert_close(write(memory, w, erase, add), torch.tensor([[[1.0, 2.5, 2.25], [1.0, 6.0, 3.0]]]))
    torch.testing.assert_close(read(memory, torch.tensor([[0.25, 0.75]])), torch.tensor([[3.25, 4.25, 5.25]]))


def test_step_writes_then_reads_and_traces_expected_addresses():
    torch.manual_seed(0)
    mem = TapeMemory(hidden=6, cells=5, width=3)
    r0, (memory, w_read, w_write) = mem.initial_state(2)
    assert torch.equal(memory, torch.full((2, 5, 3), MEM_INIT))
    torch.testing.assert_close(w_read, torch.softmax(mem.init_logits[1], -1).expand(2, 5))
    assert w_read.std() > 0.01                                           # not uniform: breaks the symmetry
    r, (memory1, w_read1, w_write1), info = mem.step(torch.randn(2, 6), None, (memory, w_read, w_write), trace=True)
    torch.testing.assert_close(r, read(memory1, w_read1))
    assert torch.equal(info["memory"], memory1) and torch.equal(info["w_read"], w_read1)
    positions = torch.arange(5.0)
    torch.testing.assert_close(info["addr_read"], (w_read1 * positions).sum(-1))     # eq. 9
    torch.testing.assert_close(info["addr_write"], (w_write1 * positions).sum(-1))
    torch.testing.assert_close(w_read1.sum(-1), torch.ones(2))
    assert not memory1.equal(memory)


def test_a_step_writes_before_it_reads():
    # Heads fixed by their biases: no content (g = 0), no shift, gamma = 1, erase all, add 0.5.
    # Both initial weightings focus on row 2, so the read sees this step's write (0.5), not 1e-6.
    mem = TapeMemory(hidden=4, cells=5, width=3)
    big = 30.0
    with torch.no_grad():
        mem.heads.weight.zero_()
        key, beta, g, s, gamma, erase, add = mem.heads.bias.split(mem._split)
        key.zero_(), beta.zero_(), gamma.fill_(-big), erase.fill_(big), add.fill_(math.atanh(0.5))
        g.fill_(-big)
        s.copy_(torch.tensor([-big, big, -big] * 2))
        mem.init_logits.fill_(-big)[:, 2] = big
    r0, state = mem.initial_state(1)
    r, (memory, w_read, w_write), _ = mem.step(torch.randn(1, 4), None, state)
    want = torch.full((1, 5, 3), MEM_INIT)
    want[0, 2] = 0.5
    torch.testing.assert_close(memory, want)
    torch.testing.assert_close(r, torch.full((1, 3), 0.5))
    torch.testing.assert_close(w_read, torch.eye(5)[2:3])


def test_head_input_lets_x_move_the_heads():
    # head_input (Wang §2: x_t into the write and read modules): the heads read [h; x]. With the
    # x columns zero it is the h-only memory with the same weights; an x column on the write head's
    # shift logits moves its focus one row, as a hand-set "advance on every input" rule would.
    torch.manual_seed(0)
    plain, with_x = TapeMemory(hidden=4, cells=5, width=3), TapeMemory(hidden=4, cells=5, width=3, x_size=2)
    assert with_x.heads.in_features == 6
    with torch.no_grad():
        with_x.heads.weight.zero_()[:, :4] = plain.heads.weight
        with_x.heads.bias.copy_(plain.heads.bias)
        with_x.init_logits.copy_(plain.init_logits)
    h, x = torch.randn(2, 4), torch.randn(2, 2)
    r, state, _ = plain.step(h, None, plain.initial_state(2)[1])
    r_x, state_x, _ = with_x.step(h, x, with_x.initial_state(2)[1])
    torch.testing.assert_close(r_x, r)
    big = 30.0
    with torch.no_grad():                         # write head: no content (g = 0), gamma = 1; shift by x[0]
        with_x.heads.weight.zero_()
        key, beta, g, s, gamma, erase, add = with_x.heads.bias.split(with_x._split)
        g.fill_(-big), gamma.fill_(-big), s.copy_(torch.tensor([0.0, 0.0, -big] * 2))
        shift_rows = sum(with_x._split[:3])       # the write head's logits for s[-1], s[0], s[+1]
        with_x.heads.weight[shift_rows + 2, 4] = 2 * big   # x[0] = 1 makes s[+1] win
        with_x.init_logits.fill_(-big)[:, 0] = big
    _, (_, _, w_write), _ = with_x.step(torch.zeros(1, 4), torch.tensor([[1.0, 0.0]]), with_x.initial_state(1)[1])
    torch.testing.assert_close(w_write, torch.eye(5)[1:2], atol=1e-6, rtol=0)
    _, (_, _, w_write), _ = with_x.step(torch.zeros(1, 4), torch.tensor([[0.0, 0.0]]), with_x.initial_state(1)[1])
    assert w_write[0, 1] < 0.01                   # no input: s[-1] and s[0] tie, the focus does not advance
