"""RIPE Atlas public probe list for a country or an AS, and the connected-probe count over time.

The probes API only tells the present: each probe's status (1 connected, 2 disconnected) and `since`, the
time it entered that status. That is enough to reconstruct the count for the recent past — a probe
connected since t was connected after t, a probe disconnected since t was connected before it (IHR's disco
detector rests on the same transitions) — so one listing gives a whole series without keeping history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.live.cache import LiveCache
from bot.live.http_client import ATLAS, HttpLayer, UpstreamBadResponse
from bot.live.results import LiveMeta, LiveResult, cached_result, next_page_number
from bot.live.timeseries import Point, TimeSeries

CONNECTED = 1
DISCONNECTED = 2
MAX_PAGES = 20
PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class ProbeState:
    probe_id: int
    status: int
    since: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeList(LiveResult):
    probes: tuple[ProbeState, ...]

    def connected_over_time(self, start: datetime, end: datetime, step: timedelta) -> TimeSeries:
        """Connected probes at each step from `start` to `end`, reconstructed from each probe's `since`."""
        points: list[Point] = []
        moment = start
        while moment <= end:
            points.append((moment, float(sum(_connected_at(p, moment) for p in self.probes))))
            moment += step
        return TimeSeries(
            meta=self.meta,
            name="connected probes",
            step_seconds=int(step.total_seconds()),
            points=tuple(points),
        )


def _connected_at(probe: ProbeState, moment: datetime) -> bool:
    """Connected now and since before `moment`, or disconnected only after `moment`; unknown `since` counts as always."""
    since = probe.since
    if probe.status == CONNECTED:
        return since is None or since <= moment
    return probe.status == DISCONNECTED and since is not None and since > moment


class AtlasProbesClient:
    """`GET /probes/?country_code=KZ` (or `asn_v4=`), paged by `next`, cached; no key needed."""

    def __init__(self, http: HttpLayer, cache: LiveCache) -> None:
        self._http = http
        self._cache = cache

    async def probes(self, *, country: str | None = None, asn: int | None = None) -> ProbeList:
        """Connected and disconnected probes (never-connected and abandoned ones say nothing about now)."""
        params = {"status__in": f"{CONNECTED},{DISCONNECTED}", "page_size": str(PAGE_SIZE)}
        if country is not None:
            params["country_code"] = country
        if asn is not None:
            params["asn_v4"] = str(asn)

        async def fetch() -> ProbeList:
            rows: list[Any] = []
            page = 1
            for _ in range(MAX_PAGES):
                query = params if page == 1 else {**params, "page": str(page)}
                body = await self._http.get_json(ATLAS, "probes/", query)
                if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                    raise UpstreamBadResponse(ATLAS, "probes/ answered without a results list.")
                rows.extend(body["results"])
                following = next_page_number(body.get("next"))
                if following is None or following <= page:
                    break
                page = following
            states = tuple(_state(row) for row in rows if isinstance(row, dict))
            meta = LiveMeta(source="RIPE Atlas", call="probes", fetched_at=datetime.now(UTC))
            return ProbeList(meta=meta, probes=states)

        return await cached_result(self._cache, "atlas-probes", params, fetch)


def _state(row: dict[str, Any]) -> ProbeState:
    status = row.get("status")
    if not isinstance(status, dict) or not isinstance(status.get("id"), int):
        raise UpstreamBadResponse(ATLAS, f"probe {row.get('id')!r} has no status id.")
    since = status.get("since")
    when: datetime | None = None
    if isinstance(since, int | float):
        when = datetime.fromtimestamp(since, UTC)
    elif isinstance(since, str) and since:
        try:
            when = datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError:
            raise UpstreamBadResponse(ATLAS, f"probe {row.get('id')!r} has an unreadable since.") from None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return ProbeState(int(row.get("id") or 0), int(status["id"]), when)
