"""Running the campaign: where each run trains, training it (resumably, once), its record and
the committed weights of the networks the book evaluates again."""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from typing import Any

import pandas as pd

from attnlib.attention import BASELINE
from attnlib.reproduce.fashion.settings import (
    CONVERGED,
    RECORD_KIND,
    FashionRun,
    _in_channels,
    file_prefix,
    find_run,
    keeps_weights,
    machine_config,
    pretrained_key,
    settings_of,
)


class PretrainedMissing(FileNotFoundError):
    """A retrofit run needs the pretrained baseline, which is neither trained here nor committed."""


def slug(key: str) -> str:
    """A run key as one file or folder name (``compare/cifar_resnet14-basic/se/seed0`` → ``compare__…``)."""
    return key.replace("/", "__")


def run_folder(profile: str, key: str, runs_root: Any = None, campaign: str = CONVERGED) -> Any:
    """Where a run trains: ``<runs_root or data/checkpoints>/<experiment>-<profile>/<slug>`` (the short
    campaign's ``fashion-default/…``, the converged one's ``fashion_converged-default/…``)."""
    from pathlib import Path

    from attnlib.paper import data_root

    experiment = settings_of(profile, campaign).experiment
    return Path(runs_root or data_root() / "checkpoints") / f"{experiment}-{profile}" / slug(key)


def weights_path(profile: str, key: str, campaign: str = CONVERGED) -> Any:
    """Where a run's committed final weights go: ``data/models/fashion/<prefix><slug>.pt`` (≈ 1 MB;
    :func:`~attnlib.reproduce.fashion.settings.file_prefix`)."""
    from attnlib.paper import data_root

    return data_root() / "models" / "fashion" / f"{file_prefix(profile, campaign)}{slug(key)}.pt"


def committed_records(
    profile: str, root: Any = None, campaign: str = CONVERGED
) -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    """The newest committed record of every run of ``campaign`` at ``profile``, by key."""
    from attnlib.results import read_records

    experiment = settings_of(profile, campaign).experiment
    found: dict[str, tuple[pd.DataFrame, dict[str, Any]]] = {}
    for table, record in read_records(RECORD_KIND, root):
        entry = record.get("campaign") or {}
        if entry.get("experiment") == experiment and record.get("profile") == profile:
            found[entry["key"]] = (table, record)
    return found


def matches_record(run: FashionRun, record: dict[str, Any]) -> bool:
    """Whether a committed record is of this run with every setting that changes the result equal."""
    from attnlib.train.checkpoints import config_differences
    from attnlib.train.loop import config_defaults

    saved = dict(record.get("config") or {})
    complete = len(record.get("history", [])) >= run.config.epochs or record.get("epochs_trained") == run.config.epochs
    return complete and not config_differences(saved, run.config.as_dict(), config_defaults(run.config))


def pretrained_state(profile: str, runs_root: Any = None, campaign: str = CONVERGED) -> dict[str, Any]:
    """The retrofit study's pretrained weights: from the pretraining's run folder when it finished
    here, else from the committed weights (so a clean clone can run the retrofit study)."""
    import torch

    key = pretrained_key(profile, campaign=campaign)
    run = find_run(profile, key, campaign=campaign)
    checkpoint = run_folder(profile, key, runs_root, campaign=campaign) / "checkpoint.pt"
    if checkpoint.is_file():
        state = torch.load(checkpoint, map_location="cpu", weights_only=False)
        if state.get("epoch", -1) + 1 >= run.config.epochs:
            return state["model"]
    committed = weights_path(profile, key, campaign=campaign)
    if committed.is_file():
        return torch.load(committed, map_location="cpu", weights_only=False)["state_dict"]
    raise PretrainedMissing(
        f"the retrofit runs start from {key}, which has not finished here ({checkpoint}) and has no committed "
        f"weights ({committed}); run it first: attnlib reproduce fashion --profile {profile} --only {key}"
    )


def execute(
    profile: str, key: str, runs_root: Any = None, commit: bool = False, campaign: str = CONVERGED
) -> dict[str, Any]:
    """Train one run of the campaign to its end (resuming its folder), write its record, keep its weights.

    The run folder's ``.campaign.lock`` is held throughout, so two launchers never train or record one
    run twice; a run already done (here, or committed) is not trained again.
    """
    import copy

    import torch

    from attnlib import build_model
    from attnlib.files import atomic_write
    from attnlib.models import retrofit
    from attnlib.provenance import cpu_features
    from attnlib.train import evaluate, train, write_training_record
    from attnlib.train.checkpoints import run_folder_lock
    from attnlib.train.distributed import DistributedContext
    from attnlib.train.records import pack_mask
    from attnlib.train.task import correct_mask, task_of

    run = find_run(profile, key, campaign=campaign)
    folder = run_folder(profile, key, runs_root, campaign=campaign)
    config = replace(machine_config(run.config, cpu_features()), output=str(folder))
    with run_folder_lock(folder, name=".campaign.lock"):
        existing = committed_records(profile, campaign=campaign).get(key)
        if existing is not None and matches_record(run, existing[1]):
            return existing[0].iloc[-1].to_dict()
        network, initialized = None, None
        test_images = functools.cache(lambda: task_of(config).splits().val)  # loaded once, and only when needed
        if run.part == "retrofit":
            network = build_model(config.model, block=config.block, in_channels=_in_channels(config))
            network.load_state_dict(pretrained_state(profile, runs_root, campaign=campaign))
            if run.module != BASELINE:
                torch.manual_seed(config.seed)  # the inserted modules' initial weights: one per seed, repeatable
                retrofit(network, run.module, identity_init=run.identity_init)
            if not (folder / "checkpoint.pt").is_file():
                initialized = evaluate(copy.deepcopy(network), test_images(), config, DistributedContext())
                (folder / "initialized.json").write_text(pd.Series(initialized).to_json())
            else:
                initialized_file = folder / "initialized.json"
                initialized = (
                    pd.read_json(initialized_file, typ="series").to_dict() if initialized_file.is_file() else None
                )
        result = train(config, resume=True, progress=False, model=network)
        extra = {
            "campaign": {
                "experiment": settings_of(profile, campaign).experiment,
                "key": key,
                "part": run.part,
                "module": run.module,
                "identity_init": run.identity_init,
                "schedule": run.schedule.name if run.schedule else None,
                "pretrained": pretrained_key(profile, campaign=campaign) if run.part == "retrofit" else None,
            },
            "initialized": initialized,
            "epochs_trained": len(result.history),
            # which test images the final network gets right: runs of one seed compare image by image
            "test_correct": pack_mask(correct_mask(result.model, test_images(), config)),
        }
        path = write_training_record(
            config,
            result.history,
            committed=commit,
            kind=RECORD_KIND,
            name=f"{file_prefix(profile, campaign)}{slug(key)}",
            columns={"attention": run.module, "identity_init": run.identity_init, "part": run.part},
            **result.dataset,
            **extra,
        )
        if commit and keeps_weights(run, profile, campaign=campaign):
            record = json.loads(path.with_suffix(".json").read_text())
            payload = {
                "state_dict": {name: tensor.detach().clone() for name, tensor in result.model.state_dict().items()},
                "key": key,
                "config": config.as_dict(),
                "in_channels": _in_channels(config),
                "top1": result.final.get("top1"),
                "record_provenance": {
                    k: record[k] for k in ("date", "git_commit", "cpu", "cpu_features", "torch") if k in record
                },
            }
            path = weights_path(profile, key, campaign=campaign)
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, lambda stream: torch.save(payload, stream))
        return result.final


def load_trained(profile: str, key: str, campaign: str = CONVERGED) -> Any:
    """A committed trained network of the campaign (seed 0 of each network), ready for evaluation."""
    import torch

    from attnlib import build_model

    path = weights_path(profile, key, campaign=campaign)
    if not path.is_file():
        raise FileNotFoundError(f"no committed weights for {key} at {path}; run attnlib reproduce fashion --commit")
    payload = torch.load(path, map_location="cpu", weights_only=False)
    config = payload["config"]
    attention = config["attention"]
    network = build_model(
        config["model"], attention=attention, block=config["block"], in_channels=payload["in_channels"]
    )
    network.load_state_dict(payload["state_dict"])
    return network.eval()
