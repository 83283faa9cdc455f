"""What a reachability check found: per target, its DNS answers and each address's path through the stages.

The probe fills these in and the verdict reads them; kept apart from both so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.net.address_safety import IPAddress
from bot.net.dns import Lookup
from bot.reach.bgp import Network
from bot.reach.fetch import HttpResult
from bot.reach.site import Target
from bot.reach.tls import TcpResult, TlsResult


@dataclass(slots=True)
class DnsReport:
    system: Lookup
    control: Lookup
    consistency: str
    why: str

    def to_json(self) -> dict[str, Any]:
        return {
            "system": self.system.to_json(),
            "control": self.control.to_json(),
            "consistency": self.consistency,
            "why": self.why,
        }


@dataclass(slots=True)
class AddressReport:
    """One address's path through the stages; `outcome` is this address's own verdict."""

    address: IPAddress
    found_by: list[str]
    network: Network
    refused: str | None = None
    tcp: TcpResult | None = None
    tls: TlsResult | None = None
    http: HttpResult | None = None
    outcome: str = ""
    live_announced: bool | None = None

    @property
    def from_system(self) -> bool:
        """Whether a user's own resolver (or the user, with a literal) would lead here."""
        return bool({"system", "literal"} & set(self.found_by))

    def to_json(self) -> dict[str, Any]:
        return {
            "address": str(self.address),
            "found_by": self.found_by,
            **self.network.to_json(),
            "outcome": self.outcome,
            "refused": self.refused,
            "tcp": self.tcp.to_json() if self.tcp else None,
            "tls": self.tls.to_json() if self.tls else None,
            "http": self.http.to_json() if self.http else None,
        }


@dataclass(slots=True)
class TargetReport:
    target: Target
    dns: DnsReport | None
    addresses: list[AddressReport] = field(default_factory=list)
    verdict: str = ""
    reason: str = ""
    seconds: float = 0.0
    routing_known: bool = False
