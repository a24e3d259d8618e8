"""Atomic file writes: a unique, synced temporary file in the target's folder, then ``os.replace``.

Kept apart from :mod:`attnlib.results` (which needs pandas) so that light modules — the complexity
count cache, the command line — write files the same safe way without importing pandas.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def atomic_write(
    path: Path, write: Callable[[BinaryIO], object], before_replace: Callable[[], object] | None = None
) -> None:
    """Write ``path`` through ``write(stream)`` into a unique, synced temporary file, then ``os.replace``.

    Never half a file, and two writers never share a temporary name; on any failure the temporary
    file is removed and the error raised. ``before_replace`` runs between the sync and the rename
    (e.g. to keep the file being replaced as a backup).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        if before_replace is not None:
            before_replace()
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with :func:`atomic_write` (UTF-8)."""
    atomic_write(path, lambda stream: stream.write(text.encode()))
