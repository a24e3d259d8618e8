"""The training loop shared by every accuracy experiment (Tables 1–3 and the detection Tables 4–5).

* What is trained is a :class:`Task`: it builds the data and the network, computes a batch's loss and
  evaluates (:mod:`attnlib.train.task`). :class:`ClassificationTask` (top-1/top-5) is the default;
  ``attnlib.detection.DetectionTask`` plugs detectors into the very same loop.
* SGD with momentum and weight decay, ``MultiStepLR``; top-1/top-5 on the validation set each epoch.
* A checkpoint after every epoch (model, optimiser, scheduler, RNG states, epoch, config), written
  atomically under a unique temporary name, the previous one kept as ``checkpoint.prev.pt``;
  ``resume=True`` continues from it exactly — an interrupted run loses at most the epoch in
  progress, and the resumed weights equal those of an uninterrupted run. A damaged checkpoint is
  named and resume falls back to the previous one. Resuming checks the saved configuration and
  names every difference; starting over an existing run needs ``overwrite=True``.
* One training per run folder at a time: a lock (``.lock``) refuses a second one clearly.
  Checkpoints, the lock and the resume check live in :mod:`attnlib.train.checkpoints`.
* Multi-GPU / multi-node through PyTorch's ``DistributedDataParallel``, launched with ``torchrun``
  (``gloo`` on CPU, ``nccl`` on CUDA). ``batch_size`` is the global batch; each of the W processes
  takes an interleaved 1/W of every global batch. A single process with ``accumulation_steps=W``
  sees the very same micro-batches, which is how the tests check DDP.
* Per-epoch data order depends only on (seed, epoch), so runs are reproducible and resumable.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler
from tqdm import tqdm

from attnlib.arithmetic import forward_autocast, step_convolutions
from attnlib.attention import StyleRecalibration
from attnlib.files import atomic_write_text
from attnlib.provenance import provenance
from attnlib.train.checkpoints import (
    RunExists,
    comparable,
    config_differences,
    load_checkpoint,
    previous_checkpoint,
    run_folder_lock,
    save_checkpoint,
)
from attnlib.train.config import TrainConfig
from attnlib.train.data import DatasetSplits
from attnlib.train.distributed import DistributedContext, distributed_context
from attnlib.train.task import Task, task_of

log = logging.getLogger(__name__)


class InterleavedBatchSampler(Sampler[list[int]]):
    """Batches of one process's share of a per-epoch permutation.

    The permutation of ``range(length)`` is drawn from ``(seed, epoch)``. It is cut into global
    batches of ``batch_size``; stream ``stream`` of ``streams`` takes elements ``stream::streams``
    of each global batch. With DDP, stream = rank and streams = world size; on one process with
    gradient accumulation, each stream is one micro-batch of the same global batch. The last
    incomplete global batch is dropped (as the paper's code does with ``drop_last``-style epochs).
    """

    def __init__(self, length: int, batch_size: int, seed: int, stream: int = 0, streams: int = 1) -> None:
        if batch_size % streams:
            raise ValueError(f"batch_size {batch_size} is not divisible by {streams} processes/micro-batches")
        self.length, self.batch_size, self.seed = length, batch_size, seed
        self.stream, self.streams, self.epoch = stream, streams, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.length // self.batch_size

    def __iter__(self) -> Iterator[list[int]]:
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        order = torch.randperm(self.length, generator=generator).tolist()
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            yield order[start : start + self.batch_size][self.stream :: self.streams]


@dataclass
class TrainResult:
    """What a run produced: per-epoch metrics, the final model, and where things were written."""

    config: TrainConfig
    history: list[dict[str, Any]] = field(default_factory=list)
    model: nn.Module | None = None
    checkpoint: Path | None = None
    dataset: dict[str, Any] = field(default_factory=dict)

    @property
    def final(self) -> dict[str, Any]:
        return self.history[-1] if self.history else {}


def parameter_groups(model: nn.Module, config: TrainConfig) -> list[dict[str, Any]]:
    """SGD groups; with ``srm_no_weight_decay`` SRM's own parameters get no weight decay (paper's code)."""
    if not config.srm_no_weight_decay:
        return [{"params": [p for p in model.parameters() if p.requires_grad]}]
    exempt = {id(p) for m in model.modules() if isinstance(m, StyleRecalibration) for p in m.parameters()}
    return [
        {"params": [p for p in model.parameters() if p.requires_grad and id(p) not in exempt]},
        {"params": [p for p in model.parameters() if p.requires_grad and id(p) in exempt], "weight_decay": 0.0},
    ]


def _rng_state() -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _loader(dataset: Dataset, sampler: Sampler, config: TrainConfig, collate: Any = None) -> DataLoader:
    return DataLoader(
        dataset,
        batch_sampler=sampler,
        collate_fn=collate,
        num_workers=config.workers,
        pin_memory=config.device == "cuda",
        persistent_workers=False,
    )


def train(
    config: TrainConfig,
    *,
    resume: bool = False,
    accumulation_steps: int = 1,
    stop_after_epochs: int | None = None,
    progress: bool = True,
    model: nn.Module | None = None,
    task: Task | None = None,
    overwrite: bool = False,
) -> TrainResult:
    """Train ``config`` to the end (or ``stop_after_epochs`` more epochs), checkpointing every epoch.

    Args:
        config: the run.
        resume: continue from ``<run dir>/checkpoint.pt`` if it exists.
        accumulation_steps: split each global batch into this many micro-batches on one process
            (the single-process equivalent of that many DDP processes).
        stop_after_epochs: end after this many epochs of this call (simulates an interruption).
        progress: show a progress bar with ETA on the main process.
        model: start from this network instead of building ``config.model`` (fine-tuning).
        task: what to train; ``task_of(config)`` by default (classification for a ``TrainConfig``).
        overwrite: start from epoch 0 even if the run folder holds a checkpoint (it is replaced).

    Raises:
        RunExists: the run folder holds a checkpoint and neither ``resume`` nor ``overwrite`` is set.
        ValueError: ``resume`` with settings that differ from the saved run's (each one named).
        RunFolderInUse: another training is using the run folder.
        CheckpointDamaged: the checkpoint and its predecessor cannot be read.
    """
    context = distributed_context(config.device)
    with run_folder_lock(config.run_dir(), enabled=context.is_main):
        return _train(config, context, resume, accumulation_steps, stop_after_epochs, progress, model, task, overwrite)


@dataclass
class _Session:
    """Everything one training holds between epochs: what :func:`_restore`, :func:`_run_epoch` and
    :func:`_save` share."""

    config: TrainConfig
    context: DistributedContext
    task: Task
    splits: DatasetSplits
    model: nn.Module
    network: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.MultiStepLR
    scaler: torch.amp.GradScaler
    sampler: InterleavedBatchSampler
    streams: int


def _train(
    config: TrainConfig,
    context: DistributedContext,
    resume: bool,
    accumulation_steps: int,
    stop_after_epochs: int | None,
    progress: bool,
    model: nn.Module | None,
    task: Task | None,
    overwrite: bool,
) -> TrainResult:
    """The body of :func:`train`, run while the run folder is locked: set up, restore, then
    one :func:`_run_epoch` and one :func:`_save` per epoch."""
    if accumulation_steps < 1:
        raise ValueError(f"accumulation_steps must be >= 1, got {accumulation_steps}")
    if context.enabled and accumulation_steps != 1:
        raise ValueError("use either DDP processes or accumulation_steps, not both")
    checkpoint_path = config.run_dir() / "checkpoint.pt"
    saved = _existing_checkpoint(checkpoint_path, resume, overwrite, config)
    session = _set_up(config, context, task if task is not None else task_of(config), model, accumulation_steps)
    splits = session.splits
    result = TrainResult(
        config,
        model=session.model,
        dataset={
            "dataset": splits.description,
            "train_size": len(splits.train),
            "val_size": len(splits.val),
            **({"dataset_details": splits.details} if splits.details else {}),
        },
    )
    start_epoch = 0 if saved is None else _restore(session, saved, result)
    end_epoch = config.epochs if stop_after_epochs is None else min(config.epochs, start_epoch + stop_after_epochs)
    record_provenance = provenance(
        config.profile,
        config=config.as_dict(),
        **result.dataset,
        world_size=context.world_size,
        accumulation_steps=accumulation_steps,
    )
    for epoch in range(start_epoch, end_epoch):
        result.history.append(_run_epoch(session, epoch, progress))
        if context.is_main:
            _save(session, checkpoint_path, epoch, result.history, record_provenance)
    result.checkpoint = checkpoint_path
    return result


def _set_up(
    config: TrainConfig, context: DistributedContext, task: Task, model: nn.Module | None, accumulation_steps: int
) -> _Session:
    """Data, network (built, or the one given), optimiser, schedule, gradient scaler and sampler."""
    splits = task.splits()
    if len(splits.train) < config.batch_size:
        raise ValueError(
            f"batch_size {config.batch_size} is larger than the training set ({len(splits.train)} samples of "
            f"{splits.description}): no optimisation step would be taken. Use a batch size <= {len(splits.train)}."
        )
    model = (model if model is not None else task.build_model(splits)).to(config.device)
    if config.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(
        parameter_groups(model, config), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
    )
    streams = context.world_size if context.enabled else accumulation_steps
    return _Session(
        config=config,
        context=context,
        task=task,
        splits=splits,
        model=model,
        network=_training_network(model, config, context),
        optimizer=optimizer,
        scheduler=torch.optim.lr_scheduler.MultiStepLR(optimizer, list(config.lr_milestones), config.lr_gamma),
        scaler=torch.amp.GradScaler(enabled=config.amp and config.device == "cuda"),
        sampler=InterleavedBatchSampler(
            len(splits.train), config.batch_size, config.seed, context.rank if context.enabled else 0, streams
        ),
        streams=streams,
    )


def _training_network(model: nn.Module, config: TrainConfig, context: DistributedContext) -> nn.Module:
    """What the training steps call: the network, wrapped for DDP, compiled when ``config.compile``."""
    network = nn.parallel.DistributedDataParallel(model) if context.enabled else model
    return torch.compile(network) if config.compile else network


def training_autocast(config: TrainConfig) -> Any:
    """The autocast of a training step's forward pass: CUDA fp16 with ``amp``, bf16 with
    ``precision="bf16"``, else none."""
    return forward_autocast(config.device, config.precision, fp16=config.amp and config.device == "cuda")


def _restore(session: _Session, state: dict[str, Any], result: TrainResult) -> int:
    """Load a checkpoint's weights, optimiser, schedule, scaler, RNG states and history; return the
    epoch to continue from."""
    session.model.load_state_dict(state["model"])
    session.optimizer.load_state_dict(state["optimizer"])
    session.scheduler.load_state_dict(state["scheduler"])
    session.scaler.load_state_dict(state["scaler"])
    _set_rng_state(state["rng"])
    result.history = state["history"]
    log.info("resumed %s at epoch %d", session.config.run_name, state["epoch"] + 1)
    return state["epoch"] + 1


def _run_epoch(session: _Session, epoch: int, progress: bool) -> dict[str, Any]:
    """Train one epoch (every global batch, as micro-batches when accumulating), step the schedule,
    evaluate; return the epoch's metrics."""
    config, context, sampler, task = session.config, session.context, session.sampler, session.task
    optimizer, scaler = session.optimizer, session.scaler
    started = time.perf_counter()
    session.model.train()
    sampler.set_epoch(epoch)
    streams = session.streams
    micro_samplers = [sampler] if context.enabled or streams == 1 else [_stream(sampler, s) for s in range(streams)]
    running_loss, seen = 0.0, 0
    batches = zip(*[_loader(session.splits.train, s, config, task.collate) for s in micro_samplers], strict=True)
    bar = tqdm(
        batches,
        total=len(sampler),
        desc=f"epoch {epoch + 1}/{config.epochs}",
        leave=False,
        disable=not (progress and context.is_main),
    )
    for step, micro_batches in enumerate(bar):
        optimizer.zero_grad(set_to_none=True)
        for batch in micro_batches:
            with step_convolutions(config.precision, config.bf16_convolutions):
                with training_autocast(config):
                    loss, count = task.loss(session.network, batch)
                scaler.scale(loss / len(micro_batches)).backward()
            running_loss += loss.item() * count
            seen += count
        _step_with_factor(optimizer, scaler, task.lr_factor(epoch * len(sampler) + step))
        if not math.isfinite(running_loss):
            raise FloatingPointError(f"training loss became {running_loss} in epoch {epoch}")
        bar.set_postfix(loss=f"{running_loss / max(seen, 1):.3f}")
    training_seconds = time.perf_counter() - started
    lr = optimizer.param_groups[0]["lr"]
    session.scheduler.step()
    evaluated = (epoch + 1) % config.eval_every == 0 or epoch + 1 == config.epochs
    metrics = task.evaluate(session.model, session.splits.val, context) if evaluated else {}
    metrics.update(
        epoch=epoch,
        lr=lr,
        train_loss=running_loss / max(seen, 1),
        seconds=time.perf_counter() - started,
        # this process's training images per second (evaluation excluded): what a GPU-hour buys
        images_per_s=seen / training_seconds if training_seconds > 0 else float("nan"),
    )
    return metrics


def _save(
    session: _Session, checkpoint_path: Path, epoch: int, history: list[dict[str, Any]], record: dict[str, Any]
) -> None:
    """Checkpoint everything :func:`_restore` needs, and the run's ``record.json`` beside it."""
    save_checkpoint(
        checkpoint_path,
        {
            "model": session.model.state_dict(),
            "optimizer": session.optimizer.state_dict(),
            "scheduler": session.scheduler.state_dict(),
            "scaler": session.scaler.state_dict(),
            "rng": _rng_state(),
            "epoch": epoch,
            "history": history,
            "config": session.config.as_dict(),
        },
    )
    atomic_write_text(checkpoint_path.parent / "record.json", _json({**record, "history": history}))
    log.info("epoch %d: %s", epoch, history[-1])


def _existing_checkpoint(
    checkpoint_path: Path, resume: bool, overwrite: bool, config: TrainConfig
) -> dict[str, Any] | None:
    """The state to resume from (checked against ``config``), None to start at epoch 0, or a clear refusal."""
    exists = checkpoint_path.is_file() or previous_checkpoint(checkpoint_path).is_file()
    if not exists:
        return None
    if overwrite:
        for path in (checkpoint_path, previous_checkpoint(checkpoint_path)):
            path.unlink(missing_ok=True)
        log.info("overwriting the run in %s from epoch 0", checkpoint_path.parent)
        return None
    if not resume:
        raise RunExists(
            f"{checkpoint_path.parent} already holds a checkpoint of {config.run_name}; pass --resume to "
            "continue it, or --overwrite to start it again from epoch 0 (the checkpoint is replaced)"
        )
    state = load_checkpoint(checkpoint_path, map_location=config.device)
    differences = config_differences(state.get("config", {}), config.as_dict(), config_defaults(config))
    if differences:
        raise ValueError(
            f"cannot resume {checkpoint_path}: the saved run used other settings — {'; '.join(differences)}. "
            "Resume with the saved settings, or start again with --overwrite."
        )
    return state


def _step_with_factor(optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler, factor: float) -> None:
    """One optimiser step with every group's learning rate scaled by ``factor`` (warmup), then restored.

    The scheduler keeps owning the learning rates, so a resumed run warms up exactly as an
    uninterrupted one would.
    """
    saved = [group["lr"] for group in optimizer.param_groups]
    for group in optimizer.param_groups:
        group["lr"] *= factor
    scaler.step(optimizer)
    scaler.update()
    for group, lr in zip(optimizer.param_groups, saved, strict=True):
        group["lr"] = lr


def train_cached(config: TrainConfig, cache: Path, progress: bool = False) -> TrainResult:
    """Train ``config`` into ``cache/<run name>-<hash of every setting>``, or resume/reuse what is there.

    Keyed by the full config, so a changed setting never reuses a stale network; an interrupted
    run resumes from its last epoch. Used for the pretrainings that later experiments start from.
    """
    return train(replace(config, output=str(cached_run_dir(config, cache))), resume=True, progress=progress)


def cached_run_dir(config: TrainConfig, cache: Path) -> Path:
    """The folder :func:`train_cached` trains ``config`` in: ``cache/<run name>-<hash of its settings>``.

    The hash covers every setting that differs from its default, so a setting added to attnlib later
    (at its default) does not orphan the networks cached before.
    """
    defaults = config_defaults(config)
    settings = {key: value for key, value in config.as_dict().items() if comparable(value) != comparable(defaults[key])}
    key = hashlib.sha1(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:10]
    return Path(cache) / f"{config.run_name}-{key}"


def config_defaults(config: TrainConfig) -> dict[str, Any]:
    """The default of every field of ``config``'s class."""
    return {field.name: field.default for field in fields(config)}


def _stream(sampler: InterleavedBatchSampler, stream: int) -> InterleavedBatchSampler:
    micro = InterleavedBatchSampler(sampler.length, sampler.batch_size, sampler.seed, stream, sampler.streams)
    micro.set_epoch(sampler.epoch)
    return micro


def _json(value: object) -> str:
    return json.dumps(value, indent=2, default=str) + "\n"
