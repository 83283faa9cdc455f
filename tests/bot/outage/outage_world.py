"""Local IODA, RIPE Atlas, IHR and RIPEstat servers telling one story: a normal week, then a shutdown day
shaped like 4–5 January 2022 in Kazakhstan, on a clock the test moves.

Answers follow the documented shapes in ../shared/notes/outages.md (IODA's v2 envelope with `error` and
nested `data`; Atlas's paged probe list with `status: {id, name, since}`; IHR's paged `results`; RIPEstat's
envelope with `stats[].timeline`). The numbers are invented: a daily cycle plus these steps (UTC):

- 4 Jan 14:30 mobile restricted: IODA active probing falls to 45 % (telescope to 75 %, still above 60 %);
- 5 Jan 10:30 nationwide blackout: active probing 5 %, telescope 10 %, 70 % of Atlas probes disconnect
  (and IHR reports the disconnection); BGP stays mostly visible (90 %), as observers saw in 2022;
- 5 Jan 16:00 partial restoration: probes reconnect, telescope back to 80 %, active probing only to 50 %;
- 5 Jan 20:00 fully restored.

Each source can be made to fail: HTTP 500, a timeout, malformed JSON, `error` set in a 200 envelope
(IODA) or `status: error` (RIPEstat), or IODA's empty `data: [[]]`.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

MOBILE = datetime(2022, 1, 4, 14, 30, tzinfo=UTC)
BLACKOUT = datetime(2022, 1, 5, 10, 30, tzinfo=UTC)
PARTIAL = datetime(2022, 1, 5, 16, 0, tzinfo=UTC)
RESTORED = datetime(2022, 1, 5, 20, 0, tzinfo=UTC)

PROBES = 60
LOST_PROBES = 42
FAULT_KINDS = ("500", "timeout", "malformed", "error-envelope", "empty")
SOURCES = ("ioda", "atlas", "ihr", "ripestat")


def factor(datasource: str, moment: datetime) -> float:
    """How much of its normal value a signal shows at `moment` in the scenario."""
    if BLACKOUT <= moment < PARTIAL:
        return {"ping-slash24": 0.05, "merit-nt": 0.10, "bgp": 0.9, "v4_prefixes_ris": 0.95}.get(
            datasource, 1.0
        )
    if PARTIAL <= moment < RESTORED:
        return {"ping-slash24": 0.5, "merit-nt": 0.8}.get(datasource, 1.0)
    if MOBILE <= moment < BLACKOUT:
        return {"ping-slash24": 0.45, "merit-nt": 0.75}.get(datasource, 1.0)
    return 1.0


NORMAL = {"bgp": 9000.0, "ping-slash24": 3000.0, "merit-nt": 40000.0, "v4_prefixes_ris": 2400.0}


def value(datasource: str, moment: datetime) -> float:
    """A daily cycle (traffic-driven signals swing ±20 %) with a little deterministic jitter."""
    hour = moment.hour + moment.minute / 60
    swing = 0.2 if datasource in ("ping-slash24", "merit-nt") else 0.01
    cycle = 1 + swing * math.sin(2 * math.pi * hour / 24) + 0.01 * math.sin(moment.timestamp() / 977)
    return round(NORMAL[datasource] * cycle * factor(datasource, moment), 1)


@dataclass
class OutageWorld:
    """The servers' shared state: the scenario clock, injected faults and per-source request counts."""

    now: datetime
    faults: dict[str, str] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    slow_seconds: float = 1.0

    def clock(self) -> datetime:
        return self.now

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/ioda/signals/raw/{type}/{code}", self._ioda_signals)
        app.router.add_get("/ioda/outages/events", self._ioda_events)
        app.router.add_get("/atlas/probes/", self._atlas)
        app.router.add_get("/ihr/api/disco/events/", self._ihr)
        app.router.add_get("/data/country-resource-stats/data.json", self._ripestat)
        return app

    async def _serve(self, source: str, body: Callable[[], Any]) -> web.StreamResponse:
        self.requests[source] = self.requests.get(source, 0) + 1
        fault = self.faults.get(source)
        if fault == "500":
            return web.Response(status=500, text="upstream trouble")
        if fault == "timeout":
            await asyncio.sleep(self.slow_seconds)
        if fault == "malformed":
            return web.Response(text='{"data": [[{"values": [1, 2', content_type="application/json")
        if fault == "error-envelope":
            if source == "ripestat":
                return web.json_response(
                    {
                        "status": "error",
                        "status_code": 500,
                        "messages": [["error", "backend down"]],
                        "data": {},
                    }
                )
            return web.json_response({**_ioda_envelope([[]]), "error": "Internal error", "data": None})
        if fault == "empty":
            return web.json_response(_empty(source))
        return web.json_response(body())

    # IODA ---------------------------------------------------------------------------------------
    async def _ioda_signals(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        code = request.match_info["code"]
        datasource = query.get("datasource", "bgp")
        start, until = int(query["from"]), int(query["until"])
        step = 300

        def body() -> Any:
            values = [
                value(datasource, moment) if moment <= self.now else None
                for t in range(start, until, step)
                if (moment := datetime.fromtimestamp(t, UTC))
            ]
            series = {
                "entityType": request.match_info["type"],
                "entityCode": code,
                "entityName": "Kazakhstan",
                "entityFqid": f"geo.netacuity.AS.{code}",
                "datasource": datasource,
                "subtype": "",
                "from": start,
                "until": until,
                "step": step,
                "nativeStep": step,
                "values": values,
            }
            return _ioda_envelope([[series]])

        return await self._serve("ioda", body)

    async def _ioda_events(self, request: web.Request) -> web.StreamResponse:
        """IODA's own detection of the blackout once it has begun (ping-slash24 and telescope)."""

        def body() -> Any:
            if self.now < BLACKOUT + timedelta(minutes=15):
                return _ioda_envelope([])
            ended = min(self.now, PARTIAL)
            return _ioda_envelope(
                [
                    {
                        "location": "country/KZ",
                        "datasource": source,
                        "start": int(BLACKOUT.timestamp()),
                        "duration": int((ended - BLACKOUT).total_seconds()),
                        "score": 120000,
                        "level": "critical",
                    }
                    for source in ("ping-slash24", "merit-nt")
                ]
            )

        return await self._serve("ioda", body)

    # RIPE Atlas -------------------------------------------------------------------------------------
    def probe_status(self, number: int) -> tuple[int, datetime]:
        """Status id and `since` of probe `number` at the scenario's now."""
        long_ago = datetime(2021, 6, 1, tzinfo=UTC)
        lost = number < LOST_PROBES
        if lost and BLACKOUT + timedelta(minutes=10) <= self.now < PARTIAL:
            return 2, BLACKOUT + timedelta(minutes=10)
        if lost and self.now >= PARTIAL:
            return 1, PARTIAL
        return 1, long_ago

    async def _atlas(self, request: web.Request) -> web.StreamResponse:
        page = int(request.query.get("page", "1"))
        size = 25

        def body() -> Any:
            numbers = list(range(PROBES))[(page - 1) * size : page * size]
            results = []
            for number in numbers:
                status, since = self.probe_status(number)
                results.append(
                    {
                        "id": 1000 + number,
                        "asn_v4": 9198,
                        "asn_v6": None,
                        "country_code": "KZ",
                        "status": {
                            "id": status,
                            "name": "Connected" if status == 1 else "Disconnected",
                            "since": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        },
                    }
                )
            more = page * size < PROBES
            return {
                "count": PROBES,
                "next": str(request.url.update_query(page=str(page + 1))) if more else None,
                "previous": None,
                "results": results,
            }

        return await self._serve("atlas", body)

    # IHR ------------------------------------------------------------------------------------------
    async def _ihr(self, request: web.Request) -> web.StreamResponse:
        def body() -> Any:
            results = []
            start = BLACKOUT + timedelta(minutes=5)
            if self.now >= start:
                ended = self.now >= PARTIAL
                results.append(
                    {
                        "streamname": request.query.get("streamname", "KZ"),
                        "streamtype": request.query.get("streamtype", "country"),
                        "starttime": start.strftime("%Y-%m-%dT%H:%M:%S"),
                        "endtime": PARTIAL.strftime("%Y-%m-%dT%H:%M:%S") if ended else None,
                        "avglevel": 31.5,
                        "nbdiscoprobes": LOST_PROBES,
                        "totalprobes": PROBES,
                        "ongoing": None if ended else True,
                    }
                )
            return {"count": len(results), "next": None, "previous": None, "results": results}

        return await self._serve("ihr", body)

    # RIPEstat -------------------------------------------------------------------------------------
    async def _ripestat(self, request: web.Request) -> web.StreamResponse:
        start = datetime.fromisoformat(request.query["starttime"]).replace(tzinfo=UTC)
        end = datetime.fromisoformat(request.query["endtime"]).replace(tzinfo=UTC)

        def body() -> Any:
            stats = []
            moment = start
            while moment <= min(end, self.now):
                stats.append(
                    {
                        "stats_date": moment.strftime("%Y-%m-%dT%H:%M:%S"),
                        "timeline": [
                            {
                                "starttime": moment.strftime("%Y-%m-%dT%H:%M:%S"),
                                "endtime": (moment + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
                            }
                        ],
                        "v4_prefixes_ris": int(value("v4_prefixes_ris", moment)),
                        "v6_prefixes_ris": 120,
                        "asns_ris": 180,
                        "v4_prefixes_stats": 2700,
                        "v6_prefixes_stats": 300,
                        "asns_stats": 230,
                    }
                )
                moment += timedelta(hours=1)
            return {
                "status": "ok",
                "status_code": 200,
                "messages": [],
                "data_call_name": "country-resource-stats",
                "data": {
                    "resource": request.query["resource"].lower(),
                    "stats": stats,
                    "resolution": "1h",
                    "query_starttime": request.query["starttime"],
                    "query_endtime": request.query["endtime"],
                    "latest_time": self.now.strftime("%Y-%m-%dT%H:%M:%S"),
                },
                "time": self.now.strftime("%Y-%m-%dT%H:%M:%S"),
            }

        return await self._serve("ripestat", body)


def _ioda_envelope(data: Any) -> dict[str, Any]:
    return {
        "type": "signals",
        "metadata": {"requestTime": "2022-01-05T12:00:00+00:00", "responseTime": "2022-01-05T12:00:01+00:00"},
        "requestParameters": {},
        "error": None,
        "perf": None,
        "data": data,
        "copyright": "This data is provided by IODA, Georgia Tech.",
    }


def _empty(source: str) -> Any:
    """Each source's way of saying "nothing": IODA's `[[]]`, empty lists elsewhere."""
    if source == "ioda":
        return _ioda_envelope([[]])
    if source == "ripestat":
        return {"status": "ok", "status_code": 200, "messages": [], "data": {"stats": []}}
    return {"count": 0, "next": None, "previous": None, "results": []}
