"""mannlib.chapters.mirror: tables, verdicts and analysis helpers, on hand-made inputs."""
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from mannlib.methods import hypotheses as H
from mannlib.chapters import chapter, mirror as M, run_targets, wang_runs as W  # noqa: E402
from mannlib.engine.config import profile_config  # noqa: E402
from mannlib.papers import wang  # noqa: E402
from mannlib.tasks.mirror import Mirror  # noqa: E402
from mannlib.engine.train import build  # noqa: E402

L = 5
QUICK = M.settings("quick")


def acc_frame(scores: dict) -> pd.DataFrame:
    """{model: [per-seed accuracy at every length 1..10]} -> accuracy_frame's layout."""
    rows = [{"model": m, "seed": s, "difficulty": d, "accuracy": a, "fine": a}
            for m, seeds in scores.items() for s, accs in enumerate(seeds) for d, a in zip(range(1, 11), accs)]
    return pd.DataFrame(rows)


def flat(value):
    return [1.0] * 5 + [value] * 5     # perfect on lengths 1-5, ``value`` beyond


# --- settings and runs ----------------------------------------------------------------------------
def test_settings_and_configs():
    paper = M.settings("paper")
    assert (paper.seeds, paper.analysis_n, paper.analysis_length) == ((0, 1, 2), 500, 5)
    fixed = M.settings("paper", protocol="fixed")
    assert M.configs(fixed) == M.RUNS["mirror"]()            # the book loads what `reproduce` trains ...
    assert paper.protocol == "fixed" or M.configs(paper) == W.final_configs("mirror", "paper")   # ... or --protocol
    assert chapter("mirror") is M and run_targets()["mirror"] is M.RUNS["mirror"]
    quick = M.configs(QUICK)
    assert [(c.model, c.seed) for c in quick] == [(m, s) for m in M.MODELS for s in (0, 1)]
    assert {c.profile for c in quick} == {"quick"}
    with pytest.raises(ValueError, match="choose one of paper, quick"):
        M.settings("fast")


def test_the_papers_numbers_are_the_tasks():
    assert (M.TRAIN_MAX, M.TEST_LENGTHS[-1]) == (wang.MIRROR_TRAIN_MAX, wang.MIRROR_TEST_MAX)
    assert (Mirror.train_range[1], Mirror.test_range) == (M.TRAIN_MAX, (M.TEST_LENGTHS[0], M.TEST_LENGTHS[-1]))


def test_chapter_contract():
    assert M.PAPER == "Wang et al. 2019 (§3.2, mirror)"
    says = M.paper_says()
    assert says["hypothesis_sann"] == "t-SNE maps with clear clusters (visual)"
    assert set(says) == {"generalise_sann", "generalise_tann", "baselines", "converge", "delimiter", "policy",
                         "hypothesis_tann", "hypothesis_sann"}


# --- results --------------------------------------------------------------------------------------
def test_length_table_median_min_max():
    acc = acc_frame({"sann": [flat(1.0), flat(0.5), flat(0.9)], "lstm": [flat(0.0), flat(0.2), flat(0.1)]})
    table = M.length_table(acc)
    assert list(table.index) == ["lstm", "sann"]                      # paper order
    assert list(table.columns.get_level_values(0).unique()) == [6, 7, 8, 9, 10]
    assert table.loc["sann", (6, "median")] == 0.9 and table.loc["sann", (10, "min")] == 0.5
    assert table.loc["lstm", (8, "max")] == 0.2
    shown = M.show_length_table(table)
    assert shown.loc["sann", "L = 6"] == "90.0% (50-100)" and shown.loc["lstm", "L = 10"] == "10.0% (0-20)"


def test_steps_to_first_point_at_threshold():
    curves = pd.DataFrame({"model": ["sann"] * 3 + ["tann"] * 3, "seed": 0, "step": [100, 200, 300] * 2,
                           "train_acc": [0.5, 0.96, 0.9, 0.1, 0.2, 0.94]})
    got = M.steps_to(curves, 0.95)
    assert got.loc[0, "step"] == 200 and np.isnan(got.loc[1, "step"])


def test_pct_and_points():
    assert M.pct(0.9534) == "95.3%" and M.pct(0.95, 0) == "95%" and M.points(0.2) == "20 points"


# --- verdicts -------------------------------------------------------------------------------------
def test_verdict():
    assert [M.verdict(True, False), M.verdict(False, True), M.verdict(False, False)] == list(M.VERDICTS)


@pytest.mark.parametrize("seeds,expected", [
    ([flat(1.0), flat(0.96), flat(0.2)], "reproduced"),          # median 0.96 at every length
    ([flat(1.0), flat(0.5), flat(0.2)], "partly"),                # one seed does, the median does not
    ([[1.0] * 5 + [0.97, 0.5, 0.5, 0.5, 0.5]] * 3, "partly"),     # the median holds at L = 6 only
    ([flat(0.9)] * 3, "not reproduced"),
])
def test_generalisation_claim(seeds, expected):
    claim = M.generalisation_claim(acc_frame({"sann": seeds}), "sann")
    assert claim.verdict == expected and claim.key == "generalise_sann"


def test_generalisation_claim_text_and_errors():
    claim = M.generalisation_claim(acc_frame({"tann": [[1.0] * 5 + [1, 1, 1, 1, 0.5]] * 3}), "tann")
    assert "50.0% at its worst length (L = 10), 100.0% at L = 6; 0 of 3 seeds" in claim.ours
    with pytest.raises(ValueError, match="needs runs of sann; missing sann"):
        M.generalisation_claim(acc_frame({"tann": [flat(1.0)]}), "sann")


@pytest.mark.parametrize("baseline,expected", [(0.5, "reproduced"), (0.75, "partly"), (0.9, "not reproduced")])
def test_baseline_claim(baseline, expected):
    # memory models score 0.8 (tann) and 1.0 (sann) beyond length 5; the better baseline `baseline`
    acc = acc_frame({"srnn": [flat(0.0)], "lstm": [flat(baseline)], "tann": [flat(0.8)], "sann": [flat(1.0)]})
    claim = M.baseline_claim(acc)
    assert claim.verdict == expected
    assert claim.ours.endswith(f"SRNN 0.0%, LSTM {100 * baseline:.1f}%, TANN 80.0%, SANN 100.0%")


def curves_reaching(sann_steps, tann_steps):
    """Learning curves whose train_acc first reaches 1.0 at the given steps (None: never)."""
    rows = []
    for model, steps in (("sann", sann_steps), ("tann", tann_steps)):
        for seed, hit in enumerate(steps):
            rows += [{"model": model, "seed": seed, "step": t, "train_acc": float(hit is not None and t >= hit)}
                     for t in range(100, 1100, 100)]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("sann,tann,expected", [
    ([200, 300, 400], [500, 600, 700], "reproduced"),
    ([200, 300, None], [500, None, None], "reproduced"),     # never counts as infinitely slow
    ([200, 800, 900], [300, 600, 700], "partly"),            # fastest SANN seed wins, median loses
    ([None, None, None], [None, None, None], "not reproduced"),
])
def test_convergence_claim(sann, tann, expected):
    claim = M.convergence_claim(curves_reaching(sann, tann))
    assert claim.verdict == expected


def test_convergence_claim_text():
    claim = M.convergence_claim(curves_reaching([200, 300, None], [None, None, None]))
    assert "SANN 300 (seeds: 200-300, 1 never), TANN never" in claim.ours


def test_convergence_counts_examples_when_the_batch_sizes_differ():
    # SANN reaches 100% at step 200 with batch 256 (51,200 examples), TANN at step 500 with batch 64
    # (32,000 examples): fewer steps, but more data; one batch size for both: steps decide
    curves = curves_reaching([200, 200, 200], [500, 500, 500])
    same = curves.assign(examples=curves["step"] * 32)
    assert M.progress_axis(same) == "step" and M.convergence_claim(same).verdict == "reproduced"
    differ = curves.assign(examples=curves["step"] * curves["model"].map({"sann": 256, "tann": 64}))
    assert M.progress_axis(differ) == "examples"
    claim = M.convergence_claim(differ)
    assert claim.verdict == "not reproduced" and "training examples to 95% training accuracy" in claim.ours
    assert "SANN 51,200" in claim.ours and "TANN 32,000" in claim.ours


def sat_frame(ratios: list[float]) -> pd.DataFrame:
    """A saturation frame for T = 2L + 1 steps where only (input, left) varies: ``ratios``."""
    rows = [(t, g, side, r if (g, side) == ("input", "left") else 0.5)
            for t, r in enumerate(ratios) for g in ("input", "forget") for side in ("left", "right")]
    return pd.DataFrame(rows, columns=["step", "gate", "side", "ratio"])


def test_delimiter_jump_and_claim():
    sharp = sat_frame([0.1, 0.12, 0.1, 0.11, 0.1, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6])   # +0.5 at <EOS>
    jump, calm = M.delimiter_jump(sharp, L)
    assert jump == pytest.approx(0.5) and calm == pytest.approx(0.02)
    late = sat_frame([0.1, 0.12, 0.1, 0.11, 0.1, 0.1, 0.6, 0.6, 0.6, 0.6, 0.6])     # +0.5 right after, at y1
    assert M.delimiter_jump(late, L) == pytest.approx((0.5, 0.02))
    noisy = sat_frame([0.1, 0.4, 0.1, 0.4, 0.1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])      # +0.4 at <EOS>, 0.3 before
    assert M.delimiter_claim({"tann": sharp, "sann": late}, L).verdict == "reproduced"
    ours = M.delimiter_claim({"tann": sharp}, L).ours
    assert "TANN 50 points at <EOS> or y1 vs up to 2 points between encoding steps" in ours
    assert M.delimiter_claim({"tann": noisy, "sann": sharp}, L).verdict == "partly"
    assert M.delimiter_claim({"tann": noisy, "sann": noisy}, L).verdict == "not reproduced"


# --- analysis -------------------------------------------------------------------------------------
def one_hot_walk(cells, start, stride, T, B=4, offset=0):
    """(B, T, N) weightings whose focus walks start, start + stride, ... from step ``offset``."""
    w = np.zeros((B, T, cells))
    for t in range(T):
        w[:, t, (start + stride * (t - offset)) % cells] = 1.0
    return w


def fake_analysis(model, trace, labels=None):
    labels = np.ones((4, L), int) if labels is None else labels
    run = SimpleNamespace(config=SimpleNamespace(model=model, seed=0), id=f"mirror-{model}-x")
    return M.Analysis(run, labels, trace, 1.0, H.mirror_step_names(labels.shape[1]))


def test_focus_moves_wrap_round():
    w = one_hot_walk(20, 18, 1, 11)
    assert M.focus_moves(w, range(0, 5)) == [1, 1, 1, 1]                  # 18 19 0 1 2
    assert M.focus_moves(one_hot_walk(20, 2, -1, 11), range(6, 11)) == [-1, -1, -1, -1]


def tann_trace(write_stride=1, read_stride=-1, start=18):
    w_write = one_hot_walk(20, start, write_stride, 2 * L + 1)
    w_read = one_hot_walk(20, start + write_stride * (L - 1), read_stride, 2 * L + 1, offset=L + 1)
    return {"w_write": w_write, "w_read": w_read, "memory": np.zeros((4, 2 * L + 1, 20, 3))}


def sann_trace(push_enc, push_dec, pops_enc, pops_dec):
    T = 2 * L + 1
    p_push = np.array([push_enc] * L + [0.5] + [push_dec] * L)[None].repeat(4, 0)     # (B, T)
    pops = np.array([pops_enc] * L + [0.0] + [pops_dec] * L)[None].repeat(4, 0)
    return {"p_push": p_push, "pops": pops, "memory": np.zeros((4, T, 20, 3))}


def test_opposite_policies_and_claim():
    tann_ok = fake_analysis("tann", tann_trace())
    tann_same = fake_analysis("tann", tann_trace(read_stride=1))
    sann_ok = fake_analysis("sann", sann_trace(0.9, 0.1, 0.1, 0.9))
    sann_weak = fake_analysis("sann", sann_trace(0.6, 0.4, 0.1, 0.9))                  # push differs by 0.2
    assert M.opposite_policies(tann_ok) == (True, "TANN write focus moves [1, 1, 1, 1] while encoding, "
                                                  "read focus [-1, -1, -1, -1] while decoding")
    assert not M.opposite_policies(tann_same)[0]
    holds, text = M.opposite_policies(sann_ok)
    assert holds and text == "SANN P(PUSH) 0.90 encoding vs 0.10 decoding, pops 0.10 vs 0.90"
    assert not M.opposite_policies(sann_weak)[0]
    assert M.policy_claim([tann_ok, sann_ok]).verdict == "reproduced"
    assert M.policy_claim([tann_same, sann_ok]).verdict == "partly"
    assert M.policy_claim([tann_same, sann_weak]).verdict == "not reproduced"


def test_hypothesis_follows_the_models_tape_layout():
    a = fake_analysis("tann", tann_trace(write_stride=-1, start=3))
    assert M.tann_layout(a) == (3, -1)
    assert M.tann_layout(fake_analysis("tann", tann_trace(write_stride=0, start=7))) == (7, 1)   # the paper's +1
    assert M.hypothesis(a).policy["addr_write"][:L] == [3, 2, 1, 0, 19]
    assert M.hypothesis(fake_analysis("sann", sann_trace(1, 0, 0, 1))).positions == H.mirror_sann(L, 20).positions
    with pytest.raises(ValueError, match="choose one of tann, sann"):
        M.hypothesis(fake_analysis("lstm", {"memory": np.zeros((4, 11, 20, 3))}))


def test_hypothesis_grid_by_hand():
    grid = M.hypothesis_grid(H.mirror_sann(2, cells=4))
    assert list(grid.columns) == ["x1", "x2", "<EOS>", "y1", "y2"]
    assert grid.to_dict("split")["data"] == [["x1", "x2", "x2", "x1", ""],   # cell 0, the top
                                             ["", "x1", "x1", "", ""]]      # cell 1
    assert list(grid.index) == [0, 1]


def test_figure4_specs_and_titles():
    hyp = H.mirror_tann(L, cells=20, start=18)
    specs = M.figure4_specs(hyp, [("<EOS>", 1), ("y2", 3)])
    assert specs == [M.PanelSpec(5, 18, 1, True), M.PanelSpec(7, 0, 3, True), M.PanelSpec(5, 18, 2, False)]
    assert [s.title(hyp.step_names) for s in specs] == ["(<EOS>, 18): x1", "(y2, 0): x3", "(<EOS>, 18): x2 (wrong)"]
    sann = H.mirror_sann(L)
    assert M.figure4_specs(sann, [("<EOS>", 5)])[-1] == M.PanelSpec(5, 0, 4, False)   # x_L: wrong label x_{L-1}
    with pytest.raises(ValueError, match="puts x5 in no cell after step y2"):
        M.cell_holding(sann, 7, 5)                                   # popped after y1
    with pytest.raises(ValueError, match="unknown step 'y9'"):
        M.figure4_specs(sann, [("y9", 1)])


def perfect_sann_memory(labels):
    """(B, T, N, 9) memory whose cells hold one-hot codes of exactly what mirror_sann says."""
    hyp = H.mirror_sann(labels.shape[1], cells=4)
    lab = hyp.labels(labels)                                          # (B, T, N) of 1..9 or None
    mem = np.zeros(lab.shape + (9,))
    for idx in zip(*np.nonzero(lab != None)):  # noqa: E711 (object array)
        mem[idx + (lab[idx] - 1,)] = 1.0
    return hyp, mem


def test_agreement_scores_a_memory_that_follows_the_hypothesis():
    rng = np.random.default_rng(0)
    labels = np.stack([rng.permutation(np.tile(np.arange(1, 10), 10)) for _ in range(3)], 1)  # (90, 3), balanced
    hyp, mem = perfect_sann_memory(labels)
    a = fake_analysis("sann", {"memory": mem}, labels)
    agree = M.agreement(a, hyp)
    assert len(agree) == len(hyp.frame()) == 12       # x1..x3: 1+2+3, <EOS>: 3, y1..y3: 2+1+0
    assert (agree["score"] == 1.0).all() and (agree["shuffled_score"] < 0.5).all()
    row = agree.query("step == 3 and cell == 2").iloc[0]
    assert (row["symbol"], row["position"]) == ("<EOS>", 1)           # the bottom of the stack holds x1
    claim = M.hypothesis_claim("sann", agree, others={1: 0.5})
    assert claim.verdict == "reproduced" and claim.ours.endswith("other seeds: seed 1 50.0%")
    panels = M.figure4_panels(a, M.figure4_specs(hyp, [("<EOS>", 1)]))
    first, wrong = panels.values()
    assert first.score == 1.0 and wrong.score < 0.35                 # x2 is independent of x1's cell


def test_hypothesis_claim_thresholds():
    frame = lambda score, shuffled: pd.DataFrame({"score": [score], "shuffled_score": [shuffled], "chance": [0.12]})
    assert M.hypothesis_claim("tann", frame(0.95, 0.1)).verdict == "reproduced"
    assert M.hypothesis_claim("tann", frame(0.5, 0.1)).verdict == "partly"
    assert M.hypothesis_claim("tann", frame(0.3, 0.1)).verdict == "not reproduced"


def test_best_seed_prefers_beyond_then_fine_then_within_then_low_seed():
    def run(seed, within, beyond, fine=0.5):
        ev = pd.DataFrame({"accuracy": [within] * 5 + [beyond] * 5, "fine": [1.0] * 5 + [fine] * 5},
                          index=range(1, 11))
        return SimpleNamespace(config=SimpleNamespace(model="tann", seed=seed), eval=ev)
    runs = [run(0, 1.0, 0.5), run(1, 0.9, 0.8), run(2, 1.0, 0.8), run(3, 1.0, 0.8)]
    assert M.best_seed(runs, "tann").config.seed == 2
    # 0.6% and 1.2% beyond round to 1%: a tie, decided by the bit accuracy beyond
    assert M.best_seed([run(0, 1.0, 0.012, 0.80), run(1, 1.0, 0.006, 0.81)], "tann").config.seed == 1
    assert M.best_seed([run(0, 1.0, 0.03, 0.80), run(1, 1.0, 0.006, 0.81)], "tann").config.seed == 0
    a, b = run(0, 0, 0), run(1, 0, 0)
    a.eval["accuracy"], b.eval["accuracy"] = [0.0] * 5 + [1.0] * 4 + [0.0], [1.0] * 5 + [0.5] * 5
    assert M.best_seed([a, b], "tann").config.seed == 0                 # beyond 5: 0.8 vs 0.5
    assert M.best_seed([a, b], "tann", train_max=9).config.seed == 1    # beyond 9: 0.0 vs 0.5
    with pytest.raises(ValueError, match="no run of 'sann'; runs: tann"):
        M.best_seed(runs, "sann")


def test_analyse_a_real_model():
    config = profile_config("mirror", "sann", "quick")
    _, model = build(config)
    model.eval()
    run = SimpleNamespace(config=config, model=model, id="mirror-sann-test", task=Mirror())
    a = M.analyse(run, M.Settings("quick", (0,), analysis_n=12, analysis_length=3))
    assert a.labels.shape == (12, 3) and a.labels.min() >= 1 and a.labels.max() <= 9
    assert a.trace["memory"].shape == (12, 7, 6, 8) and isinstance(a.trace["p_push"], np.ndarray)
    assert 0.0 <= a.accuracy <= 1.0 and a.step_names[3] == "<EOS>"
    sat = M.gate_saturation(a)
    assert set(sat["gate"]) == {"input", "forget"} and len(sat) == 7 * 2 * 2
    assert set(M.policy_summary(a)["quantity"]) == {"p_push", "pops"}


def test_summary_and_table():
    claims = [M.Claim("a", "SANN generalises", "Fig. 2a", "c", "o", "reproduced"),
              M.Claim("b", "TANN generalises", "Fig. 2a", "c", "o", "not reproduced")]
    assert M.summary(claims) == ("We check 2 claims: 1 reproduced, 0 partly, 1 not reproduced. "
                                 "Reproduced: SANN generalises. Not reproduced: TANN generalises.")
    table = M.claims_table(claims)
    assert list(table.index) == ["a", "b"] and list(table["verdict"]) == ["reproduced", "not reproduced"]


def test_seed_agreement_rows_and_reuse():
    config = profile_config("mirror", "sann", "quick", seed=1)
    _, model = build(config)
    ev = pd.DataFrame({"accuracy": [1.0] * 5 + [0.5] * 5}, index=range(1, 11))
    real = SimpleNamespace(config=config, model=model, id="mirror-sann-real", task=Mirror(), eval=ev)
    tann = fake_analysis("tann", tann_trace(start=3))       # reused: never analysed again (it has no model)
    tann.run.eval = ev
    known_agree = pd.DataFrame({"score": [0.9, 0.7], "shuffled_score": [0.1, 0.2], "chance": 0.12})
    lstm = SimpleNamespace(config=SimpleNamespace(model="lstm", seed=0), id="mirror-lstm-x")
    table = M.seed_agreement([lstm, tann.run, real], M.Settings("quick", (0, 1), 12, 3),
                             known={tann.run.id: (tann, known_agree)})
    assert list(table.index) == [("tann", 0), ("sann", 1)]                 # baselines are skipped
    row = table.loc[("tann", 0)]
    assert (row["hypothesis tape layout"], row["median k-NN score"], row["pairs"]) == ("start 3, stride +1", 0.8, 2)
    assert row["accuracy L 6-10"] == 0.5
    assert table.loc[("sann", 1), "pairs"] == 12 and table.loc[("sann", 1), "hypothesis tape layout"] == ""


def test_training_settings():
    def run(lr, batch):
        return SimpleNamespace(config=SimpleNamespace(lr=lr, batch_size=batch, steps=10_000))
    assert M.training_settings([run(1e-3, 32)] * 2) == ("learning rate 0.001, batch size 32 and 10,000 updates "
                                                        "for every model")
    assert M.training_settings([run(1e-3, 32), run(1e-4, 32)]).startswith("the per-model learning rates")


def test_fit_text_and_generalisation_lesson():
    paper_like = acc_frame({"srnn": [flat(0.0)], "lstm": [flat(0.1)], "tann": [flat(0.97)], "sann": [flat(1.0)]})
    assert M.fit_text(paper_like) == ("median accuracy on lengths 1-5: SRNN 100.0%, LSTM 100.0%, TANN 100.0%, "
                                      "SANN 100.0%")
    assert M.generalisation_lesson(paper_like).startswith("As in the paper")
    ours = acc_frame({"srnn": [flat(0.0)], "lstm": [flat(0.01)], "tann": [flat(0.01)], "sann": [flat(0.0)]})
    assert M.generalisation_lesson(ours).startswith("None of our memory models generalises")
    assert M.generalisation_lesson(ours).endswith("The closest single run is TANN seed 0: 1.0% at length 6, "
                                                  "1.0% at 7, 1.0% at 8.")
    one = acc_frame({"srnn": [flat(0.0)], "lstm": [flat(0.01)], "tann": [flat(0.01)], "sann": [flat(0.99)]})
    assert M.generalisation_lesson(one) == "Of the memory models, SANN generalises by our criterion."
    srnn_unfit = acc_frame({"srnn": [[0.5] * 5 + [0.0] * 5], "lstm": [flat(0.0)], "tann": [flat(0.0)],
                            "sann": [flat(0.0)]})
    assert "by our criterion (the median over seeds), although both fit" in M.generalisation_lesson(srnn_unfit)
    unfit = acc_frame({"srnn": [flat(0.0)], "lstm": [flat(0.0)], "tann": [[0.5] * 5 + [0.0] * 5], "sann": [flat(0.0)]})
    assert M.generalisation_lesson(unfit) == ("None of our memory models generalises beyond length 5 by our criterion "
                                              "(the median over seeds). The closest single run is SANN seed 0: "
                                              "0.0% at length 6, 0.0% at 7, 0.0% at 8.")


def test_negative_text():
    def panel(score, shuffled=0.1):
        return SimpleNamespace(score=score, shuffled_score=shuffled)
    good = {"TANN (<EOS>, 2): x1": panel(0.95), "TANN (<EOS>, 2): x2 (wrong)": panel(0.12),
            "SANN (<EOS>, 4): x2 (wrong)": panel(0.2)}
    assert M.negative_text(good).startswith("The negative panels score like shuffled labels (TANN 12.0% "
                                            "(shuffled 10.0%), SANN 20.0% (shuffled 10.0%)), as they should")
    mixed = dict(good, **{"SANN (<EOS>, 4): x2 (wrong)": panel(0.89)})
    assert "so in SANN the cell also carries the second input" in M.negative_text(mixed)
    with pytest.raises(ValueError, match="no negative panel"):
        M.negative_text({"TANN (<EOS>, 2): x1": panel(0.95)})


def test_closest_seed():
    acc = acc_frame({"lstm": [flat(0.9)], "sann": [flat(0.1), [1.0] * 5 + [0.94, 0.44, 0.06, 0.0, 0.0]]})
    assert M.closest_seed(acc) == "SANN seed 1: 94.0% at length 6, 44.0% at 7, 6.0% at 8"   # baselines ignored


# --- the notebook's parameters (issue 17) ---------------------------------------------------------
def test_parameters_change_only_what_they_name():
    s = M.settings("paper", cells=5, width=12, hidden=64, lr=1e-4, batch_size=64, steps=2000, seeds=[4, 1, 4])
    runs = M.configs(s)
    assert [(c.model, c.seed) for c in runs] == [(m, seed) for m in M.MODELS for seed in (1, 4)]
    for c in runs:
        base = profile_config("mirror", c.model, "paper", c.seed)
        sizes = {"hidden": 64, **({"cells": 5, "width": 12} if c.model in M.MEMORY_MODELS else {})}
        assert c == base.replace(lr=1e-4, batch_size=64, steps=2000, **{f"sizes.{k}": v for k, v in sizes.items()})
    assert M.RUNS["mirror"](cells=5, seeds=[4, 1, 4], width=12, hidden=64, lr=1e-4, batch_size=64, steps=2000) == runs
    assert [c.model for c in M.configs(M.settings("quick", models=["sann", "tann"]))] == ["tann"] * 2 + ["sann"] * 2
    assert M.settings("paper", seeds=5).seeds == (0, 1, 2, 3, 4)


def test_default_parameters_are_the_committed_runs():
    assert [c.to_json() for c in M.RUNS["mirror"]()] == [c.to_json() for c in M.paper_configs()]
    assert M.configs(M.settings("paper", models=list(reversed(M.MODELS)), seeds=[2, 0, 1])) == M.paper_configs()


def test_test_lengths_follow_test_max():
    s = M.settings("quick", test_max=12)
    assert s.test_lengths == tuple(range(6, 13))
    assert {c.eval_difficulties for c in M.configs(s)} == {tuple(range(1, 13))}
    assert {c.eval_difficulties for c in M.configs(QUICK)} == {None}       # default: the task's 1-10


@pytest.mark.parametrize("knobs, message", [
    (dict(models=["sann"]), "must include tann and sann"),
    (dict(models=["sann", "gru"]), "unknown model 'gru'; choose from srnn, lstm, tann, sann"),
    (dict(seeds=0), "seeds must be a positive number"),
    (dict(seeds=[-1]), "list of seeds >= 0"),
    (dict(cells=0), "cells must be a positive integer"),
    (dict(lr="fast"), "lr must be a positive number"),
    (dict(steps=1.5), "steps must be a positive integer"),
    (dict(test_max=5), "need train_max < test_max <= 100"),
    (dict(analysis_length=2), "analysis_length must be 3-100"),
])
def test_bad_parameters_name_what_is_allowed(knobs, message):
    with pytest.raises(ValueError, match=message):
        M.settings("paper", **knobs)


def test_train_max_needs_the_task_to_take_it():
    import inspect
    if "train_max" in inspect.signature(Mirror).parameters:   # once the task takes it: a task argument
        c = M.configs(M.settings("quick", train_max=8))[0]
        assert c.task_args == {"train_max": 8} and c.eval_difficulties == tuple(range(1, 11))
    else:
        with pytest.raises(ValueError, match="train_max other than 5 needs mannlib.tasks.mirror"):
            M.settings("quick", train_max=8)


def test_baseline_claim_without_baselines_is_not_testable():
    c = M.baseline_claim(acc_frame({"tann": [flat(1.0)], "sann": [flat(1.0)]}))
    assert (c.verdict, c.ours) == ("not testable", "not trained: SRNN, LSTM")


def test_texts_follow_the_lengths():
    acc = acc_frame({"srnn": [flat(0.0)], "lstm": [flat(0.0)], "tann": [flat(0.5)], "sann": [flat(0.4)]})
    lengths = (8, 9, 10)
    assert M.generalisation_claim(acc, "sann", lengths).claim == "SANN generalises beyond the training length 7"
    assert M.fit_text(acc, 3) == "median accuracy on lengths 1-3: SRNN 100.0%, LSTM 100.0%, TANN 100.0%, SANN 100.0%"
    assert "beyond length 7" in M.generalisation_lesson(acc, lengths)
    assert M.closest_seed(acc, lengths=lengths) == "TANN seed 0: 50.0% at length 8, 50.0% at 9, 50.0% at 10"
    assert M.models_text(["sann", "lstm"]) == "LSTM and SANN"
