"""The probe panel's host check, built on `/reach`'s DNS, TCP and TLS stages and its safety rules.

It lives in the application layer so that `bot.outage` needs no knowledge of `bot.reach`: the composition
root hands this in as the panel's `HostCheck`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.net.dns import resolve
from bot.reach.probe import ReachConfig
from bot.reach.tls import tcp_connect, tls_handshake

# A host answers when one of its first addresses completes the handshake; two is enough to ride out one
# dead front end without turning a round into a scan.
ADDRESSES_TRIED = 2


@dataclass
class ReachHostCheck:
    """TCP connect + TLS handshake to `host` on `port`, refused where `/reach` would refuse."""

    make_config: Callable[[], ReachConfig]
    port: int = 443
    _config: ReachConfig | None = field(default=None, init=False)

    def config(self) -> ReachConfig:
        """Built on first use, so a bad reach setting shows up in the panel, not as a start-up crash."""
        if self._config is None:
            self._config = self.make_config()
        return self._config

    async def __call__(self, host: str) -> bool:
        config = self.config()
        lookup = await resolve(host, config.system_resolver, config.timeout)
        for text in lookup.addresses[:ADDRESSES_TRIED]:
            address = ipaddress.ip_address(text)
            if config.policy.refusal(address, self.port) is not None:
                continue
            _, streams = await tcp_connect(address, self.port, config.timeout)
            if streams is None:
                continue
            tls = await tls_handshake(
                streams, host, config.timeout, detector=config.detector, extra_ca_file=config.extra_ca_file
            )
            if tls.status == "ok":
                return True
        return False
