"""Rerunning a chapter with new parameters (issue 17): the notebook executes in the quick profile
with non-default experiment parameters, trains exactly the runs they name into a scratch cache,
and its glued prose states the new values."""
import json
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


def test_lantm_chapter_reruns_with_other_seeds_and_updates(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    out = tmp_path / "lantm.ipynb"
    env = {"MANNLIB_RUNS": str(runs), "MANNLIB_PROGRESS": "none"}
    monkeypatch.setenv("MANNLIB_RUNS", str(runs))
    proc = subprocess.run(
        [sys.executable, "-m", "papermill", str(ROOT / "notebooks" / "lantm.ipynb"), str(out), "-k", "python3",
         "-p", "profile", "quick", "-p", "steps", "30", "-y", "seeds: [1]", "--cwd", str(tmp_path)],
        capture_output=True, text=True, env={**__import__("os").environ, **env})
    assert proc.returncode == 0, proc.stderr[-3000:]
    from mannlib.chapters import lantm as L
    from mannlib.engine.cache import MANIFEST, run_path
    wanted = L.configs(L.settings("quick", steps=30, seeds=[1]))
    assert {c.steps for c in wanted} == {30} and {c.seed for c in wanted if c.model != "lstm"} == {1}
    assert all((run_path(c) / MANIFEST).exists() for c in wanted)              # the new run ids, trained
    values = glued(json.loads(out.read_text()))
    assert values["lantm_steps"] == "'30'" and values["lantm_invnorm_seeds"] == "1"   # the prose follows
