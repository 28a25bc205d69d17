"""Rerunning a chapter with new parameters (issue 17): the notebook executes in the quick profile
with non-default experiment parameters, trains exactly the runs they name into a scratch cache,
and its glued prose states the new values."""
import json
import os
import subprocess
import sys

from mannlib.engine.paths import ROOT


def glued(nb: dict) -> dict:
    """name -> the text/plain value of every myst_nb glue in an executed notebook."""
    out = {}
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                out[name] = o.get("data", {}).get("application/papermill.record/text/plain", "")
    return out


def execute(chapter: str, tmp_path, monkeypatch, *parameters) -> dict:
    """Run notebooks/CHAPTER.ipynb with papermill into a scratch cache (tmp_path/runs, also set for
    this process) with the extra ``parameters`` (papermill arguments); the glued values."""
    runs, out = tmp_path / "runs", tmp_path / f"{chapter}.ipynb"
    monkeypatch.setenv("MANNLIB_RUNS", str(runs))
    proc = subprocess.run(
        [sys.executable, "-m", "papermill", str(ROOT / "notebooks" / f"{chapter}.ipynb"), str(out), "-k", "python3",
         "-p", "profile", "quick", *parameters, "--cwd", str(tmp_path)],
        capture_output=True, text=True, env={**os.environ, "MANNLIB_RUNS": str(runs), "MANNLIB_PROGRESS": "none"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return glued(json.loads(out.read_text()))


def test_lantm_chapter_reruns_with_other_seeds_and_updates(tmp_path, monkeypatch):
    values = execute("lantm", tmp_path, monkeypatch, "-p", "steps", "30", "-y", "seeds: [1]")
    from mannlib.chapters import lantm as L
    from mannlib.engine.cache import MANIFEST, run_path
    wanted = L.configs(L.settings("quick", steps=30, seeds=[1]))
    assert {c.steps for c in wanted} == {30} and {c.seed for c in wanted if c.model != "lstm"} == {1}
    assert all((run_path(c) / MANIFEST).exists() for c in wanted)              # the new run ids, trained
    assert values["lantm_steps"] == "'30'" and values["lantm_invnorm_seeds"] == "1"   # the prose follows


def test_mirror_chapter_reruns_with_other_cells_and_seeds(tmp_path, monkeypatch):
    values = execute("mirror", tmp_path, monkeypatch, "-p", "cells", "5", "-y", "seeds: [1]")
    from mannlib.chapters import mirror as M
    from mannlib.engine.cache import MANIFEST, run_path
    wanted = M.configs(M.settings("quick", cells=5, seeds=[1]))
    assert {(c.seed, c.sizes.get("cells")) for c in wanted if c.model in M.MEMORY_MODELS} == {(1, 5)}
    assert all((run_path(c) / MANIFEST).exists() for c in wanted)              # the new run ids, trained
    assert values["mirror_seeds"] == "'1'" and values["mirror_n_seeds"] == "1"  # the prose follows
    assert "N = 5 memory cells" in values["mirror_sizes"] and values["mirror_last_cell"] == "4"


def test_m10ae_chapter_reruns_with_other_cells_steps_and_seeds(tmp_path, monkeypatch):
    values = execute("m10ae", tmp_path, monkeypatch, "-p", "cells", "4", "-p", "steps", "20", "-y", "seeds: [1]")
    from mannlib.chapters import m10ae as C
    from mannlib.engine.cache import MANIFEST, run_path
    s = C.settings("quick", steps=20, cells=4, seeds=[1])
    wanted = C.grid_configs(s) + C.configs(s) + C.long_configs(s)
    assert {c.sizes["cells"] for c in wanted if c.model in C.MEMORY_MODELS} == {4}
    assert {c.steps for c in C.configs(s)} == {20} and {c.seed for c in C.configs(s)} == {1}
    assert all((run_path(c) / MANIFEST).exists() for c in wanted)              # the new run ids, trained
    assert (values["m10ae_cells"], values["m10ae_n_seeds"], values["m10ae_steps"]) == ("4", "1", "'20'")
    assert values["m10ae_n_runs"] == "4" and values["m10ae_sizes"].startswith("'memories of 4 cells")


def test_m10ae_chapter_reruns_with_two_models_and_another_lpo_range(tmp_path, monkeypatch):
    values = execute("m10ae", tmp_path, monkeypatch, "-p", "train_max", "10", "-y", "models: [sann, lstm]")
    from mannlib.chapters import m10ae as C
    from mannlib.engine.cache import MANIFEST, run_path
    s = C.settings("quick", train_max=10, models=["sann", "lstm"])
    wanted = C.every_config(s)
    assert {c.model for c in wanted} == {"lstm", "sann"} and {c.task_args["train_max"] for c in wanted} == {10}
    assert {c.eval_difficulties for c in C.configs(s)} == {(0, 5, 10, 11, 20)}
    assert all((run_path(c) / MANIFEST).exists() for c in wanted)              # the new run ids, trained ...
    assert {p.name for p in (tmp_path / "runs").iterdir()} == {run_path(c).name for c in wanted}   # ... and no other
    assert (values["m10ae_inside"], values["m10ae_beyond"], values["m10ae_train_max"]) == ("'0-10'", "'11-20'", "10")
    assert values["m10ae_models_text"] == "'LSTM and SANN'" and values["m10ae_n_runs"] == "4"
    assert values["m10ae_generalise_verdict"] == "'not testable'"                  # a claim that needs all four
    assert "not trained: SRNN, TANN" in values["m10ae_generalise_ours"]
    assert values["m10ae_srnn_verdict"] == "'not testable'" and values["m10ae_memory_verdict"] == "'not testable'"
    assert "#LPO 11-20" in values["m10ae_generalise_criterion"] and "LSTM" in values["m10ae_inside_text"]
    assert "TANN" not in values["m10ae_ms_text"] and "not trained on this page" in values["m10ae_long_tann"]


def test_memory_signatures_chapter_reruns_with_other_delta_sizes_and_adaptation(tmp_path, monkeypatch):
    """The short setting, named (the book's default is the plateau setting, tested below)."""
    values = execute("memory_signatures", tmp_path, monkeypatch, "-p", "trained", "short", "-p", "delta", "5",
                     "-y", "sizes: [8, 16]", "-p", "adaptation", "0.1")
    from mannlib.chapters import memory_signatures as MS
    p = MS.settings("quick", "short", delta=5, sizes=[8, 16], adaptation=0.1)
    names = {u.name for u in MS.units(p)}
    assert {"news-gru-1x8", "news-lstm-1x8", "shakespeare-lstm-1x32-news10"} <= names   # sizes, Fig. 4b's fraction
    assert MS.results_dir(p) != MS.models_dir(p)                     # other decoders: a folder of their own ...
    assert all((MS.results_dir(p) / f"{n}.json").exists() for n in names)        # ... holding every unit, trained
    assert not (MS.models_dir(p) / "news-gru-1x16.json").exists()   # nothing written under the default decoding
    assert MS.load_results(p)["news-gru-1x8"]["signatures"]["layer1"].accuracy.shape == (5, 31)   # Δ = 5
    assert values["sig_delta"] == "'5'" and values["sig_sizes"] == "'8, 16'"                   # the prose follows
    assert "10% of the news" in values["sig_fig4_b"] and "8 and 16 units" in values["sig_design"]
    assert values["sig_setting"] == "'short'" and values["sig_curves_n"] == "'0'"   # no dev checks, no curves
    assert "The short setting has no learning curves" in values["sig_curves_text"]


def test_memory_signatures_default_setting_reruns_with_other_delta_sizes_and_adaptation(tmp_path, monkeypatch):
    """The default, a plateau setting (issue 21): BBC News in WSJ's roles, the learning curves glued."""
    values = execute("memory_signatures", tmp_path, monkeypatch, "-p", "delta", "5", "-y", "sizes: [8, 16]",
                     "-p", "adaptation", "0.1")
    from mannlib.chapters import memory_signatures as MS
    p = MS.settings("quick", delta=5, sizes=[8, 16], adaptation=0.1)
    assert p.trained == MS.TRAINED in MS.PLATEAU_CAPS and p.domain == "bbc"
    names = {u.name for u in MS.units(p)}
    assert {"bbc-gru-1x8", "bbc-lstm-1x8", "shakespeare-lstm-1x32-bbc10"} <= names      # sizes, Fig. 4b's fraction
    assert MS.results_dir(p) != MS.models_dir(p) == runs_folder(tmp_path, f"signatures-quick-{MS.TRAINED}")
    assert all((MS.results_dir(p) / f"{n}.json").exists() for n in names)        # every unit, trained
    assert not (MS.models_dir(p) / "bbc-gru-1x16.json").exists()    # nothing written under the default decoding
    results = MS.load_results(p)
    assert results["bbc-gru-1x8"]["signatures"]["layer1"].accuracy.shape == (5, 31)     # Δ = 5
    assert values["sig_delta"] == "'5'" and values["sig_sizes"] == "'8, 16'"                   # the prose follows
    assert "10% of the BBC News" in values["sig_fig4_b"] and "8 and 16 units" in values["sig_design"]
    lms = [n for n, r in results.items() if "lm" in r]
    assert values["sig_setting"] == f"'{MS.TRAINED}'" and values["sig_curves_n"] == f"'{len(lms)}'"   # a curve per model
    assert f"of {len(lms)} at their last check" in values["sig_curves_text"]


def runs_folder(tmp_path, name):
    """The chapter's folder ``name`` in the scratch run cache of :func:`execute`."""
    return tmp_path / "runs" / name
