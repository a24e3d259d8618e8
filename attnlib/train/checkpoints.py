"""A run folder's safety: checkpoints written atomically and read with a fallback, one training per
folder at a time, and the settings a resumed run may not change.

Split from :mod:`attnlib.train.loop`, which trains; this module keeps what a run leaves on disk sound
— an interrupted run loses at most the epoch in progress, a damaged checkpoint is named and the
previous one taken, a second training of the same folder is refused at once, and a resume that would
compute something else names every setting that differs.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import torch

from attnlib.files import atomic_write

log = logging.getLogger(__name__)


class RunExists(FileExistsError):
    """A run folder already holds a checkpoint and neither resume nor overwrite was asked for."""


class RunFolderInUse(OSError):
    """Another training holds the run folder's lock."""


class CheckpointDamaged(OSError):
    """A checkpoint cannot be read (truncated or corrupt) and no earlier good one exists."""


# Settings that may change when a run is resumed: where and how fast it runs, not what it computes.
RESUMABLE_CHANGES = frozenset(
    {"workers", "data_root", "download", "output", "device", "compile", "channels_last", "bf16_convolutions"}
)
"""Settings a run may change between sittings: where it reads and writes, and how fast its steps run
(compilation, memory layout, which kernels compute its bf16 convolutions) — not what they compute."""


def previous_checkpoint(path: Path) -> Path:
    """Where the checkpoint before ``path``'s current one is kept (``checkpoint.prev.pt``)."""
    return path.with_name(f"{path.stem}.prev{path.suffix}")


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """``torch.save`` to a unique temporary file, then atomic renames: never half a file, never a clash.

    The checkpoint being replaced is kept as :func:`previous_checkpoint`, so a checkpoint damaged
    after it was written (disk, copy) still leaves one good epoch to resume from.
    """

    def keep_previous() -> None:
        with suppress(FileNotFoundError):  # first epoch, or another writer moved it a moment ago
            os.replace(path, previous_checkpoint(path))

    atomic_write(path, lambda stream: torch.save(state, stream), before_replace=keep_previous)


def load_checkpoint(path: Path, map_location: str = "cpu") -> dict[str, Any]:
    """Read a checkpoint; if it is damaged, say so and fall back to the previous good one.

    Raises :class:`CheckpointDamaged` naming the file(s) when neither can be read.
    """
    failures = []
    for candidate in (path, previous_checkpoint(path)):
        if not candidate.is_file():
            continue
        try:
            state = torch.load(candidate, map_location=map_location, weights_only=False)
        except Exception as error:  # torch raises RuntimeError, EOFError, UnpicklingError, zipfile errors...
            failures.append(f"{candidate} ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})")
            continue
        if not isinstance(state, dict) or "model" not in state or "epoch" not in state:
            failures.append(f"{candidate} (not an attnlib training checkpoint)")
            continue
        if failures:
            log.warning(
                "checkpoint %s is damaged; resuming from the previous good one, %s (epoch %d)",
                failures[0],
                candidate,
                state["epoch"] + 1,
            )
        return state
    raise CheckpointDamaged(
        f"cannot resume: damaged checkpoint {'; '.join(failures) or path}. Delete the run folder "
        f"{path.parent} or start again with --overwrite."
    )


def config_differences(
    saved: dict[str, Any], current: dict[str, Any], defaults: dict[str, Any] | None = None
) -> list[str]:
    """Every setting (except :data:`RESUMABLE_CHANGES`) whose saved and current values differ.

    A setting the saved run does not have (it was added to attnlib later) counts as unchanged when
    its current value is its default (``defaults``), which is what the older version ran with.
    """
    differences = []
    for key in sorted(set(saved) | set(current)):
        if key in RESUMABLE_CHANGES:
            continue
        if key not in saved and defaults is not None and key in defaults:
            if comparable(current.get(key)) == comparable(defaults[key]):
                continue
        before, after = comparable(saved.get(key)), comparable(current.get(key))
        if before != after:
            differences.append(f"{key}: saved {saved.get(key)!r}, now {current.get(key)!r}")
    return differences


def comparable(value: Any) -> Any:
    """``value`` as JSON would store it, so a saved and a current setting compare alike (tuples as lists)."""
    return json.loads(json.dumps(value, default=str))


@contextmanager
def run_folder_lock(run_dir: Path, enabled: bool = True, name: str = ".lock") -> Iterator[None]:
    """Hold ``run_dir/<name>`` for one training; a second one gets :class:`RunFolderInUse` at once.

    A campaign holds ``.campaign.lock`` around a whole run (state check, training, record), the
    training itself ``.lock``: flock refuses a second lock of one file even within one process.
    """
    if not enabled:
        yield
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    stream = open(run_dir / name, "a+")  # held open (and locked) for the run's lifetime
    try:
        try:
            fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            stream.seek(0)
            owner = stream.read().strip() or "another process"
            raise RunFolderInUse(
                f"run folder {run_dir} is in use by another training ({owner}); wait for it to end, "
                "or give this run another --output"
            ) from None
        stream.seek(0)
        stream.truncate()
        stream.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        stream.flush()
        try:
            yield
        finally:
            fcntl.flock(stream, fcntl.LOCK_UN)
    finally:
        stream.close()
