"""A local stand-in for RIPEstat and the Internet Health Report, with faults injectable per call.

Reusable by any test that needs live sources (lookup, transit, alerts): import the `fake_upstreams` and
`live_settings` fixtures into your conftest. RIPEstat calls answer with the real recorded responses in
../shared/data/ripestat/; calls with no recording, and every IHR endpoint, answer with responses built
from the documented fields (values invented for tests, marked below). The server counts requests per
call, so tests can assert how many actually reached "upstream".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.core.settings import CoreSettings, LiveSettings, Settings

# Calls whose real recorded response exists, by call name -> file in ../shared/data/ripestat/.
RECORDED = {
    "looking-glass": "looking-glass.json",
    "announced-prefixes": "announced-prefixes.json",
    "asn-neighbours": "asn-neighbours.json",
    "network-info": "network-info.json",
    "rpki-validation": "rpki-validation-status.json",
    "routing-history": "routing-history.json",
}

# Built from the RIPEstat documentation's field lists (no recording available); the values are invented.
DOCUMENTED: dict[str, dict[str, Any]] = {
    "routing-status": {
        "first_seen": {"prefix": "95.56.0.0/16", "origin": "9198", "time": "2005-03-01T00:00:00"},
        "last_seen": {"prefix": "95.56.0.0/16", "origin": "9198", "time": "2024-10-10T08:00:00"},
        "visibility": {
            "v4": {"ris_peers_seeing": 352, "total_ris_peers": 356},
            "v6": {"ris_peers_seeing": 0, "total_ris_peers": 0},
        },
        "origins": [{"origin": 9198, "route_objects": ["RIPE"]}],
        "less_specifics": [],
        "more_specifics": [{"prefix": "95.56.0.0/17", "origin": "9198"}],
        "resource": "95.56.0.0/16",
        "query_time": "2024-10-10T08:00:00",
    },
    "visibility": {
        "visibilities": [
            {
                "probe": {"name": "RRC00", "city": "Amsterdam", "country": "NL", "ixp": "RIPE NCC Multihop"},
                "ipv4_full_table_peer_count": 20,
                "ipv4_full_table_peers_not_seeing": [{"asn": 64500, "ip": "192.0.2.1", "prefix_count": 1}],
                "ipv6_full_table_peer_count": 18,
                "ipv6_full_table_peers_not_seeing": [],
            }
        ],
        "resource": "95.56.0.0/16",
        "query_time": "2024-10-10T08:00:00",
        "latest_time": "2024-10-10T08:00:00",
    },
    "prefix-overview": {
        "announced": True,
        "asns": [{"asn": 9198, "holder": "KAZTELECOM-AS - JSC Kazakhtelecom"}],
        "block": {"resource": "95.0.0.0/8", "desc": "RIPE NCC (Status: ALLOCATED)", "name": "IANA IPv4"},
        "related_prefixes": [],
        "resource": "95.56.0.0/16",
        "query_time": "2024-10-10T08:00:00",
    },
    "as-overview": {
        "type": "as",
        "resource": "9198",
        "holder": "KAZTELECOM-AS - JSC Kazakhtelecom",
        "announced": True,
        "block": {"resource": "8967-9206", "desc": "Assigned by RIPE NCC", "name": "IANA 16-bit ASN"},
        "query_starttime": "2024-10-10T00:00:00",
        "query_endtime": "2024-10-10T08:00:00",
    },
    "rir-stats-country": {
        "located_resources": [{"resource": "95.56.0.0/16", "location": "KZ"}],
        "result_time": "2024-10-09T00:00:00",
        "query_time": "2024-10-10T08:00:00",
    },
    "country-resource-list": {
        "resources": {"asn": ["9198", "29355", "50482"], "ipv4": ["95.56.0.0/16", "2.72.0.0/13"], "ipv6": []},
        "query_time": "2024-10-10T08:00:00",
    },
}

# IHR rows shaped after the documented result fields (routing-sources.md); values invented for tests.
IHR_ALLOWED = {
    "hegemony/": {
        "originasn",
        "asn",
        "af",
        "timebin",
        "timebin__gte",
        "timebin__lte",
        "hege",
        "hege__gte",
        "hege__lte",
        "page",
        "ordering",
    },
    "hegemony/countries/": {
        "country",
        "asn",
        "af",
        "weightscheme",
        "transitonly",
        "timebin",
        "timebin__gte",
        "timebin__lte",
        "hege",
        "hege__gte",
        "hege__lte",
        "page",
        "ordering",
    },
    "disco/events/": {
        "streamname",
        "streamtype",
        "starttime",
        "starttime__gte",
        "starttime__lte",
        "endtime",
        "endtime__gte",
        "endtime__lte",
        "avglevel",
        "avglevel__gte",
        "avglevel__lte",
        "page",
        "ordering",
    },
}
_HEGE = [
    (9198, "KAZTELECOM-AS", 1.0),
    (3216, "SOVAM-AS", 0.41),
    (9002, "RETN-AS", 0.27),
    (20485, "TRANSTELECOM", 0.12),
]


def ihr_rows(path: str, query: dict[str, str]) -> list[dict[str, Any]]:
    """All rows an IHR endpoint would return for the query (before pagination)."""
    timebin = query.get("timebin__lte", "2024-10-10T08:00")
    if path == "hegemony/":
        origin = int(query.get("originasn", "0"))
        return [
            {
                "timebin": timebin,
                "originasn": origin,
                "asn": asn,
                "hege": hege,
                "af": int(query.get("af", 4)),
                "asn_name": name,
                "originasn_name": "KAZTELECOM-AS",
            }
            for asn, name, hege in _HEGE
        ]
    if path == "hegemony/countries/":
        return [
            {
                "timebin": timebin,
                "country": query.get("country", "KZ"),
                "asn": asn,
                "hege": hege / 2,
                "af": 4,
                "asn_name": name,
                "weight": 0.0,
                "weightscheme": query.get("weightscheme", "eyeball"),
                "transitonly": query.get("transitonly") == "true",
            }
            for asn, name, hege in _HEGE
        ]
    return [
        {
            "streamname": query.get("streamname", "9198"),
            "streamtype": query.get("streamtype", "asn"),
            "starttime": "2024-10-09T13:05:00",
            "endtime": "2024-10-09T13:40:00",
            "avglevel": 14.2,
            "nbdiscoprobes": 11,
            "totalprobes": 40,
            "ongoing": None,
        },
        {
            "streamname": query.get("streamname", "9198"),
            "streamtype": query.get("streamtype", "asn"),
            "starttime": "2024-10-08T02:00:00",
            "endtime": "2024-10-08T02:10:00",
            "avglevel": 6.0,
            "nbdiscoprobes": 3,
            "totalprobes": 40,
            "ongoing": None,
        },
    ]


FAULTS = {
    "500",
    "429",
    "slow",
    "malformed",
    "truncated",
    "reset",
    "404",
    "400",
    "huge",
    "504",
    "ripestat-error",
}


@dataclass
class Fault:
    kind: str
    times: int
    retry_after: str | None = None


@dataclass
class FakeUpstreams:
    """The app plus request counts (`requests["ripestat:looking-glass"]`, `requests["ihr:hegemony/"]`)."""

    ripestat_dir: Path
    page_size: int = 2
    slow_seconds: float = 1.0
    delay: float = 0.0
    gate: asyncio.Event | None = None
    """When set to an Event, every answer waits for it: a test holds a fetch in flight without sleeping."""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    """Set at the first request: a test waits for it instead of sleeping."""
    requests: Counter[str] = field(default_factory=Counter)
    queries: list[tuple[str, dict[str, str], dict[str, str]]] = field(default_factory=list)
    faults: dict[str, Fault] = field(default_factory=dict)
    server: TestServer | None = None

    def fail(self, key: str, kind: str, *, times: int = 1_000_000, retry_after: str | None = None) -> None:
        """Make the next `times` requests to `key` (e.g. "ripestat:looking-glass") fail with `kind`."""
        assert kind in FAULTS, kind
        self.faults[key] = Fault(kind, times, retry_after)

    def heal(self, key: str) -> None:
        self.faults.pop(key, None)

    @property
    def base(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    def settings(self, **live: Any) -> Settings:
        """Settings pointing at this server, online, with fast timeouts and backoff for tests."""
        values: dict[str, Any] = {
            "ripestat_url": self.base,
            "ihr_url": self.base + "/ihr/api",
            "silkroute_http_connect_timeout": 1.0,
            "silkroute_http_read_timeout": 0.3,
            "silkroute_http_retries": 2,
            "silkroute_http_backoff_seconds": 0.001,
            "silkroute_http_retry_after_max": 0.05,
        }
        values.update(live)
        return Settings(core=CoreSettings(silkroute_offline=False), live=LiveSettings(**values))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/data/{call}/data.json", self._ripestat)
        app.router.add_get("/ihr/api/{path:.*}", self._ihr)
        return app

    async def _ripestat(self, request: web.Request) -> web.StreamResponse:
        call = request.match_info["call"]
        key = f"ripestat:{call}"
        body = self._ripestat_body(call, dict(request.query))
        return await self._serve(request, key, body)

    def _ripestat_body(self, call: str, query: dict[str, str]) -> Any:
        if call in RECORDED:
            return json.loads((self.ripestat_dir / RECORDED[call]).read_text())
        if call in DOCUMENTED:
            return {
                "messages": [["warning", "Latest available results are 27 hours old."]],
                "see_also": [],
                "version": "1.0",
                "data_call_name": call,
                "data_call_status": "supported",
                "cached": False,
                "data": DOCUMENTED[call],
                "query_id": "test",
                "process_time": 1,
                "server_id": "fake",
                "build_version": "fake",
                "status": "ok",
                "status_code": 200,
                "time": "2024-10-10T08:05:00.000000",
            }
        return None

    async def _ihr(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        key = f"ihr:{path}"
        query = dict(request.query)
        allowed = IHR_ALLOWED.get(path)
        if allowed is None:
            return await self._serve(request, key, None)
        unexpected = sorted(set(query) - allowed)
        if unexpected:
            self._count(request, key)
            return web.json_response(
                {"error": "invalid_query_params", "unexpected": unexpected, "allowed": sorted(allowed)},
                status=400,
            )
        rows = ihr_rows(path, query)
        page = int(query.get("page", "1"))
        chunk = rows[(page - 1) * self.page_size : page * self.page_size]
        more = page * self.page_size < len(rows)
        body = {
            "count": len(rows),
            "next": str(request.url.update_query(page=str(page + 1))) if more else None,
            "previous": str(request.url.update_query(page=str(page - 1))) if page > 1 else None,
            "results": chunk,
        }
        return await self._serve(request, key, body)

    def _count(self, request: web.Request, key: str) -> None:
        self.requests[key] += 1
        self.queries.append((key, dict(request.query), dict(request.headers)))
        self.arrived.set()

    async def _serve(self, request: web.Request, key: str, body: Any) -> web.StreamResponse:
        self._count(request, key)
        if self.gate is not None:
            await self.gate.wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        fault = self.faults.get(key)
        if fault is not None and fault.times > 0:
            fault.times -= 1
            return await self._fault(request, fault)
        if body is None:
            return web.json_response(
                {"status": "error", "status_code": 404, "messages": [["error", "no such call"]], "data": {}},
                status=404,
            )
        return web.json_response(body)

    async def _fault(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        kind = fault.kind
        if kind in ("500", "504"):
            return web.Response(status=int(kind), text="upstream trouble")
        if kind == "429":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return web.Response(status=429, text="slow down", headers=headers)
        if kind == "404":
            return web.json_response({"detail": "Not found"}, status=404)
        if kind == "400":
            return web.json_response(
                {
                    "status": "error",
                    "status_code": 400,
                    "messages": [["error", "Invalid resource 'x'"]],
                    "data": {},
                },
                status=400,
            )
        if kind == "ripestat-error":
            return web.json_response(
                {
                    "status": "error",
                    "status_code": 500,
                    "data": {},
                    "messages": [["error", "Backend unavailable"]],
                }
            )
        if kind == "slow":
            await asyncio.sleep(self.slow_seconds)
            return web.json_response({"status": "ok", "data": {}})
        if kind == "malformed":
            return web.Response(text='{"status": "ok", "data": {"rrcs": [', content_type="application/json")
        if kind == "huge":
            return web.Response(body=b" " * 200_000, content_type="application/json")
        if kind == "truncated":
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.content_length = 10_000
            await response.prepare(request)
            await response.write(b'{"status": "ok", "data": {"rrcs": [')
            _abort(request)
            return response
        _abort(request)  # "reset": RST before any byte of a response
        return web.Response()


def _abort(request: web.Request) -> None:
    """Close the TCP connection with RST (SO_LINGER 0), as a crashed proxy or middlebox would."""
    transport = request.transport
    assert transport is not None
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[TestServer]:
    """Run an aiohttp app on 127.0.0.1 on a free port for the duration of the block."""
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def fake_upstreams(shared_data: Path) -> AsyncIterator[FakeUpstreams]:
    """A running fake RIPEstat + IHR on 127.0.0.1."""
    fake = FakeUpstreams(shared_data / "ripestat")
    async with serving(fake.app()) as fake.server:
        yield fake


@pytest.fixture
def live_settings(fake_upstreams: FakeUpstreams) -> Settings:
    return fake_upstreams.settings()
