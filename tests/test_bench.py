"""Benchmark harness: engines agree with eager, results are well formed; no test asserts a time."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
import torch

from attnlib import attention, build_model
from attnlib.bench import ENGINES, EngineOptions, EngineUnavailable, engine_status, prepare, summarize
from attnlib.bench.latency import Variant, measure_group
from attnlib.bench.modules import module_variants, timm_attention_class
from attnlib.bench.plain import plain_copy
from attnlib.bench.timing import time_interleaved
from attnlib.bench.verify import reference_output, verify_against_eager
from attnlib.models.resnet import BasicBlock, ResNet
from tests.reference import randomise

MODULES = ("baseline", *attention.available())


def tiny_model(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    model = build_model("cifar_resnet8", attention=None if name == "baseline" else name).eval()
    for block_attention in model.attention_modules():
        randomise(block_attention, seed=1)
    return model


def one_block_model(name: str) -> torch.nn.Module:
    """One CIFAR stage of one basic block with ``name`` after its last BatchNorm (randomised; none for the baseline)."""
    torch.manual_seed(0)
    model = ResNet(BasicBlock, [1], [16], 10, stem="cifar", attention=None if name == "baseline" else name).eval()
    for block_attention in model.attention_modules():
        randomise(block_attention, seed=1)
    return model


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", MODULES)
def test_engine_agrees_with_eager(engine, name):
    ok, reason = engine_status(engine)
    if not ok:
        pytest.skip(f"{engine} unavailable: {reason}")
    # compile: every variant in a one-block ResNet (inductor's code generation grows with the graph;
    # whole networks are compiled by tests/test_int8.py, cifar_resnet8 with SE, and by the documented
    # `attnlib bench --preset gpu-compile --dry-run`, ResNet-18 with and without a module)
    model = tiny_model(name) if engine != "compile" else one_block_model(name)
    example = torch.randn(2, 3, 32, 32)
    expected = reference_output(model, example)
    prepared = prepare(engine, model, example, EngineOptions(threads=2))
    assert verify_against_eager(prepared, expected) <= 1e-3


def test_only_the_reference_computation_skips_its_check_against_itself(one_thread):
    from attnlib.bench.verify import is_reference_computation, prepare_verified

    assert is_reference_computation("eager", EngineOptions(threads=1))
    for engine, options in (
        ("eager", EngineOptions(channels_last=True)),
        ("eager", EngineOptions(precision="bf16")),
        ("eager", EngineOptions(device="cuda")),
        ("onnxruntime", EngineOptions()),
        ("compile", EngineOptions()),
    ):
        assert not is_reference_computation(engine, options), (engine, options)
    model, example = tiny_model("se"), torch.randn(2, 3, 32, 32)
    prepared, difference = prepare_verified("eager", model, example)
    assert difference == 0.0 and torch.equal(prepared.run(example), reference_output(model, example))
    _, difference = prepare_verified("eager", tiny_model("se"), example, EngineOptions(channels_last=True))
    assert difference < 1e-3  # checked, whatever it found


def test_channels_last_eager_agrees():
    model = tiny_model("srm")
    example = torch.randn(2, 3, 32, 32)
    expected = reference_output(model, example)
    prepared = prepare("eager", model, example, EngineOptions(channels_last=True))
    verify_against_eager(prepared, expected)


def test_bf16_eager_agrees_where_supported():
    options = EngineOptions(precision="bf16")
    ok, reason = engine_status("eager", options)
    if not ok:
        pytest.skip(reason)
    model = tiny_model("se")
    example = torch.randn(2, 3, 32, 32)
    expected = reference_output(model, example)
    verify_against_eager(prepare("eager", model, example, options), expected, "bf16")


def test_unavailable_engines_give_reasons():
    ok, reason = engine_status("eager", EngineOptions(device="cuda"))
    assert ok == torch.cuda.is_available()
    if not ok:
        assert "CUDA" in reason
        with pytest.raises(EngineUnavailable, match="CUDA"):
            prepare("eager", tiny_model("ab"), torch.randn(1, 3, 32, 32), EngineOptions(device="cuda"))
    ok, reason = engine_status("tensorrt")
    assert not ok and reason  # never on CPU
    with pytest.raises(ValueError, match="eager, compile, onnxruntime, openvino, tensorrt"):
        engine_status("tvm")


def test_wrong_engine_output_is_caught():
    model = tiny_model("se")
    example = torch.randn(1, 3, 32, 32)
    expected = reference_output(model, example)
    prepared = prepare("eager", model, example)
    broken = type(prepared)(prepared.engine, lambda x: prepared.run(x) * 1.01, prepared.example)
    with pytest.raises(AssertionError):
        verify_against_eager(broken, expected)


def test_time_interleaved_round_robin_and_shuffled():
    calls_seen = []
    calls = {name: (lambda name=name: calls_seen.append(name)) for name in "abcd"}
    samples = time_interleaved(calls, trials=20, warmup=0)
    assert len(samples) == 80
    rounds = [calls_seen[i : i + 4] for i in range(0, 80, 4)]
    assert all(sorted(r) == list("abcd") for r in rounds)
    assert len({tuple(r) for r in rounds}) > 1
    assert list(dict.fromkeys(samples.variant)) == list("abcd")


def test_summarize_from_known_samples():
    samples = pd.DataFrame(
        {
            "variant": ["base"] * 4 + ["slow"] * 4,
            "trial": [0, 1, 2, 3] * 2,
            "ms": [10.0, 11.0, 12.0, 30.0, 15.0, 16.5, 18.0, 45.0],
        }
    )
    summary = summarize(samples, baseline="base", bootstrap=200).set_index("variant")
    assert summary.loc["base", "min_ms"] == 10.0 and summary.loc["base", "median_ms"] == 11.5
    assert summary.loc["slow", "overhead_min_pct"] == pytest.approx(50.0)
    assert summary.loc["slow", "overhead_median_pct"] == pytest.approx(50.0)
    assert summary.loc["slow", "ci_low_pct"] <= 50.0 <= summary.loc["slow", "ci_high_pct"]
    assert summary.loc["base", "iqr_ms"] == pytest.approx(np_iqr([10.0, 11.0, 12.0, 30.0]))


def np_iqr(values):
    import numpy as np

    return float(np.subtract(*np.percentile(values, [75, 25])))


def test_measure_group_is_well_formed():
    variants = [Variant("cifar_resnet8", a) for a in ("baseline", "ab", "se")]
    summary, samples = measure_group(variants, "eager", resolution=32, trials=3, warmup=1)
    assert list(summary.variant) == ["baseline", "ab", "se"]
    for column in (
        "min_ms",
        "median_ms",
        "iqr_ms",
        "overhead_min_pct",
        "ci_low_pct",
        "engine",
        "resolution",
        "batch_size",
        "max_abs_error_vs_eager",
    ):
        assert column in summary.columns
    assert (summary.min_ms > 0).all() and len(samples) == 9
    assert summary.set_index("variant").loc["baseline", "overhead_min_pct"] == 0


@pytest.mark.parametrize("name", attention.available())
def test_plain_reference_is_the_same_function(name):
    module = randomise(attention.create(name, 64), seed=9).eval()
    x = torch.randn(2, 64, 7, 7)
    with torch.no_grad():
        torch.testing.assert_close(plain_copy(module).eval()(x), module(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["se", "eca"])
def test_timm_modules_match_parameter_counts(name):
    timm_module = attention.create(timm_attention_class(name), 256)
    ours = attention.create(name, 256)
    assert sum(p.numel() for p in timm_module.parameters()) == sum(p.numel() for p in ours.parameters())


def test_module_variants_cover_attnlib_plain_timm():
    labels = [v.name for v in module_variants()]
    assert labels[0] == "baseline"
    assert {"attnlib/srm", "plain/srm", "timm/se", "timm/eca"} <= set(labels)


def test_cli_writes_provenance_stamped_record(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "attnlib.cli",
            "bench",
            "--model",
            "cifar_resnet8",
            "--resolution",
            "32",
            "--attention",
            "baseline",
            "ab",
            "--engine",
            "eager",
            "tensorrt",
            "--trials",
            "3",
            "--warmup",
            "1",
            "--profile",
            "smoke",
            "--output",
            str(tmp_path),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(result.stdout)
    assert [r["variant"] for r in rows] == ["baseline", "ab"]
    assert "skipped tensorrt" in result.stderr
    (record,) = (tmp_path / "latency").glob("*.json")
    provenance = json.loads(record.read_text())
    for field in ("cpu", "torch_threads", "torch", "engine_versions", "date", "git_commit", "profile"):
        assert field in provenance
    assert provenance["skipped_engines"].keys() == {"tensorrt"}


def synthetic_summary() -> pd.DataFrame:
    rows = []
    for engine, scale in (("eager", 10.0), ("openvino", 4.0), ("onnxruntime", 5.0)):
        for depth in (18, 50):
            for index, attention_name in enumerate(MODULES):
                minimum = scale * depth / 18 * (1 + 0.05 * index)
                rows.append(
                    {
                        "engine": engine,
                        "model": f"resnet{depth}",
                        "variant": attention_name,
                        "attention": attention_name,
                        "precision": "fp32",
                        "resolution": 224,
                        "batch_size": 1,
                        "min_ms": minimum,
                        "overhead_min_pct": 5.0 * index,
                    }
                )
    return pd.DataFrame(rows)


def test_report_best_engine_and_table2_from_known_summary():
    from attnlib import paper
    from attnlib.reproduce.fig3 import best_engine, depth_conclusions, table2_latency

    summary = synthetic_summary()
    assert best_engine(summary) == "openvino"
    table = table2_latency(summary, paper.load("table2"), "openvino").set_index(["ResNet", "module"])
    assert table.loc[(50, "SE"), "ours OpenVINO %"] == 15.0
    assert table.loc[(18, "Baseline"), "paper PyTorch %"] == 0.0
    expected_paper = 100 * (
        paper.load("table2").set_index(["depth", "module"]).pytorch_ms.loc[(50, "ab")]
        / paper.load("table2").set_index(["depth", "module"]).pytorch_ms.loc[(50, "baseline")]
        - 1
    )
    assert table.loc[(50, "AB"), "paper PyTorch %"] == pytest.approx(expected_paper)
    conclusions = depth_conclusions(summary, "openvino")
    assert bool(conclusions.iloc[0].holds)  # AB is the cheapest module in the synthetic data
