"""Table 3's question re-tested on the campaign's retrofit runs: each module inserted into the pretrained
baseline and fine-tuned, against the baseline fine-tuned alone, paired by seed — or, with one seed, over
the test images both networks were evaluated on."""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd

from attnlib.attention import BASELINE, available, display_name
from attnlib.names import counted
from attnlib.reproduce.claims import CANNOT_TELL, DOES_NOT_HOLD, HOLDS, NOT_TESTABLE
from attnlib.reproduce.fashion.settings import CONVERGED, retrofit_rows, settings_of
from attnlib.reproduce.fashion.statements import Statement
from attnlib.stats import interval_side, interval_text, mean_interval, paired_correct_interval


def retrofit_gains(finals: pd.DataFrame, profile: str, campaign: str = CONVERGED) -> pd.DataFrame:
    """Per fine-tuning schedule, each retrofitted module's top-1 over the baseline fine-tuned alone on the
    same schedule, with its 95 % interval (:func:`paired_difference`): the retrofit study's figure.

    Columns: schedule (in words), attention, identity_init, gain, low, high, seeds, interval (what the
    interval is over: ``seeds``, ``test images`` or empty).
    """
    columns = ["schedule", "attention", "identity_init", "gain", "low", "high", "seeds", "interval"]
    data = finals[finals.part == "retrofit"] if len(finals) else finals
    rows = []
    for schedule in settings_of(profile, campaign).finetune:
        ran = data[data.schedule == schedule.name] if len(data) else data
        if ran.empty:
            continue
        plain = ran[~ran.identity_init.astype(bool)]
        base = plain[plain.attention == BASELINE]
        for module, identity_init in retrofit_rows():
            if module == BASELINE:
                continue
            inserted = ran[(ran.identity_init.astype(bool) == identity_init) & (ran.attention == module)]
            difference = paired_difference(inserted, base)
            if difference is None:
                continue
            label = f"{schedule.paper_name} → {counted(schedule.epochs, 'epoch')}"
            rows.append([label, module, identity_init, *difference])
    return pd.DataFrame(rows, columns=columns)


TEST_IMAGES = "test images"
"""What a one-seed comparison's interval is over: the test images both runs were evaluated on."""


def paired_difference(runs: pd.DataFrame, reference: pd.DataFrame) -> tuple[float, float, float, int, str] | None:
    """``runs``' top-1 minus ``reference``'s, paired by seed: mean, 95 % interval, seeds, and what the
    interval is over. Two seeds or more: over seeds (Student's t). One seed whose two records kept which
    test images they got right: over the test images (:func:`~attnlib.stats.paired_correct_interval`; it
    leaves out seed-to-seed variation). Else the mean alone (NaN bounds). None when no seed pairs."""
    from attnlib.train.records import unpack_mask

    paired = runs.set_index("seed").top1.sub(reference.set_index("seed").top1).dropna()
    if paired.empty:
        return None
    if len(paired) > 1:
        return (*mean_interval(paired), len(paired), "seeds")
    seed = paired.index[0]
    masks = [frame[frame.seed == seed].get("test_correct") for frame in (reference, runs)]
    if all(mask is not None and isinstance(mask.iloc[0], dict) for mask in masks):
        mean, low, high = paired_correct_interval(*(unpack_mask(mask.iloc[0]) for mask in masks))
        return mean, low, high, 1, TEST_IMAGES
    return float(paired.iloc[0]), math.nan, math.nan, 1, ""


def _paired_texts(
    pairs: list[tuple[str, tuple[float, float, float, int, str] | None]],
) -> tuple[list[str], list[bool], list[bool], int]:
    """Per module, its :func:`paired_difference`: in words, whether it is clearly above zero and clearly
    below (its 95 % interval; with one seed and no interval, neither), and how many modules have no
    interval."""
    texts, above, below, single = [], [], [], 0
    for module, difference in pairs:
        if difference is None:
            texts.append(f"{display_name(module)} not run yet")
            continue
        mean, low, high, _, over = difference
        where = " over the test images, one seed" if over == TEST_IMAGES else ""
        texts.append(f"{display_name(module)} {interval_text(mean, low, high, '')}".replace(")", f"{where})", 1))
        single += math.isnan(low)
        above.append(interval_side(low, high) == 1)
        below.append(interval_side(low, high) == -1)
    return texts, above, below, single


def _some_verdict(above: list[bool], below: list[bool], modules: int, single: int = 0) -> str:
    """A verdict over ``modules`` modules, of which ``len(above)`` have runs: all clearly better, some,
    none (and whether that is only noise); said to be incomplete while runs are missing, and which modules
    have one seed and no interval (their sign alone decides nothing)."""
    if not above:
        return f"{NOT_TESTABLE} (runs missing)"
    if all(above):
        found = HOLDS
    elif any(above):
        found = f"{HOLDS} for some modules ({sum(above)} of {len(above)})"
    elif any(below):
        found = f"{DOES_NOT_HOLD} (it is worse for {sum(below)} of {len(below)} modules)"
    else:
        found = f"{CANNOT_TELL} (every difference is within the noise of these runs)"
    if single:
        found += f"; {counted(single, 'module')} with one seed and no interval, which decides nothing"
    return found if len(above) == modules else f"{found}; so far {len(above)} of {modules} modules run"


def retrofit_statements(finals: pd.DataFrame, profile: str, campaign: str = CONVERGED) -> list[Statement]:
    """Table 3's question on real images, paired by seed on the longest fine-tuning schedule: does
    retrofitting help (each module against the baseline fine-tuned alone)? Does identity-init help a
    sigmoid module right after insertion (top-1 before any fine-tuning), and after fine-tuning (against
    the same module inserted plainly)?"""
    data = finals[finals.part == "retrofit"] if len(finals) else finals
    settings = settings_of(profile, campaign)
    longest = settings.finetune[-1]
    claims = [
        Statement(
            "Fine-tuning a pretrained network with inserted modules beats fine-tuning it without them (Sect. 4.2; "
            "modules inserted as the paper does, without identity-init)",
            "",
            "",
        ),
        Statement("Identity-init (the paper's untested suggestion) helps a sigmoid module after insertion", "", ""),
        Statement("Identity-init still helps after fine-tuning (against the same module inserted without it)", "", ""),
    ]
    if data.empty or data[data.schedule == longest.name].empty:
        return [replace(c, evidence="the retrofit runs are not done yet", verdict=NOT_TESTABLE) for c in claims]
    last = data[data.schedule == longest.name]
    after = f"after {longest.paper_name} (scaled to {counted(longest.epochs, 'epoch')}), paired by seed: "
    plain, identity = last[~last.identity_init.astype(bool)], last[last.identity_init.astype(bool)]
    base = plain[plain.attention == BASELINE]

    def of(runs: pd.DataFrame, module: str) -> pd.DataFrame:
        return runs[runs.attention == module]

    texts, above, below, single = _paired_texts([(m, paired_difference(of(plain, m), base)) for m in available()])
    verdict = _some_verdict(above, below, len(available()), single)
    first = replace(claims[0], evidence=after + "; ".join(texts), verdict=verdict)
    sigmoid = [m for m, with_identity in retrofit_rows() if with_identity]  # the modules identity-init applies to
    inits = data.dropna(subset=["initialized_top1"]).groupby(["attention", "identity_init"]).initialized_top1.mean()
    words, better = [], []
    for module in sigmoid:
        if (module, True) in inits.index and (module, False) in inits.index:
            words.append(f"{display_name(module)} {inits[(module, False)]:.1f} → {inits[(module, True)]:.1f} %")
            better.append(inits[(module, True)] > inits[(module, False)])
    second = replace(
        claims[1],
        evidence="top-1 right after insertion, plain → identity-init: " + "; ".join(words) if words else "no runs yet",
        verdict=(HOLDS if better and all(better) else DOES_NOT_HOLD) if words else f"{NOT_TESTABLE} (runs missing)",
    )
    pairs = [(m, paired_difference(of(identity, m), of(plain, m))) for m in sigmoid]
    texts, above, below, single = _paired_texts(pairs)
    against_base, *_ = _paired_texts([(m, paired_difference(of(identity, m), base)) for m in sigmoid])
    third = replace(
        claims[2],
        evidence=after + "identity-init minus plain: " + "; ".join(texts) + ". Against the baseline fine-tuned "
        "alone, the modules with identity-init: " + "; ".join(against_base),
        verdict=_some_verdict(above, below, len(sigmoid), single),
    )
    return [first, second, third]


RETROFIT_KEYS = ("retrofit/plain", "retrofit/identity-at-insertion", "retrofit/identity-after-fine-tuning")
