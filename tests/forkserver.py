"""Start ``attnlib`` commands and Jupyter kernels as forks of a process that has imported torch once.

Why: importing torch, torchvision, pandas and IPython costs ~4–5 s of CPU on the test machines. The
suite runs ~35 documented ``.venv/bin/attnlib`` commands (``tests/test_documented_commands.py``) and
executes 16 notebooks, each in a kernel of its own (``tests/conftest.py``); started the usual way,
each process paid those imports again — about a fifth of the suite's CPU time.

What stays the same: each command and each kernel still runs in a process of its own — a fork of the
server, made for it alone — with the argv, environment and working folder it would have had. A
command ends with the exit status, stdout and stderr of the console script (which is
``sys.exit(attnlib.cli.main())``; the script itself is run by ``tests/test_documented_commands.py``);
a kernel is ipykernel's own ``IPKernelApp`` on the connection file Jupyter wrote for it.
The servers import only modules that start no thread (onnxruntime and OpenVINO start threads on
import, so each command imports them itself, as it would anyway): a fork of a process with threads
could inherit a lock held by one. Nothing runs in a server but imports, so no OpenMP pool exists to be
inherited either (the servers are started with the ``OMP_NUM_THREADS`` of their children).

Two servers:
- :class:`ForkServer` (commands): one request at a time over a pipe; the server waits for the command
  and answers with its exit status. A command with shell syntax or another program runs through
  ``bash -c`` instead (:func:`forkable`).
- :class:`KernelServer` (kernels): a kernel spec named ``python3`` whose command is this file's
  ``relay``, a small stdlib-only process that asks the server (over a Unix socket) to fork a kernel,
  then stands in for it towards Jupyter: it passes on interrupt and terminate signals and exits when
  the kernel does. A kernel whose relay is killed ends itself (it watches the relay).
"""

from __future__ import annotations

import json
import os
import re
import select
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

SCRIPT = ".venv/bin/attnlib"  # the documented console script whose commands the server runs
HERE = Path(__file__).resolve()


def _preload(names: list[str]) -> None:
    """Import ``names`` and check that no thread was started (a fork must not copy a held lock)."""
    import importlib

    for name in names:
        importlib.import_module(name)
    threads = len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else threading.active_count()
    assert threads == 1, f"preloading {names} started threads: forks of this process would not be safe"


def _become(request: dict, log: str) -> None:
    """In a fresh fork: the request's folder and environment; stdin empty, stdout/stderr to files."""
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    for descriptor, path in ((1, request.get("stdout", log)), (2, request.get("stderr", log))):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644), descriptor)
    os.chdir(request["cwd"])
    _python_path(os.environ.get("PYTHONPATH", ""), request["env"].get("PYTHONPATH", ""))
    os.environ.clear()
    os.environ.update(request["env"])


def _python_path(before: str, after: str) -> None:
    """``sys.path`` as a process started with ``PYTHONPATH=after`` has it, in a fork of one started with
    ``before``: the process imports its own copy of a package that the server has not imported."""
    for entry in filter(None, before.split(os.pathsep)):
        while os.path.abspath(entry) in sys.path:
            sys.path.remove(os.path.abspath(entry))
    sys.path[0:0] = [os.path.abspath(entry) for entry in filter(None, after.split(os.pathsep))]


def serve_commands() -> None:
    """The command server: one JSON request per line on stdin, two JSON answers (pid, status) on stdout."""
    _preload(["torch", "torchvision", "pandas", "matplotlib.pyplot", "timm", "attnlib.cli"])
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _become(request, os.devnull)
            sys.argv = request["argv"]
            import attnlib.cli

            sys.exit(attnlib.cli.main(request["argv"][1:]))
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"status": os.waitstatus_to_exitcode(status)}), flush=True)


def serve_kernels(address: str, log: str) -> None:
    """The kernel server: forks one kernel per connection to the Unix socket ``address``."""
    # not attnlib: a kernel imports the attnlib of its own PYTHONPATH (a documented command's is a copy)
    _preload(["torch", "torchvision", "pandas", "IPython", "ipykernel.kernelapp"])
    assert "matplotlib" not in sys.modules  # the kernel chooses its backend (inline) when it starts
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # ended kernels are reaped at once: their relays poll the pid
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen()
    while True:
        connection, _ = listener.accept()
        with connection, connection.makefile("rw") as stream:
            request = json.loads(stream.readline())
            pid = os.fork()
            if pid == 0:
                listener.close()
                _kernel(request, log)
            stream.write(json.dumps({"pid": pid}) + "\n")


def _kernel(request: dict, log: str) -> None:
    """In a fork of the kernel server: become the kernel Jupyter asked for, and end with its relay."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel's own subprocesses are waited for
    os.setsid()  # a session of its own, like a kernel Jupyter starts
    _become(request, log)
    relay = request["relay"]

    def end_with_relay() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(relay, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=end_with_relay, daemon=True).start()
    from ipykernel.kernelapp import IPKernelApp

    # read from the environment when ipykernel was imported (in the server, before Jupyter set it)
    parent = (
        [f"--IPKernelApp.parent_handle={request['env']['JPY_PARENT_PID']}"]
        if "JPY_PARENT_PID" in request["env"]
        else []
    )
    sys.argv = [sys.executable, "-f", request["connection_file"], *parent, *request["arguments"]]
    IPKernelApp.launch_instance(argv=sys.argv[1:])
    sys.exit(0)


def relay(address: str, connection_file: str, *arguments: str) -> None:
    """The kernel command Jupyter starts: ask the server for a kernel, stand in for it until it ends.

    ``arguments``: the kernel's further options (nbclient adds ``--HistoryManager.hist_file=:memory:``).
    """
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(address)
        request = {
            "connection_file": os.path.abspath(connection_file),
            "arguments": arguments,
            "env": dict(os.environ),
            "cwd": os.getcwd(),
            "relay": os.getpid(),
        }
        connection.sendall((json.dumps(request) + "\n").encode())
        pid = json.loads(connection.makefile().readline())["pid"]
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, lambda received, _frame: os.kill(pid, received))
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def forkable(command: str) -> tuple[dict[str, str], list[str]] | None:
    """(variables, argv) of ``command`` if it is a plain ``.venv/bin/attnlib`` command, else None (bash).

    Plain: the script and its words, after any ``NAME=value`` assignments (bash's environment prefix:
    the command runs with those variables added); no shell operator, redirection, variable,
    substitution or glob — the words are all bash would do with it is split them as
    :func:`shlex.split` does.
    """
    if any(character in command for character in "$`*?[]{}~!"):
        return None
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words = list(lexer)
    variables = {}
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        name, value = words.pop(0).split("=", 1)
        variables[name] = value
    if not words or words[0] != SCRIPT or any(word and set(word) <= set("();<>|&") for word in words):
        return None
    return variables, words


class ForkServer:
    """The command server (see the module's docstring); :meth:`run` runs one command in a fork of it."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self._process = subprocess.Popen(
            [sys.executable, str(HERE), "commands"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=cwd, env=env
        )
        self._pending = b""
        self._ready: bool | None = None

    def available(self) -> bool:
        """Whether the server started (it waits for its imports the first time); if not, say so once.

        A server that cannot start (say, a machine where importing torch starts a thread) leaves the
        commands to ``bash -c``: slower, the same checks.
        """
        if self._ready is None:
            try:
                self._ready = bool(self._reply(timeout=300).get("ready"))
            except (RuntimeError, TimeoutError):
                self._ready = False
            if not self._ready:
                warnings.warn("the command fork server did not start: commands run through bash", stacklevel=2)
        return self._ready

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
        """Run ``argv`` (``.venv/bin/attnlib …``) like ``subprocess.run(..., capture_output=True, text=True)``.

        Call only when :meth:`available`.
        """
        assert self._process.stdin is not None and self._ready
        with tempfile.TemporaryDirectory() as folder:
            out, err = Path(folder, "stdout"), Path(folder, "stderr")
            request = {"argv": argv, "cwd": str(cwd), "env": env, "stdout": str(out), "stderr": str(err)}
            self._process.stdin.write((json.dumps(request) + "\n").encode())
            self._process.stdin.flush()
            pid = self._reply(timeout=60)["pid"]
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


class KernelServer:
    """The kernel server (see the module's docstring) and a Jupyter path whose ``python3`` kernel uses it.

    Put :attr:`jupyter_path` first on ``JUPYTER_PATH`` while notebooks execute: Jupyter then starts
    each ``python3`` kernel through the server. The server's own environment (``env``) must carry the
    kernels' ``OMP_NUM_THREADS``: OpenMP reads it once, when torch is imported.
    """

    def __init__(self, folder: Path, cwd: Path, env: dict[str, str]) -> None:
        self.jupyter_path = folder / "jupyter"
        address, self.log = folder / "kernels.sock", folder / "kernels.log"
        spec = self.jupyter_path / "kernels" / "python3"
        spec.mkdir(parents=True)
        command = [sys.executable, "-S", str(HERE), "relay", str(address), "{connection_file}"]
        kernel = {"argv": command, "display_name": "Python 3 (ipykernel)", "language": "python"}
        (spec / "kernel.json").write_text(json.dumps({**kernel, "metadata": {"debugger": False}}))
        self._process = subprocess.Popen(
            [sys.executable, str(HERE), "kernels", str(address), str(self.log)], cwd=cwd, env=env
        )
        deadline = time.monotonic() + 300  # the server imports torch before it listens
        while not address.exists() and self._process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        # the environment that sends kernels to the server: none when it did not start (the kernels then
        # start the usual way: slower, the same notebooks)
        paths = [str(self.jupyter_path), os.environ.get("JUPYTER_PATH")]
        self.variables = {"JUPYTER_PATH": os.pathsep.join(filter(None, paths))} if address.exists() else {}
        if not self.available:
            self.close()
            warnings.warn(f"the kernel fork server did not start; see {self.log}", stacklevel=2)

    @property
    def available(self) -> bool:
        """Whether the server started (its kernels are forks)."""
        return bool(self.variables)

    def close(self) -> None:
        """Stop the server (kernels already started end with their relays)."""
        if self._process.poll() is None:
            self._process.terminate()
        self._process.wait(timeout=60)


if __name__ == "__main__":
    if sys.path and Path(sys.path[0]).resolve() == HERE.parent:
        del sys.path[0]  # this file's folder: the commands and kernels must not import the tests' modules
    {"commands": serve_commands, "kernels": serve_kernels, "relay": relay}[sys.argv[1]](*sys.argv[2:])
