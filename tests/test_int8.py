"""8-bit on CPU (issue 22): every module and network quantizes with PT2E, both int8 engines agree with
fp32 by the stated measure before anything is timed, and a wrong int8 network is caught."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
import torchvision

from attnlib import attention, build_model, retrofit
from attnlib.bench import EngineOptions, EngineUnavailable, engine_status, int8, prepare
from attnlib.bench.verify import prepare_verified, reference_output, verify_against_eager
from tests.reference import randomise

pytest.importorskip("torchao")
MODULES = ("baseline", *attention.available())


def _network(name: str, block: str | None, module: str) -> torch.nn.Module:
    torch.manual_seed(0)
    network = build_model(name, attention=None if module == "baseline" else module, block=block).eval()
    for layer in network.attention_modules():
        randomise(layer, seed=1)  # non-trivial gates: an identity-like module would hide a wrong graph
    return network


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize(("name", "block"), [("cifar_resnet8", "basic"), ("cifar_resnet11", "bottleneck")])
def test_every_network_quantizes_with_pt2e_close_to_fp32(name: str, block: str, module: str, one_thread: None):
    network = _network(name, block, module)
    x = torch.randn(4, 3, 32, 32)
    quantized = int8.quantize_pt2e(network, x, int8.calibration_batches(x, images=8))
    expected = network(x)
    assert int8.agreement(quantized(x), expected) >= int8.MIN_AGREEMENT
    # the graph really is quantized: int8 quantize/dequantize pairs around the convolutions
    targets = {str(node.target) for node in quantized.graph.nodes if node.op == "call_function"}
    assert any("quantize_per_tensor" in target for target in targets), sorted(targets)[:10]


def test_a_retrofitted_torchvision_resnet_quantizes(one_thread: None):
    """torchvision's blocks share one ReLU module, which PT2E refuses ("more than one output node");
    retrofit gives each use its own stateless ReLU, keeping every state-dict key."""
    torch.manual_seed(0)
    reference = torchvision.models.resnet18()
    keys = set(reference.state_dict())
    network = retrofit(reference, "eca").eval()
    assert {k for k in network.state_dict() if ".attention." not in k} == keys
    x = torch.randn(2, 3, 32, 32)
    quantized = int8.quantize_pt2e(network, x, int8.calibration_batches(x, images=4))
    assert int8.agreement(quantized(x), network(x)) >= int8.MIN_AGREEMENT


@pytest.mark.parametrize(("engine", "module"), [("compile", "se"), ("openvino", "multise")])
def test_int8_engines_are_checked_against_fp32_and_faithful(engine: str, module: str, one_thread: None):
    options = EngineOptions(precision="int8", threads=1)
    ok, reason = engine_status(engine, options)
    if not ok:
        pytest.skip(reason)
    network = _network("cifar_resnet8", "basic", module)
    x = torch.randn(2, 3, 32, 32)
    prepared, difference = prepare_verified(engine, network, x, options)
    assert 0 < difference < 1  # int8 differs from fp32, a little
    expected = reference_output(_network("cifar_resnet8", "basic", module), x)
    flipped = type(prepared)(prepared.engine, lambda v: -prepared.run(v), prepared.example)
    with pytest.raises(AssertionError, match="cosine"):
        verify_against_eager(flipped, expected, "int8")


def test_int8_is_refused_with_a_reason_where_it_is_not_measured():
    ok, reason = engine_status("eager", EngineOptions(precision="int8"))
    assert not ok and "compile" in reason and "openvino" in reason
    ok, reason = engine_status("onnxruntime", EngineOptions(precision="int8"))
    assert not ok and "int8" in reason
    ok, reason = engine_status("compile", EngineOptions(device="cuda", precision="int8"))
    assert not ok
    with pytest.raises(EngineUnavailable, match="int8"):
        network = _network("cifar_resnet8", "basic", "se")
        prepare("eager", network, torch.randn(1, 3, 32, 32), EngineOptions(precision="int8"))


def test_int8_engines_come_from_the_registry_and_name_their_quantizer():
    """The int8 engines are those whose precisions include int8; each tells a reader what quantized it."""
    from attnlib import names
    from attnlib.bench.engines import ENGINES, INT8_ENGINES
    from attnlib.reproduce.int8 import engine_words

    assert INT8_ENGINES == tuple(name for name, spec in ENGINES.items() if "int8" in spec.precisions)
    assert set(INT8_ENGINES) == {"compile", "openvino"}
    assert engine_words("openvino") == "OpenVINO (NNCF)"
    assert engine_words("compile") == "torch.compile (PT2E)"
    assert all(spec.words() == names.ENGINE_TITLES[name] for name, spec in ENGINES.items())
    assert set(names.ENGINE_TITLES) == set(ENGINES) and set(names.ENGINE_QUANTIZERS) == set(INT8_ENGINES)


def test_calibration_batches_are_seeded_and_shaped_like_the_example():
    example = torch.zeros(4, 3, 8, 8)
    batches = int8.calibration_batches(example, images=10)
    assert len(batches) == 3 and all(b.shape == example.shape for b in batches)
    torch.testing.assert_close(batches[0], int8.calibration_batches(example, images=10)[0])
    assert int8.agreement(torch.ones(3), torch.ones(3)) == pytest.approx(1.0)
    with pytest.raises(AssertionError, match=r"0\.99"):
        int8.check_agreement(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]))


def _summary(rows: list[tuple[str, str, str, float, float]], spread: float | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["engine", "precision", "attention", "overhead_min_pct", "min_ms"])
    if spread is not None:  # a 95 % interval of +-spread points around each overhead
        frame = frame.assign(ci_low_pct=frame.overhead_min_pct - spread, ci_high_pct=frame.overhead_min_pct + spread)
    return frame.assign(model="resnet18", batch_size=1)


KNOWN = [
    ("compile", "fp32", "baseline", 0.0, 10.0),
    ("compile", "fp32", "se", 5.0, 10.5),
    ("compile", "fp32", "eca", 4.0, 10.4),
    ("compile", "int8", "baseline", 0.0, 4.0),
    ("compile", "int8", "se", 12.0, 4.5),
    ("compile", "int8", "eca", 3.0, 4.1),
]


def test_the_lower_precision_claim_is_counted_from_a_known_summary():
    from attnlib.reproduce import int8 as chapter

    summary = _summary(KNOWN)
    comparison = chapter.overhead_comparison(summary)
    claim = chapter.precision_claim(comparison)
    assert (claim["cases"], claim["higher"], claim["clearly_higher"]) == (2, 1, None)
    assert claim["speedup"] == pytest.approx(2.5) and claim["median_change"] == pytest.approx(3.0)
    sentence = chapter.claim_sentence(claim, "a test CPU")
    assert "holds only in part" in sentence and "1 of 2" in sentence and "interval" not in sentence
    summary.loc[summary.attention == "eca", "overhead_min_pct"] = [4.0, 9.0]
    assert "claim holds" in chapter.claim_sentence(chapter.precision_claim(chapter.overhead_comparison(summary)), "x")
    assert "Not testable" in chapter.claim_sentence({"cases": 0}, "x")


@pytest.mark.parametrize(
    ("spread", "verdict", "separated"),
    [
        (0.4, "holds only in part", (1, 1)),  # se +7 and eca -1 both beyond the intervals
        (3.0, "holds", (1, 0)),  # eca's -1 is within the noise, se's +7 is not
        (4.0, "cannot be told from the timing noise", (0, 0)),
    ],
)
def test_the_claim_counts_only_differences_beyond_both_intervals(spread, verdict, separated):
    from attnlib.reproduce import int8 as chapter

    claim = chapter.precision_claim(chapter.overhead_comparison(_summary(KNOWN, spread)))
    assert (claim["clearly_higher"], claim["clearly_lower"]) == separated
    sentence = chapter.claim_sentence(claim, "a test CPU")
    assert f"claim {verdict} for int8" in sentence and "95 % intervals" in sentence


def test_the_accuracy_verdict_names_a_network_that_loses_half_a_point():
    from attnlib.reproduce import int8 as chapter

    rows = [
        ("k1", "se", "eager", "fp32", 90.0, 1.0),
        ("k1", "se", "compile", "int8", 89.9, 0.99),
        ("k2", "srm", "eager", "fp32", 91.0, 1.0),
        ("k2", "srm", "compile", "int8", 90.8, 0.98),
    ]
    frame = pd.DataFrame(rows, columns=["key", "module", "engine", "precision", "top1", "same"])
    frame = frame.assign(network="cifar_resnet14", block="basic")
    assert "torch.compile (PT2E): every module survives int8" in chapter.accuracy_sentence(frame)
    table = chapter.accuracy_table(frame)
    assert table["int8 torch.compile (PT2E) (%)"].tolist() == ["89.90 (-0.10)", "90.80 (-0.20)"]
    frame.loc[3, "top1"] = 90.0
    sentence = chapter.accuracy_sentence(frame)
    assert "1 of 2 networks lose" in sentence and "SRM" in sentence and "-1.00" in sentence


def test_the_accuracy_table_names_a_deeper_baseline_and_old_records_read_as_the_short_campaign():
    from attnlib.reproduce import fashion
    from attnlib.reproduce import int8 as chapter

    rows = [
        ("k1", "compare", "cifar_resnet8", "baseline", "eager", "fp32", 92.0),
        ("k2", "deeper", "cifar_resnet14", "baseline", "eager", "fp32", 92.5),
    ]
    frame = pd.DataFrame(rows, columns=["key", "part", "network", "module", "engine", "precision", "top1"])
    table = chapter.accuracy_table(frame.assign(block="basic", same=1.0))
    assert table.Module.tolist() == ["Baseline", "Baseline (deeper network)"]
    assert chapter.accuracy_table(frame.drop(columns="part").assign(block="basic")).Module.tolist() == ["Baseline"] * 2
    assert chapter.record_campaign({}) == fashion.SHORT  # made before the converged campaign existed
    assert chapter.record_campaign({"campaign": fashion.CONVERGED}) == fashion.CONVERGED


def test_the_page_shows_the_newest_accuracy_record_of_each_campaign_converged_first(scratch_data, monkeypatch):
    import json

    from attnlib.reproduce import fashion
    from attnlib.reproduce import int8 as chapter

    folder = scratch_data / "results" / chapter.ACCURACY_KIND
    # the short campaign's record, made before records named their campaign
    (old,) = [path for path in sorted(folder.glob("*.json")) if "campaign" not in json.loads(path.read_text())]
    for stamp, top1 in (("20301231T000000000000Z", 90.0), ("20311231T000000000000Z", 93.0)):
        record = {**json.loads(old.read_text()), "campaign": fashion.CONVERGED, "date": stamp}
        twin = folder / f"{chapter.ACCURACY_KIND}-cpu-{stamp}"
        twin.with_suffix(".json").write_text(json.dumps(record))
        frame = pd.read_csv(old.with_suffix(".csv")).assign(top1=top1)
        frame.to_csv(twin.with_suffix(".csv"), index=False)
    real = fashion.committed_finals

    def finals(profile, root=None, campaign=fashion.CONVERGED):
        # the converged campaign's committed runs end where the newest record's networks do
        if campaign == fashion.CONVERGED:
            return pd.DataFrame({"key": pd.read_csv(old.with_suffix(".csv")).key.unique(), "top1": 93.0})
        return real(profile, root, campaign=campaign)

    monkeypatch.setattr(fashion, "committed_finals", finals)
    shown = chapter.newest_accuracy_records()
    assert [campaign for campaign, _, _ in shown] == [fashion.CONVERGED, fashion.SHORT]
    assert set(shown[0][1].top1) == {93.0} and shown[1][2].get("campaign") is None
    assert shown[0][1].attrs["superseded"] == 0 == shown[1][1].attrs["superseded"]


def test_networks_retrained_since_a_record_are_left_out_of_it(monkeypatch):
    from attnlib.reproduce import fashion
    from attnlib.reproduce import int8 as chapter

    rows = [
        (key, engine, precision, top1)
        for key, top1 in (("a", 93.05), ("b", 92.03), ("c", 92.8))
        for engine, precision in (("eager", "fp32"), ("compile", "int8"))
    ]
    frame = pd.DataFrame(rows, columns=["key", "engine", "precision", "top1"])
    # "a" was retrained on a longer schedule (it ends elsewhere now); "c" has no matching run today
    finals = pd.DataFrame({"key": ["a", "b"], "top1": [93.91, 92.0299997]})
    monkeypatch.setattr(fashion, "committed_finals", lambda profile, root=None, campaign=None: finals)
    kept = chapter.current_networks(frame, fashion.CONVERGED)
    assert sorted(set(kept.key)) == ["b"] and len(kept) == 2 and kept.attrs["superseded"] == 2
