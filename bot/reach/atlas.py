"""Optional vantage inside Kazakhstan: a one-off RIPE Atlas sslcert measurement from KZ probes.

From the bot's own host a site may load fine while Kazakh users see a forged chain; Atlas probes in
KZ (or in one ISP's AS) fetch the certificate from there, and the same interception check runs on the
PEM chains they return. Measurements cost credits, so one POST creates one measurement per target.
RIPE Atlas only allows HTTP measurements towards anchors, so sslcert is the measurement used.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from bot.core.errors import DataUnavailable, InvalidInput
from bot.core.settings import Settings
from bot.core.values import Section, Table
from bot.live import LiveSources
from bot.live.http_client import ATLAS, HttpLayer, UpstreamHTTPError, UpstreamRateLimited
from bot.reach.interception import Finding, InterceptionDetector
from bot.reach.site import Target
from bot.reach.tls import CertInfo


@dataclass(slots=True)
class ProbeResult:
    """One probe's view: the chain it saw (with interception findings) or the error it hit."""

    probe_id: int
    source_address: str | None
    destination: str | None
    chain: list[CertInfo] = field(default_factory=list)
    interception: list[Finding] = field(default_factory=list)
    error: str | None = None
    seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "probe_id": self.probe_id,
            "from": self.source_address,
            "dst_addr": self.destination,
            "error": self.error,
            "seconds": self.seconds,
            "chain": [c.to_json() for c in self.chain],
            "interception": [f.to_json() for f in self.interception],
        }


@dataclass(slots=True)
class Measurement:
    target: Target
    measurement_id: int
    requested: int
    results: list[ProbeResult] = field(default_factory=list)
    complete: bool = False

    @property
    def intercepted(self) -> list[ProbeResult]:
        return [r for r in self.results if r.interception]

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target.text,
            "measurement_id": self.measurement_id,
            "requested_probes": self.requested,
            "complete": self.complete,
            "results": [r.to_json() for r in self.results],
        }


@dataclass(frozen=True, slots=True)
class AtlasClient:
    """Creates one-off measurements and polls their results through the shared live HTTP layer."""

    http: HttpLayer
    key: str
    probes: int
    wait_seconds: float
    poll_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings, live: LiveSources | None) -> AtlasClient:
        """DataUnavailable (with the variable to set) when Atlas is not configured or live calls are off."""
        key = settings.live.ripe_atlas_key
        if key is None or not key.get_secret_value().strip():
            raise DataUnavailable(
                "The RIPE Atlas vantage needs an API key: set RIPE_ATLAS_KEY (measurements cost credits)."
            )
        if settings.core.silkroute_offline or live is None:
            raise DataUnavailable(
                "Live sources are switched off (SILKROUTE_OFFLINE=1), including RIPE Atlas."
            )
        return cls(
            http=live.http,
            key=key.get_secret_value().strip(),
            probes=settings.reach.silkroute_atlas_probes,
            wait_seconds=settings.reach.silkroute_atlas_wait_seconds,
            poll_seconds=settings.reach.silkroute_atlas_poll_seconds,
        )

    async def measure(
        self,
        targets: list[Target],
        asn: int | None,
        detector: InterceptionDetector,
        on_poll: Callable[[list[Measurement]], Awaitable[None]] | None = None,
    ) -> list[Measurement]:
        """Create one sslcert measurement per target, then poll until every probe answered or time runs out;
        `on_poll` sees the results so far after each round (a long wait shows progress)."""
        ids = await self._create(targets, asn)
        measurements = [Measurement(t, i, self.probes) for t, i in zip(targets, ids, strict=True)]
        deadline = time.monotonic() + self.wait_seconds
        while True:
            for measurement in measurements:
                if not measurement.complete:
                    await self._poll(measurement, detector)
            if all(m.complete for m in measurements) or time.monotonic() >= deadline:
                return measurements
            if on_poll is not None:
                await on_poll(measurements)
            await asyncio.sleep(min(self.poll_seconds, max(0.0, deadline - time.monotonic())))

    async def _create(self, targets: list[Target], asn: int | None) -> list[int]:
        definitions = [
            {
                "type": "sslcert",
                "af": 6 if t.ip is not None and t.ip.version == 6 else 4,
                "target": t.host,
                "port": t.port if t.uses_tls else 443,
                "description": f"silkroute reach {t.host}",
                "resolve_on_probe": True,
            }
            for t in targets
        ]
        probes = {"requested": self.probes, "type": "asn", "value": asn} if asn else None
        body = {
            "definitions": definitions,
            "probes": [probes or {"requested": self.probes, "type": "country", "value": "KZ"}],
            "is_oneoff": True,
        }
        payload = await self._json("/measurements/", "POST", body)
        ids = payload.get("measurements") if isinstance(payload, dict) else None
        if not isinstance(ids, list) or len(ids) != len(targets):
            raise DataUnavailable("RIPE Atlas did not return the measurement ids it was asked to create.")
        return [int(i) for i in ids]

    async def _poll(self, measurement: Measurement, detector: InterceptionDetector) -> None:
        rows = await self._json(f"/measurements/{measurement.measurement_id}/results/", "GET", None)
        if not isinstance(rows, list):
            raise DataUnavailable(
                f"RIPE Atlas returned no result list for measurement {measurement.measurement_id}."
            )
        measurement.results = [probe_result(row, detector) for row in rows if isinstance(row, dict)]
        measurement.complete = len(measurement.results) >= measurement.requested

    async def _json(self, path: str, method: str, body: Any) -> Any:
        """One Atlas call; the statuses Atlas uses for the key and the definition get Atlas's own words."""
        headers = {"Authorization": f"Key {self.key}"}
        try:
            return await self.http.request_json(ATLAS, path, method=method, json_body=body, headers=headers)
        except UpstreamRateLimited:
            raise DataUnavailable(
                "RIPE Atlas is rate-limiting measurement creation (HTTP 429); try later."
            ) from None
        except UpstreamHTTPError as exc:
            if exc.status in {401, 403}:
                raise DataUnavailable("RIPE Atlas refused the API key (RIPE_ATLAS_KEY).") from None
            if exc.status == 400:
                raise InvalidInput(f"RIPE Atlas rejected the measurement: {_detail(exc.body)}") from None
            raise


def probe_result(row: dict[str, Any], detector: InterceptionDetector) -> ProbeResult:
    """Decode one sslcert result row and run the interception check on its PEM chain."""
    result = ProbeResult(int(row.get("prb_id", 0)), row.get("from"), row.get("dst_addr"))
    if "rt" in row:
        result.seconds = float(row["rt"]) / 1000
    pems = row.get("cert") or []
    try:
        chain = [x509.load_pem_x509_certificate(str(pem).encode()) for pem in pems]
    except ValueError:
        result.error = "unreadable certificate in the result"
        return result
    result.chain = [CertInfo.of(cert) for cert in chain]
    result.interception = detector.check(chain)
    if not chain:
        result.error = str(row.get("err") or row.get("alert") or "no certificate received")
    return result


def _detail(payload: Any) -> str:
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        return str(payload["error"].get("detail") or payload["error"].get("title") or payload["error"])
    return str(payload)[:200]


def atlas_section(measurements: list[Measurement]) -> Section:
    """Per-probe lines: who saw an interception root, who saw the real chain, who failed."""
    table = Table(["target", "probe", "from", "result", "issuer of first certificate"])
    lines = []
    for m in measurements:
        intercepted = len(m.intercepted)
        state = "" if m.complete else f" (only {len(m.results)} of {m.requested} probes answered in time)"
        lines.append(
            f"{m.target.host}: measurement {m.measurement_id}, {len(m.results)} probes, "
            f"{intercepted} saw an interception certificate{state}."
        )
        for r in m.results:
            outcome = (
                "intercepted: " + r.interception[0].detail if r.interception else (r.error or "chain ok")
            )
            issuer = r.chain[0].issuer if r.chain else "–"
            table.rows.append([m.target.host, str(r.probe_id), r.source_address or "?", outcome, issuer])
    return Section("Inside Kazakhstan (RIPE Atlas)", "\n".join(lines), table)
