"""Run ``attnlib`` commands in fresh processes forked from one that has imported torch once.

Why: importing torch, torchvision, pandas and matplotlib costs ~5 s of CPU on the test machines, and
the README and the book document ~35 ``.venv/bin/attnlib`` commands that the suite runs
(``tests/test_documented_commands.py``): run one by one with ``bash -c`` they spent about a fifth of
the suite's CPU time importing the same modules again.

What stays the same: each command still runs in a process of its own — a fork of the server, made
for that command alone — with the argv, environment and working folder that ``bash -c`` gives it,
and it ends with the exit status, stdout and stderr that the console script gives (the script is
``sys.exit(attnlib.cli.main())``; ``tests/test_documented_commands.py`` runs the real script too).
The server imports only modules that start no thread (onnxruntime and OpenVINO start threads on
import, so each command imports them itself, as it would anyway): a fork of a process with threads
could inherit a lock held by one. Nothing runs in the server but imports, so no OpenMP pool exists to
be inherited either. A command with shell syntax, an environment prefix or another program runs
through ``bash -c`` as before (:func:`forkable`).
"""

from __future__ import annotations

import json
import os
import select
import shlex
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPT = ".venv/bin/attnlib"  # the documented console script whose commands the server runs

SERVER = r"""
import json, os, sys
import torch, torchvision, pandas, matplotlib.pyplot, timm  # none of these starts a thread
import attnlib.cli


def serve():
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            return request  # the child leaves the loop and runs the command
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"status": os.waitstatus_to_exitcode(status)}), flush=True)
    return None


request = serve()
if request is not None:
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = request["argv"]
    sys.exit(attnlib.cli.main(request["argv"][1:]))
"""


def forkable(command: str) -> list[str] | None:
    """The argv of ``command`` if it is a plain ``.venv/bin/attnlib`` command, else None (run it with bash).

    Plain: no shell operator, redirection, variable, substitution or glob — the words are all bash
    would do with it is split them as :func:`shlex.split` does.
    """
    if any(character in command for character in "$`*?[]{}~!"):
        return None
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words = list(lexer)
    if not words or words[0] != SCRIPT or any(word and set(word) <= set("();<>|&") for word in words):
        return None
    return words


class ForkServer:
    """A server process (see the module's docstring); :meth:`run` runs one command in a fork of it."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=cwd, env=env
        )
        self._pending = b""

    def _reply(self, timeout: float | None) -> dict[str, int]:
        """The server's next line, as JSON; TimeoutError after ``timeout`` seconds without one."""
        assert self._process.stdout is not None
        descriptor = self._process.stdout.fileno()
        while b"\n" not in self._pending:
            ready, _, _ = select.select([descriptor], [], [], timeout)
            if not ready:
                raise TimeoutError
            chunk = os.read(descriptor, 4096)
            if not chunk:
                raise RuntimeError(f"the fork server ended (exit status {self._process.wait()})")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return json.loads(line)

    def run(self, argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
        """Run ``argv`` (``.venv/bin/attnlib …``) like ``subprocess.run(..., capture_output=True, text=True)``."""
        assert self._process.stdin is not None
        with tempfile.TemporaryDirectory() as folder:
            out, err = Path(folder, "stdout"), Path(folder, "stderr")
            request = {"argv": argv, "cwd": str(cwd), "env": env, "stdout": str(out), "stderr": str(err)}
            self._process.stdin.write((json.dumps(request) + "\n").encode())
            self._process.stdin.flush()
            pid = self._reply(timeout=300)["pid"]  # the first waits for the imports
            try:
                status = self._reply(timeout)["status"]
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                self._reply(timeout=60)
                raise subprocess.TimeoutExpired(argv, timeout, out.read_text(), err.read_text()) from None
            return subprocess.CompletedProcess(argv, status, out.read_text(), err.read_text())

    def close(self) -> None:
        """End the server (it ends when its input closes)."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=60)
