"""Open every page of the built book in headless Chromium and check what a reader would see.

    python tests/browser/check_book.py [_build/html] [--screenshots DIR] [--jobs 1]

Serves the HTML folder on 127.0.0.1 (a free port, loopback only) and, for each page, asserts:

- it loads: HTTP 200 and a non-empty <title>;
- no broken image: every <img> finished loading with naturalWidth > 0;
- every figure its chapter promises is there. A chapter page is built from an executed notebook
  (Sphinx keeps a copy in ``_sources/``); the notebook promises each image output it displays and
  each glued image its markdown pastes with ``{glue:figure}``/``{glue}``. myst-nb names an image
  file after the sha256 of its bytes, so each promise is matched to one <img> exactly; a
  ``{glue:figure}`` must also carry a non-empty caption (STYLE: every figure says what to look at);
- the server answered no request from the page with an error (a missing script, style or image);
- every formula is rendered: MathJax (served from the book's own ``_static/mathjax``) has
  typeset each ``.math`` element, and no TeX is left in the text a reader sees (``\\(``, ``\\[``,
  ``$$``, ``\\frac``, ``$x_t$``, ...; code blocks and folded text aside);
- the browser console shows no error from the page, except those in :data:`TOOLCHAIN_ERRORS`
  (each with the reason it is not the book's defect);
- the page is no wider than the window, at 1280 px (a laptop) and 390 px (a phone): a wide
  table or figure must scroll inside its own box;
- the search page answers: ``search.html?q=memory`` lists at least one hit.

A full-page screenshot of every page at both widths goes to ``--screenshots`` (default: next to the
HTML folder, ``_build/screenshots``; ``book__mirror.png`` and ``book__mirror@390.png``). Exit
status: 0 all passed, 1 a check failed, 2 a setup problem. Chromium and chromedriver come from the
Debian packages ``chromium`` and ``chromium-driver``; selenium drives them. Chromium cannot reach
anything but 127.0.0.1 (``--host-resolver-rules``): a page that needs the network, say MathJax
from a CDN, fails here as it would for a reader offline.
"""
from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import http.server
import json
import os
import re
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
    "--disable-dev-shm-usage", "--no-proxy-server", "--window-size=1280,1000",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # nothing but loopback resolves
]
BINARY_IMAGES = {"image/png", "image/jpeg", "image/gif"}  # base64 in the notebook; svg is text
GLUE_PREFIX = "application/papermill.record/"
REMOVED_TAGS = {"remove-output", "remove_output", "remove-cell", "remove_cell"}
# ```{glue:figure} key   :::{glue} key   {glue}`key`   {glue:any}`key`
GLUE_DIRECTIVE = re.compile(r"^\s*(?:`{3,}|:{3,})\{glue(?::(figure|any))?:?\}\s+(\S+)", re.M)
GLUE_ROLE = re.compile(r"\{glue(?::any)?\}`([^`]+)`")
MAX_SHOT_HEIGHT = 30000  # px; a taller page is cut (Chromium's capture limit is about 2^15)
WIDTHS = (1280, 390)     # px: a laptop's window and a phone's (390 x 844, an iPhone 12-15)
# Unrendered TeX in the text a reader sees: MathJax's delimiters, a TeX command, a $...$ span with
# TeX in it. Prose never needs a backslash followed by letters.
TEX_LEFT = re.compile(r"\\[()\[\]]|\$\$|\\[A-Za-z]{2,}|\$[^$\s][^$]{0,80}?[\\^_{}][^$]{0,80}?\$")
# Console errors that the toolchain itself produces on a correct page, each with why it is not the
# book's defect (a note, not a failure). Everything else the console reports fails the page.
TOOLCHAIN_ERRORS = {
    "Identifier 'THEBE_JS_URL' has already been declared":
        "sphinx-thebe 0.3.1, which jupyter-book 1.0.4 always loads, writes its settings script into "
        "every page twice; the second copy's `const` fails, the first has set the same values, and "
        "the book offers no live-code (Thebe) button that would use them",
}


class QuietServer(http.server.ThreadingHTTPServer):
    """Chromium drops connections it no longer needs (a page left mid-download): not an error."""
    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SetupError(Exception):
    """Something the checker needs is missing (not a defect of the book)."""


@dataclass(frozen=True)
class Figure:
    """One image a chapter notebook promises its page will show."""
    name: str                # glue key, or "cell N output M" for a plainly displayed image
    digests: tuple[str, ...]  # sha256 of each image mime's bytes = myst-nb's file name in _images/
    captioned: bool          # pasted by {glue:figure}: must sit in a <figure> with a caption


@dataclass
class PageResult:
    page: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: str = ""
    seconds: float = 0.0


# ---------------------------------------------------------------- pure logic (tested without a browser)

def image_digests(data: dict) -> tuple[str, ...]:
    """sha256 hex digests of the image mimes in one output's ``data``, hashed as myst-nb does."""
    out = []
    for mime, content in data.items():
        mime = mime.removeprefix(GLUE_PREFIX)
        if not mime.startswith("image/"):
            continue
        text = "".join(content) if isinstance(content, list) else content
        raw = base64.b64decode(text) if mime in BINARY_IMAGES else os.linesep.join(text.splitlines()).encode()
        out.append(hashlib.sha256(raw).hexdigest())
    return tuple(out)


def promised_figures(nb: dict) -> tuple[list[Figure], list[str]]:
    """The images an executed notebook promises, and the glued image keys it never pastes."""
    glued: dict[str, tuple[str, ...]] = {}
    shown: list[Figure] = []
    pasted: dict[str, bool] = {}  # key -> pasted by {glue:figure}
    for i, cell in enumerate(nb.get("cells", [])):
        source = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "markdown":
            for kind, key in GLUE_DIRECTIVE.findall(source):
                pasted[key] = pasted.get(key, False) or kind == "figure"
            for key in GLUE_ROLE.findall(source):
                pasted.setdefault(key, False)
            continue
        removed = bool(REMOVED_TAGS & set(cell.get("metadata", {}).get("tags", [])))
        for j, out in enumerate(cell.get("outputs", [])):
            digests = image_digests(out.get("data", {}))
            key = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if digests and key:
                glued[key] = digests
            elif digests and not removed:
                shown.append(Figure(f"cell {i} output {j}", digests, captioned=False))
    figures = shown + [Figure(k, glued[k], captioned=c) for k, c in pasted.items() if k in glued]
    return figures, sorted(k for k in glued if k not in pasted)


def page_problems(title: str, images: list[dict], figures: list[Figure]) -> list[str]:
    """What is wrong with a loaded page. ``images``: one dict per <img> with ``src`` (URL),
    ``width`` (naturalWidth) and ``caption`` (text of the enclosing <figure>'s caption, or None)."""
    problems = [] if title.strip() else ["the page has no <title>"]
    problems += [f"broken image {im['src']} (naturalWidth 0)" for im in images if not im["width"]]
    by_digest = {}
    for im in images:
        by_digest.setdefault(im["src"].rsplit("/", 1)[-1].split(".", 1)[0], im)
    for fig in figures:
        im = next((by_digest[d] for d in fig.digests if d in by_digest), None)
        if im is None:
            problems.append(f"promised figure {fig.name} is missing (no <img> named {fig.digests[0][:12]}...)")
        elif fig.captioned and not (im["caption"] or "").strip():
            problems.append(f"figure {fig.name} has no caption")
    return problems


def tex_left(text: str, limit: int = 3) -> list[str]:
    """Where visible ``text`` still holds TeX: up to ``limit`` snippets, each with some context."""
    out = []
    for m in TEX_LEFT.finditer(text):
        snippet = " ".join(text[max(0, m.start() - 30):m.end() + 30].split())
        out.append(f"unrendered TeX {m.group()!r} in '...{snippet}...'")
    return out[:limit] + ([f"... and {len(out) - limit} more TeX leftovers"] if len(out) > limit else [])


def console_problems(messages: list[str], allowed: dict[str, str] = TOOLCHAIN_ERRORS) -> tuple[list[str], list[str]]:
    """Split console errors into (problems, notes): a message containing a key of ``allowed``
    is the toolchain's, a note with its reason; every other one is a problem of the page."""
    problems, notes = [], []
    for msg in messages:
        key = next((k for k in allowed if k in msg), None)
        if key is None:
            problems.append(f"console error: {msg}")
        else:
            notes.append(f"console (toolchain: {allowed[key]}): {msg}")
    return problems, notes


def width_problem(width: int, page_width: int, view_width: int, culprit: str | None) -> list[str]:
    """The page must fit its window: no horizontal scrolling of the whole page."""
    if page_width <= view_width:
        return []
    return [f"at {width} px the page is {page_width} px wide (window {view_width} px)"
            + (f"; widest content: {culprit}" if culprit else "")]


# ---------------------------------------------------------------- server and browser

@contextmanager
def serve(root: Path):
    """Serve ``root`` on 127.0.0.1 at a free port; yield (base URL, error answers). Each error is
    (referring URL, message): the page that asked for the missing file."""
    errors: list[tuple[str, str]] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_request(self, code="-", size="-"):
            if int(getattr(code, "value", code)) >= 400 and self.path != "/favicon.ico":
                errors.append((self.headers.get("Referer", ""), f"HTTP {int(code)} for {self.path}"))

        def log_message(self, *args):  # quiet
            pass

    server = QuietServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", errors
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def browser(chromium: str, chromedriver: str, timeout: float):
    """A headless Chromium with a fresh profile, driven by selenium; always quit afterwards."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as e:
        raise SetupError("selenium is not installed (pip install selenium; make browser-test does it)") from e
    for exe in (chromium, chromedriver):
        if not Path(exe).exists():
            raise SetupError(f"{exe} not found (apt-get install chromium chromium-driver; make browser-test does it)")
    with tempfile.TemporaryDirectory(prefix="check-book-profile-") as profile:
        opts = webdriver.ChromeOptions()
        opts.binary_location = chromium
        for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
            opts.add_argument(flag)
        opts.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
        driver = webdriver.Chrome(options=opts, service=Service(executable_path=chromedriver))
        try:
            driver.set_page_load_timeout(timeout)
            driver.set_script_timeout(timeout)
            yield driver
        finally:
            driver.quit()


IMAGES_JS = """
document.querySelectorAll('img[loading="lazy"]').forEach(im => { im.loading = 'eager'; });
return Array.from(document.images).map(im => {
  const cap = im.closest('figure') && im.closest('figure').querySelector('figcaption');
  return {src: im.currentSrc || im.src, complete: im.complete, width: im.naturalWidth,
          caption: cap ? cap.innerText : null};
});"""


def wait_for(driver, condition, timeout: float, what: str):
    """Poll ``condition(driver)`` until truthy; raise TimeoutError naming ``what`` after ``timeout`` s."""
    from selenium.webdriver.support.ui import WebDriverWait
    from selenium.common.exceptions import TimeoutException
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.2).until(condition)
    except TimeoutException:
        raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}") from None


# MathJax 3 resolves MathJax.startup.promise once it has typeset the page; Sphinx marks every
# formula with class "math", and MathJax puts an <mjx-container> into each one it renders.
MATH_JS = """
const [timeout, done] = [arguments[0], arguments[arguments.length - 1]];
const total = document.querySelectorAll('.math').length;
const count = () => document.querySelectorAll('.math mjx-container').length;
if (!total) { done({total, rendered: 0, error: null}); return; }
const deadline = Date.now() + 800 * timeout;  // before selenium's own script timeout
(function poll() {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    MathJax.startup.promise.then(() => done({total, rendered: count(), error: null}),
                                 e => done({total, rendered: count(), error: String(e)}));
  } else if (Date.now() > deadline) {
    done({total, rendered: count(), error: 'MathJax did not load'});
  } else { setTimeout(poll, 100); }
})();"""

# The text a reader sees: every text node that is laid out (not in a closed <details>, a hidden
# tab or display:none), outside code, scripts and rendered formulas.
VISIBLE_TEXT_JS = """
const skip = 'pre, code, script, style, textarea, mjx-container, .highlight';
const out = [], walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const el = n.parentElement;
  if (n.nodeValue.trim() && el && !el.closest(skip) && el.getClientRects().length) out.push(n.nodeValue);
}
return out.join('\\n');"""

# [page width, window width, what sticks out or null]: of the elements that no scroll box clips and
# that reach past the window, the deepest one wider than the window (else the one reaching
# furthest), named by tag, classes and the start of its text.
WIDTH_JS = """
// The window's width, less a scroll bar; a phone's layout viewport may grow to fit a page that is
// too wide, so the width we asked for counts too.
const view = Math.min(document.documentElement.clientWidth, arguments[0]);
const page = document.documentElement.scrollWidth;
if (page <= view) return [page, view, null];
const clipped = el => { for (let a = el.parentElement; a && a !== document.body; a = a.parentElement)
  if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(a).overflowX)) return true; return false; };
const out = Array.from(document.body.querySelectorAll('*')).filter(
  el => el.getBoundingClientRect().right > view + 1 && !clipped(el));
const depth = el => { let d = 0; for (let a = el; a; a = a.parentElement) d++; return d; };
const wide = out.filter(el => el.getBoundingClientRect().width > view).sort((a, b) => depth(b) - depth(a));
const el = wide[0] || out.sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right)[0];
return [page, view, el ? el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        Array.from(el.classList).map(c => '.' + c).join('') +
        ' "' + el.textContent.trim().replace(/\\s+/g, ' ').slice(0, 40) + '"' : null];"""


def set_width(driver, width: int, height: int = 900) -> None:
    """Lay the page out in a window ``width`` px wide (a phone's when < 600 px: touch, mobile viewport)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


# The theme slides its sidebars in and out when the width crosses a breakpoint: without transitions
# the layout is final as soon as the width changes, so the measure and the screenshot see it settled.
NO_TRANSITIONS_JS = """document.head.insertAdjacentHTML('beforeend',
  '<style>*, *::before, *::after {transition: none !important; animation: none !important}</style>');"""


def check_width(driver, width: int, shot: Path) -> list[str]:
    """Lay the page out ``width`` px wide, take a full-page screenshot and return what is too wide."""
    try:
        driver.execute_script(NO_TRANSITIONS_JS)
        set_width(driver, width)
        page, view, culprit = driver.execute_script(WIDTH_JS, width)
        screenshot(driver, width, shot)
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return width_problem(width, page, view, culprit)


def screenshot(driver, width: int, path: Path) -> None:
    """Full-page PNG at ``width`` px (cut at MAX_SHOT_HEIGHT px): grow the window to the page's height, capture."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    set_width(driver, width, min(height, MAX_SHOT_HEIGHT))
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))


def math_problems(driver, timeout: float) -> tuple[list[str], int]:
    """Wait for MathJax to typeset the page; (problems, formulas on the page)."""
    math = driver.execute_async_script(MATH_JS, timeout)
    problems = [f"MathJax: {math['error']}"] if math["error"] else []
    if math["rendered"] < math["total"]:
        problems.append(f"{math['total'] - math['rendered']} of {math['total']} formulas not rendered by MathJax")
    return problems + tex_left(driver.execute_script(VISIBLE_TEXT_JS)), math["total"]


def console_messages(driver, base: str) -> list[str]:
    """The browser console's errors since the last call, without our origin and the page's own
    URL (so one message reads the same on every page). Missing favicons are left out (the
    book has none; the server's log leaves them out too)."""
    messages = []
    for entry in driver.get_log("browser"):
        msg = entry.get("message", "").replace(base, "")
        if "/favicon.ico" not in msg:
            messages.append(re.sub(r"^/\S* (\d+:\d+ )?", "", msg)[:300])
    return messages


def describe(e: Exception) -> str:
    """One line for an exception (selenium's messages run over many lines)."""
    return f"{type(e).__name__}: {(str(e).strip().splitlines() or [''])[0]}"


def source_notebook(html_dir: Path, page: str) -> Path | None:
    """The executed notebook a page was built from, as Sphinx copied it to ``_sources/``."""
    stem = html_dir / "_sources" / page.removesuffix(".html")
    for cand in (Path(f"{stem}.ipynb"), Path(f"{stem}.ipynb.txt")):
        if cand.exists():
            return cand
    return None


def check_page(driver, base: str, html_dir: Path, page: str, shots: Path, timeout: float) -> PageResult:
    res, t0 = PageResult(page), time.time()
    url = f"{base}/{page}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as resp:
            if resp.status != 200:
                res.problems.append(f"HTTP {resp.status}")
    except OSError as e:
        res.problems.append(f"cannot fetch {url}: {e}")
        return res
    nb = source_notebook(html_dir, page)
    figures, unpasted = promised_figures(json.loads(nb.read_text())) if nb else ([], [])
    res.notes += [f"glued image {k!r} is never pasted into the page" for k in unpasted]
    try:
        driver.get(url)
        wait_for(driver, lambda d: all(im["complete"] for im in d.execute_script(IMAGES_JS)), timeout,
                 "every image to finish loading")
        images = [dict(im, src=im["src"].replace(base, "")) for im in driver.execute_script(IMAGES_JS)]
        res.problems += page_problems(driver.title, images, figures)
        math, formulas = math_problems(driver, timeout)
        res.problems += math
        name = page.replace("/", "__").removesuffix(".html")
        for width in WIDTHS:       # book__mirror.png, book__mirror@390.png
            suffix = "" if width == WIDTHS[0] else f"@{width}"
            res.problems += check_width(driver, width, shots / f"{name}{suffix}.png")
        problems, notes = console_problems(console_messages(driver, base))
        res.problems += problems
        res.notes += notes
        res.summary = f"{len(images)} images, {formulas} formulas" + (f", {len(figures)} figures" if nb else "")
    except Exception as e:  # a timeout or a browser error fails this page, not the run
        res.problems.append(describe(e))
    res.seconds = time.time() - t0
    return res


# Sphinx's searchtools.js fills p.search-summary when the search has finished.
SEARCH_DONE_JS = "const s = document.querySelector('#search-results .search-summary'); return s && s.innerText.trim();"


def check_search(driver, base: str, shots: Path, query: str, timeout: float) -> PageResult:
    """Open the search page with ``query`` and wait for Sphinx's search to list at least one hit."""
    from selenium.webdriver.common.by import By
    res, t0 = PageResult(f"search.html?q={query}"), time.time()
    try:
        driver.get(f"{base}/search.html?q={query}")
        summary = wait_for(driver, lambda d: d.execute_script(SEARCH_DONE_JS), timeout, f"the search for {query!r}")
        hits = driver.find_elements(By.CSS_SELECTOR, "#search-results ul.search li")
        if not hits:
            res.problems.append(f"search for {query!r} found nothing: {summary}")
        res.summary = f"{len(hits)} hits"
        problems, notes = console_problems(console_messages(driver, base))
        res.problems += problems + check_width(driver, WIDTHS[0], shots / "search.png")
        res.notes += notes
    except Exception as e:
        res.problems.append(describe(e))
    res.seconds = time.time() - t0
    return res


def book_pages(html_dir: Path) -> list[str]:
    """Every HTML page except Sphinx's own folders (_static, _sources, ...) and the search page."""
    pages = [p.relative_to(html_dir).as_posix() for p in html_dir.rglob("*.html")]
    return sorted(p for p in pages if not p.startswith("_") and "/_" not in p and p != "search.html")


def run(args) -> list[PageResult]:
    pages = book_pages(args.html)
    if not pages:
        raise SetupError(f"no HTML pages under {args.html}")
    jobs = max(1, min(args.jobs, len(pages)))
    shares = [pages[i::jobs] for i in range(jobs)]

    with serve(args.html) as (base, server_errors):
        def worker(k: int) -> list[PageResult]:
            with browser(args.chromium, args.chromedriver, args.timeout) as driver:
                out = [check_page(driver, base, args.html, p, args.screenshots, args.timeout) for p in shares[k]]
                if k == 0:
                    out.append(check_search(driver, base, args.screenshots, args.query, args.timeout))
                return out

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = [r for rs in pool.map(worker, range(jobs)) for r in rs]
    by_url = {f"{base}/{r.page}": r for r in results}
    stray = PageResult("(other requests)")
    for referer, message in server_errors:  # the page that asked for a missing file fails
        page = by_url.get(referer)
        (page or stray).problems.append(message if page else f"{message} (asked by {referer or 'no page'})")
    return results + ([stray] if stray.problems else [])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("html", nargs="?", type=Path, default=Path("_build/html"), help="built book (default _build/html)")
    p.add_argument("--screenshots", type=Path, help="where page PNGs go (default: <html>/../screenshots)")
    p.add_argument("--jobs", type=int, default=1, help="browsers run at once (default 1)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds any one wait may take (default 30)")
    p.add_argument("--query", default="memory", help="word the search page must find (default 'memory')")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = p.parse_args(argv)
    args.html = args.html.resolve()
    args.screenshots = (args.screenshots or args.html.parent / "screenshots").resolve()
    t0 = time.time()
    try:
        if not (args.html / "index.html").exists():
            raise SetupError(f"{args.html}/index.html not found; build the book first (make book)")
        results = run(args)
    except SetupError as e:
        print(f"check_book: {e}", file=sys.stderr)
        return 2
    notes: dict[str, list[str]] = {}
    for r in results:
        print(f"{'FAIL' if r.problems else 'ok  '} {r.page:<32} {r.summary:<34} {r.seconds:5.1f} s")
        for line in r.problems:
            print(f"       - {line}")
        for line in r.notes:
            notes.setdefault(line, []).append(r.page)
    for line, pages in notes.items():
        print(f"note ({len(pages)} page{'s' * (len(pages) > 1)}): {line}")
    failed = [r.page for r in results if r.problems]
    print(f"{len(results) - len(failed)}/{len(results)} checks passed in {time.time() - t0:.0f} s; "
          f"screenshots in {args.screenshots}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
