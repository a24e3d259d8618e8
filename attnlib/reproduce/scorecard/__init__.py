"""The reproduction scorecard: every number of the paper the book addresses, ours beside it, and a status.

One row per table cell of ``data/paper/table*.csv`` and per claim of ``text_claims.csv`` and
``figure_claims.csv``. Our value comes from the only sources the book trusts, read afresh on every
build, so the page updates itself when a run record is committed:

* counts (parameters, MACs, modules per network) from :mod:`attnlib.complexity` and the networks;
* the protocol (epochs, learning rates, trials…) from the ``paper`` profile's settings;
* accuracies and APs from committed run records made with the ``paper`` profile on real data
  (``data/results/``); other records — synthetic, short profiles — never count;
* latency from committed latency records, through the same checks the chapters print.

Statuses (:data:`STATUSES`) keep apart what was repeated from what was only tested elsewhere:

* on the paper's setting — the same kind of measurement (a count, a protocol setting, an accuracy on the
  paper's dataset, a GPU latency claim on a GPU record): **reproduced** (within the stated tolerance,
  :data:`TOLERANCES`) or **differs** (with both numbers);
* on other hardware — a statement the paper made from its GPU, tested on a CPU record: **holds on other
  hardware** or **does not hold on other hardware**;
* **paper's erratum** (``data/paper/errata.csv``: the printed value is wrong, the corrected one is
  shown) and **not run here** (with the reason: data, a GPU, TensorRT).

The Fashion-MNIST study's verdicts (another dataset) are a section of their own
(:func:`real_data_section`) and never counted with these.

One step per module: :mod:`.status`, :mod:`.tables`, :mod:`.claims`, :mod:`.card`, :mod:`.page`.
"""

from __future__ import annotations

from attnlib.reproduce.scorecard.card import counts, errata_entries, scorecard
from attnlib.reproduce.scorecard.claims import (
    DATA_CLAIMS,
    TEXT_CHAPTERS,
    figure_claim_entries,
    text_chapter,
    text_claim_entries,
)
from attnlib.reproduce.scorecard.page import (
    SHARED_NOTE,
    STATUS_COLOURS,
    by_part,
    headline,
    part_intro,
    part_table,
    plot_status,
    real_data_section,
    shared_notes,
    tolerance_table,
)
from attnlib.reproduce.scorecard.status import (
    CHAPTERS,
    DIFFERS,
    ERRATUM,
    FAILS_ELSEWHERE,
    HOLDS_ELSEWHERE,
    NEEDS,
    NOT_RUN,
    OTHER_HARDWARE,
    PAPER_SETTING,
    REPRODUCED,
    STATUSES,
    TOLERANCES,
    Tolerance,
    compare,
    entry,
)
from attnlib.reproduce.scorecard.tables import (
    table1_entries,
    table2_entries,
    table3_entries,
    table4_entries,
    table5_entries,
)

__all__ = [
    "CHAPTERS",
    "DATA_CLAIMS",
    "DIFFERS",
    "ERRATUM",
    "FAILS_ELSEWHERE",
    "HOLDS_ELSEWHERE",
    "NEEDS",
    "NOT_RUN",
    "OTHER_HARDWARE",
    "PAPER_SETTING",
    "REPRODUCED",
    "SHARED_NOTE",
    "STATUSES",
    "STATUS_COLOURS",
    "TEXT_CHAPTERS",
    "TOLERANCES",
    "Tolerance",
    "_range_status",
    "by_part",
    "compare",
    "counts",
    "entry",
    "errata_entries",
    "figure_claim_entries",
    "headline",
    "part_intro",
    "part_table",
    "plot_status",
    "real_data_section",
    "scorecard",
    "shared_notes",
    "table1_entries",
    "table2_entries",
    "table3_entries",
    "table4_entries",
    "table5_entries",
    "text_chapter",
    "text_claim_entries",
    "tolerance_table",
]
