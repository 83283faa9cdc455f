"""The `/lookup` command declaration and the bridge from a handler's context to the serving snapshot."""

from __future__ import annotations

from bot.app.answer import Answer
from bot.app.commands import CommandSpec, Context, Option
from bot.app.features.lookup.answers import EXAMPLE, REGISTRATION_NOTE, add_live, lookup
from bot.app.live_parts import online_sources
from bot.app.targets import HostResolver


async def lookup_handler(ctx: Context, target: str) -> Answer:
    """The snapshot answer, plus RIPEstat's view of right now when the live sources answer."""
    resolver = HostResolver.from_settings(ctx.services.settings)
    answer = await lookup(ctx.services.snapshots.current, target, resolver)
    await add_live(answer, online_sources(ctx.services))
    return answer


COMMANDS: list[CommandSpec] = [
    CommandSpec(
        name="lookup",
        description="What the BGP snapshot knows about an AS, IP address, prefix or domain",
        example=EXAMPLE,
        handler=lookup_handler,
        options=(Option("target", "AS number (AS9198), IP address, prefix (2.72.0.0/18) or domain"),),
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
