"""Processes launched by ``torchrun``: this one's rank and world size, and its share of the data."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class DistributedContext:
    """Rank and world size (1 process when not launched by torchrun)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def distributed_context(device: str) -> DistributedContext:
    """Join the process group torchrun set up (env:// rendezvous), if any."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return DistributedContext()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device == "cuda" else "gloo")
    context = DistributedContext(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))
    if device == "cuda":
        torch.cuda.set_device(context.local_rank)
    return context


def shard_batches(length: int, batch_size: int, context: DistributedContext) -> list[list[int]]:
    """This process's evaluation batches: every ``world_size``-th sample from ``rank``, in order."""
    indices = list(range(length))[context.rank :: context.world_size]
    return [indices[i : i + batch_size] for i in range(0, len(indices), batch_size)]
