"""mannlib.chapters.m10ae: runs, tables, verdicts and analysis helpers, on hand-made inputs."""
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from mannlib.engine.cache import run_id  # noqa: E402
from mannlib.chapters import m10ae as C  # noqa: E402
from mannlib.papers import wang  # noqa: E402
from mannlib.tasks.m10ae import M10AE, evaluate  # noqa: E402
from mannlib.engine.train import TrainingData, build  # noqa: E402

QUICK = C.settings("quick")


def acc_frame(scores: dict) -> pd.DataFrame:
    """{model: [(accuracy on #LPO 0-14, accuracy on 15-20) per seed]} -> accuracy_frame's layout."""
    return pd.DataFrame([{"model": m, "seed": s, "difficulty": d, "accuracy": inside if d <= 14 else beyond}
                         for m, seeds in scores.items() for s, (inside, beyond) in enumerate(seeds)
                         for d in range(21)])


# --- settings and runs ----------------------------------------------------------------------------
def test_paper_runs_are_what_reproduce_trains():
    s = C.settings("paper")
    grid, main, long = C.grid_configs(s), C.configs(s), C.long_configs(s)
    assert C.RUNS["m10ae"]() == grid + main + long
    assert len({run_id(c) for c in grid + main + long}) == 8 + 12 + 3 * 3
    same = {(c.model, c.seed): c for c in main}
    assert [(c.model, c.seed) for c in long] == [(m, seed) for m in C.LONG_MODELS for seed in (0, 1, 2)]
    for c in long:    # the main run of the same model and seed, only longer (and fewer curve points)
        assert (c.steps, c.eval_every) == (C.LONG_STEPS, C.LONG_EVAL_EVERY)
        assert c.replace(steps=C.STEPS, eval_every=C.EVAL_EVERY) == same[c.model, c.seed]
    assert sorted((c.lr, c.batch_size) for c in grid) == sorted((lr, b) for lr in (1e-3, 1e-4) for b in (32, 64, 128, 256))
    assert {c.steps * c.batch_size for c in grid} == {C.GRID_EXAMPLES}               # equal examples per setting
    assert {(c.model, c.seed, c.dev_n) for c in grid} == {("sann", 0, C.GRID_DEV_N)}
    assert [(c.model, c.seed) for c in main] == [(m, seed) for m in C.MODELS for seed in (0, 1, 2)]
    for c in main:
        assert (c.lr, c.batch_size, c.steps, c.train_examples) == (C.CHOSEN["lr"], C.CHOSEN["batch_size"], C.STEPS, 80_000)
        assert c.sizes["hidden"] == c.sizes["embed"] == 100                          # Wang §3.1
        assert c.sizes.get("cells") == (C.CELLS if c.model in C.MEMORY_MODELS else None)
    assert C.configs(C.settings("paper", steps=123))[0].steps == 123


def test_quick_settings_and_unknown_profile():
    quick = C.configs(QUICK)
    assert {c.profile for c in quick} == {"quick"} and {c.steps for c in quick} == {QUICK.steps}
    assert {c.eval_difficulties for c in quick} == {C.QUICK_LPO}
    assert [c.lr for c in C.grid_configs(QUICK)] == [quick[0].lr, 1e-4]        # the quick runs' setting is in it
    with pytest.raises(ValueError, match="choose one of paper, quick"):
        C.settings("fast")


def test_the_papers_numbers_are_the_tasks():
    assert (C.TRAIN_MAX, C.TEST_LPO[-1]) == (wang.M10AE_TRAIN_MAX_LPO, wang.M10AE_TEST_MAX_LPO)
    assert (M10AE.train_range[1], M10AE.test_range) == (C.TRAIN_MAX, (C.TEST_LPO[0], C.TEST_LPO[-1]))
    assert C.CELLS in wang.M10AE_CELLS and C.GRID == wang.GRID
    assert C.configs(C.settings("paper"))[0].train_examples == wang.M10AE_TRAIN_EXAMPLES


def test_chapter_contract():
    assert C.PAPER == "Wang et al. 2019 (§3.3, M10AE)"
    says = C.paper_says()
    assert says["policy"] == "P(PUSH) about 0 and about 3 pops at + and -"
    assert set(says) == {"generalise", "memory", "srnn", "converge", "gates", "stack", "generalise_long",
                         "srnn_long", "policy", "algorithm", "tsne"}


def test_budget_counts_epochs_of_the_fixed_set():
    c = C.configs(C.settings("paper", steps=2500))[0]
    assert C.budget(C.settings("paper", steps=2500), c) == {"steps": 2500, "batch_size": 32, "examples": 80_000,
                                                           "epochs": 1.0}


def fake_run(model, seed, lr=1e-3, batch=32, steps=100, dev=(0.1, 0.2), wall=10.0):
    config = SimpleNamespace(model=model, seed=seed, lr=lr, batch_size=batch, steps=steps, train_examples=80_000)
    return SimpleNamespace(config=config, curve=pd.DataFrame({"dev_acc": list(dev)}), manifest={"wall_s": wall})


def test_tuning_table_ranks_by_final_dev_accuracy():
    runs = [fake_run("sann", 0, 1e-3, 32, dev=(0.5, 0.3)), fake_run("sann", 0, 1e-4, 64, dev=(0.1, 0.4)),
            fake_run("sann", 0, 1e-3, 256, dev=(0.2, 0.4))]
    t = C.tuning_table(runs)
    assert list(zip(t["lr"], t["batch_size"])) == [(1e-4, 64), (1e-3, 256), (1e-3, 32)]   # a full tie keeps the given order
    assert t.iloc[2]["best_dev_acc"] == 0.5


def test_wall_times_per_model():
    runs = [fake_run("sann", s, steps=2000, wall=w) for s, w in enumerate((200.0, 400.0, 300.0))] + [fake_run("lstm", 0, steps=2000, wall=20.0)]
    t = C.wall_times(runs)
    assert list(t.index) == ["lstm", "sann"]
    assert t.loc["sann", "wall_s"] == 300.0 and t.loc["sann", "ms_per_step"] == 150.0
    assert t.loc["lstm", "epochs"] == pytest.approx(2000 * 32 / 80_000)


def eval_run(model, seed, steps, inside, beyond, train=(0.1, 0.2), wall=60.0):
    """A run whose curve has two points (train_acc ``train``) and whose evaluation scores
    ``inside`` on every #LPO 0-14 and ``beyond`` on 15-20."""
    config = SimpleNamespace(model=model, seed=seed, steps=steps, batch_size=32, train_examples=80_000)
    curve = pd.DataFrame({"step": [steps // 2, steps], "train_acc": list(train), "dev_acc": [0.1, 0.3]})
    ev = pd.DataFrame({"accuracy": [inside] * 15 + [beyond] * 6}, index=pd.Index(range(21), name="difficulty"))
    return SimpleNamespace(config=config, curve=curve, eval=ev, manifest={"wall_s": wall})


def test_longer_training_pairs_each_long_run_with_its_main_run():
    runs = [eval_run("sann", 0, 1500, 0.12, 0.10), eval_run("sann", 1, 1500, 0.5, 0.5), eval_run("lstm", 0, 1500, 0.13, 0.1)]
    long = [eval_run("sann", 0, 12000, 0.40, 0.15, train=(0.3, 0.45), wall=3600.0)]
    t = C.longer_training(long, runs)
    assert list(t.index) == [("sann", "main", 0), ("sann", "long", 0)]
    assert t.loc[("sann", "long", 0), "epochs"] == pytest.approx(12000 * 32 / 80_000)
    assert t.loc[("sann", "long", 0), "train_acc"] == 0.45                # the last 10% of updates: the last point
    assert t.loc[("sann", "main", 0), "#LPO 0-14"] == pytest.approx(0.12)
    assert t.loc[("sann", "long", 0), "#LPO 15-20"] == pytest.approx(0.15) and t.loc[("sann", "long", 0), "wall_min"] == 60.0
    text = C.longer_text(t, eval_n=500)
    assert text["gains"] == "SANN +28.0 points on #LPO 0-14 and +5.0 on 15-20"
    p = (0.40 + 0.12) / 2
    assert text["noise"] == pytest.approx(200 * np.sqrt(2 * p * (1 - p) / 7500)) and text["helps"]
    flat = C.longer_training([eval_run("sann", 0, 12000, 0.125, 0.1)], runs)
    assert not C.longer_text(flat, eval_n=500)["helps"]                  # half a point is within the noise


def test_longer_summary_is_the_median_over_seeds_in_paper_order():
    runs = [eval_run(m, s, 1500, 0.1 + s / 100, 0.1) for m in ("sann", "lstm") for s in range(3)]
    long = [eval_run(m, s, 12000, a, 0.1) for m, s, a in
            [("sann", 0, 0.2), ("sann", 1, 0.6), ("sann", 2, 0.3), ("lstm", 0, 0.5), ("lstm", 1, 0.7)]]
    summary = C.longer_summary(C.longer_training(long, runs))
    assert list(summary.index) == [("lstm", "main"), ("lstm", "long"), ("sann", "main"), ("sann", "long")]
    assert summary.loc[("sann", "long"), "#LPO 0-14"] == pytest.approx(0.3) and summary.loc[("sann", "long"), "seeds"] == 3
    assert summary.loc[("lstm", "main"), "#LPO 0-14"] == pytest.approx(0.105) and summary.loc[("lstm", "long"), "seeds"] == 2
    assert C.longer_text(C.longer_training(long, runs), 500)["gains"].startswith("LSTM +49.5 points")


# --- data -------------------------------------------------------------------------------------------
def test_datasets_are_the_trainers_sets():
    config = C.configs(QUICK)[0]
    train, test = C.datasets(config)
    fixed = TrainingData(M10AE(), config).fixed
    assert [e.input for e in train] == [e.input for e in fixed] and len(train) == config.train_examples
    assert len(test) == config.eval_n * len(C.QUICK_LPO)
    assert sorted({e.difficulty for e in test}) == list(C.QUICK_LPO)


def test_describe_frame_fractions():
    ex = [SimpleNamespace(input=list("8+6*3"), target=["6"]), SimpleNamespace(input=list("1"), target=["1"])]
    df = C.describe_frame(a=ex)
    assert df.groupby("quantity")["fraction"].sum().to_dict() == pytest.approx(
        {"label": 1, "lpo": 1, "term_numerals": 1, "tokens": 1})
    lpo = df[df["quantity"] == "lpo"].set_index("value")["count"].to_dict()
    assert lpo == {0: 1, 1: 1}
    terms = df[df["quantity"] == "term_numerals"].set_index("value")["count"].to_dict()
    assert terms == {1: 2, 2: 1}                                     # "8", "6*3", "1"


# --- Fig. 5 verdicts ----------------------------------------------------------------------------------
def test_lpo_scores_and_range_table():
    acc = acc_frame({"sann": [(1.0, 0.9), (1.0, 0.5), (1.0, 0.7)], "lstm": [(0.8, 0.1)] * 3})
    s = C.lpo_scores(acc)
    assert list(s.index) == ["lstm", "sann"]
    assert s.loc["sann"].tolist() == pytest.approx([0.7, 0.5, 0.9])
    t = C.range_table(acc)
    assert t.loc["sann", "#LPO 15-20"] == "70.0% (50-90)" and t.loc["lstm", "#LPO 0-14"] == "80.0% (80-80)"


def four(sann, tann=((0.5, 0.2),) * 3, lstm=((0.5, 0.2),) * 3, srnn=((0.2, 0.1),) * 3):
    return acc_frame({"srnn": list(srnn), "lstm": list(lstm), "tann": list(tann), "sann": list(sann)})


@pytest.mark.parametrize("sann,expected", [
    ([(1.0, 0.95), (1.0, 0.92), (1.0, 0.5)], "reproduced"),      # median 0.92, the best model
    ([(1.0, 0.6), (1.0, 0.5), (1.0, 0.4)], "partly"),            # best, every seed above the others' 0.2
    ([(1.0, 0.6), (1.0, 0.5), (1.0, 0.15)], "not reproduced"),    # best median, but one seed below LSTM's
])
def test_generalisation_claim(sann, expected):
    assert C.generalisation_claim(four(sann)).verdict == expected


@pytest.mark.parametrize("tann,expected", [
    (((0.6, 0.3),) * 3, "reproduced"),     # TANN and SANN above both baselines (mean over 0-20)
    (((0.4, 0.1),) * 3, "partly"),         # only SANN
    (((0.51, 0.21),) * 3, "partly"),       # TANN 1.0 points above LSTM: within the noise (1.4 points)
])
def test_memory_claim(tann, expected):
    assert C.memory_claim(four([(0.9, 0.5)] * 3, tann=tann)).verdict == expected
    assert C.memory_claim(four([(0.1, 0.1)] * 3, tann=((0.1, 0.1),) * 3)).verdict == "not reproduced"


def test_noise_is_two_standard_errors_of_a_difference():
    # p = 0.5, n = 10,000: se of one accuracy 0.005, of a difference 0.00707, two of them 0.01414
    assert C.noise(0.5, 10_000) == pytest.approx(0.014142, abs=1e-6)


@pytest.mark.parametrize("srnn,expected", [
    (((0.2, 0.1),) * 3, "reproduced"),                     # 24.3 points below, every seed
    (((0.45, 0.15), (0.2, 0.1), (0.6, 0.3)), "partly"),     # 5 points below, but seed 2 above every LSTM seed
    (((0.49, 0.2),) * 3, "not reproduced"),                 # 0.7 points below: within the noise
    (((0.6, 0.3),) * 3, "not reproduced"),
])
def test_srnn_claim(srnn, expected):
    assert C.srnn_claim(four([(0.9, 0.5)] * 3, srnn=srnn)).verdict == expected


def test_convergence_claim_from_the_last_quarter():
    steps = [100, 200, 300, 400]
    rows = [("sann", 0, st, a) for st, a in zip(steps, [0.1, 0.2, 0.3, 0.35])] + \
           [("lstm", 0, st, a) for st, a in zip(steps, [0.1, 0.5, 0.6, 0.61])]
    curves = pd.DataFrame(rows, columns=["model", "seed", "step", "train_acc"])
    gain = C.late_gain(curves)                              # last point minus the point at step 300
    assert gain.to_dict() == pytest.approx({"lstm": 0.01, "sann": 0.05})
    # SANN still rises over its last quarter: not testable (tests/test_m10ae_convergence.py has the rest)
    assert C.convergence_claim(curves, epochs=1.0).verdict == C.NOT_TESTED
    assert C.convergence_claim(curves[curves["model"] == "lstm"], epochs=1.0).verdict == "not reproduced"


# --- Fig. 6-7 verdicts --------------------------------------------------------------------------------
def sat_frame(peaks: dict) -> pd.DataFrame:
    """{gate: (ratio at L steps, ratio elsewhere)} -> saturation()'s layout, all on side 'right'."""
    rows = []
    for gate, (low, other) in peaks.items():
        for t, cat in enumerate(C.CATEGORIES):
            rows += [(t, gate, "right", low if cat == "L" else other), (t, gate, "left", 0.0)]
    return pd.DataFrame(rows, columns=["step", "gate", "side", "ratio"])


def test_gate_claim():
    assert C.gate_claim(sat_frame({"input": (0.5, 0.1), "forget": (0.3, 0.2)})).verdict == "reproduced"
    assert C.gate_claim(sat_frame({"input": (0.5, 0.1), "forget": (0.2, 0.2)})).verdict == "partly"
    assert C.gate_claim(sat_frame({"input": (0.0, 0.1)})).verdict == "not reproduced"


def policy_analysis(push_low, pops_low, push_other=0.8, pops_other=0.5):
    low = np.array(C.CATEGORIES) == "L"
    push = np.where(low, push_low, push_other)[None].repeat(4, 0)     # (B=4, T=9)
    pops = np.where(low, pops_low, pops_other)[None].repeat(4, 0)
    return SimpleNamespace(trace={"p_push": push, "pops": pops})


def test_policy_claim():
    assert C.policy_claim(policy_analysis(0.05, 2.8)).verdict == "reproduced"
    assert C.policy_claim(policy_analysis(0.3, 1.0)).verdict == "not reproduced"     # lowest, but not near 0
    assert C.policy_claim(policy_analysis(0.99, 2.6)).verdict == "partly"            # the pops half only
    assert C.policy_claim(policy_analysis(0.05, 1.0)).verdict == "partly"            # the push half only


def test_hypothesis_policy_by_hand():
    """N0 push; L0 pop 1; N1 push; H0 push; N2 pop 2 then push; H1 push; N3 pop 2, push; L1 pop 1; N4 push."""
    h = C.hypothesis_policy()
    assert h["p_push"] == [1, 0, 1, 1, 1, 1, 1, 0, 1]
    assert h["pops"] == [0, 1, 0, 0, 2, 0, 2, 1, 0]


def norms_frame(top, second):
    return pd.DataFrame({"cell 0": top, "cell 1": second}, index=C.STEP_NAMES)


def test_stack_claim():
    #           N0   L0   N1   H0   N2   H1   N3   L1   N4
    top = [1.0, 0.1, 1.0, 1.0, 1.0, 1.0, 1.0, 0.2, 1.0]
    second = [0.0, 0.0, 0.1, 0.5, 0.1, 0.4, 0.1, 0.0, 0.1]
    assert C.stack_claim(norms_frame(top, second)).verdict == "reproduced"
    assert C.stack_claim(norms_frame([1.0] * 9, second)).verdict == "partly"          # never emptied
    assert C.stack_claim(norms_frame([1.0] * 9, [0.3] * 9)).verdict == "not reproduced"


# --- the algorithm and Fig. 9 ---------------------------------------------------------------------------
def test_left_to_right_ignores_priority():
    assert C.left_to_right("8+6*3") == 2          # (8+6)*3 = 42 -> 2, not 8+18 -> 6
    assert C.left_to_right("8+6*3/2-4") == 6      # 14 -> 4, *3 -> 2, %2 -> 0, -4 -> 6; the value is 4
    assert evaluate("8+6*3/2-4") == 4


def test_algorithm_check_and_claim():
    task = M10AE()
    examples = [task.sample_one(np.random.default_rng(i), i % 4) for i in range(40)]
    check = C.algorithm_check(examples)
    assert check["n"].sum() == 40 and (check["result_ok"] == check["n"]).all() and (check["prefix_ok"] == check["n"]).all()
    assert check["max_stack"].max() <= 2
    assert C.algorithm_claim(check).verdict == "reproduced"
    bad = check.assign(result_ok=check["n"] - 1)
    assert C.algorithm_claim(bad).verdict == "not reproduced"        # 4 of 40 wrong: below 99%


def test_check_set_is_fixed():
    a, b = C.check_set(3), C.check_set(3)
    assert [e.input for e in a] == [e.input for e in b] and len(a) == 3 * 21


def test_figure9_specs_and_labels():
    specs = C.figure9_specs()
    assert [s.title() for s in specs] == ["(N2, 0); N0L0N1H0N2", "(N4, 0); N0L0N1H0N2H1N3L1N4",
                                          "(N4, 0); N0L0N1H0N2H1N3L1N4 left to right (wrong)"]
    a = SimpleNamespace(tokens=[list("8+6*3/2-4"), list("1-2/3*4+5")], trace={"memory": np.zeros((2, 9, 5, 3))})
    # after N2: 8+6*3 = 8+8 -> 6 and 1-2%3 = 1-2 -> 9; the values: 4 and 1-(2%3)*4+5 = 1-8+5 -> 8
    assert C.panel_labels(a, specs[0]).tolist() == [6, 9]
    assert C.panel_labels(a, specs[1]).tolist() == [4, 8] and evaluate("1-2/3*4+5") == 8
    assert C.panel_labels(a, specs[2]).tolist() == [6, 5]     # 1-2 -> 9, %3 -> 0, *4 -> 0, +5 -> 5
    combo = C.PanelSpec(5, 0, "", "stack", True)                            # after H1: the pushed (l1, op)
    assert C.panel_labels(a, combo).tolist() == ["8/", "2*"]
    with pytest.raises(ValueError, match="nothing in cell 1"):
        C.panel_labels(a, C.PanelSpec(1, 1, "", "stack", True))


def panel(score, shuffled=0.1, chance=0.1):
    return SimpleNamespace(score=score, shuffled_score=shuffled, chance=chance)


@pytest.mark.parametrize("scores,expected", [
    ((0.95, 0.92, 0.4), "reproduced"),
    ((0.95, 0.92, 0.8), "partly"),         # the negative is not clearly below the positive on its cell
    ((0.5, 0.45, 0.1), "partly"),
    ((0.95, 0.3, 0.1), "not reproduced"),
])
def test_tsne_claim(scores, expected):
    specs = C.figure9_specs()
    panels = {s.title(): panel(v) for s, v in zip(specs, scores)}
    assert C.tsne_claim(specs, panels).verdict == expected


def test_analyse_an_untrained_sann():
    config = C.configs(QUICK)[-1]
    _, model = build(config)
    run = SimpleNamespace(id="x", model=model.eval(), task=M10AE())
    a = C.analyse(run, C.settings("quick"))
    B, N = QUICK.analysis_n, config.sizes["cells"]
    assert a.trace["memory"].shape[:3] == (B, 9, N) and a.trace["p_push"].shape == (B, 9)
    assert 0 <= a.accuracy <= 1 and len(a.tokens) == B
    norms = C.memory_norms(a)
    assert list(norms.index) == C.STEP_NAMES and norms["depth"].tolist() == [1, 0, 1, 2, 1, 2, 1, 0, 1]
    assert list(C.by_category(a).index) == ["N", "L", "H"]
    sat = C.gate_saturation(a)
    assert set(sat["gate"]) == {"input", "forget", "output"} and set(sat["symbol"]) == set(C.STEP_NAMES)
    agree = C.agreement(a)
    assert set(zip(agree["symbol"], agree["cell"])) == {(n, 0) for n in C.STEP_NAMES if n[0] != "L"} | {("H0", 1), ("H1", 1)}


def test_best_seed_beyond_the_training_range():
    def run(seed, inside, beyond):
        ev = pd.DataFrame({"accuracy": [inside] * 15 + [beyond] * 6}, index=range(21)).assign(fine=lambda d: d["accuracy"])
        return SimpleNamespace(config=SimpleNamespace(model="sann", seed=seed), eval=ev)
    runs = [run(0, 0.9, 0.3), run(1, 0.5, 0.4), run(2, 0.6, 0.4)]
    assert C.best_seed(runs).config.seed == 2                       # best on 15-20, then on 0-14
    with pytest.raises(ValueError, match="no run of 'tann'"):
        C.best_seed(runs, "tann")


def test_grid_choice_needs_two_standard_errors():
    runs = [fake_run("sann", 0, 1e-4, 256, dev=(0.2, 0.14)), fake_run("sann", 0, 1e-3, 32, dev=(0.1, 0.12))]
    g = C.grid_choice(C.tuning_table(runs), n_dev=1500, chosen={"lr": 1e-3, "batch_size": 32})
    # pooled p = 0.13: se = sqrt(2 * 0.13 * 0.87 / 1500) = 0.01228; gap 0.02 < 2 se
    assert (g["best_lr"], g["best_batch"]) == (1e-4, 256) and g["gap"] == pytest.approx(0.02)
    assert g["se"] == pytest.approx(0.012282, abs=1e-5) and not g["decided"]
    assert C.grid_choice(C.tuning_table(runs), n_dev=10_000, chosen={"lr": 1e-3, "batch_size": 32})["decided"]
    with pytest.raises(ValueError, match="not in the grid"):
        C.grid_choice(C.tuning_table(runs), n_dev=10, chosen={"lr": 1.0, "batch_size": 1})


def test_last_numeral_baseline_by_hand():
    ex = lambda text: SimpleNamespace(input=list(text), target=[str(evaluate(text))])  # noqa: E731
    train = [ex("3"), ex("2*3"), ex("1*3"), ex("5")]     # last 3 -> results 3, 6, 3: guess 3; last 5 -> 5
    test = [ex("3"), ex("4*3"), ex("1+5"), ex("5")]      # #LPO 0: right, wrong (2), right; #LPO 1: 6 != 5
    got = C.last_numeral_baseline(train, test)
    assert got.to_dict() == {0: pytest.approx(2 / 3), 1: 0.0}


def test_longer_claims_test_fig5a_without_tann():
    acc = acc_frame({"srnn": [(0.12, 0.1)] * 3, "lstm": [(0.3, 0.2), (0.28, 0.2), (0.3, 0.19)], "sann": [(0.25, 0.17)] * 3})
    generalise, srnn = C.longer_claims(acc, 500)
    assert (generalise.key, srnn.key) == ("generalise_long", "srnn_long")
    assert generalise.claim.endswith(f"({C.LONG_STEPS:,} updates)") and generalise.verdict == "not reproduced"
    assert "SANN 17.0%" in generalise.ours and "TANN" not in generalise.ours
    assert srnn.verdict == "reproduced"                       # 27.1% against 11.4%: >= 10 points, every seed
    with pytest.raises(ValueError, match="missing sann"):
        C.longer_claims(acc[acc["model"] != "sann"], 500)


# --- the notebook's parameters (issue 17) ---------------------------------------------------------
def test_parameters_change_only_what_they_name():
    s = C.settings("paper", cells=10, width=50, hidden=64, lr=1e-4, batch_size=128, seeds=[3])
    default = {(c.model, c.seed): c for c in C.configs(C.settings("paper", seeds=[3]))}
    for c in C.configs(s):
        sizes = {"hidden": 64, **({"cells": 10, "width": 50} if c.model in C.MEMORY_MODELS else {})}
        assert c == default[c.model, c.seed].replace(lr=1e-4, batch_size=128,
                                                     **{f"sizes.{k}": v for k, v in sizes.items()})
    long = C.long_configs(s)
    assert {(c.lr, c.batch_size, c.steps, c.seed) for c in long} == {(1e-4, 128, C.LONG_STEPS, 3)}
    grid = C.grid_configs(s)                          # the grid keeps its axes and takes the sizes
    assert sorted((c.lr, c.batch_size) for c in grid) == sorted((lr, b) for lr in (1e-3, 1e-4) for b in (32, 64, 128, 256))
    assert {(c.sizes["cells"], c.sizes["width"], c.sizes["hidden"]) for c in grid} == {(10, 50, 64)}
    runs = C.RUNS["m10ae"](cells=10, width=50, hidden=64, lr=1e-4, batch_size=128, seeds=[3])
    assert runs == grid + C.configs(s) + long
    assert C.settings("quick", seeds=4).seeds == (0, 1, 2, 3)


def test_default_parameters_are_the_committed_runs():
    assert [c.to_json() for c in C.RUNS["m10ae"]()] == [c.to_json() for c in C.paper_configs()]
    assert C.RUNS["m10ae"](seeds=3, steps=C.STEPS) == C.paper_configs()


@pytest.mark.parametrize("knobs, message", [
    (dict(seeds=[]), "seeds must be a positive number"),
    (dict(cells=0), "cells must be a positive integer"),
    (dict(batch_size=32.0), "batch_size must be a positive integer"),
    (dict(lr=-1e-3), "lr must be a positive number"),
    (dict(steps=0), "steps must be a positive integer"),
    (dict(train_max=20), "train_max must be an integer #LPO 0-19"),
])
def test_bad_parameters_name_what_is_allowed(knobs, message):
    with pytest.raises(ValueError, match=message):
        C.settings("paper", **knobs)


def test_lpo_ranges_follow_train_max():
    assert C.lpo_ranges() == (tuple(range(15)), tuple(range(15, 21))) and C.TEST_LPO == C.lpo_ranges()[1]
    assert C.lpo_ranges(10) == (tuple(range(11)), tuple(range(11, 21)))
    assert C.lpo_ranges(19) == (tuple(range(20)), (20,)) and C.lpo_ranges(0)[0] == (0,)
    assert (C.span(range(11, 21)), C.span((20,)), C.span(range(15))) == ("11-20", "20", "0-14")
    assert C.quick_lpo() == C.QUICK_LPO == (0, 7, 14, 15, 20)
    assert (C.quick_lpo(10), C.quick_lpo(0), C.quick_lpo(19)) == ((0, 5, 10, 11, 20), (0, 1, 20), (0, 9, 19, 20))
    s = C.settings("quick", train_max=10)
    assert (s.train_lpo, s.test_lpo) == C.lpo_ranges(10)


def test_train_max_is_a_task_argument_of_every_run():
    from mannlib.engine.config import check_trainable
    for profile, evals in (("paper", None), ("quick", (0, 5, 10, 11, 20))):
        s = C.settings(profile, train_max=10)
        default = {(c.model, c.seed, c.steps, c.lr, c.batch_size): c for c in C.RUNS["m10ae"]()}
        runs = C.grid_configs(s) + C.configs(s) + C.long_configs(s)
        assert {tuple(c.task_args.items()) for c in runs} == {(("train_max", 10),)}
        assert {c.eval_difficulties for c in C.configs(s) + C.long_configs(s)} == {evals}
        for c in runs:
            check_trainable(c)
            assert M10AE(**c.task_args).difficulties("train") == list(range(11))   # dev set and training: #LPO 0-10
            if profile == "paper":                                       # everything else as the committed run
                assert c.replace(task_args={}) == default[c.model, c.seed, c.steps, c.lr, c.batch_size]
    assert C.RUNS["m10ae"](train_max=10) == C.grid_configs(C.settings("paper", train_max=10)) + \
        C.configs(C.settings("paper", train_max=10)) + C.long_configs(C.settings("paper", train_max=10))
    assert all(c.task_args == {} for c in C.RUNS["m10ae"](train_max=14))   # the paper's 14: the committed ids


def test_models_subset_trains_and_compares_only_those():
    s = C.settings("paper", models=["lstm", "sann"])
    assert s.models == ("lstm", "sann")
    assert [(c.model, c.seed) for c in C.configs(s)] == [(m, seed) for m in ("lstm", "sann") for seed in (0, 1, 2)]
    assert [c.model for c in C.long_configs(s)] == ["lstm"] * 3 + ["sann"] * 3
    assert C.grid_configs(s) == C.grid_configs(C.settings("paper"))          # the SANN grid, unchanged
    committed = {c.to_json() for c in C.paper_configs()}
    runs = C.RUNS["m10ae"](models=["sann", "lstm"])
    assert len(runs) == 8 + 6 + 6 and all(c.to_json() in committed for c in runs)   # a subset of the committed runs
    assert C.settings("quick", models="sann").models == ("sann",)


@pytest.mark.parametrize("models, message", [
    (["lstm", "tann"], "models must include sann .*; choose from srnn, lstm, tann, sann"),
    (["sann", "gru"], "unknown model 'gru'; choose from srnn, lstm, tann, sann"),
    ([], "no models given; choose from srnn, lstm, tann, sann"),
])
def test_bad_models_name_what_is_allowed(models, message):
    with pytest.raises(ValueError, match=message):
        C.settings("quick", models=models)


def test_claims_that_need_a_missing_model_are_not_testable():
    acc = four([(1.0, 0.95)] * 3)
    pair = acc[acc["model"].isin(["lstm", "sann"])]
    got = {c.key: (c.verdict, c.ours) for c in (C.generalisation_claim(pair), C.memory_claim(pair), C.srnn_claim(pair))}
    assert got == {"generalise": (C.NOT_TESTED, "not trained: SRNN, TANN"),
                   "memory": (C.NOT_TESTED, "not trained: SRNN, TANN"), "srnn": (C.NOT_TESTED, "not trained: SRNN")}
    assert C.generalisation_claim(pair, models=("lstm", "sann")).verdict == "reproduced"   # against those trained
    generalise, srnn = C.longer_claims(pair, 500)
    assert (generalise.verdict, generalise.ours, srnn.ours) == (C.NOT_TESTED, "not trained: SRNN", "not trained: SRNN")


def test_tables_and_claims_follow_train_max():
    # LSTM right up to #LPO 14, then 20%; SANN right up to 10, then 95%
    acc = pd.DataFrame([{"model": m, "seed": 0, "difficulty": d, "accuracy": 1.0 if d <= last else beyond}
                        for m, last, beyond in (("lstm", 14, 0.2), ("sann", 10, 0.95)) for d in range(21)])
    t = C.range_table(acc, train_max=10)
    assert list(t.columns) == ["#LPO 0-10", "#LPO 11-20", "#LPO 20"]
    assert t.loc["sann"].tolist() == ["100.0% (100-100)", "95.0% (95-95)", "95.0% (95-95)"]
    assert t.loc["lstm"].tolist() == ["100.0% (100-100)", "52.0% (52-52)", "20.0% (20-20)"]   # (4 + 6 x 0.2) / 10
    assert list(C.range_table(acc).columns) == ["#LPO 0-14", "#LPO 15-20", "#LPO 20"]
    c = C.generalisation_claim(acc, models=("lstm", "sann"), train_max=10)
    assert c.claim == "Only SANN generalises beyond #LPO 10" and "SANN >= 90% at #LPO 11-20" in c.criterion
    assert c.ours.startswith("mean accuracy at #LPO 11-20, median over seeds: LSTM 52.0%, SANN 95.0%")
    default = C.generalisation_claim(acc, models=("lstm", "sann"))
    assert default.claim == "Only SANN generalises beyond #LPO 14"
    assert default.ours.startswith("mean accuracy at #LPO 15-20, median over seeds: LSTM 20.0%, SANN 95.0%")
