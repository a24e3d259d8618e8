"""The reproduction scorecard: complete over the paper's tables, statuses computed from the records."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from attnlib import paper
from attnlib.provenance import provenance
from attnlib.reproduce import scorecard
from attnlib.reproduce.scorecard.claims import _range_status
from attnlib.results import write_record

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def card() -> pd.DataFrame:
    return scorecard.scorecard()


def row(card: pd.DataFrame, part: str, item: str) -> pd.Series:
    match = card[(card.part == part) & (card.item == item)]
    assert len(match) == 1, f"{part} / {item}: {len(match)} rows"
    return match.iloc[0]


def test_every_table_cell_and_claim_of_the_paper_has_a_row(card):
    expected = {
        "Table 1": 2 * len(paper.load("table1")) + 1,  # + the erratum of its caption
        "Table 3": len(paper.load("table3")) + 1,  # + the erratum of its header
        "Table 4": 2 * len(paper.load("table4")),
        "Table 5": len(paper.load("table5")),
    }
    table2 = paper.load("table2")
    expected["Table 2"] = 4 * len(table2) + 2 * (table2.module != "baseline").sum() + 1  # + the FLOPs-rule erratum
    for part, count in expected.items():
        assert (card.part == part).sum() == count, part
    assert set(paper.load("figure_claims").statement) <= set(card.item)
    assert (card.part == "Text").sum() == len(paper.load("text"))
    assert set(card.status) <= set(scorecard.STATUSES)
    assert sum(scorecard.counts(card).values()) == len(card)
    assert card.chapter.ne("").all(), card[card.chapter.eq("")].part.unique()


def test_counts_reproduce_table_2_and_mark_its_errata(card):
    assert row(card, "Table 2", "ResNet-50 SE · params_m").status == "reproduced"
    assert row(card, "Table 2", "ResNet-18 Multi-SE · flops_g").status == "reproduced"
    swapped = row(card, "Table 2", "ResNet-18 SE · params_m")
    assert swapped.status == "paper's erratum" and "11.78" in swapped.note
    assert abs(swapped.ours - 11.78) < 0.005  # what the network has: the corrected value
    assert row(card, "Table 3", "header of the last column · schedule").status == "paper's erratum"


def text_item(key: str) -> str:
    """The scorecard's item for a claim of the text: its quantity in words and its source (no key)."""
    claim = paper.load("text").set_index("claim").loc[key]
    return f"{claim.quantity[0].upper()}{claim.quantity[1:]} ({claim.source})"


def test_protocol_claims_read_the_paper_profile(card):
    assert row(card, "Text", text_item("cifar_epochs")).ours == "164"
    assert row(card, "Text", text_item("modules_resnet152")).status == "reproduced"
    lr_steps = row(card, "Text", text_item("cifar_lr_steps"))
    assert lr_steps.status == "reproduced" and lr_steps.ours == "81, 122"
    assert lr_steps.chapter == "table1_cifar"
    assert row(card, "Text", text_item("bdd_epochs")).chapter == "table5_bdd100k"


def test_accuracy_cells_wait_for_records_and_say_what_they_need(card):
    cell = row(card, "Table 2", "ResNet-50 ECA · top1")
    assert cell.status == "not run here" and "ImageNet" in cell.note and pd.isna(cell.ours)


def _commit_cifar_run(data: Path, top1: float, profile: str = "paper") -> None:
    history = pd.DataFrame([{"epoch": 163, "top1": top1, "top5": 99.9, "train_loss": 0.01}]).assign(
        dataset="cifar10", model="cifar_resnet56", block="basic", attention="se", seed=0
    )
    write_record("cifar", f"cifar10-se-{top1}-{profile}", history, provenance(profile), root=data / "results")


def test_a_committed_run_record_changes_the_status(scratch_data):
    item = "cifar10 · basic · SE · top1"
    printed = float(
        paper.load("table1").query("dataset == 'cifar10' and block == 'basic' and module == 'se'").top1.iloc[0]
    )
    before = scorecard.table1_entries()
    assert next(r for r in before if r["item"] == item)["status"] == "not run here"

    _commit_cifar_run(scratch_data, printed - 3.0, profile="default")  # not the paper's protocol: ignored
    assert next(r for r in scorecard.table1_entries() if r["item"] == item)["status"] == "not run here"

    _commit_cifar_run(scratch_data, printed - 0.2)
    within = next(r for r in scorecard.table1_entries() if r["item"] == item)
    assert within["status"] == "reproduced" and within["difference"] == pytest.approx(-0.2)

    _commit_cifar_run(scratch_data, printed - 2.2)  # the mean of two seeds: printed - 1.2
    apart = next(r for r in scorecard.table1_entries() if r["item"] == item)
    assert apart["status"] == "differs" and apart["ours"] == pytest.approx(printed - 1.2)
    card = scorecard.scorecard()
    assert row(card, "Table 1", item).status == "differs"


def test_a_gpu_latency_record_fills_table_2s_timing_cells(scratch_data):
    table2 = paper.load("table2")
    rows = []
    for item in table2.itertuples():
        base = float(table2[(table2.depth == item.depth) & (table2.module == "baseline")].pytorch_ms.iloc[0])
        rows.append(
            {
                "variant": item.module,
                "model": f"resnet{item.depth}",
                "attention": item.module,
                "trials": 1000,
                "min_ms": item.pytorch_ms,
                "median_ms": item.pytorch_ms,
                "iqr_ms": 0.01,
                "overhead_min_pct": 100 * (item.pytorch_ms / base - 1) + (25.0 if item.module == "srm" else 0.0),
                "overhead_median_pct": 0.0,
                "ci_low_pct": 0.0,
                "ci_high_pct": 0.0,
                "max_abs_error_vs_eager": 0.0,
                "engine": "eager",
                "device": "cuda",
                "precision": "fp32",
                "resolution": 224,
                "batch_size": 1,
                "baseline": "baseline",
                "group": f"resnet{item.depth}",
            }
        )
    record = provenance("paper", experiment="fig3_depth", trials=1000, gpu="Test GPU")
    write_record("latency", "fig3_depth-cuda", pd.DataFrame(rows), record, root=scratch_data / "results")
    cells = {r["item"]: r for r in scorecard.table2_entries(paper.load("errata"))}
    assert cells["ResNet-50 SE · pytorch overhead (%)"]["status"] == "reproduced"
    assert cells["ResNet-50 SRM · pytorch overhead (%)"]["status"] == "differs"  # 25 points off
    tensorrt = cells["ResNet-50 SE · tensorrt overhead (%)"]
    assert tensorrt["status"] == "not run here" and "TensorRT" in tensorrt["note"]


@pytest.mark.parametrize(
    ("ours", "status"),
    [((6.0, 40.0), "reproduced"), ((4.0, 70.0), "reproduced"), ((0.8, 20.0), "differs"), ((6.0, 80.0), "differs")],
)
def test_a_range_claim_holds_when_ours_lies_within_the_widened_range(ours, status):
    assert _range_status(5, 50, ours) == status


@pytest.mark.parametrize(
    ("ours", "status"), [((6.0, 40.0), "holds on other hardware"), ((0.8, 20.0), "does not hold on other hardware")]
)
def test_a_range_measured_on_other_hardware_holds_or_not_there(ours, status):
    assert _range_status(5, 50, ours, paper_setting=False) == status


def test_the_headline_counts_every_status(card):
    text = scorecard.headline(card)
    numbers = scorecard.counts(card)
    assert f"{len(card)} numbers" in text
    assert all(str(count) in text for count in numbers.values())
    assert scorecard.by_part(card).to_numpy().sum() == len(card)


def test_the_real_image_section_reads_the_converged_campaign_with_all_its_checks(monkeypatch) -> None:
    """Once the converged comparison is complete the section reads it, with every check its verdicts rest on."""
    from attnlib.reproduce import fashion

    monkeypatch.setattr(fashion, "headline_campaign", lambda profile="default", root=None: fashion.CONVERGED)
    section = scorecard.real_data_section()
    claims = " ".join(section["The paper says"])
    assert "ResNet-8 (basic)" in claims and "ResNet-11 (bottleneck)" in claims
    assert "reaches at least 92.0 %" in claims and "instead of fp32" in claims
    assert set(section["Checked on"]) == {fashion.checked_on_text(fashion.CONVERGED)}


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ({"engine": "openvino", "ResNet": 50}, "OpenVINO, ResNet-50, AMD EPYC"),
        ({"engine": "eager fp16", "ResNet": 18}, "eager PyTorch fp16, ResNet-18, AMD EPYC"),
        ({"engine": "eager"}, "eager PyTorch, AMD EPYC"),
        ({}, "AMD EPYC"),
        ({"engine": "", "ResNet": float("nan")}, "AMD EPYC"),
    ],
)
def test_a_figure_claims_checks_say_which_engine_and_network_each_measured(row, words):
    # Fig. 6's claim is checked per engine and depth: joined in one scorecard cell (and on the front page)
    # the checks must be told apart by more than the machine
    from collections import namedtuple

    from attnlib.reproduce.scorecard.claims import _measured_where

    fields = namedtuple("Row", ["here", *row])
    assert _measured_where(fields("x", *row.values()), "AMD EPYC") == words


@pytest.mark.parametrize(
    ("low", "high", "words"), [(1.94, 11.0, "1.9–11.0"), (-8.44, 15.7, "-8.4 to 15.7"), (-3.0, -1.0, "-3.0 to -1.0")]
)
def test_a_measured_range_that_begins_below_zero_is_said_with_to(low, high, words) -> None:
    from attnlib.reproduce.scorecard.claims import measured_span

    assert measured_span(low, high) == words
