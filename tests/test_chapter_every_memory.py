"""The chapter "Every memory on every task" (issue 20): its protocol as configs, what it costs, the
results on hand-made runs with hand-computed means and intervals, missing runs, the discussion,
the chapter contract, and the notebook rerun with other parameters."""
import math
import re
from types import SimpleNamespace

import matplotlib
import pandas as pd
import pytest

from mannlib import scorecard as SC
from mannlib.__main__ import main
from mannlib.chapters import every_memory as E, target_runs
from mannlib.engine.cache import run_id
from mannlib.models import MODELS
from mannlib.tasks import TASKS, get_task

matplotlib.use("Agg")
T2 = 4.302652729749462      # Student's t, 97.5% quantile, 2 degrees of freedom (three seeds)


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("MANNLIB_PROGRESS", "none")
    return tmp_path / "runs"


@pytest.fixture(scope="module")
def paper():
    s = E.settings("paper")
    return s, E.configs(s)


# --- the protocol as configs ------------------------------------------------------------------------
def test_every_pair_lr_and_seed_is_a_run(paper):
    s, cs = paper
    assert s.models == MODELS and set(s.tasks) == set(TASKS) and len(s.seeds) >= 3 and len(s.lrs) == 2
    keys = [(c.task, c.model, c.lr, c.seed) for c in cs]
    assert len(cs) == 6 * 7 * 2 * 3 == len(set(keys)) == len({run_id(c) for c in cs})
    assert set(keys) == {(t, m, lr, seed) for t in TASKS for m in MODELS for lr in E.LRS for seed in E.SEEDS}
    assert all(c.optimizer == "adam" and c.batch_size == 32 and c.clip == 10.0 and c.keep_best and c.schedule == "none"
               and c.train_examples is None and c.profile == "paper" for c in cs)


def test_every_model_of_a_task_gets_the_same_budget_and_lengths(paper):
    _, cs = paper
    for task in TASKS:
        mine = [c for c in cs if c.task == task]
        assert len({c.steps * c.batch_size for c in mine}) == 1, task         # training examples per run
        assert len({(c.dev_difficulties, c.eval_difficulties, c.dev_n, c.eval_n, c.eval_every,
                     tuple(sorted(c.task_args.items()))) for c in mine}) == 1, task


def test_dev_lengths_are_the_training_lengths_and_tests_reach_twice_the_maximum(paper):
    _, cs = paper
    for c in cs:
        task = get_task(c.task, **c.task_args)
        train = task.difficulties("train")
        m = task.train_range[1]
        assert m == E.TRAIN_MAX[c.task] and m <= E.PAPER_TRAIN_MAX[c.task]
        assert c.dev_difficulties == tuple(train)                        # strict: never beyond the training range
        assert c.eval_difficulties[0] == train[0] and c.eval_difficulties[-1] == 2 * m
        assert c.eval_difficulties == tuple(d for d in task.allowed() if train[0] <= d <= 2 * m)


def test_one_size_per_model_on_every_task_and_room_for_the_longest_string(paper):
    _, cs = paper
    for model in MODELS:
        assert len({tuple(sorted(c.sizes.items())) for c in cs if c.model == model}) == 1, model
    assert {c.sizes["hidden"] for c in cs} == {E.SIZES["hidden"]}
    longest = max(2 * m for t, m in E.TRAIN_MAX.items() if t != "m10ae") + 1     # double answers k + 1 digits
    assert all(c.sizes["cells"] >= longest for c in cs if "cells" in c.sizes)
    assert {c.model for c in cs if "cells" in c.sizes} == {"sann", "tann"}
    assert {c.model for c in cs if c.sizes.get("head_input")} == {"tann"}   # Wang §2: the heads read x_t too


def test_the_matrix_fits_the_cpu_budget(paper):
    """Priced with the prices recorded on the project's machine (every update, dev point and final
    test), not measured now: a check of the design that no machine's speed or load can flip. The
    whole matrix is priced, cached runs included, so the check holds however much of it is trained."""
    s, _ = paper
    whole = E.plan_table(s, recorded=True, whole=True)
    cost = E.plan_summary(whole)
    assert cost["runs"] == 252 and cost["fits"] and 0 < cost["total_cpu_hours"] <= E.CPU_HOURS, cost
    assert (whole["cpu_h"] > 0).all()
    rest = E.plan_summary(E.plan_table(s, recorded=True))       # without whole, cached runs cost nothing
    assert rest["total_cpu_hours"] == rest["cpu_hours"] == pytest.approx(whole.loc[~whole["cached"], "cpu_h"].sum())


def test_recorded_prices_are_the_measured_ones_and_a_missing_price_is_named(scratch, tmp_path, monkeypatch):
    from mannlib.engine import sweep
    s = E.settings("quick")
    monkeypatch.setattr(sweep, "_PRICES", {})
    measured = E.plan_table(s)
    assert not measured["cached"].any() and (measured["cpu_h"] > 0).all()
    sweep.save_prices(tmp_path / "p.json")
    recorded = sweep.plan(E.configs(s), evaluation=True, prices=sweep.load_prices(tmp_path / "p.json"))
    pd.testing.assert_series_equal(measured["cpu_h"], recorded["cpu_h"])
    with pytest.raises(LookupError, match="no recorded price for update"):
        sweep.plan(E.configs(s)[:1], evaluation=True, prices={})


def test_reproduce_targets_and_dry_run(scratch, capsys):
    assert E.RUNS["every_memory"]() == E.configs(E.settings("paper"))
    few = target_runs("every_memory", seeds=1, tasks=["mirror"], models=["lstm", "sann"])
    assert [(c.model, c.lr) for c in few] == [("lstm", 1e-3), ("lstm", 3e-4), ("sann", 1e-3), ("sann", 3e-4)]
    with pytest.raises(ValueError, match="unknown parameter 'cells'"):
        target_runs("every_memory", cells=5)
    assert main(["reproduce", "every_memory", "--set", "seeds=1", "--set", 'tasks=["mirror"]',
                 "--set", 'models=["lstm","sann"]', "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert all(run_id(c) in out for c in few) and "CPU-hours" in out
    assert not scratch.exists() or not any(scratch.iterdir())          # a dry run trains nothing


def test_settings_refuse_bad_parameters():
    with pytest.raises(ValueError, match="unknown model 'ntm'; choose from srnn"):
        E.settings("paper", models=["ntm"])
    with pytest.raises(ValueError, match="unknown task 'sort'"):
        E.settings("paper", tasks=["sort"])
    with pytest.raises(ValueError, match="lrs must be a list of distinct positive"):
        E.settings("paper", lrs=[1e-3, 1e-3])
    with pytest.raises(ValueError, match="steps must be a positive number"):
        E.settings("paper", steps=0)
    with pytest.raises(ValueError, match="choose one of paper, quick"):
        E.settings("fast")


# --- results on hand-made runs ----------------------------------------------------------------------
def fake_run(s, task, model, lr, seed, dev, beyond, train=1.0):
    """A run of ``s`` whose best dev point is ``dev`` (accuracy, fine), whose accuracy is ``train``
    at every training length and ``beyond`` at every length beyond it."""
    c = E.config(s, task, model, lr, seed)
    m = s.train_max[task]
    ev = pd.DataFrame({"difficulty": list(c.eval_difficulties)}).assign(n=4, fine=1.0)
    ev["accuracy"] = [train if d <= m else beyond for d in ev["difficulty"]]
    curve = pd.DataFrame({"step": [1, 2], "dev_acc": [0.0, dev[0]], "dev_fine": [0.0, dev[1]]})
    return SimpleNamespace(config=c, eval=ev.set_index("difficulty"), curve=curve)


@pytest.fixture
def fake():
    """reverse and mirror x sann, lstm, tann, three seeds, two lrs. SANN: lr 1e-3 wins on dev (mean
    0.8 against 0.7), beyond 0.9, 1.0, 0.8. LSTM: dev accuracy ties, its 3e-4 wins on the fine
    score; beyond 0.2, 0.2, 0.5; its seed 2 at 1e-3 is missing (the choice rests on seeds 0 and 1).
    TANN: nothing on reverse; on mirror one seed at both lrs, the dev scores equal (the first lr).
    SANN on mirror: one run, at one lr only."""
    s = E.settings("paper", models=["lstm", "tann", "sann"], tasks=["mirror", "reverse"])
    runs = []
    for seed, (d1, d3, b) in enumerate([(0.9, 0.6, 0.9), (0.8, 0.9, 1.0), (0.7, 0.6, 0.8)]):
        runs += [fake_run(s, "reverse", "sann", 1e-3, seed, (d1, 1.0), b),
                 fake_run(s, "reverse", "sann", 3e-4, seed, (d3, 1.0), 0.0)]
    for seed, b in enumerate([0.2, 0.2, 0.5]):
        if seed < 2:
            runs.append(fake_run(s, "reverse", "lstm", 1e-3, seed, (0.5, 0.7), 0.0))
        runs.append(fake_run(s, "reverse", "lstm", 3e-4, seed, (0.5, 0.8), b, train=0.5))
    runs += [fake_run(s, "mirror", "tann", lr, 0, (1.0, 1.0), 0.97 if lr == 1e-3 else 0.5) for lr in s.lrs]
    runs.append(fake_run(s, "mirror", "sann", 1e-3, 0, (0.5, 0.5), 0.1))     # one lr only: no choice yet
    return s, runs


def frames(s, runs):
    lengths = E.length_frame(runs, s.train_max)
    choice = E.choose_lr(E.dev_frame(runs), s.tasks, s.models, s.lrs)
    summary = E.summary_frame(E.seed_scores(E.chosen(lengths, choice)), choice, s.seeds)
    return choice, summary


def test_lr_choice_on_the_dev_set(fake):
    choice, _ = frames(*fake)
    assert choice.loc[("reverse", "sann"), "lr"] == 1e-3 and choice.loc[("reverse", "sann"), "dev_acc"] == pytest.approx(0.8)
    assert choice.loc[("reverse", "lstm"), "lr"] == 3e-4 and choice.loc[("reverse", "lstm"), "compared"] == 2
    assert choice.loc[("mirror", "tann"), "lr"] == 1e-3                    # a tie goes to the first lr of the grid
    assert math.isnan(choice.loc[("reverse", "tann"), "lr"]) and choice.loc[("reverse", "tann"), "compared"] == 0
    assert math.isnan(choice.loc[("mirror", "sann"), "lr"]) and choice.loc[("mirror", "sann"), "runs"] == 1
    assert choice.loc[("reverse", "lstm"), "runs"] == 5
    assert len(choice) == 6                                                # every pair, trained or not


def test_means_and_intervals_over_seeds(fake):
    _, summary = frames(*fake)
    sann = summary.loc[("reverse", "sann")]
    half = T2 * 0.1 / math.sqrt(3)                                         # s = 0.1 over 0.9, 1.0, 0.8
    assert (sann["state"], sann["seeds"]) == ("done", 3)
    assert sann["beyond_mean"] == pytest.approx(0.9) and sann["beyond_lo"] == pytest.approx(0.9 - half)
    assert sann["beyond_hi"] == 1.0                                        # 0.9 + 0.248 clipped to 1
    assert (sann["train_mean"], sann["train_lo"], sann["train_hi"]) == (1.0, 1.0, 1.0)
    lstm = summary.loc[("reverse", "lstm")]
    assert lstm["beyond_mean"] == pytest.approx(0.3) and lstm["beyond_lo"] == 0.0     # 0.3 - 0.43 clipped to 0
    assert lstm["beyond_hi"] == pytest.approx(0.3 + T2 * math.sqrt(0.03) / math.sqrt(3))
    tann = summary.loc[("mirror", "tann")]
    assert (tann["state"], tann["seeds"], tann["beyond_mean"]) == ("partial", 1, pytest.approx(0.97))
    assert math.isnan(tann["beyond_lo"]) and summary.loc[("reverse", "tann"), "state"] == "missing"
    assert E.progress(summary) == {"missing": 3, "partial": 1, "done": 2}   # mirror: no SANN, no LSTM runs


def test_interval_by_hand():
    assert E.interval([0.9, 1.0, 0.8]) == pytest.approx((0.9, 0.9 - T2 * 0.1 / math.sqrt(3), 1.0, 3))
    mean, lo, hi, n = E.interval([0.5])
    assert (mean, n) == (0.5, 1) and math.isnan(lo) and math.isnan(hi)
    assert E.interval([])[3] == 0 and math.isnan(E.interval([float("nan")])[0])
    assert E.interval([0.25, 0.25]) == (0.25, 0.25, 0.25, 2)


def test_results_table_and_heatmap_mark_what_is_missing(fake):
    s, runs = fake
    _, summary = frames(s, runs)
    table = E.results_table(summary, E.NAMES)
    assert table.loc[("reverse", "SANN"), "beyond it (m+1 to 2m)"] == "90% [65-100]"
    assert table.loc[("reverse", "SANN"), "lr"] == "0.001" and table.loc[("reverse", "LSTM"), "lr"] == "0.0003"
    assert table.loc[("mirror", "TANN"), "beyond it (m+1 to 2m)"] == "97%"
    assert table.loc[("reverse", "TANN"), "in the training range"] == "not trained yet"
    assert table.loc[("reverse", "TANN"), "lr"] == "not chosen yet"
    assert table.loc[("mirror", "SANN"), "beyond it (m+1 to 2m)"] == "lr not chosen yet"
    fig = E.heatmap_figure(summary, s.models, s.tasks, E.NAMES)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "90%\n[65-100]" in texts and "97%" in texts
    assert texts.count("not trained") == 2 * 2 and texts.count("lr not chosen") == 2 * 1   # both panels
    lengths = E.length_frame(runs, s.train_max)
    fig = E.curves_figure(E.chosen(lengths, E.choose_lr(E.dev_frame(runs), s.tasks, s.models, s.lrs)),
                          s.models, s.tasks, s.train_max, E.NAMES)
    assert [ax.get_title() for ax in fig.axes[:2]] == ["mirror", "reverse"]


def test_discussion_compares_with_each_paper(fake):
    s, runs = fake
    _, summary = frames(s, runs)
    lead = E.leaders(summary)
    assert lead.loc["reverse", "leader"] == "sann" and lead.loc["reverse", "tied"] == ()
    assert lead.loc["mirror", "leader"] == "tann"
    assert E.agreement(pd.Series({"sann": 0.95, "lstm": 0.2}), ["sann"], ["lstm"]) == "agrees"
    assert E.agreement(pd.Series({"sann": 0.6, "lstm": 0.2}), ["sann"], ["lstm"]) == "partly"
    assert E.agreement(pd.Series({"sann": 0.95, "lstm": 0.92}), ["sann"], ["lstm"]) == "partly"
    assert E.agreement(pd.Series({"sann": 0.2, "lstm": 0.6}), ["sann"], ["lstm"]) == "differs"
    assert E.agreement(pd.Series({"sann": 0.95}), ["sann"], ["lstm"]) == "not compared yet"
    table = E.comparison(summary, E.NAMES)
    deletang = table[(table["paper"] == "Delétang et al. 2023")].iloc[0]
    assert deletang["task"] == "reverse" and deletang["agreement"] == "not compared yet"   # no SimpRNN here
    assert "SANN 90%" in deletang["ours (beyond the training range)"] and "SimpRNN not in this setting" in \
        deletang["ours (beyond the training range)"]
    text = E.comparison_text(table)
    assert text["yang"] == "its finding cannot be compared yet (a model it names has no runs here)"
    assert set(text) == {"wang", "yang", "deletang"}


# --- the contract and the page without runs ------------------------------------------------------------
def test_the_chapter_reproduces_no_paper():
    assert E.claims("paper") == [] and E.claims("quick") == [] and E.paper_says() == {}
    assert "every_memory" not in SC.papers() and isinstance(E.PAPER, str)
    with pytest.raises(ValueError, match="choose one of paper, quick"):
        E.claims("fast")


def test_the_paper_profile_without_runs_trains_nothing_and_marks_every_cell(scratch):
    s = E.settings("paper", tasks=["mirror", "copy"])
    r = E.results(s)
    assert r.loaded.runs == [] and len(r.loaded.missing) == 6 * 2 * 2 * 3
    assert (r.summary["state"] == "missing").all() and len(r.summary) == 12
    assert E.prose(r)["leaders_beyond"] == "no task has runs yet"
    assert not scratch.exists() or not any(scratch.iterdir())
    E.heatmap_figure(r.summary, s.models, s.tasks, E.NAMES)
    E.curves_figure(r.chosen, s.models, s.tasks, s.train_max, E.NAMES)


def test_the_notebook_reruns_with_other_parameters(tmp_path, monkeypatch):
    from test_notebook_parameters import execute          # one papermill runner for the chapter notebooks
    from mannlib.engine.cache import MANIFEST, run_path
    values = execute("every_memory", tmp_path, monkeypatch, "-y", "models: [lstm, sann]", "-y", "tasks: [mirror]",
                     "-p", "seeds", "1", "-p", "steps", "30")
    s = E.settings("quick", models=["lstm", "sann"], tasks=["mirror"], seeds=1, steps=30)
    wanted = E.configs(s)
    assert len(wanted) == 4 and {c.steps for c in wanted} == {30}
    assert all((run_path(c) / MANIFEST).exists() for c in wanted)                 # the runs it names, trained
    assert (values["em_n_models"], values["em_n_tasks"], values["em_n_seeds"]) == ("2", "1", "1")
    assert values["em_plan_runs"] == "4" and values["em_done"] == "2" and values["em_missing"] == "0"
    assert re.match(r"'mirror: (LSTM|SANN) ", values["em_leaders_beyond"])
