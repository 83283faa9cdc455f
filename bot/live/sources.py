"""`LiveSources`: the component that owns the HTTP session, the cache and the live clients.

Commands reach the live sources through `services`; one owner means one session and one cache for the
whole process, and one place that reports their health for `/status`.
"""

from __future__ import annotations

from bot.core.settings import Settings
from bot.core.values import Section, Table
from bot.i18n import N_, Worded
from bot.live.atlas_probes import AtlasProbesClient
from bot.live.cache import LiveCache
from bot.live.http_client import HttpLayer, display_name
from bot.live.ihr import IhrClient
from bot.live.ioda import IodaClient
from bot.live.ripestat import RipestatClient
from bot.live.rislive import RisLiveClient, RisSubscription


class LiveSources:
    """RIPEstat, IHR, IODA, RIPE Atlas probes and RIS Live behind one session and one cache."""

    name = "live"

    def __init__(self, settings: Settings, *, cache: LiveCache | None = None) -> None:
        self.settings = settings
        self.http = HttpLayer(settings)
        self.cache = cache or LiveCache()
        self.ripestat = RipestatClient(self.http, self.cache)
        self.ihr = IhrClient(self.http, self.cache)
        self.ioda = IodaClient(self.http, self.cache)
        self.atlas_probes = AtlasProbesClient(self.http, self.cache)

    def rislive(self, subscriptions: tuple[RisSubscription, ...] = ()) -> RisLiveClient:
        """A RIS Live feed on the shared session; each consumer (e.g. the alert monitors) owns its own."""
        return RisLiveClient(self.http, subscriptions)

    @property
    def offline(self) -> bool:
        return self.http.offline

    async def start(self) -> None:
        """Nothing to open up front: the session is created on the first live call."""

    async def close(self) -> None:
        await self.http.close()

    def status(self) -> Section:
        """Per source: cached answers, hits (and how many of them were cached "not found"), misses, shared waits, stale serves, upstream requests and errors."""
        if self.offline:
            return Section(
                Worded(N_("Live sources")),
                Worded(N_("Off (SILKROUTE_OFFLINE=1): answers use the local snapshot only.")),
            )
        table = Table(
            [
                Worded(N_("source")),
                Worded(N_("cached")),
                Worded(N_("hits")),
                Worded(N_("not found")),
                Worded(N_("misses")),
                Worded(N_("shared")),
                Worded(N_("stale")),
                Worded(N_("requests")),
                Worded(N_("retries")),
                Worded(N_("errors")),
            ]
        )
        for source in self.cache.sources():
            stats = self.cache.stats(source)
            http = self.http.stats[source]
            table.rows.append(
                [
                    display_name(source),
                    str(self.cache.size(source)),
                    str(stats.hits),
                    str(stats.negative_hits),
                    str(stats.misses),
                    str(stats.coalesced),
                    str(stats.stale_serves),
                    str(http.requests),
                    str(http.retries),
                    str(stats.errors),
                ]
            )
        total = sum(self.cache.stats(s).hits + self.cache.stats(s).misses for s in self.cache.sources())
        return Section(
            Worded(N_("Live sources")), Worded(N_("{total} live lookups since start."), total=total), table
        )
