"""Internet Health Report client: AS hegemony per origin AS, country dependency, and outage events.

The new FastAPI endpoint rejects any parameter it does not know with 400 `invalid_query_params`, so the
client only ever sends documented parameters (never `format=json`), sends `timebin__gte`/`__lte` as a pair,
keeps ranges within IHR's limits, and turns 400 and 504 into messages that say what to change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bot.core.errors import InvalidInput
from bot.live.cache import LiveCache
from bot.live.http_client import IHR, HttpLayer, UpstreamBadResponse, UpstreamHTTPError, UpstreamRejected
from bot.live.results import (
    LiveMeta,
    LiveResult,
    cached_result,
    next_page_number,
    parse_time,
    shape_error,
)
from bot.live.ripestat import normalise_asn, normalise_country

R = TypeVar("R", bound=LiveResult)

MAX_PAGES = 20


class IhrInvalidParams(UpstreamRejected):
    """IHR refused parameters by name; the message lists them so the fix is obvious."""


class IhrGatewayTimeout(UpstreamHTTPError):
    """IHR gave up on a slow query (504 after ~30 s); a shorter time range usually helps."""


S = TypeVar("S", "HegemonyScore", "CountryScore")


def _latest(scores: tuple[S, ...]) -> tuple[S, ...]:
    """Scores of the newest time bin only, highest hegemony first."""
    if not scores:
        return ()
    newest = max(score.timebin for score in scores)
    return tuple(sorted((s for s in scores if s.timebin == newest), key=lambda s: -s.hege))


@dataclass(frozen=True, slots=True)
class HegemonyScore:
    timebin: datetime
    originasn: int
    asn: int
    asn_name: str
    hege: float
    af: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Hegemony(LiveResult):
    """AS hegemony of every AS on the paths towards `originasn` (0 = the global graph), per time bin."""

    originasn: int
    af: int
    scores: tuple[HegemonyScore, ...]
    truncated: bool = False

    def latest(self) -> tuple[HegemonyScore, ...]:
        """Scores of the newest time bin, highest first: what `/transit` shows next to ours."""
        return _latest(self.scores)


@dataclass(frozen=True, slots=True)
class CountryScore:
    timebin: datetime
    country: str
    asn: int
    asn_name: str
    hege: float
    weight: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CountryHegemony(LiveResult):
    """Which ASes a country depends on (IHR's country dependency)."""

    country: str
    af: int
    weightscheme: str
    transitonly: bool
    scores: tuple[CountryScore, ...]
    truncated: bool = False

    def latest(self) -> tuple[CountryScore, ...]:
        return _latest(self.scores)


@dataclass(frozen=True, slots=True)
class DiscoEvent:
    """An outage seen by RIPE Atlas probes disconnecting; `avglevel` < 10 is likely a false positive."""

    streamname: str
    streamtype: str
    starttime: datetime | None
    endtime: datetime | None
    avglevel: float
    nbdiscoprobes: int
    totalprobes: int

    @property
    def likely_real(self) -> bool:
        return self.avglevel >= 10


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoEvents(LiveResult):
    streamname: str
    streamtype: str
    events: tuple[DiscoEvent, ...]
    truncated: bool = False


def _timebin(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _floor(value: datetime, minutes: int) -> datetime:
    """Round down so lookups within one update period share a cache key."""
    value = value.astimezone(UTC).replace(second=0, microsecond=0)
    return value - timedelta(minutes=value.minute % minutes)


class IhrClient:
    """`/hegemony/`, `/hegemony/countries/` and `/disco/events/`, paginated via `next`, cached."""

    def __init__(
        self, http: HttpLayer, cache: LiveCache, *, now: Callable[[], datetime] | None = None
    ) -> None:
        self._http = http
        self._cache = cache
        self._now = now or (lambda: datetime.now(UTC))

    def _window(
        self, start: datetime | None, end: datetime | None, default: timedelta, limit: timedelta, floor: int
    ) -> tuple[datetime, datetime]:
        end = _floor(end or self._now(), floor)
        start = _floor(start or end - default, floor)
        if start > end:
            raise InvalidInput(
                "The start time is after the end time.", example="start 2024-10-01, end 2024-10-02"
            )
        if end - start > limit:
            raise InvalidInput(
                f"IHR answers at most {limit.days} days per query.", example=f"a {limit.days}-day range"
            )
        return start, end

    def _historical(self, end: datetime) -> bool:
        """Bins older than a day never change, so they can be cached for good."""
        return end < self._now() - timedelta(days=1)

    async def hegemony(
        self,
        originasn: int | str,
        *,
        asn: int | str | None = None,
        af: int = 4,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Hegemony:
        """Hegemony towards `originasn` (last hour by default; IHR allows 7 days per query)."""
        origin = normalise_asn(originasn)
        lo, hi = self._window(start, end, timedelta(hours=1), timedelta(days=7), 15)
        params = {
            "originasn": str(origin),
            "af": str(_af(af)),
            "timebin__gte": _timebin(lo),
            "timebin__lte": _timebin(hi),
        }
        if asn is not None:
            params["asn"] = str(normalise_asn(asn))

        def parse(rows: list[Mapping[str, Any]], meta: LiveMeta, truncated: bool) -> Hegemony:
            scores = tuple(
                HegemonyScore(
                    timebin=_required_time(row["timebin"]),
                    originasn=int(row["originasn"]),
                    asn=int(row["asn"]),
                    asn_name=str(row.get("asn_name") or ""),
                    hege=float(row["hege"]),
                    af=int(row.get("af", af)),
                )
                for row in rows
            )
            return Hegemony(meta=meta, originasn=origin, af=af, scores=scores, truncated=truncated)

        endpoint = "hegemony-history" if self._historical(hi) else "hegemony"
        return await self._call(endpoint, "hegemony/", params, parse)

    async def country_hegemony(
        self,
        country: str,
        *,
        af: int = 4,
        weightscheme: str = "eyeball",
        transitonly: bool = False,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> CountryHegemony:
        """Country dependency (last 2 days by default, as bins are daily; IHR allows 31 days)."""
        code = normalise_country(country)
        if weightscheme not in ("as", "eyeball"):
            raise InvalidInput(f"Unknown weight scheme '{weightscheme}'.", example="eyeball")
        lo, hi = self._window(start, end, timedelta(days=2), timedelta(days=31), 15)
        params = {
            "country": code,
            "af": str(_af(af)),
            "weightscheme": weightscheme,
            "transitonly": "true" if transitonly else "false",
            "timebin__gte": _timebin(lo),
            "timebin__lte": _timebin(hi),
        }

        def parse(rows: list[Mapping[str, Any]], meta: LiveMeta, truncated: bool) -> CountryHegemony:
            scores = tuple(
                CountryScore(
                    timebin=_required_time(row["timebin"]),
                    country=str(row.get("country") or code),
                    asn=int(row["asn"]),
                    asn_name=str(row.get("asn_name") or ""),
                    hege=float(row["hege"]),
                    weight=float(row.get("weight") or 0.0),
                )
                for row in rows
            )
            return CountryHegemony(
                meta=meta,
                country=code,
                af=af,
                weightscheme=weightscheme,
                transitonly=transitonly,
                scores=scores,
                truncated=truncated,
            )

        endpoint = "hegemony-countries-history" if self._historical(hi) else "hegemony-countries"
        return await self._call(endpoint, "hegemony/countries/", params, parse)

    async def disco_events(
        self,
        streamname: str,
        *,
        streamtype: str = "asn",
        start: datetime | None = None,
        end: datetime | None = None,
        min_avglevel: float | None = None,
    ) -> DiscoEvents:
        """Outage events for an AS (`streamname` = AS number) or a country (two letters), last 7 days by default."""
        if streamtype == "asn":
            name = str(normalise_asn(streamname))
        elif streamtype == "country":
            name = normalise_country(streamname)
        else:
            raise InvalidInput(f"Unknown stream type '{streamtype}'.", example="asn")
        lo, hi = self._window(start, end, timedelta(days=7), timedelta(days=31), 5)
        params = {
            "streamname": name,
            "streamtype": streamtype,
            "starttime__gte": _timebin(lo),
            "starttime__lte": _timebin(hi),
        }
        if min_avglevel is not None:
            params["avglevel__gte"] = str(min_avglevel)

        def parse(rows: list[Mapping[str, Any]], meta: LiveMeta, truncated: bool) -> DiscoEvents:
            events = tuple(
                DiscoEvent(
                    streamname=str(row.get("streamname", name)),
                    streamtype=str(row.get("streamtype", streamtype)),
                    starttime=parse_time(row.get("starttime")),
                    endtime=parse_time(row.get("endtime")),
                    avglevel=float(row.get("avglevel") or 0.0),
                    nbdiscoprobes=int(row.get("nbdiscoprobes") or 0),
                    totalprobes=int(row.get("totalprobes") or 0),
                )
                for row in rows
            )
            return DiscoEvents(
                meta=meta, streamname=name, streamtype=streamtype, events=events, truncated=truncated
            )

        return await self._call("disco-events", "disco/events/", params, parse)

    async def _call(
        self,
        endpoint: str,
        path: str,
        params: Mapping[str, str],
        parse: Callable[[list[Mapping[str, Any]], LiveMeta, bool], R],
    ) -> R:
        async def fetch() -> R:
            rows, truncated = await self._pages(path, params)
            stated = [parse_time(row.get("timebin") or row.get("starttime")) for row in rows]
            dates = [d for d in stated if d is not None]
            meta = LiveMeta(
                source="Internet Health Report",
                call=path.strip("/"),
                fetched_at=datetime.now(UTC),
                data_time=max(dates) if dates else None,
                notes=("more results than fetched; showing the first pages",) if truncated else (),
            )
            try:
                return parse(rows, meta, truncated)
            except (KeyError, TypeError, ValueError) as exc:
                raise shape_error(IHR, path, exc) from None

        return await cached_result(self._cache, endpoint, params, fetch)

    async def _pages(self, path: str, params: Mapping[str, str]) -> tuple[list[Mapping[str, Any]], bool]:
        """Follow `next` by its page number only, so a `next` pointing elsewhere cannot redirect us."""
        rows: list[Mapping[str, Any]] = []
        page = 1
        for _ in range(MAX_PAGES):
            query = dict(params) if page == 1 else {**params, "page": str(page)}
            body = await self._get(path, query)
            if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                raise UpstreamBadResponse(IHR, f"{path} answered without a results list.")
            rows.extend(row for row in body["results"] if isinstance(row, dict))
            next_page = next_page_number(body.get("next"))
            if next_page is None or next_page <= page:
                return rows, False
            page = next_page
        return rows, True

    async def _get(self, path: str, query: Mapping[str, str]) -> Any:
        try:
            return await self._http.get_json(IHR, path, query)
        except UpstreamRejected as exc:
            body = exc.body if isinstance(exc.body, dict) else {}
            if body.get("error") == "invalid_query_params":
                names = ", ".join(str(n) for n in body.get("unexpected") or ()) or "unknown"
                raise IhrInvalidParams(
                    IHR,
                    f"rejected the parameter(s) {names} (invalid_query_params).",
                    status=exc.status,
                    body=body,
                ) from None
            raise
        except UpstreamHTTPError as exc:
            if exc.status == 504:
                raise IhrGatewayTimeout(
                    IHR, "the query took too long (HTTP 504); try a shorter time range.", status=504
                ) from None
            raise


def _af(value: int) -> int:
    if value not in (4, 6):
        raise InvalidInput(f"Address family must be 4 or 6, not {value}.", example="4")
    return value


def _required_time(value: Any) -> datetime:
    parsed = parse_time(value)
    if parsed is None:
        raise ValueError(f"bad timebin {value!r}")
    return parsed
