"""Country profile definitions on a hand-worked route set: every expected figure is computed by hand below."""

from __future__ import annotations

from fractions import Fraction

import pytest

from bot.routing.country_profile import ProfileIndex, hhi
from tests.bot.routing.profile_fake import CN1, RU1, RU2, A, B, C, D, worked_example


def shares(pairs: tuple[tuple[int, float], ...]) -> dict[int, Fraction]:
    return {asn: Fraction(share).limit_denominator(1000) for asn, share in pairs}


def test_hhi_is_one_for_a_monopoly_and_one_over_n_for_equal_parts() -> None:
    assert hhi([1.0]) == 1.0
    assert hhi([0.25] * 4) == pytest.approx(0.25)


def test_origination_and_transit_hhi_match_the_worked_example() -> None:
    profile = ProfileIndex(worked_example()).profile("KZ")

    # 65,536 : 32,768 : 16,384 addresses = 4/7, 2/7, 1/7; HHI = (16 + 4 + 1) / 49 = 3/7.
    assert shares(profile.origination) == {A: Fraction(4, 7), B: Fraction(2, 7), C: Fraction(1, 7)}
    assert profile.origination_hhi == pytest.approx(3 / 7)
    # Leaving weight 2 x (65,536 + 32,768 + 16,384) = 229,376: RU1 carries A once and B twice (131,072 = 8/14),
    # CN1 A once and C once (81,920 = 5/14), RU2 C once (16,384 = 1/14); HHI = (64 + 25 + 1) / 196.
    assert shares(profile.transit) == {RU1: Fraction(8, 14), CN1: Fraction(5, 14), RU2: Fraction(1, 14)}
    assert profile.transit_hhi == pytest.approx(90 / 196)
    assert profile.leaving_weight == 229_376


def test_cone_dependence_and_single_points_match_the_worked_example() -> None:
    index = ProfileIndex(worked_example())
    profile = index.profile("KZ")

    # D is on A's paths only; each origin is in its own cone.
    assert shares(profile.cone) == {
        A: Fraction(4, 7),
        D: Fraction(4, 7),
        B: Fraction(2, 7),
        C: Fraction(1, 7),
    }
    ru = index.avoiding_country(profile, "RU")
    assert (ru.space_without_alternative, ru.origins_without_alternative, ru.total_space) == (
        32_768,
        1,
        114_688,
    )
    assert ru.share == pytest.approx(2 / 7)
    assert index.avoiding_country(profile, "CN").space_without_alternative == 0
    assert index.avoiding_asn(profile, RU1).space_without_alternative == 32_768
    assert index.avoiding_asn(profile, RU2).space_without_alternative == 0
    # Only B has a foreign AS on every path; D is on all of A's paths but is domestic.
    assert profile.single_points == ((RU1, 32_768),)


def test_size_counts_routed_space_once_and_against_the_registered_space() -> None:
    data = worked_example()
    data.add(0, "10.0.128.0/17", 701, RU1, D, A)  # a more-specific inside A's /16: no new addresses

    size = ProfileIndex(data).size("KZ")

    assert (size.registered_asns, size.routed_asns, size.prefixes_v4) == (4, 3, 4)
    assert size.routed_ipv4 == 65_536 + 32_768 + 16_384
    assert size.routed_ipv4_share == pytest.approx(114_688 / 262_144)
