"""Run records: provenance fields, atomic writes, nothing overwritten."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from attnlib import provenance, results
from attnlib.stats import paired_correct_interval
from attnlib.train.records import pack_mask, unpack_mask


def test_provenance_has_hardware_versions_profile_date_commit():
    record = provenance.provenance("smoke", engine="eager")
    for field in (
        "profile",
        "date",
        "git_commit",
        "cpu",
        "cpu_count",
        "torch_threads",
        "torch",
        "torchvision",
        "python",
    ):
        assert field in record
    assert record["profile"] == "smoke" and record["engine"] == "eager"


def test_write_and_read_record(tmp_path):
    table = pd.DataFrame({"module": ["ab", "se"], "value": [1.5, 2.5]})
    path = results.write_record("latency", "demo", table, {"profile": "smoke"}, root=tmp_path)
    assert path.is_file() and path.with_suffix(".json").is_file()
    ((read_table, read_provenance),) = results.read_records("latency", root=tmp_path)
    pd.testing.assert_frame_equal(read_table, table)
    assert read_provenance["profile"] == "smoke" and read_provenance["read_from_schema"] == 1
    assert not list(tmp_path.rglob("*.tmp"))


def test_records_are_never_overwritten(tmp_path):
    table = pd.DataFrame({"x": [1]})
    first = results.write_record("k", "same", table, {}, root=tmp_path)
    second = results.write_record("k", "same", table, {}, root=tmp_path)
    assert first != second
    assert len(results.read_records("k", root=tmp_path)) == 2


def test_records_are_read_from_disk_once_per_state_of_each_folder(tmp_path, monkeypatch):
    """A page that reads two kinds of record in turn reads each folder once; a new record is read."""
    results.write_record("fashion", "a", pd.DataFrame({"x": [1]}), {}, root=tmp_path)
    results.write_record("int8", "b", pd.DataFrame({"y": [2]}), {}, root=tmp_path)
    reads: list[str] = []
    real_read_csv = pd.read_csv

    def counting_read_csv(path, *args, **kwargs):
        reads.append(path.parent.name)
        return real_read_csv(path, *args, **kwargs)

    monkeypatch.setattr(results.pd, "read_csv", counting_read_csv)
    for _ in range(3):
        results.read_records("fashion", root=tmp_path)
        results.read_records("int8", root=tmp_path)
    assert sorted(reads) == ["fashion", "int8"]
    first = results.read_records("fashion", root=tmp_path)
    first[0][0].loc[0, "x"] = 99  # a caller's change does not reach the next reader
    assert results.read_records("fashion", root=tmp_path)[0][0].loc[0, "x"] == 1
    results.write_record("fashion", "c", pd.DataFrame({"x": [3]}), {}, root=tmp_path)
    assert len(results.read_records("fashion", root=tmp_path)) == 2 and reads.count("fashion") == 3


def test_the_read_cache_keeps_only_the_most_recently_read_folders(tmp_path):
    """Reading more folders than the cache keeps drops the least recently read one, not the one in use."""
    folders = [tmp_path / f"run{i}" for i in range(results.READ_CACHE_FOLDERS + 3)]
    for folder in folders:
        results.write_record("k", "x", pd.DataFrame({"x": [1]}), {}, root=folder)
    for folder in folders:
        results.read_records("k", root=folders[0])  # the first folder stays in use throughout
        assert len(results.read_records("k", root=folder)) == 1
    kept = {place for place, _ in results._READ_CACHE.items()}
    assert len(results._READ_CACHE) <= results.READ_CACHE_FOLDERS
    assert (str((folders[0] / "k").resolve()), "k") in kept
    assert (str((folders[1] / "k").resolve()), "k") not in kept


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    class Boom(Exception):
        pass

    def explode(*args, **kwargs):
        raise Boom

    from attnlib import files

    monkeypatch.setattr(files.os, "replace", explode)
    with pytest.raises(Boom):
        results.write_record("k", "x", pd.DataFrame({"x": [1]}), {}, root=tmp_path)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_count_cache_that_cannot_be_written_leaves_no_temporary_file(tmp_path, monkeypatch):
    """The complexity count cache writes through the same atomic writer: a failed rename costs only speed."""
    from attnlib import complexity, files

    def refuse(*args, **kwargs):
        raise PermissionError("read-only cache")

    monkeypatch.setenv("ATTNLIB_CACHE", str(tmp_path))
    monkeypatch.setattr(files.os, "replace", refuse)
    complexity._count_model_cached.cache_clear()
    try:
        counted = complexity.count_model("cifar_resnet8", "eca", input_size=(1, 3, 32, 32), convention="exact")
    finally:
        complexity._count_model_cached.cache_clear()
    assert counted.params > 0
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_machine_load_counts_only_other_processes_cpu_time() -> None:
    from attnlib.machine_load import cpu_snapshot, machine_load

    before = {"busy_s": 100.0, "own_s": 10.0, "wall_s": 50.0, "load_average": 0.5, "cpus": 2}
    after = {"busy_s": 118.0, "own_s": 20.0, "wall_s": 60.0, "load_average": 1.5, "cpus": 2}
    # 18 s of busy CPU in 10 s on 2 CPUs, 10 s of it ours: others used 8 of 20 CPU-seconds
    assert machine_load(before, after) == {
        "load_average_before": 0.5,
        "load_average_after": 1.5,
        "others_cpu_pct": 40.0,
    }
    assert machine_load(None, after)["others_cpu_pct"] is None
    snapshot = cpu_snapshot()
    if snapshot is not None:  # Linux
        assert snapshot["busy_s"] > 0 and snapshot["cpus"] >= 1


def test_joined_measurements_keep_their_own_load_and_the_record_states_the_busiest() -> None:
    import pandas as pd

    from attnlib.machine_load import LOAD_FIELDS, table_load, watching_load, with_load

    with watching_load() as load:
        sum(range(1000))
    assert set(load) == set(LOAD_FIELDS)  # filled when the block ends
    quiet = {"others_cpu_pct": 1.0, "load_average_before": 0.1, "load_average_after": 0.2}
    busy = {"others_cpu_pct": 30.0, "load_average_before": 1.5, "load_average_after": 1.9}
    first = with_load(pd.DataFrame({"variant": ["a", "b"]}), quiet)
    second = with_load(pd.DataFrame({"variant": ["a"]}), busy)
    joined = pd.concat([first, second], ignore_index=True)  # concat drops .attrs, not columns
    assert joined.others_cpu_pct.tolist() == [1.0, 1.0, 30.0]
    assert table_load(joined) == busy and table_load(first) == quiet
    assert table_load(pd.DataFrame({"variant": ["a"]})) == dict.fromkeys(LOAD_FIELDS)
    assert with_load(pd.DataFrame(), busy).empty


def test_a_sweep_timed_beside_busy_processes_is_withheld() -> None:
    import pandas as pd

    from attnlib.reproduce.latency import measurement_problems

    row = {"variant": "baseline", "baseline": "baseline", "engine": "eager", "model": "cifar_net", "precision": "fp32",
           "resolution": 32, "batch_size": 1, "min_ms": 1.0, "median_ms": 1.0, "iqr_ms": 0.01,
           "overhead_median_pct": 0.0, "ci_low_pct": 0.0, "ci_high_pct": 0.0}  # fmt: skip
    assert measurement_problems(pd.DataFrame([{**row, "others_cpu_pct": 2.0}])) == []
    problems = measurement_problems(pd.DataFrame([{**row, "others_cpu_pct": 45.0}]))
    assert len(problems) == 1 and "other processes used 45 %" in problems[0]


def test_no_committed_record_holds_a_path_of_the_machine_that_made_it() -> None:
    """Records travel: dataset and checkpoint folders are relative to the data root or the repository.
    Every string of every record is read, except the packed test-image masks (base64, which may begin
    with a slash)."""
    import json
    import re

    from attnlib.paper import data_root

    absolute = re.compile(r"^(/|[A-Za-z]:\\)|[ (]/(home|root|tmp|work|usr|Users|mnt)/")

    def strings(value: object, key: str = "") -> list[str]:
        if key == "test_correct":
            return []
        if isinstance(value, dict):
            return [text for k, v in value.items() for text in strings(v, str(k))]
        if isinstance(value, list):
            return [text for item in value for text in strings(item, key)]
        return [value] if isinstance(value, str) else []

    offenders = [
        path.name
        for path in (data_root() / "results").rglob("*.json")
        if any(absolute.search(text) for text in strings(json.loads(path.read_text())))
    ]
    assert offenders == []
    assert absolute.search("/work/main/data") and absolute.search("from /home/me/x") and absolute.search("C:\\data")
    assert not absolute.search("data/checkpoints/run") and not absolute.search("…/fashion-mnist")


def test_portable_paths_keep_only_what_travels(tmp_path, monkeypatch) -> None:
    from attnlib.results import portable

    monkeypatch.setenv("ATTNLIB_DATA", str(tmp_path / "data"))
    record = {
        "folder": str(tmp_path / "data" / "datasets" / "fashion-mnist"),
        "dataset": f"Fashion-MNIST from {tmp_path}/data/datasets/fashion-mnist: 60000 images",
        "elsewhere": ["/usr/share/datasets/fashion-mnist"],
        "source": "https://github.com/zalandoresearch/fashion-mnist",
        "ratio": "10/10",
    }
    assert portable(record) == {
        "folder": "data/datasets/fashion-mnist",
        "dataset": "Fashion-MNIST from data/datasets/fashion-mnist: 60000 images",
        "elsewhere": ["…/fashion-mnist"],
        "source": "https://github.com/zalandoresearch/fashion-mnist",
        "ratio": "10/10",
    }


@pytest.mark.parametrize(
    ("features", "native", "words"),
    [
        (["avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"], True, "2-core Xeon with AMX"),
        (["avx2", "avx512f", "avx512_bf16"], True, "2-core Xeon with AVX-512 BF16"),
        (["avx2", "avx512f"], False, "2-core Xeon without native bf16"),
        ([], False, "2-core Xeon without native bf16"),
    ],
)
def test_a_machine_says_whether_it_computes_bf16_natively(features, native, words):
    assert provenance.has_native_bf16(features) is native
    assert provenance.machine_name("Xeon", features, 2) == words
    assert provenance.machine_name("Xeon", features).startswith("Xeon ")


def test_this_machine_s_native_bf16_is_read_from_its_features():
    assert provenance.has_native_bf16() is provenance.has_native_bf16(provenance.cpu_features())


# --- paired test-image intervals and the masks records keep -----------------------------------------


@pytest.mark.parametrize("size", [2, 8, 10_001])
def test_a_packed_mask_comes_back_bit_for_bit(size: int) -> None:
    mask = np.random.default_rng(size).random(size) < 0.9
    packed = pack_mask(torch.from_numpy(mask))
    assert packed["size"] == size and np.array_equal(unpack_mask(packed), mask)
    with pytest.raises(ValueError, match="holds only"):
        unpack_mask({**packed, "size": size + 8})
    with pytest.raises(ValueError, match="'size' and base64 'bits'"):
        unpack_mask({"bits": packed["bits"]})


def test_the_paired_test_image_interval_by_hand() -> None:
    reference = np.zeros(1_000, dtype=bool)
    reference[:900] = True
    other = reference.copy()
    other[900:930] = True  # 30 more right
    other[:10] = False  # 10 fewer
    mean, low, high = paired_correct_interval(reference, other)
    differences = np.r_[np.ones(30), -np.ones(10), np.zeros(960)]
    half = 1.96 * 100 * differences.std(ddof=1) / math.sqrt(1_000)
    assert mean == pytest.approx(2.0) and (low, high) == pytest.approx((2.0 - half, 2.0 + half))
    assert paired_correct_interval(reference, reference) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="same length"):
        paired_correct_interval(reference, other[:-1])
