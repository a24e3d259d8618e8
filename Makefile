# make book  — set up .venv if needed, execute every notebook (profile $(PROFILE)), build the HTML book
# make test  — set up .venv if needed, run the tests (they also build the book at profile smoke)
# make notebook NB=fig2_complexity PARAMS="-p profile paper"  — rerun one figure
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.attnlib-installed
PROFILE ?= default
NB ?= fig2_complexity
PARAMS ?=

.PHONY: book test notebook notebooks lint clean setup

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

notebooks: $(STAMP)
	$(BIN)/attnlib notebooks --profile $(PROFILE)

book: notebooks
	$(BIN)/jupyter-book build book -W --keep-going

notebook: $(STAMP)
	$(BIN)/attnlib notebook $(NB) --profile $(PROFILE) $(PARAMS)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check attnlib tests notebooks

clean:
	rm -rf _build book/_build book/notebooks
