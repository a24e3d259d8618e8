"""What made a record: the code's commit, the machine (CPU model and the instruction-set features that
decide its bf16 and int8 speed, GPU particulars) and the versions — the provenance every record carries.

Split from :mod:`attnlib.results`, which writes and reads records: this module only looks at the
machine and the checkout it runs on.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import torch

from attnlib.results import RECORD_SCHEMA


@functools.cache
def code_version() -> tuple[str | None, str | None]:
    """The commit (and uncommitted changes) of the code this process runs: read once, at its first
    record. A campaign runs for hours while the checkout may move on; every record it writes names
    the commit it started from, not the one checked out when the record happened to be written."""
    commit = _git("rev-parse", "HEAD") or os.environ.get("ATTNLIB_GIT_COMMIT")
    return commit, _git("status", "--porcelain", "--untracked-files=no")


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args], cwd=Path(__file__).resolve().parent, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def cpu_model() -> str:
    """The CPU's marketing name (from /proc/cpuinfo on Linux), else what ``platform`` reports."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


DECISIVE_CPU_FEATURES = (
    "avx2",
    "avx512f",
    "avx512_bf16",
    "avx512_vnni",
    "avx_vnni",
    "amx_bf16",
    "amx_int8",
    "amx_tile",
)
"""The instruction-set extensions that decide how fast a CPU trains and infers in bf16 and int8."""


def cpu_features() -> list[str]:
    """Which of :data:`DECISIVE_CPU_FEATURES` this CPU has (its /proc/cpuinfo flags; empty elsewhere).

    bf16 autocast is fast only with AVX-512 BF16 or AMX, int8 with VNNI or AMX: a record's speed
    means little without them.
    """
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return [feature for feature in DECISIVE_CPU_FEATURES if feature in flags]
    return []


NATIVE_BF16_FEATURES = ("amx_bf16", "avx512_bf16")
"""Either gives a CPU native bf16 arithmetic: without one, bf16 autocast may run slower than fp32."""


def has_native_bf16(features: list[str] | None = None) -> bool:
    """Whether a CPU with these features (this CPU's when None) computes bf16 natively."""
    return any(feature in (cpu_features() if features is None else features) for feature in NATIVE_BF16_FEATURES)


def machine_name(cpu: str, features: list[str], cores: int | None = None) -> str:
    """``2-core Intel(R) Xeon(R) Processor with AMX``: a CPU by its model, cores and the native bf16 it has
    (or not) — what decides whether its bf16 timings carry to another machine. The one name records are
    grouped and compared by; a sentence puts "the" before it."""
    if "amx_bf16" in features:
        bf16 = " with AMX"
    elif "avx512_bf16" in features:
        bf16 = " with AVX-512 BF16"
    else:
        bf16 = " without native bf16"
    return f"{cores}-core {cpu}{bf16}" if cores else f"{cpu}{bf16}"


def gpu_details() -> dict[str, Any]:
    """The visible GPU's particulars for a record (empty without CUDA): CUDA and cuDNN versions, the
    TF32 and cuDNN-autotuning switches in force, multiprocessors and memory, and what ``nvidia-smi``
    reads (driver, clocks now and at most, power limit) where it answers within 10 s."""
    if not torch.cuda.is_available():
        return {}
    properties = torch.cuda.get_device_properties(0)
    details: dict[str, Any] = {
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "gpu_multiprocessors": properties.multi_processor_count,
        "gpu_memory_gib": round(properties.total_memory / 2**30, 1),
        "cudnn_benchmark": torch.backends.cudnn.benchmark,
    }
    try:
        details["tf32_default"] = {
            "cudnn": torch.backends.cudnn.allow_tf32,
            "matmul": torch.backends.cuda.matmul.allow_tf32,
        }
    except RuntimeError as error:  # PyTorch >= 2.9 refuses legacy reads after mixed settings
        details["tf32_default"] = f"unreadable: {str(error)[:80]}"
    fields = "driver_version,clocks.sm,clocks.mem,clocks.max.sm,clocks.max.mem,power.limit,pstate"
    try:
        answer = subprocess.run(
            ["nvidia-smi", f"--query-gpu={fields}", "--format=csv,noheader"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return details
    if answer.returncode == 0 and answer.stdout.strip():
        values = [value.strip() for value in answer.stdout.splitlines()[0].split(",")]
        details["nvidia_smi"] = dict(zip(fields.split(","), values, strict=False))
    return details


def torchvision_version() -> str | None:
    """torchvision's ``__version__`` (e.g. ``0.29.1+cu130``) without importing it where it is not loaded yet:
    importing torchvision costs ~2 s, and every record and executed page asks for its version. Read
    from the installed package's ``version.py``; None where torchvision is not installed."""
    import importlib.util
    import re
    import sys

    loaded = sys.modules.get("torchvision")
    if loaded is not None:
        return str(loaded.__version__)
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return None
    source = Path(next(iter(spec.submodule_search_locations))) / "version.py"
    try:
        found = re.search(r"^__version__ = ['\"]([^'\"]+)['\"]", source.read_text(), re.MULTILINE)
    except OSError:  # a build without version.py
        found = None
    if found is None:  # the distribution's version, which can lack the local part (``+cu130``): say so
        import importlib.metadata

        return importlib.metadata.version("torchvision") + " (from package metadata)"
    return found.group(1)


def provenance(profile: str, **extra: Any) -> dict[str, Any]:
    """Where, when and with what a result was produced.

    Args:
        profile: the run profile (``smoke``, ``default`` or ``paper``).
        **extra: run options to record alongside (engine, trials, dataset, ...).
    """
    from attnlib import __version__

    commit, dirty = code_version()
    record = {
        "record_schema": RECORD_SCHEMA,
        "profile": profile,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": commit,
        "git_dirty": bool(dirty) if dirty is not None else None,
        "cpu": cpu_model(),
        "cpu_features": cpu_features(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        **gpu_details(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "torchvision": torchvision_version(),
        "attnlib": __version__,
    }
    record.update(extra)
    return record
