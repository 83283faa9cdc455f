"""Registration countries from RIR delegated statistics (one RIR's file, extended or not, or the NRO combined one).

Countries here are where a network is *registered*, which is what the RIRs publish; answers must say so.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

_USED_STATUSES = {"allocated", "assigned"}
_DATE = re.compile(r"^(19|20)\d{6}$")
_RESOURCE_LINE = re.compile(r"^[^|#]*\|[A-Za-z*]{0,2}\|(asn|ipv4|ipv6)\|")


@dataclass(slots=True)
class Registrations:
    """AS and address-range registration countries; ranges are inclusive (start, end, cc) on integers.

    IPv6 ranges use the upper 64 bits only: RIRs never delegate longer than /64, so nothing is lost.
    """

    asn_country: dict[int, str] = field(default_factory=dict)
    v4_ranges: list[tuple[int, int, str]] = field(default_factory=list)
    v6_ranges: list[tuple[int, int, str]] = field(default_factory=list)
    date: datetime | None = None
    skipped_lines: int = 0  # resource lines that were malformed or out of range, left out and counted

    def merge(self, other: Registrations) -> None:
        """Add another file's data; a later file wins on conflicting ASNs (RIR files do not overlap)."""
        self.asn_country.update(other.asn_country)
        self.v4_ranges.extend(other.v4_ranges)
        self.v6_ranges.extend(other.v6_ranges)
        self.skipped_lines += other.skipped_lines
        if other.date is not None and (self.date is None or other.date > self.date):
            self.date = other.date


def looks_like_delegated(lines: Iterable[str]) -> bool:
    """True when the first data lines have the `registry|cc|type|start|value|...` shape."""
    seen = 0
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("|")
        if seen == 0 and len(fields) >= 6 and re.match(r"^\d+(\.\d+)?$", fields[0]):
            seen += 1  # version header line
            continue
        return len(fields) >= 6 and fields[2] in {"asn", "ipv4", "ipv6"}
    return False


def _header_date(fields: list[str]) -> datetime | None:
    """The file's date: the header's end date, else its serial when that is a date (RIRs use both)."""
    for candidate in (fields[5] if len(fields) > 5 else "", fields[2] if len(fields) > 2 else ""):
        if _DATE.match(candidate):
            return datetime.strptime(candidate, "%Y%m%d").replace(tzinfo=UTC)
    return None


def parse_delegated(lines: Iterable[str]) -> Registrations:
    """Parse delegated(-extended) stats; only allocated/assigned lines with a real country count."""
    result = Registrations()
    first = True
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split("|")
        if first and not _RESOURCE_LINE.match(line):
            result.date = _header_date(fields)
            first = False
            continue
        first = False
        if len(fields) >= 6 and fields[5] == "summary":
            continue
        if len(fields) < 7:
            result.skipped_lines += 1
            continue
        if fields[6].lower() not in _USED_STATUSES:
            continue
        cc, kind, start, value = fields[1].upper(), fields[2], fields[3], fields[4]
        if len(cc) != 2 or cc == "ZZ":
            continue
        try:
            _add_resource(result, cc, kind, start, _count(value))
        except ValueError:
            result.skipped_lines += 1  # one malformed line must not cost the rest of the file
    return result


# The largest ASN block any RIR has delegated in one line is a few thousand; a bigger one is an error (or an
# attack) and would otherwise cost memory per ASN.
MAX_ASN_BLOCK = 65_536


def _count(value: str) -> int:
    """A resource line's count field: ASCII digits only (`int` would take `٥` or `1_0`)."""
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"count {value!r} is not a number")
    return int(value)


def _add_resource(result: Registrations, cc: str, kind: str, start: str, value: int) -> None:
    """Record one delegated line; ValueError when it cannot describe real resources."""
    if kind == "asn":
        first_asn = _count(start)
        if not 1 <= value <= MAX_ASN_BLOCK or first_asn + value - 1 > 0xFFFFFFFF:
            raise ValueError(f"AS range of {value} from {first_asn} is out of range")
        for asn in range(first_asn, first_asn + value):
            result.asn_country[asn] = cc
    elif kind == "ipv4":
        begin = int(ipaddress.IPv4Address(start))
        if not 1 <= value <= (1 << 32) - begin:
            raise ValueError(f"IPv4 range of {value} addresses from {start} passes 255.255.255.255")
        result.v4_ranges.append((begin, begin + value - 1, cc))
    elif kind == "ipv6":
        network = ipaddress.IPv6Network(f"{start}/{value}", strict=False)
        result.v6_ranges.append(
            (int(network.network_address) >> 64, int(network.broadcast_address) >> 64, cc)
        )
    else:
        raise ValueError(f"unknown resource type {kind!r}")
