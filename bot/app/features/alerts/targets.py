"""What may be watched, in one normal form per target, and how long a mute lasts.

A watch is an AS (`AS9198`), a prefix (`95.56.0.0/16`), a site (`https://egov.kz/`) or a country (`KZ`,
`Kazakhstan`: the national outage watch). Targets that
could never produce a useful alert are refused up front: private and documentation ASNs, AS 0 and
AS_TRANS, private or reserved address space, and prefixes so wide they match half the Internet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.alerts.model import WatchKind
from bot.app.answer import BadInput
from bot.app.targets import parse_asn, parse_network, parse_site
from bot.i18n import N_, Worded
from bot.net.address_safety import address_class
from bot.routing.country_names import find_country

WATCH_EXAMPLE = "/watch add target:95.56.0.0/16 note:Kazakhtelecom core"
CHANNEL_EXAMPLE = "/alerts channel channel:#noc-alerts"
MUTE_EXAMPLE = "/alerts mute target:95.56.0.0/16 kind:visibility duration:6h"
MIN_PREFIX_LEN = {4: 8, 6: 19}
MAX_MUTE_SECONDS = 90 * 86400
MIN_MUTE_SECONDS = 60  # the monitors' own granularity: a shorter mute would end before it did anything
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$", re.IGNORECASE | re.ASCII)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True, slots=True)
class WatchTarget:
    kind: WatchKind
    target: str  # normal form, the key of the watch


def parse_watch_target(text: str) -> WatchTarget:
    """Normalise an AS, prefix or site; raise BadInput naming why a target cannot be watched.

    ASNs and prefixes go through the same parsers as /lookup and /transit, so all three refuse the same
    reserved numbers and non-public address space with the same words.
    """
    raw = text.strip()
    if not raw:
        raise BadInput(Worded(N_("Give an AS number, a prefix or a site to watch.")), example=WATCH_EXAMPLE)
    asn = parse_asn(raw, "watch add")
    if asn is not None:
        return WatchTarget(WatchKind.ASN, f"AS{asn}")
    network = parse_network(raw, "watch add")
    if network is not None:
        if "/" not in raw:
            raise BadInput(
                Worded(
                    N_(
                        "{address} is a single address; watch its prefix (e.g. {address}/24) or the site that lives there."
                    ),
                    address=raw,
                ),
                example=WATCH_EXAMPLE,
            )
        shortest = MIN_PREFIX_LEN[network.version]
        if network.prefixlen < shortest:
            raise BadInput(
                Worded(
                    N_(
                        "{prefix} is too wide to watch (shorter than /{shortest}); watch the prefixes you operate."
                    ),
                    prefix=str(network),
                    shortest=shortest,
                ),
                example=WATCH_EXAMPLE,
            )
        return WatchTarget(WatchKind.PREFIX, str(network))
    country = find_country(raw) if "." not in raw and "/" not in raw else None
    if country is not None:
        return WatchTarget(WatchKind.COUNTRY, country.code)
    if "://" not in raw and raw.rpartition("/")[2].isdigit():
        raise BadInput(Worded(N_("{value} is not a prefix."), value=repr(raw)), example=WATCH_EXAMPLE)
    site = parse_site(raw, WATCH_EXAMPLE)
    if site.ip is not None and (reason := address_class(site.ip)):
        raise BadInput(
            Worded(N_("{target} cannot be watched: its address is {reason}."), target=raw, reason=reason),
            example=WATCH_EXAMPLE,
        )
    if site.ip is None and "." not in site.host:
        raise BadInput(
            Worded(
                N_("{value} is not an AS number, a prefix or a site (a site's name has a dot: nur.kz)."),
                value=repr(raw),
            ),
            example=WATCH_EXAMPLE,
        )
    return WatchTarget(WatchKind.SITE, site.url)


def parse_duration(text: str) -> float:
    """'30m', '6h', '2d', '1w' → seconds (at most 90 days), with a clear error for anything else."""
    match = _DURATION.match(text.strip())
    if not match:
        raise BadInput(
            Worded(
                N_("{value} is not a duration; use a number and a unit: 30m, 6h, 2d or 1w."), value=repr(text)
            ),
            example=MUTE_EXAMPLE,
        )
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds < MIN_MUTE_SECONDS:
        raise BadInput(Worded(N_("A mute lasts at least a minute (1m).")), example=MUTE_EXAMPLE)
    if seconds > MAX_MUTE_SECONDS:
        raise BadInput(
            Worded(N_("A mute lasts at most 90 days; watch removal is the way to stop for good.")),
            example=MUTE_EXAMPLE,
        )
    return seconds
