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

FASHION_MNIST_FROM ?=

.PHONY: book test notebook notebooks lint clean setup data fashion-campaign

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Fashion-MNIST, the real images of the "study on real images" chapter: Debian's package (apt-get
# download + dpkg -x), else torchvision's download; FASHION_MNIST_FROM=a .deb or folder to copy from.
data: $(STAMP)
	$(BIN)/attnlib data fashion-mnist $(if $(FASHION_MNIST_FROM),--from $(FASHION_MNIST_FROM))

# The Fashion-MNIST study's CPU campaign: two launchers of one thread each share it (hours; resumable;
# each finished run's record goes to data/results/fashion, to be committed as it lands). HOURS=2.5: start
# only the runs that end within 2.5 hours (a sitting ends on finished runs).
HOURS ?=
fashion-campaign: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/attnlib reproduce fashion --commit $(if $(HOURS),--hours $(HOURS)) & \
	OMP_NUM_THREADS=1 $(BIN)/attnlib reproduce fashion --commit $(if $(HOURS),--hours $(HOURS)); wait

notebooks: $(STAMP)
	$(BIN)/attnlib data fashion-mnist --if-possible
	$(BIN)/attnlib notebooks --profile $(PROFILE)

book: notebooks
	$(BIN)/jupyter-book build book -W --keep-going

notebook: $(STAMP)
	$(BIN)/attnlib notebook $(NB) --profile $(PROFILE) $(PARAMS)

# Two workers: most tests are single-threaded or wait on a subprocess's start-up, so two share the two
# cores of the machines this runs on; the smoke book's tests stay together in one (tests/conftest.py).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check attnlib tests notebooks

clean:
	rm -rf _build book/_build book/notebooks
