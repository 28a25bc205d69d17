"""mannlib.chapters.lantm (and mannlib.papers.yang): settings, tables, verdicts and trace helpers, on hand-made inputs."""
import math
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from mannlib.engine.cache import Run  # noqa: E402
from mannlib.chapters import lantm as L  # noqa: E402
from mannlib.chapters.lantm import ablation as A  # noqa: E402
from mannlib.engine.config import profile_config  # noqa: E402
from mannlib.tasks import TaskError, get_task  # noqa: E402
from mannlib.engine.train import build  # noqa: E402
from mannlib.papers import yang  # noqa: E402

FITS = L.settings("paper", "fits")
PAPER = L.settings("paper")
QUICK = L.settings("quick")


# --- the task argument behind the "fits" setting ----------------------------------------------------
def test_train_max_scales_train_test_and_extrapolation_ranges():
    t = get_task("copy", train_max=16)
    assert (t.train_range, t.test_range) == ((2, 16), (17, 32))
    assert t.difficulties("test") == list(range(2, 33))
    assert t.extrapolation(4) == list(range(49, 65)) and t.allowed()[-1] == 128   # up to 8m
    b = get_task("bigramflip", train_max=8)
    assert b.difficulties("train") == [2, 4, 6, 8] and b.extrapolation(2) == [10, 12, 14, 16]
    assert get_task("copy").train_range == (2, 64)                                 # default untouched
    with pytest.raises(TaskError, match="multiple of 2"):
        get_task("bigramflip", train_max=7)


# --- settings and runs ----------------------------------------------------------------------------
def test_fits_config_overrides_only_what_the_deviations_table_lists():
    c = L.config(FITS, "copy", "lantm-invnorm", 1)
    base = profile_config("copy", "lantm-invnorm", "paper", 1)
    assert c.task_args == {"train_max": 16} and c.lr == 3e-4 and c.steps == 6000
    assert c.eval_difficulties is None and c.dev_difficulties == (8, 16, 24, 32)
    assert c.eval_n == math.ceil(3200 / 15)                     # 15 sizes 2..16 -> ~100 batches of 32
    same = ("optimizer", "momentum", "batch_size", "schedule", "keep_best", "eval_every", "sizes", "clip")
    assert all(getattr(c, k) == getattr(base, k) for k in same)
    assert L.config(FITS, "bigramflip", "lantm-invnorm", 0).dev_difficulties == (4, 8, 12, 16)
    assert L.config(FITS, "addition", "lantm-invnorm", 0).eval_n == math.ceil(3200 / 3)


@pytest.mark.parametrize("reading", list(L.READINGS))
def test_the_deviations_table_names_every_switch_of_every_reading(reading):
    """A reading's switches each get a row saying how we read it (a switch without a text was a
    KeyError when the notebook built the table)."""
    from mannlib.chapters.lantm.deviations import SWITCH_TEXT
    assert set(SWITCH_TEXT) == set(A.SWITCHES) | set(A.MORE)
    table = L.deviations(L.settings("paper", reading=reading))
    on = [name for name, o in {**A.SWITCHES, **A.MORE}.items()
          if all(A.ALL_SETTINGS[reading].get(k) == v for k, v in o.items())]
    assert [i for i in table.index if i.endswith(" (read as)")] == [f"{n} (read as)" for n in on]
    assert ("float64 (read as)" in table.index) == ("float64" in reading)


def test_paper_scale_is_the_paper_profile_read_as_the_ablation_chose():
    assert PAPER.scale == "paper" and "lstm" not in PAPER.seeds        # the LSTM only with train_lstm
    c = L.config(PAPER, "double", "lantm-softmax", 2)
    assert c == profile_config("double", "lantm-softmax", "paper", 2, steps=L.PAPER_STEPS,
                               **A.ALL_SETTINGS[L.READING])
    assert c == A.config("double", L.READING, 2, model="lantm-softmax", steps=L.PAPER_STEPS)
    lstm = L.config(L.settings("paper", "paper", train_lstm=True), "copy", "lstm", 0)
    assert lstm.lr == 2e-4 and lstm.steps == 20_000 and "write_gate_bias" not in lstm.sizes
    paper = L.configs(PAPER)
    assert [(c.seed, c.model) for c in paper[:10:5]] == [(0, "lantm-invnorm"), (0, "lantm-softmax")]
    assert len(paper) == 5 * (3 + 3) and {c.task for c in paper[:5]} == set(L.TASKS)
    with pytest.raises(ValueError, match="choose one of paper, fits"):
        L.settings("paper", "huge")
    with pytest.raises(ValueError, match="unknown reading 'all'; choose one of '\\+ optimizer', 'all four'"):
        L.settings("paper", reading="all")


def test_the_readings_differ_only_in_their_switches_and_updates():
    author = L.config(L.settings("paper", reading="all four"), "copy", "lantm-invnorm", 1)
    assert author == A.config("copy", "all four", 1, steps=10_000)
    assert (author.momentum, author.clip, author.schedule, author.sizes["write_gate_bias"]) == (0.0, 32.0, "none", -10.0)
    ablations = L.config(L.settings("paper", reading="+ optimizer"), "copy", "lantm-invnorm", 1)
    assert ablations in A.configs() and ablations.steps == A.STEPS     # the ablation's own runs
    assert L.PAPER_STEPS == L.READINGS[L.READING]


def test_the_default_reading_is_the_better_one_on_the_committed_runs():
    """READING names a reading, so it is typed; this keeps it honest: the committed runs must rank
    it first (if new runs change the ranking, the default must change with them)."""
    table = L.compare_readings("paper")
    assert set(table.index.get_level_values("reading")) == set(L.READINGS)
    assert L.best_reading(table) == L.READING


def test_a_reading_with_runs_missing_cannot_become_the_default():
    import pandas as pd
    table = pd.DataFrame([{"reading": r, "model": "lantm-invnorm", "1x coarse": one, "2x coarse": two, "complete": done}
                          for r, one, two, done in [("+ optimizer", 0.5, 0.2, True), ("all four + both", 0.9, 0.9, False)]]
                         ).set_index(["reading", "model"])
    assert L.best_reading(table) == "+ optimizer"
    table["complete"] = True
    assert L.best_reading(table) == "all four + both"


def test_the_both_reading_keeps_the_lstm_on_its_own_rate():
    both = L.settings("paper", reading="all four + both", train_lstm=True)
    c = L.config(both, "reverse", "lantm-invnorm", 0)
    assert (c.lr, c.sizes["output"], c.steps) == (0.01, "hr", 10_000) and c in A.stage2_configs()
    lstm = L.config(both, "reverse", "lstm", 0)
    assert lstm == L.config(L.settings("paper", reading="all four", train_lstm=True), "reverse", "lstm", 0)
    assert lstm.lr == 2e-4


def test_best_reading_ranks_by_invnorm_2x_then_1x_then_order():
    import pandas as pd
    def table(rows):
        return pd.DataFrame([{"reading": r, "model": "lantm-invnorm", "1x coarse": one, "2x coarse": two}
                             for r, one, two in rows]).set_index(["reading", "model"])
    assert L.best_reading(table([("+ optimizer", 0.9, 0.2), ("all four", 0.1, 0.3)])) == "all four"
    assert L.best_reading(table([("+ optimizer", 0.9, 0.3), ("all four", 0.1, 0.3)])) == "+ optimizer"
    assert L.best_reading(table([("all four", 0.5, 0.3), (L.READING, 0.5, 0.3)])) == L.READING       # a tie: the default
    assert L.best_reading(table([("all four", 0.5, 0.3), ("+ optimizer", 0.5, 0.3)])) == "+ optimizer"  # then the order
    assert L.best_reading(table([("+ optimizer", 0.5, 0.3)])) == "+ optimizer"


def test_reproduce_trains_the_ablation_then_the_paper_scale_each_once():
    runs = L.RUNS["lantm"]()
    keys = [c.to_json() for c in runs]
    assert len(keys) == len(set(keys))
    assert keys[:len(A.configs())] == [c.to_json() for c in A.configs()]
    readings = [c for r in L.READINGS for c in L.configs(L.settings("paper", reading=r))]
    assert set(keys) == {c.to_json() for c in A.configs() + A.stage2_configs() + readings}
    stage2 = [c.to_json() for c in A.stage2_configs()]
    assert keys[len(A.configs()):len(A.configs()) + len(stage2)] == stage2   # stage 2 before Table 3's rest
    assert {c.schedule for c in A.configs()} == {"yang", "none", "yang-dev"}
    assert L.RUNS["lantm-fits"]() == L.configs(FITS)


def test_fits_scale_orders_seed_first_and_trains_the_lstm_like_the_lantms():
    fits = L.configs(FITS)
    assert [(c.seed, c.model) for c in fits[:10:5]] == [(0, "lantm-invnorm"), (0, "lantm-softmax")]
    assert len(fits) == 5 * (3 + 3 + 1) and {c.task for c in fits[:5]} == set(L.TASKS)
    lstm = [c for c in fits if c.model == "lstm"]            # one seed, Table 2's lr, the LANTMs' sizes and updates
    assert [c.seed for c in lstm] == [0] * 5 and {c.lr for c in lstm} == {2e-4}
    for c in lstm:
        inv = L.config(FITS, c.task, "lantm-invnorm", 0)
        assert (c.steps, c.task_args, c.eval_n, c.dev_difficulties) == (inv.steps, inv.task_args, inv.eval_n, inv.dev_difficulties)
    assert {c.profile for c in L.configs(QUICK)} == {"quick"}


def test_train_command_lists_every_override():
    c = L.config(FITS, "copy", "lantm-invnorm", 2)
    cmd = L.train_command(c)
    assert cmd.startswith("python -m mannlib train copy lantm-invnorm --seed 2 --set ")
    assert "--set task_args.train_max=16" in cmd and "--set lr=0.0003" in cmd and "--set eval_difficulties=null" in cmd
    assert L.train_command(profile_config("copy", "lantm-invnorm")) == "python -m mannlib train copy lantm-invnorm"


# --- the paper's numbers --------------------------------------------------------------------------
def test_paper_tables_transcribed():
    assert set(L.PAPER_TABLE3) == set(L.TASKS) and all(set(v) == set(L.MODELS) for v in L.PAPER_TABLE3.values())
    assert all(L.PAPER_TABLE3[t]["lantm-invnorm"][0] == 100 for t in L.TASKS)     # masters all five at 1x
    assert max(L.PAPER_TABLE3[t]["lstm"][2] for t in L.TASKS) == 6               # "not exceeding 6%"
    assert L.PAPER_TABLE3["bigramflip"]["lantm-softmax"] == (12, 40, 0, 10)
    assert L.PAPER_TABLE3["addition"]["lstm"] == (97, 100, 6, 64)
    assert L.PAPER_TABLE4["reverse"] == {4: (91, 98), 5: (12, 65)} and L.PAPER_TABLE4["addition"] == {4: (2, 95)}
    assert L.PAPER_TABLE3 is yang.TABLE3 and L.PAPER_TABLE4 is yang.TABLE4    # typed once


def test_table1_and_section4_agree_with_the_tasks_and_the_run_defaults():
    from mannlib.engine.config import EPOCH_STEPS
    assert {t: (get_task(t).train_range, get_task(t).test_range) for t in L.TASKS} == yang.TABLE1
    assert L.PAPER_TEST_PROBLEMS == yang.TEST_BATCHES * yang.BATCH_SIZE == 3200
    c = profile_config("copy", "lantm-invnorm")
    assert (EPOCH_STEPS, c.batch_size, c.momentum) == (yang.EPOCH_BATCHES, yang.BATCH_SIZE, yang.MOMENTUM)
    assert c.eval_every == yang.TEST_EVERY_EPOCHS * yang.EPOCH_BATCHES and c.schedule == "yang"
    assert profile_config("copy", "lstm").lr == yang.LSTM_LR
    assert A.STEPS * yang.BATCH_SIZE == yang.ADDITION_SAMPLES


def test_the_chapter_contract():
    assert L.PAPER == "Yang 2016" and set(L.RUNS) == {"lantm", "lantm-fits"}
    says = L.paper_says()
    assert set(says) == {"invnorm", "softmax", "weighting", "lstm", "table4", "late_errors", "reads", "parity"}
    assert says["invnorm"] == "coarse 100% at 1x on every task, 99-100% at 2x"
    assert says["weighting"] == "mean 2x coarse: InvNorm 100%, SoftMax 40%"
    assert L.ablation is A and L.configs(L.reference_settings()) == L.configs(L.settings("quick"))


def test_table2_counts_differ_from_the_paper_by_the_documented_terms():
    t2 = L.table2(tasks=("copy", "double"))
    for task, h in (("copy", 50), ("double", 50)):
        assert t2.loc[("lantm-invnorm", task), "difference"] == -(4 * h + 74)
    assert t2.loc[("lantm-softmax", "copy"), "difference"] == -(4 * 50 + 74)     # with its temperature
    assert t2.loc[("lantm-softmax", "double"), "difference"] == -(3 * 50 + 73)   # Yang omits it there
    assert t2.loc[("lantm-invnorm", "double"), "#param (paper)"] == 18695
    assert t2.loc[("lstm", "copy"), "#param (paper)"] == 1918222 and t2.loc[("lstm", "copy"), "vocab"] == 128


# --- Table 3 --------------------------------------------------------------------------------------
def fake_run(task, model, seed, acc: dict, fine=None, m=None, wall=10.0):
    """A Run with an eval table {size: coarse} and no weights."""
    config = L.config(QUICK, task, model, seed)
    if m is not None:
        config = config.replace(**{"task_args.train_max": m})
    ev = pd.DataFrame({"n": 10, "accuracy": list(acc.values()),
                       "fine": list((fine or acc).values())}, index=pd.Index(list(acc), name="difficulty"))
    return Run(f"{task}-{model}-{seed}", Path("."), config, None, pd.DataFrame(), ev, {},
               {"wall_s": wall, "created": "t"})


def test_table3_pools_sizes_and_takes_median_min_max_over_seeds():
    runs = [fake_run("copy", "lantm-invnorm", s, {2: a, 3: a, 4: 1.0, 5: b, 8: b, 9: 0.0})
            for s, (a, b) in enumerate([(1.0, 0.5), (0.5, 0.0), (1.0, 1.0)])]   # m = 4; 9 > 2m dropped
    scores = L.score_frame(runs)
    assert set(scores["size"]) == {2, 3, 4, 5, 8} and list(scores.query("seed == 0")["column"]) == ["1x"] * 3 + ["2x"] * 2
    t3 = L.table3(scores)
    row = t3.loc[("copy", "lantm-invnorm")]
    assert row[("1x", "coarse", "median")] == 1.0 and row[("1x", "coarse", "min")] == pytest.approx(2 / 3)
    assert row[("2x", "coarse", "median")] == 0.5 and row[("2x", "coarse", "max")] == 1.0
    shown = L.show_table3(t3)
    assert shown.loc[("copy", "lantm-invnorm"), "2x coarse"] == "50% (0-100) | 100%"
    assert shown.loc[("copy", "lantm-invnorm"), "1x fine"] == "100% (67-100) | 100%"


def scores_for(table: dict) -> pd.DataFrame:
    """{(task, model): (1x coarse, 2x coarse)} -> score_frame layout, one seed, one size per column."""
    rows = []
    for (task, model), (a, b) in table.items():
        for size, column, v in ((1, "1x", a), (2, "2x", b)):
            rows.append({"task": task, "model": model, "seed": 0, "size": size, "m": 1, "column": column,
                         "n": 100, "coarse": v, "fine": v})
    return pd.DataFrame(rows)


def test_invnorm_softmax_and_weighting_verdicts():
    good = {(t, "lantm-invnorm"): (1.0, 0.95) for t in L.TASKS}
    assert L.invnorm_claim(scores_for(good)).verdict == "reproduced"
    some = {**good, ("addition", "lantm-invnorm"): (1.0, 0.5)}
    assert L.invnorm_claim(scores_for(some)).verdict == "partly"
    none = {(t, "lantm-invnorm"): (0.98, 0.95) for t in L.TASKS}
    assert L.invnorm_claim(scores_for(none)).verdict == "not reproduced"

    pattern = {(t, "lantm-softmax"): ((1.0, 1.0) if t in ("copy", "double") else (0.1, 0.0)) for t in L.TASKS}
    assert L.softmax_claim(scores_for(pattern)).verdict == "reproduced"
    three = {**pattern, ("copy", "lantm-softmax"): (0.5, 0.0), ("reverse", "lantm-softmax"): (1.0, 1.0)}
    assert L.softmax_claim(scores_for(three)).verdict == "partly"

    both = scores_for({**good, **pattern})        # 2x: InvNorm 95% everywhere, SoftMax mean 40%
    assert L.weighting_claim(both).verdict == L.NOT_TESTED          # one seed: no spread to judge by
    two = pd.concat([both, both.assign(seed=1)])
    claim = L.weighting_claim(two)
    assert claim.verdict == "reproduced" and "by the median over seeds: InvNorm 95.0%, SoftMax 40.0%" in claim.ours

    assert L.lstm_claim(both).verdict == L.NOT_TESTED
    lstm = scores_for({(t, "lstm"): (0.98, 0.05) for t in L.TASKS})
    assert L.lstm_claim(lstm).verdict == "reproduced"
    assert L.tasks_at(scores_for(some), "lantm-invnorm", "2x", 0.9) == "copy, reverse, bigramflip and double"
    assert L.tasks_at(scores_for(three), "lantm-softmax", "1x", 0.99) == "reverse and double"
    assert L.tasks_at(scores_for(good), "lantm-softmax", "1x", 0.99) == "no task"
    assert L.tasks_listed(["double"]) == "double" and L.tasks_listed(["a", "b", "c"]) == "a, b and c"


def test_weighting_needs_the_gap_by_the_median_and_by_the_mean_over_seeds():
    def two_seeds(inv, soft):   # per seed, 2x coarse of InvNorm and SoftMax on copy
        return pd.concat([scores_for({("copy", "lantm-invnorm"): (1.0, i), ("copy", "lantm-softmax"): (1.0, s)})
                          .assign(seed=k) for k, (i, s) in enumerate(zip(inv, soft))])
    assert L.weighting_claim(two_seeds((0.5, 0.5, 0.5), (0.0, 0.0, 1.0))).verdict == "partly"   # median 50 vs 0, mean 50 vs 33
    assert L.weighting_claim(two_seeds((0.6, 0.6, 0.6), (0.0, 0.0, 1.0))).verdict == "reproduced"  # mean 60 vs 33
    assert L.weighting_claim(two_seeds((0.3, 0.3, 0.3), (0.0, 0.0, 0.9))).verdict == "not reproduced"  # mean 30 vs 30


# --- Table 4 and extrapolation --------------------------------------------------------------------
def test_first_error_and_spacing():
    assert L.first_error(np.array([True, True, False, True])) == pytest.approx(2 / 3)
    assert L.first_error(np.array([False])) == 0.0 and math.isnan(L.first_error(np.array([True, True])))
    assert L.spaced(list(range(1, 11)), 3) == [1, 5, 10] and L.spaced([4, 5], 8) == [4, 5]


class CopyOracle(torch.nn.Module):
    """Answers copy problems right, except the last ``wrong_last`` answer characters."""

    def __init__(self, task, wrong_last=0):
        super().__init__()
        self.task, self.wrong_last = task, wrong_last

    def forward(self, x):
        soi, eoi, eoo = (self.task.ids[t] for t in ("<s>", "</s>", "<e>"))
        logits = torch.zeros(*x.shape, self.task.output_size)
        for i, row in enumerate(x.tolist()):
            start = row.index(soi)
            first = row.index(eoi, start)
            answer = row[start + 1:first] + [eoo]
            for j, tok in enumerate(answer):
                wrong = j >= len(answer) - self.wrong_last
                logits[i, first + j, (tok + 1) % self.task.output_size if wrong else tok] = 1.0
        return logits


def test_extrapolation_scores_with_an_oracle():
    run = fake_run("copy", "lantm-invnorm", 0, {2: 1.0}, m=4)
    run.model = CopyOracle(run.task)
    ext = L.extrapolation_scores(run, factors=(2, 4), sizes_per=2, n=3)
    assert list(ext["sizes"]) == ["5-8", "13-16"] and list(ext["problems"]) == [6, 6]
    assert (ext["coarse"] == 1.0).all() and (ext["fine"] == 1.0).all() and ext["first_error"].isna().all()
    run.model = CopyOracle(run.task, wrong_last=1)               # only <e> wrong: coarse 0, first error at 1
    ext = L.extrapolation_scores(run, factors=(2,), sizes_per=1, n=4)
    assert ext["coarse"].iloc[0] == 0.0 and ext["first_error"].iloc[0] == 1.0
    assert ext["sizes"].iloc[0] == "5-5" and ext["fine"].iloc[0] == pytest.approx(1 - 1 / 6)  # 6 characters, 1 wrong
    late = L.late_errors_claim(ext.assign(task="copy"))
    assert late.verdict == "reproduced" and "first error at 1.00" in late.ours


def test_late_errors_only_in_high_fine_low_coarse_cells():
    cells = pd.DataFrame({"task": ["copy", "double", "reverse"], "factor": [4, 8, 4], "coarse": [0.2, 0.1, 0.0],
                          "fine": [0.9, 0.85, 0.1], "first_error": [0.9, 0.3, 0.0]})
    assert L.late_errors_claim(cells).verdict == "partly"                  # reverse: fine too low to count
    assert L.late_errors_claim(cells.iloc[[0, 2]]).verdict == "reproduced"
    none = L.late_errors_claim(cells.iloc[[2]])
    assert none.verdict == L.NOT_TESTED and "reverse 4x, 10% fine" in none.ours


def test_wall_times_and_halvings():
    run = fake_run("copy", "lantm-invnorm", 0, {2: 1.0}, wall=30.0)
    run.curve = pd.DataFrame({"step": [20, 40, 60], "lr": [run.config.lr, run.config.lr / 2, run.config.lr / 8]})
    walls = L.wall_times([run])
    row = walls.loc[("copy", "lantm-invnorm", 0)]
    assert row["wall (s)"] == 30.0 and row["ms / update"] == 500.0 and row["halvings"] == 3
    four = pd.DataFrame({"task": ["copy", "reverse", "bigramflip"], "factor": 4, "coarse": [0.95, 0.91, 0.5]})
    assert L.table4_claim(four).verdict == "partly"
    shown = L.table4(pd.DataFrame({"task": ["copy", "copy"], "factor": [4, 8], "coarse": [0.5, 0.0], "fine": [1.0, 0.9]}))
    assert shown.loc["copy", "4x coarse"] == "50% | 100%" and shown.loc["copy", "8x fine"] == "90% | -"


def test_table4_over_every_seed_keeps_the_chosen_runs_and_states_the_range():
    ext_all = pd.DataFrame({"task": ["copy"] * 4 + ["reverse"] * 2, "seed": [0, 0, 1, 1, 0, 1],
                            "factor": [4, 8, 4, 8, 4, 4], "coarse": [0.0, 0.0, 0.54, 0.1, 0.4, 0.4]})
    best = {"copy": SimpleNamespace(config=SimpleNamespace(seed=1)), "reverse": SimpleNamespace(config=SimpleNamespace(seed=0))}
    ext = L.of_runs(ext_all, best)
    assert list(zip(ext["task"], ext["seed"], ext["factor"])) == [("copy", 1, 4), ("copy", 1, 8), ("reverse", 0, 4)]
    seeds = L.table4_seeds(ext_all)
    assert seeds.loc["copy", "4x coarse"] == "27% (0-54)" and seeds.loc["reverse", "4x coarse"] == "40%"
    assert seeds.loc["copy", "8x coarse"] == "5% (0-10)" and pd.isna(seeds.loc["reverse", "8x coarse"])
    claim = L.table4_claim(ext, ext_all)
    assert claim.ours == "4x coarse: copy 54%; reverse 40%; every seed (2), min-max: copy 0-54%, reverse 40%"
    assert claim.verdict == "not reproduced" and L.table4_claim(ext).ours == "4x coarse: copy 54%; reverse 40%"


# --- the appendix figures -------------------------------------------------------------------------
def line_trace(offset=0.0, strengths=None) -> L.Trace:
    """A copy trace of size 3 by hand: writes at (t, 0), reads ``offset`` off the write line."""
    T = 8                                        # <s> c1 c2 c3 </s> x 4
    steps = {"write_key": np.stack([np.arange(T), np.zeros(T)], 1).astype(float),
             "read_key": np.zeros((T, 2)), "write_strength": np.asarray(strengths or [1.0] * T, float)}
    for t, target in zip(range(3, 6), (1, 2, 3)):  # read at t - 1 feeds output t: copy c1..c3
        steps["read_key"][t] = (target, offset)
    run = fake_run("copy", "lantm-invnorm", 0, {2: 1.0}, m=4)
    ok = np.array([True, True, False, True])
    return L.Trace(run, 3, ["<s>", "a", "b", "c"] + ["</s>"] * 4, steps, np.arange(4, 8), ok * 0, ok * 0, ok)


def test_read_distances_and_reads_claim():
    tr = line_trace(offset=0.25)
    assert list(tr.read_steps) == [3, 4, 5] and list(tr.input_steps) == [1, 2, 3]
    assert L.write_step_length(tr) == 1.0
    np.testing.assert_allclose(L.read_distances(tr), [0.25, 0.25, 0.25])
    assert L.reads_claim(tr).verdict == "reproduced"
    assert L.reads_claim(line_trace(offset=0.7)).verdict == "not reproduced"


def test_step_ratio_is_the_read_pace_over_the_write_pace():
    tr = line_trace(offset=0.25)                 # reads at x = 1, 2, 3: the write pace
    assert L.step_ratio(tr) == pytest.approx(1.0)
    tr.steps["read_key"][[3, 4, 5], 0] = [1.0, 1.9, 2.8]   # each read 0.1 write steps short
    assert L.step_ratio(tr) == pytest.approx(0.9)


def test_strength_by_parity_and_parity_claim():
    tr = line_trace(strengths=[0.5, 0.9, 0.05, 0.9, 0.5, 0.5, 0.5, 0.5])   # input steps 1, 2, 3
    assert L.strength_by_parity(tr) == {"odd": pytest.approx(0.9), "even": pytest.approx(0.05)}
    assert L.parity_claim(tr).verdict == "reproduced"
    assert L.parity_claim(None).verdict == L.NOT_TESTED


def test_trace_run_and_figures_on_an_untrained_model():
    config = L.config(QUICK, "addition", "lantm-invnorm", 0)
    _, model = build(config)
    run = Run("r", Path("."), config, model.eval(), pd.DataFrame(), pd.DataFrame(), {}, {})
    tr = L.trace_run(run, 3)
    T = 1 + 6 + 5                                 # <s>, 3 digit pairs, 4 answer digits + <e>
    assert len(tr.tokens) == T and tr.steps["read_key"].shape == (T, 2) and len(tr.truth) == 5
    assert list(tr.answer_steps) == list(range(7, 12)) and list(tr.read_steps) == [6, 7, 8, 9]
    for fig in (L.trace_figure(tr), L.parity_figure(tr)):
        assert fig.axes
        matplotlib.pyplot.close(fig)


def test_diverged_runs_are_left_out_and_named(monkeypatch):
    from mannlib.engine.train import TrainingDiverged

    def fake(c, progress="auto"):
        if c.seed == 1 and c.task == "reverse" and c.model == "lantm-softmax":
            raise TrainingDiverged(f"{c.task}-{c.model} seed 1: loss inf / gradient norm inf at step 4344 (lr 0.02)")
        return c
    monkeypatch.setattr(L.settings_module, "train_or_load", fake)   # where load_runs looks it up
    monkeypatch.setattr(L.settings_module, "train_all", lambda *a, **k: [])   # nothing trained for real
    out = []
    runs = L.load_runs(PAPER, diverged=out)
    from mannlib.engine.cache import settled
    baseline = [c for c in L.baseline_configs(PAPER) if settled(c)]          # the committed LSTM baseline runs
    assert len(runs) == len(L.configs(PAPER)) + len(baseline) - 1 and len(out) == 1
    assert L.diverged_text(out) == ("1 run diverged (an infinite loss or gradient) before any development point "
                                    "and is left out of the tables: lantm-softmax on reverse, seed 1, at update 4344.")
    assert L.diverged_text([]) == "No run diverged."
    late = SimpleNamespace(config=L.configs(PAPER)[0], summary={"diverged_at": 7109, "best_step": 6800})
    assert L.diverged_text([], [late]) == (
        "1 run diverged (an infinite loss or gradient) after a development point; as in the author's loop, "
        f"training stopped there and the run is scored with its best development weights: "
        f"{late.config.model} on {late.config.task}, seed {late.config.seed}, at update 7109 (best at update 6800).")


# --- the notebook's parameters (issue 17) --------------------------------------------------------------
def test_parameters_change_the_runs_and_bad_values_name_the_allowed_ones():
    s = L.settings("paper", seeds=[0, 4], models="lantm-invnorm", steps=20_000, tasks=["addition", "copy"])
    assert s.seeds == {"lantm-invnorm": (0, 4)} and s.tasks == ("copy", "addition")     # the book's order
    assert [(c.task, c.seed, c.steps) for c in L.configs(s)] == [("copy", 0, 20_000), ("addition", 0, 20_000),
                                                                ("copy", 4, 20_000), ("addition", 4, 20_000)]
    assert L.settings("paper", seeds=2).seeds == {"lantm-invnorm": (0, 1), "lantm-softmax": (0, 1)}
    assert L.config(L.settings("quick", steps=7), "copy", "lantm-softmax", 0).steps == 7
    assert L.RUNS["lantm"](seeds=1, tasks=["copy"]) == L.configs(L.settings("paper", seeds=1, tasks=["copy"]))
    for bad, message in [(dict(tasks=["copi"]), "unknown task 'copi'; choose from copy, reverse, bigramflip"),
                         (dict(models=["lstm"]), "unknown model 'lstm'; choose from lantm-invnorm, lantm-softmax"),
                         (dict(seeds=0), "seeds must be a positive number"), (dict(seeds=[-1]), "seeds must be"),
                         (dict(steps=0), "steps must be a positive number"), (dict(tasks=[]), "no tasks given")]:
        with pytest.raises(ValueError, match=message):
            L.settings("paper", **bad)


def test_default_parameters_are_the_committed_runs():
    assert L.RUNS["lantm"]()[:len(A.configs())] == A.configs()          # the full campaign, ablation first
    assert {c.to_json() for c in L.configs(L.settings("paper"))} <= {c.to_json() for c in L.RUNS["lantm"]()}


# --- the 4 x 256 LSTM baseline at the paper scale: loaded where committed, how long it trained ------
def test_the_paper_scale_loads_the_committed_lstm_baseline_without_training_it():
    trained = [c for c in L.configs(L.settings("paper", train_lstm=True)) if c.model == "lstm"]
    assert [c.to_json() for c in L.baseline_configs(PAPER)] == [c.to_json() for c in trained]
    assert L.baseline_configs(L.settings("paper", train_lstm=True)) == []        # then they are configs
    assert L.baseline_configs(QUICK) == [] and L.baseline_configs(FITS) == []
    assert not any(c.model == "lstm" for c in L.paper_runs())                   # reproduce lantm: not by default
    from mannlib.engine.cache import settled
    committed = [c.task for c in L.baseline_configs(PAPER) if settled(c)]
    runs = L.load_runs(PAPER, models=["lstm"], train_missing=True)              # nothing to train: only loads
    assert [r.config.task for r in runs] == committed


def lstm_run(task, losses, steps=20_000, wall=3600.0):
    run = fake_run(task, "lstm", 0, {2: 0.0}, wall=wall)
    run.config = run.config.replace(steps=steps)
    run.curve = pd.DataFrame({"step": np.linspace(steps / len(losses), steps, len(losses)), "loss": losses})
    run.summary = {"best_step": steps // 2}
    return run


def test_lstm_training_says_how_long_each_run_trained_and_whether_it_still_learned():
    runs = [lstm_run("addition", [4.0, 3.0, 20.0, 19.0]),               # 75% point: 20 -> 19, exactly 5%
            lstm_run("copy", [4.0, 3.0, 20.0, 19.0 + 1e-6], wall=1800.0),   # just below
            fake_run("copy", "lantm-invnorm", 0, {2: 1.0})]
    t = L.lstm_training(runs)
    assert list(t.index.get_level_values("task")) == ["copy", "addition"]      # TASKS order, LSTM runs only
    row = t.loc[("addition", 0)]
    assert row["updates"] == 20_000 and row["epochs"] == 2_000 and row["hours"] == 1.0 and row["kept update"] == 10_000
    assert row["fall, last quarter"] == L.STILL_LEARNING and row["still learning"]
    assert not t.loc[("copy", 0), "still learning"] and t.loc[("copy", 0), "hours"] == 0.5
    text = L.lstm_runs_text(t, PAPER)
    assert "reverse, bigramflip, double" in text and "On addition the run stopped while still learning" in text
