"""RIPEstat Data API client: the calls `/lookup` and `/transit` need, as small typed results.

Results keep only what answers use, plus `meta` (fetch time, the data time RIPEstat states, staleness,
and RIPEstat's own `messages`, e.g. "Latest available results are 27 hours old.") so every answer can say
how old each part is.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.core.errors import InvalidInput
from bot.live.cache import LiveCache
from bot.live.http_client import (
    RIPESTAT,
    HttpLayer,
    UpstreamBadResponse,
    UpstreamNotFound,
    UpstreamRejected,
)
from bot.live.results import LiveMeta, LiveResult, cached_result, parse_time, shape_error
from bot.live.timeseries import Point, TimeSeries

R = TypeVar("R", bound=LiveResult)
Parser = Callable[[Mapping[str, Any], LiveMeta], R]

RESOURCE_STAT_FIELDS = ("v4_prefixes_ris", "v6_prefixes_ris", "asns_ris")

_ASN = re.compile(r"^\s*(?:AS\s*)?(\d{1,10})\s*$", re.IGNORECASE)


def normalise_asn(value: int | str) -> int:
    """`AS9198`, `as 9198` and `9198` are the same network; anything else is bad input with an example."""
    match = _ASN.match(str(value))
    if not match or int(match.group(1)) > 0xFFFFFFFF:
        raise InvalidInput(f"'{value}' is not an AS number.", example="AS9198")
    return int(match.group(1))


def normalise_ip_resource(value: str) -> str:
    """A prefix (host bits cleared) or a single address, in canonical form so cache keys match."""
    text = str(value).strip()
    try:
        if "/" in text:
            return str(ipaddress.ip_network(text, strict=False))
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise InvalidInput(f"'{value}' is not an IP address or prefix.", example="95.56.0.0/16") from None


def normalise_resource(value: int | str) -> str:
    """RIPEstat `resource`: an AS number (as `AS<n>`), an IP address or a prefix."""
    if isinstance(value, int) or _ASN.match(str(value)):
        return f"AS{normalise_asn(value)}"
    return normalise_ip_resource(str(value))


def normalise_country(value: str) -> str:
    text = str(value).strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", text):
        raise InvalidInput(f"'{value}' is not a two-letter country code.", example="KZ")
    return text


def parse_as_path(value: Any) -> tuple[int, ...]:
    """AS path from RIPEstat's space-separated string or a list; AS-set members (`{1,2}`) are kept in order."""
    tokens = value if isinstance(value, list) else re.findall(r"\d+", str(value))
    return tuple(int(token) for token in tokens)


def _int_list(values: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in values or ())


@dataclass(frozen=True, slots=True)
class LookingGlassRoute:
    collector: str
    location: str
    peer: str
    origin: int
    as_path: tuple[int, ...]
    prefix: str
    community: str
    last_updated: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LookingGlass(LiveResult):
    resource: str
    routes: tuple[LookingGlassRoute, ...]

    @property
    def origins(self) -> tuple[int, ...]:
        return tuple(sorted({route.origin for route in self.routes}))


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingStatus(LiveResult):
    resource: str
    origins: tuple[int, ...]
    v4_peers_seeing: int
    v4_peers_total: int
    v6_peers_seeing: int
    v6_peers_total: int
    first_seen: datetime | None
    last_seen: datetime | None
    more_specifics: tuple[tuple[str, int], ...]
    less_specifics: tuple[tuple[str, int], ...]

    @property
    def announced(self) -> bool:
        return bool(self.origins) or self.v4_peers_seeing + self.v6_peers_seeing > 0

    def peers_seeing(self, family: int) -> tuple[int, int]:
        """(RIS peers seeing, RIS peers in all) for one address family."""
        if family == 4:
            return self.v4_peers_seeing, self.v4_peers_total
        return self.v6_peers_seeing, self.v6_peers_total


@dataclass(frozen=True, slots=True)
class CollectorVisibility:
    collector: str
    v4_full_table_peers: int
    v4_not_seeing: tuple[int, ...]
    v6_full_table_peers: int
    v6_not_seeing: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Visibility(LiveResult):
    resource: str
    collectors: tuple[CollectorVisibility, ...]

    def seeing(self, family: int = 4) -> tuple[int, int]:
        """(full-table peers seeing, full-table peers) over all collectors for address family 4 or 6."""
        if family == 4:
            total = sum(c.v4_full_table_peers for c in self.collectors)
            return total - sum(len(c.v4_not_seeing) for c in self.collectors), total
        total = sum(c.v6_full_table_peers for c in self.collectors)
        return total - sum(len(c.v6_not_seeing) for c in self.collectors), total


@dataclass(frozen=True, slots=True)
class Neighbour:
    """`type` is `left` (towards the collectors: upstreams and peers), `right` (downstream) or `uncertain`."""

    asn: int
    type: str
    power: int | None
    v4_peers: int
    v6_peers: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AsnNeighbours(LiveResult):
    asn: int
    neighbours: tuple[Neighbour, ...]

    def of_type(self, kind: str) -> tuple[Neighbour, ...]:
        return tuple(n for n in self.neighbours if n.type == kind)


@dataclass(frozen=True, slots=True)
class Holder:
    asn: int
    holder: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PrefixOverview(LiveResult):
    resource: str
    announced: bool
    origins: tuple[Holder, ...]
    block: str

    @property
    def moas(self) -> bool:
        """More than one origin AS: sometimes legitimate, sometimes a hijack; answers should say which ASes."""
        return len(self.origins) > 1


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkInfo(LiveResult):
    ip: str
    prefix: str | None
    origins: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AsOverview(LiveResult):
    asn: int
    holder: str
    announced: bool


@dataclass(frozen=True, slots=True)
class AnnouncedPrefix:
    prefix: str
    first_seen: datetime | None
    last_seen: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AnnouncedPrefixes(LiveResult):
    asn: int
    prefixes: tuple[AnnouncedPrefix, ...]


@dataclass(frozen=True, slots=True)
class OriginSpan:
    """One origin announcing one prefix from `first_seen` to `last_seen`, seen by up to `peers` full-feed peers."""

    origin: int
    prefix: str
    first_seen: datetime | None
    last_seen: datetime | None
    peers: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingHistory(LiveResult):
    """RIPEstat's routing-history: which origins announced which prefixes over time (`/history`'s side view)."""

    resource: str
    spans: tuple[OriginSpan, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RirStatsCountry(LiveResult):
    resource: str
    located: tuple[tuple[str, str], ...]

    @property
    def country(self) -> str | None:
        """The registration country when the resource maps to exactly one, which is the usual case."""
        countries = {location for _, location in self.located if location}
        return countries.pop() if len(countries) == 1 else None


@dataclass(frozen=True, slots=True, kw_only=True)
class CountryResources(LiveResult):
    country: str
    asns: tuple[int, ...]
    ipv4: tuple[str, ...]
    ipv6: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Roa:
    origin: int
    prefix: str
    max_length: int
    validity: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RpkiValidation(LiveResult):
    """`status` is RIPEstat's: `valid`, `invalid_asn`, `invalid_length` or `unknown` (no covering ROA)."""

    asn: int
    prefix: str
    status: str
    roas: tuple[Roa, ...]


class RipestatClient:
    """One method per data call; every call is cached per `bot.live.cache.ENDPOINTS`."""

    def __init__(self, http: HttpLayer, cache: LiveCache) -> None:
        self._http = http
        self._cache = cache

    async def looking_glass(self, resource: str) -> LookingGlass:
        def parse(data: Mapping[str, Any], meta: LiveMeta) -> LookingGlass:
            routes = tuple(
                LookingGlassRoute(
                    collector=str(rrc["rrc"]),
                    location=str(rrc.get("location", "")),
                    peer=str(peer["peer"]),
                    origin=int(peer["asn_origin"]),
                    as_path=parse_as_path(peer["as_path"]),
                    prefix=str(peer["prefix"]),
                    community=str(peer.get("community", "")),
                    last_updated=parse_time(peer.get("last_updated")),
                )
                for rrc in data["rrcs"]
                for peer in rrc.get("peers", ())
            )
            return LookingGlass(meta=meta, resource=resource, routes=routes)

        resource = normalise_ip_resource(resource)
        return await self._call("looking-glass", {"resource": resource}, parse)

    async def routing_status(self, resource: int | str) -> RoutingStatus:
        def parse(data: Mapping[str, Any], meta: LiveMeta) -> RoutingStatus:
            visibility = data.get("visibility") or {}
            v4, v6 = visibility.get("v4") or {}, visibility.get("v6") or {}
            return RoutingStatus(
                meta=meta,
                resource=key,
                origins=tuple(int(o["origin"]) for o in data.get("origins") or ()),
                v4_peers_seeing=int(v4.get("ris_peers_seeing", 0)),
                v4_peers_total=int(v4.get("total_ris_peers", 0)),
                v6_peers_seeing=int(v6.get("ris_peers_seeing", 0)),
                v6_peers_total=int(v6.get("total_ris_peers", 0)),
                first_seen=parse_time((data.get("first_seen") or {}).get("time")),
                last_seen=parse_time((data.get("last_seen") or {}).get("time")),
                more_specifics=_prefix_origins(data.get("more_specifics")),
                less_specifics=_prefix_origins(data.get("less_specifics")),
            )

        key = normalise_resource(resource)
        return await self._call("routing-status", {"resource": key}, parse)

    async def visibility(self, resource: str) -> Visibility:
        def parse(data: Mapping[str, Any], meta: LiveMeta) -> Visibility:
            collectors = tuple(
                CollectorVisibility(
                    collector=str((item.get("probe") or {}).get("name", "")),
                    v4_full_table_peers=int(item.get("ipv4_full_table_peer_count", 0)),
                    v4_not_seeing=tuple(
                        int(p["asn"]) for p in item.get("ipv4_full_table_peers_not_seeing") or ()
                    ),
                    v6_full_table_peers=int(item.get("ipv6_full_table_peer_count", 0)),
                    v6_not_seeing=tuple(
                        int(p["asn"]) for p in item.get("ipv6_full_table_peers_not_seeing") or ()
                    ),
                )
                for item in data["visibilities"]
            )
            return Visibility(meta=meta, resource=resource, collectors=collectors)

        resource = normalise_ip_resource(resource)
        return await self._call("visibility", {"resource": resource}, parse)

    async def asn_neighbours(self, asn: int | str) -> AsnNeighbours:
        def parse(data: Mapping[str, Any], meta: LiveMeta) -> AsnNeighbours:
            neighbours = []
            for item in data["neighbours"]:
                # lod=0 gives type/power/v4_peers; lod=1 (the recorded sample) gives position and details.
                peer_count = (item.get("details") or {}).get("peer_count") or {}
                power = item.get("power")
                neighbours.append(
                    Neighbour(
                        asn=int(item["asn"]),
                        type=str(item.get("type") or item.get("position", "")),
                        power=None if power is None else int(power),
                        v4_peers=int(item.get("v4_peers", peer_count.get("v4", 0))),
                        v6_peers=int(item.get("v6_peers", peer_count.get("v6", 0))),
                    )
                )
            return AsnNeighbours(meta=meta, asn=number, neighbours=tuple(neighbours))

        number = normalise_asn(asn)
        return await self._call("asn-neighbours", {"resource": f"AS{number}"}, parse)

    async def prefix_overview(self, resource: str) -> PrefixOverview:
        def parse(data: Mapping[str, Any], meta: LiveMeta) -> PrefixOverview:
            return PrefixOverview(
                meta=meta,
                resource=resource,
                announced=bool(data.get("announced")),
                origins=tuple(
                    Holder(int(a["asn"]), str(a.get("holder") or "")) for a in data.get("asns") or ()
                ),
                block=str((data.get("block") or {}).get("desc", "")),
            )

        resource = normalise_ip_resource(resource)
        return await self._call("prefix-overview", {"resource": resource}, parse)

    async def network_info(self, ip: str) -> NetworkInfo:
        def parse(data: Mapping[str, Any], meta: LiveMeta) -> NetworkInfo:
            prefix = data.get("prefix")
            return NetworkInfo(
                meta=meta,
                ip=address,
                prefix=str(prefix) if prefix else None,
                origins=_int_list(data.get("asns")),
            )

        address = normalise_ip_resource(ip)
        return await self._call("network-info", {"resource": address}, parse)

    async def as_overview(self, asn: int | str) -> AsOverview:
        def parse(data: Mapping[str, Any], meta: LiveMeta) -> AsOverview:
            return AsOverview(
                meta=meta,
                asn=number,
                holder=str(data.get("holder") or ""),
                announced=bool(data.get("announced")),
            )

        number = normalise_asn(asn)
        return await self._call("as-overview", {"resource": f"AS{number}"}, parse)

    async def announced_prefixes(self, asn: int | str) -> AnnouncedPrefixes:
        def parse(data: Mapping[str, Any], meta: LiveMeta) -> AnnouncedPrefixes:
            prefixes = []
            for item in data["prefixes"]:
                timelines = item.get("timelines") or [{}]
                prefixes.append(
                    AnnouncedPrefix(
                        prefix=str(item["prefix"]),
                        first_seen=parse_time(timelines[0].get("starttime")),
                        last_seen=parse_time(timelines[-1].get("endtime")),
                    )
                )
            return AnnouncedPrefixes(meta=meta, asn=number, prefixes=tuple(prefixes))

        number = normalise_asn(asn)
        return await self._call("announced-prefixes", {"resource": f"AS{number}"}, parse)

    async def routing_history(self, resource: int | str) -> RoutingHistory:
        """Origins and prefixes over time for an AS or a prefix; one span per prefix from its first to last bin."""

        def parse(data: Mapping[str, Any], meta: LiveMeta) -> RoutingHistory:
            spans = []
            for item in data["by_origin"]:
                for prefix in item.get("prefixes") or ():
                    timelines = prefix.get("timelines") or [{}]
                    spans.append(
                        OriginSpan(
                            origin=int(item["origin"]),
                            prefix=str(prefix["prefix"]),
                            first_seen=parse_time(timelines[0].get("starttime")),
                            last_seen=parse_time(timelines[-1].get("endtime")),
                            peers=max(float(t.get("full_peers_seeing") or 0) for t in timelines),
                        )
                    )
            return RoutingHistory(meta=meta, resource=query, spans=tuple(spans))

        query = normalise_resource(resource)
        return await self._call("routing-history", {"resource": query}, parse)

    async def rir_stats_country(self, resource: int | str) -> RirStatsCountry:
        def parse(data: Mapping[str, Any], meta: LiveMeta) -> RirStatsCountry:
            located = tuple(
                (str(item["resource"]), str(item.get("location") or "")) for item in data["located_resources"]
            )
            return RirStatsCountry(meta=meta, resource=key, located=located)

        key = normalise_resource(resource)
        return await self._call("rir-stats-country", {"resource": key}, parse)

    async def country_resource_list(self, country: str) -> CountryResources:
        def parse(data: Mapping[str, Any], meta: LiveMeta) -> CountryResources:
            resources = data["resources"]
            return CountryResources(
                meta=meta,
                country=code,
                asns=_int_list(resources.get("asn")),
                ipv4=tuple(str(p) for p in resources.get("ipv4") or ()),
                ipv6=tuple(str(p) for p in resources.get("ipv6") or ()),
            )

        code = normalise_country(country)
        return await self._call("country-resource-list", {"resource": code}, parse)

    async def country_resource_stats(
        self, country: str, start: datetime, end: datetime, field: str = "v4_prefixes_ris"
    ) -> TimeSeries:
        """One counter of the country's resources seen in RIS (`v4_prefixes_ris`, `asns_ris`) per hour."""
        if field not in RESOURCE_STAT_FIELDS:
            raise InvalidInput(f"Unknown resource statistic {field!r}.", example="v4_prefixes_ris")

        def parse(data: Mapping[str, Any], meta: LiveMeta) -> TimeSeries:
            points: list[Point] = []
            for bucket in data["stats"]:
                value = bucket.get(field)
                number = float(value) if isinstance(value, int | float) else None
                for span in bucket.get("timeline") or ():
                    stamp = parse_time(span.get("starttime"))
                    if stamp is not None:
                        points.append((stamp, number))
            if not points:
                raise UpstreamBadResponse(RIPESTAT, "country-resource-stats answered with no statistics.")
            points.sort(key=lambda point: point[0])
            return TimeSeries(meta=meta, name=field, step_seconds=3600, points=tuple(points))

        code = normalise_country(country)
        params = {
            "resource": code,
            "starttime": _hour(start),
            "endtime": _hour(end),
            "resolution": "1h",
        }
        return await self._call("country-resource-stats", params, parse)

    async def rpki_validation(self, asn: int | str, prefix: str) -> RpkiValidation:
        def parse(data: Mapping[str, Any], meta: LiveMeta) -> RpkiValidation:
            roas = tuple(
                Roa(
                    int(r["origin"]),
                    str(r["prefix"]),
                    int(r.get("max_length", 0)),
                    str(r.get("validity", "")),
                )
                for r in data.get("validating_roas") or ()
            )
            return RpkiValidation(
                meta=meta, asn=number, prefix=network, status=str(data["status"]), roas=roas
            )

        number = normalise_asn(asn)
        network = normalise_ip_resource(prefix)
        return await self._call("rpki-validation", {"resource": f"AS{number}", "prefix": network}, parse)

    async def _call(self, call: str, params: Mapping[str, str], parse: Parser[R]) -> R:
        async def fetch() -> R:
            try:
                envelope = await self._http.get_json(RIPESTAT, f"data/{call}/data.json", params)
            except UpstreamRejected as exc:
                raise UpstreamRejected(
                    RIPESTAT,
                    f"{call} rejected the request: {_messages_text(exc.body) or exc.message}",
                    status=exc.status,
                    body=exc.body,
                ) from None
            data, meta = self._unwrap(call, envelope)
            try:
                return parse(data, meta)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                raise shape_error(RIPESTAT, call, exc) from None

        return await cached_result(self._cache, call, params, fetch)

    def _unwrap(self, call: str, envelope: Any) -> tuple[Mapping[str, Any], LiveMeta]:
        """Check RIPEstat's envelope (`status`, `status_code`, `messages`) and date the data."""
        if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), dict):
            raise UpstreamBadResponse(RIPESTAT, f"{call} answered without a data object.")
        if envelope.get("status") != "ok":
            code = int(envelope.get("status_code") or 0)
            text = _messages_text(envelope) or f"status {envelope.get('status')!r}"
            if code == 404:
                raise UpstreamNotFound(RIPESTAT, f"{call}: {text}", status=404, body=envelope)
            raise UpstreamRejected(RIPESTAT, f"{call}: {text}", status=code, body=envelope)
        data: dict[str, Any] = envelope["data"]
        stated = (
            data.get("latest_time")
            or data.get("query_time")
            or data.get("query_endtime")
            or envelope.get("time")
        )
        meta = LiveMeta(
            source="RIPEstat",
            call=call,
            fetched_at=datetime.now(UTC),
            data_time=parse_time(stated),
            notes=_messages(envelope),
        )
        return data, meta


def _hour(moment: datetime) -> str:
    """Whole hours, so lookups within one resolution bucket share a cache entry."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:00")


def _messages(envelope: Any) -> tuple[str, ...]:
    """RIPEstat `messages` as `level: text` lines; warnings such as stale data must reach the answer."""
    if not isinstance(envelope, dict):
        return ()
    lines = []
    for item in envelope.get("messages") or ():
        if isinstance(item, list | tuple) and len(item) >= 2:
            lines.append(f"{item[0]}: {item[1]}")
        elif isinstance(item, str):
            lines.append(item)
    return tuple(lines)


def _messages_text(envelope: Any) -> str:
    return "; ".join(_messages(envelope))


def _prefix_origins(items: Any) -> tuple[tuple[str, int], ...]:
    return tuple((str(item["prefix"]), int(item["origin"])) for item in items or ())
