"""The reader's pass: claims in words (no keys, booleans or ``nan``), scorecard statuses that keep the
paper's setting apart from other hardware, compact claim tables, and figure labels that never overlap."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from attnlib import paper
from attnlib.plots import label_overlaps, place_labels
from attnlib.reproduce import claims, scorecard


def test_claim_rows_become_sentences_without_keys_or_booleans() -> None:
    conclusions = pd.DataFrame(
        [
            {"claim": "ab_cheapest_eager", "paper says": "AB is cheapest", "here": "R18: AB", "holds": True},
            {"claim": "", "paper says": "AB is cheapest", "engine": "openvino", "here": "R18: ECA", "holds": False},
            {"claim": "x", "paper says": "needs fp16", "here": None, "holds": None, "why": "no fp16 record"},
            {"claim": "y", "paper says": "per depth", "ResNet": 50, "engine": "eager", "here": "ok", "holds": True},
        ]
    )
    table = claims.claims_table(conclusions, "AMD EPYC")
    assert list(table.columns) == list(claims.COLUMNS)
    assert list(table.Verdict) == [
        "holds",
        "does not hold (shown beside the paper's setting, not scored)",
        "not testable here (no fp16 record)",
        "holds",
    ]
    assert table.Here.iloc[1] == "openvino: R18: ECA" and table.Here.iloc[3] == "ResNet-50, eager: ok"
    html = claims.styled(table).to_html()
    for forbidden in ("ab_cheapest_eager", "True", "False", "nan", "None"):
        assert forbidden not in html, forbidden
    assert set(table["Checked on"]) == {"AMD EPYC"}


@pytest.mark.parametrize(
    ("holds", "expected"), [(True, "holds"), (False, "does not hold"), (None, "not testable here")]
)
def test_verdict_words(holds: bool | None, expected: str) -> None:
    assert claims.verdict(holds) == expected


def crowded_points(count: int = 18) -> list[tuple[float, float, str]]:
    """Points in two tight clusters, as the zoo's timm layers sit: naive labels pile up."""
    return [(1.0 + 0.02 * (i % 9), 10.0 + 0.05 * (i // 9) + 0.01 * i, f"timm layer {i}") for i in range(count)]


def crowded_axes() -> tuple[plt.Figure, plt.Axes, list[tuple[float, float, str]]]:
    """A figure whose axes hold :func:`crowded_points`, limits fixed, layout final."""
    figure, axis = plt.subplots(figsize=(5, 4))
    points = crowded_points()
    axis.scatter([p[0] for p in points], [p[1] for p in points])
    axis.set_xlim(0.5, 1.7)
    axis.set_ylim(9.0, 11.5)
    figure.tight_layout()
    return figure, axis, points


def test_naive_labels_overlap_so_the_check_can_fail() -> None:
    figure, axis, points = crowded_axes()
    for x, y, text in points:
        axis.annotate(text, (x, y), textcoords="offset points", xytext=(4, 3), fontsize=7)
    overlaps = label_overlaps(figure)
    assert overlaps
    figure.savefig(io.BytesIO(), format="png", dpi=110, bbox_inches="tight")  # as figure_markdown saves it
    assert label_overlaps(figure, drawn=True) == overlaps  # measured on that drawing: the same pairs
    plt.close(figure)


def test_placed_labels_never_overlap() -> None:
    figure, axis, points = crowded_axes()
    place_labels(axis, points)
    assert label_overlaps(figure) == []
    assert sorted(t.get_text() for t in axis.texts) == sorted(p[2] for p in points)
    plt.close(figure)


def test_a_book_figure_with_overlapping_labels_warns() -> None:
    from attnlib.plots import LabelOverlapWarning, figure_markdown

    figure, axis = plt.subplots(figsize=(5, 4))
    axis.set_xlim(0, 1)
    axis.text(0.5, 0.5, "first label")
    axis.text(0.51, 0.5, "second label")
    with pytest.warns(LabelOverlapWarning, match="first label"):
        figure_markdown(figure, "a test figure")


def card_rows(statuses: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        [scorecard.entry("Fig. 3", f"claim {i}", "holds on an RTX 2080 Ti", "x", s) for i, s in enumerate(statuses)]
    )


def test_headline_counts_other_hardware_apart_from_the_papers_setting() -> None:
    card = card_rows(
        [scorecard.REPRODUCED, scorecard.HOLDS_ELSEWHERE, scorecard.HOLDS_ELSEWHERE, scorecard.FAILS_ELSEWHERE]
    )
    text = scorecard.headline(card)
    assert "On the paper's setting: 1 reproduced, 0 differ." in text
    assert "2 hold there, 1 does not." in text and "0 paper's errata" in text
    one = scorecard.headline(card_rows([scorecard.DIFFERS, scorecard.HOLDS_ELSEWHERE, scorecard.ERRATUM]))
    assert "1 differs." in one and "1 holds there, 0 do not." in one and "1 paper's erratum;" in one


def test_cpu_records_test_figure_claims_on_other_hardware_only() -> None:
    card = pd.DataFrame(scorecard.figure_claim_entries())
    checked = card[card.status != scorecard.NOT_RUN]
    from attnlib.reproduce.latency import committed_records

    gpu = any(
        (record.device == "cuda").all()
        for experiment in ("fig3_depth", "fig5_resolution", "fig6_batch")
        for _h, _l, record in committed_records(experiment)
    )
    if gpu:
        pytest.skip("a GPU record is committed: its claims are on the paper's setting")
    assert len(checked) and set(checked.status) <= set(scorecard.OTHER_HARDWARE)
    # the item is the paper's statement in words, not its key
    keys = set(paper.load("figure_claims").claim)
    assert not keys & set(card["item"])


def test_compact_part_table_states_shared_notes_once() -> None:
    card = pd.DataFrame(
        [scorecard.entry("Table 1", f"cell {i}", 90.0 + i, note="needs CIFAR at the paper profile") for i in range(5)]
        + [scorecard.entry("Table 1", "odd one", 1.0, 1.5, scorecard.DIFFERS, note="its own reason")]
    )
    html = scorecard.part_table(card, "Table 1").to_html()
    assert "needs CIFAR" not in html and "its own reason" in html and "differs (+0.50)" in html
    assert "nan" not in html and "None" not in html
    assert "needs CIFAR at the paper profile" in scorecard.part_intro(card, "Table 1")
    headers = scorecard.part_table(card, "Table 1").data.columns
    assert list(headers) == ["item", "paper", "ours", "verdict"]


def test_module_colours_are_seaborns_colorblind_palette() -> None:
    import seaborn as sns

    from attnlib.plots import MODULE_ORDER, module_palette

    assert list(module_palette().values()) == sns.color_palette("colorblind", len(MODULE_ORDER))


@pytest.mark.parametrize(
    ("statuses", "words"),
    [
        (
            [scorecard.HOLDS_ELSEWHERE, scorecard.FAILS_ELSEWHERE, scorecard.FAILS_ELSEWHERE],
            "1 of its 3 GPU statements holds and 2 do not",
        ),
        (
            [scorecard.HOLDS_ELSEWHERE, scorecard.HOLDS_ELSEWHERE, scorecard.FAILS_ELSEWHERE],
            "2 of its 3 GPU statements hold and 1 does not",
        ),
    ],
)
def test_the_front_page_counts_the_gpu_statements_in_words_that_agree(statuses, words) -> None:
    from attnlib import findings

    assert words in findings.hardware_finding(card_rows(statuses)).text


@pytest.mark.parametrize(
    ("rank", "words"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (13, "13th"), (21, "21st"), (112, "112th")],
)
def test_a_rank_on_the_front_page_is_an_ordinal(rank, words) -> None:
    from attnlib.findings import _ordinal

    assert _ordinal(rank) == words


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("day_night", "day → night"),
        ("cifar10", "CIFAR-10"),
        ("top1", "top-1"),
        ("openvino", "OpenVINO"),
        ("initialized", "right after insertion"),
        ("2ep_lr0.001", "2 epochs at lr 0.001"),
        ("1ep_lr0.1", "1 epoch at lr 0.1"),
        ("20ep_lr0.01+20ep_lr0.001", "20 epochs at lr 0.01, then 20 at lr 0.001"),
        ("all", "all"),  # a key that is a word already
        (50, 50),
    ],
)
def test_a_key_is_shown_in_words(key, words) -> None:
    from attnlib.reader import key_words

    assert key_words(key) == words


def test_a_table_is_shown_in_words_at_every_level_and_the_computed_one_keeps_its_keys() -> None:
    from attnlib.reader import reader_labels

    layout = pd.DataFrame(
        [[43.9, 0.0, 30.1, 0.2]],
        index=pd.Index(["AB"], name="Method"),
        columns=pd.MultiIndex.from_product([["all", "day_night"], ["paper", "ours"]], names=["split", "source"]),
    )
    shown = reader_labels(layout)
    assert list(shown.columns.get_level_values(0).unique()) == ["all", "day → night"]
    assert shown.loc["AB", ("day → night", "ours")] == 0.2
    assert ("day_night", "ours") in layout.columns  # the chapter's own table is unchanged
    runs = pd.DataFrame({"split": ["day_night"], "module": ["multise"], "method": ["ibn"], "train_loss": [1.5]})
    shown = reader_labels(runs, values=("split", "module"))
    assert shown.iloc[0].tolist() == ["day → night", "Multi-SE", "ibn", 1.5]
    assert list(shown.columns) == ["split", "module", "method", "final training loss"]


def test_an_engine_setting_is_said_in_words_with_its_precision() -> None:
    from attnlib.names import setting_words

    assert setting_words("eager fp16") == "eager PyTorch fp16"
    assert setting_words("compile+graphs") == "torch.compile (CUDA graphs)"
    assert setting_words("openvino") == "OpenVINO"
