"""`attnlib advise`: the decision on hand-made measurements with known answers, the sources, the JSON,
the errors, and one tiny end-to-end measurement (CPU, no timing asserted)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from attnlib import advice as advice_module
from attnlib.advice import (
    DEEPER,
    Advice,
    Measurement,
    Request,
    accuracy_sources,
    decide,
    deeper_model,
    resolve,
    sentence,
)
from attnlib.advice import answer as answer_module
from attnlib.cli import main


def hand_made(overheads: dict[str, tuple[float, float]], engine: str = "eager") -> pd.DataFrame:
    """A measurement: variant → (overhead %, half-width of its 95 % interval), the baseline at 10 ms."""
    rows = [{"engine": engine, "variant": "baseline", "median_ms": 10.0, "overhead_median_pct": 0.0,
             "ci_low_pct": 0.0, "ci_high_pct": 0.0}]  # fmt: skip
    for variant, (overhead, half) in overheads.items():
        rows.append(
            {
                "engine": engine,
                "variant": variant,
                "median_ms": 10.0 * (1 + overhead / 100),
                "overhead_median_pct": overhead,
                "ci_low_pct": overhead - half,
                "ci_high_pct": overhead + half,
            }
        )
    return pd.DataFrame(rows)


def gains(values: dict[str, float], dataset: str = "ImageNet") -> pd.DataFrame:
    rows = [(dataset, variant, gain, "hand-made", False) for variant, gain in values.items()]
    return pd.DataFrame(rows, columns=advice_module.ACCURACY_COLUMNS)


KNOWN = hand_made({"ab": (2, 0.5), "eca": (4, 0.5), "se": (10, 1), "srm": (20, 1), "multise": (30, 1), DEEPER: (25, 1)})
KNOWN_GAINS = gains({"ab": 0.2, "eca": 0.5, "se": 0.3, "srm": 1.5, "multise": 0.1, DEEPER: 1.0})
REQUEST = Request("resnet50", engines=("eager",))


def test_pareto_and_the_deeper_baseline_on_a_known_answer() -> None:
    verdict = decide(KNOWN, KNOWN_GAINS).set_index("module")
    assert verdict["Pareto-optimal"].to_dict() == {"ab": "yes", "eca": "yes", "se": "no", "srm": "yes", "multise": "no"}
    beats = verdict["beats the deeper baseline"]
    assert beats["srm"] == "yes"
    assert beats["ab"].startswith("no: less accurate") and beats["multise"] == "no: slower than the deeper baseline"
    assert verdict.loc["eca", "gain per % time"] == "+0.125 points per %"
    text = sentence(decide(KNOWN, KNOWN_GAINS), KNOWN, REQUEST, "a test CPU")
    assert "SRM gives +1.50 top-1 for +20.0 % time and beats a ResNet-101 baseline" in text
    assert text.startswith("On a test CPU with eager PyTorch (fp32")


@pytest.mark.parametrize(
    ("label", "words"),
    [
        ("eager", "eager PyTorch"),
        ("openvino", "OpenVINO"),
        ("onnxruntime", "ONNX Runtime"),
        ("compile[max-autotune]+graphs", "torch.compile (mode max-autotune, CUDA graphs)"),
        ("eager+graphs+NHWC", "eager PyTorch (CUDA graphs, channels-last)"),
        ("someone-elses-engine", "someone-elses-engine"),
    ],
)
def test_engines_are_named_in_words_on_the_page(label: str, words: str) -> None:
    from attnlib.bench.engines import EngineOptions, engine_label
    from attnlib.names import label_words

    assert label_words(label) == words
    assert label_words(
        engine_label(
            "compile", EngineOptions(device="cuda", compile_mode="max-autotune-no-cudagraphs", cuda_graphs=True)
        )
    ) == ("torch.compile (mode max-autotune, CUDA graphs)")
    table = advice_module.reader_table(decide(hand_made({"eca": (4, 0.5)}, engine="openvino"), KNOWN_GAINS))
    assert table.engine.tolist() == ["OpenVINO"] and table.module.tolist() == ["ECA"]


@pytest.mark.parametrize(
    ("model", "block", "cifar", "words"),
    [
        ("resnet101", None, True, "ResNet-101"),
        ("cifar_resnet56", None, True, "CIFAR ResNet-56"),
        ("cifar_resnet20", "bottleneck", False, "ResNet-20 (bottleneck)"),  # the Fashion-MNIST chapters' wording
    ],
)
def test_networks_are_named_in_words_on_the_page(model: str, block: str | None, cifar: bool, words: str) -> None:
    from attnlib.names import counted, network_words

    assert network_words(model, block, cifar=cifar) == words
    assert (counted(1, "seed"), counted(3, "seed")) == ("1 seed", "3 seeds")


def test_no_module_beats_the_deeper_baseline_is_said() -> None:
    slow = KNOWN.assign(overhead_median_pct=lambda t: t.overhead_median_pct.where(t.variant != "srm", 28.0))
    slow.loc[slow.variant == "srm", ["ci_low_pct", "ci_high_pct"]] = [27.5, 28.5]
    text = sentence(decide(slow, KNOWN_GAINS), slow, REQUEST, "a test CPU")
    assert "no module is shown to beat a ResNet-101 baseline" in text and "SRM" in text


def test_overlapping_intervals_are_not_ranked() -> None:
    noisy = hand_made({"ab": (3, 4), "eca": (4, 4), "se": (30, 1), "srm": (31, 1), "multise": (40, 1), DEEPER: (5, 4)})
    verdict = decide(noisy, gains({"ab": 0.2, "eca": 0.5, DEEPER: 0.1})).set_index("module")
    assert verdict.loc["eca", "beats the deeper baseline"] == "cannot tell (their times' intervals overlap)"
    timed_only = decide(noisy, gains({}))
    text = sentence(timed_only, noisy, REQUEST, "a test CPU")
    assert "ranked by time alone" in text and "cannot be told apart in time from ECA" in text


def test_a_module_within_noise_of_zero_is_free_never_inf_or_nan() -> None:
    free = hand_made({"ab": (0.0, 1.0), "eca": (0.5, 1.0), "se": (3, 1), "srm": (5, 1), "multise": (9, 1)})
    verdict = decide(free, gains({"ab": 0.2, "eca": 0.5}))
    shown = verdict.to_string()
    assert "free" in verdict.set_index("module").loc["ab", "gain per % time"]
    assert "inf" not in shown and "nan" not in shown.lower()
    assert verdict.set_index("module").loc["se", "gain"] == "no published gain"


def test_sources_are_labelled() -> None:
    r50 = accuracy_sources("resnet50")
    assert set(r50[r50.variant != DEEPER].source) == {"paper, Table 2"} and len(r50[r50.variant != DEEPER]) == 5
    deeper = r50[r50.variant == DEEPER].iloc[0]
    assert deeper.source == "torchvision's published V1 weights" and 0 < deeper.gain < 5
    assert r50.dataset.eq("ImageNet").all()
    r34 = accuracy_sources("resnet34")
    assert list(r34.variant) == [DEEPER]  # the paper has no ResNet-34 modules
    assert DEEPER not in set(accuracy_sources("resnet152").variant)
    cifar = accuracy_sources("cifar_resnet56", "bottleneck")
    assert set(cifar.dataset) == {"CIFAR-10", "CIFAR-100"} and set(cifar.source) == {"paper, Table 1"}


def test_deeper_networks() -> None:
    assert deeper_model("resnet18") == "resnet34" and deeper_model("resnet50") == "resnet101"
    assert deeper_model("resnet152") is None
    assert deeper_model("cifar_resnet14", "basic") == "cifar_resnet20"
    assert deeper_model("cifar_resnet20", "bottleneck") == "cifar_resnet29"


def test_the_json_answer_has_its_schema() -> None:
    measurement = Measurement(KNOWN, {"eager": "converged"}, {"openvino": "not installed"}, "a test CPU")
    verdict = decide(KNOWN, KNOWN_GAINS)
    answer = Advice(REQUEST, measurement, KNOWN_GAINS, verdict, sentence(verdict, KNOWN, REQUEST, "a test CPU"))
    data = json.loads(json.dumps(answer.as_json()))
    assert set(data) == {"schema", "hardware", "request", "stopped", "left_out", "accuracy", "verdict", "sentence"}
    assert data["schema"] == 1 and data["request"]["deeper"] == "resnet101"
    assert {row["module"] for row in data["verdict"]} == {"ab", "eca", "se", "srm", "multise"}
    assert advice_module.plot(answer) is not None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"model": "resnet77"}, "unknown model 'resnet77'; valid names are"),
        ({"budget_min": 0}, "budget must be a positive number"),
        ({"model": "resnet50", "block": "basic"}, "--block is for CIFAR ResNets only"),
        ({"engine": "tflite"}, "unknown engine 'tflite'"),
        ({"model": "cifar_resnet15"}, r"needs depth 6n\+2"),
    ],
)
def test_bad_requests_end_in_one_clear_error(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve(**options)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_one_clear_error(capsys) -> None:
    assert main(["advise", "--device", "cuda"]) == 2
    assert "no CUDA GPU" in capsys.readouterr().err


def test_an_engine_that_cannot_run_or_would_spend_the_budget_preparing_is_left_out_and_named() -> None:
    request = Request("cifar_resnet8", resolution=8, engines=("eager", "onnxruntime", "tensorrt"), budget_min=0.001)
    logged: list[str] = []
    measurement = advice_module.measure(request, progress=False, log=logged.append)
    assert set(measurement.summary.engine) == {"eager"} and measurement.summary.rounds.min() >= 10
    assert "more than half the 0.001-minute budget; raise --budget" in measurement.left_out["onnxruntime"]
    assert "tensorrt" in measurement.left_out and len(logged) == 2
    assert measurement.stopped["eager"].startswith("time budget spent after")


def test_a_tiny_measurement_end_to_end(tmp_path, capsys, monkeypatch) -> None:
    plot = tmp_path / "advice.png"
    measured = []
    measure = advice_module.measure
    monkeypatch.setattr(answer_module, "measure", lambda *a, **k: measured.append(measure(*a, **k)) or measured[-1])
    code = main(
        ["advise", "--model", "cifar_resnet8", "--resolution", "8", "--engine", "eager", "--budget", "0.05",
         "--width", "1000", "--json", "--plot", str(plot)]
    )  # fmt: skip
    assert code == 0 and plot.stat().st_size > 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["request"]["deeper"] == "cifar_resnet14" and answer["stopped"]["eager"]
    assert len(answer["verdict"]) == 5 and answer["sentence"].startswith("On ")
    # like every latency record, an advise record says what share of the CPUs other processes used
    (measurement,) = measured
    assert set(measurement.machine_load) == {"load_average_before", "load_average_after", "others_cpu_pct"}
    assert "others_cpu_pct" in measurement.summary
    request = Request("cifar_resnet8", resolution=8, engines=("eager",))
    verdict = decide(measurement.summary, gains({}))
    path = advice_module.record(Advice(request, measurement, gains({}), verdict, "a sentence"), root=tmp_path)
    assert json.loads(path.with_suffix(".json").read_text())["machine_load"] == measurement.machine_load


def test_the_python_function_is_the_advice_packages_advise() -> None:
    """``advise`` is handed on by the advice package, not by the package face (which stands below it)."""
    import attnlib
    from attnlib.advice.answer import advise

    assert advice_module.advise is advise
    assert "advise" not in attnlib.__all__


def test_the_decision_imports_no_torch() -> None:
    """The decision is plain code over tables: importing it (and deciding) loads neither torch nor the
    bench layer, in a fresh interpreter."""
    import subprocess
    import sys

    script = (
        "import sys, pandas as pd\n"
        "from attnlib.advice.decision import decide\n"
        "summary = pd.DataFrame([dict(engine='eager', variant=v, median_ms=10.0, overhead_median_pct=o, "
        "ci_low_pct=o - 1, ci_high_pct=o + 1) for v, o in (('baseline', 0.0), ('se', 5.0))])\n"
        "accuracy = pd.DataFrame([dict(dataset='ImageNet', variant='se', gain=1.0, source='s', extra=False)])\n"
        "assert decide(summary, accuracy).iloc[0]['Pareto-optimal'] == 'yes'\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] == 'torch' or m.startswith('attnlib.bench'))\n"
        "print(','.join(heavy) or 'none')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "none"


def test_a_deeper_baseline_timed_apart_is_compared_as_an_unpaired_point() -> None:
    """From a Fig. 3 record the deeper ResNet was timed in its own group: its time is a point without an
    interval paired with the module's, and the verdict says so instead of a bare "yes"."""
    record = pd.DataFrame(
        [
            {"engine": "eager", "model": model, "variant": variant, "batch_size": 1, "median_ms": ms,
             "overhead_median_pct": over, "ci_low_pct": over - 1, "ci_high_pct": over + 1}
            for model, variant, ms, over in (
                ("resnet50", "baseline", 10.0, 0.0), ("resnet50", "srm", 12.0, 20.0),
                ("resnet50", "eca", 10.4, 4.0), ("resnet101", "baseline", 18.0, 0.0),
            )
        ]
    )  # fmt: skip
    summary = advice_module.from_depth_record(record, "resnet50")
    deeper = summary[summary.variant == DEEPER].iloc[0]
    assert deeper.overhead_median_pct == pytest.approx(80.0) and not deeper.paired
    assert summary[summary.variant != DEEPER].paired.all()
    verdict = decide(summary, gains({"eca": 0.5, "srm": 1.5, DEEPER: 1.0})).set_index("module")
    assert verdict.loc["srm", "beats the deeper baseline"] == (
        "yes (the deeper ResNet was timed in its own group: no paired interval)"
    )
    assert "paired" not in verdict.loc["srm", "Pareto-optimal"]
    text = sentence(decide(summary, gains({"eca": 0.5, "srm": 1.5, DEEPER: 1.0})), summary, REQUEST, "a test CPU")
    assert "SRM gives +1.50 top-1 for +20.0 % time and beats a ResNet-101 baseline timed in its own group" in text
    assert "no module is shown" not in text
    measured = decide(KNOWN, KNOWN_GAINS).set_index("module")  # timed in one group: no caveat
    assert measured.loc["srm", "beats the deeper baseline"] == "yes"


def test_fashion_gains_are_the_studys_paired_gains(monkeypatch) -> None:
    """The Fashion-MNIST column is the study's gain paired by seed, with the seeds it rests on."""
    from attnlib.reproduce import fashion

    rows = []
    for seed, (base, se, deeper) in enumerate(((80.0, 81.0, 82.0), (90.0, 90.5, 91.0))):
        for part, model, attention, top1 in (
            ("compare", "cifar_resnet14", "baseline", base), ("compare", "cifar_resnet14", "se", se),
            ("deeper", "cifar_resnet20", "baseline", deeper),
        ):  # fmt: skip
            network = fashion.network_name(model, "basic")
            rows.append({"part": part, "network": network, "model": model, "block": "basic",
                         "attention": attention, "seed": seed, "top1": top1})  # fmt: skip
    rows.append({"part": "compare", "network": "ResNet-14 (basic)", "model": "cifar_resnet14",
                 "block": "basic", "attention": "se", "seed": 2, "top1": 99.0})  # fmt: skip  # no baseline: unpaired
    monkeypatch.setattr(fashion, "committed_finals", lambda profile, campaign=None: pd.DataFrame(rows))
    found = accuracy_sources("cifar_resnet14", "basic").set_index("variant")
    assert found.loc["se", "gain"] == pytest.approx(0.75)  # mean of +1.0 and +0.5; seed 2 has no pair
    assert "2 seeds, paired" in found.loc["se", "source"] and found.loc["se", "extra"]
    assert found.loc[DEEPER, "gain"] == pytest.approx(1.5) and "paired" in found.loc[DEEPER, "source"]


@pytest.mark.parametrize(
    ("options", "profile"),
    [({}, "default"), ({"budget_min": 0.5}, "ad hoc (budget 0.5 min, width 3 points)")],
)
def test_a_record_names_its_protocol(tmp_path, options: dict, profile: str) -> None:
    request = Request("cifar_resnet8", engines=("eager",), **options)
    measurement = Measurement(hand_made({"se": (3, 1)}), {"eager": "test"}, {}, "a test CPU")
    found = Advice(request, measurement, gains({}), decide(measurement.summary, gains({})), "a sentence")
    path = advice_module.record(found, root=tmp_path)
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["profile"] == profile
