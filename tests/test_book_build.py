"""The book as a reader gets it: what the build reads, where MathJax comes from, what the text may
claim about the papers, and one parameters cell per chapter page (mannlib.runbook.hide_injected)."""
import json
import re

import nbformat
import pytest
import yaml
from sphinx.project import Project

from mannlib.engine.paths import ROOT
from mannlib.runbook import HIDDEN, INJECTED, hide_injected

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


# --- the build reads only what _toc.yml names ------------------------------------------------------
def test_sphinx_finds_no_file_in_hidden_folders_or_tool_caches(tmp_path):
    """only_build_toc_files leaves out every file it sees; these are the ones it does not see
    (it skips hidden folders) and that Sphinx would still read, so -W would fail on them."""
    stray = [".pytest_cache/README.md", ".mypy_cache/x.md", "book/.ipynb_checkpoints/mirror-checkpoint.ipynb",
             ".ci/notes.md", "_build/test-src/book/intro.md", ".venv/lib/x.md", "logs/run.md"]
    for rel in stray + ["book/intro.md", "book/mirror.ipynb"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}" if rel.endswith(".ipynb") else "# x\n")
    found = Project(tmp_path, {".md": "markdown", ".ipynb": "ipynb"}).discover(CONFIG["exclude_patterns"])
    assert found == {"book/intro", "book/mirror"}
    assert CONFIG["only_build_toc_files"] is True


def test_mathjax_is_served_from_the_book():
    assert "sphinx-mathjax-offline" in CONFIG["sphinx"]["extra_extensions"]
    assert "mathjax_path" not in CONFIG["sphinx"]["config"]             # the extension sets a local one
    pins = (ROOT / "requirements.txt").read_text() + (ROOT / "constraints.txt").read_text()
    assert pins.count("sphinx-mathjax-offline==0.0.2") == 2


# --- nothing said about a paper's hardware or budget that the paper does not say ---------------
# None of the three papers names its hardware or its training time (Wang: neither; Yang: "until
# convergence"; Koppula et al.: early stopping on a dev set), so a page may not say so either.
FORBIDDEN = ["trained on GPUs", "trained on a GPU", "on GPUs", "on TPUs", "trained for hours", "for hours on",
             "trained for days", "GPU hours", "GPU-hours", "GPU days", "GPU-days"]
PAGES = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "book").glob("*.md"))


def page_text(path) -> str:
    """Everything a page's source says: markdown, and code, whose strings are glued into prose."""
    if path.suffix == ".ipynb":
        return "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
    return path.read_text()


def forbidden(text: str) -> list[str]:
    """The FORBIDDEN phrases in ``text``, any case, also where a line break splits one."""
    text = " ".join(text.split())
    return [p for p in FORBIDDEN if re.search(rf"\b{re.escape(p)}\b", text, re.I)]


def test_forbidden_catches_what_it_is_for():
    assert forbidden("caveat: the paper trained on\nGPUs for an unreported number") == ["trained on GPUs", "on GPUs"]
    assert forbidden("The papers trained for hours on GPUs;") == ["on GPUs", "trained for hours", "for hours on"]
    assert forbidden("run on a GPU, or `reproduce --device cuda`; the LSTM's loop on the CPU") == []


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_no_page_claims_hardware_or_budget_a_paper_does_not_state(path):
    assert forbidden(page_text(path)) == []


# --- one parameters cell per chapter page ----------------------------------------------------------
def test_hide_injected_tags_only_papermills_cell(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('profile = "paper"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell('profile = "quick"', metadata={"tags": [INJECTED]}),
        nbformat.v4.new_code_cell("setup(profile)")])
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, path)
    assert hide_injected(path) == 1 and hide_injected(path) == 1       # twice: still one tag
    tags = [c.metadata.get("tags", []) for c in nbformat.read(path, as_version=4).cells]
    assert tags == [["parameters"], [INJECTED, HIDDEN], []]
    assert HIDDEN == "remove-cell"                                     # the tag myst-nb leaves out of the page
    plain = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), plain)
    before = plain.read_bytes()
    assert hide_injected(plain) == 0 and plain.read_bytes() == before   # nothing injected: untouched
