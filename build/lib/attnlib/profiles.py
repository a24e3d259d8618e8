"""The book's three run profiles, defined once, and per-profile settings declared in one place.

* ``smoke`` — seconds per chapter; what the tests build.
* ``default`` — minutes per chapter on a 2-core CPU; what ``make book`` builds offline.
* ``paper`` — the paper's protocol (real datasets, full schedules, 1000 timing trials, CUDA when present).

Every entry point validates a profile with :func:`require_profile`, so an unknown name is one
clear error everywhere and never falls back to another profile. Each chapter of
:mod:`attnlib.reproduce` declares its settings as one :class:`PerProfile` table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

PROFILES = ("smoke", "default", "paper")

T = TypeVar("T")


def require_profile(profile: str) -> str:
    """``profile`` if it is one of :data:`PROFILES`; otherwise a ValueError listing the valid ones."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid profiles are {', '.join(PROFILES)}")
    return profile


@dataclass(frozen=True)
class PerProfile(Generic[T]):
    """One experiment's settings at each profile.

    A value may be given as a zero-argument function when it depends on the machine at run time
    (the paper profile times on CUDA when a GPU is present); :meth:`get` calls it.
    """

    smoke: T | Callable[[], T]
    default: T | Callable[[], T]
    paper: T | Callable[[], T]

    def get(self, profile: str) -> T:
        """The settings of ``profile`` (unknown profiles rejected by :func:`require_profile`)."""
        value = getattr(self, require_profile(profile))
        return value() if callable(value) else value
