"""`silkroute lookup-batch`: the bulk path must say exactly what /lookup's code says, address by address."""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import random
import socket
from pathlib import Path

import pytest

from bot.frontends.cli import main
from bot.routing.batch_lookup import CHUNK, FACTS_KEPT, BadLine, BatchLookup, BatchRow, dotted_quads
from bot.routing.importer import import_events
from bot.routing.lookup import prefix_facts
from bot.routing.mrt import RouteEvent
from bot.routing.snapshot import Snapshot, load_current
from tests.bot.routing.snapshot_fixtures import T0


def expected(snapshot: Snapshot, ip: str) -> tuple[str | None, list[int], str | None]:
    match = snapshot.lookup_ip(ip)
    origins = [o.asn for o in match.origins] if match else []
    return (match.prefix if match else None), origins, snapshot.country_of_ip(ip)


@pytest.mark.parametrize("kept", [FACTS_KEPT, 100])
def test_random_ipv4_agree_with_lookup_ip(
    real_snapshot: Snapshot, kept: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More than one chunk of random addresses (covered or not), so the interval table and chunking are
    checked against pyasn + the MOAS table on every one; again with the cache of answers starting over
    every few hundred prefixes."""
    monkeypatch.setattr("bot.routing.batch_lookup.FACTS_KEPT", kept)
    rng = random.Random(11)
    ips = [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(CHUNK + 1500)]
    ips += [f"2.72.{rng.randrange(64)}.{rng.randrange(256)}" for _ in range(500)]  # inside KZ routes
    for route in rng.sample([r.prefix for r in real_snapshot.routes(4)], 300):  # edges of nested ranges
        network = ipaddress.IPv4Network(route)
        edges = (
            int(network.network_address) - 1,
            int(network.network_address),
            int(network.broadcast_address),
        )
        ips += [str(ipaddress.IPv4Address(a % 2**32)) for a in (*edges, edges[2] + 1)]
    rows = list(BatchLookup(real_snapshot).rows(ips))
    assert all(isinstance(r, BatchRow) for r in rows) and len(rows) == len(ips)
    got = [(r.prefix, [o.asn for o in r.origins], r.country) for r in rows if isinstance(r, BatchRow)]
    assert got == [expected(real_snapshot, ip) for ip in ips]
    assert sum(r[0] is not None for r in got) > 500  # the list is not all misses


def test_ipv6_prefixes_comments_and_bad_lines(real_snapshot: Snapshot) -> None:
    lines = [
        "# researchers' list\n",
        "\n",
        "2.72.0.1  # Kazakhtelecom space\n",
        "2.72.0.0/18\n",
        "2.72.0.0/20\n",
        "2001:7f8:30::2:1:0:8447\n",
        "not-an-ip\n",
        "2.72.0.0/33\n",
        "2a00:12f8::/32\n",
    ]
    results = list(BatchLookup(real_snapshot).rows(lines))
    assert sorted(r.line for r in results) == [3, 4, 5, 6, 7, 8, 9]
    bad = [r for r in results if isinstance(r, BadLine)]
    assert [(b.line, b.text) for b in bad] == [(7, "not-an-ip"), (8, "2.72.0.0/33")]
    rows = {r.query: r for r in results if isinstance(r, BatchRow)}
    assert rows["2.72.0.1"].prefix == "2.72.0.0/18" and rows["2.72.0.1"].country == "KZ"
    assert (rows["2.72.0.0/18"].prefix, rows["2.72.0.0/18"].origins) == (
        rows["2.72.0.1"].prefix,
        rows["2.72.0.1"].origins,
    )
    sub = prefix_facts(real_snapshot, ipaddress.ip_network("2.72.0.0/20"), 0)
    assert rows["2.72.0.0/20"].prefix == sub.covering == "2.72.0.0/18"
    assert [o.asn for o in rows["2.72.0.0/20"].origins] == [o.asn for o in sub.origins]
    assert all(o.name for o in rows["2.72.0.1"].origins)
    v6 = expected(real_snapshot, "2001:7f8:30::2:1:0:8447")
    assert (rows["2001:7f8:30::2:1:0:8447"].prefix, rows["2001:7f8:30::2:1:0:8447"].country) == (v6[0], v6[2])
    assert rows["2a00:12f8::/32"].country == "KZ"


@pytest.fixture
def data_dir(real_snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = real_snapshot.folder.parent.parent
    monkeypatch.setenv("SILKROUTE_DATA_DIR", str(folder))
    return folder


def test_cli_csv_from_file_exit_2_on_bad_lines(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = tmp_path / "ips.txt"
    listing.write_text("2.72.0.1\n# comment\nbogus\n2a00:12f8::/32\n")
    assert main(["lookup-batch", str(listing)]) == 2
    out, err = capsys.readouterr()
    table = list(csv.DictReader(io.StringIO(out)))
    assert [r["query"] for r in table] == ["2.72.0.1", "2a00:12f8::/32"]
    assert table[0]["prefix"] == "2.72.0.0/18" and table[0]["country"] == "KZ" and table[0]["origin_as"]
    assert "line 3: skipped 'bogus'" in err and "e.g. 95.56.0.1" in err
    assert "sources: BGP collector" in err and "2014-05-23" in err


def test_cli_csv_says_what_lookup_ip_says_on_every_row(
    data_dir: Path, real_snapshot: Snapshot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CSV rows are joined a chunk at a time: over two chunks of random addresses (routed or not, with a
    registration country or not), each row still carries its own address's answer, names quoted as CSV."""
    rng = random.Random(5)
    ips = [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(CHUNK + 700)]
    ips += [f"2.72.{rng.randrange(64)}.{rng.randrange(256)}" for _ in range(300)]
    (tmp_path / "ips.txt").write_text("".join(f"{ip}\n" for ip in ips))
    assert main(["lookup-batch", str(tmp_path / "ips.txt")]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["query"] for r in table] == ips
    for ip, row in zip(ips, table, strict=True):
        prefix, origins, country = expected(real_snapshot, ip)
        names = [real_snapshot.as_name(asn) or "" for asn in origins]
        assert (row["prefix"], row["origin_as"], row["as_name"], row["country"]) == (
            prefix or "",
            " ".join(map(str, origins)),
            " | ".join(names),
            country or "",
        ), ip
    assert {bool(r["country"]) for r in table} == {True, False} and any("," in r["as_name"] for r in table)


def test_a_snapshot_without_registry_data_answers_without_countries(tmp_path: Path) -> None:
    events = [RouteEvent("B", T0, "192.0.2.1", 3216, "2.72.0.0/18", (3216, 29355), None)]
    import_events([("gen", events)], tmp_path / "data")
    snapshot = load_current(tmp_path / "data")
    assert snapshot is not None
    rows = list(BatchLookup(snapshot).rows(["2.72.0.1", "192.0.2.1"]))
    assert [(r.prefix, r.country) for r in rows if isinstance(r, BatchRow)] == [
        ("2.72.0.0/18", None),
        (None, None),
    ]


def test_cli_jsonl_from_stdin(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("2.72.0.1\n\n192.0.2.1\n"))
    assert main(["lookup-batch", "-", "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["query"] for r in rows] == ["2.72.0.1", "192.0.2.1"]
    assert rows[0]["prefix"] == "2.72.0.0/18" and rows[0]["origins"][0]["name"]
    assert rows[1] == {"line": 3, "query": "192.0.2.1", "prefix": None, "origins": [], "country": None}


def test_cli_without_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SILKROUTE_DATA_DIR", str(tmp_path / "empty"))
    assert main(["lookup-batch", "-"]) == 3
    assert "silkroute data import" in capsys.readouterr().err


def test_cli_with_a_snapshot_of_an_older_format(
    real_snapshot: Snapshot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = tmp_path / "data" / "snapshots" / "20200101T000000-abcdef"
    old.mkdir(parents=True)
    meta = json.loads((real_snapshot.folder / "meta.json").read_text(encoding="utf-8"))
    (old / "meta.json").write_text(json.dumps(meta | {"format": 1}), encoding="utf-8")
    (tmp_path / "data" / "current").symlink_to(Path("snapshots") / old.name)
    monkeypatch.setenv("SILKROUTE_DATA_DIR", str(tmp_path / "data"))
    assert main(["lookup-batch", "-"]) == 3
    err = capsys.readouterr().err
    assert "written in format 1" in err and "re-import the data (`silkroute data import FILE...`" in err


@pytest.mark.parametrize(
    "line",
    [
        "0.0.0.0",
        "255.255.255.255",
        "9.99.199.249",
        "256.1.1.1",
        "1.2.3.300",
        "01.2.3.4",
        "1.2.3.00",
        "1.2.3",
        "1.2.3.4.5",
        "1..3.4",
        ".1.2.3",
        "1.2.3.",
        "1.2.3.4a",
        "1.2.3.4 ",
        "1.2.3.4/24",
        "1.2.3.-4",
        "1234.1.1.1",
        "١.٢.٣.٤",  # Arabic-Indic digits: str.isdigit says yes, inet_pton no
        "",
        "::1",
    ],
)
def test_dotted_quads_read_what_inet_pton_reads(line: str) -> None:
    """The vectorised parser takes a chunk only when every line is a dotted quad inet_pton reads, with the
    value it gives; any other line sends the chunk to the line-by-line path, which names the problem."""
    try:
        expected: int | None = int.from_bytes(socket.inet_pton(socket.AF_INET, line), "big")
    except OSError:
        expected = None
    got = dotted_quads(["10.0.0.1", line, "192.0.2.1"])
    assert (got.tolist() if got is not None else None) == (
        None if expected is None else [0x0A000001, expected, 0xC0000201]
    )


def test_dotted_quads_agree_with_inet_pton_on_random_addresses() -> None:
    rng = random.Random(3)
    lines = [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(CHUNK)]
    got = dotted_quads(lines)
    assert got is not None
    assert got.tolist() == [int.from_bytes(socket.inet_pton(socket.AF_INET, line), "big") for line in lines]
