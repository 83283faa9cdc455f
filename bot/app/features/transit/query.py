"""What `/transit` asks: which origin or country a target means, and its numbers from the transit index.

The target goes through the shared parser (`bot.app.targets`); an address or a domain becomes the AS
originating its covering prefix. Cold results are computed in a worker thread; warm ones come from the
index that the snapshot store keeps for the snapshot being served.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any

from bot.app.answer import BadInput, Unavailable
from bot.app.live_parts import Failed, LiveParts, attempt
from bot.app.targets import (
    AsTarget,
    CountryTarget,
    DomainTarget,
    HostResolver,
    NetworkTarget,
    UserTarget,
    parse_target,
    resolve_host,
)
from bot.i18n import N_, Worded
from bot.live.ihr import Hegemony
from bot.live.sources import LiveSources
from bot.routing.country_names import country_name, suggest_countries
from bot.routing.transit import CountryTransit, OriginTransit, TransitData, TransitIndex

EXAMPLE = "/transit target:AS9198"


def parse_transit_target(text: str) -> UserTarget:
    """Classify the user's target: AS, IP/prefix, country (code or name), or domain/URL — in that order."""
    raw = text.strip()
    if not raw:
        raise BadInput(Worded(N_("Give an AS, a country, an IP, a prefix or a domain.")), example=EXAMPLE)
    parsed = parse_target(raw, "transit", countries=True)
    if parsed is not None:
        return parsed
    hints = suggest_countries(raw)
    raise BadInput(
        Worded(
            N_("{value} is not an AS, an IP, a domain or a country I know. Did you mean {hints}?")
            if hints
            else N_("{value} is not an AS, an IP, a domain or a country I know."),
            value=repr(raw),
            hints=", ".join(hints),
        ),
        example="/transit target:Kazakhstan",
    )


async def resolve_domain(resolver: HostResolver | None, name: str, family: int) -> list[str]:
    """The domain's addresses of one family, through the resolver `/reach` calls the system one."""
    lookup = await resolve_host(resolver, name, "transit")
    addresses = [a for a in lookup.addresses if ipaddress.ip_address(a).version == family]
    if not addresses:
        raise BadInput(
            Worded(N_("Could not resolve {host}: no IPv{family} address."), host=name, family=family),
            example="/transit target:nur.kz",
        )
    return addresses


def origin_of_address(data: TransitData, address: str, label: str) -> tuple[int, dict[str, Any]]:
    """The most-seen origin of the covering prefix (others are listed in the answer's data)."""
    match = data.lookup_ip(address)
    origins = [seen.asn for seen in match.origins] if match is not None else []
    if match is None or not origins:
        raise BadInput(
            Worded(N_("No route in the snapshot covers {target}."), target=label),
            example="/transit target:95.56.0.1",
        )
    return origins[0], {"input": label, "address": address, "prefix": match.prefix, "origins": origins}


async def resolve_target(
    resolver: HostResolver | None, data: TransitData, target: UserTarget, family: int
) -> CountryTarget | tuple[int, dict[str, Any] | None]:
    """Addresses and domains become their origin AS (with how it was found); AS and country pass through."""
    if isinstance(target, NetworkTarget):
        return origin_of_address(data, target.address, str(target.network))
    if isinstance(target, DomainTarget):
        addresses = await resolve_domain(resolver, target.name, family)
        for address in addresses:
            if data.lookup_ip(address) is not None:
                origin, how = origin_of_address(data, address, target.name)
                return origin, {**how, "addresses": addresses}
        raise BadInput(
            Worded(
                N_("No route in the snapshot covers {target} ({addresses})."),
                target=target.name,
                addresses=", ".join(addresses),
            ),
            example="/transit target:nur.kz",
        )
    if isinstance(target, AsTarget):
        return target.asn, None
    return target


async def origin_result(index: TransitIndex, asn: int, family: int) -> OriginTransit:
    """The origin's numbers; BadInput when no vantage point saw a route of that family from it."""
    _require_family(index.data, family)
    result = index.cached_origin(asn, family)
    if result is None:
        result = await asyncio.to_thread(index.origin, asn, family)
    if result.vantage_points == 0:
        raise BadInput(
            Worded(
                N_(
                    "AS{asn} originates no ipv{family} routes in the loaded snapshot (no vantage point saw one)."
                ),
                asn=asn,
                family=family,
            ),
            example=EXAMPLE if family == 4 else "/transit target:AS9198 family:ipv6",
        )
    return result


async def country_result(
    index: TransitIndex, code: str, family: int, on_cold: Callable[[], Awaitable[None]] | None = None
) -> CountryTransit:
    """The country's numbers; BadInput when no AS is registered there or none originates routes.

    `on_cold` runs first when the answer is not cached: a cold country can hold a core for seconds, so the
    caller may charge a fair-use quota (or refuse) before the work starts.
    """
    _require_family(index.data, family)
    if not index.data.asns_in_country(code):
        raise BadInput(
            Worded(
                N_("No AS is registered in {name} ({code}) in the loaded registry data."),
                name=country_name(code),
                code=code,
            ),
            example="/transit target:KZ",
        )
    result = index.cached_country(code, family)
    if result is None:
        if on_cold is not None:
            await on_cold()
        result = await asyncio.to_thread(index.country, code, family)
    if result.origin_ases == 0:
        raise BadInput(
            Worded(
                N_(
                    "None of the {count} ASes registered in {name} ({code}) originates IPv{family} routes in the "
                    "loaded snapshot."
                ),
                count=result.registered_ases,
                name=country_name(code),
                code=code,
                family=family,
            ),
            example="/transit target:KZ",
        )
    return result


def _require_family(data: TransitData, family: int) -> None:
    """A snapshot without routes of the family is a gap in our data, not a mistake in the question."""
    if not data.has_routes(family):
        raise Unavailable(
            f"The loaded snapshot holds no IPv{family} routes, so there is no IPv{family} transit to compute; "
            f"import an IPv{family} RIB (e.g. RouteViews route-views6 for IPv6).",
            example="/transit target:KZ family:ipv4",
        )


async def ihr_hegemony(
    live: LiveSources | Failed, result: OriginTransit, parts: LiveParts
) -> Hegemony | None:
    """IHR's latest AS hegemony towards the same origin, or None (the reason recorded in `parts`)."""
    if isinstance(live, Failed):
        parts.use(live)
        return None
    return parts.use(await attempt(live.ihr.hegemony(result.origin, af=result.family), "IHR AS hegemony"))
