"""Every verdict of the book at its threshold: made-up results exactly at, just below and just
above each threshold constant, so that a >= turned into > (or a changed constant) fails.

"Exactly at" means the very float the code compares: the made-up numbers are chosen so that the
quantity a claim computes equals its constant bit for bit (e.g. a difference a - 0 = GAP), and
the tests assert that before they look at the verdict. "Just below / above" is 1e-9 away, far
beyond rounding and far below any real difference. Also the degenerate cases: equal medians,
steps never reached, and the Fig. 4 perplexity ratio when the retrained model is as good as or
better than the news model (no finite ratio: never "closer").
"""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from mannlib.chapters import lantm as L, m10ae as C, memory_signatures as MS, mirror as M

D = 1e-9                      # "just below / above"
R, P, N = "reproduced", "partly", "not reproduced"


# --- mirror (Wang §3.2) ----------------------------------------------------------------------------
def mirror_acc(per_model: dict, lengths=range(1, 11)) -> pd.DataFrame:
    """{model: [per-seed accuracy, the same at every length in ``lengths``]} -> accuracy_frame's layout."""
    return pd.DataFrame([{"model": m, "seed": s, "difficulty": d, "accuracy": a, "fine": a}
                         for m, seeds in per_model.items() for s, a in enumerate(seeds) for d in lengths])


@pytest.mark.parametrize("seeds, expected", [
    ([M.TARGET] * 3, R),                                # the median at every length is TARGET: reproduced
    ([M.TARGET - D] * 3, N),
    ([M.TARGET + D] * 3, R),
    ([M.TARGET, 0.0, 0.0], P),                          # one seed at TARGET at every length: partly
    ([M.TARGET - D, 0.0, 0.0], N),
    ([1.0, M.TARGET, 0.0], R),                          # the median over seeds, not the mean (0.65)
    ([1.0, M.TARGET - D, 0.0], P),                      # ... and one seed at 100%: partly
])
def test_mirror_generalisation_at_target(seeds, expected):
    assert M.generalisation_claim(mirror_acc({"sann": seeds}), "sann").verdict == expected


def test_mirror_generalisation_partly_when_the_median_holds_at_the_first_length_only():
    acc = mirror_acc({"tann": [1.0] * 3})
    acc.loc[acc["difficulty"] == 6, "accuracy"] = M.TARGET
    acc.loc[acc["difficulty"] > 6, "accuracy"] = 0.0
    assert M.generalisation_claim(acc, "tann").verdict == P
    acc.loc[acc["difficulty"] == 6, "accuracy"] = M.TARGET - D
    assert M.generalisation_claim(acc, "tann").verdict == N


@pytest.mark.parametrize("baseline, expected", [(0.0, R), (D, P), (M.GAP, P), (M.GAP + D, N)])
def test_mirror_baselines_at_gap(baseline, expected):
    # beyond length 5, median over seeds (the means are higher): TANN GAP (the worse memory model),
    # SANN 2 GAP; the better baseline `baseline`
    acc = mirror_acc({"srnn": [0.0] * 3, "lstm": [baseline] * 3, "tann": [0.0, M.GAP, 1.0],
                      "sann": [2 * M.GAP, 2 * M.GAP, 1.0]}, lengths=(6,))
    s = M.beyond_scores(acc, (6,))
    assert s["tann"] - M.GAP == 0.0 and s["sann"] - M.GAP == M.GAP      # the thresholds, exactly
    assert M.baseline_claim(acc, lengths=(6,)).verdict == expected


def curves(sann_first, tann_first, value=M.CONVERGED):
    """One seed each; train_acc is ``value`` from the given step on (None: never), else 0."""
    rows = []
    for model, first in (("sann", sann_first), ("tann", tann_first)):
        rows += [{"model": model, "seed": 0, "step": t, "train_acc": value if first is not None and t >= first else 0.0}
                 for t in (100, 200, 300)]
    return pd.DataFrame(rows)


def test_mirror_convergence_at_the_threshold_and_ties():
    assert M.steps_to(curves(100, None))["step"].tolist()[0] == 100          # exactly CONVERGED counts
    assert np.isnan(M.steps_to(curves(100, None, value=M.CONVERGED - D))["step"].iloc[0])
    assert M.convergence_claim(curves(100, 200)).verdict == R
    assert M.convergence_claim(curves(200, 200)).verdict == N                  # a tie is not faster
    assert M.convergence_claim(curves(300, None)).verdict == R                 # never: infinitely slow
    assert M.convergence_claim(curves(None, None)).verdict == N
    assert M.convergence_claim(curves(100, 200, value=M.CONVERGED - D)).verdict == N


def saturation(input_left: list) -> pd.DataFrame:
    """gate_saturation's layout for T = 11 steps (L = 5): the input gate's left ratio is
    ``input_left``, every other ratio 0."""
    rows = [(t, g, side, r if (g, side) == ("input", "left") else 0.0)
            for t, r in enumerate(input_left) for g in ("input", "forget") for side in ("left", "right")]
    return pd.DataFrame(rows, columns=["step", "gate", "side", "ratio"])


@pytest.mark.parametrize("jump, expected", [(M.SHARP, R), (M.SHARP - D, N), (M.SHARP + D, R)])
def test_mirror_delimiter_at_sharp(jump, expected):
    sat = saturation([0.0] * 5 + [jump] * 6)                                  # a jump at <EOS>, calm before
    assert M.delimiter_jump(sat, 5) == (jump, 0.0)
    assert M.delimiter_claim({"tann": sat, "sann": sat}, 5).verdict == expected


@pytest.mark.parametrize("calm, expected", [(0.25, R), (0.25 + D, P), (0.25 - D, R)])
def test_mirror_delimiter_at_calm(calm, expected):
    sat = saturation([0.0, calm, 0.0, calm, 0.0] + [0.5] * 6)               # jump 0.5 = CALM x 0.25
    assert M.delimiter_jump(sat, 5) == (0.5, calm) and 0.5 == M.CALM * 0.25
    sharp = saturation([0.0] * 5 + [1.0] * 6)                               # the other model shows it anyway
    assert M.delimiter_claim({"tann": sat, "sann": sharp}, 5).verdict == expected


def sann_analysis(push_enc, push_dec, pops_enc, pops_dec, L_=5):
    T = 2 * L_ + 1
    p_push = np.array([push_enc] * L_ + [0.5] + [push_dec] * L_)[None].repeat(2, 0)
    pops = np.array([pops_enc] * L_ + [0.0] + [pops_dec] * L_)[None].repeat(2, 0)
    run = SimpleNamespace(config=SimpleNamespace(model="sann", seed=0), id="mirror-sann-x")
    from mannlib.methods import hypotheses as H
    return M.Analysis(run, np.ones((2, L_), int), {"p_push": p_push, "pops": pops}, 1.0, H.mirror_step_names(L_))


@pytest.mark.parametrize("push_dec, pops_enc, holds", [
    (0.0, 0.0, True),                          # P(PUSH) 0.5 vs 0, pops 0 vs 0.5: both differ by OPPOSITE exactly
    (D, 0.0, False), (0.0, D, False), (-D, -D, True)])
def test_mirror_policy_at_opposite(push_dec, pops_enc, holds):
    a = sann_analysis(M.OPPOSITE, push_dec, pops_enc, M.OPPOSITE)
    assert bool(M.opposite_policies(a)[0]) is holds
    assert M.policy_claim([a]).verdict == (R if holds else N)


@pytest.mark.parametrize("score, shuffled, expected", [
    (M.SUPPORTED, 0.8, R), (M.SUPPORTED - D, 0.8, N), (M.SUPPORTED + D, 0.8, R),
    (0.25 + M.ABOVE_SHUFFLED, 0.25, P), (0.25 + M.ABOVE_SHUFFLED - D, 0.25, N)])
def test_mirror_hypothesis_at_supported_and_above_shuffled(score, shuffled, expected):
    agree = pd.DataFrame({"score": [score], "shuffled_score": [shuffled], "chance": [0.1]})
    assert M.hypothesis_claim("sann", agree).verdict == expected


# --- M10AE (Wang §3.3) -----------------------------------------------------------------------------------
def lpo_acc(per_model: dict, lpo=(0, 15)) -> pd.DataFrame:
    """{model: [per-seed accuracy at every #LPO in ``lpo``]} -> accuracy_frame's layout. One #LPO
    inside and one beyond the training range, so that every mean is one number, exactly."""
    return pd.DataFrame([{"model": m, "seed": s, "difficulty": d, "accuracy": a}
                         for m, seeds in per_model.items() for s, a in enumerate(seeds) for d in lpo])


@pytest.mark.parametrize("sann, lstm, expected", [
    ([C.TARGET] * 3, [0.5] * 3, R),
    ([C.TARGET - D] * 3, [0.5] * 3, P),                # the best, every seed above the others': partly
    ([C.TARGET + D] * 3, [0.5] * 3, R),
    ([C.TARGET] * 3, [C.TARGET] * 3, N),               # a tie with LSTM: not the best model
    ([0.6, 0.6, 0.5], [0.5] * 3, N),                   # the worst SANN seed ties the best LSTM seed: not partly
    ([1.0, C.TARGET, 0.3], [0.2] * 3, R),              # the median over seeds, not the mean (0.73)
])
def test_m10ae_generalisation_at_target_and_ties(sann, lstm, expected):
    acc = lpo_acc({"srnn": [0.0] * 3, "lstm": lstm, "tann": [0.1] * 3, "sann": sann})
    assert C.generalisation_claim(acc).verdict == expected


@pytest.mark.parametrize("above, expected", [(0.0, P), (D, R)])
def test_m10ae_memory_beats_the_baselines_by_more_than_the_noise(above, expected):
    n = 500
    margin = C.noise(0.5, n * len(C.ALL_LPO))
    acc = lpo_acc({"srnn": [0.1], "lstm": [0.5], "tann": [0.5 + margin + above], "sann": [0.9]}, lpo=(0,))
    assert C.lpo_scores(acc, C.ALL_LPO).loc["tann", "median"] == 0.5 + margin + above
    assert C.memory_claim(acc, n).verdict == expected          # exactly at the noise is not "more than" it


@pytest.mark.parametrize("lstm, expected", [(C.FAR, R), (C.FAR - D, P), (C.FAR + D, R)])
def test_m10ae_srnn_at_far(lstm, expected):
    acc = lpo_acc({"srnn": [0.0], "lstm": [lstm]}, lpo=(0,))
    assert C.srnn_claim(acc, 500).verdict == expected


@pytest.mark.parametrize("factor, expected", [(1 + 1e-6, P), (1 - 1e-6, N)])
def test_m10ae_srnn_partly_needs_more_than_the_noise(factor, expected):
    # SimpRNN at 0, LSTM at x: the gap x equals the noise 2 sqrt(2 x (1 - x) / n) at x = 8 / (n + 8)
    n = 500 * len(C.ALL_LPO)
    x = 8 / (n + 8)
    assert C.noise(x, n) == pytest.approx(x, rel=1e-12)
    acc = lpo_acc({"srnn": [0.0], "lstm": [x * factor]}, lpo=(0,))
    assert C.srnn_claim(acc, 500).verdict == expected


def gate_sat(low: float, other: float) -> pd.DataFrame:
    rows = [(t, g, "right", low if c == "L" else other) for t, c in enumerate(C.CATEGORIES)
            for g in ("input", "forget", "output")]
    rows += [(t, g, "left", 0.0) for t in range(len(C.CATEGORIES)) for g in ("input", "forget", "output")]
    return pd.DataFrame(rows, columns=["step", "gate", "side", "ratio"])


@pytest.mark.parametrize("low, expected", [(0.5, N), (0.5 + D, R), (0.5 - D, N)])
def test_m10ae_gates_peak_strictly(low, expected):
    assert C.gate_claim(gate_sat(low, 0.5)).verdict == expected        # equal to elsewhere is no peak


def policy(push_low, pops_low, push_other=0.8, pops_other=0.5):
    low = np.array(C.CATEGORIES) == "L"
    return SimpleNamespace(trace={"p_push": np.where(low, push_low, push_other)[None].repeat(2, 0),
                                  "pops": np.where(low, pops_low, pops_other)[None].repeat(2, 0)})


@pytest.mark.parametrize("push, pops, expected", [
    (C.NO_PUSH, C.MANY_POPS, R), (C.NO_PUSH + D, C.MANY_POPS, P), (C.NO_PUSH, C.MANY_POPS - D, P),
    (C.NO_PUSH + D, C.MANY_POPS - D, N), (C.NO_PUSH - D, C.MANY_POPS + D, R)])
def test_m10ae_policy_at_no_push_and_many_pops(push, pops, expected):
    assert C.policy_claim(policy(push, pops)).verdict == expected


def norms(top_low: float, pushed_to: float) -> pd.DataFrame:
    #        N0   L0   N1   H0   N2   H1   N3   L1   N4
    top = [1.0, top_low, 1.0, 1.0, 1.0, 1.0, 1.0, top_low, 1.0]
    second = [0.0, 0.0, 0.5, pushed_to, 0.5, pushed_to, 0.5, 0.0, 0.5]  # grows from 0.5 at * /
    return pd.DataFrame({"cell 0": top, "cell 1": second}, index=C.STEP_NAMES)


@pytest.mark.parametrize("top_low, pushed_to, expected", [
    (C.EMPTY, C.PUSHED * 0.5, R), (C.EMPTY + D, C.PUSHED * 0.5, P), (C.EMPTY, C.PUSHED * 0.5 - D, P),
    (C.EMPTY + D, C.PUSHED * 0.5 - D, N), (C.EMPTY - D, C.PUSHED * 0.5 + D, R)])
def test_m10ae_stack_at_empty_and_pushed(top_low, pushed_to, expected):
    assert C.stack_claim(norms(top_low, pushed_to)).verdict == expected


def panels(pos, neg, shuffled=0.1):
    specs = C.figure9_specs()
    scores = [pos, pos, neg]
    return specs, {s.title(): SimpleNamespace(score=v, shuffled_score=shuffled, chance=0.1) for s, v in zip(specs, scores)}


@pytest.mark.parametrize("pos, neg, expected", [
    (C.SUPPORTED, C.SUPPORTED - C.ABOVE_SHUFFLED, R),          # both at their thresholds
    (C.SUPPORTED - D, 0.0, P), (C.SUPPORTED, C.SUPPORTED - C.ABOVE_SHUFFLED + D, P),
    (0.1 + C.ABOVE_SHUFFLED, 0.0, P), (0.1 + C.ABOVE_SHUFFLED - D, 0.0, N)])
def test_m10ae_tsne_at_supported_and_above_shuffled(pos, neg, expected):
    assert C.tsne_claim(*panels(pos, neg)).verdict == expected


@pytest.mark.parametrize("ok, expected", [(100, R), (99, P), (98, N)])
def test_m10ae_algorithm_at_99_percent(ok, expected):
    check = pd.DataFrame({"n": [100], "result_ok": [ok], "prefix_ok": [ok], "max_stack": [2]}, index=[0])
    assert C.algorithm_claim(check).verdict == expected


def curve_rows(model, seed, accs, steps=(25, 50, 75, 100)):
    return [(model, seed, st, a) for st, a in zip(steps, accs)]


def test_m10ae_convergence_at_rising_learned_and_slow_epochs():
    def claim(accs, epochs=2.0):
        rows = [r for m in C.MODELS for r in curve_rows(m, 0, accs)]
        return C.convergence_claim(pd.DataFrame(rows, columns=["model", "seed", "step", "train_acc"]), epochs)
    # last quarter: from step 75 to 100; still gaining RISING there is not converged: not testable.
    # (0.75 + RISING - 0.75 is not RISING in doubles, so the margins here are 1e-6, not exact.)
    assert claim([0.0, 0.5, 0.75, 0.75 + C.RISING + 1e-6]).verdict == C.NOT_TESTED
    assert claim([0.0, 0.5, 0.75, 0.75 + C.RISING - 1e-6]).verdict != C.NOT_TESTED
    # flat at exactly LEARNED is a solution; just below is still near guessing
    assert claim([0.0, C.LEARNED, C.LEARNED, C.LEARNED]).verdict != C.NOT_TESTED
    assert claim([0.0, C.LEARNED - D, C.LEARNED - D, C.LEARNED - D]).verdict == C.NOT_TESTED
    # within RISING of the end first at step 50 of 100: at epoch 1.0 (2 epochs in all) is not "after" one epoch
    flat = [0.0, 0.75, 0.75, 0.75]
    assert claim(flat, epochs=2.0).verdict == N and claim(flat, epochs=2.0 + D).verdict == R


# --- LANTM (Yang 2016) -----------------------------------------------------------------------------
def lantm_scores(table: dict) -> pd.DataFrame:
    """{(task, model): (1x coarse, 2x coarse)} -> score_frame's layout, one seed and one size each."""
    return pd.DataFrame([{"task": t, "model": m, "seed": 0, "size": size, "m": 1, "column": col, "n": 1,
                          "coarse": v, "fine": v}
                         for (t, m), pair in table.items() for size, col, v in ((1, "1x", pair[0]), (2, "2x", pair[1]))])


@pytest.mark.parametrize("one, two, expected", [
    (L.MASTERED, L.EXTRAPOLATES, R), (L.MASTERED - D, L.EXTRAPOLATES, N), (L.MASTERED, L.EXTRAPOLATES - D, N),
    (L.MASTERED + D, L.EXTRAPOLATES + D, R)])
def test_lantm_invnorm_at_mastered_and_extrapolates(one, two, expected):
    every = {(t, "lantm-invnorm"): (one, two) for t in L.TASKS}
    assert L.invnorm_claim(lantm_scores(every)).verdict == expected
    some = {**{(t, "lantm-invnorm"): (0.0, 0.0) for t in L.TASKS}, ("copy", "lantm-invnorm"): (one, two)}
    assert L.invnorm_claim(lantm_scores(some)).verdict == (P if expected == R else N)


def test_lantm_invnorm_takes_the_median_over_seeds():
    rows = [lantm_scores({(t, "lantm-invnorm"): pair for t in L.TASKS}).assign(seed=seed)
            for seed, pair in enumerate([(1.0, 1.0), (L.MASTERED, L.EXTRAPOLATES), (0.0, 0.0)])]
    assert L.invnorm_claim(pd.concat(rows, ignore_index=True)).verdict == R    # means 0.66 / 0.63


@pytest.mark.parametrize("master, fail, expected", [
    (L.MASTERED, L.FAILED - D, R),           # >= MASTERED on copy and double, < FAILED on the others
    (L.MASTERED, L.FAILED, N),               # exactly FAILED is not "failed": 2 of 5 tasks, partly needs 3
    (L.MASTERED - D, L.FAILED - D, P),        # copy and double miss: 3 of 5
    (L.MASTERED - D, L.FAILED, N)])
def test_lantm_softmax_at_mastered_and_failed(master, fail, expected):
    table = {(t, "lantm-softmax"): ((master if t in L.SOFTMAX_MASTERS else fail), 0.0) for t in L.TASKS}
    assert L.softmax_claim(lantm_scores(table)).verdict == expected


@pytest.mark.parametrize("inv2, soft2, expected", [(L.CLEARLY, 0.0, R), (L.CLEARLY - D, 0.0, P),
                                                   (L.CLEARLY + D, 0.0, R), (0.5, 0.5, N), (0.5 + D, 0.5, P)])
def test_lantm_weighting_at_clearly(inv2, soft2, expected):
    table = {("copy", "lantm-invnorm"): (1.0, inv2), ("copy", "lantm-softmax"): (1.0, soft2)}
    two_seeds = pd.concat([lantm_scores(table).assign(seed=seed) for seed in (0, 1)], ignore_index=True)
    assert L.weighting_claim(two_seeds).verdict == expected             # median = mean = the value
    assert L.weighting_claim(lantm_scores(table)).verdict == L.NOT_TESTED   # one seed: no spread to judge by


@pytest.mark.parametrize("learned, two, expected", [(0.97, 0.06, R), (0.97 - D, 0.06, P), (0.97, 0.06 + D, N)])
def test_lantm_lstm_at_97_and_6_percent(learned, two, expected):
    table = {(t, "lstm"): (learned, two) for t in L.TASKS}
    assert L.lstm_claim(lantm_scores(table)).verdict == expected


@pytest.mark.parametrize("still, learned, expected", [(True, 0.97 - D, L.NOT_TESTED), (False, 0.97 - D, P),
                                                     (True, 0.97, R)])
def test_lantm_lstm_not_learned_while_still_learning_is_not_testable(still, learned, expected):
    table = {(t, "lstm"): (learned, 0.0) for t in L.TASKS}
    training = pd.DataFrame({"task": list(L.TASKS), "seed": 0, "updates": 20_000, "still learning": still}
                            ).set_index(["task", "seed"])
    assert L.lstm_claim(lantm_scores(table), training=training).verdict == expected


@pytest.mark.parametrize("coarse, expected", [(L.GENERALISES_4X, N), (L.GENERALISES_4X + D, R)])
def test_lantm_table4_more_than_90_percent(coarse, expected):
    four = pd.DataFrame({"task": ["copy", "reverse", "bigramflip"], "factor": 4, "coarse": coarse})
    assert L.table4_claim(four).verdict == expected                       # "more than": strictly


@pytest.mark.parametrize("fine, coarse, first, expected", [
    (L.HIGH_FINE, L.LOW_COARSE, L.LATE, R), (L.HIGH_FINE, L.LOW_COARSE, L.LATE - D, N),
    (L.HIGH_FINE - D, L.LOW_COARSE, L.LATE, L.NOT_TESTED), (L.HIGH_FINE, L.LOW_COARSE + D, L.LATE, L.NOT_TESTED)])
def test_lantm_late_errors_at_its_thresholds(fine, coarse, first, expected):
    cells = pd.DataFrame({"task": ["copy"], "factor": [4], "coarse": [coarse], "fine": [fine], "first_error": [first]})
    assert L.late_errors_claim(cells).verdict == expected


def read_trace(offsets):
    """Writes at (t, 0), t = 0..T-1 (write step length 1); read i (at step i) ``offsets[i]`` off the line."""
    T = len(offsets) + 1
    steps = {"write_key": np.stack([np.arange(T), np.zeros(T)], 1).astype(float), "read_key": np.zeros((T, 2))}
    for t, off in enumerate(offsets):
        steps["read_key"][t] = (0.0, off)
    return SimpleNamespace(steps=steps, read_steps=np.arange(len(offsets)), input_steps=np.arange(T), size=T)


@pytest.mark.parametrize("near, far, expected", [(19, 1, R), (18, 2, P), (10, 10, P), (9, 11, N)])
def test_lantm_reads_at_track_and_half(near, far, expected):
    tr = read_trace([L.NEAR] * near + [L.NEAR + D] * far)                   # NEAR exactly counts as near
    assert (L.read_distances(tr) <= L.NEAR).sum() == near
    assert L.reads_claim(tr).verdict == expected


@pytest.mark.parametrize("even, expected", [(L.FAINT, R), (L.FAINT + D, P), (0.5, P), (0.5 + D, N)])
def test_lantm_parity_at_faint_and_half(even, expected):
    T = 9
    strength = np.array([1.0 if t % 2 else even for t in range(T)])
    tr = SimpleNamespace(steps={"write_strength": strength}, input_steps=np.arange(1, T))
    assert L.strength_by_parity(tr) == {"odd": 1.0, "even": even}
    assert L.parity_claim(tr).verdict == expected


# --- memory signatures (Koppula et al. 2018, the scorecard's verdicts) ------------------------------------
def sig(marginal, accuracy=None):
    marginal = np.asarray(marginal, float)
    acc = np.full((len(marginal), 3), 0.5) if accuracy is None else np.asarray(accuracy, float)
    return MS.Signature(acc, np.full(acc.shape, 100), marginal)


def signature_results(gru, sizes=((0.2, 0.3), (0.2, 0.3)), depth=((0.3, 0.2), (0.3, 0.2)), ppl=(3.0, 2.0, 1.5),
                      dist=(0.0, 0.5, 1.0)):
    """Made-up results for the quick profile of the short setting (news in WSJ's roles): the
    Shakespeare GRU's marginal recall ``gru``; mean recall per size (GRU, LSTM) and per layer (GRU,
    LSTM); news perplexities of the Shakespeare, retrained and news LSTMs; their signatures'
    accuracy maps as constants ``dist``."""
    p = MS.get_profile("quick", "short")
    r = {f"shakespeare-gru-1x{p.main}": {"signatures": {"layer1": sig(gru)}}}
    for c, means in zip(("gru", "lstm"), sizes):
        for h, v in zip(p.sizes, means):
            r[f"news-{c}-1x{h}"] = {"signatures": {"layer1": sig([v] * 10)}}
    layers, hidden = p.deep
    for c, means in zip(("gru", "lstm"), depth):
        r[f"news-{c}-{layers}x{hidden}"] = {"signatures": {f"layer{i + 1}": sig([v] * 10) for i, v in enumerate(means)}}
    for name, pp, d in zip((f"shakespeare-lstm-1x{p.main}", f"shakespeare-lstm-1x{p.main}-news5",
                            f"news-lstm-1x{p.main}"), ppl, dist):
        r[name] = {"signatures": {"layer1": sig([0.5] * 10, np.full((10, 3), d))}, "perplexity": {"news": pp}}
    return r


def signature_verdicts(monkeypatch, results) -> dict:
    return {c.key: c.verdict for c in MS.judge(results, MS.get_profile("quick", "short"))}


def decline(fall, rise):
    """Recall falling by ``fall`` from δ = 1 to δ = 10 (to 0), with one rise of ``rise`` (from 0) between."""
    return [fall, fall / 2, 0.0, rise, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("fall, rise, expected", [
    (MS.DECLINE, MS.RISE, R), (MS.DECLINE - D, MS.RISE, N), (MS.DECLINE, MS.RISE + D, P),
    (MS.DECLINE + D, MS.RISE - D, R)])
def test_signature_decline_at_decline_and_rise(monkeypatch, fall, rise, expected):
    gru = decline(fall, rise)
    assert (gru[0] - gru[-1], max(np.diff(gru))) == (fall, rise)
    assert signature_verdicts(monkeypatch, signature_results(gru))["decline"] == expected


@pytest.mark.parametrize("sizes, depth, size_verdict, depth_verdict", [
    (((0.2, 0.3), (0.2, 0.3)), ((0.3, 0.2), (0.3, 0.2)), R, R),
    (((0.2, 0.2), (0.2, 0.3)), ((0.3, 0.3), (0.3, 0.2)), N, N),          # a tie is neither a rise nor a fall
    (((0.2, 0.2 + D), (0.2, 0.3)), ((0.3, 0.3 - D), (0.3, 0.2)), R, R)])
def test_signature_size_and_depth_are_strict(monkeypatch, sizes, depth, size_verdict, depth_verdict):
    v = signature_verdicts(monkeypatch, signature_results(decline(0.5, 0.0), sizes=sizes, depth=depth))
    assert (v["size"], v["depth"]) == (size_verdict, depth_verdict)


@pytest.mark.parametrize("ppl, dist, expected", [
    ((3.0, 2.0, 1.5), (0.0, 0.5, 1.0), P),         # ratio 1.0 / 0.5 = CLOSER exactly; signatures equidistant
    ((3.0, 2.0, 1.5 + D), (0.0, 0.5, 1.0), P),      # ratio just above CLOSER
    ((3.0, 2.0, 1.5 - D), (0.0, 0.5, 1.0), N),      # just below
    ((3.0, 2.0, 1.5), (0.0, 0.5, 1.0 - D), R),      # and the retrained signature nearer the news one
    ((3.0, 2.0, 2.0), (0.0, 0.5, 1.0), N),          # no gap to the news model: no ratio, never "closer"
    ((3.0, 2.0, 2.5), (0.0, 0.5, 1.0), N),          # retrained better than the news model: no ratio either
    ((2.0, 2.0, 2.0), (0.0, 0.5, 1.0), N),          # no gap at all
    ((2.0, 2.0, 2.0), (0.0, 0.5, 1.0 - D), P),      # ... the signature half alone
])
def test_signature_adaptation_at_closer_and_degenerate_gaps(monkeypatch, ppl, dist, expected):
    assert signature_verdicts(monkeypatch, signature_results(decline(0.5, 0.0), ppl=ppl, dist=dist))["adaptation"] == expected


@pytest.mark.parametrize("ppl, ratio", [((3.0, 2.0, 1.5), 2.0), ((7.0, 4.0, 2.5), 2.0), ((3.0, 2.0, 2.0), None),
                                        ((3.0, 2.0, 2.5), None), ((2.0, 2.0, 2.0), None), ((1.0, 2.0, 1.5), -2.0)])
def test_perplexity_gap_ratio(ppl, ratio):
    got = MS.perplexity_gap_ratio(*ppl)
    assert (np.isnan(got) if ratio is None else got == ratio)
