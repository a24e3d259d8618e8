"""The book's front page: what it found, in sentences computed from the committed records at build time.

Each :class:`Finding` is one topic — the scorecard's counts, the paper's GPU statements tested on CPUs,
what the modules cost on each engine, int8, the study on real images, the attention zoo and the advice
for the machines recorded — with the chapter that shows it. Every number in a finding is read from a
committed run record (:func:`attnlib.reproduce.latency.committed_records`), from the scorecard
(:mod:`attnlib.reproduce.scorecard`, its real-image section included) or from the paper's own tables
(``data/paper/``, labelled as the paper's); nothing is typed. :func:`allowed_numbers` collects every
number those sources hold, so that a page test can check the built page against them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from attnlib import paper
from attnlib.names import BASELINE, agreeing, label_words
from attnlib.reproduce import scorecard
from attnlib.reproduce.latency import by_setting, committed_records

NETWORK = "resnet50"  # the network the front page quotes (Table 2's and the advice page's)
STATUS_WORDS = {
    scorecard.HOLDS_ELSEWHERE: "holds on a CPU",
    scorecard.FAILS_ELSEWHERE: "does not hold on a CPU",
}


@dataclass(frozen=True)
class Finding:
    """One topic of the front page: a title, its sentences (MyST Markdown) and the chapter behind them."""

    title: str
    text: str
    chapter: str
    evidence: tuple[pd.DataFrame, ...] = ()
    """The tables its numbers were read from: record rows, the paper's rows, a chapter's computed verdicts."""

    def markdown(self) -> str:
        """The finding as a section of the page, ending with the link to its chapter."""
        return f"### {self.title}\n\n{self.text}\n\n→ {{doc}}`{self.chapter}`"


def _range(values: pd.Series, digits: int = 1) -> str:
    """``a–b`` of a series (one value when all round alike)."""
    low, high = f"{values.min():.{digits}f}", f"{values.max():.{digits}f}"
    return low if low == high else f"{low}–{high}"


def scorecard_finding(card: pd.DataFrame) -> Finding:
    """The scorecard's headline counts, the paper's setting apart from other hardware."""
    n = scorecard.counts(card)
    text = (
        f"Of the paper's **{len(card)} numbers and claims** that the book addresses, **{n[scorecard.REPRODUCED]} "
        f"were reproduced** on the paper's own setting and **{n[scorecard.DIFFERS]} "
        f"{'differs' if n[scorecard.DIFFERS] == 1 else 'differ'}**; "
        f"{n[scorecard.ERRATUM]} are errata of the paper (the printed value is wrong, with the evidence). "
        f"{n[scorecard.NOT_RUN]} are not run here: they need ImageNet, COCO or BDD100k, a GPU or TensorRT, which "
        "the machines that build this book do not have. " + _where_reproduced(card)
    )
    return Finding("What reproduced", text, "scorecard", (_counts_frame(card), scorecard.by_part(card)))


def _where_reproduced(card: pd.DataFrame) -> str:
    """Which parts of the paper the reproduced rows come from, and which parts are not run at all."""
    parts = scorecard.by_part(card)
    named = {part: "the paper's text" if part == "Text" else str(part) for part in parts.index}
    reproduced = [
        f"{named[part]} ({int(row[scorecard.REPRODUCED])})"
        for part, row in parts.iterrows()
        if row[scorecard.REPRODUCED]
    ]
    idle = [
        named[part] for part, row in parts.iterrows() if row.sum() == row[scorecard.NOT_RUN] + row[scorecard.ERRATUM]
    ]
    text = f"The reproduced rows are in {_listed(reproduced)}." if reproduced else "No row is reproduced yet."
    return text + (f" Nothing of {_listed(idle)} is run here yet." if idle else "")


def _ordinal(rank: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th`` … ``11th``, ``12th``, ``13th``, ``21st``."""
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    return f"{rank}{suffix}"


def _listed(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def hardware_finding(card: pd.DataFrame) -> Finding:
    """The paper's GPU statements tested on CPU records, one line each with our value."""
    tested = card[card.status.isin(list(STATUS_WORDS))]
    held = int((tested.status == scorecard.HOLDS_ELSEWHERE).sum())
    lines = [
        f"* *{row.item}* — **{STATUS_WORDS[row.status]}**: {row.ours} ({{doc}}`{row.chapter}`)"
        for row in tested.itertuples()
    ]
    text = (
        f"The paper measured latency on an RTX 2080 Ti. Tested on the CPU records committed here, "
        f"**{held} of its {len(tested)} GPU statements {'holds' if held == 1 else 'hold'} and "
        f"{agreeing(len(tested) - held, 'does not', 'do not')}** — evidence about how "
        "far they generalise, not a repetition of the GPU measurement:\n\n" + "\n".join(lines)
    )
    counts = pd.DataFrame([{"tested": len(tested), "held": held, "failed": len(tested) - held}])
    return Finding("The paper's GPU statements on a CPU", text, "scorecard", (tested, counts))


def engines_finding() -> Finding | None:
    """ResNet-50 at batch 1 on every engine, one line per machine of the committed depth sweeps, beside
    the paper's Table 2."""
    lines, evidence = [], []
    for hardware, _, record in committed_records("fig3_depth"):
        data = by_setting(record[(record.batch_size == 1) & (record.model == NETWORK)])
        parts = []
        for engine, part in data.groupby("engine", sort=False):
            base = part[part.variant == BASELINE].median_ms
            modules = part[part.variant != BASELINE].overhead_median_pct
            if base.empty or modules.empty:
                continue
            parts.append(
                f"{label_words(engine)} {base.iloc[0]:.1f} ms, the five modules adding {_range(modules)} % (median)"
            )
        if parts:
            lines.append(f"* On the {hardware}: " + "; ".join(parts) + ".")
            evidence.append(data)
    if not lines:
        return None
    table2 = paper.load("table2")
    printed = table2[table2.depth == 50].set_index("module")
    modules = printed.drop(index=BASELINE)
    text = (
        "Single-image ResNet-50 (224², fp32), per machine of the committed depth sweeps:\n\n"
        + "\n".join(lines)
        + "\n\nThe modules add almost no arithmetic, but real time, and how much depends on the engine. "
        f"The paper's RTX 2080 Ti (Table 2): {printed.loc[BASELINE].pytorch_ms:.2f} ms in PyTorch and "
        f"{_range(modules.pytorch_ms, 2)} ms with a module; {printed.loc[BASELINE].tensorrt_ms:.2f} ms in TensorRT "
        f"and {_range(modules.tensorrt_ms, 2)} ms with a module."
    )
    return Finding("What a module costs, per engine", text, "fig3_latency_depth", (*evidence, printed))


def int8_finding() -> Finding | None:
    """The paper's lower-precision claim re-tested in int8, one sentence per machine's committed record."""
    from attnlib.reproduce import int8

    sentences, claims = [], []
    for hardware, _, record in committed_records(int8.EXPERIMENT):
        claim = int8.precision_claim(int8.overhead_comparison(record))
        sentences.append(int8.claim_sentence(claim, hardware))
        claims.append(claim)
    if not sentences:
        return None
    # the evidence is the claims themselves: the counts and medians each sentence states, nothing more
    return Finding("int8 on a CPU", "\n\n".join(sentences), "fig3_latency_depth", (pd.DataFrame(claims),))


def real_images_finding() -> Finding | None:
    """The Fashion-MNIST study's verdicts (the scorecard's real-image section), counted and listed."""
    table = scorecard.real_data_section()
    if table.empty:
        return None
    verdicts = table["Verdict"].astype(str)
    counted = {word: int(verdicts.str.startswith(word).sum()) for word in ("holds", "does not hold", "cannot tell")}
    lines = [f"* {row['The paper says']} — **{row['Verdict']}**" for _, row in table.iterrows()]
    progress, under_way = _converged_progress()
    text = (
        f"The paper's accuracy statements re-tested on real images that every machine here can have "
        f"— {table['Checked on'].iloc[0]}: **{agreeing(counted['holds'], 'holds', 'hold')}, "
        f"{agreeing(counted['does not hold'], 'does not hold', 'do not hold')} and {counted['cannot tell']} "
        f"cannot be told** by these runs' 95 % intervals.{under_way}\n\n" + "\n".join(lines)
    )
    evidence = (table, pd.DataFrame([counted]), progress)
    return Finding("The study on real images", text, "beyond_fashion_mnist", evidence)


def _converged_progress() -> tuple[pd.DataFrame, str]:
    """How far the converged Fashion campaign is while the page quotes the short one: its committed and
    planned runs (as evidence) and a sentence saying the verdicts above will be replaced (empty once the
    converged campaign is the one quoted)."""
    from attnlib.reproduce import fashion

    if fashion.headline_campaign() == fashion.CONVERGED:
        return pd.DataFrame(), ""
    planned = fashion.runs("default")
    finals = fashion.committed_finals("default")
    trained_on = fashion.CAMPAIGN_WORDS[fashion.CONVERGED]
    progress = pd.DataFrame([{"done": len(finals), "planned": len(planned), "trained on": trained_on}])
    gains = fashion.gains(finals) if len(finals) else pd.DataFrame()
    return pd.concat([progress, gains[["network", "gain", "seeds"]]] if len(gains) else [progress]), (
        f" The converged campaign ({trained_on}) is under way, {len(finals)} of "
        f"{len(planned)} runs committed; its verdicts replace these once its module comparison is complete."
        + _gains_so_far(gains)
    )


def _gains_so_far(gains: pd.DataFrame) -> str:
    """What the converged comparison shows before it can decide anything: per network, the span of the
    modules' top-1 gains over the baseline (mean over the seeds committed) and how many seeds that is."""
    if gains.empty:
        return ""
    spans = []
    for network, part in gains.groupby("network", sort=False):
        low, high = part.gain.min(), part.gain.max()
        seeds = sorted({int(part.seeds.min()), int(part.seeds.max())})
        spans.append(
            f"{low:+.2f} to {high:+.2f} points on {network} ({'–'.join(map(str, seeds))} "
            f"{'seed' if seeds == [1] else 'seeds'})"
        )
    return (
        f" So far its modules' top-1 gains over their network's baseline span {_listed(spans)} — too few "
        "seeds to decide anything yet."
    )


def zoo_finding() -> Finding | None:
    """The attention zoo's committed records, one line per machine: the cheapest module per engine for
    ResNet-50 at batch 1, and how often a module's share of time exceeds its share of MACs."""
    from attnlib.reproduce import zoo

    lines, evidence = [], []
    for hardware, _, record in committed_records(zoo.EXPERIMENT):
        data = zoo.overhead_data(record, zoo.zoo_structure((50,)))
        single = data[(data.depth == 50) & (data.batch_size == 1)]
        rows = zoo.cheapest(single)
        if rows.empty:
            continue
        dearer = int((single.overhead_min_pct > single.macs_pct).sum())
        parts = [
            f"on {label_words(row.engine)} the cheapest of {row.modules} is {row.cheapest} ({row._5:+.1f} %)"
            + ("" if int(row._6) == 1 else f", AB {_ordinal(int(row._6))}")
            for row in rows.itertuples()
        ]
        share = f"every one of the {dearer}" if dearer == len(single) else f"{dearer} of the {len(single)}"
        lines.append(
            f"* On the {hardware} ({str(record.date.min())[:10]}): "
            + "; ".join(parts)
            + f". In {share} measurements a module's share of the time "
            "exceeds its share of the arithmetic."
        )
        evidence += [rows, pd.DataFrame([{"dearer": dearer, "measured": len(single)}])]
    if not lines:
        return None
    text = (
        "The paper's five modules beside timm's channel-attention layers, timed under one protocol (ResNet-50, "
        "batch 1):\n\n" + "\n".join(lines) + "\n\nThe chapter fits a cost model on MACs and passes over the "
        "feature map."
    )
    return Finding("The attention zoo", text, "beyond_attention_zoo", tuple(evidence))


def advice_finding() -> Finding | None:
    """The advice for ResNet-50 on every machine that left a committed record."""
    from attnlib.advice import committed_verdicts

    verdicts = committed_verdicts(NETWORK)
    if not verdicts:
        return None
    lines = [f"* From the {found.label.split(':', 1)[0]}: {found.sentence}" for found in verdicts]
    text = (
        "Whether a module beats simply using the next deeper ResNet (the paper's criterion), on each machine "
        "and engine recorded, with the paper's accuracy gains:\n\n" + "\n".join(lines)
    )
    # each sentence's numbers: its verdict table's, and the settings its record was timed at
    requests = pd.DataFrame(
        [{"batch": found.request.batch_size, "side": found.request.resolution} for found in verdicts]
    )
    evidence = (*(found.verdict for found in verdicts), requests)
    return Finding("Which module for the machines recorded", text, "beyond_advise", evidence)


def findings() -> list[Finding]:
    """Every finding the committed records support, in the order of the front page."""
    card = scorecard.scorecard()
    found = [scorecard_finding(card), hardware_finding(card)]
    for make in (engines_finding, int8_finding, real_images_finding, zoo_finding, advice_finding):
        finding = make()
        if finding is not None:
            found.append(finding)
    return found


def _counts_frame(card: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([{"rows": len(card), **scorecard.counts(card)}])


# Names that hold digits but are no numbers of a finding: networks, resolutions, GPUs, precisions, the
# paper's tables and figures, the intervals' level.
NAMES = re.compile(
    r"ResNet-\d+|\bR\d+\b|\d+²|RTX \d+ Ti|Table \d|Tables? \d(?:[–-]\d)?|Fig\. \d|95 %|\b(?:fp|int|bf)\d+\b|"
    r"CIFAR-\d+|BDD100k|Sect\. [\d.]+\d|top-\d|H\d00|A\d00|\d{4}-\d\d-\d\d\S*"
)
NUMBER = re.compile(r"\d{1,3}(?:[\u2009\u202f\u00a0]\d{3})+|\d+(?:\.\d+)?")


def numbers_in(text: str) -> set[str]:
    """Every number written in ``text`` as it is written (thousands' thin spaces dropped), names that hold
    digits (ResNet-50, 224², fp32, Table 2 …) left out."""
    return {re.sub(r"\s", "", match) for match in NUMBER.findall(NAMES.sub(" ", text))}


def allowed_numbers(found: list[Finding]) -> set[str]:
    """Every number the findings may show, as text: each evidence table's numeric cells at 0 to 3
    decimals and the numbers written in its text cells. A number on the page outside this set was
    typed, or computed from nothing the page names."""
    allowed: set[str] = set()
    for finding in found:
        for frame in finding.evidence:
            numeric = frame.select_dtypes("number").to_numpy().ravel()
            for value in numeric:
                if pd.notna(value):
                    allowed |= {f"{abs(float(value)):.{digits}f}" for digits in range(4)}
            text = frame.select_dtypes(exclude="number").astype(str).to_numpy().ravel()
            allowed |= numbers_in(" ".join(str(cell) for cell in text))
    return allowed
