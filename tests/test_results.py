"""Run records: provenance fields, atomic writes, nothing overwritten."""

from __future__ import annotations

import pandas as pd
import pytest

from attnlib import results


def test_provenance_has_hardware_versions_profile_date_commit():
    record = results.provenance("smoke", engine="eager")
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


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    class Boom(Exception):
        pass

    def explode(*args, **kwargs):
        raise Boom

    monkeypatch.setattr(results.os, "replace", explode)
    with pytest.raises(Boom):
        results.write_record("k", "x", pd.DataFrame({"x": [1]}), {}, root=tmp_path)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
