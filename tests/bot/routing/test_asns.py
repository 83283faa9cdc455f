from __future__ import annotations

from bot.routing.asns import address_origin, reserved_reason


def test_reserved_asns() -> None:
    assert (
        reserved_reason(0)
        and reserved_reason(23456)
        and reserved_reason(64512)
        and reserved_reason(4_200_000_000)
    )
    assert reserved_reason(9198) is None and reserved_reason(131072) is None


def test_address_origin_skips_leaked_private_and_reads_single_sets() -> None:
    assert address_origin((3216, 35819, 65456)) == 35819
    assert address_origin((701, 38266, frozenset({38266}))) == 38266
    assert address_origin((701, frozenset({1, 2}))) == 0
    assert address_origin((64512,)) == 0
    assert address_origin(()) == 0
