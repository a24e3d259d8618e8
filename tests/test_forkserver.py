"""The test harness's fork servers (``tests/forkserver.py``): what they run, and that a server that
cannot start leaves the commands and kernels to start the usual way instead of failing the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.forkserver import SCRIPT, ForkServer, KernelServer, forkable


@pytest.mark.parametrize(
    ("command", "plain"),
    [
        (".venv/bin/attnlib --help", ({}, [SCRIPT, "--help"])),
        (
            '.venv/bin/attnlib notebook fig2 -p depths "(50, 101)"',
            ({}, [SCRIPT, "notebook", "fig2", "-p", "depths", "(50, 101)"]),
        ),
        ("A=/data/a B='x y' .venv/bin/attnlib --help", ({"A": "/data/a", "B": "x y"}, [SCRIPT, "--help"])),
        ("X=1 make test", None),
        (".venv/bin/attnlib --help > out", None),  # a redirection
        (".venv/bin/attnlib bench && echo done", None),  # an operator
        (".venv/bin/attnlib $A", None),  # a variable
        (".venv/bin/attnlib data/*.csv", None),  # a glob
        ("make test", None),  # another program
        ("attnlib --help", None),  # another attnlib than the documented script
    ],
)
def test_only_plain_documented_attnlib_commands_are_forked(command, plain):
    assert forkable(command) == plain


def test_a_server_whose_imports_start_a_thread_refuses_to_serve():
    code = (
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
        "from tests.forkserver import _preload\n"
        "_preload([])\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=Path(__file__).parents[1], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode != 0 and "started threads" in completed.stderr, completed.stderr


@pytest.fixture
def broken_torch(tmp_path) -> dict[str, str]:
    """An environment in which ``import torch`` fails: a server started in it cannot start."""
    (tmp_path / "torch.py").write_text("raise ImportError('no torch here')\n")
    return {**os.environ, "PYTHONPATH": str(tmp_path)}


def test_a_command_server_that_cannot_start_says_so_and_is_not_used(tmp_path, broken_torch):
    server = ForkServer(cwd=tmp_path, env=broken_torch)
    with pytest.warns(UserWarning, match="commands run through bash"):
        assert not server.available()
    assert not server.available()  # asked again: the same answer, no second wait
    server.close()


def test_a_kernel_server_that_cannot_start_says_so_and_is_not_used(tmp_path, broken_torch):
    with pytest.warns(UserWarning, match="kernel fork server did not start"):
        server = KernelServer(tmp_path / "kernels", cwd=tmp_path, env=broken_torch)
    assert not server.available
    server.close()
