"""The GPU run, prepared without a GPU (issue 12): the preset's order and time budget, its dry run,
the engine options a GPU sweep records, and the latency chapters on a GPU-shaped record.

No test here needs a GPU. The GPU-shaped record is made up by the test (its hardware says so) in a
scratch copy of ``data/``; it only exercises the code that will read a real one.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from attnlib import paper
from attnlib.attention import BASELINE, available
from attnlib.bench.engines import COMPILE_MODES, EngineOptions, engine_label, engine_status
from attnlib.bench.latency import Variant, depth_groups, measure_group, run_groups
from attnlib.cli import main
from attnlib.provenance import provenance
from attnlib.reproduce import fig3, fig5, scorecard
from attnlib.reproduce.latency import best_engine, committed_records
from attnlib.reproduce.presets import dry_run, gpu_compile_preset, gpu_preset, table2_overview
from attnlib.results import write_record

ROOT = Path(__file__).resolve().parents[1]


def settings_of(experiments) -> set[tuple[str, str]]:
    return {(engine_label(engine, e.options), e.options.precision) for e in experiments for engine in e.engines}


def test_the_gpu_presets_run_every_chapter_before_the_compiler():
    chapters, compiled = gpu_preset(), gpu_compile_preset()
    assert all(e.options.device == "cuda" for e in chapters + compiled)
    assert {"fig3_depth", "modules", "fig5_resolution", "fig6_batch", "zoo"} == {e.name for e in chapters}
    assert all("compile" not in e.engines for e in chapters)
    assert {
        ("eager", "fp32"),
        ("eager", "fp16"),
        ("eager+graphs", "fp32"),
        ("eager+graphs", "fp16"),
        ("tensorrt", "fp32"),  # tried, and named where it cannot run
        ("eager+NHWC", "fp16"),
    } <= settings_of(e for e in chapters if e.name == "fig3_depth")
    # what each chapter needs comes first: modules, Figs. 5 and 6 on eager before any on CUDA graphs
    sweeps = [
        (i, e.options.cuda_graphs)
        for i, e in enumerate(chapters)
        if e.name in ("modules", "fig5_resolution", "fig6_batch")
    ]
    assert max(i for i, graphs in sweeps if not graphs) < min(i for i, graphs in sweeps if graphs)
    assert settings_of(compiled) == {
        ("compile+graphs", "fp32"),
        ("compile+graphs", "fp16"),
        ("compile[reduce-overhead]", "fp32"),
        ("compile[max-autotune]+graphs", "fp32"),
    }
    assert all(e.name == "fig3_depth" for e in compiled)
    assert all(e.keep_going for e in chapters + compiled)  # a one-shot GPU run leaves failures out, named
    assert [v[0].model for v, _, _ in compiled[0].groups] == ["resnet50", "resnet18"]  # Table 2's, R50 first


def test_engine_labels_name_the_options_and_bad_options_say_what_is_valid():
    assert engine_label("openvino", EngineOptions()) == "openvino"  # every CPU record keeps its names
    cuda = EngineOptions(device="cuda", cuda_graphs=True, channels_last=True)
    assert engine_label("eager", cuda) == "eager+graphs+NHWC"
    with pytest.raises(ValueError, match="captures CUDA graphs itself"):
        EngineOptions(device="cuda", cuda_graphs=True, compile_mode="reduce-overhead")
    with pytest.raises(ValueError, match=", ".join(COMPILE_MODES)):
        EngineOptions(compile_mode="fast")
    ok, reason = engine_status("eager", EngineOptions(cuda_graphs=True))
    assert not ok and "CUDA graphs need a CUDA device" in reason


def test_the_dry_run_keeps_every_step_small_and_runs_once_what_became_the_same():
    full = gpu_preset() + gpu_compile_preset()
    small = dry_run(full, cuda=False)
    assert {e.name for e in small} == {e.name for e in full}
    assert 1 < len(small) < len(full)
    for experiment in small:
        options = experiment.options
        assert (options.device, options.precision, options.cuda_graphs, options.compile_mode) == (
            "cpu",
            "fp32",
            False,
            "default",
        )
        (variants, resolution, batch), *rest = experiment.groups
        assert not rest and (resolution, batch, len(variants), experiment.trials) == (32, 1, 2, 2)
    on_gpu = dry_run(full, cuda=True)
    assert [e.options for e in on_gpu] == [e.options for e in full]


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["--preset", "gpu", "--dry-run", "--commit"], "never committed"),
        (["--engine", "compile", "--compile-mode", "reduce-overhead", "--cuda-graphs"], "captures CUDA graphs"),
    ],
)
def test_bench_refuses_contradictory_options(argv, error, capsys):
    with pytest.raises(SystemExit):
        main(["bench", *argv])
    assert error in capsys.readouterr().err


def test_a_spent_budget_starts_no_group_and_names_what_it_left():
    groups = depth_groups((18,), attentions=("se",), resolution=32)
    result = run_groups(groups, ("eager",), EngineOptions(threads=1), trials=1, warmup=0, deadline=time.monotonic() - 1)
    assert result.summary.empty
    assert list(result.skipped.values()) == ["not started: the run's time budget was spent"]
    failures: dict[str, str] = {}
    variants = [Variant("resnet18", BASELINE), Variant("resnet18", "se"), Variant("resnet18", "eca")]
    summary, _ = measure_group(variants, "eager", 32, 1, EngineOptions(threads=1), 1, 0, failures=failures, deadline=0)
    assert list(summary.variant) == [BASELINE]  # the baseline is always timed
    assert len(failures) == 2 and all("time budget" in why for why in failures.values())


def broken_network():
    raise RuntimeError("this layer does not build here")


def test_a_sweep_leaves_out_a_failing_group_and_a_failing_step_and_goes_on(monkeypatch, tmp_path, capsys):
    from attnlib.bench.experiment import Experiment
    from attnlib.reproduce import presets

    broken = [([Variant("resnet18", BASELINE, label="broken", factory=broken_network)], 32, 1)]
    tiny = depth_groups((18,), attentions=("ab",), resolution=32)
    result = run_groups(broken + tiny, ("eager",), EngineOptions(threads=1), trials=1, warmup=0, keep_going=True)
    assert list(result.summary.variant) == [BASELINE, "ab"]  # the next group ran
    assert "group left out: RuntimeError: this layer does not build here" in result.skipped.values()
    steps = [
        Experiment("fig3_depth", broken, ("eager",), EngineOptions(threads=1), trials=1, warmup=0),
        Experiment("fig3_depth", tiny, ("eager",), EngineOptions(threads=1), trials=1, warmup=0),
    ]
    monkeypatch.setitem(presets.PRESETS, "cpu", lambda: steps)
    assert main(["bench", "--preset", "cpu", "--output", str(tmp_path)]) == 1  # a step failed: say so
    err = capsys.readouterr().err
    assert "FAILED experiment 1 (fig3_depth: eager (cpu, fp32), 1 group(s), 1 trials): RuntimeError" in err
    assert len(list((tmp_path / "latency").glob("fig3_depth-cpu-*.csv"))) == 1  # the step after it ran


# --- The chapters on a GPU-shaped record ------------------------------------------------------------

BASE_MS = {18: 1.0, 34: 1.8, 50: 2.6, 101: 5.0, 152: 7.4}
SETTINGS = (  # engine label, precision, speed factor, module overhead factor, depths timed
    ("eager", "fp32", 1.0, 1.0, tuple(BASE_MS)),
    ("eager", "fp16", 0.95, 1.3, tuple(BASE_MS)),
    ("eager+graphs", "fp32", 0.45, 0.5, tuple(BASE_MS)),
    ("eager+graphs", "fp16", 0.3, 0.8, tuple(BASE_MS)),
    ("compile+graphs", "fp32", 0.35, 0.3, (18, 50)),
    ("compile+graphs", "fp16", 0.2, 0.6, (18, 50)),
)
OVERHEAD_PCT = {"ab": 8.0, "eca": 12.0, "se": 15.0, "srm": 20.0, "multise": 45.0}


def gpu_shaped_rows(setting) -> pd.DataFrame:
    engine, precision, speed, factor, depths = setting
    rows = []
    for depth in depths:
        base = BASE_MS[depth] * speed
        for variant in (BASELINE, *available()):
            overhead = 0.0 if variant == BASELINE else OVERHEAD_PCT[variant] * factor
            ms = base * (1 + overhead / 100)
            rows.append(
                {
                    "variant": variant,
                    "model": f"resnet{depth}",
                    "attention": variant,
                    "group": f"resnet{depth}",
                    "trials": 100,
                    "min_ms": ms,
                    "median_ms": ms * 1.01,
                    "iqr_ms": ms * 0.01,
                    "overhead_min_pct": overhead,
                    "overhead_median_pct": overhead,
                    "ci_low_pct": overhead - 0.5,
                    "ci_high_pct": overhead + 0.5,
                    "max_abs_error_vs_eager": 0.0,
                    "engine": engine,
                    "device": "cuda",
                    "precision": precision,
                    "channels_last": False,
                    "cuda_graphs": "graphs" in engine,
                    "resolution": 224,
                    "batch_size": 1,
                    "baseline": BASELINE,
                    "experiment": "fig3_depth",
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def gpu_sweep(scratch_data) -> pd.DataFrame:
    """One made-up `bench --preset gpu` session: a Fig. 3 record per engine setting, as the preset writes."""
    for setting in SETTINGS:
        record = provenance(
            "default",
            experiment="fig3_depth",
            trials=100,
            gpu="Made-up GPU (test record)",
            session="20261127T000000Z",
            protocol="preset gpu",
        )
        write_record("latency", "fig3_depth-cuda", gpu_shaped_rows(setting), record, root=scratch_data / "results")
    records = [r for r in committed_records("fig3_depth") if r[0] == "Made-up GPU (test record)"]
    assert len(records) == 1, "the records of one session are one measurement"
    return records[0][2]


def test_a_gpu_sweep_fills_table_2_with_both_precisions_and_the_stand_in(gpu_sweep):
    engine = best_engine(gpu_sweep)
    assert engine == "compile+graphs"  # fastest fp32 baselines where every optimising engine ran
    table = fig3.table2_latency(gpu_sweep, paper.load("table2"), engine)
    for label in (
        "eager PyTorch",
        "eager PyTorch fp16",
        "torch.compile (CUDA graphs)",
        "torch.compile (CUDA graphs) fp16",
    ):
        assert f"ours {label} %" in table.columns
    r50_se = table[(table.ResNet == 50) & (table.module == "SE")].iloc[0]
    assert r50_se["ours eager PyTorch fp16 %"] == pytest.approx(15.0 * 1.3)
    assert r50_se["ours torch.compile (CUDA graphs) %"] == pytest.approx(15.0 * 0.3)
    floor = fig3.engine_floor(gpu_sweep)
    assert floor.loc[50, "eager+graphs ×"] == pytest.approx(1 / 0.45, abs=0.01)  # shown to 2 decimals
    assert floor.loc[18, "compile+graphs fp16 ×"] == pytest.approx(1 / 0.2, abs=0.01)


def test_a_gpu_sweep_checks_the_16_bit_claim_on_the_optimising_engine(gpu_sweep):
    conclusions = fig3.depth_conclusions(gpu_sweep, best_engine(gpu_sweep))
    fp16 = conclusions[conclusions.here.str.contains("fp32 → fp16")]
    assert list(fp16.claim) == ["", "fp16_higher_overhead"]  # eager shown, the optimising engine scored
    assert fp16.holds.all()
    assert "compile+graphs: mean module overhead fp32 → fp16 per depth: R18 " in fp16.here.iloc[1]


def test_a_gpu_sweep_reaches_the_scorecard(gpu_sweep):
    cells = {r["item"]: r for r in scorecard.table2_entries(paper.load("errata"))}
    pytorch = cells["ResNet-50 SE · pytorch overhead (%)"]
    assert pytorch["ours"] == pytest.approx(15.0)
    tensorrt = cells["ResNet-50 SE · tensorrt overhead (%)"]
    assert tensorrt["status"] == "not run here"
    assert "its stand-in here, compile+graphs on Made-up GPU (test record): 4.5 % (not scored)" in tensorrt["note"]


def test_precisions_stay_apart_where_chapters_group_by_engine():
    rows = pd.concat([gpu_shaped_rows(SETTINGS[0]), gpu_shaped_rows(SETTINGS[1])], ignore_index=True)
    rows = rows[rows.model == "resnet50"].assign(resolution=lambda r: r.resolution, depth=50)
    conclusions = fig5.resolution_conclusions(rows, paper.load("figure_claims"))
    assert set(conclusions.engine) == {"eager", "eager fp16"}


def test_the_sweeps_one_screen_table_is_resnet50s_row_per_engine():
    summaries = [gpu_shaped_rows(setting) for setting in SETTINGS]
    title, table = table2_overview(summaries)
    assert title.startswith("resnet50, 224², batch 1")
    assert table.loc[("eager", "fp16"), "multise %"] == pytest.approx(45.0 * 1.3)
    assert len(table) == len(SETTINGS)


def test_the_options_tried_once_get_a_computed_verdict():
    rows = pd.concat([gpu_shaped_rows(setting) for setting in SETTINGS], ignore_index=True)
    extra = []
    for engine, precision, ms in (
        ("compile[reduce-overhead]", "fp32", 0.8),
        ("compile[max-autotune]+graphs", "fp32", 0.5),
        ("eager+graphs+NHWC", "fp16", 0.9),
    ):
        row = rows[(rows.engine == "eager") & (rows.model == "resnet50") & (rows.variant == BASELINE)].iloc[0]
        extra.append(row.to_dict() | {"engine": engine, "precision": precision, "min_ms": ms})
    rows = pd.concat([rows, pd.DataFrame(extra)], ignore_index=True)
    verdicts = fig3.option_verdicts(rows)
    assert verdicts[0].endswith("compile+graphs 0.910 ms — fastest: **compile[max-autotune]+graphs**.")  # 0.35 × 2.6
    nhwc = [v for v in verdicts if v.startswith("Channels-last")]
    assert nhwc == [
        "Channels-last on ResNet-50 (eager+graphs, fp16): 0.900 ms vs 0.780 ms in the default layout — "
        "**not faster** (+15.4 %)."
    ]
    assert fig3.option_verdicts(gpu_shaped_rows(SETTINGS[0])) == []  # a CPU-like record tried neither


@pytest.fixture
def fp32_switches():
    """PyTorch's TF32 switches (new API), restored after the test whatever it did to them."""
    import torch

    switches = (torch.backends.cudnn.conv, torch.backends.cudnn.rnn, torch.backends.cuda.matmul)
    saved = [switch.fp32_precision for switch in switches]
    yield switches
    for switch, precision in zip(switches, saved, strict=True):
        switch.fp32_precision = precision


@pytest.mark.parametrize("mixed", [False, True], ids=["legacy switches", "new API set per operator"])
def test_cuda_math_is_ieee_fp32_while_timing_and_restores_the_switches(fp32_switches, mixed):
    # the switches are plain flags: this runs without a GPU
    import torch

    from attnlib.bench.engines import cuda_math

    conv, rnn, matmul = fp32_switches
    if mixed:
        conv.fp32_precision = "ieee"  # rnn stays tf32: PyTorch then refuses legacy reads
    before = [switch.fp32_precision for switch in fp32_switches]
    with cuda_math(EngineOptions(device="cuda")):
        assert conv.fp32_precision in ("ieee", "none") and rnn.fp32_precision in ("ieee", "none")
        assert matmul.fp32_precision == "ieee"
        if not mixed:  # what inductor and cuDNN read: the legacy switches stay readable, and off
            assert not torch.backends.cudnn.allow_tf32 and not torch.backends.cuda.matmul.allow_tf32
    assert [switch.fp32_precision for switch in fp32_switches] == before
    with cuda_math(EngineOptions()):  # on the CPU nothing is touched
        assert [switch.fp32_precision for switch in fp32_switches] == before
