"""reach-batch: a plain list and the Citizen Lab CSV, three report formats, bounded concurrency."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from bot.app.answer import BadInput
from bot.app.features.reach.batch import read_targets, run_batch
from bot.core.settings import LiveSettings, ReachSettings, Settings
from bot.frontends.cli import main
from bot.reach.site import parse_target
from tests.bot.reach.servers import closed_port
from tests.fixtures.reach_lab import Lab


async def _settings(lab: Lab) -> Settings:
    dns = await lab.dns({"site.test": ["127.0.0.1"]})
    reach = ReachSettings(
        silkroute_allow_unsafe_targets=True,
        silkroute_public_resolver=f"127.0.0.1:{dns.port}",
        silkroute_system_resolver=f"127.0.0.1:{dns.port}",
        silkroute_reach_timeout=2.0,
    )
    return Settings(reach=reach, live=LiveSettings())


def test_reads_the_url_column_of_the_citizen_lab_list(shared_data: Path) -> None:
    path = shared_data / "sites" / "citizenlab-kz.csv"
    targets, invalid = read_targets(path)
    with path.open(encoding="utf-8") as handle:
        urls = {row["url"] for row in csv.DictReader(handle)}
    assert invalid == []
    assert {t.url for t in targets} == {parse_target(u).url for u in urls}
    assert len(targets) > 500
    assert any(t.host == "www.akorda.kz" for t in targets)
    assert all(t.scheme in {"http", "https"} for t in targets)


def test_plain_list_skips_comments_and_keeps_bad_lines_apart(tmp_path: Path) -> None:
    path = tmp_path / "sites.txt"
    path.write_text("# news\nnur.kz\n\nftp://old.kz\nnur.kz  # again\nhttp://kaspi.kz\n")
    targets, invalid = read_targets(path)
    assert [t.url for t in targets] == ["https://nur.kz/", "http://kaspi.kz/"]
    assert invalid[0][0] == "ftp://old.kz"


@pytest.mark.parametrize("output_format", ["table", "csv", "json"])
async def test_writes_each_format(lab: Lab, tmp_path: Path, output_format: str) -> None:
    server = await lab.web()
    path = tmp_path / "list.txt"
    path.write_text(f"http://site.test:{server.port}/\nhttp://site.test:{closed_port()}/\nmailto:x\n")
    output = tmp_path / f"report.{output_format}"
    text = await run_batch(
        path, await _settings(lab), output_format=output_format, output=output, concurrency=2, progress=False
    )
    assert output.read_text() == text
    if output_format == "json":
        document = json.loads(text)
        assert [t["verdict"] for t in document["targets"]] == ["reachable", "tcp"]
        assert document["invalid"][0]["target"] == "mailto:x"
    elif output_format == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [r["verdict"] for r in rows] == ["reachable", "tcp", "bad_input"]
    else:
        assert "reachable" in text and "3 targets" in text


async def test_rejects_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput):
        await run_batch(tmp_path / "x.txt", Settings(), output_format="xml")
    with pytest.raises(BadInput, match="Cannot read"):
        await run_batch(tmp_path / "missing.txt", Settings())


def test_a_malformed_line_is_reported_and_the_rest_still_read(tmp_path: Path) -> None:
    path = tmp_path / "sites.txt"
    path.write_text("nur.kz\nhttp://[::1\nkaspi.kz\n")
    targets, invalid = read_targets(path)
    assert [t.host for t in targets] == ["nur.kz", "kaspi.kz"]
    assert [raw for raw, _ in invalid] == ["http://[::1"]


@pytest.mark.parametrize(
    "content", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", b"nur.kz\n\x00\x00kaspi.kz\n"]
)
def test_a_binary_file_is_bad_input(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "sites.csv"
    path.write_bytes(content)
    with pytest.raises(BadInput, match="not a UTF-8 text or CSV file"):
        read_targets(path)


def test_the_cli_exits_non_zero_on_a_file_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = tmp_path / "sites.bin"
    binary.write_bytes(b"\xff\xfe\x00\x01" * 64)
    assert main(["reach-batch", str(binary)]) == 2
    assert main(["reach-batch", str(tmp_path / "missing.txt")]) == 2
    errors = capsys.readouterr().err
    assert "not a UTF-8 text or CSV file" in errors and "Cannot read" in errors
    assert "Traceback" not in errors


def test_a_csv_row_the_reader_cannot_parse_is_reported_and_the_rest_still_read(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text("url,category\n" + "x" * 200_000 + ",NEWS\nhttps://nur.kz/,NEWS\n")
    targets, invalid = read_targets(path)
    assert [t.url for t in targets] == ["https://nur.kz/"]
    assert invalid == [("line 2", "not valid CSV: field larger than field limit (131072)")]


async def test_an_unwritable_output_is_refused_before_any_probe(lab: Lab, tmp_path: Path) -> None:
    server = await lab.web()
    path = tmp_path / "list.txt"
    path.write_text(f"http://127.0.0.1:{server.port}/\n")
    settings = await _settings(lab)
    for output, why in (
        (tmp_path / "nonexistent" / "d" / "o.txt", "does not exist"),
        (tmp_path, "is a folder"),
    ):
        with pytest.raises(BadInput, match=why):
            await run_batch(path, settings, output=output, progress=False)
    assert server.hits == []
