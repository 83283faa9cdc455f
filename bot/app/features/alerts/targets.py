"""What may be watched, in one normal form per target, and how long a mute lasts.

A watch is an AS (`AS9198`), a prefix (`95.56.0.0/16`) or a site (`https://egov.kz/`). Targets that
could never produce a useful alert are refused up front: private and documentation ASNs, AS 0 and
AS_TRANS, private or reserved address space, and prefixes so wide they match half the Internet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.alerts.model import WatchKind
from bot.app.answer import BadInput
from bot.app.targets import parse_asn, parse_network, parse_site
from bot.net.address_safety import address_class

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
        raise BadInput("Give an AS number, a prefix or a site to watch.", example=WATCH_EXAMPLE)
    asn = parse_asn(raw, "watch add")
    if asn is not None:
        return WatchTarget(WatchKind.ASN, f"AS{asn}")
    network = parse_network(raw, "watch add")
    if network is not None:
        if "/" not in raw:
            raise BadInput(
                f"{raw} is a single address; watch its prefix (e.g. {raw}/24) or the site that lives there.",
                example=WATCH_EXAMPLE,
            )
        shortest = MIN_PREFIX_LEN[network.version]
        if network.prefixlen < shortest:
            raise BadInput(
                f"{network} is too wide to watch (shorter than /{shortest}); watch the prefixes you operate.",
                example=WATCH_EXAMPLE,
            )
        return WatchTarget(WatchKind.PREFIX, str(network))
    if "://" not in raw and raw.rpartition("/")[2].isdigit():
        raise BadInput(f"{raw!r} is not a prefix.", example=WATCH_EXAMPLE)
    site = parse_site(raw, WATCH_EXAMPLE)
    if site.ip is not None and (reason := address_class(site.ip)):
        raise BadInput(f"{raw} cannot be watched: its address is {reason}.", example=WATCH_EXAMPLE)
    if site.ip is None and "." not in site.host:
        raise BadInput(
            f"{raw!r} is not an AS number, a prefix or a site (a site's name has a dot: nur.kz).",
            example=WATCH_EXAMPLE,
        )
    return WatchTarget(WatchKind.SITE, site.url)


def parse_duration(text: str) -> float:
    """'30m', '6h', '2d', '1w' → seconds (at most 90 days), with a clear error for anything else."""
    match = _DURATION.match(text.strip())
    if not match:
        raise BadInput(
            f"{text!r} is not a duration; use a number and a unit: 30m, 6h, 2d or 1w.", example=MUTE_EXAMPLE
        )
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds < MIN_MUTE_SECONDS:
        raise BadInput("A mute lasts at least a minute (1m).", example=MUTE_EXAMPLE)
    if seconds > MAX_MUTE_SECONDS:
        raise BadInput(
            "A mute lasts at most 90 days; watch removal is the way to stop for good.", example=MUTE_EXAMPLE
        )
    return seconds
