"""mannlib.chapters.wang_protocol and the successive halving of mannlib.engine.sweep: Wang §3.1's
grid per task and model, the development sets of both protocols, halving on made-up scores, the
driver end to end on the quick profile in a scratch cache, and the committed runs left alone."""
import itertools
import math

import pandas as pd
import pytest

from mannlib.chapters import m10ae as C, mirror as M, wang_protocol as W
from mannlib.engine import cache, sweep
from mannlib.engine.cache import MANIFEST, load_run, run_id, run_path
from mannlib.engine.config import profile_config
from mannlib.engine.paths import DATA
from mannlib.engine.train import TrainingDiverged
from mannlib.papers import wang
from mannlib.tasks import get_task

GRID = list(itertools.product(wang.LEARNING_RATES, wang.BATCH_SIZES))   # lr outer, batch inner


@pytest.fixture
def runs(tmp_path, monkeypatch):
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("MANNLIB_PROGRESS", "none")
    return tmp_path / "runs"


def committed(configs) -> bool:
    return all((DATA / "runs" / run_id(c) / MANIFEST).exists() for c in configs)


# --- the grid and the development sets ------------------------------------------------------------
@pytest.mark.parametrize("model", ["srnn", "lstm", "tann", "sann"])
def test_mirror_grid_is_lr_times_batch_at_the_paper_sizes(model):
    cells = W.cells("mirror", model)
    assert [(c.lr, c.batch_size) for c in cells] == GRID
    assert {c.sizes.get("cells") for c in cells} == ({20} if model in ("tann", "sann") else {None})
    for c in cells:
        assert (c.task, c.model, c.seed, c.profile, c.train_examples) == ("mirror", model, 0, "paper", None)
        assert (c.eval_every, c.steps, c.patience, c.keep_best, c.checkpoint_every) == (500, 50_000, 10, True, 2_000)
        assert (c.dev_difficulties, c.dev_n) == (tuple(range(1, 11)), 200)
        assert c.eval_difficulties is None and c.eval_n == 500


@pytest.mark.parametrize("model", ["srnn", "lstm", "tann", "sann"])
def test_m10ae_grid_adds_the_cells_of_the_memory_models_and_counts_epochs(model):
    cells = W.cells("m10ae", model)
    if model in ("tann", "sann"):
        assert [(c.lr, c.batch_size, c.sizes["cells"]) for c in cells] == [
            (lr, b, n) for lr, b in GRID for n in (5, 10, 20)]
    else:
        assert [(c.lr, c.batch_size) for c in cells] == GRID and all("cells" not in c.sizes for c in cells)
    every = {32: 2_500, 64: 1_250, 128: 625, 256: 312}     # one epoch of the fixed 80k set (256: 312.5 -> 312)
    for c in cells:
        assert c.train_examples == 80_000 and c.eval_every == every[c.batch_size]
        assert c.steps == 100 * c.eval_every and c.checkpoint_every == c.eval_every
        assert c.patience == 10 and c.keep_best and c.seed == 0
    assert len({run_id(c) for c in cells}) == len(cells)


@pytest.mark.parametrize("task,protocol,difficulties,n", [
    ("m10ae", "paper", tuple(range(0, 21)), 952), ("m10ae", "strict", tuple(range(0, 15)), 952),   # shared: the paper set's #LPO 0-14
    ("mirror", "paper", tuple(range(1, 11)), 200), ("mirror", "strict", tuple(range(1, 6)), 400)])
def test_dev_sets_span_the_test_range_or_stay_in_the_training_range(task, protocol, difficulties, n):
    assert W.dev_set(task, protocol) == (difficulties, n)
    t = get_task(task)
    assert difficulties[0] == t.train_range[0]
    assert difficulties[-1] == (t.test_range[1] if protocol == "paper" else t.train_range[1])
    total = {"m10ae": 20_000, "mirror": 2_000}[task]
    whole = 21 if task == "m10ae" else len(difficulties)   # M10AE strict: the lower part of the paper's set
    assert total - whole < n * whole <= total       # e.g. 952 x 21 = 19,992
    for c in W.cells(task, "sann", protocol):
        if task == "m10ae":   # shared runs: the paper's set, strict its #LPO 0-14 (a second criterion)
            assert (c.dev_difficulties, c.dev_n, c.dev_within) == (tuple(range(0, 21)), n, 14)
        else:
            assert (c.dev_difficulties, c.dev_n, c.dev_within) == (difficulties, n, None)
        assert t.difficulties("test") == list(range(t.train_range[0], t.test_range[1] + 1))   # the final test


def test_the_two_protocols_differ_only_in_the_development_set():
    for p, s in zip(W.cells("mirror", "tann", "paper"), W.cells("mirror", "tann", "strict")):
        a, b = p.to_dict(), s.to_dict()
        assert {k for k in a if a[k] != b[k]} == {"dev_difficulties", "dev_n"}
    assert W.cells("m10ae", "tann", "paper") == W.cells("m10ae", "tann", "strict")   # M10AE: the same runs


def test_m10ae_protocols_share_their_runs_and_strict_reads_the_second_criterion(runs):
    quiet = dict(profile="quick", jobs=1, models=("lstm",), out=lambda s: None)
    assert W.reproduce("m10ae", "paper", **quiet) == 0
    trained = {p.name for p in runs.iterdir()}
    assert W.reproduce("m10ae", "strict", **quiet) == 0
    (paper,), (strict,) = W.states("m10ae", "paper", "quick", ("lstm",)), W.states("m10ae", "strict", "quick", ("lstm",))
    rung0 = [load_run(run_id(c)) for c in strict.rungs[0].configs]
    assert {r.id for r in rung0} <= trained                             # strict's first rung: the paper's runs
    for run, score in zip(rung0, strict.rungs[0].scores):
        assert score == sweep.dev_score(run.curve, within=True, until=run.within["summary"]["steps"])
    for run, score in zip(rung0, paper.rungs[0].scores):
        assert score == sweep.dev_score(run.curve, until=run.summary["steps"])
    strict_only = {p.name for p in runs.iterdir()} - trained            # trained only where the choices differ
    assert strict_only <= {run_id(c) for r in strict.rungs[1:] for c in r.configs} | {run_id(c) for c in strict.final}
    final = load_run(run_id(strict.final[1]))
    assert W.result(final, "strict") == (final.within["eval"], final.within["summary"])
    assert W.result(final, "paper") == (final.eval, final.summary)


def test_bad_protocol_task_or_model_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="choose one of paper, strict"):
        W.cells("mirror", "sann", "lenient")
    with pytest.raises(ValueError, match="tasks: mirror, m10ae"):
        W.cells("copy", "sann")
    with pytest.raises(ValueError, match="choose from srnn, lstm, tann, sann"):
        W.cells("mirror", "lantm-invnorm")


def test_no_committed_config_changed_and_the_protocol_gets_new_ids():
    mirror, m10ae = M.RUNS["mirror"](), C.RUNS["m10ae"]()
    assert len(mirror) == 12 and len(m10ae) == 29
    assert committed(mirror) and committed(m10ae)            # every id still names its committed run
    new = {run_id(c) for task in ("mirror", "m10ae") for m in W.MODELS for p in W.PROTOCOLS
           for c in W.cells(task, m, p)}
    assert not new & {run_id(c) for c in mirror + m10ae}


# --- successive halving on made-up scores -----------------------------------------------------------
def test_keep_count_is_a_third_rounded_up():
    assert [sweep.keep_count(n, 3) for n in (24, 8, 4, 3, 2, 1)] == [8, 3, 2, 1, 1, 1]
    assert sweep.keep_count(8, 2) == 4
    with pytest.raises(ValueError, match="eta >= 2"):
        sweep.keep_count(8, 1)


def test_survivors_are_the_best_first_and_ties_go_to_the_earlier_cell():
    assert sweep.survivors([(0.5,), (0.7,), (0.5,), (0.9,)], 2) == [3, 1]
    assert sweep.survivors([(0.5, 0.1), (0.5, 0.2), (0.5, 0.2)], 2) == [1, 2]
    assert sweep.survivors([(0.5,)] * 3, 2) == [0, 1]
    assert sweep.survivors([(-math.inf,), (0.0,)], 1) == [1]                 # a failed run ranks last
    with pytest.raises(ValueError, match="needs a score"):
        sweep.survivors([(0.5,), None], 1)


def test_dev_score_is_the_keep_best_point_and_how_soon_it_came():
    curve = pd.DataFrame({"dev_acc": [0.2, 0.4, 0.4, 0.4], "dev_fine": [0.5, 0.6, 0.6, 0.55]})
    assert sweep.dev_score(curve) == (0.4, 0.6, -1)


def fake_cells(n):
    base = profile_config("mirror", "lstm", "quick", 0, eval_every=10)
    return [base.replace(lr=(i + 1) / 1000) for i in range(n)]


def halve(scores_by_rung, n=9):
    """halving on 9 cells whose run at rung k (steps 10 * (k + 1)) scores scores_by_rung[k][cell]."""
    cells = fake_cells(n)
    budgets = [lambda c, k=k: c.replace(steps=10 * (k + 1)) for k in range(len(scores_by_rung))]

    def score(c):
        row = scores_by_rung[c.steps // 10 - 1]
        cell = round(c.lr * 1000) - 1
        return None if row is None or row[cell] is None else (row[cell],)
    return sweep.halving(cells, budgets, score, eta=3)


def test_halving_passes_a_third_on_and_ranks_ties_by_the_rung_before():
    rung0 = [0.1, 0.9, 0.3, 0.8, 0.3, 0.2, 0.85, 0.0, 0.5]
    rung1 = {1: 0.6, 3: 0.95, 6: 0.95}              # cells 3 and 6 tie: 6 was ranked higher at rung 0
    scores = [rung0, [rung1.get(i) for i in range(9)], [0.5 if i == 6 else None for i in range(9)]]
    rungs = halve(scores)
    assert [r.cells for r in rungs] == [list(range(9)), [1, 6, 3], [6]]
    assert [r.keep for r in rungs] == [[1, 6, 3], [6], [6]]
    assert [c.steps for c in rungs[1].configs] == [20, 20, 20] and rungs[2].configs[0].steps == 30
    assert rungs == halve(scores)                   # deterministic


def test_halving_stops_at_the_first_undecided_rung():
    rung0 = [0.1, 0.9, None, 0.8, 0.3, 0.2, 0.7, 0.0, 0.5]
    rungs = halve([rung0, [1.0] * 9, [1.0] * 9])
    assert len(rungs) == 1 and rungs[0].keep is None and rungs[0].scores[2] is None
    all_tied = halve([[0.5] * 9, [0.5] * 9])
    assert [r.keep for r in all_tied] == [[0, 1, 2], [0]]


# --- the driver --------------------------------------------------------------------------------------
MODELS = ("lstm", "sann")


def test_dry_run_prices_the_first_rung_bounds_the_rest_and_trains_nothing(runs):
    lines = []
    assert W.reproduce("mirror", "paper", profile="quick", dry_run=True, models=MODELS, out=lines.append) == 0
    text = "\n".join(lines)
    assert "dev set 4 per difficulty 1-10 (40 examples)" in text
    assert text.count("CPU-min") == 8 and text.count("not determined yet") == 6
    assert "at most 2 runs" in text and "at most 1 runs" in text and "CPU-h not yet determined" in text
    assert not runs.exists() or not any(runs.iterdir())
    df = W.plan_frame("mirror", "paper", "quick", MODELS, reps=1)
    bounds = df[df["run"].isna()].set_index(["model", "stage"])["n"].to_dict()
    assert bounds == {(m, k): n for m in MODELS for k, n in ((1, 2), (2, 1), (3, 2))}
    assert (df["cpu_h"] > 0).all() and (df["dev_cpu_h"] > 0).all()


def test_driver_runs_the_whole_protocol_resumably(runs):
    assert W.reproduce("mirror", "paper", profile="quick", jobs=1, models=MODELS, out=lambda s: None) == 0
    states = W.states("mirror", "paper", "quick", MODELS)
    ids = set()
    for st in states:
        assert [len(r.configs) for r in st.rungs] == [4, 2, 1] and all(r.keep for r in st.rungs)
        last = st.rungs[-1]
        assert st.chosen == last.configs[0] == st.cells[last.keep[0]] and st.chosen.steps == 40
        assert [c.seed for c in st.final] == [0, 1, 2] and st.final[0] == st.chosen   # seed 0: the last rung's run
        # rung 1's cells are rung 0's survivors, and the chosen cell is rung 1's best
        assert st.rungs[1].cells == st.rungs[0].keep and last.cells == st.rungs[1].keep[:1]
        best = max(range(2), key=lambda j: (st.rungs[1].scores[j], -j))
        assert last.cells == [st.rungs[1].cells[best]]
        for c in st.final:
            run = load_run(run_id(c))
            assert list(run.eval.index) == list(range(1, 11)) and run.summary["best_step"] is not None
            assert run.model is not None and run.config.save_weights
        assert all(load_run(run_id(c)).model is None for r in st.rungs[:2] for c in r.configs)   # scores only
        ids |= {run_id(c) for r in st.rungs for c in r.configs} | {run_id(c) for c in st.final}
    assert len(ids) == 2 * (4 + 2 + 1 + 2) and sorted(p.name for p in runs.iterdir()) == sorted(ids)
    # a longer rung retrains the same trajectory: its first points are the shorter run's
    st = states[1]
    short, long = (load_run(run_id(r.configs[r.cells.index(st.rungs[1].cells[0])])) for r in st.rungs[:2])
    cols = ["step", "loss", "train_acc", "dev_acc", "dev_fine"]
    pd.testing.assert_frame_equal(short.curve[cols], long.curve[cols].head(len(short.curve)))
    # resumable: a second call finds everything in the cache and trains nothing
    mtimes = {p.name: (p / MANIFEST).stat().st_mtime_ns for p in runs.iterdir()}
    lines = []
    assert W.reproduce("mirror", "paper", profile="quick", jobs=1, models=MODELS, out=lines.append) == 0
    assert not any(line.startswith("done") for line in lines) and len(lines) == 2
    assert {p.name: (p / MANIFEST).stat().st_mtime_ns for p in runs.iterdir()} == mtimes
    table = W.tuning_table("mirror", "paper", "quick", MODELS)
    assert len(table) == 2 * 7 and table["dev_acc"].notna().all() and table["passed"].sum() == 2 * (2 + 1 + 1)


def test_driver_is_deterministic(tmp_path, monkeypatch):
    monkeypatch.setenv("MANNLIB_PROGRESS", "none")
    tables, evals = [], []
    for name in ("a", "b"):
        monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path / name))
        assert W.reproduce("mirror", "strict", profile="quick", jobs=1, models=("sann",), out=lambda s: None) == 0
        tables.append(W.tuning_table("mirror", "strict", "quick", ("sann",)))
        (st,) = W.states("mirror", "strict", "quick", ("sann",))
        evals.append(pd.concat([load_run(run_id(c)).eval for c in st.final]))
    pd.testing.assert_frame_equal(tables[0], tables[1])
    pd.testing.assert_frame_equal(evals[0], evals[1])


def test_a_run_that_fails_ranks_last_and_is_reported(runs, monkeypatch):
    real = cache.train_or_load
    (first,) = [c for c in W.cells("mirror", "lstm", "paper", "quick") if (c.lr, c.batch_size) == (3e-3, 8)]
    doomed = run_id(W.budgets(W.spec("mirror", "quick"))[0](first))

    def train_or_load(config, **kw):
        if run_id(config) == doomed:
            raise TrainingDiverged("loss nan at step 3")
        return real(config, **kw)
    monkeypatch.setattr(cache, "train_or_load", train_or_load)
    lines = []
    assert W.reproduce("mirror", "paper", profile="quick", jobs=1, models=("lstm",), out=lines.append) == 1
    assert f"FAILED {doomed}: loss nan at step 3" in lines and lines[-1] == f"1 runs failed: {doomed}"
    (st,) = W.states("mirror", "paper", "quick", ("lstm",), failed={doomed})
    assert st.rungs[0].scores[0] == (-math.inf,) and 0 not in st.rungs[0].keep
    assert st.chosen is not None and all((run_path(c) / MANIFEST).exists() for c in st.final)
