"""The Fashion-MNIST campaign's plan and sittings (``attnlib.reproduce.fashion``: settings, rates,
execution): the runs and their CPU hours, the committed records that count as done, launchers and their
``--hours``, a slower machine's slowdown, and the schedule each block type's plateau check chose.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from attnlib.cli import main
from attnlib.reproduce import campaign, fashion
from attnlib.train.records import unpack_mask

DATA = Path(__file__).resolve().parents[1] / "data"


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
    from attnlib import provenance

    monkeypatch.setattr(provenance, "cpu_model", lambda: "AMD EPYC")
    monkeypatch.setattr(provenance, "cpu_features", lambda: ["avx2"])
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
    monkeypatch.setattr(provenance, "cpu_model", lambda: "Intel Xeon")
    monkeypatch.setattr(provenance, "cpu_features", lambda: ["avx512_bf16", "amx_bf16"])
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
    from attnlib.train.checkpoints import run_folder_lock

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
    assert f"instead of the {whole:.1f} planned" in text
    # one block per stage already: the page says smaller networks are no way out
    assert "with one block per stage, ResNet-8 (basic) and ResNet-11 (bottleneck) are the shallowest" in text


def test_smaller_networks_are_named_as_a_way_out_only_where_they_exist() -> None:
    from attnlib.reproduce.fashion.settings import settings_of
    from attnlib.reproduce.fashion.tables import _smallest_text

    assert _smallest_text(settings_of("default", "short")) == ""  # ResNet-14 / ResNet-20: two blocks a stage
    assert "one block per stage" in _smallest_text(settings_of("default"))


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
    from attnlib import provenance, results
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
        made_by = {"experiment": fashion.TRAIN_SETTINGS_EXPERIMENT, "cpu": cpu, "cpu_count": 2, "date": date}
        results.write_record("latency", f"{fashion.TRAIN_SETTINGS_EXPERIMENT}-cpu", rows,
                             made_by | {"cpu_features": features}, root=root)  # fmt: skip
    epochs = {  # seconds an epoch of the committed runs, per machine: ResNet-8 ran on both, 2.5× the bench's 2.0
        "2-core Intel Xeon with AMX": {("cifar_resnet8", "basic", "baseline", "bf16"): 30.0},
        "2-core AMD EPYC without native bf16": {("cifar_resnet8", "basic", "baseline", "bf16"): 75.0},
    }
    monkeypatch.setattr(rates, "observed_epoch_seconds",
                        lambda profile="default", campaign="converged", machine=None:
                        epochs[machine or "2-core Intel Xeon with AMX"])  # fmt: skip
    monkeypatch.setattr(provenance, "cpu_model", lambda: "AMD EPYC")
    monkeypatch.setattr(provenance, "cpu_features", lambda: ["avx2"])
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    factor, why = fashion.machine_slowdown("cifar_resnet8", "basic", "bf16")
    assert factor == pytest.approx(2.5) and "its committed ResNet-8 (basic) runs took 2.5× the epoch time" in why
    factor, why = fashion.machine_slowdown("cifar_resnet11", "bottleneck", "bf16")
    assert factor == pytest.approx(1.5 * 2.5 / 2.0)  # the bench's 1.5, corrected by ResNet-8's 2.5 / 2.0
    assert why.endswith(f"1.5× slower in {emulated} than where the campaign was sized, times 1.25 for what its "
                        "committed runs of other networks took beyond that measurement")  # fmt: skip
