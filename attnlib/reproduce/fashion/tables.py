"""The chapter's tables and sentences: the campaign's layout of Table 1 and Table 3, the gains in
words, how the schedule was sized, where the campaign stands, and the data's source."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from attnlib.attention import BASELINE, compared, display_name
from attnlib.names import TrainingSetting, counted
from attnlib.reproduce.claims import DOES_NOT_HOLD
from attnlib.reproduce.fashion.live import fashion_available
from attnlib.reproduce.fashion.rates import (
    CPU_PROCESSES,
    campaign_hours,
    forecast_hours,
    record_machine,
    throughput_rows,
)
from attnlib.reproduce.fashion.settings import (
    CONVERGED,
    PARTS,
    SHORT,
    FashionSettings,
    module_label,
    network_name,
    retrofit_rows,
    runs,
    schedule_words,
    settings_of,
)
from attnlib.reproduce.fashion.statements import PLATEAU_KEY, PLATEAU_POINTS, Statement
from attnlib.stats import interval_text

DEEPER_ROW = "Baseline (deeper network)"


def comparison_table(finals: pd.DataFrame) -> pd.DataFrame:
    """Table 1's layout on Fashion-MNIST: top-1 mean ± std over seeds per module (rows) and network (columns).

    A cell the study has no run for reads "—": the modules in a deeper baseline's column (those networks
    are trained as baselines only) and the deeper-baseline row in a compared network's column. A cell it
    has runs for elsewhere but not here yet reads "not run yet".
    """
    data = finals[finals.part.isin(("compare", "deeper"))]
    if data.empty:
        return pd.DataFrame()
    order = {name: index for index, name in enumerate(compared())}
    cells = {}
    for (network, module, part), group in data.groupby(["network", "attention", "part"], sort=False):
        std = group.top1.std(ddof=1) if len(group) > 1 else math.nan
        text = f"{group.top1.mean():.2f} ± {std:.2f}" if len(group) > 1 else f"{group.top1.mean():.2f}"
        row = display_name(module) if part == "compare" else DEEPER_ROW
        cells[(row, network)] = f"{text} ({counted(len(group), 'seed')})"
    table = pd.Series(cells).unstack()
    deeper_only = set(data.network[data.part == "deeper"]) - set(data.network[data.part == "compare"])
    for network in table.columns:
        outside = [row for row in table.index if (row == DEEPER_ROW) != (network in deeper_only)]
        table.loc[outside, network] = table.loc[outside, network].fillna("—")
    table = table.fillna("not run yet")
    rows = sorted(table.index, key=lambda r: order.get(next((m for m in compared() if display_name(m) == r), ""), 99))
    columns = list(dict.fromkeys(data.network))  # the campaign's order (basic first), not the alphabet's
    return table.reindex(index=rows, columns=columns)


def gains_display(table: pd.DataFrame) -> pd.DataFrame:
    """Gains with their intervals in words: one row per module, one column per network."""
    if table.empty:
        return table
    cells = table.assign(
        Module=table.attention.map(display_name),
        text=[interval_text(r.gain, r.low, r.high, "") for r in table.itertuples()],
    )
    table = cells.pivot_table(index="Module", columns="network", values="text", aggfunc="first", sort=False)
    return table.fillna("not run yet")


def retrofit_table(finals: pd.DataFrame, profile: str, campaign: str = CONVERGED) -> pd.DataFrame:
    """Table 3's layout on real images: top-1 right after insertion and after each fine-tuning schedule
    (mean ± std over seeds), one row per variant in the book's order; a cell without runs says so."""
    data = finals[finals.part == "retrofit"] if len(finals) else finals
    if data.empty:
        return pd.DataFrame()
    settings = settings_of(profile, campaign)
    columns = {s.name: f"{s.paper_name} → {counted(s.epochs, 'epoch')}" for s in settings.finetune}
    missing = "not run yet"
    rows = {}
    for module, identity_init in retrofit_rows():
        group = data[(data.attention == module) & (data.identity_init.astype(bool) == identity_init)]
        label = "Baseline (fine-tuned alone)" if module == BASELINE else module_label(module, identity_init)
        inserted = group.initialized_top1.dropna() if "initialized_top1" in group else pd.Series(dtype=float)
        row = {"inserted, not trained": f"{inserted.mean():.2f}" if len(inserted) else missing}
        for name, text in columns.items():
            cell = group[group.schedule == name].top1
            spread = f" ± {cell.std(ddof=1):.2f}" if len(cell) > 1 else ""
            row[text] = f"{cell.mean():.2f}{spread} ({counted(len(cell), 'seed')})" if len(cell) else missing
        rows[label] = row
    return pd.DataFrame(rows).T


BUDGET_HOURS = {SHORT: 6, CONVERGED: 24}
"""Hours of the 2-core machine each campaign was given (two runs at a time)."""


def plateau_decision(statement: Statement, profile: str, campaign: str = CONVERGED) -> str:
    """What a failed plateau check (a :func:`plateau_statements` statement) means for the comparison,
    and why the schedule was kept (empty when the check holds or has not run). Where each block type has
    its own schedule, the longer schedule's cost is that of the statement's block type alone."""
    if not statement.verdict.startswith(DOES_NOT_HOLD):
        return ""
    settings = settings_of(profile, campaign)
    block = _checked_block(statement, settings)
    doubled = campaign_hours(profile, 2, campaign=campaign, block=block)
    which = f"the {block} networks' schedule" if block else "the schedule"
    return (
        f"**{which[0].upper()}{which[1:]} stops short of the plateau, and the campaign keeps it.** A schedule that "
        f"passes this check is at least twice as long, and twice as long would cost about {doubled:.1f} hours of the "
        f"2-core CPU instead of the {_planned_text(profile, campaign)}.{_kept_schedule_text(settings)}"
    )


def plateau_decisions(statements: list[Statement], profile: str, campaign: str = CONVERGED) -> str:
    """:func:`plateau_decision` for every plateau check, as one text: where the checks of several block types
    fail, one paragraph says so, with each doubling's cost and both together, instead of one near-copy each."""
    failed = [s for s in statements if s.key.startswith(PLATEAU_KEY) and s.verdict.startswith(DOES_NOT_HOLD)]
    settings = settings_of(profile, campaign)
    blocks = [_checked_block(s, settings) for s in failed]
    if len(failed) < 2 or None in blocks:
        return "\n\n".join(filter(None, (plateau_decision(s, profile, campaign) for s in statements)))
    hours = [campaign_hours(profile, 2, campaign=campaign, block=block) for block in blocks]
    alone = ", ".join(f"the {block} networks' alone about {h:.1f}" for block, h in zip(blocks, hours, strict=True))
    both = campaign_hours(profile, 2, campaign=campaign)
    every = "both" if len(blocks) == 2 else "all"
    return (
        f"**The {' and the '.join(blocks)} networks' schedules {every} stop short of the plateau, and the campaign "
        f"keeps them.** A schedule that passes its check is at least twice as long. Doubling {alone}, {every} "
        f"together about {both:.1f}: the campaign would take that many hours of the 2-core CPU instead of the "
        f"{_planned_text(profile, campaign)}.{_kept_schedule_text(settings)}"
    )


def _checked_block(statement: Statement, settings: FashionSettings) -> str | None:
    """The block type whose schedule a plateau statement checks, where each block type has its own (a campaign
    with one schedule for all would lengthen all: None)."""
    if settings.block_epochs and statement.key.startswith(PLATEAU_KEY):
        return statement.key[len(PLATEAU_KEY) :]
    return None


def _planned_text(profile: str, campaign: str) -> str:
    """The planned hours and the budget they must fit, the end of a sentence on a longer schedule's cost."""
    now = campaign_hours(profile, campaign=campaign)
    budget = BUDGET_HOURS.get(campaign, 24)
    return f"{now:.1f} planned (each at the baselines' measured rates), past the {budget} hours this study was given"


def _kept_schedule_text(settings: FashionSettings) -> str:
    """Why smaller networks are no way out, and what a kept schedule still measures, and what it does not."""
    return (
        f"{_smallest_text(settings)} What it still measures, and what it does not: every module and its baseline "
        "train on the same images with the same seeds and the same schedule "
        f"({schedule_words(settings)}), so each gain below is paired and fair at *equal "
        'training budget* — it answers "which module helps most when training stops here". It does not '
        "answer the paper's question of what each module reaches when trained to convergence: a module that "
        "learns faster early is favoured here, and the gains may shrink (or change order) with longer training. "
        "The `paper` profile (the paper's 164 epochs on all 60 000 images, for a GPU) answers that."
    )


def _smallest_text(settings: FashionSettings) -> str:
    """Why smaller networks are no way out, where they are not: the compared networks already have one
    block per stage, the fewest a ResNet of their block type can have (empty otherwise)."""
    from attnlib.models import cifar_blocks_per_stage, depth_from_model

    compared_networks = list(settings.compared)
    if any(cifar_blocks_per_stage(depth_from_model(model), block) > 1 for model, block in compared_networks):
        return ""
    names = " and ".join(network_name(model, block) for model, block in compared_networks)
    return (
        f" Nor can the networks be made smaller in their depth: with one block per stage, {names} are the "
        "shallowest ResNets of their block types."
    )


def resized_text(settings: FashionSettings) -> str:
    """What the campaign gave up to fit its budget, in a sentence (empty when nothing): fewer seeds of the
    deeper baselines or of the retrofits than of the module comparison."""
    cuts = []
    if len(settings.deeper_seed_list) < len(settings.seeds):
        cuts.append(f"{counted(len(settings.deeper_seed_list), 'seed')} of each deeper baseline")
    if len(settings.retrofit_seeds) < len(settings.seeds):
        cuts.append(
            f"{counted(len(settings.retrofit_seeds), 'seed')} of each retrofit"
            + (
                " (as the paper's Table 3), whose comparisons are decided over the test images: each run's record "
                "keeps which of them its network gets right"
                if len(settings.retrofit_seeds) == 1
                else ""
            )
        )
    return f" To fit the budget, the campaign trains {' and '.join(cuts)}." if cuts else ""


def schedule_text(profile: str, campaign: str = CONVERGED) -> str:
    """How the campaign's schedule was chosen, in sentences with its numbers."""
    settings = settings_of(profile, campaign)
    base = settings.base
    every = runs(profile, campaign=campaign)
    counts = {part: sum(run.part == part for run in every) for part in PARTS}
    networks = ", ".join(network_name(m, b) for m, b in settings.compared)
    deeper = ", ".join(network_name(m, b) for m, b in settings.deeper)
    finetune = ", ".join(f"{s.paper_name} → {s.epochs} epoch{'s' if s.epochs > 1 else ''}" for s in settings.finetune)
    images = (
        f"a fixed, class-balanced **{base.train_subset:,} of the 60 000** training images".replace(
            f"{base.train_subset:,}", f"{base.train_subset:,}".replace(",", " ")
        )
        if base.train_subset
        else "**all 60 000** training images"
    )
    arithmetic = (
        "in fp32"
        if base.precision == "fp32" and not base.channels_last
        else f"in {base.precision} autocast over fp32 weights"
        + (", channels_last" if base.channels_last else "")
        + (" and torch.compile" if base.compile else "")
    )
    checks = f"the plateau checks ({counted(counts['schedule'], 'run')})" + (
        f"; the fp32 precision check ({counts['precision']} runs)" if counts.get("precision") else ""
    )
    trade = (
        "Fewer images and epochs was the trade: at the measured throughput, the whole campaign fits in about "
        f"{BUDGET_HOURS[SHORT]} hours of this CPU running two runs at a time, one thread each."
        if campaign == SHORT
        else f"At the baselines' measured throughput the campaign was planned at "
        f"{campaign_hours(profile, campaign=campaign):.1f} hours of the 2-core CPU running two runs at a time, one "
        f"thread each; the modules train slower an epoch than their baselines, and with the runs' own epoch times "
        f"so far the whole campaign comes to {forecast_hours(profile, campaign):.1f} hours (budget "
        f"{BUDGET_HOURS[CONVERGED]} hours).{resized_text(settings)}"
    )
    return (
        f"**The {campaign} campaign** (profile `{profile}`): {networks}, each with the baseline and the five modules, "
        f"seeds {list(settings.seeds)} ({counts['compare']} runs); {checks}; the deeper baselines {deeper} "
        f"({counts['deeper']} runs); and the retrofit study ({counts['retrofit']} fine-tunings). Every run trains on "
        f"{images} at **{base.input_size}²** {arithmetic} for {schedule_words(settings)} (the paper's 81 and 122 "
        f"of 164, scaled) with the paper's CIFAR recipe — SGD, momentum {base.momentum}, weight decay "
        f"{base.weight_decay}, batch {base.batch_size}, lr {base.lr} — and is evaluated in fp32 on all 10 000 test "
        f"images every {base.eval_every} epochs and after the last. The fine-tuning schedules are the paper's, "
        f"scaled by this pretraining's length against ImageNet's 90 epochs: {finetune}. {trade}"
    )


def schedule_choice_text(trials: pd.DataFrame, profile: str, campaign: str = CONVERGED) -> str:
    """Why a block type trains longer than the campaign's base schedule, from the committed baselines
    trained at both lengths (:func:`~attnlib.reproduce.fashion.finals.schedule_trials`), paired by seed;
    empty when no block type was lengthened."""
    settings = settings_of(profile, campaign)
    short_epochs = settings.base.epochs
    texts = []
    for block, epochs in settings.block_epochs:
        if epochs == short_epochs:
            continue
        rows = trials[trials.block == block] if len(trials) else trials
        short = rows[rows.epochs == short_epochs].set_index("seed").top1 if len(rows) else pd.Series(dtype=float)
        long = rows[rows.epochs == epochs].set_index("seed").top1 if len(rows) else pd.Series(dtype=float)
        added = long.sub(short).dropna()
        head = f"**Why the {block} networks train {epochs} epochs, not {short_epochs}.**"
        if added.empty:
            texts.append(f"{head} No committed run compares the two lengths on the same seed.")
            continue
        network = str(rows.network.iloc[0])
        seeds = ", ".join(str(int(seed)) for seed in added.index)
        side = "more" if added.mean() >= PLATEAU_POINTS else "less"
        texts.append(
            f"{head} Trained {epochs} epochs instead of {short_epochs}, the baseline of {network} gained "
            f"{added.mean():+.2f} points ({counted(len(added), 'seed')}: {seeds}; {short[added.index].mean():.2f} → "
            f"{long[added.index].mean():.2f} %), {side} than the {PLATEAU_POINTS} points the plateau criterion "
            f"allows{' — one seed, so the reason is provisional' if len(added) < 2 else ''}. The {short_epochs}-epoch "
            f"records stay committed and are read only here; the {epochs}-epoch schedule's own plateau check "
            f"({epochs} against {epochs * settings.schedule_factor} epochs) is in the table above."
        )
    return "\n\n".join(texts)


def throughput_table(campaign: str = CONVERGED) -> pd.DataFrame:
    """The measured training throughput ``campaign``'s schedule was sized with."""
    return pd.DataFrame(throughput_rows(campaign))


def progress_text(plan: pd.DataFrame, hours_taken: float | None = None, machines: int = 1) -> str:
    """Where the committed campaign stands: runs done and the estimated CPU hours left (on the machine it
    was sized on); once all are done, how long they took (``hours_taken``: :func:`run_hours`, on
    ``machines`` machines — their speeds differ, so an overrun is only blamed on shared CPUs for one)."""
    done = int((plan.state == "done").sum())
    left = plan[plan.state != "done"]
    hours = left["CPU-hours (est.)"].sum() if "CPU-hours (est.)" in left else math.nan
    if done == len(plan):
        taken = ""
        if hours_taken:
            planned = plan["CPU-hours (est.)"].sum() if "CPU-hours (est.)" in plan else math.nan
            taken = (
                f" Their records' epoch times add up to {hours_taken:.1f} hours of one-thread runs: "
                f"{hours_taken / CPU_PROCESSES:.1f} hours of the 2-core CPU at two runs at a time"
            )
            if machines > 1:
                taken += (
                    f", on {machines} machines of different speed (the machines table gives each one's share; "
                    f"the plan's {planned:.1f} hours are the sizing machine's)"
                )
            elif not math.isnan(planned) and hours_taken / CPU_PROCESSES > 1.1 * planned:
                taken += (
                    f", against the plan's {planned:.1f} — many runs shared the CPU with other work, which slowed "
                    "them (each record keeps its images per second)"
                )
            taken += "."
        return f"**All {len(plan)} runs of the campaign are done** and their records committed.{taken}"
    return (
        f"**{done} of {len(plan)} runs are done** (records committed, or finished on the machine that built this "
        "page); "
        f"about {hours:.1f} CPU hours are left on the machine the campaign was sized on. The verdicts below use what "
        "is done and say when runs are missing. Continue with `attnlib reproduce fashion --commit` (it skips every "
        "run whose record is committed)."
    )


def data_text() -> str:
    """The dataset's source, Debian version and licence, and whether this machine has a checked copy."""
    from attnlib.train import fashion as fashion_data

    here = (
        "A checked copy is on the machine that built this page."
        if fashion_available()
        else "**The dataset is not on the machine that built this page** (`make data` fetches it); the committed "
        "records below were made where it was."
    )
    return (
        f"**Source**: {fashion_data.SOURCE} ({fashion_data.CITATION}); **package**: Debian "
        f"`{fashion_data.DEBIAN_PACKAGE}` {fashion_data.DEBIAN_VERSION}; **licence**: {fashion_data.LICENCE}. {here}"
    )


def checksum_table() -> pd.DataFrame:
    """The four files with their SHA-256 as shipped and of their content (checked before every use)."""
    from attnlib.train import fashion as fashion_data

    return fashion_data.checksum_table()


def checksum_display() -> Any:
    """:func:`checksum_table` for the page: no index, the 64-digit checksums in small monospace that may
    break anywhere, so the table stays within the text width instead of widening the whole page."""
    wrap = "word-break: break-all; font-family: monospace; font-size: 0.8em"
    return checksum_table().style.hide(axis="index").set_table_styles([{"selector": "td", "props": wrap}])


def shown_campaign_text(shown: str, chosen: bool = False, complete: bool | None = None) -> str:
    """Which campaign the chapter's main sections read, and why, in one sentence: the headline campaign
    (:func:`~attnlib.reproduce.fashion.finals.headline_campaign`), or the one the reader asked for with the
    page's ``campaign_shown`` parameter. ``complete``: whether the converged campaign's module comparison
    is complete (default: read from the committed records)."""
    from attnlib.reproduce.fashion.finals import headline_campaign

    if complete is None:
        complete = headline_campaign("default") == CONVERGED
    lead = f"**The sections from Table 1's question on read the {shown} campaign**"
    if chosen:
        caveat = (
            "; its module comparison is not complete yet, so its verdicts there are provisional"
            if shown == CONVERGED and not complete
            else ""
        )
        return f"{lead}, as this page was asked (its `campaign_shown` parameter){caveat}."
    if shown == CONVERGED:
        return (
            f"{lead}: every run of its module comparison is committed. The short campaign's verdicts stand beside "
            "them under *Verdicts that changed*."
        )
    return (
        f"{lead} (7 000 images, 15 epochs): the converged campaign's module comparison is not complete yet. Read "
        "them as what they are, verdicts on networks far from their plateau."
    )


PART_WORDS = {
    "compare": "module comparison",
    "schedule": "plateau checks (twice as long)",
    "precision": "fp32 precision check",
    "deeper": "deeper baselines",
    "retrofit": "retrofit study",
}
"""Each part of a campaign, for a reader, in the order the launcher takes them."""


def machines_table(plan: pd.DataFrame, profile: str = "default", campaign: str = CONVERGED) -> pd.DataFrame:
    """Which machine trained the runs the ``plan`` counts as done: per machine (its CPU, cores and
    whether it has native bf16, from each record's provenance) and training setting (precision, and how
    its steps ran: layout, compilation, the kernels of its bf16 convolutions), the runs, the epochs and
    the hours their records took, one thread each. The campaign runs in sittings on whatever machine a
    sitting gets; its epoch times, and so its hours, depend on it."""
    from attnlib.reproduce.fashion.execution import committed_records

    rows: dict[tuple[str, str], dict[str, Any]] = {}
    done = set(plan[plan.state == "done"].run)
    for key, (table, record) in committed_records(profile, campaign=campaign).items():
        if key not in done:
            continue
        machine = record_machine(record)
        setting = record_setting(record)
        row = rows.setdefault((machine, setting), {"machine": machine, "training setting": setting, "runs": 0,
                                                   "epochs": 0, "hours (one thread each)": 0.0})  # fmt: skip
        row["runs"] += 1
        row["epochs"] += len(table)
        row["hours (one thread each)"] += float(table.seconds.sum()) / 3600 if "seconds" in table else 0.0
    frame = pd.DataFrame(list(rows.values()))
    return frame.round({"hours (one thread each)": 1}) if not frame.empty else frame


def record_setting(record: dict[str, Any]) -> str:
    """The training setting a run's record says it trained with, in :class:`~attnlib.names.TrainingSetting`'s
    words (``bf16 + fp32_conv + channels_last``)."""
    return TrainingSetting.of_config(record.get("config") or {}).name


def progress_table(plan: pd.DataFrame, profile: str = "default", campaign: str = CONVERGED) -> pd.DataFrame:
    """Per part of the campaign (and in all): runs, runs done, the hours their committed records took
    (one thread each, and on the 2-core CPU at two runs at a time) and the estimated 2-core hours left —
    the campaign's wall time as it accrues, against its budget."""
    from attnlib.reproduce.fashion.execution import committed_records

    taken = {
        key: float(table.seconds.sum()) / 3600
        for key, (table, _) in committed_records(profile, campaign=campaign).items()
    }
    parts = plan.run.str.split("/").str[0]
    rows = []
    for part, words in [*PART_WORDS.items(), ("", "all")]:
        mine = plan if not part else plan[parts == part]
        if mine.empty:
            continue
        done = mine[mine.state == "done"]
        hours = sum(taken.get(key, 0.0) for key in done.run)
        left = mine[mine.state != "done"]
        estimate = left["CPU-hours (est.)"].sum() if "CPU-hours (est.)" in left else math.nan
        rows.append(
            {
                "part": words,
                "runs": len(mine),
                "done": len(done),
                "hours of the committed runs (one thread each)": round(hours, 1),
                "2-core hours taken (two at a time)": round(hours / CPU_PROCESSES, 1),
                "2-core hours left (estimate)": round(estimate, 1),
            }
        )
    return pd.DataFrame(rows)
