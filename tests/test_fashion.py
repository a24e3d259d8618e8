"""Fashion-MNIST (issue 21): finding, checking and reading the idx files, the networks' grayscale stem,
``attnlib data``, ``attnlib train --dataset fashion-mnist`` and the ``reproduce fashion`` campaign.

The tests never need apt, the network or the real dataset: they write small idx files of their own
and declare those files' checksums as the published ones.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import shutil
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from attnlib import build_model
from attnlib.cli import main
from attnlib.plots import plot_gains, plot_retrofit_gains
from attnlib.reproduce import campaign, fashion
from attnlib.train import fashion as fashion_data
from attnlib.train.data import load_dataset
from attnlib.train.records import pack_mask, unpack_mask

DATA = Path(__file__).resolve().parents[1] / "data"

TRAIN, TEST = 120, 40


def _idx(array: torch.Tensor) -> bytes:
    header = struct.pack(f">BBBB{array.dim()}I", 0, 0, 8, array.dim(), *array.shape)
    return header + bytes(array.to(torch.uint8).flatten().tolist())


def _images(count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Class k: a bright horizontal band at rows 2k..2k+3 on a noisy background (learnable)."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(count) % 10
    images = torch.randint(0, 60, (count, 28, 28), generator=generator)
    for index, label in enumerate(labels.tolist()):
        images[index, 2 * label + 2 : 2 * label + 6, 4:24] = 230
    return images, labels


@pytest.fixture
def fake_fashion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with four small idx.gz files, declared the published ones; no other copy is visible."""
    folder = tmp_path / "fashion"
    folder.mkdir()
    train_images, train_labels = _images(TRAIN, 0)
    test_images, test_labels = _images(TEST, 1)
    contents = {
        "train-images-idx3-ubyte.gz": _idx(train_images),
        "train-labels-idx1-ubyte.gz": _idx(train_labels),
        "t10k-images-idx3-ubyte.gz": _idx(test_images),
        "t10k-labels-idx1-ubyte.gz": _idx(test_labels),
    }
    checksums = {}
    for name, data in contents.items():
        packed = gzip.compress(data, mtime=0)
        (folder / name).write_bytes(packed)
        checksums[name] = (hashlib.sha256(packed).hexdigest(), hashlib.sha256(data).hexdigest())
    monkeypatch.setattr(fashion_data, "FILES", checksums)
    monkeypatch.setattr(fashion_data, "_LOADED", {})
    monkeypatch.setattr(fashion_data, "DEBIAN_FOLDER", tmp_path / "no-debian-copy")
    monkeypatch.setenv("ATTNLIB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv(fashion_data.ENVIRONMENT_VARIABLE, str(folder))
    return folder


def test_the_folder_is_found_in_the_documented_order(fake_fashion: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fashion_data.ENVIRONMENT_VARIABLE)
    monkeypatch.setattr(fashion_data, "DEBIAN_FOLDER", fake_fashion)
    assert fashion_data.find_folder() == fake_fashion  # Debian's folder
    default = fashion_data.default_folder()
    shutil.copytree(fake_fashion, default)
    monkeypatch.setattr(fashion_data, "DEBIAN_FOLDER", fake_fashion.parent / "gone")
    assert fashion_data.find_folder() == default  # then data/datasets/fashion-mnist
    elsewhere = shutil.copytree(fake_fashion, fake_fashion.parent / "elsewhere")
    monkeypatch.setenv(fashion_data.ENVIRONMENT_VARIABLE, str(elsewhere))
    assert fashion_data.find_folder() == elsewhere  # the environment variable comes first
    assert fashion_data.find_folder(fake_fashion) == fake_fashion  # and --data-root before everything


def test_missing_everywhere_is_one_error_naming_the_places_and_the_three_fixes(fake_fashion: Path) -> None:
    shutil.rmtree(fake_fashion)
    with pytest.raises(fashion_data.FashionMNISTNotFound) as caught:
        load_dataset("fashion-mnist")
    message = str(caught.value)
    for expected in ("no-debian-copy", "datasets/fashion-mnist", "make data", "apt-get install"):
        assert expected in message
    assert "ATTNLIB_FASHION_MNIST" in message


def test_a_truncated_or_altered_file_is_named_with_the_fix(fake_fashion: Path) -> None:
    labels = fake_fashion / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:-9])
    with pytest.raises(fashion_data.FashionMNISTDamaged, match=r"t10k-labels-idx1-ubyte\.gz is damaged or truncated"):
        load_dataset("fashion-mnist")
    images = fake_fashion / "train-images-idx3-ubyte.gz"
    content = bytearray(gzip.decompress(images.read_bytes()))
    content[-1] ^= 0xFF
    images.write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(fashion_data.FashionMNISTDamaged, match=r"train-images-idx3-ubyte\.gz is not the published"):
        fashion_data.read_checked(images)


def test_another_sources_gzip_of_the_same_content_is_accepted(fake_fashion: Path) -> None:
    path = fake_fashion / "train-labels-idx1-ubyte.gz"
    content = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(content, compresslevel=1, mtime=12345))  # other bytes, same idx content
    assert fashion_data.read_checked(path) == content


def test_idx_parsing_refuses_a_wrong_magic_or_size() -> None:
    good = _idx(torch.zeros(2, 3, 4))
    assert fashion_data.parse_idx(good).shape == (2, 3, 4)
    with pytest.raises(fashion_data.FashionMNISTDamaged, match="not an unsigned-byte idx"):
        fashion_data.parse_idx(b"\x00\x00\x0d\x01" + good[4:])
    with pytest.raises(fashion_data.FashionMNISTDamaged, match="needs"):
        fashion_data.parse_idx(good[:-1])


@pytest.mark.parametrize("side", [28, 32])
def test_splits_are_grayscale_normalised_and_augmented_per_batch(fake_fashion: Path, side: int) -> None:
    splits = load_dataset("fashion-mnist", input_size=side)
    assert (len(splits.train), len(splits.val), splits.num_classes, splits.in_channels) == (TRAIN, TEST, 10, 1)
    image, label = splits.train[3]
    assert image.shape == (1, side, side) and label == 3
    train = torch.stack([splits.train[i][0] for i in range(TRAIN)])
    if side == 28:  # normalised with the training set's own statistics
        assert float(train.mean()) == pytest.approx(0.0, abs=1e-4)
        assert float(train.std()) == pytest.approx(1.0, abs=1e-2)
    else:  # the 2-pixel border is black: the normalised value the crop pads with too
        padding, fill = splits.augment_batch
        assert padding == 4 and torch.allclose(train[:, :, 0, :], fill.view(1, 1, 1))
    details = splits.details
    assert details["name"] == "Fashion-MNIST" and "Zalando" in details["licence"]
    assert set(details["sha256"]) == set(fashion_data.FILES)


def test_a_training_subset_is_class_balanced_and_the_same_for_every_run(fake_fashion: Path) -> None:
    labels = fashion_data.load_files().train_labels
    subset = fashion_data.balanced_subset(labels, 55)
    counts = torch.bincount(labels[subset], minlength=10)
    assert int(counts.sum()) == 55 and int(counts.max() - counts.min()) <= 1
    assert torch.equal(subset, fashion_data.balanced_subset(labels, 55))
    assert len(load_dataset("fashion-mnist", train_subset=30).train) == 30
    with pytest.raises(ValueError, match="Fashion-MNIST settings"):
        load_dataset("synthetic-cifar", train_subset=30)


@pytest.mark.parametrize("name", ["cifar_resnet8", "resnet18"])
def test_a_grayscale_stem_keeps_the_state_dict_keys(name: str) -> None:
    colour, gray = build_model(name), build_model(name, in_channels=1)
    assert list(colour.state_dict()) == list(gray.state_dict())
    assert gray.conv1.weight.shape[1] == 1
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        gray(torch.zeros(1, 3, 32, 32))


def test_attnlib_train_on_fashion_mnist_writes_a_record_naming_the_data(
    fake_fashion: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    arguments = ["train", "--dataset", "fashion-mnist", "--model", "cifar_resnet8", "--attention", "eca"]
    arguments += ["--epochs", "1", "--batch-size", "20", "--output", str(tmp_path / "run")]
    assert main(arguments) == 0
    assert "top-1" in capsys.readouterr().out
    records = list((tmp_path / "data" / "runs" / "fashion").glob("*.json"))
    record = json.loads(records[0].read_text())
    assert record["dataset_details"]["name"] == "Fashion-MNIST" and record["train_size"] == TRAIN


def test_a_data_root_that_holds_nothing_is_one_clear_cli_error(
    fake_fashion: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    arguments = ["train", "--dataset", "fashion-mnist", "--model", "cifar_resnet8", "--epochs", "1"]
    assert main([*arguments, "--data-root", str(tmp_path / "nothing")]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("attnlib: error: Fashion-MNIST not found") and "nothing (missing)" in error


def test_attnlib_data_copies_a_folder_or_a_debian_package_and_checks_it(fake_fashion: Path, tmp_path: Path) -> None:
    destination = tmp_path / "copy"
    assert main(["data", "fashion-mnist", "--from", str(fake_fashion), "--destination", str(destination)]) == 0
    fashion_data.check_folder(destination)
    if shutil.which("dpkg-deb"):
        package = tmp_path / "package"
        (package / "DEBIAN").mkdir(parents=True)
        (package / "DEBIAN" / "control").write_text(
            "Package: dataset-fashion-mnist\nVersion: 0.0~test\nArchitecture: all\nMaintainer: t <t@t>\n"
            "Description: test\n"
        )
        shutil.copytree(fake_fashion, package / "usr" / "share" / "datasets" / "fashion-mnist")
        import subprocess

        deb = tmp_path / "dataset-fashion-mnist_test_all.deb"
        subprocess.run(["dpkg-deb", "--build", str(package), str(deb)], check=True, capture_output=True)
        from_deb = tmp_path / "from-deb"
        assert main(["data", "fashion-mnist", "--from", str(deb), "--destination", str(from_deb)]) == 0
        fashion_data.check_folder(from_deb)
    (fake_fashion / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip")
    assert main(["data", "fashion-mnist", "--from", str(fake_fashion), "--destination", str(tmp_path / "bad")]) == 2


# --- the campaign -----------------------------------------------------------------------------------


def test_the_default_plan_lists_every_run_with_cpu_hours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a clean machine: no committed run records, only the committed training-settings record it is sized by
    settings_records = sorted((DATA / "results" / "latency").glob(f"{fashion.TRAIN_SETTINGS_EXPERIMENT}-*"))
    assert settings_records, "the converged campaign is sized by a committed bench train --settings record"
    (tmp_path / "data" / "results" / "latency").mkdir(parents=True)
    for path in settings_records:
        shutil.copy(path, tmp_path / "data" / "results" / "latency" / path.name)
    monkeypatch.setenv("ATTNLIB_DATA", str(tmp_path / "data"))
    runs = campaign.campaign_runs("fashion", "default", tmp_path)
    parts = pd.Series([run.key.split("/")[0] for run in runs]).value_counts().to_dict()
    # the converged campaign: plateau checks on both networks with two seeds, an fp32 check with two
    # two seeds of the deeper baselines and one of each retrofit: resized to fit the 24 hours (settings.py)
    assert parts == {"compare": 36, "schedule": 4, "precision": 2, "deeper": 4, "retrofit": 30}
    frame = campaign.plan(runs)
    assert (frame.state == "missing").all() and (frame["CPU-hours (est.)"] > 0).all()
    summary = campaign.plan_summary("fashion", "default", frame)
    # sized to at most the 24 hours of the 2-core machine the issue gives it (basic networks 60 epochs,
    # bottleneck 30: 20.9 hours from the baselines' measured throughput)
    assert "Estimated CPU wall hours" in summary and float(summary.split("hours: ")[1].split()[0]) <= 24.0
    assert fashion.campaign_hours("default", campaign=fashion.SHORT) <= 6.0  # the first campaign, as sized
    paper = campaign.plan(campaign.campaign_runs("fashion", "paper", tmp_path))
    assert "CPU-hours (est.)" not in paper.columns and (paper["GPU-hours (est.)"] > 0).all()


def test_the_campaign_forecast_from_its_own_epoch_times_fits_its_budget() -> None:
    """The runs' own epoch times (modules train slower than their baselines) still fit the 24 hours: when
    committed runs push the forecast past the budget, the plan must be resized before more runs start."""
    forecast = sum(fashion.cpu_hours(run, 60_000) for run in fashion.runs("default"))
    assert fashion.observed_epoch_seconds("default", fashion.CONVERGED), "the campaign has committed runs"
    assert forecast <= fashion.BUDGET_HOURS[fashion.CONVERGED]


def test_the_plan_reads_its_cpu_rates_and_their_source_from_the_committed_record() -> None:
    rates = fashion.rates_of(fashion.CONVERGED)
    setting = fashion.campaign_setting().name
    assert setting == "bf16 + channels_last + compile"
    # the first record that times the campaign's setting sized it; another machine's later record does not
    # move the plan
    paths = sorted((DATA / "results" / "latency").glob(f"{fashion.TRAIN_SETTINGS_EXPERIMENT}-*.csv"))
    record = next(frame for frame in map(pd.read_csv, paths) if setting in set(frame.setting))
    measured = record[(record.setting == setting) & (record.model == "cifar_resnet8")]
    assert rates.images_per_s[("cifar_resnet8", "basic")] == pytest.approx(measured.images_per_s.mean())
    assert set(rates.images_per_s) >= set(fashion.SETTINGS.default.compared)  # every compared network is sized
    assert "record fashion_train_settings" in rates.source and "with AMX" in rates.source
    runs = campaign.campaign_runs("fashion", "default", only=["compare/cifar_resnet8-basic/baseline/seed0"])
    assert runs[0].cpu_rates_source.startswith(rates.source)
    assert rates.source in campaign.plan_summary("fashion", "default", campaign.plan(runs))


def _settings_record(
    root: Path, date: str, cpu: str, features: list[str], speedups: tuple[float, float], setting: str | None = None
) -> None:
    """A two-setting training-settings record of ResNet-8 made on ``cpu`` at ``date``, under ``root``: fp32
    and ``setting`` (the campaign's when None)."""
    from attnlib import results

    rows = pd.DataFrame(
        {
            "network": "ResNet-8 (basic)",
            "model": "cifar_resnet8",
            "block": "basic",
            "attention": "baseline",
            "setting": ["fp32", setting or fashion.campaign_setting().name],
            "images_per_s": [800.0, 800.0 * speedups[1]],
            "speedup_median": [1.0, speedups[1]],
        }
    )
    provenance = {"experiment": fashion.TRAIN_SETTINGS_EXPERIMENT, "cpu": cpu, "cpu_count": 2, "date": date}
    results.write_record("latency", f"{fashion.TRAIN_SETTINGS_EXPERIMENT}-cpu", rows, provenance | {
        "cpu_features": features}, root=root)  # fmt: skip


def test_the_chapter_shows_each_machines_training_settings_records_and_the_plan_keeps_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sitting on a CPU without native bf16 adds its own records — its own bf16 kernels, then fp32 kernels
    on bf16 operands: every record is shown, in words that say how fast the campaign's precision trains
    there against fp32; the plan stays sized by the first, a launcher there scales by its newest."""
    monkeypatch.setenv("ATTNLIB_DATA", str(tmp_path / "data"))
    root = tmp_path / "data" / "results"
    emulated = "bf16 + fp32_conv + channels_last"
    _settings_record(root, "2026-12-05T09:00:00+00:00", "Intel Xeon", ["avx512_bf16", "amx_bf16"], (1.0, 2.4))
    _settings_record(root, "2026-12-06T05:00:00+00:00", "AMD EPYC", ["avx2"], (1.0, 0.6))
    _settings_record(root, "2026-12-07T05:00:00+00:00", "AMD EPYC", ["avx2"], (1.0, 1.1), emulated)
    shown = fashion.training_settings_by_machine()
    assert [text.split(",")[0] for text, _ in shown] == [
        "Measured on the 2-core Intel Xeon with AMX",
        "Measured on the 2-core AMD EPYC without native bf16",
        "Measured on the 2-core AMD EPYC without native bf16",
    ]
    (intel, intel_table), (amd, amd_table), (amd_fp32_conv, _) = shown
    assert "trains at 2.40× the speed of fp32." in intel and "2026-12-05" in intel and len(intel_table) == 2
    assert "0.60× the speed of fp32: without native bf16" in amd and "2026-12-06" in amd
    assert list(amd_table["over fp32"]) == ["1.00×", "0.60×"] and "nan" not in amd
    assert f"the campaign's precision as this CPU trains it ({emulated}) trains at 1.10× the speed" in amd_fp32_conv
    assert fashion.recorded_rates().images_per_s[("cifar_resnet8", "basic")] == pytest.approx(1920.0)
    assert "Intel Xeon with AMX" in fashion.recorded_rates().source
    # on the AMD machine a launcher scales the campaign's estimates by that machine's newest record
    from attnlib import results

    monkeypatch.setattr(results, "cpu_model", lambda: "AMD EPYC")
    monkeypatch.setattr(results, "cpu_features", lambda: ["avx2"])
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    factor, why = fashion.machine_slowdown("cifar_resnet8", "basic", "bf16")
    assert factor == pytest.approx(1920 / 880)
    assert why == (
        f"2-core AMD EPYC without native bf16: ResNet-8 (basic) trains 2.2× slower in {emulated} than where the "
        "campaign was sized"
    )
    assert fashion.machine_slowdown("cifar_resnet8", "basic", "fp32")[0] == pytest.approx(1.0)
    assert fashion.machine_slowdown("cifar_resnet11", "bottleneck", "bf16") is None  # neither record timed it
    runs = campaign.campaign_runs("fashion", "default", tmp_path, only=["*/cifar_resnet8-basic/baseline/seed0"])
    slowdowns = fashion.machine_slowdowns({run.key: run.config for run in runs})
    assert {key.split("/")[0]: round(value[0], 2) for key, value in slowdowns.items()} == {
        "compare": 2.18, "schedule": 2.18, "precision": 1.0}  # fmt: skip
    monkeypatch.setattr(results, "cpu_model", lambda: "Intel Xeon")
    monkeypatch.setattr(results, "cpu_features", lambda: ["avx512_bf16", "amx_bf16"])
    assert fashion.machine_slowdown("cifar_resnet8", "basic", "bf16") is None  # the machine it was sized on


def test_without_a_training_settings_record_the_plan_makes_no_cpu_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTNLIB_DATA", str(tmp_path / "data"))  # no committed records at all
    assert fashion.recorded_rates() is None
    runs = campaign.campaign_runs("fashion", "default", tmp_path, only=["compare/cifar_resnet8-basic/baseline/seed0"])
    assert runs[0].cpu_hours is None and runs[0].cpu_rates_source == ""
    assert "CPU-hours (est.)" not in campaign.plan(runs).columns


def test_the_progress_sentence_says_what_is_left_then_what_it_took() -> None:
    plan = pd.DataFrame({"state": ["done", "missing", "in progress"], "CPU-hours (est.)": [1.0, 0.5, 0.25]})
    text = fashion.progress_text(plan)
    assert (
        text.startswith("**1 of 3 runs are done**")
        and "about 0.8 CPU hours are left on the machine the campaign was sized on" in text
    )
    done = plan.assign(state="done")
    assert fashion.progress_text(done, 3.0).endswith(
        "add up to 3.0 hours of one-thread runs: 1.5 hours of the 2-core CPU at two runs at a time."
    )  # as planned (1.75 hours)
    slowed = fashion.progress_text(done, 5.0)
    assert "2.5 hours of the 2-core CPU at two runs at a time, against the plan's 1.8 — many runs shared" in slowed
    two = fashion.progress_text(done, 5.0, machines=2)  # a slower machine's share is not blamed on shared CPUs
    assert "on 2 machines of different speed" in two and "shared" not in two and "plan's 1.8 hours" in two
    assert fashion.progress_text(done) == "**All 3 runs of the campaign are done** and their records committed."


def test_the_plan_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("ATTNLIB_DATA", str(tmp_path / "data"))  # neither committed records nor local checkpoints
    assert main(["reproduce", "fashion", "--plan", "--runs", str(tmp_path), "--only", "deeper"]) == 0
    out = capsys.readouterr().out
    assert "deeper/cifar_resnet14-basic/baseline/seed0" in out and "4 missing" in out


def test_committed_records_count_as_done_on_a_clean_clone(
    scratch_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    only = ["--only", "compare/cifar_resnet8-basic/se"]
    command = ["reproduce", "fashion", "--profile", "smoke", "--commit", *only]
    assert main([*command, "--runs", str(tmp_path / "machine1")]) == 0
    assert len(list((scratch_data / "results" / "fashion").glob("converged-smoke-compare*.json"))) == 2
    trained: list[str] = []
    monkeypatch.setattr(fashion_train_module(), "train", lambda *a, **k: trained.append("x"))
    assert main([*command, "--runs", str(tmp_path / "machine2")]) == 0  # another machine: no run folders
    assert trained == [] and "2 done" in capsys.readouterr().out
    record = next((scratch_data / "results" / "fashion").glob("converged-smoke-compare*seed1*.json"))
    changed = json.loads(record.read_text())
    changed["config"]["lr"] = 0.5  # a record of other settings is not this run
    record.write_text(json.dumps(changed))
    runs = campaign.campaign_runs("fashion", "smoke", tmp_path / "machine2", only=only[1:])
    assert [campaign.run_state(run) for run in runs] == ["done", "missing"]


def fashion_train_module():
    import attnlib.train as train_package

    return train_package


def test_retrofits_wait_for_the_pretraining_then_start_from_its_committed_weights(
    scratch_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    base = ["reproduce", "fashion", "--profile", "smoke", "--commit"]
    assert main([*base, "--runs", str(tmp_path / "a"), "--only", "retrofit/ab/*"]) == 0
    assert "passed over retrofit/ab/2ep_lr0.001/seed0: the retrofit runs start from" in capsys.readouterr().out
    pretrained = fashion.pretrained_key("smoke")
    assert main([*base, "--runs", str(tmp_path / "a"), "--only", pretrained]) == 0
    weights = fashion.weights_path("smoke", pretrained)
    assert weights.is_file() and weights.is_relative_to(scratch_data)
    assert main([*base, "--runs", str(tmp_path / "b"), "--only", "retrofit/ab/*"]) == 0  # a clean clone
    finals = fashion.committed_finals("smoke", scratch_data / "results")
    ab = finals[finals.key == "retrofit/ab/2ep_lr0.001/seed0"].iloc[0]
    baseline = finals[finals.key == pretrained].iloc[0]
    assert ab.initialized_top1 == pytest.approx(baseline.top1)  # AB starts as an identity: nothing changed
    # each record keeps which test images its final network gets right, as many as its top-1 says
    for row in (ab, baseline):
        mask = unpack_mask(row.test_correct)
        assert mask.size == row.test_images and 100 * mask.mean() == pytest.approx(row.top1)
    network = fashion.load_trained("smoke", pretrained)
    assert network.fc.out_features == 10


def test_a_run_another_launcher_holds_is_passed_over(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from attnlib.train.loop import run_folder_lock

    key = "compare/cifar_resnet8-basic/baseline/seed0"
    with run_folder_lock(fashion.run_folder("smoke", key, tmp_path), name=".campaign.lock"):
        campaign.launch_local("fashion", "smoke", [key], tmp_path)
    assert f"passed over {key}: another launcher is training it" in capsys.readouterr().out


def test_a_launcher_with_hours_starts_only_runs_that_fit_and_fills_the_rest_with_shorter_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import dataclasses
    import json

    from attnlib.reproduce.campaign import launch

    runs = campaign.campaign_runs("fashion", "smoke", tmp_path)[:3]
    long, half_done, short = (
        dataclasses.replace(run, cpu_hours=hours / fashion.CPU_PROCESSES)
        for run, hours in zip(runs, (2.0, 3.0, 0.5), strict=True)
    )
    assert (long.run_hours, short.run_hours) == pytest.approx((2.0, 0.5))  # the CPU hours, times the runs at a time
    half_done.run_dir.mkdir(parents=True)
    epochs = half_done.config.epochs
    (half_done.run_dir / "record.json").write_text(json.dumps({"history": [{}] * (epochs - epochs // 2)}))
    now = [0.0]
    budget = campaign.TimeBudget.of([long, half_done, short], hours=1.6, clock=lambda: now[0])
    started: list[str] = []
    monkeypatch.setattr(launch, "execute_run", lambda table, profile, key, *rest: started.append(key))
    campaign.launch_local("fashion", "smoke", [long.key, half_done.key, short.key], tmp_path, within=budget)
    # the 3-hour run whose folder holds at least half its epochs fits in 1.6 h; the 2-hour one does not
    assert started == [half_done.key, short.key]
    out = capsys.readouterr().out
    assert f"passed over {long.key}: would not finish in the time left (estimated 120 min, 96 min left)" in out
    now[0] = 1.6 * 3600 - 120  # two minutes left: nothing starts, each run says why
    started.clear()
    campaign.launch_local("fashion", "smoke", [short.key], tmp_path, within=budget)
    assert not started and "(estimated 30 min, 2 min left)" in capsys.readouterr().out
    now[0] = 1.6 * 3600 - 30  # time is up: one line, not one per run
    campaign.launch_local("fashion", "smoke", [long.key, short.key], tmp_path, within=budget)
    out = capsys.readouterr().out
    assert not started and "passed over" not in out and "--hours are up; 2 run(s) left" in out
    slower = campaign.TimeBudget.of([short], hours=1.6, clock=lambda: 0.0, slowdowns={short.key: (4.0, "it is slow")})
    assert slower.refusal(short.key) == (
        "would not finish in the time left (estimated 120 min on this machine, it is slow, 96 min left)"
    )
    unknown = campaign.TimeBudget.of([dataclasses.replace(short, cpu_hours=None)], hours=5)
    assert "no time estimate" in unknown.refusal(short.key)
    # what a sitting would do, read before it starts: runs in order, each taking its estimate
    planned = campaign.sitting_plan([long, short, dataclasses.replace(long, key="third")],
                                    [long.key, short.key, "third"], hours=2.6)  # fmt: skip
    assert [(key, refusal) for key, _, refusal in planned][:2] == [(long.key, ""), (short.key, "")]
    assert planned[2] == ("third", 120.0, "would not finish in the time left (estimated 120 min, 6 min left)")


def test_the_hours_option_reaches_the_launcher(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """``--hours`` too short for any run: the launcher says the time is up, and none trains."""
    assert main(["reproduce", "fashion", "--profile", "smoke", "--runs", str(tmp_path), "--hours", "0.0001"]) == 0
    out = capsys.readouterr().out
    assert "--hours are up" in out
    assert not list(tmp_path.rglob("checkpoint.pt"))
    with pytest.raises(SystemExit) as refused:
        main(["reproduce", "fashion", "--launcher", "slurm", "--hours", "2"])
    assert refused.value.code == 2 and "--hours is for the local launcher" in capsys.readouterr().err


def test_a_dry_run_with_hours_shows_the_sitting_it_would_make(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    command = ["reproduce", "fashion", "--profile", "smoke", "--runs", str(tmp_path), "--dry-run"]
    assert main([*command, "--hours", "0.0001"]) == 0
    out = capsys.readouterr().out
    assert "would pass over compare/" in out and "this launcher would start 0 of" in out
    assert main(command) == 0 and "would run fashion compare/" in capsys.readouterr().out
    assert not list(tmp_path.rglob("checkpoint.pt"))


def test_make_fashion_campaign_passes_hours_to_both_launchers() -> None:
    """The README's ``make fashion-campaign HOURS=2.5``: two one-thread launchers, each with ``--hours``."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    shown = subprocess.run(
        ["make", "-n", "-o", ".venv/.attnlib-installed", "fashion-campaign", "HOURS=2.5"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown.count("OMP_NUM_THREADS=1") == 2 and shown.count("reproduce fashion --commit --hours 2.5") == 2
    assert (
        "--hours"
        not in subprocess.run(
            ["make", "-n", "-o", ".venv/.attnlib-installed", "fashion-campaign"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout
    )
    assert "make fashion-campaign HOURS=2.5" in (root / "README.md").read_text().replace("\n", " ")


def test_paired_gains_and_their_t_interval_by_hand() -> None:
    finals = pd.DataFrame(
        {
            "network": ["n"] * 6,
            "attention": ["baseline"] * 3 + ["se"] * 3,
            "seed": [0, 1, 2] * 2,
            "top1": [90.0, 91.0, 92.0, 90.5, 91.7, 92.3],
        }
    )
    gain = fashion.paired_gains(finals).iloc[0]
    differences = pd.Series([0.5, 0.7, 0.3])
    half = 4.303 * differences.std(ddof=1) / math.sqrt(3)
    assert gain.gain == pytest.approx(0.5) and gain.seeds == 3
    assert (gain.low, gain.high) == pytest.approx((0.5 - half, 0.5 + half))
    assert fashion.t_quantile(1) == 12.706 and fashion.t_quantile(100) == 1.96
    assert "one seed" in fashion.interval_text(0.2, math.nan, math.nan)


def test_the_cost_record_joins_the_campaigns_accuracy_into_fig4_and_its_verdicts(
    scratch_data: Path, one_thread: None
) -> None:
    from attnlib.bench.engines import EngineOptions
    from attnlib.bench.experiment import run_experiment
    from attnlib.bench.training import record_train_steps

    experiment = fashion.latency_experiment("smoke", ("eager",), trials=3)
    experiment = replace_groups(experiment)
    run_experiment(experiment, "smoke", committed=True, session="test")
    options = EngineOptions(threads=1)
    training = fashion.measure_training_costs("smoke", options, trials=2, warmup=1)
    record_train_steps(training, "smoke", options, 2, 1, committed=True, session="test",
                       experiment=fashion.TRAIN_STEP_EXPERIMENT)  # fmt: skip
    latency, training = fashion.cost_records(profile="smoke")
    assert set(latency.variant) == {*campaign_modules(), fashion.DEEPER_LABEL}
    assert latency.resolution.unique().tolist() == [32] and set(training.images_per_s > 0) == {True}
    # each record names the block it timed, so a campaign's networks are matched by model and block
    smoke_networks = set(fashion.SETTINGS.smoke.compared)
    assert fashion.timed_networks(latency) == smoke_networks and fashion.timed_networks(training) == smoke_networks
    rows = []  # made-up accuracies (a unit test of the join): SE beats the deeper baseline on accuracy only
    for network, model, block in (("ResNet-8 (basic)", "cifar_resnet8", "basic"),):
        for module, top1 in (("baseline", 80.0), ("se", 83.0), ("eca", 81.0)):
            rows += [{"part": "compare", "network": network, "model": model, "block": block, "attention": module,
                      "seed": s, "top1": top1 + s} for s in range(2)]  # fmt: skip
    rows += [{"part": "deeper", "network": "ResNet-14 (basic)", "model": "cifar_resnet14", "block": "basic",
              "attention": "baseline", "seed": s, "top1": 82.0 + s} for s in range(2)]  # fmt: skip
    points = fashion.tradeoff_points(pd.DataFrame(rows), latency, "eager", 1, "smoke")
    assert list(points.variant) == ["Baseline", "ECA", "SE", "deeper ResNet-14"]
    assert points.set_index("variant").loc["SE", "top1"] == pytest.approx(83.5)
    statement = fashion.deeper_tradeoff_statements(points, "eager", 1)[0]
    se_time = points.set_index("variant").loc["SE", "overhead_pct"]
    deep_time = points.set_index("variant").loc["deeper ResNet-14", "overhead_pct"]
    assert statement.verdict == (fashion.HOLDS if se_time < deep_time else fashion.DOES_NOT_HOLD)
    behind = points.assign(top1=points.top1.where(~points.variant.str.startswith("deeper"), 79.0), overhead_pct=5.0)
    behind.loc[behind.variant.str.startswith("deeper"), "overhead_pct"] = 50.0  # slower and less accurate
    trivial = fashion.deeper_tradeoff_statements(behind, "eager", 1)[0]
    assert trivial.verdict.startswith(f"{fashion.HOLDS} (trivially") and fashion.DEPTH_DOES_NOT_PAY in trivial.evidence
    table = fashion.cost_table(latency, training, "smoke")
    assert ("ResNet-8 (basic)", "deeper baseline") in table.index and "training step (%)" in table.columns


def replace_groups(experiment):
    """Batch 1 only, every compared network's group (a campaign's record covers them all): the shape of
    the record, in seconds."""
    from dataclasses import replace

    return replace(experiment, groups=[group for group in experiment.groups if group[2] == 1])


def campaign_modules() -> set[str]:
    from attnlib.attention import compared

    return set(compared())


def test_make_data_copies_and_checks_a_local_folder(tmp_path: Path) -> None:
    """The documented `make data`, from a local folder (the real files where this machine has them)."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    candidates = [fashion_data.DEBIAN_FOLDER, root / "data" / "datasets" / "fashion-mnist"]
    real = next((f for f in candidates if all((f / name).is_file() for name in fashion_data.FILES)), None)
    if real is None:
        pytest.skip("the real Fashion-MNIST files are not on this machine (`make data` or apt-get install them)")
    environment = {**__import__("os").environ, "ATTNLIB_DATA": str(tmp_path)}
    completed = subprocess.run(
        # -o: the venv is taken as set up (the suite runs in it); make would otherwise reinstall it when
        # pyproject.toml is newer than its stamp
        ["make", "-C", str(root), "-o", ".venv/.attnlib-installed", "data", f"FASHION_MNIST_FROM={real}"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    fashion_data.check_folder(tmp_path / "datasets" / "fashion-mnist")


def _finals(gains_by_network: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    """Made-up campaign finals: per network (name → block) each module's top-1 per seed."""
    rows = []
    for network, modules in gains_by_network.items():
        model, block = network.split(" (")[0], network.split(" (")[1].rstrip(")")
        for module, values in modules.items():
            rows += [
                {"part": "compare", "network": network, "model": model, "block": block, "attention": module,
                 "seed": seed, "top1": value, "identity_init": False}
                for seed, value in enumerate(values)
            ]  # fmt: skip
    return pd.DataFrame(rows)


def test_the_best_module_and_block_type_statements_follow_the_numbers() -> None:
    basic, bottleneck = "ResNet-14 (basic)", "ResNet-20 (bottleneck)"
    clear_winner = {
        "baseline": [90.0, 90.1, 89.9], "se": [92.0, 92.1, 91.9], "eca": [90.2, 90.3, 90.1],
    }  # fmt: skip
    finals = _finals({basic: clear_winner, bottleneck: clear_winner})
    table = fashion.gains(finals)
    assert fashion.best_module_statement(table).verdict == fashion.DOES_NOT_HOLD  # SE clearly best on both
    finals = _finals({basic: clear_winner, bottleneck: {**clear_winner, "eca": [93.0, 93.1, 92.9]}})
    assert fashion.best_module_statement(fashion.gains(finals)).verdict == fashion.HOLDS
    bigger = {"baseline": [90.0, 90.1, 89.9], "se": [93.0, 93.2, 92.9], "eca": [92.0, 92.2, 91.8]}
    finals = _finals({basic: clear_winner, bottleneck: bigger})
    statement = fashion.bottleneck_statement(fashion.gains(finals), finals)
    assert statement.verdict == fashion.HOLDS and "over 3 seeds" in statement.evidence
    # the seeds are the replicates: a baseline that moves every gain of its seed together widens the interval
    lucky = {**bigger, "baseline": [90.0, 92.5, 89.9]}  # seed 1's bottleneck baseline is lucky: its gains shrink
    finals = _finals({basic: clear_winner, bottleneck: lucky})
    assert fashion.bottleneck_statement(fashion.gains(finals), finals).verdict.startswith(fashion.CANNOT_TELL)
    one_seed = _finals({basic: clear_winner, bottleneck: bigger})
    one_seed = one_seed[one_seed.seed == 0]
    verdict = fashion.bottleneck_statement(fashion.gains(one_seed), one_seed).verdict
    assert verdict == f"{fashion.CANNOT_TELL} yet (one seed, no interval; it leans towards the claim)"
    finals = _finals({basic: bigger, bottleneck: clear_winner})
    verdict = fashion.bottleneck_statement(fashion.gains(finals), finals).verdict
    assert verdict == f"{fashion.DOES_NOT_HOLD} (basic blocks gain more)"
    empty = fashion.chapter_statements(pd.DataFrame(), "default")
    assert {s.verdict.split(" (")[0] for s in empty} == {fashion.NOT_TESTABLE}


def test_the_deeper_baseline_statement_pairs_the_best_module_with_it_by_seed() -> None:
    def runs(part: str, model: str, module: str, values: list[float]) -> list[dict]:
        return [{"part": part, "network": fashion.network_name(model, "basic"), "model": model, "block": "basic",
                 "attention": module, "seed": seed, "top1": value} for seed, value in enumerate(values)]  # fmt: skip

    shallow = runs("compare", "cifar_resnet14", "baseline", [86.0, 86.5, 87.0])
    shallow += runs("compare", "cifar_resnet14", "eca", [87.0, 87.4, 88.1])  # +0.2 over the deeper one on average
    deeper = runs("deeper", "cifar_resnet20", "baseline", [86.9, 87.3, 87.7])
    short = fashion.SHORT
    basic = fashion.deeper_statements(pd.DataFrame(shallow + deeper), "default", campaign=short)[0]
    # ECA minus the deeper baseline, paired by seed: +0.1, +0.1, +0.4 — an interval across zero
    assert basic.verdict.startswith(fashion.CANNOT_TELL) and "ResNet-14 (basic)" in basic.claim
    assert "the best module, ECA, against the deeper baseline: +0.20 points (95 % interval -0.23 to +0.63)" in (
        basic.evidence
    )
    assert "paired over 3 seeds" in basic.evidence and "(3 seeds)" in basic.evidence
    assert "a gain above +0.63 points and a loss beyond -0.23 points are ruled out" in basic.evidence
    one_seed = fashion.deeper_statements(pd.DataFrame(shallow + deeper[:1]), "default", campaign=short)[0]
    assert "+0.10 points (one seed: no interval)" in one_seed.evidence and "(1 seed)" in one_seed.evidence
    assert one_seed.verdict == f"{fashion.CANNOT_TELL} yet (one seed, no interval; it leans towards the claim)"
    assert "no more accurate than the shallower" not in basic.evidence  # the deeper baseline is ahead: 87.3 > 86.5
    weak = runs("deeper", "cifar_resnet20", "baseline", [85.0, 85.5, 86.0])  # behind the shallower baseline
    trivial = fashion.deeper_statements(pd.DataFrame(shallow + weak), "default", campaign=short)[0]
    assert trivial.verdict.startswith(f"{fashion.HOLDS} (trivially") and fashion.DEPTH_DOES_NOT_PAY in trivial.evidence
    slower = runs("compare", "cifar_resnet14", "eca", [86.0, 86.0, 86.0])  # -0.9, -1.3, -1.7 against the deeper one
    missed = fashion.deeper_statements(pd.DataFrame(shallow[:3] + slower + deeper), "default", campaign=short)[0]
    assert missed.verdict == fashion.DOES_NOT_HOLD and "every module is clearly less accurate" in missed.evidence


def test_the_plateau_and_retrofit_statements_follow_the_numbers() -> None:
    base = {"part": "compare", "network": "ResNet-14 (basic)", "model": "cifar_resnet14", "block": "basic",
            "attention": "baseline", "seed": 0, "identity_init": False}  # fmt: skip
    finals = pd.DataFrame([{**base, "top1": 90.0}, {**base, "part": "schedule", "top1": 90.3}])
    short = fashion.SHORT
    assert fashion.plateau_statement(finals, "default", campaign=short).verdict.startswith(fashion.HOLDS)
    finals = pd.DataFrame([{**base, "top1": 90.0}, {**base, "part": "schedule", "top1": 91.0}])
    assert fashion.plateau_statement(finals, "default", campaign=short).verdict.startswith(fashion.DOES_NOT_HOLD)
    longest = fashion.SETTINGS.get("default").finetune[-1].name
    rows = []
    for seed in range(3):
        retro = {**base, "part": "retrofit", "schedule": longest, "seed": seed}
        rows.append({**retro, "top1": 90.0 + seed * 0.1, "initialized_top1": 90.0})
        for module in ("ab", "eca", "se", "srm", "multise"):
            rows.append({**retro, "attention": module, "top1": 90.5 + seed * 0.1, "initialized_top1": 40.0})
            if module != "ab":
                rows.append(
                    {**retro, "attention": module, "identity_init": True, "top1": 90.6, "initialized_top1": 90.0}
                )
    retrofit, identity, tuned = fashion.retrofit_statements(pd.DataFrame(rows), "default")
    assert retrofit.verdict == fashion.HOLDS and identity.verdict == fashion.HOLDS
    assert "SE 40.0 → 90.0 %" in identity.evidence
    # after fine-tuning, identity-init is +0.1, 0.0, -0.1 over the plain module: no difference shown
    assert tuned.verdict.startswith(fashion.CANNOT_TELL) and "within the noise" in tuned.verdict
    assert "ECA +0.00 (95 % interval" in tuned.evidence
    assert "Against the baseline fine-tuned alone, the modules with identity-init: ECA +0.50 (95 %" in tuned.evidence
    partial = [row for row in rows if not (row["attention"] == "srm" and row["identity_init"])]
    partial = [row for row in partial if row["attention"] != "ab" or row["seed"] == 0]
    retrofit, _, tuned = fashion.retrofit_statements(pd.DataFrame(partial), "default")
    assert "AB +0.50 (one seed: no interval)" in retrofit.evidence
    assert retrofit.verdict == (
        f"{fashion.HOLDS} for some modules (4 of 5); 1 module with one seed and no interval, which decides nothing"
    )
    assert "SRM not run yet" in tuned.evidence and tuned.verdict.endswith("; so far 3 of 4 modules run")
    assert "nan" not in retrofit.evidence + tuned.evidence
    table = fashion.retrofit_table(pd.DataFrame(rows), "default")
    assert table.loc["SE + identity-init", "inserted, not trained"] == "90.00"
    assert list(table.index[:3]) == ["Baseline (fine-tuned alone)", "AB", "ECA"] and len(table) == 10
    assert table.loc["ECA"].iloc[-1] == "90.60 ± 0.10 (3 seeds)"
    partial = fashion.retrofit_table(pd.DataFrame(partial), "default")  # only the longest schedule ran here
    assert partial.loc["SRM + identity-init"].tolist() == ["not run yet"] * 4
    assert partial.loc["AB"].iloc[-1] == "90.50 (1 seed)" and partial.loc["AB"].iloc[1] == "not run yet"
    assert "nan" not in partial.to_string()
    gains = fashion.retrofit_gains(pd.DataFrame(rows), "default").set_index(["attention", "identity_init"])
    assert len(gains) == 9 and set(gains.seeds) == {3}  # five modules plainly, four with identity-init
    assert gains.loc[("se", False), "gain"] == pytest.approx(0.5)  # 90.5 + 0.1·seed over 90.0 + 0.1·seed
    assert gains.loc[("se", True), "gain"] == pytest.approx(0.5)
    plot_retrofit_gains(fashion.retrofit_gains(pd.DataFrame(rows), "default"))  # one panel per schedule that ran


def _one_seed_retrofits(won: int, lost: int) -> pd.DataFrame:
    """One seed of the longest fine-tuning: the baseline right on the first 9 000 of 10 000 test images,
    every module right on ``won`` more of the rest and wrong on ``lost`` of those 9 000; each record
    keeps its mask."""
    longest = fashion.SETTINGS.get("default").finetune[-1].name
    rows = []
    for module, identity_init in fashion.retrofit_rows():
        right = np.zeros(10_000, dtype=bool)
        right[:9_000] = True
        if module != "baseline":
            right[9_000 : 9_000 + won] = True
            right[:lost] = False
        rows.append(
            {"part": "retrofit", "schedule": longest, "seed": 0, "attention": module, "identity_init": identity_init,
             "top1": 100 * right.mean(), "initialized_top1": 90.0, "test_correct": pack_mask(right)}
        )  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("won", "lost", "expected"),
    [
        (200, 0, "holds"),  # +2.00 points, 95 % interval over the 10 000 test images ±0.27
        (30, 25, "cannot tell"),  # +0.05 points ±0.15: 55 images changed, in both directions
        (0, 300, "does not hold"),  # −3.00 points ±0.33
    ],
)
def test_one_seed_retrofits_are_decided_by_the_test_images_they_got_right(won, lost, expected) -> None:
    retrofit, _, _ = fashion.retrofit_statements(_one_seed_retrofits(won, lost), "default")
    assert retrofit.verdict.startswith(expected) and "one seed and no interval" not in retrofit.verdict
    assert "interval" in retrofit.evidence and "over the test images, one seed)" in retrofit.evidence
    gains = fashion.retrofit_gains(_one_seed_retrofits(won, lost), "default")
    assert set(gains.interval) == {"test images"} and gains.low.notna().all() and (gains.seeds == 1).all()


@pytest.mark.parametrize("panels", [1, 2, 3])
def test_gain_figures_list_modules_in_the_books_order_from_the_top(panels: int) -> None:
    """Panels share their y axis: inverting each one toggled the shared axis back (AB ended at the bottom)."""
    table = pd.DataFrame(
        [{"network": f"net {n}", "schedule": f"schedule {n}", "attention": m, "identity_init": False, "gain": 0.5,
          "low": 0.0, "high": 1.0, "seeds": 3} for n in range(panels) for m in ("ab", "eca", "se")]
    )  # fmt: skip
    for figure in (plot_gains(table), plot_retrofit_gains(table)):
        assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == ["AB", "ECA", "SE"]
        for axis in figure.axes:
            bottom, top = axis.get_ylim()
            assert bottom > top  # position 0 (AB) at the top


def test_a_failed_plateau_check_explains_the_kept_schedule() -> None:
    """When twice the schedule adds more than half a point, the chapter says what the gains still mean."""
    from attnlib.reproduce import fashion

    def finals(long_top1: float) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {"part": "compare", "network": "ResNet-14 (basic)", "attention": "baseline", "seed": 0,
                 "top1": 86.0},
                {"part": "schedule", "network": "ResNet-14 (basic)", "attention": "baseline", "seed": 0,
                 "top1": long_top1},
            ]
        )  # fmt: skip

    def decision(frame: pd.DataFrame) -> str:
        short = fashion.SHORT
        return fashion.plateau_decision(fashion.plateau_statement(frame, "default", campaign=short), "default", short)

    text = decision(finals(89.0))
    assert "equal training budget" in text and "hours of the 2-core CPU" in text and "past the 6 hours" in text
    assert text.startswith("**The schedule stops short")  # one schedule for the whole short campaign
    assert fashion.campaign_hours("default", 2) > 1.9 * fashion.campaign_hours("default")
    assert decision(finals(86.2)) == ""  # the check holds: nothing to explain
    assert decision(finals(86.2).iloc[:1]) == ""  # not run yet


def test_the_top1_table_tells_cells_outside_the_study_from_runs_still_missing():
    """Modules are never trained on a deeper baseline's network, nor the deeper row on a compared one:
    those cells read "—"; a planned cell whose runs are missing reads "not run yet"."""
    from attnlib.reproduce.fashion import DEEPER_ROW, comparison_table

    rows = [
        ("ResNet-14 (basic)", "baseline", "compare", 86.0),
        ("ResNet-14 (basic)", "baseline", "compare", 87.0),
        ("ResNet-14 (basic)", "se", "compare", 87.5),
        ("ResNet-20 (bottleneck)", "baseline", "compare", 84.0),  # its SE runs are still missing
        ("ResNet-20 (basic)", "baseline", "deeper", 86.5),
    ]
    finals = pd.DataFrame(rows, columns=["network", "attention", "part", "top1"])
    table = comparison_table(finals)
    assert table.loc["Baseline", "ResNet-14 (basic)"] == "86.50 ± 0.71 (2 seeds)"
    assert table.loc["SE", "ResNet-20 (basic)"] == "—" and table.loc["Baseline", "ResNet-20 (basic)"] == "—"
    assert table.loc[DEEPER_ROW, "ResNet-20 (basic)"] == "86.50 (1 seed)"
    assert table.loc[DEEPER_ROW, "ResNet-14 (basic)"] == "—"
    assert table.loc["SE", "ResNet-20 (bottleneck)"] == "not run yet"


def test_regime_changes_pairs_the_campaigns_questions_and_says_what_changed() -> None:
    from attnlib.reproduce.fashion import Statement, regime_changes, verdict_word

    short = [
        Statement("bottleneck gains more", "+1.6", "holds (by 1.6 points)", key="bottleneck-gain"),
        Statement("best module on ResNet-14", "ECA +0.6", "holds", key="best-module"),
    ]
    converged = [
        Statement("best module on ResNet-8", "ECA +0.1", "holds", key="best-module"),
        Statement("bottleneck gains more", "+0.2 (-0.3 to 0.7)", "cannot tell (the interval crosses zero)",
                  key="bottleneck-gain"),
        Statement("a new question", "", "holds", key="new"),
    ]  # fmt: skip
    table = regime_changes(short, converged)  # paired by key, not by position
    assert list(table.Changed) == ["no", "yes: holds → cannot tell", "cannot compare"]
    assert table.iloc[0, 0] == "best module on ResNet-8"  # the converged campaign's networks name the question
    assert table.iloc[2, 1] == "not asked of this campaign"
    assert verdict_word("does not hold (worse for 4 of 5)") == "does not hold"
    with pytest.raises(ValueError, match="one distinct key each"):
        regime_changes(short, [*converged, converged[0]])
    with pytest.raises(ValueError, match="one distinct key each"):
        regime_changes([Statement("unkeyed", "", "holds")], converged)


@pytest.mark.parametrize("profile", ["smoke", "default"])
def test_both_campaigns_ask_the_same_keyed_questions(profile: str) -> None:
    """The chapter pairs the two campaigns' verdicts by key: each campaign keys every question once,
    and both ask the same ones (even before any run is done)."""
    empty = pd.DataFrame()
    keys = {
        campaign: [s.key for s in fashion.chapter_statements(empty, profile, campaign)]
        for campaign in fashion.CAMPAIGNS
    }
    assert keys[fashion.SHORT] == keys[fashion.CONVERGED] and len(set(keys[fashion.SHORT])) == len(keys[fashion.SHORT])
    assert all(keys[fashion.SHORT])


@pytest.mark.parametrize(
    ("fp32", "expected"),
    [([93.1, 92.9], fashion.HOLDS), ([93.9, 92.0], fashion.DOES_NOT_HOLD)],
)
def test_the_precision_check_compares_paired_differences_with_the_seed_spread(fp32, expected) -> None:
    """bf16 baseline 93.0 / 92.8 / 93.2 (spread 0.4 points): fp32 within 0.4 of each paired seed holds,
    0.9 away does not."""
    basic = "ResNet-8 (basic)"
    finals = _finals({basic: {"baseline": [93.0, 92.8, 93.2]}})
    checks = pd.DataFrame(
        [{"part": "precision", "network": basic, "model": "ResNet-8", "block": "basic", "attention": "baseline",
          "seed": seed, "top1": value, "identity_init": False} for seed, value in enumerate(fp32)]
    )  # fmt: skip
    statement = fashion.precision_statement(pd.concat([finals, checks]), "default")
    assert statement.verdict.startswith(expected), statement
    assert "spans 0.40 points over its 3 seeds" in statement.evidence and "trained on" not in statement.evidence
    machines = pd.concat([finals.assign(hardware="Intel Xeon"), checks.assign(hardware="AMD EPYC")])
    paired = fashion.precision_statement(machines, "default")  # two machines: the evidence names both
    assert paired.evidence.endswith("(the fp32 runs trained on AMD EPYC, the bf16 ones on Intel Xeon)")
    missing = fashion.precision_statement(finals, "default")
    assert missing.verdict.startswith(fashion.NOT_TESTABLE) and "0 of 2 paired seeds" in missing.evidence
    assert fashion.precision_statement(finals, "default", campaign=fashion.SHORT) is None  # it has no check


@pytest.mark.parametrize(("top1", "expected"), [([92.5, 92.1, 92.3], "holds"), ([91.5, 92.1, 91.9], "does not hold")])
def test_the_basic_baseline_level_follows_the_mean_of_its_seeds(top1, expected) -> None:
    finals = _finals({"ResNet-8 (basic)": {"baseline": top1}})
    statement = fashion.basic_level_statement(finals, "default")
    assert fashion.verdict_word(statement.verdict) == expected
    assert "provisional" in fashion.basic_level_statement(finals[finals.seed == 0], "default").verdict


def test_a_record_of_the_other_campaigns_networks_never_replaces_a_campaigns_costs() -> None:
    """The newest session that timed every compared network of the campaign is its cost record: a newer
    record of the converged campaign's networks leaves the short campaign's older one in place."""
    from attnlib.reproduce.fashion.costs import newest_covering

    def timed(session: str, groups: list[str], blocks: list[str] | None = None) -> pd.DataFrame:
        frame = pd.DataFrame({"session": session, "group": groups, "variant": "baseline", "baseline": "baseline"})
        return frame if blocks is None else frame.assign(block=blocks)

    old = timed("a", ["cifar_resnet14", "cifar_resnet20"])  # made before bench wrote blocks: matched by model
    new = timed("b", ["cifar_resnet8", "cifar_resnet11"], ["basic", "bottleneck"])
    both = pd.concat([old, new], ignore_index=True)
    short, converged = (
        {("cifar_resnet14", "basic"), ("cifar_resnet20", "bottleneck")},
        set(fashion.SETTINGS.default.compared),
    )
    assert list(newest_covering(both, short).session.unique()) == ["a"]
    assert list(newest_covering(both, converged).session.unique()) == ["b"]
    assert newest_covering(both, {("cifar_resnet56", "basic")}).empty
    # a record of the same depths with the other block type does not cover the campaign's networks
    other = timed("c", ["cifar_resnet8", "cifar_resnet11"], ["bottleneck", "basic"])
    assert list(newest_covering(pd.concat([both, other], ignore_index=True), converged).session.unique()) == ["b"]


@pytest.mark.book
def test_the_chapter_reads_the_converged_campaign_when_asked_and_says_so(tmp_path: Path) -> None:
    """``-p campaign_shown converged`` (the path the page takes by itself once the converged comparison is
    complete): the main sections read the converged campaign's committed records and say so; an unknown
    campaign is refused by name."""
    import nbformat

    from attnlib.notebooks import NotebookFailed, execute

    path = execute("beyond_fashion_mnist", "smoke", tmp_path, {"campaign_shown": fashion.CONVERGED})
    notebook = nbformat.read(path, as_version=4)
    shown = " ".join(
        "".join(output.get("data", {}).get("text/markdown", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "read the converged campaign**, as this page was asked" in shown
    assert f"*Read from the converged campaign: {fashion.checked_on_text(fashion.CONVERGED)}.*" in shown
    with pytest.raises(NotebookFailed, match="unknown campaign 'longest'"):
        execute("beyond_fashion_mnist", "smoke", tmp_path / "bad", {"campaign_shown": "longest"})


def test_a_run_the_campaign_has_done_is_estimated_from_its_own_epoch_times() -> None:
    """The plan estimates a run from the campaign's committed runs of the same network, module and
    precision (the modules differ in cost), and falls back to the measured rate for the others."""
    observed = fashion.observed_epoch_seconds()
    key = ("cifar_resnet8", "basic", "baseline", "bf16")
    assert key in observed and observed[key] > 0
    run = fashion.find_run("default", "compare/cifar_resnet8-basic/baseline/seed1")
    assert fashion.cpu_hours(run, 60_000) == pytest.approx(run.config.epochs * observed[key] / 3600 / 2)
    assert "that run's own epoch times" in fashion.estimate_source()


def test_the_progress_table_adds_up_the_committed_runs_hours_per_part() -> None:
    plan = campaign.plan(campaign.campaign_runs("fashion", "default"))
    table = fashion.progress_table(plan).set_index("part")
    total = table.loc["all"]
    assert total.runs == len(plan) == table.drop(index="all").runs.sum()
    assert total.done == table.drop(index="all").done.sum() == int((plan.state == "done").sum())
    taken = "hours of the committed runs (one thread each)"
    assert total[taken] == pytest.approx(round(fashion.run_hours("default"), 1), abs=0.05 * len(table))
    assert list(table.index[:-1]) == [fashion.PART_WORDS[part] for part in fashion.PARTS]
    # the machines that trained the done runs account for every one of them and their hours
    machines = fashion.machines_table(plan)
    assert machines.runs.sum() == total.done
    assert machines["hours (one thread each)"].sum() == pytest.approx(total[taken], abs=0.05 * len(machines) + 0.05)
    assert machines.machine.str.contains(r"^2-core .+ (?:with AMX|with AVX-512 BF16|without native bf16)$").all()
    settings = {"fp32 + channels_last + compile", "bf16 + channels_last + compile", "bf16 + fp32_conv + channels_last"}
    assert set(machines["training setting"]) <= settings, "each machine's runs say how their steps ran"


def _runs_of_one_network(top1: list[float], losses: list[float] | None = None) -> pd.DataFrame:
    losses = losses or [0.2] * len(top1)
    return pd.DataFrame(
        {
            "part": "compare",
            "key": [f"compare/cifar_resnet8-basic/m{i}/seed0" for i in range(len(top1))],
            "network": "ResNet-8 (basic)",
            "schedule": "",
            "attention": ["baseline", "ab", "eca", "se", "srm", "multise"][: len(top1)],
            "identity_init": False,
            "seed": 0,
            "top1": top1,
            "train_loss": losses,
            "first_train_loss": 2.3,
        }
    )


@pytest.mark.parametrize(
    ("top1", "losses", "flagged"),
    [
        # siblings that agree to 0.03 points and a module half a point better: within the test set's noise
        ([93.05, 93.09, 93.10, 93.47], None, []),
        ([93.05, 93.09, 93.10, 93.2, 88.0], None, ["srm"]),  # far below its siblings
        ([93.05, 93.09, 93.10, 93.2], [0.2, 0.2, float("nan"), 0.2], ["eca"]),  # a diverged loss
        ([93.05, 93.09, 93.10, 93.2], [0.2, 2.5, 0.2, 0.2], ["ab"]),  # ended above where it began
    ],
)
def test_runs_to_look_at_twice(top1, losses, flagged) -> None:
    finals = _runs_of_one_network(top1, losses)
    found = fashion.flagged_runs(finals)
    assert sorted(found.module.str.lower().str.replace("-", "")) == sorted(flagged)
    assert fashion.test_set_noise(92.0) == pytest.approx(0.271, abs=0.001)


def test_the_test_set_noise_follows_the_number_of_test_images_the_records_name() -> None:
    # half a point above siblings that agree closely: within the noise of 10 000 test images, an
    # outlier when the records say only 1 000 000 images scored them (noise 0.03 points)
    finals = _runs_of_one_network([93.05, 93.09, 93.10, 93.6])
    assert fashion.flagged_runs(finals).empty
    finals["test_images"] = 1_000_000
    assert list(fashion.flagged_runs(finals).module) == ["SE"]
    assert fashion.test_set_noise(92.0, 1_000) == pytest.approx(0.858, abs=0.001)


@pytest.mark.parametrize(("basic", "bottleneck"), [(30, 30), (60, 30), (30, 60)])
def test_each_block_type_trains_the_schedule_its_plateau_check_chose(monkeypatch, basic, bottleneck) -> None:
    from dataclasses import replace

    from attnlib.reproduce.fashion import settings as fashion_settings

    default = fashion.SETTINGS.get("default")
    monkeypatch.setattr(
        fashion_settings, "SETTINGS", replace(fashion_settings.SETTINGS, default=replace(default, block_epochs=()))
    )
    thirty = {run.key: run.config for run in fashion.runs("default")}
    chosen = replace(default, block_epochs=(("basic", basic), ("bottleneck", bottleneck)))
    monkeypatch.setattr(fashion_settings, "SETTINGS", replace(fashion_settings.SETTINGS, default=chosen))
    planned = {run.key: run.config for run in fashion.runs("default")}
    for part, factor in (("compare", 1), ("schedule", 2), ("deeper", 1)):
        for key, config in planned.items():
            if key.startswith(f"{part}/"):
                epochs = (basic if config.block == "basic" else bottleneck) * factor
                assert config.epochs == epochs, key
                # the lr drops at half and three quarters of every schedule (15, 22 of 30)
                assert config.lr_milestones == tuple(m * epochs // 30 for m in (15, 22)), key
    # a schedule twice as long shares its config with the plateau check of the shorter one
    longer = planned["compare/cifar_resnet8-basic/baseline/seed0"]
    assert (longer == thirty["schedule/cifar_resnet8-basic/baseline/seed0"]) == (basic == 60)
    words = fashion_settings.schedule_words(chosen)
    assert (words.count("epochs**") == 1) == (basic == bottleneck)
    assert f"**{basic} epochs**" in words and f"**{bottleneck} epochs**" in words
    base = {"part": "compare", "network": "ResNet-8 (basic)", "attention": "baseline", "seed": 0}
    finals = pd.DataFrame([{**base, "top1": 93.0}, {**base, "part": "schedule", "top1": 93.9}])
    (plateau, _) = fashion.plateau_statements(finals, "default")
    assert f"({basic} epochs)" in plateau.claim and f"after {2 * basic}" in plateau.evidence


def test_the_page_says_why_a_block_type_trains_longer_from_the_runs_at_both_lengths() -> None:
    trials = pd.DataFrame(
        [("ResNet-8 (basic)", "basic", seed, epochs, top1)
         for seed, epochs, top1 in ((0, 30, 93.05), (0, 60, 93.91), (1, 60, 93.67), (1, 30, 93.3))],
        columns=["network", "block", "seed", "epochs", "top1"],
    )  # fmt: skip
    text = fashion.schedule_choice_text(trials, "default")
    assert "basic networks train 60 epochs, not 30" in text and "+0.62 points (2 seeds: 0, 1" in text
    assert "more than the 0.5 points" in text and "provisional" not in text and "60 against 120" in text
    one = fashion.schedule_choice_text(trials[trials.seed == 0], "default")
    assert "+0.86 points (1 seed: 0; 93.05 → 93.91 %)" in one and "provisional" in one
    assert "No committed run compares" in fashion.schedule_choice_text(trials[trials.epochs == 60], "default")
    assert fashion.schedule_choice_text(trials, "default", campaign=fashion.SHORT) == ""  # one schedule
    # the committed evidence: every baseline of the lengthened block type, superseded records included
    committed = fashion.schedule_trials("default")
    assert set(committed.block) <= {"basic"} and {30, 60} <= set(committed.epochs)


def test_a_failed_plateau_check_of_one_block_type_costs_that_type_s_longer_schedule() -> None:
    bottleneck = {"part": "compare", "network": "ResNet-11 (bottleneck)", "attention": "baseline"}
    finals = pd.DataFrame(
        [{**bottleneck, "seed": seed, "top1": 92.0} for seed in (0, 1)]
        + [{**bottleneck, "part": "schedule", "seed": seed, "top1": 92.8} for seed in (0, 1)]
    )
    statement = next(s for s in fashion.plateau_statements(finals, "default") if s.key == "plateau:bottleneck")
    assert statement.verdict.startswith(fashion.DOES_NOT_HOLD)
    text = fashion.plateau_decision(statement, "default")
    assert text.startswith("**The bottleneck networks' schedule stops short")
    whole, longer = fashion.campaign_hours("default"), fashion.campaign_hours("default", 2, block="bottleneck")
    assert whole < longer < fashion.campaign_hours("default", 2) and f"about {longer:.1f} hours" in text


def test_a_machines_own_committed_runs_decide_its_slowdown_once_it_has_some() -> None:
    """The median over the modules run on both machines of the epoch-time ratio, per network and precision."""
    r8, r11 = ("cifar_resnet8", "basic"), ("cifar_resnet11", "bottleneck")
    there = {(*r8, "baseline", "bf16"): 30.0, (*r8, "se", "bf16"): 40.0, (*r11, "se", "bf16"): 50.0}
    here = {(*r8, "baseline", "bf16"): 90.0, (*r8, "se", "bf16"): 100.0, (*r8, "eca", "bf16"): 500.0}
    here[(*r8, "baseline", "fp32")] = 60.0
    assert fashion.observed_ratio(here, there, "cifar_resnet8", "basic", "bf16") == pytest.approx((3.0 + 2.5) / 2)
    assert fashion.observed_ratio(here, there, "cifar_resnet11", "bottleneck", "bf16") is None  # not run here
    assert fashion.observed_ratio(here, there, "cifar_resnet8", "basic", "fp32") is None  # nor there in fp32


def test_a_network_not_yet_run_on_this_machine_has_its_bench_slowdown_corrected_by_those_that_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bench times steps on random batches; a machine's committed runs show what it leaves out. A network
    run here already takes its own epoch-time ratio; another takes its bench ratio times the median of the
    run networks' observed-over-bench ratios."""
    from attnlib import results
    from attnlib.reproduce.fashion import rates

    monkeypatch.setenv("ATTNLIB_DATA", str(tmp_path / "data"))
    root = tmp_path / "data" / "results"
    campaign_name, emulated = fashion.campaign_setting().name, "bf16 + fp32_conv + channels_last"
    for date, cpu, features, setting, (r8, r11) in (
        ("2026-12-05T09:00:00+00:00", "Intel Xeon", ["amx_bf16"], campaign_name, (2000.0, 600.0)),
        ("2026-12-07T05:00:00+00:00", "AMD EPYC", ["avx2"], emulated, (1000.0, 400.0)),
    ):
        rows = pd.DataFrame({"network": ["ResNet-8 (basic)", "ResNet-11 (bottleneck)"],
                             "model": ["cifar_resnet8", "cifar_resnet11"], "block": ["basic", "bottleneck"],
                             "attention": "baseline", "setting": setting, "images_per_s": [r8, r11],
                             "speedup_median": 1.0})  # fmt: skip
        provenance = {"experiment": fashion.TRAIN_SETTINGS_EXPERIMENT, "cpu": cpu, "cpu_count": 2, "date": date}
        results.write_record("latency", f"{fashion.TRAIN_SETTINGS_EXPERIMENT}-cpu", rows,
                             provenance | {"cpu_features": features}, root=root)  # fmt: skip
    epochs = {  # seconds an epoch of the committed runs, per machine: ResNet-8 ran on both, 2.5× the bench's 2.0
        "2-core Intel Xeon with AMX": {("cifar_resnet8", "basic", "baseline", "bf16"): 30.0},
        "2-core AMD EPYC without native bf16": {("cifar_resnet8", "basic", "baseline", "bf16"): 75.0},
    }
    monkeypatch.setattr(rates, "observed_epoch_seconds",
                        lambda profile="default", campaign="converged", machine=None:
                        epochs[machine or "2-core Intel Xeon with AMX"])  # fmt: skip
    monkeypatch.setattr(results, "cpu_model", lambda: "AMD EPYC")
    monkeypatch.setattr(results, "cpu_features", lambda: ["avx2"])
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    factor, why = fashion.machine_slowdown("cifar_resnet8", "basic", "bf16")
    assert factor == pytest.approx(2.5) and "its committed ResNet-8 (basic) runs took 2.5× the epoch time" in why
    factor, why = fashion.machine_slowdown("cifar_resnet11", "bottleneck", "bf16")
    assert factor == pytest.approx(1.5 * 2.5 / 2.0)  # the bench's 1.5, corrected by ResNet-8's 2.5 / 2.0
    assert why.endswith(f"1.5× slower in {emulated} than where the campaign was sized, times 1.25 for what its "
                        "committed runs of other networks took beyond that measurement")  # fmt: skip
