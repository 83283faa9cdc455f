"""What may be watched, in one normal form per target, and how long a mute lasts.

A watch is an AS (`AS9198`), a prefix (`95.56.0.0/16`) or a site (`https://egov.kz/`). Targets that
could never produce a useful alert are refused up front: private and documentation ASNs, AS 0 and
AS_TRANS, private or reserved address space, and prefixes so wide they match half the Internet.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from bot.answer import BadInput
from bot.reach.safety import address_class
from bot.reach.targets import parse_target

WATCH_EXAMPLE = "/watch add target:95.56.0.0/16 note:Kazakhtelecom core"
MUTE_EXAMPLE = "/alerts mute target:95.56.0.0/16 kind:visibility duration:6h"
MIN_PREFIX_LEN = {4: 8, 6: 19}
MAX_MUTE_SECONDS = 90 * 86400
_ASN = re.compile(r"^(?:as)?(\d{1,10})$", re.IGNORECASE)
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
# RFC 6996/7300/5398/7607/6793: never seen as a real origin on the public Internet.
_SPECIAL_ASNS: tuple[tuple[int, int, str], ...] = (
    (0, 0, "AS0 is reserved (RFC 7607)"),
    (23456, 23456, "AS23456 is AS_TRANS, a placeholder (RFC 6793)"),
    (64496, 64511, "is reserved for documentation (RFC 5398)"),
    (64512, 65534, "is a private ASN (RFC 6996)"),
    (65535, 65551, "is reserved (RFC 7300/5398)"),
    (4200000000, 4294967295, "is a private or reserved ASN (RFC 6996/7300)"),
)


@dataclass(frozen=True, slots=True)
class WatchTarget:
    kind: str  # asn | prefix | site
    target: str  # normal form, the key of the watch

    @property
    def asn(self) -> int:
        return int(self.target[2:])


def parse_watch_target(text: str) -> WatchTarget:
    """Normalise an AS, prefix or site; raise BadInput naming why a target cannot be watched."""
    raw = text.strip()
    if not raw:
        raise BadInput("Give an AS number, a prefix or a site to watch.", example=WATCH_EXAMPLE)
    if match := _ASN.match(raw):
        return WatchTarget("asn", f"AS{_check_asn(int(match.group(1)))}")
    if "/" in raw and "://" not in raw:
        return WatchTarget("prefix", _check_prefix(raw))
    try:
        ipaddress.ip_address(raw)
    except ValueError:
        pass
    else:
        raise BadInput(
            f"{raw} is a single address; watch its prefix (e.g. {raw}/24) or the site that lives there.",
            example=WATCH_EXAMPLE,
        )
    site = parse_target(raw)
    if site.ip is not None and (reason := address_class(site.ip)):
        raise BadInput(f"{raw} cannot be watched: its address is {reason}.", example=WATCH_EXAMPLE)
    return WatchTarget("site", site.url)


def _check_asn(asn: int) -> int:
    for low, high, reason in _SPECIAL_ASNS:
        if low <= asn <= high:
            text = reason if reason.startswith("AS") else f"AS{asn} {reason}"
            raise BadInput(f"{text}; it cannot be watched.", example="/watch add target:AS9198")
    if asn > 4294967295:
        raise BadInput(f"AS{asn} is beyond the 32-bit AS number range.", example="/watch add target:AS9198")
    return asn


def _check_prefix(raw: str) -> str:
    try:
        network = ipaddress.ip_network(raw, strict=False)
    except ValueError:
        raise BadInput(f"{raw!r} is not a prefix.", example=WATCH_EXAMPLE) from None
    if reason := address_class(network.network_address):
        raise BadInput(f"{network} cannot be watched: it is {reason} address space.", example=WATCH_EXAMPLE)
    shortest = MIN_PREFIX_LEN[network.version]
    if network.prefixlen < shortest:
        raise BadInput(
            f"{network} is too wide to watch (shorter than /{shortest}); watch the prefixes you operate.",
            example=WATCH_EXAMPLE,
        )
    return str(network)


def parse_duration(text: str) -> float:
    """'30m', '6h', '2d', '1w' → seconds (at most 90 days), with a clear error for anything else."""
    match = _DURATION.match(text.strip())
    if not match:
        raise BadInput(
            f"{text!r} is not a duration; use a number and a unit: 30m, 6h, 2d or 1w.", example=MUTE_EXAMPLE
        )
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds <= 0:
        raise BadInput("A mute must last longer than zero.", example=MUTE_EXAMPLE)
    if seconds > MAX_MUTE_SECONDS:
        raise BadInput(
            "A mute lasts at most 90 days; watch removal is the way to stop for good.", example=MUTE_EXAMPLE
        )
    return seconds
