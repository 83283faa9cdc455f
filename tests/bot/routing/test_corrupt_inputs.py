"""A corrupt-file corpus through `data import`: truncations at every structural boundary, bit flips, huge
values and wrong formats. Each must end in a clear message or an import that reports its loss, with the
previous snapshot still serving and no half-written folder left behind."""

from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app.features.data import report_answer
from bot.routing.importer import ImportFailed, ImportReport, import_files
from bot.routing.snapshot import current_folder, load_current
from tests.bot.routing.snapshot_fixtures import write_rib

REGISTRY_LINES = [
    "2|ripencc|20190101|6|19830705|20190101|+0000",
    "ripencc|*|ipv4|*|3|summary",
    "ripencc|KZ|asn|9198|1|19980507|allocated",
    "ripencc|KZ|asn|29355|2|20030602|assigned",
    "ripencc|KZ|ipv4|95.56.0.0|262144|20080905|allocated",
    "ripencc|KZ|ipv6|2a00:1a48::|29|20080905|allocated",
    "ripencc|RU|asn|31133|1|20040101|assigned",
]
REGISTRY = ("\n".join(REGISTRY_LINES) + "\n").encode()
NAMES = json.dumps({"9198": "KAZTELECOM-AS JSC Kazakhtelecom, KZ", "29355": "KCELL-AS, KZ"}).encode()


@pytest.fixture
def serving(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(data dir with a snapshot already serving, its folder, a good RIB to import beside the bad file)."""
    rib = write_rib(tmp_path / "rrc99-rib.20190101.0000.bz2", "bzip2")
    data = tmp_path / "data"
    return data, import_files([rib], data).folder, rib


def _corpus() -> Iterator[tuple[str, bytes]]:
    """Generated bad inputs, named for the failure report."""
    for name, content in (("registry", REGISTRY), ("names", NAMES)):
        packed = gzip.compress(content, mtime=0)
        boundaries = {i + 1 for i, byte in enumerate(content) if byte in b'\n|,:"'}
        for cut in sorted(boundaries)[:: max(1, len(boundaries) // 12)]:
            yield f"{name} text cut at byte {cut}", content[:cut]
        for cut in (10, 11, 20, len(packed) // 2, len(packed) - 8, len(packed) - 1):
            yield f"{name} gzip cut at byte {cut}", packed[:cut]
        rng = random.Random(f"{name}-flips")  # fixed seed: the same corpus every run
        for _ in range(6):
            flipped = bytearray(packed)
            position = rng.randrange(10, len(flipped))
            flipped[position] ^= 1 << rng.randrange(8)
            yield f"{name} gzip bit flip at byte {position}", bytes(flipped)
    header = gzip.compress(b"", mtime=0)[:10]
    yield "gzip header then random bytes", header + random.Random(3).randbytes(4096)
    yield "bzip2 magic then junk", b"BZh9" + b"\x00junk" * 50
    yield "HTML error page", b"<html><body>502 Bad Gateway</body></html>\n"
    yield "names JSON that is not an object", b'{"9198": ["a", "b"]'
    yield "huge values", REGISTRY + b"ripencc|KZ|ipv4|95.56.0.0|4294967296|20080905|allocated\n" * 3
    yield "huge AS range", REGISTRY + b"ripencc|KZ|asn|1|4000000000|20080905|allocated\n"
    yield "empty", b""


@pytest.mark.parametrize(("case", "content"), list(_corpus()), ids=[case for case, _ in _corpus()])
def test_corrupt_file_gives_a_clear_answer_and_keeps_the_snapshot(
    serving: tuple[Path, Path, Path], tmp_path: Path, case: str, content: bytes
) -> None:
    data, previous, rib = serving
    bad = tmp_path / "input.bin"
    bad.write_bytes(content)
    try:
        report: ImportReport | None = import_files([rib, bad], data)
    except ImportFailed as failure:
        report = None
        assert "input.bin" in str(failure), case
        assert current_folder(data) == previous
    if report is not None:
        assert current_folder(data) == report.folder
        if "gzip" in case:  # a compressed stream knows when it is cut or damaged: the loss is reported
            assert "input.bin" in report.provenance.truncated_files, case
    assert load_current(data) is not None
    assert not list((data / "snapshots").glob(".tmp-*"))


def test_truncated_gzip_keeps_the_complete_lines_and_says_so(serving: tuple[Path, Path, Path]) -> None:
    data, _, rib = serving
    packed = gzip.compress(REGISTRY + b"ripencc|KZ|asn|65000|1|20200101|assigned\n" * 2000, mtime=0)
    cut = rib.parent / "delegated.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    report = import_files([rib, cut], data)
    assert any("delegated.gz is truncated" in warning for warning in report.warnings)
    record = next(f for f in report.provenance.files if f.name == "delegated.gz")
    assert "end-of-stream" in record.truncation_reason or "corrupt" in record.truncation_reason
    snapshot = load_current(data)
    assert snapshot is not None and snapshot.country_of_asn(9198) == "KZ"
    files = next(s.table for s in report_answer(report).sections if s.title == "Files")
    assert files is not None
    row = next(row for row in files.rows if row[0] == "delegated.gz")
    assert row[6] == "truncated (complete records kept)"  # no "~0 routes" estimate for a text file


def test_truncated_names_json_keeps_every_complete_entry(serving: tuple[Path, Path, Path]) -> None:
    data, _, rib = serving
    names = {str(asn): f"NET-{asn}, KZ" for asn in range(100_000, 140_000)}
    packed = gzip.compress(json.dumps({"9198": "KAZTELECOM-AS, KZ", **names}).encode(), mtime=0)
    cut = rib.parent / "asnames.json.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    report = import_files([rib, cut], data)
    assert "asnames.json.gz" in report.provenance.truncated_files
    snapshot = load_current(data)
    assert snapshot is not None and snapshot.as_name(9198) == "KAZTELECOM-AS"
    assert snapshot.as_name(100_000) == "NET-100000" and snapshot.as_name(139_999) is None


def test_out_of_range_and_garbage_lines_are_skipped_and_counted(serving: tuple[Path, Path, Path]) -> None:
    data, _, rib = serving
    registry = rib.parent / "delegated.txt"
    registry.write_bytes(
        REGISTRY
        + b"ripencc|KZ|ipv4|95.56.0.0|4294967296|20080905|allocated\n"
        + b"ripencc|KZ|asn|1|4000000000|20080905|allocated\n"
        + b"ripencc|KZ|asn|\xd9\xa9|1|20080905|allocated\n"
        + b"garbage line\n"
    )
    report = import_files([rib, registry], data)
    assert "delegated.txt: 4 malformed or out-of-range line(s) skipped" in report.warnings
    snapshot = load_current(data)
    assert snapshot is not None and snapshot.country_of_asn(29356) == "KZ"
    assert snapshot.country_of_asn(2) is None


def test_random_bytes_after_a_gzip_header_name_the_corruption(serving: tuple[Path, Path, Path]) -> None:
    data, previous, rib = serving
    bad = rib.parent / "stats.gz"
    bad.write_bytes(gzip.compress(b"", mtime=0)[:10] + random.Random(1).randbytes(2048))
    with pytest.raises(ImportFailed, match=r"stats.gz has no readable content \(gzip data corrupt"):
        import_files([rib, bad], data)
    assert current_folder(data) == previous


def test_a_file_given_twice_is_read_once_with_a_warning(serving: tuple[Path, Path, Path]) -> None:
    data, _, rib = serving
    report = import_files([rib, rib.parent / "." / rib.name], data)
    assert [f.name for f in report.provenance.files] == [rib.name]
    assert any("was given twice" in warning for warning in report.warnings)


def test_data_dir_problems_are_named_before_any_work(tmp_path: Path) -> None:
    rib = write_rib(tmp_path / "rrc99-rib.20190101.0000.bz2", "bzip2")
    as_file = tmp_path / "a-file"
    as_file.write_text("not a folder")
    with pytest.raises(ImportFailed, match="a-file is a file, not a folder"):
        import_files([rib], as_file)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "snapshots").write_text("in the way")
    with pytest.raises(ImportFailed, match=r"Cannot create the data folder .*snapshots"):
        import_files([rib], tmp_path / "data")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes despite file modes")
def test_unreadable_file_and_read_only_data_dir_are_named(tmp_path: Path) -> None:
    rib = write_rib(tmp_path / "rrc99-rib.20190101.0000.bz2", "bzip2")
    locked = tmp_path / "locked.txt"
    locked.write_bytes(REGISTRY)
    locked.chmod(0)
    with pytest.raises(ImportFailed, match=r"Cannot read .*locked.txt: Permission denied"):
        import_files([rib, locked], tmp_path / "data")
    read_only = tmp_path / "ro"
    read_only.mkdir()
    read_only.chmod(0o555)
    with pytest.raises(ImportFailed, match=r"Cannot (write to|create) the data folder .*ro"):
        import_files([rib], read_only)


def test_the_next_import_removes_a_killed_writers_temp_folder(serving: tuple[Path, Path, Path]) -> None:
    """SIGTERM/SIGKILL mid-write runs no cleanup; the folder names its writer, so the next import can tell."""
    data, _, rib = serving
    dead_pid = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_pid.wait()
    abandoned = data / "snapshots" / f".tmp-20260101T000000-abcdef-pid{dead_pid.pid}"
    legacy = data / "snapshots" / ".tmp-20250101T000000-fedcba"
    running = data / "snapshots" / f".tmp-20260101T000001-123456-pid{os.getpid()}"
    for folder in (abandoned, legacy, running):
        folder.mkdir()
        (folder / "route_path.npy").write_bytes(b"\0" * 1024)
    import_files([rib], data)
    assert sorted(p.name for p in (data / "snapshots").glob(".tmp-*")) == [running.name]
