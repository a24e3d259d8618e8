"""``attnlib reproduce``: plans for every table, idempotent local campaigns, torchrun and SLURM launchers."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from attnlib.cli import main
from attnlib.reproduce import campaign, table1
from attnlib.reproduce.accuracy import run_accuracy
from attnlib.reproduce.campaign import campaign_runs, run_state
from attnlib.reproduce.table1 import aggregate_seeds, table1_layout

ONLY = ["cifar_resnet8-basic"]  # Table 1 at smoke, one of its two networks: six one-epoch runs


@pytest.mark.parametrize(("table", "count"), [("table1", 72), ("table2", 12), ("table3", 30), ("table4", 11)])
def test_the_paper_plan_lists_every_run_with_an_estimate(table: str, count: int, tmp_path: Path) -> None:
    runs = campaign_runs(table, "paper", tmp_path)
    frame = campaign.plan(runs)
    assert len(runs) == count and len({run.key for run in runs}) == count
    assert (frame.state == "missing").all()
    assert (frame["GPU-hours (est.)"] > 0).all() and (frame["GMACs/image"] > 0).all()
    assert "still to run" in campaign.plan_summary(table, "paper", frame)


def test_table5_plan_matches_the_papers_rows(tmp_path: Path) -> None:
    from attnlib import paper

    runs = campaign_runs("table5", "paper", tmp_path)
    assert len(runs) == len(paper.load("table5"))
    assert {"all/baseline", "day_night/se+ibn", "day_night/baseline+style_adversarial"} <= {r.key for r in runs}


def test_the_estimate_is_three_times_the_forward_macs_of_every_image_and_epoch(tmp_path: Path) -> None:
    run = campaign_runs("table2", "paper", tmp_path, only=["resnet50/se"])[0]
    expected = 3 * run.macs_per_image * 1_281_167 * 90 / 10e12 / 3600
    assert campaign.gpu_hours(run, tmacs=10.0) == pytest.approx(expected)
    assert campaign.gpu_hours(run, tmacs=20.0) == pytest.approx(expected / 2)


def test_only_and_seeds_select_runs_and_a_pattern_that_matches_nothing_is_refused(tmp_path: Path) -> None:
    keys = [run.key for run in campaign_runs("table1", "paper", tmp_path, only=["cifar100/se"], seeds=[1])]
    assert keys == ["cifar100/cifar_resnet56-basic/se/seed1", "cifar100/cifar_resnet56-bottleneck/se/seed1"]
    with pytest.raises(ValueError, match="matches none of the 72 runs"):
        campaign_runs("table1", "paper", tmp_path, only=["cifar1000"])
    with pytest.raises(ValueError, match="unknown table 'table9'"):
        campaign_runs("table9", "paper", tmp_path)


def test_an_interrupted_campaign_finishes_only_the_missing_runs_and_aggregates_the_chapters_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_thread: None
) -> None:
    trained: list[str] = []
    from attnlib.reproduce.campaign import launch

    real_train = launch.train

    def counting_train(config, **options):
        if len(trained) == 3 and not getattr(counting_train, "resumed", False):
            raise KeyboardInterrupt  # the campaign is killed while its fourth run starts
        trained.append(config.run_name)
        return real_train(config, **options)

    monkeypatch.setattr(launch, "train", counting_train)
    arguments = ["reproduce", "table1", "--profile", "smoke", "--only", *ONLY, "--runs", str(tmp_path)]
    assert main(arguments) == 130  # what an interrupted `attnlib` command returns
    runs = campaign_runs("table1", "smoke", tmp_path, ONLY)
    assert [run_state(run) for run in runs] == ["done"] * 3 + ["missing"] * 3
    first = [(run.run_dir / "checkpoint.pt").stat().st_mtime_ns for run in runs[:3]]

    counting_train.resumed = True
    assert main(arguments) == 0
    assert len(trained) == 6 and len(set(trained)) == 6  # each run trained once, over both launches
    assert all(run_state(run) == "done" for run in runs)
    assert [(run.run_dir / "checkpoint.pt").stat().st_mtime_ns for run in runs[:3]] == first

    ours = campaign.aggregate("table1", "smoke", runs, tmp_path)
    settings = replace(table1.SETTINGS.get("smoke"), models=(("cifar_resnet8", "basic"),))
    chapter = table1_layout(aggregate_seeds(run_accuracy(settings, "smoke")))
    pd.testing.assert_frame_equal(ours, chapter)
    assert main([*arguments, "--plan"]) == 0  # nothing left: the plan says so and launches nothing


def test_aggregate_refuses_a_campaign_that_is_not_done(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    arguments = ["reproduce", "table1", "--profile", "smoke", "--only", *ONLY, "--runs", str(tmp_path)]
    assert main([*arguments, "--aggregate"]) == 2
    assert "6 run(s) of table1 are not done yet" in capsys.readouterr().err


def test_a_run_in_progress_is_reported_and_resumed(tmp_path: Path) -> None:
    run = campaign_runs("table1", "smoke", tmp_path, ONLY)[0]
    run.run_dir.mkdir(parents=True)
    (run.run_dir / "checkpoint.pt").write_bytes(b"")
    assert run_state(run) == "in progress"
    (run.run_dir / "record.json").write_text(json.dumps({"history": [{"epoch": 0}]}))
    assert run_state(run) == "done"  # smoke trains one epoch


def test_torchrun_launcher_runs_one_multi_process_run_at_a_time(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    arguments = ["reproduce", "table1", "--profile", "smoke", "--only", *ONLY, "--runs", str(tmp_path)]
    assert main([*arguments, "--launcher", "torchrun", "--gpus", "2", "--dry-run"]) == 0
    output = capsys.readouterr().out
    commands = [line for line in output.splitlines() if "torch.distributed.run" in line]
    assert len(commands) == 6
    assert (
        "--nproc-per-node=2" in commands[0]
        and "--run synthetic-cifar/cifar_resnet8-basic/baseline/seed0" in commands[0]
    )
    assert f"--runs {tmp_path}" in commands[0]


def test_slurm_dry_run_prints_the_job_array(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    arguments = [
        "reproduce",
        "table1",
        "--profile",
        "paper",
        "--only",
        "cifar10/*-basic/seed0",
        "--runs",
        str(tmp_path),
    ]
    assert main([*arguments, "--launcher", "slurm", "--partition", "gpu", "--gpus", "2", "--dry-run"]) == 0
    output = capsys.readouterr().out
    assert "job array of 6 task(s)" in output and "'slurm_partition': 'gpu'" in output
    assert "'gpus_per_node': 2" in output and "task 5: cifar10/cifar_resnet56-basic/multise/seed0" in output
    assert not (tmp_path / "cifar10-cifar_resnet56-basic-baseline-seed0-paper").exists()


def test_the_slurm_path_runs_through_submitits_local_executor(tmp_path: Path) -> None:
    pytest.importorskip("submitit")
    only = [*ONLY, "baseline"]
    keys = campaign.job_keys("table1", campaign_runs("table1", "smoke", tmp_path, only))
    options = campaign.SlurmOptions(logs=tmp_path / "logs", cluster="local", time_minutes=10)
    jobs = campaign.launch_slurm("table1", "smoke", keys, options, tmp_path, announce=lambda line: None)
    assert len(jobs) == 1
    final = jobs[0].result()
    assert 0 <= final["top1"] <= 100
    assert all(run_state(run) == "done" for run in campaign_runs("table1", "smoke", tmp_path, only))


def test_a_slurm_task_requeues_itself_with_the_same_run(tmp_path: Path) -> None:
    submitit = pytest.importorskip("submitit")
    job = campaign.CampaignJob("table1", "smoke", tmp_path, commit=False)
    requeued = job.checkpoint("synthetic-cifar/cifar_resnet8-basic/se/seed0")
    assert isinstance(requeued, submitit.helpers.DelayedSubmission)
    assert requeued.args == ("synthetic-cifar/cifar_resnet8-basic/se/seed0",)


def test_one_run_by_key_and_an_unknown_key(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    arguments = ["reproduce", "table1", "--profile", "smoke", "--runs", str(tmp_path)]
    assert main([*arguments, "--run", "synthetic-cifar/cifar_resnet8-basic/eca/seed0"]) == 0
    assert '"top1"' in capsys.readouterr().out
    assert main([*arguments, "--run", "synthetic-cifar/nothing"]) == 2
    assert "has no run 'synthetic-cifar/nothing'" in capsys.readouterr().err
