"""mannlib.chapters.mirror.design: two choices the paper leaves open, changed on the fixed-setting
runs (each changed run has a committed twin), and the table and sentence that report them."""
from types import SimpleNamespace

import pandas as pd
import pytest

from mannlib.chapters import mirror as M, run_targets, wang_runs as W
from mannlib.engine.config import profile_config


def test_design_runs_are_twins_of_the_fixed_setting_that_differ_in_one_field():
    configs = M.design_configs()
    assert run_targets()["mirror-design"] is M.design_configs
    assert [(c.model, c.seed) for c in configs] == [(m, s) for m in ("sann", "tann", "tann") for _ in range(2)
                                                    for s in (0, 1, 2)]
    chosen = W.final_configs("mirror", "paper", "paper", ("tann",))   # the paper protocol's TANN, then changed
    h_only = lambda c: c.replace(sizes={k: v for k, v in c.sizes.items() if k != "head_input"})   # noqa: E731
    assert configs[12:15] == chosen and configs[15:] == [h_only(c) for c in chosen]
    twins, changed = configs[:3] + configs[6:9], configs[3:6] + configs[9:12]
    assert all(t in M.paper_configs() for t in twins)               # the committed fixed-setting runs
    assert all(t.sizes["head_input"] is True for t in twins if t.model == "tann")   # Wang §2: x_t into the heads
    for twin, c in zip(twins, changed):
        if c.model == "sann":
            extra = {k: v for k, v in c.sizes.items() if twin.sizes.get(k) != v}
            assert extra == {"max_pops": 1}
            assert c == profile_config("mirror", "sann", "paper", c.seed, **{"sizes.max_pops": 1})
        else:   # the tape's heads back to h_t only: the field removed, so the run keeps its old id
            assert c == h_only(twin) and "head_input" not in c.sizes
    assert [c.seed for c in M.design_configs("quick")] == [0, 1] * 4
    assert [c.seed for c in M.design_configs(seeds=1)] == [0] * 6            # one seed of each of the six groups


def run(model, seed, beyond, sizes=None, within=1.0, **fields):
    """A made-up run: accuracy ``within`` at lengths 1-5 and ``beyond`` (a list) at 6-10."""
    config = profile_config("mirror", model, "paper", seed, **{f"sizes.{k}": v for k, v in (sizes or {}).items()},
                            **fields)
    acc = pd.DataFrame({"accuracy": [within] * 5 + list(beyond)}, index=pd.Index(range(1, 11), name="difficulty"))
    return SimpleNamespace(config=config, eval=acc)


def h_only(r):
    """A made-up TANN run changed to heads that read h_t only (its config without head_input)."""
    return SimpleNamespace(config=M.changed(r.config, {"sizes.head_input": None}), eval=r.eval)


def test_design_table_and_text_by_hand():
    runs = [run("sann", 0, [0.1, 0, 0, 0, 0]), run("sann", 1, [0.3, 0, 0, 0, 0]),
            run("sann", 0, [0, 0, 0, 0, 0], {"max_pops": 1}), run("sann", 1, [0.2, 0, 0, 0, 0], {"max_pops": 1}),
            run("tann", 0, [0, 0, 0, 0, 0]), run("tann", 1, [0.05, 0, 0, 0, 0]),
            h_only(run("tann", 0, [1, 1, 1, 1, 0.9])), h_only(run("tann", 1, [1, 1, 1, 1, 0]))]
    t = M.design_table(runs)
    sann_k1, tann_x = (M.DESIGN[m][0] for m in ("sann", "tann"))
    fixed = "fixed setting"
    assert t.index.tolist() == [("SANN", fixed, "as committed"), ("SANN", fixed, sann_k1),
                                ("TANN", fixed, "as committed"), ("TANN", fixed, tann_x)]
    assert t.columns.tolist() == ["seeds", "lengths 1-5", "length 6", "lengths 6-10", "lengths 6-10, per seed"]
    assert t.loc[("TANN", fixed, tann_x), "lengths 6-10, per seed"] == "98.0% (seed 0), 80.0% (seed 1)"
    assert t["seeds"].tolist() == [2, 2, 2, 2]
    # medians over two seeds: SANN (0.02, 0.06) -> 0.04, K = 1 (0, 0.04) -> 0.02; TANN (0, 0.01) -> 0.005,
    # x_t (0.98, 0.8) -> 0.89
    assert t["lengths 6-10"].tolist() == pytest.approx([0.04, 0.02, 0.005, 0.89])
    assert t["length 6"].tolist() == pytest.approx([0.2, 0.1, 0.025, 1.0])
    assert M.design_text(t) == (
        f"Mean accuracy at lengths 6-10, median over seeds: SANN (fixed setting) 4.0% as committed, 2.0% with "
        f"{sann_k1}; TANN (fixed setting) 0.5% as committed, 89.0% with {tann_x}. So the change helps TANN (fixed "
        "setting) by at least 10%, and no model reaches 95% there, changed or not.")
    runs[-1] = h_only(run("tann", 1, [1, 1, 1, 1, 1]))       # median (0.98, 1.0) = 0.99
    assert M.design_text(M.design_table(runs)).endswith("and 95% there is reached by TANN (fixed setting) changed.")
    flat = [r for r in runs if r.config.model == "sann"]
    assert M.design_text(M.design_table(flat)).endswith("So no change moves a model by 10% or more, and no "
                                                         "model reaches 95% there, changed or not.")
    worse = runs[4:6] + [h_only(run("tann", s, [0, 0, 0, 0, 0])) for s in (0, 1)]
    worse[:2] = [run("tann", 0, [1, 1, 1, 1, 1]), run("tann", 1, [1, 1, 1, 1, 0.95])]   # as committed: 99.5%
    assert M.design_text(M.design_table(worse)).endswith(
        "So the change costs TANN (fixed setting) at least 10%, and 95% there is reached by TANN (fixed setting) "
        "as committed.")
    protocol = [run("tann", 0, [0.1, 0, 0, 0, 0], patience=10),
                h_only(run("tann", 0, [0.2, 0, 0, 0, 0], patience=10))]   # a protocol run and its change
    t = M.design_table(runs[4:6] + protocol)
    assert t.index.tolist() == [("TANN", fixed, "as committed"), ("TANN", "paper protocol's cell", "as committed"),
                                ("TANN", "paper protocol's cell", tann_x)]
    assert "TANN (paper protocol's cell) 2.0% as committed, 4.0% with" in M.design_text(t)
