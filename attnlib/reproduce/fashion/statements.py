"""The paper's statements re-tested on the campaign's finals: each a claim, our evidence and a
verdict in words, decided by paired 95 % intervals (:mod:`attnlib.stats`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd

from attnlib.attention import BASELINE, available, compared, display_name
from attnlib.names import counted
from attnlib.reproduce.claims import COLUMNS, DOES_NOT_HOLD, HOLDS, NOT_TESTABLE
from attnlib.reproduce.fashion.settings import CONVERGED, DEEPER_LABEL, network_name, retrofit_rows, settings_of
from attnlib.stats import interval_text, mean_interval, paired_gains

PLATEAU_POINTS = 0.5  # a schedule is near the plateau when twice as long adds less than this (top-1 points)


@dataclass(frozen=True)
class Statement:
    """A statement re-tested on these runs: the claim in words, our evidence, the verdict in words."""

    claim: str
    evidence: str
    verdict: str

    def as_row(self) -> dict[str, str]:
        return {"The paper says": self.claim, "Here": self.evidence, "Verdict": self.verdict, "Checked on": CHECKED_ON}


CHECKED_ON = "Fashion-MNIST (this campaign's committed records)"


def statements_table(statements: list[Statement]) -> pd.DataFrame:
    """The statements in the shared claim format (:mod:`attnlib.reproduce.claims`)."""
    return pd.DataFrame([s.as_row() for s in statements], columns=list(COLUMNS))


def plateau_statement(finals: pd.DataFrame, profile: str, campaign: str = CONVERGED) -> Statement:
    """Does the chosen schedule reach the baseline's plateau? Twice as long must add < 0.5 points."""
    settings = settings_of(profile, campaign)
    claim = (
        f"The schedule ({settings.base.epochs} epochs) is long enough: training the baseline twice as long adds "
        f"less than {PLATEAU_POINTS} top-1 points"
    )
    model, block = settings.compared[0]
    network = network_name(model, block)
    seed = settings.seeds[0]
    short = finals[(finals.part == "compare") & (finals.network == network) & (finals.attention == BASELINE)]
    short = short[short.seed == seed]
    long = finals[(finals.part == "schedule") & (finals.seed == seed)]
    if short.empty or long.empty:
        return Statement(claim, "the plateau check has not been run yet", f"{NOT_TESTABLE} (runs missing)")
    added = float(long.top1.iloc[0] - short.top1.iloc[0])
    evidence = (
        f"{network} baseline, seed {seed}: {short.top1.iloc[0]:.2f} % after {settings.base.epochs} epochs, "
        f"{long.top1.iloc[0]:.2f} % after {settings.base.epochs * settings.schedule_factor} ({added:+.2f} points)"
    )
    return Statement(claim, evidence, HOLDS if added < PLATEAU_POINTS else DOES_NOT_HOLD)


def gains(finals: pd.DataFrame) -> pd.DataFrame:
    """Every module's gain over its network's baseline (the compare part), paired by seed."""
    data = finals[finals.part == "compare"]
    if data.empty:
        return pd.DataFrame(columns=["network", "block", "attention", "gain", "low", "high", "seeds"])
    table = paired_gains(data)
    blocks = data.drop_duplicates("network").set_index("network").block
    order = {name: index for index, name in enumerate(compared())}
    table = table.assign(block=table.network.map(blocks))
    return table.sort_values(["block", "attention"], key=lambda c: c.map(order) if c.name == "attention" else c)


def best_module_statement(table: pd.DataFrame) -> Statement:
    """Table 1's "no single best module": is one module best on every network, clearly ahead of the rest?"""
    claim = "There is no single best module (Table 1: the best module changes with the block type and dataset)"
    complete = table.dropna(subset=["low"])
    if complete.empty or complete.network.nunique() < 2:
        return Statement(claim, "not enough runs yet (two networks with several seeds are needed)", NOT_TESTABLE)
    best = {}
    clear = {}
    for network, group in complete.groupby("network", sort=False):
        top = group.loc[group.gain.idxmax()]
        others = group[group.attention != top.attention]
        best[network] = top.attention
        clear[network] = bool((others.high < top.low).all())  # its interval above every other's
    words = "; ".join(
        f"best on {network}: {display_name(module)}{' (clearly ahead)' if clear[network] else ' (intervals overlap)'}"
        for network, module in best.items()
    )
    single = len(set(best.values())) == 1 and all(clear.values())
    return Statement(claim, words, DOES_NOT_HOLD if single else HOLDS)


def bottleneck_statement(table: pd.DataFrame, finals: pd.DataFrame) -> Statement:
    """Table 1's "gains with bottleneck blocks are larger than with basic blocks", on paired per-run gains."""
    claim = "Modules gain more in networks of bottleneck blocks than in networks of basic blocks"
    data = finals[finals.part == "compare"]
    per_run = []
    for _, group in data.groupby("network", sort=False):
        base = group[group.attention == BASELINE].set_index("seed").top1
        for row in group[group.attention != BASELINE].itertuples():
            if row.seed in base.index:
                per_run.append({"block": row.block, "attention": row.attention, "seed": row.seed,
                                "gain": row.top1 - base[row.seed]})  # fmt: skip
    frame = pd.DataFrame(per_run)
    if frame.empty or frame.block.nunique() < 2:
        return Statement(claim, "not enough runs yet (both block types are needed)", NOT_TESTABLE)
    wide = frame.pivot_table(index=["attention", "seed"], columns="block", values="gain").dropna()
    if len(wide) < 2:
        return Statement(claim, "not enough paired runs yet", NOT_TESTABLE)
    difference = wide["bottleneck"] - wide["basic"]
    mean, low, high = mean_interval(difference)
    evidence = (
        f"mean gain {wide['bottleneck'].mean():+.2f} points with bottleneck blocks, {wide['basic'].mean():+.2f} with "
        f"basic blocks; difference {interval_text(mean, low, high)} over {len(wide)} module × seed pairs"
    )
    if low > 0:
        verdict = HOLDS
    elif high < 0:
        verdict = f"{DOES_NOT_HOLD} (basic blocks gain more)"
    else:
        verdict = f"{DOES_NOT_HOLD} (not shown: the difference is within the noise of these runs)"
    return Statement(claim, evidence, verdict)


DEPTH_DOES_NOT_PAY = (
    "The deeper baseline is no more accurate than the shallower baseline itself (in this short schedule the extra "
    "depth does not pay off), so reaching it says little about replacing depth with a module"
)
"""Said wherever a module "beats the deeper baseline" only because the deeper baseline trails the shallower one."""


def _best_over_deeper(shallow: pd.DataFrame, deep: pd.DataFrame) -> str:
    """The most accurate module's top-1 over the deeper baseline, paired by seed, with its 95 % interval:
    how far "reaching it" is from the noise of these runs."""
    modules = shallow[shallow.attention != BASELINE]
    if modules.empty:
        return ""
    joined = pd.concat([modules, deep.assign(attention=DEEPER_LABEL)]).assign(network="one")
    over = paired_gains(joined, reference=DEEPER_LABEL).dropna(subset=["gain"])
    if over.empty:
        return " (no seed trained for both)"
    best = over.loc[over.gain.idxmax()]
    return (
        f"; the best, {display_name(best.attention)}, against the deeper baseline: "
        f"{interval_text(best.gain, best.low, best.high)}"
        + (f", paired over {int(best.seeds)} seeds" if best.seeds > 1 else "")
    )


def deeper_statements(finals: pd.DataFrame, profile: str, campaign: str = CONVERGED) -> list[Statement]:
    """Sect. 4.3.1 on accuracy: per block type, which modules reach the deeper baseline's top-1."""
    settings = settings_of(profile, campaign)
    out = []
    for (model, block), (deep_model, deep_block) in zip(settings.compared, settings.deeper, strict=True):
        claim = (
            f"A module can replace a deeper network: {network_name(model, block)} with a module is at least as "
            f"accurate as the deeper {network_name(deep_model, deep_block)} baseline"
        )
        shallow = finals[(finals.part == "compare") & (finals.model == model) & (finals.block == block)]
        deep = finals[(finals.part == "deeper") & (finals.model == deep_model) & (finals.block == deep_block)]
        if shallow.empty or deep.empty:
            out.append(Statement(claim, "the runs are not done yet", f"{NOT_TESTABLE} (runs missing)"))
            continue
        deep_mean = deep.top1.mean()
        means = shallow.groupby("attention").top1.mean()
        reaching = [display_name(m) for m in compared() if m != BASELINE and means.get(m, -math.inf) >= deep_mean]
        shallow_base = f"shallower baseline {means[BASELINE]:.2f} %; " if BASELINE in means else ""
        evidence = (
            f"deeper baseline {deep_mean:.2f} % ({counted(len(deep), 'seed')}); {shallow_base}"
            + (f"reaching it: {', '.join(reaching)}" if reaching else "no module reaches it")
            + _best_over_deeper(shallow, deep)
        )
        verdict = HOLDS if reaching else DOES_NOT_HOLD
        if reaching and means.get(BASELINE, -math.inf) >= deep_mean:
            evidence += f". {DEPTH_DOES_NOT_PAY}"
            verdict = f"{HOLDS} (trivially: the deeper baseline is no more accurate than the shallower one here)"
        out.append(Statement(claim, evidence, verdict))
    return out


def retrofit_gains(finals: pd.DataFrame, profile: str, campaign: str = CONVERGED) -> pd.DataFrame:
    """Per fine-tuning schedule, each retrofitted module's top-1 over the baseline fine-tuned alone on the
    same schedule, paired by seed, with its 95 % interval: the retrofit study's figure.

    Columns: schedule (in words), attention, identity_init, gain, low, high, seeds.
    """
    columns = ["schedule", "attention", "identity_init", "gain", "low", "high", "seeds"]
    data = finals[finals.part == "retrofit"] if len(finals) else finals
    rows = []
    for schedule in settings_of(profile, campaign).finetune:
        ran = data[data.schedule == schedule.name] if len(data) else data
        if ran.empty:
            continue
        plain = ran[~ran.identity_init.astype(bool)]
        base = _by_seed(plain, BASELINE)
        for module, identity_init in retrofit_rows():
            if module == BASELINE:
                continue
            inserted = ran[ran.identity_init.astype(bool) == identity_init]
            paired = _by_seed(inserted, module).sub(base).dropna()
            if paired.empty:
                continue
            mean, low, high = mean_interval(paired)
            label = f"{schedule.paper_name} → {counted(schedule.epochs, 'epoch')}"
            rows.append([label, module, identity_init, mean, low, high, len(paired)])
    return pd.DataFrame(rows, columns=columns)


def _by_seed(runs_of: pd.DataFrame, module: str) -> pd.Series:
    return runs_of[runs_of.attention == module].set_index("seed").top1


def _paired_texts(pairs: list[tuple[str, pd.Series]]) -> tuple[list[str], list[bool], list[bool], int]:
    """Per module, its top-1 differences paired by seed: in words, whether each is clearly above zero and
    clearly below (its 95 % interval; with one seed only its sign, provisionally), and how many modules
    have one seed only."""
    texts, above, below, single = [], [], [], 0
    for module, paired in pairs:
        if paired.empty:
            texts.append(f"{display_name(module)} not run yet")
            continue
        mean, low, high = mean_interval(paired)
        texts.append(f"{display_name(module)} {interval_text(mean, low, high, '')}")
        single += math.isnan(low)
        above.append(low > 0 if not math.isnan(low) else mean > 0)
        below.append(high < 0 if not math.isnan(high) else mean < 0)
    return texts, above, below, single


def _some_verdict(above: list[bool], below: list[bool], modules: int, single: int = 0) -> str:
    """A verdict over ``modules`` modules, of which ``len(above)`` have runs: all clearly better, some,
    none (and whether that is only noise); provisional while runs are missing or a module has one seed."""
    if not above:
        return f"{NOT_TESTABLE} (runs missing)"
    if all(above):
        found = HOLDS
    elif any(above):
        found = f"{HOLDS} for some modules ({sum(above)} of {len(above)})"
    elif any(below):
        found = f"{DOES_NOT_HOLD} (it is worse for {sum(below)} of {len(below)} modules)"
    else:
        found = f"{DOES_NOT_HOLD} (not shown: every difference is within the noise of these runs)"
    if single:
        found += f"; provisional: {counted(single, 'module')} with one seed, no interval yet"
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
    base = _by_seed(plain, BASELINE)
    texts, above, below, single = _paired_texts([(m, _by_seed(plain, m).sub(base).dropna()) for m in available()])
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
    pairs = [(m, _by_seed(identity, m).sub(_by_seed(plain, m)).dropna()) for m in sigmoid]
    texts, above, below, single = _paired_texts(pairs)
    against_base, *_ = _paired_texts([(m, _by_seed(identity, m).sub(base).dropna()) for m in sigmoid])
    third = replace(
        claims[2],
        evidence=after + "identity-init minus plain: " + "; ".join(texts) + ". Against the baseline fine-tuned "
        "alone, the modules with identity-init: " + "; ".join(against_base),
        verdict=_some_verdict(above, below, len(sigmoid), single),
    )
    return [first, second, third]


def chapter_statements(finals: pd.DataFrame, profile: str, campaign: str = CONVERGED) -> list[Statement]:
    """Every statement the chapter re-tests, in its order."""
    if finals.empty:
        finals = pd.DataFrame(columns=["part", "network", "model", "block", "attention", "seed", "top1"])
    table = gains(finals)
    return [
        best_module_statement(table),
        bottleneck_statement(table, finals),
        *deeper_statements(finals, profile, campaign=campaign),
        *retrofit_statements(finals, profile, campaign=campaign),
    ]
