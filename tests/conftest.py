"""Shared test fixtures.

Tests must pass on any CPU and with any thread count (CI and later sessions run on other machines).
Where two computations are compared bit for bit or through many training steps, both must use the
same number of intra-op threads: a different reduction order changes float sums, and training
amplifies it. :func:`one_thread` pins this process to one thread for such a comparison; the
torchrun workers of the DDP tests get ``OMP_NUM_THREADS=1`` too.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def scratch_data(tmp_path, monkeypatch) -> Path:
    """A copy of data/paper and data/results that the test may change; the checkout stays as it is."""
    for folder in ("paper", "results"):
        shutil.copytree(ROOT / "data" / folder, tmp_path / folder)
    monkeypatch.setenv("ATTNLIB_DATA", str(tmp_path))
    return tmp_path


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Run the test with one intra-op thread (restored afterwards), whatever the machine has."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Environment variables set for the processes started inside the block, restored after."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def forked_kernels(tmp_path_factory) -> Iterator[None]:
    """From its first use to the end of the session, this process's ``python3`` kernels — the smoke
    book's, and those of any later test or documented command that executes a notebook — are forks
    of one process that imported torch, pandas and IPython once (``tests/forkserver.py``). The
    server's ``OMP_NUM_THREADS=1`` is every forked kernel's (OpenMP reads it once, at import)."""
    from tests.forkserver import KernelServer

    server = KernelServer(tmp_path_factory.mktemp("kernels"), cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"})
    with _environment(**server.variables):
        yield
    server.close()


@pytest.fixture(scope="session")
def smoke_book(tmp_path_factory, forked_kernels) -> Path:
    """A scratch copy of the book whose notebooks were executed at the smoke profile.

    Two notebooks run at a time (each in its own kernel), the execution report last, as it reads the
    others: the smoke pages' timings mean nothing, and the suite is ~1 minute shorter. ``make book``
    runs them one by one, so that no page's measurement shares the machine with another's. Each
    kernel is a fork (:func:`forked_kernels`): ~4 s of imports less per notebook.
    """
    from concurrent.futures import ThreadPoolExecutor

    from attnlib.notebooks import NOTEBOOKS, REPORT, execute_all

    scratch = tmp_path_factory.mktemp("book")
    shutil.copy(ROOT / "_config.yml", scratch / "_config.yml")
    shutil.copytree(ROOT / "book", scratch / "book", ignore=shutil.ignore_patterns("_build", "notebooks"))
    pages = scratch / "book" / "notebooks"
    # one thread per kernel: two kernels whose OpenMP pools spin on the same two cores run 2x slower
    with ThreadPoolExecutor(max_workers=2) as pool, _environment(OMP_NUM_THREADS="1"):
        names = [n for n in NOTEBOOKS if n != REPORT]
        parts = pool.map(lambda name: execute_all("smoke", pages, names=[name]), names)
        report = {name: outcome for part in parts for name, outcome in part.items()}
    report |= execute_all("smoke", pages, names=[REPORT])
    failures = {name: outcome for name, outcome in report.items() if not outcome.startswith("ok")}
    assert not failures, failures
    return scratch


@pytest.fixture(scope="session")
def smoke_site(smoke_book) -> Path:
    """The HTML of the smoke book, built with ``jupyter-book build -W`` (the build must succeed)."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", str(smoke_book / "book"), "-W", "--keep-going"],
        capture_output=True,
        text=True,
        cwd=smoke_book,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return smoke_book / "_build" / "html"


# Under pytest-xdist (``make test``: two workers, ``--dist loadgroup``), these tests share one worker:
# every test that reads the executed smoke book (it is executed and built once, not once per worker),
# and the book's three plain-papermill commands (make the pages' folder, write the notebook to a fixed
# path, execute it into that folder), in order. The groups are read from the test ids by the scheduler
# below: pytest 9 ignores the ``@group`` suffix that pytest-xdist 3.8 adds to ids for ``xdist_group``
# marks, so marks would not do.
GROUPS = (  # (test id prefix, text the id must also hold, group)
    ("tests/test_book.py", "", "book"),
    ("tests/test_browser.py", "", "book"),
    ("tests/test_packaging.py::test_the_book_has_an_api_reference", "", "book"),
    ("tests/test_documented_commands.py::", "mkdir -p book/notebooks", "jupytext-then-papermill"),
    ("tests/test_documented_commands.py::", "fig2_complexity.ipynb", "jupytext-then-papermill"),
    # The tests that torch.compile in the worker's own process: inductor's first compile in a process
    # costs ~10 s of set-up (imports, its C++ toolchain checks) that one worker pays once, two twice.
    ("tests/test_bench.py::test_engine_agrees_with_eager[", "-compile]", "inductor"),
    ("tests/test_int8.py::test_int8_engines_are_checked_against_fp32_and_faithful[compile-", "", "inductor"),
)


def xdist_group(nodeid: str) -> str | None:
    """The group of the test ``nodeid`` (see :data:`GROUPS`), or None: any worker."""
    for prefix, text, group in GROUPS:
        if nodeid.startswith(prefix) and text in nodeid:
            return group
    return None


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """``--dist loadgroup`` with the groups of :func:`xdist_group`; every other test is its own unit."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class Grouped(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group(nodeid) or super()._split_scope(nodeid)

    return Grouped(config, log)


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, each worker and every process it starts computes on one thread.

    ``make test`` runs two workers on machines of two cores: with PyTorch's default (one thread per
    core) each worker's OpenMP pool would spin on both cores, and the two would run each other ~2x
    slower. Results compared bit for bit pin their threads themselves (:func:`one_thread`).
    """
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ["OMP_NUM_THREADS"] = "1"
        # inductor compiles in the process, not in a pool of helper processes that each import torch
        os.environ["TORCHINDUCTOR_COMPILE_THREADS"] = "1"
        import torch._inductor.config  # read the variable when torchvision imported it: set it here too

        torch._inductor.config.compile_threads = 1
        torch.set_num_threads(1)
