"""Training pipeline on synthetic data: learning, exact resume, DDP equivalence, loaders, metrics."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import torch
from PIL import Image

from attnlib import attention, build_model
from attnlib.reproduce.training import (
    SMOKE_RUN,
    paper_config,
    profile_config,
)
from attnlib.train import (
    DatasetNotFound,
    InterleavedBatchSampler,
    SyntheticImages,
    TrainConfig,
    aggregate_seeds,
    load_dataset,
    topk_correct,
    train,
)
from attnlib.train.checkpoints import (
    CheckpointDamaged,
    RunExists,
    RunFolderInUse,
    load_checkpoint,
    previous_checkpoint,
    run_folder_lock,
    save_checkpoint,
)
from attnlib.train.loop import parameter_groups

MODULES = (None, *attention.available())


def tiny_config(tmp_path: Path, **overrides) -> TrainConfig:
    """The smoke run (:data:`SMOKE_RUN`) with SE, made smaller and three epochs long (a checkpoint to
    resume from after each), in ``tmp_path``."""
    base = replace(
        SMOKE_RUN,
        attention="se",
        epochs=3,
        batch_size=16,
        lr=0.05,
        lr_milestones=(2,),
        synthetic_size=(96, 32),
        output=str(tmp_path),
    )
    return replace(base, **overrides)


@pytest.mark.parametrize("name", MODULES)
def test_loss_falls_for_every_module(name):
    torch.manual_seed(0)
    model = build_model("cifar_resnet8", attention=name)
    data = SyntheticImages(32, 10, 32, seed=1)
    images = torch.stack([data[i][0] for i in range(32)])
    labels = torch.tensor([data[i][1] for i in range(32)])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(15):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0], losses


def test_training_learns_the_synthetic_task(tmp_path):
    result = train(tiny_config(tmp_path, epochs=4, synthetic_size=(320, 96), attention="ab"), progress=False)
    assert result.history[-1]["top1"] > 30  # 10 classes: chance is 10 %
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


def test_interrupted_and_resumed_equals_uninterrupted(tmp_path, one_thread):
    full = train(tiny_config(tmp_path / "full"), progress=False)
    partial = tiny_config(tmp_path / "interrupted")
    first = train(partial, stop_after_epochs=1, progress=False)
    assert len(first.history) == 1 and (tmp_path / "interrupted" / "checkpoint.pt").is_file()
    resumed = train(partial, resume=True, progress=False)
    assert [h["epoch"] for h in resumed.history] == [0, 1, 2]
    for (name, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert resumed.history[-1]["top1"] == full.history[-1]["top1"]
    assert not list((tmp_path / "interrupted").glob(".*tmp"))


def test_sampler_streams_partition_each_global_batch():
    whole = InterleavedBatchSampler(40, 8, seed=3)
    parts = [InterleavedBatchSampler(40, 8, seed=3, stream=s, streams=2) for s in range(2)]
    for sampler in (whole, *parts):
        sampler.set_epoch(5)
    for batch, *shares in zip(whole, *parts, strict=True):
        assert sorted(batch) == sorted(shares[0] + shares[1])
    with pytest.raises(ValueError, match="divisible"):
        InterleavedBatchSampler(40, 7, seed=0, streams=2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_cli_with_torchrun(arguments: list[str], processes: int = 2) -> None:
    """``torchrun --nproc_per_node <processes> -m attnlib.cli <arguments>`` on CPU (gloo); fails on error."""
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        str(processes),
        "--master_addr",
        "127.0.0.1",
        "--master_port",
        str(free_port()),
        "-m",
        "attnlib.cli",
        *arguments,
    ]
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}  # the single-process side uses the one_thread fixture
    completed = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]


def test_ddp_two_processes_gloo_matches_single_process(tmp_path, one_thread):
    """Both sides use one intra-op thread: 2 here vs 1 in the workers changes the sums, and training amplifies it."""
    config = profile_config(
        "smoke",
        "synthetic-cifar",
        "cifar_resnet8",
        "se",
        0,
        epochs=2,
        batch_size=16,
        lr=0.05,
        lr_milestones=(2,),
        output=str(tmp_path / "single"),
    )
    single = train(config, accumulation_steps=2, progress=False)
    run_cli_with_torchrun(
        [
            "train",
            "--dataset",
            "synthetic-cifar",
            "--model",
            "cifar_resnet8",
            "--attention",
            "se",
            "--profile",
            "smoke",
            "--epochs",
            "2",
            "--batch-size",
            "16",
            "--lr",
            "0.05",
            "--lr-milestones",
            "2",
            "--output",
            str(tmp_path / "ddp"),
            "--no-record",
        ]
    )
    ddp_state = torch.load(tmp_path / "ddp" / "checkpoint.pt", weights_only=False)["model"]
    for name, parameter in single.model.named_parameters():
        torch.testing.assert_close(ddp_state[name], parameter.detach(), rtol=1e-4, atol=1e-5, msg=name)


def test_profiles_keep_the_named_dataset():
    """A real dataset stays real at every profile; generated data only when named (issue 10, item 8)."""
    config = profile_config("default", "cifar100", "cifar_resnet56", "se")
    assert config.dataset == "cifar100" and config.profile == "default" and config.epochs == 4
    assert profile_config("smoke", "synthetic-cifar", "cifar_resnet8", None).dataset == "synthetic-cifar"
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        profile_config("fast", "cifar100", "cifar_resnet56", "se")
    paper = paper_config("cifar100", "cifar_resnet56", "se")
    assert (paper.epochs, paper.batch_size, paper.lr, paper.lr_milestones) == (164, 128, 0.2, (81, 122))
    assert (paper.momentum, paper.weight_decay) == (0.9, 1e-4)
    imagenet = paper_config("imagenet", "resnet50", "srm")
    assert (imagenet.epochs, imagenet.batch_size, imagenet.lr, imagenet.lr_milestones) == (90, 256, 0.1, (31, 61))
    with pytest.raises(ValueError, match="real dataset"):
        paper_config("synthetic-cifar", "cifar_resnet56", None)


def test_learning_rate_schedule_steps_at_milestones(tmp_path):
    result = train(tiny_config(tmp_path, epochs=3, lr=0.1, lr_milestones=(1, 2)), progress=False)
    assert [round(h["lr"], 6) for h in result.history] == [0.1, 0.01, 0.001]


def test_srm_parameters_can_be_exempt_from_weight_decay():
    model = build_model("cifar_resnet8", attention="srm")
    groups = parameter_groups(model, TrainConfig(srm_no_weight_decay=True, attention="srm"))
    exempt = groups[1]
    assert exempt["weight_decay"] == 0.0
    assert len(exempt["params"]) == 3 * 3  # cfc, bn weight, bn bias in 3 blocks
    assert len(parameter_groups(model, TrainConfig())) == 1


def test_topk_on_hand_made_logits():
    logits = torch.tensor(
        [
            [0.1, 0.9, 0.0, 0.0, 0.0, 0.0],  # target 1: top-1 hit
            [0.5, 0.1, 0.4, 0.3, 0.2, 0.0],  # target 2: 2nd → top-5 only
            [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],  # target 0: 6th → miss
        ]
    )
    assert topk_correct(logits, torch.tensor([1, 2, 0])) == [1, 2]
    assert topk_correct(logits[:, :3], torch.tensor([1, 2, 0])) == [1, 3]  # k capped at #classes


def test_seed_aggregation():
    finals = pd.DataFrame(
        {
            "dataset": ["cifar100"] * 4,
            "model": ["m"] * 4,
            "block": ["basic"] * 4,
            "attention": ["se", "se", "se", "ab"],
            "seed": [0, 1, 2, 0],
            "top1": [70.0, 72.0, 74.0, 71.0],
            "top5": [90.0, 91.0, 92.0, 90.5],
        }
    )
    summary = aggregate_seeds(finals).set_index("attention")
    assert summary.loc["se", "top1_mean"] == 72.0
    assert summary.loc["se", "top1_std"] == pytest.approx(2.0)
    assert summary.loc["se", "seeds"] == 3
    assert pd.isna(summary.loc["ab", "top1_std"])


def test_synthetic_dataset_is_deterministic():
    a, b = SyntheticImages(10, 5, 32, seed=4), SyntheticImages(10, 5, 32, seed=4)
    assert torch.equal(a[3][0], b[3][0]) and a[3][1] == b[3][1]
    assert not torch.equal(a[3][0], SyntheticImages(10, 5, 32, seed=4, split="val")[3][0])
    assert a[0][0].shape == (3, 32, 32)


def test_missing_cifar_names_path_and_fix(tmp_path):
    with pytest.raises(DatasetNotFound) as error:
        load_dataset("cifar10", tmp_path)
    assert str(tmp_path) in str(error.value) and "download" in str(error.value)


def test_missing_imagenet_names_path_and_fix(tmp_path):
    with pytest.raises(DatasetNotFound) as error:
        load_dataset("imagenet", tmp_path / "nowhere")
    message = str(error.value)
    assert str(tmp_path / "nowhere" / "train") in message and "ATTNLIB_IMAGENET" in message


def test_imagenet_imagefolder_on_generated_images(tmp_path):
    for split in ("train", "val"):
        for label in ("n01", "n02"):
            folder = tmp_path / split / label
            folder.mkdir(parents=True)
            for index in range(2):
                Image.new("RGB", (300, 260), color=(index * 90, 40, 200)).save(folder / f"{index}.png")
    splits = load_dataset("imagenet", tmp_path)
    assert splits.num_classes == 2 and len(splits.train) == 4
    image, label = splits.val[0]
    assert image.shape == (3, 224, 224) and label == 0
    assert splits.train[0][0].shape == (3, 224, 224)


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(ValueError, match="cifar10, cifar100, fashion-mnist, imagenet"):
        load_dataset("mnist")


def test_table1_marks_best_and_within_one_std():
    from attnlib.reproduce.table1 import best_marks, table1_style

    summary = pd.DataFrame(
        {
            "dataset": ["c"] * 3,
            "model": ["m"] * 3,
            "block": ["basic"] * 3,
            "attention": ["baseline", "ab", "se"],
            "top1_mean": [70.0, 71.5, 72.0],
            "top1_std": [0.3, 0.4, 0.6],
            "top5_mean": [90.0, 91.0, 90.5],
            "top5_std": [0.1, 0.2, 0.2],
            "seeds": [3, 3, 3],
        }
    )
    marks = best_marks(summary).set_index("attention").mark
    assert marks["se"] == "best" and marks["ab"] == "within 1 std" and marks["baseline"] == ""
    html = table1_style(summary).to_html()
    assert "font-weight: bold" in html and "text-decoration: underline" in html


def test_rerun_without_resume_refuses_to_overwrite(tmp_path):
    config = tiny_config(tmp_path, epochs=2)
    train(config, stop_after_epochs=1, progress=False)
    before = (tmp_path / "checkpoint.pt").read_bytes()
    with pytest.raises(RunExists, match=r"--resume.*--overwrite"):
        train(config, progress=False)
    assert (tmp_path / "checkpoint.pt").read_bytes() == before
    again = train(config, overwrite=True, progress=False)
    assert [h["epoch"] for h in again.history] == [0, 1]


def test_resume_with_other_settings_names_every_difference(tmp_path):
    train(tiny_config(tmp_path, epochs=2), stop_after_epochs=1, progress=False)
    changed = tiny_config(tmp_path, epochs=2, seed=3, lr=0.2, attention="eca")
    with pytest.raises(ValueError, match=r"attention: saved 'se', now 'eca'.*lr: saved 0.05, now 0.2.*seed: saved 0"):
        train(changed, resume=True, progress=False)
    # how it runs may change (data-loading workers, download permission): not part of the result
    resumed = train(tiny_config(tmp_path, epochs=2, workers=1, download=True), resume=True, progress=False)
    assert [h["epoch"] for h in resumed.history] == [0, 1]


def test_a_bf16_run_started_with_native_kernels_resumes_with_fp32_kernels(tmp_path):
    """A campaign's run may continue on a CPU without native bf16: the kernels of its bf16 convolutions and
    its memory layout are how fast it runs, not what it computes, so resuming with others is accepted."""
    first = tiny_config(tmp_path, epochs=2, model="cifar_resnet8", precision="bf16")
    train(first, stop_after_epochs=1, progress=False)
    resumed = train(replace(first, bf16_convolutions="fp32", channels_last=True), resume=True, progress=False)
    assert [h["epoch"] for h in resumed.history] == [0, 1]
    assert all(math.isfinite(h["train_loss"]) for h in resumed.history)


def test_damaged_checkpoint_is_named_and_resume_falls_back_to_the_previous_one(tmp_path, caplog):
    config = tiny_config(tmp_path, epochs=3)
    train(config, stop_after_epochs=2, progress=False)
    checkpoint = tmp_path / "checkpoint.pt"
    assert previous_checkpoint(checkpoint).is_file()
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])  # truncated, e.g. by a copy
    with caplog.at_level("WARNING"):
        resumed = train(config, resume=True, progress=False)
    assert str(checkpoint) in caplog.text and "previous good one" in caplog.text
    assert [h["epoch"] for h in resumed.history] == [0, 1, 2]  # epoch 1 redone from epoch 0's checkpoint
    for path in (checkpoint, previous_checkpoint(checkpoint)):
        path.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointDamaged, match=str(checkpoint)):
        train(config, resume=True, progress=False)


def test_second_training_in_the_same_run_folder_is_refused(tmp_path):
    config = tiny_config(tmp_path)
    with run_folder_lock(tmp_path), pytest.raises(RunFolderInUse, match=f"{tmp_path}.*in use.*pid {os.getpid()}"):
        train(config, progress=False)
    assert not (tmp_path / "checkpoint.pt").exists()


def test_concurrent_checkpoint_writes_use_unique_temporary_files(tmp_path):
    """Two writers of one path (e.g. two runs started together) never share a temporary file."""
    from concurrent.futures import ThreadPoolExecutor

    state = {"model": {"w": torch.zeros(2_000_000)}, "epoch": 0}
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: save_checkpoint(tmp_path / "checkpoint.pt", state), range(16)))
    assert load_checkpoint(tmp_path / "checkpoint.pt")["epoch"] == 0
    assert not list(tmp_path.glob(".*tmp"))


def test_batch_larger_than_the_training_set_is_refused(tmp_path):
    with pytest.raises(ValueError, match="larger than the training set"):
        train(tiny_config(tmp_path, batch_size=5000), progress=False)


def test_a_setting_added_later_at_its_default_does_not_block_resuming_an_older_run(tmp_path: Path) -> None:
    from attnlib.train.checkpoints import config_differences
    from attnlib.train.loop import config_defaults

    config = tiny_config(tmp_path)
    saved = config.as_dict()
    del saved["batch_augmentation"]  # a run saved before the setting existed
    assert config_differences(saved, config.as_dict(), config_defaults(config)) == []
    changed = replace(config, epochs=config.epochs + 1).as_dict()
    assert config_differences(saved, changed, config_defaults(config)) == [
        f"epochs: saved {config.epochs}, now {config.epochs + 1}"
    ]
