"""`/transit target:` — through which countries and networks an AS, an address's origin or a country reaches out.

The handler reads the target and the snapshot (`query`), then shows the numbers (`presentation`); the
definitions live here, in the help, and in `bot.routing.transit`.
"""

from __future__ import annotations

from functools import partial

from bot.app.answer import Answer, BadInput
from bot.app.commands import CommandSpec, Context, Option
from bot.app.features.transit.over_time import AT_EXAMPLE, add_over_time, answer_at
from bot.app.features.transit.presentation import REGISTRATION_NOTE, country_answer, origin_answer_with_ihr
from bot.app.features.transit.query import (
    EXAMPLE,
    country_result,
    ihr_hegemony,
    origin_result,
    parse_transit_target,
    resolve_target,
)
from bot.app.limits import Cost
from bot.app.live_parts import LiveParts, online_sources
from bot.app.targets import DOMAIN_LENGTH, CountryTarget, HostResolver, looks_like_address, looks_like_asn
from bot.app.wiring import Services
from bot.history.views import asn_key, country_key
from bot.routing.country_names import UNKNOWN_COUNTRY, complete_countries

TRANSIT_HELP = f"""\
Which countries and networks an origin AS (or every AS registered in a country) depends on to reach the
vantage points of the BGP collectors in the loaded snapshot.

Target: an AS (AS9198 or 9198), a country (KZ, KAZ, Kazakhstan), or an IP / prefix / domain, which is first
resolved to the AS originating its covering prefix. Options: family (ipv4 or ipv6, default ipv4) and rows
(how many rows each table and the JSON transit list show, 1-50, default 10), and at:YYYY-MM-DD, which answers
from the recorded history point nearest that date and says which date it used. With two or more history
points an "Over time" section, a chart of the main exit countries' shares and JSON data.history are added.

Definitions:
- A route is (vantage point, prefix, AS path); a vantage point is one peer of a collector. Routes whose path
  holds an AS_SET or a loop are dropped; prepending (consecutive repeats) is collapsed; the origin is the
  last AS. A route weighs its prefix's address count for IPv4 (2^(32-len)), 1 for IPv6.
- For origin O and each vantage point v with at least one route to O:
  * transit AS hegemony of X != O = weighted share of v's routes to O whose path contains X;
  * country presence of C = weighted share of v's routes to O whose path contains an AS other than O
    registered in C;
  * exit country: walk each path from O towards v; the first AS registered in a country other than O's is
    where the route leaves O's country; per v, the weighted share of its leaving routes that leave through C
    (vantage points with no leaving route take no part).
- Vantage points are combined with a 10 % trimmed mean: per-vantage values sorted (a vantage point that did not
  see X counts 0), int(0.1*n) dropped from each end, the rest averaged.
- A country K: each of its origins' exit shares, normalised to sum to 1, averaged with the origin's announced
  address space as weight (IPv4: addresses covered by the distinct prefixes any vantage point saw; IPv6: the
  number of distinct prefixes). Origins with no leaving route take no part in the exit shares. Presence and
  the foreign transit ASes (not registered in K) are averaged over all origins with the same weights.
- An AS with no registration country is shown as {UNKNOWN_COUNTRY}: it counts as its own country for presence and
  transit, is skipped when looking for the exit (it is not registered in another country), and the share of
  route weight passing such an AS before leaving is reported. An origin with no registration has no exit.

{REGISTRATION_NOTE}"""


async def transit(ctx: Context, target: str, family: str = "ipv4", rows: int = 10, at: str = "") -> Answer:
    """Answer `/transit` from the serving snapshot's transit index, with IHR alongside for an origin.

    `family` and `rows` arrive checked by their Options (choices, min/max), so they are not checked again.
    """
    fam = 4 if family == "ipv4" else 6
    parsed = parse_transit_target(target)
    index = ctx.services.snapshots.transit_index()
    resolver = HostResolver.from_settings(ctx.services.settings)
    resolved = await resolve_target(resolver, index.data, parsed, fam)
    key, label = (
        (country_key(resolved.code), resolved.code)
        if isinstance(resolved, CountryTarget)
        else (asn_key(resolved[0]), f"AS{resolved[0]}")
    )
    history = ctx.services.history
    if at:
        if fam != 4:
            raise BadInput(
                ctx.tr.gettext("History points hold IPv4 numbers: at: works with family ipv4."),
                example=AT_EXAMPLE,
            )
        return await answer_at(history, key, label, at, target, ctx.tr)
    if isinstance(resolved, CountryTarget):
        country = await country_result(
            index, resolved.code, fam, on_cold=partial(ctx.charge, Cost.COLD_COMPUTE)
        )
        answer = await country_answer(index, country, rows, target, ctx.tr)
    else:
        asn, how = resolved
        result = await origin_result(index, asn, fam)
        parts = LiveParts(tr=ctx.tr)
        hegemony = await ihr_hegemony(online_sources(ctx.services), result, parts)
        answer = await origin_answer_with_ihr(index, result, rows, how, target, hegemony, parts, ctx.tr)
    if fam == 4:
        await add_over_time(answer, history, key, label, ctx.tr)
    return answer


async def complete_country(services: Services, prefix: str) -> list[str]:
    """Autocomplete for `target`: country labels, unless the text already looks like an AS or an address."""
    del services  # the country table is static; the signature is the shared autocomplete shape
    text = prefix.strip()
    if looks_like_asn(text) or looks_like_address(text) or "." in text:
        return []
    return complete_countries(text)


TRANSIT = CommandSpec(
    name="transit",
    description="Which countries and networks an AS, an address's origin or a whole country transits",
    example=EXAMPLE,
    handler=transit,
    options=(
        Option(
            "target",
            "AS (AS9198), country (KZ, Kazakhstan), IP, prefix or domain",
            max_length=DOMAIN_LENGTH,
            autocomplete=complete_country,
        ),
        Option(
            "family", "Address family of the routes", required=False, default="ipv4", choices=("ipv4", "ipv6")
        ),
        Option(
            "rows",
            "How many rows to list (1-50)",
            type=int,
            required=False,
            default=10,
            min_value=1,
            max_value=50,
        ),
        Option(
            "at",
            "Answer from the history point nearest this date (YYYY-MM-DD)",
            required=False,
            default="",
            max_length=10,
        ),
    ),
    help=TRANSIT_HELP,
)

TRANSIT_COMMANDS: list[CommandSpec] = [TRANSIT]
