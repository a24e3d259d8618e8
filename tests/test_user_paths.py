"""The user's paths (issue 10): records, reruns, the book guard, progress, validation, noise checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import torch

from attnlib import provenance, results
from attnlib.book_guard import notebook_problems
from attnlib.cli import build_parser, main
from attnlib.notebooks import NOTEBOOKS, NotebookFailed, execute
from attnlib.reproduce.latency import committed_records, guarded_conclusions, measurement_problems

ROOT = Path(__file__).resolve().parents[1]
LATENCY_EXPERIMENTS = ("fig3_depth", "fig5_resolution", "fig6_batch", "modules", "single")


# --- item 3: every committed record format is readable; ad-hoc runs never reach the book ----------


def test_every_committed_record_reads_in_the_current_schema():
    records = results.read_records("latency")
    assert records, "the book's latency chapters need committed records"
    for table, record in records:
        assert record["record_schema"] == results.RECORD_SCHEMA
        assert {"group", "engine", "variant", "min_ms", "overhead_min_pct"} <= set(table.columns)
    for experiment in LATENCY_EXPERIMENTS:
        for _, label, record in committed_records(experiment):
            assert record.depth.notna().all() and "trials" in label


def test_old_and_new_latency_records_together(tmp_path, monkeypatch):
    """A schema-1 record (no group column) beside a new one: the reproduction of the fig3 crash."""
    folder = tmp_path / "results" / "latency"
    folder.mkdir(parents=True)
    old = ROOT / "tests/data/schema1/modules-cpu-20261126T035334059902Z.csv"  # once committed, now a fixture
    shutil.copy(old, folder / old.name)
    shutil.copy(old.with_suffix(".json"), folder / old.with_suffix(".json").name)
    new = pd.read_csv(old).assign(group="resnet50")
    results.write_record(
        "latency", "modules-cpu", new, provenance.provenance("default", experiment="modules"), tmp_path / "results"
    )
    monkeypatch.setenv("ATTNLIB_DATA", str(tmp_path))
    labelled = committed_records("modules")
    assert len(labelled) == 2
    assert any("ad hoc (40 trials" in label for _, label, _ in labelled)  # old default 'paper' not shown as paper


def test_runs_write_to_data_runs_and_the_book_reads_data_results(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNLIB_DATA", str(tmp_path))
    table = pd.DataFrame({"x": [1]})
    ad_hoc = results.write_record("latency", "quick", table, {"experiment": "quick"})
    assert ad_hoc.parent == tmp_path / "runs" / "latency"
    assert results.read_records("latency") == []
    committed = results.write_record("latency", "kept", table, {"experiment": "kept"}, committed=True)
    assert committed.parent == tmp_path / "results" / "latency"
    assert len(results.read_records("latency")) == 1


def test_bench_profile_defaults_to_default():
    args = build_parser().parse_args(["bench"])
    assert args.profile == "default" and not args.commit


# --- item 4: a failed rerun keeps the page; the book refuses failed or missing notebooks -------------


def test_failed_rerun_keeps_the_previous_page(tmp_path):
    page = tmp_path / "fig2_complexity.ipynb"
    page.write_text("the good page")
    with pytest.raises(
        NotebookFailed, match=r"fig2_complexity failed in cell \d+ — ValueError: unknown model 'resnet7'"
    ):
        execute("fig2_complexity", "smoke", tmp_path, {"depths": [7]})
    assert page.read_text() == "the good page"
    kept = nbformat.read(tmp_path / "fig2_complexity.failed.ipynb", as_version=4)
    assert any(o.output_type == "error" for c in kept.cells for o in c.get("outputs", []))


def test_book_guard_names_missing_and_failed_notebooks(tmp_path):
    shutil.copytree(ROOT / "book", tmp_path / "book", ignore=shutil.ignore_patterns("_build", "notebooks"))
    (tmp_path / "book" / "notebooks").mkdir()
    failed = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("error", ename="ValueError", evalue="bad")])]
    )
    nbformat.write(failed, tmp_path / "book" / "notebooks" / "fig1_modules.ipynb")
    problems = notebook_problems(tmp_path / "book")
    assert len(problems) == len(NOTEBOOKS)
    failing = [p for p in problems if "fig1_modules" in p]
    assert len(failing) == 1 and "fig1_modules.ipynb holds an error in cell 0: ValueError: bad" in failing[0]
    assert all("missing" in p for p in problems if p not in failing)


def test_papermill_parameters_keep_tuples_as_values():
    from attnlib.notebooks import _papermill_value

    assert _papermill_value((50, 101)) == [50, 101]
    assert _papermill_value({"a": (1, (2, 3))}) == {"a": [1, [2, 3]]}


# --- item 6: progress and defaults ------------------------------------------------------------------


def test_notebooks_report_each_notebook_as_it_goes(tmp_path, capsys):
    assert main(["notebooks", "fig1_modules", "--profile", "smoke", "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "[1/1] fig1_modules … ok (" in out and "1 of 1 notebooks executed" in out


@pytest.mark.parametrize(("command", "shown"), [("bench", "(default 200; zoo:"), ("train", "(default: default)")])
def test_help_shows_defaults(command, shown, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert shown in capsys.readouterr().out


# --- item 9: every number and device is validated at the boundary ------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["complexity", "--batch-size", "0"],
        ["complexity", "--resolution", "-3"],
        ["bench", "--warmup", "-1"],
        ["bench", "--threads", "0"],
        ["bench", "--trials", "0"],
        ["bench", "--preset", "cpu", "--engine", "eager"],
        ["train", "--dataset", "synthetic-cifar", "--accumulation-steps", "0"],
        ["train", "--dataset", "synthetic-cifar", "--lr", "-0.1"],
        ["train", "--model", "cifar_resnet8"],  # --dataset is required: synthetic data only when named
    ],
)
def test_bad_numbers_are_refused_in_one_line(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert not error.startswith("usage:") and "error:" in error


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without a GPU")
@pytest.mark.parametrize("command", [["train", "--dataset", "synthetic-cifar"], ["bench"]])
def test_cuda_without_a_gpu_is_one_clear_error(command, capsys):
    assert main([*command, "--device", "cuda"]) == 2
    assert "PyTorch sees no CUDA GPU here" in capsys.readouterr().err


def test_library_functions_validate_sizes():
    from attnlib.bench.engines import EngineOptions
    from attnlib.bench.latency import Variant, measure_group
    from attnlib.complexity import count_model

    with pytest.raises(ValueError, match="positive ints"):
        count_model("resnet18", input_size=(0, 3, 224, 224))
    with pytest.raises(ValueError, match="threads must be >= 1"):
        EngineOptions(threads=0)
    with pytest.raises(ValueError, match="resolution must be positive"):
        measure_group([Variant("resnet18")], "eager", resolution=0)


# --- item 7: live measurements too noisy for conclusions are recognised -----------------------------


def summary_row(model: str, variant: str, min_ms: float, **values: float) -> dict[str, object]:
    row = {
        "engine": "eager",
        "precision": "fp32",
        "model": model,
        "variant": variant,
        "baseline": "baseline",
        "resolution": 224,
        "batch_size": 1,
        "min_ms": min_ms,
        "median_ms": min_ms * 1.05,
        "iqr_ms": min_ms * 0.02,
        "overhead_median_pct": 5.0,
        "ci_high_pct": 8.0,
    }
    row.update(values)
    return row


def test_noise_check_finds_impossible_orders_negative_overheads_and_spread():
    quiet = pd.DataFrame(
        [
            summary_row("resnet18", "baseline", 10.0),
            summary_row("resnet18", "se", 11.0),
            summary_row("resnet101", "baseline", 40.0),
        ]
    )
    assert measurement_problems(quiet) == []
    noisy = pd.DataFrame(
        [
            summary_row("resnet34", "baseline", 50.0, iqr_ms=20.0, median_ms=52.0),
            summary_row("resnet34", "openvino-se", 30.0, overhead_median_pct=-41.0, ci_high_pct=-30.0),
            summary_row("resnet101", "baseline", 45.0),
        ]
    )
    problems = " | ".join(measurement_problems(noisy))
    assert "eager PyTorch, ResNet-34 at 224², batch 1: the baseline's trials spread 38 %" in problems
    assert "cannot make the network faster" in problems
    assert "eager PyTorch (fp32): ResNet-101 (45.0 ms) timed no slower than ResNet-34 (50.0 ms)" in problems
    assert "ResNet-34 + openvino-se at 224²" in problems  # an unknown variant keeps its name
    withheld = guarded_conclusions(pd.DataFrame({"holds": [False]}), noisy, "this machine")
    assert "Conclusions withheld" in withheld.data


def test_committed_depth_record_supports_its_conclusions():
    (_, _, record), *_ = committed_records("fig3_depth")
    assert measurement_problems(record) == []


def test_record_json_is_valid_for_every_committed_latency_record():
    for path in (ROOT / "data/results/latency").glob("*.json"):
        assert "experiment" in json.loads(path.read_text())


# --- issue 23, item 6: a rebuild re-executes only the pages whose inputs changed ----------------------


def test_a_rebuild_reuses_unchanged_pages_and_reruns_changed_ones(tmp_path, scratch_data, monkeypatch, capsys):
    """The cache's decisions, with execution replaced by a stand-in that writes a page and its run record
    as :func:`attnlib.notebooks.execute` does (the smoke book checks that real executions record their
    inputs, see tests/test_book.py)."""
    import json
    import shutil

    from attnlib import notebooks

    executed: list[str] = []

    def stand_in(name, profile="default", output_dir=None, parameters=None, **_):
        executed.append(name)
        folder = Path(output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.ipynb").write_text("{}")
        record = {"date": f"run {len(executed)}", "inputs": notebooks.page_inputs(name, profile, {})}
        (folder / f"{name}.run.json").write_text(json.dumps(record))

    monkeypatch.setattr(notebooks, "execute", stand_in)
    pages, names = tmp_path / "pages", ["fig1_modules", "fig3_latency_depth"]
    assert all(o.startswith("ok") for o in notebooks.execute_all("smoke", pages, names=names).values())
    second = notebooks.execute_all("smoke", pages, names=names)
    assert second == {"fig1_modules": "reused (executed run 1)", "fig3_latency_depth": "reused (executed run 2)"}
    assert notebooks.execute_all("default", pages, names=names[:1])["fig1_modules"].startswith("ok")  # profile
    # a changed notebook reruns its page only
    source = tmp_path / "fig1_modules.py"
    shutil.copy(notebooks.notebook_source("fig1_modules"), source)
    source.write_text(source.read_text() + "\n# %%\n1 + 1\n")
    real_source = notebooks.notebook_source
    monkeypatch.setattr(
        notebooks, "notebook_source", lambda name: source if name == "fig1_modules" else real_source(name)
    )
    third = notebooks.execute_all("smoke", pages, names=names)
    assert third["fig1_modules"].startswith("ok") and third["fig3_latency_depth"].startswith("reused")
    # a committed record reruns the pages that read its kind, not the others
    record = scratch_data / "results" / "latency" / "made-up-for-the-test.json"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text("{}")
    fourth = notebooks.execute_all("smoke", pages, names=names)
    assert fourth["fig1_modules"].startswith("reused") and fourth["fig3_latency_depth"].startswith("ok")
    assert main(["notebooks", *names, "--profile", "smoke", "--output", str(pages), "--force"]) == 0
    assert "2 of 2 notebooks executed, 0 reused" in capsys.readouterr().out
    assert json.loads((pages / notebooks.BUILD_STATE).read_text())["fig1_modules"]["state"] == "executed"
    notebooks.execute_all("smoke", pages, names=names)
    report = notebooks.execution_report(pages).set_index("chapter")
    assert report.loc["fig1_modules", "last build"] == "reused: inputs unchanged"
