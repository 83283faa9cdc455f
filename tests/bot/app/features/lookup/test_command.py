from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest

from bot.app.commands import Caller, Context
from bot.app.features.lookup.command import COMMANDS, lookup, lookup_handler
from bot.app.features.lookup.presentation import MAX_MORE_SPECIFICS
from bot.app.targets import HostResolver
from bot.core.errors import DataUnavailable, InvalidInput
from bot.core.settings import Settings
from bot.net.dns import Nameserver
from bot.routing.importer import import_files
from bot.routing.snapshot import Snapshot, load_current
from bot.routing.snapshot_store import SnapshotStore
from tests.bot.routing.snapshot_fixtures import all_files
from tests.helpers import make_services
from tests.local_dns import SERVFAIL, serving_dns


@pytest.fixture(scope="session")
def real(real_snapshot: Snapshot) -> Snapshot:
    """The shared real snapshot under this module's name for it."""
    return real_snapshot


@pytest.fixture
def small(tmp_path: Path) -> Snapshot:
    import_files(all_files(tmp_path), tmp_path / "data")
    snapshot = load_current(tmp_path / "data")
    assert snapshot is not None
    return snapshot


def check_common(data: dict[str, object]) -> None:
    for key in ("asn", "prefix", "origins", "as_name", "country", "vantage_points"):
        assert key in data, key


async def test_kazakhtelecom(real: Snapshot) -> None:
    answer = await lookup(real, "AS9198", None)
    check_common(answer.data)
    assert answer.data["asn"] == 9198 and answer.data["country"] == "KZ"
    assert "Kazakhtelecom" in str(answer.data["as_name"])
    assert int(answer.data["vantage_points"]) > 30  # both collectors
    assert any(p["prefix"].startswith("95.5") for p in answer.data["prefixes"])
    neighbours = {n["asn"]: n["vantage_points"] for n in answer.data["neighbours"]}
    assert 3216 in neighbours and neighbours[3216] >= 10
    assert answer.data["ipv4_addresses"] > 100_000
    names = [s.name for s in answer.sources]
    assert (
        names[:2] == ["BGP collector routeviews2", "BGP collector rrc00"] and "RIR delegated stats" in names
    )
    assert all(s.date is not None for s in answer.sources[:3])
    assert (await lookup(real, "9198", None)).data["asn"] == 9198


async def test_kcell_as_prefix_and_address(real: Snapshot) -> None:
    by_as = await lookup(real, "as29355", None)
    assert by_as.data["country"] == "KZ" and 9198 in {n["asn"] for n in by_as.data["neighbours"]}
    prefix = await lookup(real, "2.72.0.0/18", None)
    check_common(prefix.data)
    assert (
        prefix.data["exact"] and prefix.data["prefix"] == "2.72.0.0/18" and prefix.data["origins"] == [29355]
    )
    assert int(prefix.data["vantage_points"]) >= 30
    ip = await lookup(real, "2.72.0.1", None)
    check_common(ip.data)
    assert ip.data["prefix"] == "2.72.0.0/18" and ip.data["asn"] == 29355
    assert ip.data["country"] == "KZ" and ip.data["address_country"] == "KZ"


async def test_kazakhtelecom_block_and_its_more_specifics(real: Snapshot) -> None:
    answer = await lookup(real, "95.56.0.0/14", None)
    check_common(answer.data)
    specifics = answer.data["more_specifics"]
    assert specifics and all(s["prefix"].startswith("95.5") for s in specifics)
    assert 9198 in {a for s in specifics for a in s["origins"]}
    covered = await lookup(real, "95.56.0.1", None)
    assert covered.data["asn"] == 9198 and covered.data["address_country"] == "KZ"


async def test_moas_prefix_lists_every_origin(small: Snapshot) -> None:
    answer = await lookup(small, "185.12.0.9", None)
    assert answer.data["origins"] == [20764, 43727]
    covering = await lookup(small, "95.57.0.0/16", None)
    assert not covering.data["exact"] and covering.data["prefix"] == "95.56.0.0/14"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("AS0", r"reserved \(RFC 7607\)"),
        ("AS4294967296", "32-bit"),
        ("AS64512", "private use"),
        ("AS4200000000", "private use"),
        ("AS23456", "AS_TRANS"),
        ("AS12345", "unknown to the snapshot"),
        ("10.1.2.3", "private address space"),
        ("192.168.0.1", "private address space"),
        ("fe80::1", "link-local address space"),
        ("95.56.0.0/33", "not a valid IP address or prefix"),
        ("10.0.0.0/8", "private address space"),
        ("1.2.3", "not a valid IP address or prefix"),
        ("", "Give an AS"),
        ("hello world", "not an AS number"),
        ("8.8.0.0/16", "No route covers"),
    ],
)
async def test_bad_input(small: Snapshot, target: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        await lookup(small, target, None)
    assert caught.value.example and caught.value.example.startswith("/lookup target:")


async def test_domain_needs_a_resolver(small: Snapshot) -> None:
    with pytest.raises(DataUnavailable, match="Offline mode"):
        await lookup(small, "kcell.test", None)


@pytest.fixture
async def resolver() -> AsyncIterator[HostResolver]:
    records = {"kcell.test": ["2.72.0.1"], "both.test": ["185.12.0.9"], "broken.test": [SERVFAIL]}
    async for port in serving_dns(records):
        yield HostResolver(Nameserver("127.0.0.1", port), within=2.0)


async def test_domain_resolved_through_local_dns(small: Snapshot, resolver: HostResolver) -> None:
    answer = await lookup(small, "kcell.test", resolver)
    check_common(answer.data)
    assert answer.data["domain"] == "kcell.test" and answer.data["asn"] == 29355
    assert [a["ip"] for a in answer.data["addresses"]] == ["2.72.0.1"]
    assert answer.sources[-1].name == "DNS" and "127.0.0.1" in answer.sources[-1].detail
    with pytest.raises(InvalidInput, match="NXDOMAIN"):
        await lookup(small, "missing.test", resolver)


async def test_a_failing_resolver_is_unavailable_not_a_missing_name(
    small: Snapshot, resolver: HostResolver
) -> None:
    with pytest.raises(DataUnavailable, match="SERVFAIL") as caught:
        await lookup(small, "broken.test", resolver)
    assert caught.value.example == "/lookup target:95.56.0.1"


async def test_a_silent_resolver_times_out_as_unavailable(small: Snapshot) -> None:
    loop = asyncio.get_running_loop()
    silent, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
    try:
        port = silent.get_extra_info("sockname")[1]
        with pytest.raises(DataUnavailable, match="timed out"):
            await lookup(small, "kcell.test", HostResolver(Nameserver("127.0.0.1", port), within=0.2))
    finally:
        silent.close()


async def test_handler_through_services(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "data")
    services = make_services(Settings(), snapshots=store)
    ctx = Context(services=services, caller=Caller("tester", can_manage=False))
    with pytest.raises(DataUnavailable, match="silkroute data"):
        await lookup_handler(ctx, target="AS9198")
    await services.start()
    with pytest.raises(DataUnavailable, match="No routing snapshot"):
        await lookup_handler(ctx, target="AS9198")
    assert "No routing snapshot" in store.status().text
    import_files(all_files(tmp_path), tmp_path / "data")
    await store.reload()
    answer = await lookup_handler(ctx, target="AS29355")
    assert answer.data["asn"] == 29355 and "rrc99" in store.status().text
    assert [c.name for c in COMMANDS] == ["lookup"]
    await services.close()


async def test_a_leaked_default_route_covers_nothing(real: Snapshot) -> None:
    assert real.prefix_id("0.0.0.0/0") is not None  # one peer of the 2014 RIB leaks a default route
    answer = await lookup(real, "128.0.0.0/1", None)
    assert answer.data["prefix"] is None and answer.data["origins"] == []
    assert "0.0.0.0/0" not in answer.summary and "more-specifics" in answer.summary
    for target in ("0.0.0.0/0", "::/0", "95.56.0.1/0"):
        with pytest.raises(InvalidInput, match="whole address space") as caught:
            await lookup(real, target, None)
        assert caught.value.example and caught.value.example.startswith("/lookup target:")


class _ThreadRecorder:
    """The real snapshot, noting which threads call into it (a /lookup must not block the event loop)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self.threads: set[int] = set()

    def __getattr__(self, name: str) -> object:
        self.threads.add(threading.get_ident())
        return getattr(self._snapshot, name)


@pytest.mark.parametrize("target", ["AS9198", "95.56.0.0/14"])
async def test_snapshot_work_runs_off_the_event_loop(real: Snapshot, target: str) -> None:
    recorder = _ThreadRecorder(real)
    answer = await lookup(cast(Snapshot, recorder), target, None)
    assert 9198 in {
        answer.data.get("asn"),
        *(a for s in answer.data.get("more_specifics", []) for a in s["origins"]),
    }
    assert recorder.threads and threading.get_ident() not in recorder.threads


async def test_more_specifics_are_capped_in_the_data(real: Snapshot) -> None:
    answer = await lookup(real, "0.0.0.0/1", None)
    total = answer.data["more_specifics_total"]
    assert total > MAX_MORE_SPECIFICS == len(answer.data["more_specifics"]) == 1000
    section = next(s for s in answer.sections if s.title == "More-specific prefixes")
    assert f"{total:,} announced" in section.text and f"{total - 1000:,} left out" in section.text
    small = await lookup(real, "95.56.0.0/14", None)
    assert small.data["more_specifics_total"] == len(small.data["more_specifics"])


@pytest.mark.parametrize("target", ["95.56.0.0/33", "1.2.3", "AS0", "10.0.0.1"])
async def test_bad_input_is_bad_input_even_without_a_snapshot(target: str) -> None:
    with pytest.raises(InvalidInput):
        await lookup(None, target, None)


async def test_a_good_target_without_a_snapshot_says_how_to_get_one() -> None:
    with pytest.raises(DataUnavailable, match="No routing snapshot"):
        await lookup(None, "AS9198", None)
