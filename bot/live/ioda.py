"""IODA (Georgia Tech) public API v2 client: raw outage signals and IODA's own outage events.

IODA answers with an envelope whose `error` must be checked even on HTTP 200, and an old window can come
back as `data: [[]]`; both become a typed upstream error here, so a failing IODA can never look like a
country with no traffic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bot.core.errors import InvalidInput
from bot.live.cache import LiveCache
from bot.live.http_client import IODA, HttpLayer, UpstreamBadResponse
from bot.live.results import LiveMeta, LiveResult, cached_result, shape_error
from bot.live.timeseries import Point, TimeSeries

R = TypeVar("R", bound=LiveResult)

ENTITY_TYPES = ("country", "asn")
SCALAR_DATASOURCES = ("bgp", "ping-slash24", "merit-nt")
# Windows are floored to this so lookups within one IODA step share a cache entry.
FLOOR_SECONDS = 300


@dataclass(frozen=True, slots=True)
class IodaEvent:
    """One of IODA's own detections: which datasource, when, and the observed vs expected value."""

    datasource: str
    start: datetime
    duration_seconds: int
    level: str
    value: float | None
    history_value: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class IodaEvents(LiveResult):
    events: tuple[IodaEvent, ...]


def _unix(value: datetime) -> str:
    stamp = int(value.astimezone(UTC).timestamp())
    return str(stamp - stamp % FLOOR_SECONDS)


def _number(value: Any) -> float | None:
    """A scalar point, or None for "no data" (IODA's null, or a nested value this signal does not use)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class IodaClient:
    """`/signals/raw/{type}/{code}` for one scalar datasource and `/outages/events`, cached."""

    def __init__(self, http: HttpLayer, cache: LiveCache) -> None:
        self._http = http
        self._cache = cache

    async def raw_signal(
        self, entity_type: str, code: str, datasource: str, start: datetime, end: datetime
    ) -> TimeSeries:
        """One datasource's series for a country (`KZ`) or an AS (`9198`) between `start` and `end`."""
        _check(entity_type, datasource)
        params = {"from": _unix(start), "until": _unix(end), "datasource": datasource}

        def parse(data: Any, meta: LiveMeta) -> TimeSeries:
            series = [s for s in data[0] if isinstance(s, dict) and s.get("datasource") == datasource]
            if not series:
                raise UpstreamBadResponse(
                    IODA, f"no {datasource} data for {entity_type} {code} (empty data)."
                )
            first = series[0]
            origin = datetime.fromtimestamp(int(first["from"]), UTC)
            step = int(first["step"])
            points: list[Point] = [
                (origin + timedelta(seconds=i * step), _number(v)) for i, v in enumerate(first["values"])
            ]
            known = [t for t, v in points if v is not None]
            dated = LiveMeta(
                source=meta.source,
                call=meta.call,
                fetched_at=meta.fetched_at,
                data_time=known[-1] if known else None,
            )
            return TimeSeries(meta=dated, name=datasource, step_seconds=step, points=tuple(points))

        path = f"signals/raw/{entity_type}/{code}"
        return await self._call("ioda-signals", path, params, parse)

    async def events(self, entity_type: str, code: str, start: datetime, end: datetime) -> IodaEvents:
        """IODA's own outage events for the entity in the window, oldest first (`start` or `from`, unix s)."""
        _check(entity_type, SCALAR_DATASOURCES[0])
        params = {"entityType": entity_type, "entityCode": code, "from": _unix(start), "until": _unix(end)}

        def parse(data: Any, meta: LiveMeta) -> IodaEvents:
            events = tuple(
                IodaEvent(
                    datasource=str(item.get("datasource") or ""),
                    start=datetime.fromtimestamp(
                        int(item["start"] if "start" in item else item["from"]), UTC
                    ),
                    duration_seconds=int(item.get("duration") or 0),
                    level=str(item.get("level") or item.get("score") or ""),
                    value=_number(item.get("value")),
                    history_value=_number(item.get("historyValue")),
                )
                for item in data
                if isinstance(item, dict)
            )
            return IodaEvents(meta=meta, events=tuple(sorted(events, key=lambda e: e.start)))

        return await self._call("ioda-events", "outages/events", params, parse)

    async def _call(
        self, endpoint: str, path: str, params: Mapping[str, str], parse: Callable[[Any, LiveMeta], R]
    ) -> R:
        async def fetch() -> R:
            envelope = await self._http.get_json(IODA, path, params)
            if not isinstance(envelope, dict) or "data" not in envelope:
                raise UpstreamBadResponse(IODA, f"{path} answered without a data field.")
            if envelope.get("error"):
                raise UpstreamBadResponse(IODA, f"{path} reported an error: {envelope['error']}.")
            data = envelope["data"]
            if not isinstance(data, list) or (endpoint == "ioda-signals" and not data):
                raise UpstreamBadResponse(IODA, f"{path} answered with no data list.")
            meta = LiveMeta(source="IODA", call=path, fetched_at=datetime.now(UTC))
            try:
                return parse(data, meta)
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                raise shape_error(IODA, path, exc) from None

        return await cached_result(self._cache, endpoint, {"path": path, **params}, fetch)


def _check(entity_type: str, datasource: str) -> None:
    if entity_type not in ENTITY_TYPES:
        raise InvalidInput(
            f"IODA entity type must be country or asn, not {entity_type!r}.", example="country"
        )
    if datasource not in SCALAR_DATASOURCES:
        raise InvalidInput(
            f"IODA datasource must be one of {', '.join(SCALAR_DATASOURCES)}, not {datasource!r}.",
            example="ping-slash24",
        )
