"""Shared test fixtures.

Tests must pass on any CPU and with any thread count (CI and later sessions run on other machines).
Where two computations are compared bit for bit or through many training steps, both must use the
same number of intra-op threads: a different reduction order changes float sums, and training
amplifies it. :func:`one_thread` pins this process to one thread for such a comparison; the
torchrun workers of the DDP tests get ``OMP_NUM_THREADS=1`` too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Run the test with one intra-op thread (restored afterwards), whatever the machine has."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
