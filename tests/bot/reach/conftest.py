"""A `lab` of local servers per test, and a ReachConfig pointing both resolvers at local DNS servers."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.live import LiveSources
from bot.net.address_safety import SafetyPolicy
from bot.net.dns import Nameserver
from bot.reach.interception import InterceptionDetector
from bot.reach.probe import ReachConfig
from tests.bot.reach.servers import Handler, Issued, StallServer, WebServer, make_ca, name
from tests.local_dns import DnsServer


@dataclass
class Lab:
    tmp: Path
    ca: Issued = field(default_factory=lambda: make_ca(name(C="KZ", O="Test Trust", CN="Test Root CA")))
    closers: list[WebServer | StallServer | DnsServer | LiveSources] = field(default_factory=list)

    @property
    def ca_file(self) -> Path:
        path = self.tmp / "test-ca.pem"
        if not path.exists():
            path.write_bytes(self.ca.pem())
        return path

    async def web(self, handler: Handler | None = None, context: ssl.SSLContext | None = None) -> WebServer:
        server = await WebServer.start(handler, context)
        self.closers.append(server)
        return server

    async def stall(self) -> StallServer:
        server = await StallServer.start()
        self.closers.append(server)
        return server

    async def dns(self, records: dict[str, list[str]]) -> DnsServer:
        server = await DnsServer.start(records)
        self.closers.append(server)
        return server

    async def config(
        self,
        records: dict[str, list[str]] | None = None,
        control: dict[str, list[str]] | None = None,
        *,
        policy: SafetyPolicy | None = None,
        stage_seconds: float = 2.0,
        max_bytes: int = 100_000,
        extra_spki: tuple[str, ...] = (),
    ) -> ReachConfig:
        """Both resolvers are local DNS servers; `control` defaults to the same table as `records`."""
        system = await self.dns(records or {})
        public = await self.dns(control if control is not None else records or {})
        return ReachConfig(
            policy=policy or SafetyPolicy(allow_unsafe=True),
            system_resolver=Nameserver("127.0.0.1", system.port),
            public_resolver=Nameserver("127.0.0.1", public.port),
            timeout=stage_seconds,
            max_bytes=max_bytes,
            detector=InterceptionDetector(extra_spki),
            extra_ca_file=self.ca_file,
        )

    async def close(self) -> None:
        for server in reversed(self.closers):
            result = server.close()
            if result is not None:
                await result


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    lab = Lab(tmp_path)
    yield lab
    await lab.close()
