"""The `/lookup` command: read the target, ask the snapshot (`bot.routing.lookup`), show it, add live data."""

from __future__ import annotations

import asyncio

from bot.app.answer import Answer, BadInput, Severity, Unavailable
from bot.app.commands import CommandSpec, Context, Option
from bot.app.features.lookup.live import add_live
from bot.app.features.lookup.presentation import (
    EXAMPLE,
    MAX_MORE_SPECIFICS,
    REGISTRATION_NOTE,
    as_answer,
    domain_answer,
    ip_answer,
    prefix_answer,
)
from bot.app.live_parts import online_sources
from bot.app.targets import (
    DOMAIN_LENGTH,
    AsTarget,
    DomainTarget,
    HostResolver,
    Network,
    NetworkTarget,
    no_public_route,
    parse_target,
    resolve_host,
    special_purpose,
)
from bot.i18n import ENGLISH, Translator
from bot.routing.lookup import as_facts, ip_facts, prefix_facts
from bot.routing.snapshot import Snapshot
from bot.routing.snapshot_store import NO_SNAPSHOT


async def lookup(
    snapshot: Snapshot | None, target: str, resolver: HostResolver | None, tr: Translator = ENGLISH
) -> Answer:
    """Dispatch on the target's shape: AS, prefix, address, domain — in that order.

    The target is checked before the snapshot is required, so bad input is called bad input even on a
    bot that has no routing data yet. An AS's routes or a prefix's more-specifics can be ~100k rows, so
    those answers are built off the event loop.
    """
    text = target.strip()
    if not text:
        raise BadInput(tr.gettext("Give an AS, an IP address, a prefix or a domain."), example=EXAMPLE)
    parsed = parse_target(text, "lookup", special_space=True)
    if isinstance(parsed, NetworkTarget) and (why := special_purpose(parsed.network)) is not None:
        return await asyncio.to_thread(_bogon_answer, snapshot, parsed, why, tr)
    if isinstance(parsed, AsTarget):
        return await asyncio.to_thread(_asn_answer, _loaded(snapshot), parsed.asn, tr)
    if isinstance(parsed, NetworkTarget) and parsed.as_prefix:
        return await asyncio.to_thread(_prefix_answer, _loaded(snapshot), parsed.network, tr)
    if isinstance(parsed, DomainTarget):
        loaded = _loaded(snapshot)
        found = await resolve_host(resolver, parsed.name, "lookup")
        return domain_answer(loaded, parsed.name, found, [ip_facts(loaded, ip) for ip in found.addresses], tr)
    if isinstance(parsed, NetworkTarget):
        loaded = _loaded(snapshot)
        return ip_answer(loaded, ip_facts(loaded, parsed.address), tr)
    raise BadInput(
        tr.gettext("{target} is not an AS number, an IP address, a prefix or a domain.").format(
            target=repr(text)
        ),
        example=f"{EXAMPLE}, /lookup target:95.56.0.1, /lookup target:2.72.0.0/18, /lookup target:nur.kz",
    )


def _asn_answer(snapshot: Snapshot, asn: int, tr: Translator) -> Answer:
    return as_answer(snapshot, as_facts(snapshot, asn), tr)


def _prefix_answer(snapshot: Snapshot, network: Network, tr: Translator) -> Answer:
    return prefix_answer(snapshot, prefix_facts(snapshot, network, MAX_MORE_SPECIFICS), tr)


def _bogon_answer(snapshot: Snapshot | None, target: NetworkTarget, why: str, tr: Translator) -> Answer:
    """Special-purpose space (CGNAT, private, documentation...) answered from the table as it is: a NOC asks
    exactly this when such space leaks into BGP. "No public route" only when the data has none."""
    network = target.network
    if snapshot is not None:
        if target.as_prefix:
            facts = prefix_facts(snapshot, network, MAX_MORE_SPECIFICS)
            routed = facts.covering is not None or facts.inside_total > 0
        else:
            found = ip_facts(snapshot, target.address)
            routed = found.match is not None
        if routed:
            answer = (
                prefix_answer(snapshot, facts, tr) if target.as_prefix else ip_answer(snapshot, found, tr)
            )
            warning = tr.gettext(
                "{target} is {why} address space, yet this table carries a route for it: an announcement of "
                "special-purpose (bogon) space."
            ).format(target=target.address if not target.as_prefix else network, why=why)
            answer.summary = f"{warning} {answer.summary}"
            answer.severity = Severity.WARNING
            answer.data["special_purpose"] = why
            return answer
    raise no_public_route(network, why, "lookup")


def _loaded(snapshot: Snapshot | None) -> Snapshot:
    if snapshot is None:
        raise Unavailable(NO_SNAPSHOT, example="silkroute data update")
    return snapshot


async def lookup_handler(ctx: Context, target: str) -> Answer:
    """The snapshot answer, plus RIPEstat's view of right now when the live sources answer."""
    resolver = HostResolver.from_settings(ctx.services.settings)
    answer = await lookup(ctx.services.snapshots.current, target, resolver, ctx.tr)
    await add_live(answer, online_sources(ctx.services), ctx.tr)
    return answer


COMMANDS: list[CommandSpec] = [
    CommandSpec(
        name="lookup",
        description="What the BGP snapshot knows about an AS, IP address, prefix or domain",
        example=EXAMPLE,
        handler=lookup_handler,
        options=(
            Option(
                "target",
                "AS number (AS9198), IP address, prefix (2.72.0.0/18) or domain",
                max_length=DOMAIN_LENGTH,
            ),
        ),
        help=(
            "AS: name, registration country, prefixes it originates, upstream neighbours and how many vantage "
            "points see it. IP: covering prefix and every origin AS. Prefix: exact or covering route, "
            "more-specifics, origins. Domain: the IP answer for each address. When the live sources are reachable, "
            "a RIPEstat section adds current visibility, origins (flagged when they differ from the snapshot) "
            "and RPKI status, or for an AS its holder, announced state and upstream count. "
            + REGISTRATION_NOTE
        ),
    ),
]
