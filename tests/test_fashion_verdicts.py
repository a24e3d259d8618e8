"""The Fashion-MNIST chapter's verdicts (``attnlib.reproduce.fashion``: statements, regimes, retrofit
verdicts, tables, costs): paired gains and their intervals, the paper's statements re-tested, the plateau
and precision checks, the runs to look at twice and the two regimes side by side.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attnlib.plots import plot_gains, plot_retrofit_gains
from attnlib.reproduce import fashion
from attnlib.train.records import pack_mask


def test_paired_gains_and_their_t_interval_by_hand() -> None:
    finals = pd.DataFrame(
        {
            "network": ["n"] * 6,
            "attention": ["baseline"] * 3 + ["se"] * 3,
            "seed": [0, 1, 2] * 2,
            "top1": [90.0, 91.0, 92.0, 90.5, 91.7, 92.3],
        }
    )
    gain = fashion.paired_gains(finals).iloc[0]
    differences = pd.Series([0.5, 0.7, 0.3])
    half = 4.303 * differences.std(ddof=1) / math.sqrt(3)
    assert gain.gain == pytest.approx(0.5) and gain.seeds == 3
    assert (gain.low, gain.high) == pytest.approx((0.5 - half, 0.5 + half))
    assert fashion.t_quantile(1) == 12.706 and fashion.t_quantile(100) == 1.96
    assert "one seed" in fashion.interval_text(0.2, math.nan, math.nan)


def test_the_cost_record_joins_the_campaigns_accuracy_into_fig4_and_its_verdicts(
    scratch_data: Path, one_thread: None
) -> None:
    from attnlib.bench.engines import EngineOptions
    from attnlib.bench.experiment import run_experiment
    from attnlib.bench.training import record_train_steps

    experiment = fashion.latency_experiment("smoke", ("eager",), trials=3)
    experiment = replace_groups(experiment)
    run_experiment(experiment, "smoke", committed=True, session="test")
    options = EngineOptions(threads=1)
    training = fashion.measure_training_costs("smoke", options, trials=2, warmup=1)
    record_train_steps(training, "smoke", options, 2, 1, committed=True, session="test",
                       experiment=fashion.TRAIN_STEP_EXPERIMENT)  # fmt: skip
    latency, training = fashion.cost_records(profile="smoke")
    assert set(latency.variant) == {*campaign_modules(), fashion.DEEPER_LABEL}
    assert latency.resolution.unique().tolist() == [32] and set(training.images_per_s > 0) == {True}
    # each record names the block it timed, so a campaign's networks are matched by model and block
    smoke_networks = set(fashion.SETTINGS.smoke.compared)
    assert fashion.timed_networks(latency) == smoke_networks and fashion.timed_networks(training) == smoke_networks
    rows = []  # made-up accuracies (a unit test of the join): SE beats the deeper baseline on accuracy only
    for network, model, block in (("ResNet-8 (basic)", "cifar_resnet8", "basic"),):
        for module, top1 in (("baseline", 80.0), ("se", 83.0), ("eca", 81.0)):
            rows += [{"part": "compare", "network": network, "model": model, "block": block, "attention": module,
                      "seed": s, "top1": top1 + s} for s in range(2)]  # fmt: skip
    rows += [{"part": "deeper", "network": "ResNet-14 (basic)", "model": "cifar_resnet14", "block": "basic",
              "attention": "baseline", "seed": s, "top1": 82.0 + s} for s in range(2)]  # fmt: skip
    points = fashion.tradeoff_points(pd.DataFrame(rows), latency, "eager", 1, "smoke")
    assert list(points.variant) == ["Baseline", "ECA", "SE", "deeper ResNet-14"]
    assert points.set_index("variant").loc["SE", "top1"] == pytest.approx(83.5)
    statement = fashion.deeper_tradeoff_statements(points, "eager", 1)[0]
    se_time = points.set_index("variant").loc["SE", "overhead_pct"]
    deep_time = points.set_index("variant").loc["deeper ResNet-14", "overhead_pct"]
    assert statement.verdict == (fashion.HOLDS if se_time < deep_time else fashion.DOES_NOT_HOLD)
    behind = points.assign(top1=points.top1.where(~points.variant.str.startswith("deeper"), 79.0), overhead_pct=5.0)
    behind.loc[behind.variant.str.startswith("deeper"), "overhead_pct"] = 50.0  # slower and less accurate
    trivial = fashion.deeper_tradeoff_statements(behind, "eager", 1)[0]
    assert trivial.verdict.startswith(f"{fashion.HOLDS} (trivially") and fashion.DEPTH_DOES_NOT_PAY in trivial.evidence
    table = fashion.cost_table(latency, training, "smoke")
    assert ("ResNet-8 (basic)", "deeper baseline") in table.index and "training step (%)" in table.columns


def replace_groups(experiment):
    """Batch 1 only, every compared network's group (a campaign's record covers them all): the shape of
    the record, in seconds."""
    from dataclasses import replace

    return replace(experiment, groups=[group for group in experiment.groups if group[2] == 1])


def campaign_modules() -> set[str]:
    from attnlib.attention import compared

    return set(compared())


def _finals(gains_by_network: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    """Made-up campaign finals: per network (name → block) each module's top-1 per seed."""
    rows = []
    for network, modules in gains_by_network.items():
        model, block = network.split(" (")[0], network.split(" (")[1].rstrip(")")
        for module, values in modules.items():
            rows += [
                {"part": "compare", "network": network, "model": model, "block": block, "attention": module,
                 "seed": seed, "top1": value, "identity_init": False}
                for seed, value in enumerate(values)
            ]  # fmt: skip
    return pd.DataFrame(rows)


def test_the_best_module_and_block_type_statements_follow_the_numbers() -> None:
    basic, bottleneck = "ResNet-14 (basic)", "ResNet-20 (bottleneck)"
    clear_winner = {
        "baseline": [90.0, 90.1, 89.9], "se": [92.0, 92.1, 91.9], "eca": [90.2, 90.3, 90.1],
    }  # fmt: skip
    finals = _finals({basic: clear_winner, bottleneck: clear_winner})
    table = fashion.gains(finals)
    assert fashion.best_module_statement(table).verdict == fashion.DOES_NOT_HOLD  # SE clearly best on both
    finals = _finals({basic: clear_winner, bottleneck: {**clear_winner, "eca": [93.0, 93.1, 92.9]}})
    assert fashion.best_module_statement(fashion.gains(finals)).verdict == fashion.HOLDS
    bigger = {"baseline": [90.0, 90.1, 89.9], "se": [93.0, 93.2, 92.9], "eca": [92.0, 92.2, 91.8]}
    finals = _finals({basic: clear_winner, bottleneck: bigger})
    statement = fashion.bottleneck_statement(fashion.gains(finals), finals)
    assert statement.verdict == fashion.HOLDS and "over 3 seeds" in statement.evidence
    # the seeds are the replicates: a baseline that moves every gain of its seed together widens the interval
    lucky = {**bigger, "baseline": [90.0, 92.5, 89.9]}  # seed 1's bottleneck baseline is lucky: its gains shrink
    finals = _finals({basic: clear_winner, bottleneck: lucky})
    assert fashion.bottleneck_statement(fashion.gains(finals), finals).verdict.startswith(fashion.CANNOT_TELL)
    one_seed = _finals({basic: clear_winner, bottleneck: bigger})
    one_seed = one_seed[one_seed.seed == 0]
    verdict = fashion.bottleneck_statement(fashion.gains(one_seed), one_seed).verdict
    assert verdict == f"{fashion.CANNOT_TELL} yet (one seed, no interval; it leans towards the claim)"
    finals = _finals({basic: bigger, bottleneck: clear_winner})
    verdict = fashion.bottleneck_statement(fashion.gains(finals), finals).verdict
    assert verdict == f"{fashion.DOES_NOT_HOLD} (basic blocks gain more)"
    empty = fashion.chapter_statements(pd.DataFrame(), "default")
    assert {s.verdict.split(" (")[0] for s in empty} == {fashion.NOT_TESTABLE}


def test_the_deeper_baseline_statement_pairs_the_best_module_with_it_by_seed() -> None:
    def runs(part: str, model: str, module: str, values: list[float]) -> list[dict]:
        return [{"part": part, "network": fashion.network_name(model, "basic"), "model": model, "block": "basic",
                 "attention": module, "seed": seed, "top1": value} for seed, value in enumerate(values)]  # fmt: skip

    shallow = runs("compare", "cifar_resnet14", "baseline", [86.0, 86.5, 87.0])
    shallow += runs("compare", "cifar_resnet14", "eca", [87.0, 87.4, 88.1])  # +0.2 over the deeper one on average
    deeper = runs("deeper", "cifar_resnet20", "baseline", [86.9, 87.3, 87.7])
    short = fashion.SHORT
    basic = fashion.deeper_statements(pd.DataFrame(shallow + deeper), "default", campaign=short)[0]
    # ECA minus the deeper baseline, paired by seed: +0.1, +0.1, +0.4 — an interval across zero
    assert basic.verdict.startswith(fashion.CANNOT_TELL) and "ResNet-14 (basic)" in basic.claim
    assert "the best module, ECA, against the deeper baseline: +0.20 points (95 % interval -0.23 to +0.63)" in (
        basic.evidence
    )
    assert "paired over 3 seeds" in basic.evidence and "(3 seeds)" in basic.evidence
    assert "a gain above +0.63 points and a loss beyond -0.23 points are ruled out" in basic.evidence
    one_seed = fashion.deeper_statements(pd.DataFrame(shallow + deeper[:1]), "default", campaign=short)[0]
    assert "+0.10 points (one seed: no interval)" in one_seed.evidence and "(1 seed)" in one_seed.evidence
    assert one_seed.verdict == f"{fashion.CANNOT_TELL} yet (one seed, no interval; it leans towards the claim)"
    assert "no more accurate than the shallower" not in basic.evidence  # the deeper baseline is ahead: 87.3 > 86.5
    weak = runs("deeper", "cifar_resnet20", "baseline", [85.0, 85.5, 86.0])  # behind the shallower baseline
    trivial = fashion.deeper_statements(pd.DataFrame(shallow + weak), "default", campaign=short)[0]
    assert trivial.verdict.startswith(f"{fashion.HOLDS} (trivially") and fashion.DEPTH_DOES_NOT_PAY in trivial.evidence
    slower = runs("compare", "cifar_resnet14", "eca", [86.0, 86.0, 86.0])  # -0.9, -1.3, -1.7 against the deeper one
    missed = fashion.deeper_statements(pd.DataFrame(shallow[:3] + slower + deeper), "default", campaign=short)[0]
    assert missed.verdict == fashion.DOES_NOT_HOLD and "every module is clearly less accurate" in missed.evidence


def test_the_plateau_and_retrofit_statements_follow_the_numbers() -> None:
    base = {"part": "compare", "network": "ResNet-14 (basic)", "model": "cifar_resnet14", "block": "basic",
            "attention": "baseline", "seed": 0, "identity_init": False}  # fmt: skip
    finals = pd.DataFrame([{**base, "top1": 90.0}, {**base, "part": "schedule", "top1": 90.3}])
    short = fashion.SHORT
    assert fashion.plateau_statement(finals, "default", campaign=short).verdict.startswith(fashion.HOLDS)
    finals = pd.DataFrame([{**base, "top1": 90.0}, {**base, "part": "schedule", "top1": 91.0}])
    assert fashion.plateau_statement(finals, "default", campaign=short).verdict.startswith(fashion.DOES_NOT_HOLD)
    longest = fashion.SETTINGS.get("default").finetune[-1].name
    rows = []
    for seed in range(3):
        retro = {**base, "part": "retrofit", "schedule": longest, "seed": seed}
        rows.append({**retro, "top1": 90.0 + seed * 0.1, "initialized_top1": 90.0})
        for module in ("ab", "eca", "se", "srm", "multise"):
            rows.append({**retro, "attention": module, "top1": 90.5 + seed * 0.1, "initialized_top1": 40.0})
            if module != "ab":
                rows.append(
                    {**retro, "attention": module, "identity_init": True, "top1": 90.6, "initialized_top1": 90.0}
                )
    retrofit, identity, tuned = fashion.retrofit_statements(pd.DataFrame(rows), "default")
    assert retrofit.verdict == fashion.HOLDS and identity.verdict == fashion.HOLDS
    assert "SE 40.0 → 90.0 %" in identity.evidence
    # after fine-tuning, identity-init is +0.1, 0.0, -0.1 over the plain module: no difference shown
    assert tuned.verdict.startswith(fashion.CANNOT_TELL) and "within the noise" in tuned.verdict
    assert "ECA +0.00 (95 % interval" in tuned.evidence
    assert "Against the baseline fine-tuned alone, the modules with identity-init: ECA +0.50 (95 %" in tuned.evidence
    partial = [row for row in rows if not (row["attention"] == "srm" and row["identity_init"])]
    partial = [row for row in partial if row["attention"] != "ab" or row["seed"] == 0]
    retrofit, _, tuned = fashion.retrofit_statements(pd.DataFrame(partial), "default")
    assert "AB +0.50 (one seed: no interval)" in retrofit.evidence
    assert retrofit.verdict == (
        f"{fashion.HOLDS} for some modules (4 of 5); 1 module with one seed and no interval, which decides nothing"
    )
    assert "SRM not run yet" in tuned.evidence and tuned.verdict.endswith("; so far 3 of 4 modules run")
    assert "nan" not in retrofit.evidence + tuned.evidence
    table = fashion.retrofit_table(pd.DataFrame(rows), "default")
    assert table.loc["SE + identity-init", "inserted, not trained"] == "90.00"
    assert list(table.index[:3]) == ["Baseline (fine-tuned alone)", "AB", "ECA"] and len(table) == 10
    assert table.loc["ECA"].iloc[-1] == "90.60 ± 0.10 (3 seeds)"
    partial = fashion.retrofit_table(pd.DataFrame(partial), "default")  # only the longest schedule ran here
    assert partial.loc["SRM + identity-init"].tolist() == ["not run yet"] * 4
    assert partial.loc["AB"].iloc[-1] == "90.50 (1 seed)" and partial.loc["AB"].iloc[1] == "not run yet"
    assert "nan" not in partial.to_string()
    gains = fashion.retrofit_gains(pd.DataFrame(rows), "default").set_index(["attention", "identity_init"])
    assert len(gains) == 9 and set(gains.seeds) == {3}  # five modules plainly, four with identity-init
    assert gains.loc[("se", False), "gain"] == pytest.approx(0.5)  # 90.5 + 0.1·seed over 90.0 + 0.1·seed
    assert gains.loc[("se", True), "gain"] == pytest.approx(0.5)
    plot_retrofit_gains(fashion.retrofit_gains(pd.DataFrame(rows), "default"))  # one panel per schedule that ran


def _one_seed_retrofits(won: int, lost: int) -> pd.DataFrame:
    """One seed of the longest fine-tuning: the baseline right on the first 9 000 of 10 000 test images,
    every module right on ``won`` more of the rest and wrong on ``lost`` of those 9 000; each record
    keeps its mask."""
    longest = fashion.SETTINGS.get("default").finetune[-1].name
    rows = []
    for module, identity_init in fashion.retrofit_rows():
        right = np.zeros(10_000, dtype=bool)
        right[:9_000] = True
        if module != "baseline":
            right[9_000 : 9_000 + won] = True
            right[:lost] = False
        rows.append(
            {"part": "retrofit", "schedule": longest, "seed": 0, "attention": module, "identity_init": identity_init,
             "top1": 100 * right.mean(), "initialized_top1": 90.0, "test_correct": pack_mask(right)}
        )  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("won", "lost", "expected"),
    [
        (200, 0, "holds"),  # +2.00 points, 95 % interval over the 10 000 test images ±0.27
        (30, 25, "cannot tell"),  # +0.05 points ±0.15: 55 images changed, in both directions
        (0, 300, "does not hold"),  # −3.00 points ±0.33
    ],
)
def test_one_seed_retrofits_are_decided_by_the_test_images_they_got_right(won, lost, expected) -> None:
    retrofit, _, _ = fashion.retrofit_statements(_one_seed_retrofits(won, lost), "default")
    assert retrofit.verdict.startswith(expected) and "one seed and no interval" not in retrofit.verdict
    assert "interval" in retrofit.evidence and "over the test images, one seed)" in retrofit.evidence
    gains = fashion.retrofit_gains(_one_seed_retrofits(won, lost), "default")
    assert set(gains.interval) == {"test images"} and gains.low.notna().all() and (gains.seeds == 1).all()


@pytest.mark.parametrize("panels", [1, 2, 3])
def test_gain_figures_list_modules_in_the_books_order_from_the_top(panels: int) -> None:
    """Panels share their y axis: inverting each one toggled the shared axis back (AB ended at the bottom)."""
    table = pd.DataFrame(
        [{"network": f"net {n}", "schedule": f"schedule {n}", "attention": m, "identity_init": False, "gain": 0.5,
          "low": 0.0, "high": 1.0, "seeds": 3} for n in range(panels) for m in ("ab", "eca", "se")]
    )  # fmt: skip
    for figure in (plot_gains(table), plot_retrofit_gains(table)):
        assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == ["AB", "ECA", "SE"]
        for axis in figure.axes:
            bottom, top = axis.get_ylim()
            assert bottom > top  # position 0 (AB) at the top


def test_a_failed_plateau_check_explains_the_kept_schedule() -> None:
    """When twice the schedule adds more than half a point, the chapter says what the gains still mean."""
    from attnlib.reproduce import fashion

    def finals(long_top1: float) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {"part": "compare", "network": "ResNet-14 (basic)", "attention": "baseline", "seed": 0,
                 "top1": 86.0},
                {"part": "schedule", "network": "ResNet-14 (basic)", "attention": "baseline", "seed": 0,
                 "top1": long_top1},
            ]
        )  # fmt: skip

    def decision(frame: pd.DataFrame) -> str:
        short = fashion.SHORT
        return fashion.plateau_decision(fashion.plateau_statement(frame, "default", campaign=short), "default", short)

    text = decision(finals(89.0))
    assert "equal training budget" in text and "hours of the 2-core CPU" in text and "past the 6 hours" in text
    assert text.startswith("**The schedule stops short")  # one schedule for the whole short campaign
    assert fashion.campaign_hours("default", 2) > 1.9 * fashion.campaign_hours("default")
    assert decision(finals(86.2)) == ""  # the check holds: nothing to explain
    assert decision(finals(86.2).iloc[:1]) == ""  # not run yet


def test_failed_plateau_checks_of_both_block_types_are_explained_once() -> None:
    """Two failed checks read as one paragraph with each doubling's cost and both together; one failed check
    reads as before; checks that hold explain nothing."""
    from attnlib.reproduce.claims import DOES_NOT_HOLD, HOLDS
    from attnlib.reproduce.fashion.statements import PLATEAU_KEY, Statement

    def check(block: str, verdict: str) -> Statement:
        return Statement(f"{block} plateau", "evidence", verdict, f"{PLATEAU_KEY}{block}")

    both = [check("basic", DOES_NOT_HOLD), check("bottleneck", DOES_NOT_HOLD)]
    text = fashion.plateau_decisions(both, "default")
    assert text.startswith("**The basic and the bottleneck networks' schedules both stop short")
    assert text.count("What it still measures") == 1 and "equal training budget" in text
    for block in ("basic", "bottleneck"):
        alone = fashion.campaign_hours("default", 2, block=block)
        assert f"the {block} networks' alone about {alone:.1f}" in text
    assert f"both together about {fashion.campaign_hours('default', 2):.1f}" in text
    one = [check("basic", HOLDS), check("bottleneck", DOES_NOT_HOLD)]
    assert fashion.plateau_decisions(one, "default") == fashion.plateau_decision(one[1], "default")
    assert fashion.plateau_decisions([check("basic", HOLDS)], "default") == ""


def test_the_converged_campaign_is_described_by_its_schedules_not_by_a_claim_of_convergence() -> None:
    """Whether a schedule reached the plateau is the plateau check's verdict, which may fail (it did for the
    bottleneck network): the words shown beside every verdict give each block type's epochs instead."""
    settings = fashion.settings_of("default")
    words = fashion.CAMPAIGN_WORDS[fashion.CONVERGED]
    assert "plateau" not in words and "converge" not in words
    for block in ("basic", "bottleneck"):
        assert f"{settings.epochs_of(block)} " in words
    assert words in fashion.checked_on_text(fashion.CONVERGED)


def test_the_top1_table_tells_cells_outside_the_study_from_runs_still_missing():
    """Modules are never trained on a deeper baseline's network, nor the deeper row on a compared one:
    those cells read "—"; a planned cell whose runs are missing reads "not run yet"."""
    from attnlib.reproduce.fashion import DEEPER_ROW, comparison_table

    rows = [
        ("ResNet-14 (basic)", "baseline", "compare", 86.0),
        ("ResNet-14 (basic)", "baseline", "compare", 87.0),
        ("ResNet-14 (basic)", "se", "compare", 87.5),
        ("ResNet-20 (bottleneck)", "baseline", "compare", 84.0),  # its SE runs are still missing
        ("ResNet-20 (basic)", "baseline", "deeper", 86.5),
    ]
    finals = pd.DataFrame(rows, columns=["network", "attention", "part", "top1"])
    table = comparison_table(finals)
    assert table.loc["Baseline", "ResNet-14 (basic)"] == "86.50 ± 0.71 (2 seeds)"
    assert table.loc["SE", "ResNet-20 (basic)"] == "—" and table.loc["Baseline", "ResNet-20 (basic)"] == "—"
    assert table.loc[DEEPER_ROW, "ResNet-20 (basic)"] == "86.50 (1 seed)"
    assert table.loc[DEEPER_ROW, "ResNet-14 (basic)"] == "—"
    assert table.loc["SE", "ResNet-20 (bottleneck)"] == "not run yet"
    # networks in the campaign's order (basic first), not the alphabet's (ResNet-11 before ResNet-8)
    assert list(table.columns) == ["ResNet-14 (basic)", "ResNet-20 (bottleneck)", "ResNet-20 (basic)"]
    eight = pd.DataFrame([("ResNet-8 (basic)", "baseline", "compare", 93.0),
                          ("ResNet-11 (bottleneck)", "baseline", "compare", 92.0)], columns=finals.columns)  # fmt: skip
    assert list(comparison_table(eight).columns) == ["ResNet-8 (basic)", "ResNet-11 (bottleneck)"]


def test_regime_changes_pairs_the_campaigns_questions_and_says_what_changed() -> None:
    from attnlib.reproduce.fashion import Statement, regime_changes, verdict_word

    short = [
        Statement("bottleneck gains more", "+1.6", "holds (by 1.6 points)", key="bottleneck-gain"),
        Statement("best module on ResNet-14", "ECA +0.6", "holds", key="best-module"),
    ]
    converged = [
        Statement("best module on ResNet-8", "ECA +0.1", "holds", key="best-module"),
        Statement("bottleneck gains more", "+0.2 (-0.3 to 0.7)", "cannot tell (the interval crosses zero)",
                  key="bottleneck-gain"),
        Statement("a new question", "", "holds", key="new"),
    ]  # fmt: skip
    table = regime_changes(short, converged)  # paired by key, not by position
    assert list(table.Changed) == ["no", "yes: holds → cannot tell", "cannot compare"]
    assert table.iloc[0, 0] == "best module on ResNet-8"  # the converged campaign's networks name the question
    assert table.iloc[2, 1] == "not asked of this campaign"
    assert verdict_word("does not hold (worse for 4 of 5)") == "does not hold"
    with pytest.raises(ValueError, match="one distinct key each"):
        regime_changes(short, [*converged, converged[0]])
    with pytest.raises(ValueError, match="one distinct key each"):
        regime_changes([Statement("unkeyed", "", "holds")], converged)


@pytest.mark.parametrize("profile", ["smoke", "default"])
def test_both_campaigns_ask_the_same_keyed_questions(profile: str) -> None:
    """The chapter pairs the two campaigns' verdicts by key: each campaign keys every question once,
    and both ask the same ones (even before any run is done)."""
    empty = pd.DataFrame()
    keys = {
        campaign: [s.key for s in fashion.chapter_statements(empty, profile, campaign)]
        for campaign in fashion.CAMPAIGNS
    }
    assert keys[fashion.SHORT] == keys[fashion.CONVERGED] and len(set(keys[fashion.SHORT])) == len(keys[fashion.SHORT])
    assert all(keys[fashion.SHORT])


@pytest.mark.parametrize(
    ("fp32", "expected"),
    [([93.1, 92.9], fashion.HOLDS), ([93.9, 92.0], fashion.DOES_NOT_HOLD)],
)
def test_the_precision_check_compares_paired_differences_with_the_seed_spread(fp32, expected) -> None:
    """bf16 baseline 93.0 / 92.8 / 93.2 (spread 0.4 points): fp32 within 0.4 of each paired seed holds,
    0.9 away does not."""
    basic = "ResNet-8 (basic)"
    finals = _finals({basic: {"baseline": [93.0, 92.8, 93.2]}})
    checks = pd.DataFrame(
        [{"part": "precision", "network": basic, "model": "ResNet-8", "block": "basic", "attention": "baseline",
          "seed": seed, "top1": value, "identity_init": False} for seed, value in enumerate(fp32)]
    )  # fmt: skip
    statement = fashion.precision_statement(pd.concat([finals, checks]), "default")
    assert statement.verdict.startswith(expected), statement
    assert "spans 0.40 points over its 3 seeds" in statement.evidence and "trained on" not in statement.evidence
    machines = pd.concat([finals.assign(hardware="Intel Xeon"), checks.assign(hardware="AMD EPYC")])
    paired = fashion.precision_statement(machines, "default")  # two machines: the evidence names both
    assert paired.evidence.endswith("(the fp32 runs trained on AMD EPYC, the bf16 ones on Intel Xeon)")
    missing = fashion.precision_statement(finals, "default")
    assert missing.verdict.startswith(fashion.NOT_TESTABLE) and "0 of 2 paired seeds" in missing.evidence
    assert fashion.precision_statement(finals, "default", campaign=fashion.SHORT) is None  # it has no check


@pytest.mark.parametrize(("top1", "expected"), [([92.5, 92.1, 92.3], "holds"), ([91.5, 92.1, 91.9], "does not hold")])
def test_the_basic_baseline_level_follows_the_mean_of_its_seeds(top1, expected) -> None:
    finals = _finals({"ResNet-8 (basic)": {"baseline": top1}})
    statement = fashion.basic_level_statement(finals, "default")
    assert fashion.verdict_word(statement.verdict) == expected
    assert "provisional" in fashion.basic_level_statement(finals[finals.seed == 0], "default").verdict


@pytest.mark.book
def test_the_chapter_reads_the_converged_campaign_when_asked_and_says_so(tmp_path: Path) -> None:
    """``-p campaign_shown converged`` (the path the page takes by itself once the converged comparison is
    complete): the main sections read the converged campaign's committed records and say so; an unknown
    campaign is refused by name."""
    import nbformat

    from attnlib.notebooks import NotebookFailed, execute

    path = execute("beyond_fashion_mnist", "smoke", tmp_path, {"campaign_shown": fashion.CONVERGED})
    notebook = nbformat.read(path, as_version=4)
    shown = " ".join(
        "".join(output.get("data", {}).get("text/markdown", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "read the converged campaign**, as this page was asked" in shown
    assert f"*Read from the converged campaign: {fashion.checked_on_text(fashion.CONVERGED)}.*" in shown
    with pytest.raises(NotebookFailed, match="unknown campaign 'longest'"):
        execute("beyond_fashion_mnist", "smoke", tmp_path / "bad", {"campaign_shown": "longest"})


def _runs_of_one_network(top1: list[float], losses: list[float] | None = None) -> pd.DataFrame:
    losses = losses or [0.2] * len(top1)
    return pd.DataFrame(
        {
            "part": "compare",
            "key": [f"compare/cifar_resnet8-basic/m{i}/seed0" for i in range(len(top1))],
            "network": "ResNet-8 (basic)",
            "schedule": "",
            "attention": ["baseline", "ab", "eca", "se", "srm", "multise"][: len(top1)],
            "identity_init": False,
            "seed": 0,
            "top1": top1,
            "train_loss": losses,
            "first_train_loss": 2.3,
        }
    )


@pytest.mark.parametrize(
    ("top1", "losses", "flagged"),
    [
        # siblings that agree to 0.03 points and a module half a point better: within the test set's noise
        ([93.05, 93.09, 93.10, 93.47], None, []),
        ([93.05, 93.09, 93.10, 93.2, 88.0], None, ["srm"]),  # far below its siblings
        ([93.05, 93.09, 93.10, 93.2], [0.2, 0.2, float("nan"), 0.2], ["eca"]),  # a diverged loss
        ([93.05, 93.09, 93.10, 93.2], [0.2, 2.6, 0.2, 0.2], ["ab"]),  # ended well above where it began (2.3)
        ([93.05, 93.09, 93.10, 93.2], [0.2, 2.31, 0.2, 0.2], []),  # a hundredth: the data order, not a divergence
    ],
)
def test_runs_to_look_at_twice(top1, losses, flagged) -> None:
    finals = _runs_of_one_network(top1, losses)
    found = fashion.flagged_runs(finals)
    assert sorted(found.module.str.lower().str.replace("-", "")) == sorted(flagged)
    assert fashion.test_set_noise(92.0) == pytest.approx(0.271, abs=0.001)


def test_a_fine_tuning_is_compared_only_with_other_seeds_of_its_own_treatment() -> None:
    # one seed per module, as the converged retrofit study: plain SRM falling 5 points after one epoch of
    # fine-tuning is the study's finding, not a broken run; three seeds of the same treatment can flag one
    finals = _runs_of_one_network([93.6, 93.7, 93.5, 93.6, 88.3, 93.6]).assign(part="retrofit", schedule="2ep")
    assert fashion.flagged_runs(finals).empty
    seeds = finals.assign(attention="srm", seed=range(6))
    assert list(fashion.flagged_runs(seeds).seed) == [4]
    identity = seeds.assign(identity_init=[False, True, False, True, False, True])
    assert fashion.flagged_runs(identity).empty  # two other seeds per treatment: too few to call one an outlier


def test_the_test_set_noise_follows_the_number_of_test_images_the_records_name() -> None:
    # half a point above siblings that agree closely: within the noise of 10 000 test images, an
    # outlier when the records say only 1 000 000 images scored them (noise 0.03 points)
    finals = _runs_of_one_network([93.05, 93.09, 93.10, 93.6])
    assert fashion.flagged_runs(finals).empty
    finals["test_images"] = 1_000_000
    assert list(fashion.flagged_runs(finals).module) == ["SE"]
    assert fashion.test_set_noise(92.0, 1_000) == pytest.approx(0.858, abs=0.001)


def test_the_page_says_why_a_block_type_trains_longer_from_the_runs_at_both_lengths() -> None:
    trials = pd.DataFrame(
        [("ResNet-8 (basic)", "basic", seed, epochs, top1)
         for seed, epochs, top1 in ((0, 30, 93.05), (0, 60, 93.91), (1, 60, 93.67), (1, 30, 93.3))],
        columns=["network", "block", "seed", "epochs", "top1"],
    )  # fmt: skip
    text = fashion.schedule_choice_text(trials, "default")
    assert "basic networks train 60 epochs, not 30" in text and "+0.62 points (2 seeds: 0, 1" in text
    assert "more than the 0.5 points" in text and "provisional" not in text and "60 against 120" in text
    one = fashion.schedule_choice_text(trials[trials.seed == 0], "default")
    assert "+0.86 points (1 seed: 0; 93.05 → 93.91 %)" in one and "provisional" in one
    assert "No committed run compares" in fashion.schedule_choice_text(trials[trials.epochs == 60], "default")
    assert fashion.schedule_choice_text(trials, "default", campaign=fashion.SHORT) == ""  # one schedule
    # the committed evidence: every baseline of the lengthened block type, superseded records included
    committed = fashion.schedule_trials("default")
    assert set(committed.block) <= {"basic"} and {30, 60} <= set(committed.epochs)
