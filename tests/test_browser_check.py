"""The browser checker's logic that needs no browser (tests/browser/check_book.py; make browser-test)."""
import base64
import hashlib
import importlib.util
import sys
import urllib.error
import urllib.request

import pytest

from mannlib.engine.paths import ROOT

_spec = importlib.util.spec_from_file_location("check_book", ROOT / "tests" / "browser" / "check_book.py")
cb = sys.modules["check_book"] = importlib.util.module_from_spec(_spec)  # dataclasses look the module up
_spec.loader.exec_module(cb)

SHA_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # sha256(b"abc"), FIPS 180-2
B64_ABC = base64.b64encode(b"abc").decode()  # "YWJj"


def png_output(b64, name=None):
    out = {"output_type": "display_data", "metadata": {}, "data": {"text/plain": ["<Figure>"]}}
    if name:  # myst_nb.glue(name, fig, display=False): prefixed mime and a scrapbook name
        out["data"]["application/papermill.record/image/png"] = b64
        out["metadata"]["scrapbook"] = {"name": name, "mime_prefix": "application/papermill.record/"}
    else:
        out["data"]["image/png"] = b64
    return out


def code(*outputs, tags=()):
    return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": "", "outputs": list(outputs)}


def md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def test_image_digests_hash_decoded_bytes_like_myst_nb():
    assert cb.image_digests({"image/png": B64_ABC, "text/plain": "x"}) == (SHA_ABC,)
    assert cb.image_digests({"application/papermill.record/image/png": ["YW", "Jj"]}) == (SHA_ABC,)
    # svg is text: lines re-joined with os.linesep, no trailing newline
    assert cb.image_digests({"image/svg+xml": ["<svg>\n", "</svg>\n"]}) == (hashlib.sha256(b"<svg>\n</svg>").hexdigest(),)
    assert cb.image_digests({"text/html": "<img>"}) == ()


def test_promised_figures_shown_and_pasted_images_only():
    other = base64.b64encode(b"xyz").decode()
    nb = {"cells": [
        code(png_output(B64_ABC)),                                   # shown: promised, no caption needed
        code(png_output(other), tags=["remove-output"]),             # removed: not promised
        code(png_output(other, "fig_a"), png_output(B64_ABC, "fig_b"), png_output(other, "fig_c")),
        md("```{glue:figure} fig_a\n:name: f\nWhat to look at.\n```\nand {glue}`fig_b`, {glue:text}`n`"),
        md(":::{glue:figure} missing_key\n:::"),                      # not glued here: the build's business
    ]}
    sha_other = hashlib.sha256(b"xyz").hexdigest()
    figures, unpasted = cb.promised_figures(nb)
    assert figures == [cb.Figure("cell 0 output 0", (SHA_ABC,), False),
                       cb.Figure("fig_a", (sha_other,), True),
                       cb.Figure("fig_b", (SHA_ABC,), False)]
    assert unpasted == ["fig_c"]


def test_glue_figure_anywhere_makes_the_caption_required():
    nb = {"cells": [code(png_output(B64_ABC, "k")), md("{glue}`k`"), md("```{glue:figure} k\nCap\n```")]}
    assert cb.promised_figures(nb)[0] == [cb.Figure("k", (SHA_ABC,), True)]


def img(name, width=100, caption=None):
    return {"src": f"/_images/{name}", "width": width, "caption": caption, "complete": True}


def test_page_problems_names_each_defect():
    figs = [cb.Figure("a", ("d1",), True), cb.Figure("b", ("d2", "d3"), False), cb.Figure("c", ("d4",), True),
            cb.Figure("e", ("d5" * 10,), False)]
    images = [img("d1.png", caption="Look here."), img("d3.svg"), img("d4.png", caption=" \n"), img("logo.png", 0)]
    assert cb.page_problems("Mirror", images, figs) == [
        "broken image /_images/logo.png (naturalWidth 0)",
        "figure c has no caption",
        "promised figure e is missing (no <img> named d5d5d5d5d5d5...)",
    ]
    assert cb.page_problems(" ", [], []) == ["the page has no <title>"]
    assert cb.page_problems("T", [img("d1.png", caption="ok")], figs[:1]) == []


def test_book_pages_skip_sphinx_folders_and_search(tmp_path):
    for rel in ["index.html", "search.html", "genindex.html", "book/a.html", "_static/x.html",
                "book/_hidden/y.html", "_sources/book/a.ipynb"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    assert cb.book_pages(tmp_path) == ["book/a.html", "genindex.html", "index.html"]
    assert cb.source_notebook(tmp_path, "book/a.html") == tmp_path / "_sources/book/a.ipynb"
    assert cb.source_notebook(tmp_path, "index.html") is None


def test_server_is_loopback_and_records_failed_requests_with_their_page(tmp_path):
    (tmp_path / "index.html").write_text("<title>x</title>")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with cb.serve(tmp_path) as (base, errors):
        assert base.startswith("http://127.0.0.1:")
        assert opener.open(f"{base}/index.html", timeout=5).status == 200
        for path in ["/gone.png", "/favicon.ico"]:
            req = urllib.request.Request(f"{base}{path}", headers={"Referer": f"{base}/index.html"})
            with pytest.raises(urllib.error.HTTPError):
                opener.open(req, timeout=5)
    assert errors == [(f"{base}/index.html", "HTTP 404 for /gone.png")]


def test_main_says_build_first_when_there_is_no_book(tmp_path, capsys):
    assert cb.main([str(tmp_path)]) == 2
    assert "build the book first" in capsys.readouterr().err


def test_tex_left_flags_unrendered_tex_and_spares_prose():
    prose = "δ = 1, h_t in words, costs 5 $ or 6 $, a set {x}, C++ and 3 < 4 > 2 (a) [b]"
    assert cb.tex_left(prose) == []
    found = cb.tex_left(r"read \(x_t\) then $$y$$, the \mathbf{h} and $\alpha_t$ too", limit=10)
    assert [f.split(" in ")[0] for f in found] == [
        r"unrendered TeX '\\('", r"unrendered TeX '\\)'", "unrendered TeX '$$'", "unrendered TeX '$$'",
        r"unrendered TeX '\\mathbf'", r"unrendered TeX '$\\alpha_t$'"]
    assert r"'...read \(x_t\) then" in found[0]                       # with its context
    assert cb.tex_left(r"\[ a \] " * 5)[-1] == "... and 7 more TeX leftovers"   # 10 found, 3 shown


def test_console_errors_fail_the_page_unless_the_toolchain_is_known():
    messages = ["Uncaught SyntaxError: Identifier 'THEBE_JS_URL' has already been declared",
                "Uncaught ReferenceError: glue is not defined"]
    problems, notes = cb.console_problems(messages)
    assert problems == ["console error: Uncaught ReferenceError: glue is not defined"]
    assert len(notes) == 1 and cb.TOOLCHAIN_ERRORS[next(iter(cb.TOOLCHAIN_ERRORS))] in notes[0]
    assert cb.console_problems(messages, allowed={}) == ([f"console error: {m}" for m in messages], [])
    assert all(len(why) > 40 for why in cb.TOOLCHAIN_ERRORS.values())   # each one says why


def test_a_page_wider_than_its_window_fails():
    assert cb.width_problem(1280, 1265, 1265, None) == []
    assert cb.width_problem(390, 616, 390, 'div "wide"') == [
        'at 390 px the page is 616 px wide (window 390 px); widest content: div "wide"']
    assert cb.WIDTHS == (1280, 390)
