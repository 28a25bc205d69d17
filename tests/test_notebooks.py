"""The notebook contract (README, 'Notebooks'): checked on every source notebook."""
import json
import re

import pytest

from mannlib.notebook import PROFILES, setup
from mannlib.engine.paths import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TOC = (ROOT / "_toc.yml").read_text()


def test_there_are_chapter_notebooks():
    assert {p.stem for p in NOTEBOOKS} >= {"mirror", "m10ae", "lantm", "memory_signatures"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_contract(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), "stored with outputs"
    params = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged 'parameters'"
    assert re.search(r'^profile\s*=\s*"paper"', "".join(params[0]["source"]), re.M), "profile defaults to paper"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    source = "\n".join("".join(c["source"]) for c in code)
    assert "setup(profile)" in source
    assert not re.search(r"['\"]\.\./|os\.chdir|Path\.cwd\(\)|getcwd", source), "paths must come from mannlib.engine.paths"
    assert "tqdm" not in source, "no tqdm bars in notebooks"
    assert f"file: book/{path.stem}" in TOC, "every chapter is wired into _toc.yml"


def test_setup_rejects_unknown_profile():
    with pytest.raises(ValueError, match="choose one of paper, quick"):
        setup("fast")


def test_quick_profile_never_uses_data_runs(monkeypatch):
    monkeypatch.setenv("MANNLIB_RUNS", "")  # unset; monkeypatch restores it
    monkeypatch.setenv("MANNLIB_PROGRESS", "coarse")
    setup("quick")
    from mannlib.engine.paths import DATA, runs_dir
    assert DATA not in runs_dir().parents and runs_dir() != DATA / "runs"
    assert PROFILES == ("paper", "quick")
