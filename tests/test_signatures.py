"""Memory signatures: decoders of frozen states, the n-gram baseline, the character LM, the chapter's pipeline."""
import json
import math

import numpy as np
import pytest
import torch

from mannlib.chapters import memory_signatures as MS
from mannlib.methods import signatures as S
from mannlib.models.charlm import CharLM, LMConfig, LMError, TrainConfig, evaluate, lstm_cells, train_lm
from mannlib.tasks import corpus

FAST = S.DecoderConfig(max_delta=3, hidden=16, steps=150, lr=1e-2, dropouts=(0.0, 0.5))


def _previous_symbol_states(rng, rows, length, vocab=5):
    """State after step t = one-hot of the input at t-1 (zero at t = 0), inputs uniform."""
    labels = rng.integers(0, vocab, (rows, length))
    states = np.zeros((rows, length, vocab), np.float32)
    states[:, 1:] = np.eye(vocab)[labels[:, :-1]]
    return S.StateSet(states, labels)


def test_decoder_recovers_delta_one_from_a_one_hot_of_the_previous_symbol():
    rng = np.random.default_rng(0)
    sig = S.fit_signature(_previous_symbol_states(rng, 20, 60), _previous_symbol_states(rng, 10, 60), FAST)
    assert sig.marginal[0] == 1.0                       # δ = 1: x_{t-1} is in the state
    assert np.all(sig.accuracy[0] == 1.0)
    assert sig.marginal[1] < 0.4 and sig.marginal[2] < 0.4  # δ = 2, 3: chance is 0.2


def test_signature_shapes_counts_and_dropout_choice():
    rng = np.random.default_rng(1)
    test = _previous_symbol_states(rng, 6, 40)
    test.mask = np.zeros((6, 40), bool)
    test.mask[:, 10:] = True
    sig = S.fit_signature(_previous_symbol_states(rng, 12, 40), test, FAST, vocab=7)
    assert sig.accuracy.shape == (3, 7) and sig.count.shape == (3, 7) and sig.marginal.shape == (3,)
    assert list(sig.deltas) == [1, 2, 3]
    assert np.all(sig.count.sum(1) == 6 * 30)          # every masked-in state, for every δ
    assert np.all(np.isnan(sig.accuracy[:, 5:]))        # symbols that never occur
    assert sig.dev_accuracy.shape == (3, 2) and set(sig.dropout) <= {0.0, 0.5}
    back = S.Signature.from_dict(json.loads(json.dumps(sig.to_dict())))
    np.testing.assert_allclose(back.accuracy, sig.accuracy, atol=1e-5)
    np.testing.assert_array_equal(back.count, sig.count)


def test_decoder_bank_subset_of_heads_matches_the_whole_bank():
    torch.manual_seed(0)
    bank = S.DecoderBank(6, 4, 3, [0.0, 0.5, 0.2]).eval()
    x = torch.randn(5, 6)
    with torch.no_grad():
        torch.testing.assert_close(bank(x, [2, 0]), bank(x)[[2, 0]])
    assert bank(x).shape == (3, 5, 3)


def test_pairs_take_the_label_delta_steps_back_within_a_row():
    labels = np.array([[3, 1, 4, 1], [5, 9, 2, 6]])
    x, y = S.StateSet(np.zeros((2, 4, 1)), labels).pairs(2)
    assert x.shape == (8, 1)
    np.testing.assert_array_equal(y, [[-1, -1], [3, -1], [1, 3], [4, 1], [-1, -1], [5, -1], [9, 5], [2, 9]])


def test_decode_states_handles_trace_dicts_with_a_memory_matrix():
    rng = np.random.default_rng(2)
    tr, te = _previous_symbol_states(rng, 10, 40), _previous_symbol_states(rng, 5, 40)
    noise = lambda s: rng.standard_normal((*s.labels.shape, 4, 3)).astype(np.float32)
    sigs = S.decode_states({"h": tr.states, "memory": noise(tr)}, tr.labels,
                           {"h": torch.as_tensor(te.states), "memory": noise(te)}, te.labels, FAST)
    assert set(sigs) == {"h", "memory"}
    assert sigs["h"].marginal[0] == 1.0 and sigs["memory"].marginal[0] < 0.5
    with pytest.raises(S.SignatureError, match="same states"):
        S.decode_states({"h": tr.states}, tr.labels, {"read": te.states}, te.labels, FAST)
    with pytest.raises(S.SignatureError, match=r"\(N, T, D\)"):
        S.StateSet(np.zeros((3, 4)), np.zeros((3, 4)))


def test_ngram_signature_on_a_hand_computed_corpus():
    # train 0101012 01, trigram (states of up to 2 symbols); test 0 1 2 0 1.
    # States: t=1 "01", t=2 "12", t=3 "20", t=4 "01" (all seen in train).
    # δ=1 lies inside every state: targets 0,1,2,0 all right.
    # δ=2: "12" was preceded (2 back) by 0 in train -> 0, right; "20" by 1 -> 1, right;
    #      "01" by 1, 1, 2 -> 1, but the target is 2 -> wrong.
    sig = S.ngram_signature(np.array([0, 1, 0, 1, 0, 1, 2, 0, 1]), np.array([0, 1, 2, 0, 1]), order=3, max_delta=2)
    np.testing.assert_array_equal(sig.count, [[2, 1, 1], [1, 1, 1]])
    np.testing.assert_array_equal(sig.accuracy, [[1, 1, 1], [1, 1, 0]])
    np.testing.assert_allclose(sig.marginal, [1.0, 2 / 3])


def test_ngram_backs_off_to_a_shorter_state():
    # train bigrams 01 12 20: the test contexts "02" (t=1) and "22" (t=2) are unknown, so both
    # states back off to "2", which holds only x_t. δ=1 then comes from the table: in train,
    # "2" was always preceded by 1 -> predict 1, but the targets are 0 (t=1) and 2 (t=2).
    sig = S.ngram_signature(np.array([0, 1, 2, 0, 1, 2]), np.array([0, 2, 2]), order=3, max_delta=1)
    np.testing.assert_array_equal(sig.count, [[1, 0, 1]])
    assert sig.accuracy[0, 0] == 0.0 and sig.accuracy[0, 2] == 0.0
    assert sig.extra["mean_state_length"] == pytest.approx(1.0)


def test_signature_distance():
    a = S.Signature(np.array([[1.0, 0.5], [0.0, np.nan]]), np.array([[30, 30], [30, 0]]), np.zeros(2))
    b = S.Signature(np.array([[0.0, 0.5], [1.0, 0.2]]), np.array([[30, 30], [5, 30]]), np.zeros(2))
    assert S.signature_distance(a, a) == 0.0
    assert S.signature_distance(a, b) == pytest.approx(math.sqrt(1 / 2))  # cells (1,1)-ok, (1,2)-ok
    assert S.signature_distance(a, b, min_count=1) == pytest.approx(math.sqrt(2 / 3))


def test_uniform_model_has_perplexity_equal_to_the_vocabulary():
    model = CharLM(LMConfig("gru", hidden=8, embed=4))
    with torch.no_grad():
        model.proj.weight.zero_()
        model.proj.bias.zero_()
    stream = np.random.default_rng(0).integers(0, 31, 2000).astype(np.uint8)
    assert evaluate(model, stream, rows=4, chunk=50)["perplexity"] == pytest.approx(31.0, rel=1e-6)


def test_lstm_cell_states_match_torch():
    torch.manual_seed(0)
    rnn = torch.nn.LSTM(3, 5, batch_first=True)
    u = torch.randn(2, 7, 3)
    h, (_, c_last) = rnn(u)
    with torch.no_grad():
        c = lstm_cells(rnn, u, h)
    assert c.shape == (2, 7, 5)
    torch.testing.assert_close(c[:, -1], c_last[0])
    _, (_, c_3) = rnn(u[:, :3])
    torch.testing.assert_close(c[:, 2], c_3[0])


def test_learning_rate_warms_up_then_decays_on_a_cosine():
    from mannlib.models.charlm import _lr_factor
    cfg = TrainConfig(updates=10, warmup=0.2)                        # 2 warm-up updates, 8 of decay
    assert [_lr_factor(s, cfg) for s in (0, 1, 2, 6)] == pytest.approx([0.5, 1.0, 1.0, 0.5])
    assert _lr_factor(9, cfg) == pytest.approx(0.5 * (1 + math.cos(math.pi * 7 / 8)))
    assert _lr_factor(5, TrainConfig(updates=10, warmup=0.0)) == 1.0


def test_memory_states_per_layer_and_training_learns_a_repetition():
    model = CharLM(LMConfig("lstm", hidden=12, layers=2, embed=4))
    mem = model.memory_states(torch.zeros(3, 9, dtype=torch.long))
    assert len(mem) == 2 and all(m.shape == (3, 9, 12) for m in mem)
    stream = np.tile(np.arange(5, dtype=np.uint8), 400)             # 0 1 2 3 4 0 1 ...
    model = CharLM(LMConfig("gru", hidden=16, embed=4))
    report = train_lm(model, stream, TrainConfig(updates=80, batch=4, bptt=16, lr=2e-2))
    assert report["losses"][-1] < 0.2 * report["losses"][0]
    assert evaluate(model, stream[:500], rows=2)["accuracy"] > 0.95
    with pytest.raises(LMError, match="gru, lstm"):
        LMConfig("rnn")


def test_quick_results_never_go_into_data(monkeypatch, tmp_path):
    from mannlib.engine.paths import DATA
    monkeypatch.delenv("MANNLIB_RUNS", raising=False)
    for trained in MS.TRAININGS:
        assert DATA.resolve() not in MS.results_dir("quick", trained).resolve().parents
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path))
    assert MS.results_dir("quick", "short") == tmp_path / "signatures-quick"
    assert MS.results_dir("quick") == tmp_path / f"signatures-quick-{MS.TRAINED}"    # the default, a plateau setting
    assert MS.results_dir("paper", "short") == DATA / "signatures"
    assert MS.results_dir("paper") == DATA / "signatures" / MS.TRAINED
    with pytest.raises(MS.SignatureError, match="paper, quick"):
        MS.results_dir("full")


def test_reproduce_quick_writes_and_then_skips(monkeypatch, tmp_path):
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path))
    only = ["news-gru-1x16", "ngram5-news"]
    done = MS.reproduce("quick", jobs=1, only=only, trained="short")
    assert set(done) == set(only)
    files = sorted(p.name for p in (tmp_path / "signatures-quick").rglob("*") if p.is_file())
    assert files == ["news-gru-1x16.json", "news-gru-1x16.pt", "news-gru-1x16.train.json", "ngram5-news.json"]
    results = MS.load_results("quick", "short")
    sig = results["news-gru-1x16"]["signatures"]["layer1"]
    assert sig.accuracy.shape == (10, 31) and results["news-gru-1x16"]["wall_s"]["train"] > 0
    assert MS.reproduce("quick", jobs=1, only=only, trained="short") == {}   # nothing missing
    S.write_signatures(tmp_path / "mann" / "x.json", {"h": sig}, title="t")
    meta, back = S.read_signatures(tmp_path / "mann" / "x.json")
    assert meta == {"title": "t"} and np.array_equal(back["h"].count, sig.count)
    with pytest.raises(MS.SignatureError, match="unknown units"):
        MS.reproduce("quick", only=["news-rnn-1x16"], trained="short")


def test_reproduce_runs_the_parent_of_a_retrained_model_first(monkeypatch, tmp_path):
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path))
    done = MS.reproduce("quick", jobs=1, only=["shakespeare-lstm-1x32-news5"], trained="short")
    assert list(done) == ["shakespeare-lstm-1x32", "shakespeare-lstm-1x32-news5"]
    child = done["shakespeare-lstm-1x32-news5"]
    assert child["parent"] == "shakespeare-lstm-1x32" and child["train"]["train_symbols"] == int(
        len(corpus.load("news").train) * MS.get_profile("quick", "short").finetune_fraction)
    assert set(child["perplexity"]) == {"news"} and set(done["shakespeare-lstm-1x32"]["perplexity"]) == {
        "shakespeare", "news"}
