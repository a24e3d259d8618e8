"""A minimal headless-Chromium driver over the DevTools protocol, for the browser test of the book.

Why not Selenium or Playwright: both download a browser or a driver of their own at install or run
time, which this project's machines cannot; Debian's ``chromium`` speaks the DevTools protocol on a
websocket, and ``websocket-client`` (pure Python) is all it takes to drive it.

:class:`Chromium` starts the browser with the network emulated off, opens pages one at a time and
returns, for each, what a reader's browser saw: console errors and uncaught exceptions, every
request that left the site, the result of a JavaScript expression, and a screenshot.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome-error:")


def chromium_executable() -> str | None:
    """Path of a Chromium (Debian's ``chromium``, or ``CHROMIUM`` from the environment), else None."""
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@dataclass
class PageVisit:
    """What one page load showed: errors in the console, requests outside the site, probe results."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    probe: Any = None


class Chromium:
    """One headless Chromium with the network off; use as a context manager."""

    def __init__(self, executable: str, timeout: float = 60.0) -> None:
        self.executable = executable
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Chromium:
        import websocket

        # ignore_cleanup_errors: a Chromium helper can still write to the profile while it is removed
        self._profile = tempfile.TemporaryDirectory(prefix="attnlib-chromium-", ignore_cleanup_errors=True)
        self._process = subprocess.Popen(
            [
                self.executable,
                "--headless",
                "--no-sandbox",  # CI runs as root
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-extensions",
                "--disable-background-networking",
                "--window-size=1280,1600",
                "--allow-file-access-from-files",
                "--remote-debugging-port=0",
                f"--user-data-dir={self._profile.name}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its renderer and GPU helpers form one group, ended together
        )
        endpoint = self._devtools_endpoint()
        self._socket = websocket.create_connection(endpoint, timeout=self.timeout, suppress_origin=True)
        target = self._call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self._call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self._call(f"{domain}.enable", session=True)
        self._call(
            "Network.emulateNetworkConditions",
            session=True,
            offline=True,
            latency=0,
            downloadThroughput=-1,
            uploadThroughput=-1,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._socket.close()
        finally:
            self._end_group(signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._end_group(signal.SIGKILL)
                self._process.wait(timeout=10)
            self._profile.cleanup()

    def _end_group(self, signal_number: int) -> None:
        try:
            os.killpg(self._process.pid, signal_number)
        except ProcessLookupError:
            pass

    def _devtools_endpoint(self) -> str:
        deadline = time.monotonic() + self.timeout
        lines = []
        while time.monotonic() < deadline:
            line = self._process.stderr.readline()
            if not line and self._process.poll() is not None:
                break
            lines.append(line)
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            if match:
                return match.group(1)
        raise RuntimeError("Chromium did not start its DevTools endpoint:\n" + "".join(lines[-20:]))

    def _call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        self._socket.send(json.dumps(message))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            reply = json.loads(self._socket.recv())
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._events.append(reply)
        raise TimeoutError(f"{method}: no answer within {self.timeout} s")

    def _wait_for(self, method: str) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if any(event.get("method") == method for event in self._events):
                return
            self._events.append(json.loads(self._socket.recv()))
        raise TimeoutError(f"no {method} within {self.timeout} s")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises are awaited)."""
        result = self._call(
            "Runtime.evaluate", session=True, expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def visit(self, url: str, probe: str, settle: str = "true") -> PageVisit:
        """Open ``url``, wait for its load event and for ``settle`` (a JS expression or promise), then
        evaluate ``probe``; return the page's console errors and outside requests with the probe's value."""
        self._events.clear()
        navigation = self._call("Page.navigate", session=True, url=url)
        if navigation.get("errorText"):  # the page itself did not load (a missing file, say)
            return PageVisit(url=url, console_errors=[f"navigation failed: {navigation['errorText']}"])
        self._wait_for("Page.loadEventFired")
        self.evaluate(settle)
        visit = PageVisit(url=url, probe=self.evaluate(probe))
        self._call("Runtime.evaluate", session=True, expression="0")  # drain events queued so far
        for event in self._events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                visit.console_errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                visit.console_errors.append(str(details.get("exception", {}).get("description") or details.get("text")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                visit.console_errors.append(f"{entry.get('text')} ({entry.get('url', '')})")
            elif method == "Network.requestWillBeSent":
                requested = params.get("request", {}).get("url", "")
                if not requested.startswith(LOCAL_SCHEMES):
                    visit.external_requests.append(requested)
        return visit

    def screenshot(self, path: Path) -> Path:
        """Save the whole page as a PNG at ``path``."""
        data = self._call("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))
        return path
