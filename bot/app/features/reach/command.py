"""The `/reach` command: parse targets, check them concurrently, show results as they arrive."""

from __future__ import annotations

from bot.app.answer import Answer, BadInput, Unavailable
from bot.app.commands import CommandSpec, Context, Option
from bot.app.features.reach.live_bgp import live_bgp
from bot.app.features.reach.presentation import build_answer
from bot.app.limits import Cost
from bot.app.live_parts import online_sources
from bot.app.targets import MAX_SITES, REACH_EXAMPLE, parse_sites
from bot.core.errors import DataUnavailable
from bot.reach.atlas import AtlasClient, Measurement, atlas_section
from bot.reach.probe import ReachConfig, apply_live_routing, check_each
from bot.reach.report import TargetReport
from bot.reach.site import Target

HELP = (
    "Checks DNS (system vs public resolver), BGP visibility, TCP, TLS (chain, Kazakh state interception "
    "roots, handshakes stalled after the ClientHello) and HTTP for each address, and names the stage that "
    f"failed. Up to {MAX_SITES} targets separated by spaces or commas; only http/https on ports 80, 443, "
    "8080 and 8443; private, loopback, link-local and other non-public addresses are refused. "
    "`vantage:atlas` adds RIPE Atlas probes inside Kazakhstan (needs RIPE_ATLAS_KEY; `asn` picks one ISP)."
)


async def reach(ctx: Context, target: str, vantage: str = "local", asn: int | None = None) -> Answer:
    """Check every target; with several, the message is updated as each one finishes."""
    targets = parse_sites(target)
    settings = ctx.services.settings
    config = ReachConfig.from_settings(settings)
    snapshot = ctx.services.snapshots.current
    if asn is not None and vantage != "atlas":
        raise BadInput(
            ctx.tr.gettext("`asn` chooses RIPE Atlas probes, so it needs `vantage:atlas`."),
            example=_ATLAS_EXAMPLE,
        )
    atlas = _atlas_client(ctx) if vantage == "atlas" else None
    if atlas is not None:  # every probe result spends the team's Atlas credits: counted before any is asked
        await ctx.charge(Cost.ATLAS_RESULTS, atlas.probes * len(targets))
    done: dict[str, TargetReport] = {}
    slot = ctx.services.limits.probe_slot
    async for report in check_each(targets, config, snapshot, concurrency=MAX_SITES, slot=slot):
        done[report.target.url] = report
        pending = [t for t in targets if t.url not in done]
        if pending or atlas is not None:
            await ctx.report_progress(
                build_answer(_ordered(targets, done), pending, config, snapshot, tr=ctx.tr)
            )
    reports = _ordered(targets, done)
    live = await live_bgp(
        [(a.address, a.network) for r in reports for a in r.addresses if not a.refused],
        online_sources(ctx.services),
        ctx.tr,
    )
    for report in reports:
        apply_live_routing(report, live.by_address)
    if atlas is None:
        return build_answer(reports, [], config, snapshot, live=live, tr=ctx.tr)

    async def atlas_progress(so_far: list[Measurement]) -> None:
        partial = build_answer(reports, [], config, snapshot, [atlas_section(so_far)], live=live, tr=ctx.tr)
        answered = sum(len(m.results) for m in so_far)
        partial.summary += " " + ctx.tr.gettext(
            "Waiting for RIPE Atlas: {answered} of {total} probe results so far."
        ).format(answered=answered, total=atlas.probes * len(so_far))
        await ctx.report_progress(partial)

    measurements = await atlas.measure(targets, asn, config.detector, on_poll=atlas_progress)
    answer = build_answer(reports, [], config, snapshot, [atlas_section(measurements)], live=live, tr=ctx.tr)
    answer.data["atlas"] = [m.to_json() for m in measurements]
    if any(m.intercepted for m in measurements):
        answer.summary += " " + ctx.tr.gettext(
            "RIPE Atlas probes inside Kazakhstan saw an interception certificate."
        )
    return answer


def _atlas_client(ctx: Context) -> AtlasClient:
    """The Atlas client, or why not, pointing the user at the local vantage that needs no key."""
    try:
        return AtlasClient.from_settings(ctx.services.settings, ctx.services.live)
    except DataUnavailable as exc:
        raise Unavailable(exc.message, example=_LOCAL_EXAMPLE) from None


def _ordered(targets: list[Target], done: dict[str, TargetReport]) -> list[TargetReport]:
    """Reports in the order the user typed the targets, whatever order they finished in."""
    return [done[t.url] for t in targets if t.url in done]


_ATLAS_EXAMPLE = '/reach target:"kaspi.kz" vantage:atlas asn:9198'
_LOCAL_EXAMPLE = '/reach target:"kaspi.kz" vantage:local'

COMMANDS: list[CommandSpec] = [
    CommandSpec(
        name="reach",
        description="Is a site reachable from here (or from Kazakhstan), and which stage fails?",
        example=REACH_EXAMPLE,
        handler=reach,
        cost=Cost.REACH,
        options=(
            Option(
                "target",
                f"Domains, URLs or IPs, up to {MAX_SITES}, separated by spaces or commas",
                max_length=2048,
            ),
            Option(
                "vantage",
                "Check from the bot's host (local) or also from RIPE Atlas probes in Kazakhstan (atlas)",
                required=False,
                default="local",
                choices=("local", "atlas"),
            ),
            Option(
                "asn",
                "With vantage:atlas, use probes in this AS (e.g. 9198 Kazakhtelecom)",
                type=int,
                required=False,
                min_value=1,
                max_value=4_294_967_295,
            ),
        ),
        help=HELP,
    )
]
