"""Internet exchange points from PeeringDB data: name, city, peering LANs and member count per country.

Two inputs are understood, both recognised by content:
- PeeringDB API documents `{"data": [...]}`: `/api/ix` objects (name, aka, city, country, `net_count`) and
  `/api/ixpfx` objects (`ixlan_id`, `prefix`). PeeringDB gives every exchange one LAN whose id is the
  exchange's id, so a prefix joins its exchange through `ixlan_id`.
- JSON Lines of IXPs with their peering-LAN prefixes (`{"name", "country", "city", "prefixes": {"ipv4": [...],
  "ipv6": [...]}, "pdb_id", ...}` per line, `#` comment lines), the PCH/PeeringDB-derived list researchers
  share; it has no member counts.
Records with the same PeeringDB id are merged, so both inputs together give LANs and member counts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

_PEERINGDB_HEAD = re.compile(r'^\s*\{\s*"(data|meta)"\s*:')
_JSONL_DATE = re.compile(r'"date"\s*:\s*"(\d{4})\.(\d{2})\.(\d{2})')


@dataclass(frozen=True, slots=True)
class Ixp:
    """One exchange; `members` is None when the data had no count (the JSON Lines list has none)."""

    name: str
    country: str
    city: str
    aka: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    members: int | None = None
    peeringdb_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "country": self.country,
            "city": self.city,
            "aka": list(self.aka),
            "prefixes": list(self.prefixes),
            "members": self.members,
            "peeringdb_id": self.peeringdb_id,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Ixp:
        return cls(
            name=value["name"],
            country=value["country"],
            city=value["city"],
            aka=tuple(value["aka"]),
            prefixes=tuple(value["prefixes"]),
            members=value["members"],
            peeringdb_id=value["peeringdb_id"],
        )


@dataclass(slots=True)
class IxpData:
    """What the IXP files of one import hold, before merging: exchanges, and LAN prefixes by PeeringDB id."""

    ixps: list[Ixp] = field(default_factory=list)
    lan_prefixes: dict[int, list[str]] = field(default_factory=dict)
    date: datetime | None = None

    def merge(self, other: IxpData) -> None:
        self.ixps.extend(other.ixps)
        for ix_id, prefixes in other.lan_prefixes.items():
            self.lan_prefixes.setdefault(ix_id, []).extend(prefixes)
        if other.date is not None and (self.date is None or other.date > self.date):
            self.date = other.date

    def finish(self) -> list[Ixp]:
        """One record per PeeringDB id (member counts and LANs from whichever file had them), sorted."""
        by_id: dict[int, Ixp] = {}
        loose: list[Ixp] = []
        for ixp in self.ixps:
            if ixp.peeringdb_id is None:
                loose.append(ixp)
                continue
            known = by_id.get(ixp.peeringdb_id)
            by_id[ixp.peeringdb_id] = ixp if known is None else _combine(known, ixp)
        merged = [
            replace(ixp, prefixes=_unique(ixp.prefixes, self.lan_prefixes.get(pdb_id, ())))
            for pdb_id, ixp in by_id.items()
        ]
        return sorted(merged + loose, key=lambda i: (i.country, i.name.lower()))


def _unique(*groups: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p for group in groups for p in group))


def _combine(first: Ixp, second: Ixp) -> Ixp:
    return Ixp(
        name=first.name,
        country=first.country or second.country,
        city=first.city or second.city,
        aka=_unique(first.aka, second.aka),
        prefixes=_unique(first.prefixes, second.prefixes),
        members=first.members if first.members is not None else second.members,
        peeringdb_id=first.peeringdb_id,
    )


def looks_like_ixps(text_head: str, lines: list[str]) -> bool:
    """A PeeringDB API document, or JSON Lines whose first record has a name, a country and `prefixes`."""
    if _PEERINGDB_HEAD.match(text_head):
        return True
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            return False
        return isinstance(record, dict) and "name" in record and isinstance(record.get("prefixes"), dict)
    return False


class BadIxpFile(ValueError):
    """The file looked like IXP data but is not valid JSON where it must be; the message says where."""


def parse_ixps(text: str) -> IxpData:
    """Either input kind; records without a country (exchanges PeeringDB has no country for) are skipped."""
    if _PEERINGDB_HEAD.match(text):
        try:
            return _parse_peeringdb(json.loads(text))
        except ValueError as exc:
            raise BadIxpFile(f"not a complete PeeringDB JSON document ({exc})") from None
    result = IxpData()
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            found = _JSONL_DATE.search(line)
            if found:
                year, month, day = (int(g) for g in found.groups())
                result.date = datetime(year, month, day, tzinfo=UTC)
            continue
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise BadIxpFile(f"line {number} is not JSON ({exc})") from None
        lans = record.get("prefixes") or {}
        countries, cities = record.get("country"), record.get("city")
        if isinstance(countries, str):  # a distributed exchange lists several countries and cities
            countries, cities = [countries], [cities]
        for country, city in zip(countries or (), cities or [""] * len(countries or ()), strict=False):
            result.ixps.append(
                Ixp(
                    name=record["name"],
                    country=country.upper(),
                    city=city or "",
                    aka=tuple(record.get("alternatenames") or ()),
                    prefixes=_unique(lans.get("ipv4") or (), lans.get("ipv6") or ()),
                    peeringdb_id=record.get("pdb_id"),
                )
            )
    return result


def _parse_peeringdb(document: dict[str, Any]) -> IxpData:
    result = IxpData()
    updated: list[str] = []
    for item in document.get("data") or []:
        if item.get("status", "ok") != "ok":
            continue
        if item.get("updated"):
            updated.append(item["updated"])
        if "ixlan_id" in item and "prefix" in item:
            result.lan_prefixes.setdefault(int(item["ixlan_id"]), []).append(item["prefix"])
        elif item.get("country") and "name" in item:
            aka = [a for a in (item.get("aka"), item.get("name_long")) if a and a != item["name"]]
            result.ixps.append(
                Ixp(
                    name=item["name"],
                    country=item["country"].upper(),
                    city=item.get("city") or "",
                    aka=tuple(aka),
                    members=item.get("net_count"),
                    peeringdb_id=int(item["id"]),
                )
            )
    if updated:
        result.date = datetime.fromisoformat(max(updated).replace("Z", "+00:00"))
    return result
