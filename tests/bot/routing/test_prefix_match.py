"""The longest-prefix-match interval tables against a brute-force search over random nested prefixes."""

from __future__ import annotations

import ipaddress
import random
from pathlib import Path

import numpy as np
import pytest

from bot.routing import prefix_match
from bot.routing.prefix_match import PrefixMatch
from bot.routing.snapshot import v4_key, v6_key

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def random_prefixes(rng: random.Random, version: int, count: int) -> list[Network]:
    """Clusters of nested prefixes (covers, more-specifics sharing their start, the space's last block)."""
    bits = 32 if version == 4 else 128
    found: set[Network] = {ipaddress.ip_network((2**bits - 2 ** (bits - 8), 8))}
    while len(found) < count:
        length = rng.randint(1, bits if version == 6 else 32)
        base = ipaddress.ip_network((rng.getrandbits(bits), length), strict=False)
        found.add(base)
        for _ in range(rng.randint(0, 3)):  # more specifics inside it, some at its very start
            more = rng.randint(length, bits)
            start = int(base.network_address) + (rng.getrandbits(bits - length) if rng.random() < 0.6 else 0)
            found.add(ipaddress.ip_network((start, more), strict=False))
    return sorted(found, key=lambda n: (int(n.network_address), n.prefixlen))


def brute(prefixes: list[Network], address: int) -> int:
    best, best_len = -1, -1
    for i, net in enumerate(prefixes):
        if int(net.network_address) <= address <= int(net.broadcast_address) and net.prefixlen > best_len:
            best, best_len = i, net.prefixlen
    return best


def probes(rng: random.Random, prefixes: list[Network], bits: int) -> list[int]:
    edges = [
        a
        for n in prefixes
        for a in (int(n.network_address) - 1, int(n.network_address), int(n.broadcast_address) + 1)
        if 0 <= a < 2**bits
    ]
    return [0, 2**bits - 1, *edges, *(rng.getrandbits(bits) for _ in range(300))]


@pytest.fixture
def table(tmp_path: Path) -> tuple[list[Network], list[Network], PrefixMatch]:
    rng = random.Random(11)
    v4, v6 = random_prefixes(rng, 4, 400), random_prefixes(rng, 6, 400)
    keys = np.array([v4_key(str(n)) for n in v4], dtype=np.uint64)
    assert list(keys) == sorted(keys)
    texts = [str(n) for n in v6]
    assert [v6_key(t) for t in texts] == sorted(v6_key(t) for t in texts)
    hi, lo, lengths = prefix_match.v6_columns(texts)
    ids = np.arange(len(v4) + len(v6), dtype=np.int64)
    prefix_match.write(
        tmp_path,
        prefix_match.v4_intervals(keys, ids[: len(v4)]),
        prefix_match.v6_intervals(hi, lo, lengths, ids[len(v4) :]),
    )
    return v4, v6, PrefixMatch.load(tmp_path)


def test_every_address_gets_its_most_specific_prefix(
    table: tuple[list[Network], list[Network], PrefixMatch],
) -> None:
    v4, v6, match = table
    rng = random.Random(5)
    addresses = probes(rng, v4, 32)
    expected = [brute(v4, a) for a in addresses]
    assert match.v4(np.array(addresses, dtype=np.uint64)).tolist() == expected
    assert [match.one(ipaddress.IPv4Address(a)) for a in addresses] == expected
    assert sum(e >= 0 for e in expected) > 100  # not all misses
    for address in probes(rng, v6, 128):
        want = brute(v6, address)
        assert match.one(ipaddress.IPv6Address(address)) == (want + len(v4) if want >= 0 else -1), address


def test_v6_columns_round_trip_to_text() -> None:
    texts = ["2001:db8::/32", "2001:db8:0:1::/64", "2001:db8::1/128", "::/0", "ffff::/16"]
    hi, lo, lengths = prefix_match.v6_columns(texts)
    back = [
        prefix_match.v6_text(h, low, n)
        for h, low, n in zip(hi.tolist(), lo.tolist(), lengths.tolist(), strict=True)
    ]
    assert back == texts


def test_v6_text_and_columns_agree_with_ipaddress() -> None:
    """The C formatter and parser give `ipaddress`'s texts and values, over random addresses, runs of zero
    groups (RFC 5952 compresses the first longest), the IPv4-compatible and -mapped ranges (which the C
    library writes as dotted quads), and host bits in the text (cleared, as `strict=False` does)."""
    rng = random.Random(11)
    networks = []
    for shape in range(6):
        for _ in range(3000):
            value = [
                rng.getrandbits(128),
                rng.getrandbits(16) << rng.choice(range(0, 128, 16)),
                0xFFFF << 32 | rng.getrandbits(32),
                rng.getrandbits(32),
                sum((rng.getrandbits(16) if rng.random() < 0.5 else 0) << (16 * g) for g in range(8)),
                0x64FF9B << 96 | rng.getrandbits(32),
            ][shape]
            networks.append(ipaddress.IPv6Network((value, rng.randint(0, 128)), strict=False))
    texts = [str(net) for net in networks]
    hi, lo, lengths = prefix_match.v6_columns(
        [f"{net.broadcast_address}/{net.prefixlen}" for net in networks]
    )
    assert [(int(h) << 64 | int(low), int(n)) for h, low, n in zip(hi, lo, lengths, strict=True)] == [
        (int(net.network_address), net.prefixlen) for net in networks
    ]
    assert [
        prefix_match.v6_text(
            int(net.network_address) >> 64, int(net.network_address) & (2**64 - 1), net.prefixlen
        )
        for net in networks
    ] == texts


def test_no_prefixes_match_nothing(tmp_path: Path) -> None:
    none = np.zeros(0, dtype=np.int64)
    empty = prefix_match.v6_columns([])
    prefix_match.write(
        tmp_path,
        prefix_match.v4_intervals(np.zeros(0, dtype=np.uint64), none),
        prefix_match.v6_intervals(*empty, none),
    )
    match = PrefixMatch.load(tmp_path)
    assert match.one(ipaddress.ip_address("10.0.0.1")) == -1
    assert match.one(ipaddress.ip_address("2001:db8::1")) == -1
