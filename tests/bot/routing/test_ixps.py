"""IXP inputs: recognised by content, parsed from both formats, merged per PeeringDB id."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.routing.importer import ImportFailed, import_files
from bot.routing.input_kinds import FileKind, detect_kind
from bot.routing.ixps import IxpData, parse_ixps
from tests.bot.routing.ixp_fixtures import peeringdb_ix, peeringdb_ixpfx

IXPS = "ixp/ixps-peering-lans.202410.jsonl"


def test_both_formats_are_recognised_by_content_not_name(shared_data: Path, tmp_path: Path) -> None:
    for name, body in (
        ("a.bin", peeringdb_ix()),
        ("b", peeringdb_ixpfx()),
        ("c.txt", (shared_data / IXPS).read_bytes()),
    ):
        (tmp_path / name).write_bytes(body)
        assert detect_kind(tmp_path / name) is FileKind.IXPS
    (tmp_path / "names.json").write_text(json.dumps({"9198": "KAZTELECOM"}), encoding="utf-8")
    assert detect_kind(tmp_path / "names.json") is FileKind.ASNAMES_JSON


def test_the_shared_list_parses_with_its_date_and_splits_distributed_exchanges(shared_data: Path) -> None:
    parsed = parse_ixps((shared_data / IXPS).read_text(encoding="utf-8"))

    assert parsed.date == datetime(2024, 11, 1, tzinfo=UTC)
    vix = [(i.country, i.city) for i in parsed.ixps if i.name == "Virtual Internet Exchange Point"]
    assert vix == [("LI", "Balzers"), ("NL", "Amsterdam")]
    assert all(i.members is None for i in parsed.ixps)  # the list has no member counts


def test_peeringdb_and_the_list_merge_per_exchange(shared_data: Path) -> None:
    merged = IxpData()
    for text in (peeringdb_ix(), peeringdb_ixpfx(), (shared_data / IXPS).read_bytes()):
        merged.merge(parse_ixps(text.decode()))

    kz = {ixp.name: ixp for ixp in merged.finish() if ixp.country == "KZ"}

    assert kz["KAZ-IX"].members == 21  # from PeeringDB
    lans = kz["KAZ-IX"].prefixes
    assert sorted(lans) == ["185.0.22.0/24", "195.2.230.0/24", "2001:7f8:31::/64"]  # both files', once each
    assert kz["Kazakhstan Internet Exchange"].aka == ("KAZ-GOV-IX",)
    assert kz["DATAHUB-IX"].members is None  # only in the list
    assert merged.date == datetime(2024, 11, 1, tzinfo=UTC)  # the newest of the files


def test_a_broken_file_fails_the_import_saying_where(tmp_path: Path) -> None:
    broken = tmp_path / "ixps.jsonl"
    broken.write_text('{"name": "A", "country": "KZ", "prefixes": {}}\n{"name": broken\n', encoding="utf-8")
    cut = tmp_path / "ix.json"
    cut.write_bytes(peeringdb_ix()[:300])

    with pytest.raises(ImportFailed, match="line 2 is not JSON"):
        import_files([broken], tmp_path / "data")
    with pytest.raises(ImportFailed, match="not a complete PeeringDB JSON document"):
        import_files([cut], tmp_path / "data")
    assert not (tmp_path / "data" / "current").exists()
