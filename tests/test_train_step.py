"""``attnlib bench train``: training steps timed interleaved, their rate, and the planner reading it.

No test asserts a time: the checks are that a step is a real optimiser step, that the rate is the
stated arithmetic of the measured time, and that a committed record reaches the planner.
"""

from __future__ import annotations

import json

import pytest
import torch

from attnlib.attention import BASELINE
from attnlib.bench.engines import EngineOptions
from attnlib.bench.latency import Variant
from attnlib.bench.training import measure_train_steps, measured_rates, record_train_steps, train_step
from attnlib.cli import main
from attnlib.reproduce import campaign, fig3
from attnlib.reproduce.latency import committed_records


def test_a_train_step_updates_the_weights(one_thread):
    torch.manual_seed(0)
    model = Variant("cifar_resnet8", "se").build()
    before = [p.detach().clone() for p in model.parameters()]
    train_step(model, 4, 32, EngineOptions(), amp=False)()
    changed = sum(not torch.equal(a, b.detach()) for a, b in zip(before, model.parameters(), strict=True))
    assert changed == len(before)  # every parameter got a gradient and a step


@pytest.mark.parametrize("attention", ["ab", "srm"])
def test_the_rate_is_the_arithmetic_of_the_measured_time(one_thread, attention):
    variants = [Variant("cifar_resnet8", BASELINE), Variant("cifar_resnet8", attention)]
    summary = measure_train_steps(variants, 4, 32, EngineOptions(), trials=2, warmup=1)
    assert list(summary.variant) == [BASELINE, attention]
    assert summary.overhead_min_pct.iloc[0] == 0.0
    assert summary.images_per_s.tolist() == pytest.approx((4 / (summary.min_ms / 1000)).tolist())
    assert summary.tmacs.tolist() == pytest.approx((3 * summary.gmacs_per_image * summary.images_per_s / 1e3).tolist())
    assert set(summary.precision) == {"fp32"} and set(summary.engine) == {"eager"}


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["train", "--amp"], "--amp is for 'bench train' on --device cuda"),
        (["--amp", "--device", "cuda"], "--amp is for 'bench train'"),
        (["train", "--preset", "gpu"], "it cannot take --preset"),
        (["train", "--precision", "bf16"], "it cannot take --precision"),
    ],
)
def test_bench_train_refuses_what_it_does_not_time(argv, error, capsys):
    with pytest.raises(SystemExit):
        main(["bench", *argv])
    assert error in capsys.readouterr().err


def test_a_committed_measurement_reaches_the_planner(scratch_data, one_thread):
    variants = [Variant("cifar_resnet56", BASELINE), Variant("cifar_resnet56", "ab")]
    summary = measure_train_steps(variants, 4, 32, EngineOptions(), trials=1, warmup=0)
    path = record_train_steps(summary, "default", EngineOptions(), 1, 0, root=scratch_data / "results")
    # like every latency record, it says how busy the machine was while it timed
    load = json.loads(path.with_suffix(".json").read_text())["machine_load"]
    assert set(load) == {"load_average_before", "load_average_after", "others_cpu_pct"}
    assert "others_cpu_pct" in summary
    runs = campaign.campaign_runs("table1", "paper")
    text = campaign.plan_summary("table1", "paper", campaign.plan(runs))
    rate = measured_rates(summary.assign(hardware="h")).tmacs.iloc[0]
    assert "cifar_resnet56, batch 4, fp32 on " in text and f"{rate:.2f} TMAC/s" in text
    (hardware, label, record), *_ = committed_records("train_step")  # the Fig. 3 chapter shows it
    table = fig3.train_step_table(record)
    assert list(table.Module) == ["Baseline", "AB"] and table["overhead %"].iloc[0] == 0.0
    assert "1 trials" in label and hardware in text
    table2 = campaign.plan(campaign.campaign_runs("table2", "paper"))
    assert "Measured training steps" not in campaign.plan_summary("table2", "paper", table2)  # no ResNet-50 record


@pytest.mark.parametrize("setting", ["bf16+fp32_conv", "bf16+fp32_conv+channels_last"])
def test_bench_train_times_bf16_with_fp32_convolution_kernels(one_thread, setting, capsys):
    """The setting a CPU without native bf16 trains the campaign in: timed beside fp32, its speed-up over
    fp32 the arithmetic of the two medians."""
    argv = ["bench", "train", "--model", "cifar_resnet8", "--in-channels", "1", "--resolution", "28"]
    argv += ["--attention", "se", "--batch-size", "4", "--trials", "2", "--warmup", "1", "--no-save", "--json"]
    argv += ["--settings", "fp32", setting]
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(row["attention"], row["setting"]) for row in rows] == [
        (attention, name) for attention in ("baseline", "se") for name in ("fp32", setting.replace("+", " + "))
    ]
    for fp32, other in zip(rows[::2], rows[1::2], strict=True):
        assert fp32["speedup_median"] == 1.0
        assert other["speedup_median"] == pytest.approx(other["images_per_s"] / fp32["images_per_s"])
