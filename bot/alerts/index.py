"""Which watched targets an announced prefix or AS path concerns, fast enough for thousands of watches.

Prefix watches are kept per (IP version, prefix length) as integers, so finding every watched prefix
that covers an announcement costs one dict lookup per distinct watched length, not one per watch.
"""

from __future__ import annotations

import ipaddress


class PrefixIndex:
    """Maps watched prefixes to a value; `covering` finds every entry equal to or less specific than a prefix."""

    def __init__(self) -> None:
        self._by_len: dict[tuple[int, int], dict[int, str]] = {}
        self._lengths: dict[int, list[int]] = {4: [], 6: []}

    def add(self, prefix: str, value: str) -> None:
        network = ipaddress.ip_network(prefix, strict=False)
        key = (network.version, network.prefixlen)
        if key not in self._by_len:
            self._by_len[key] = {}
            self._lengths[network.version] = sorted({*self._lengths[network.version], network.prefixlen})
        self._by_len[key][int(network.network_address)] = value

    def covering(self, prefix: str) -> list[tuple[str, str]]:
        """(watched prefix, value) for every entry covering `prefix`, most specific last."""
        try:
            network = ipaddress.ip_network(prefix, strict=False)
        except ValueError:
            return []
        version, plen = network.version, network.prefixlen
        bits = 32 if version == 4 else 128
        address = int(network.network_address)
        found: list[tuple[str, str]] = []
        for length in self._lengths[version]:
            if length > plen:
                break
            table = self._by_len[(version, length)]
            masked = address >> (bits - length) << (bits - length) if length else 0
            value = table.get(masked)
            if value is not None:
                found.append((_text(version, masked, length), value))
        return found


def _text(version: int, address: int, length: int) -> str:
    net = (
        ipaddress.IPv4Network((address, length)) if version == 4 else ipaddress.IPv6Network((address, length))
    )
    return str(net)


def upstream_of(path: tuple[int, ...], asn: int) -> int | None:
    """The AS just before `asn` on the path (prepending skipped), or None when `asn` is first or absent."""
    for index in range(len(path) - 1, 0, -1):
        if path[index] == asn and path[index - 1] != asn:
            return path[index - 1]
    return None
