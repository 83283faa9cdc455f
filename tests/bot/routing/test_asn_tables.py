"""Registration countries and AS names as memory-mapped columns answer what the dictionaries they came from say."""

from __future__ import annotations

from pathlib import Path

from bot.routing import asn_tables
from bot.routing.asn_tables import AsnTables

REGISTRY = {9198: "KZ", 29355: "KZ", 3216: "RU", 64512: "", 4200000001: "UZ"}
NAMES_CC = {9198: "RU", 64512: "DE", 65000: "", 12389: "RU", 8075: "US"}
NAMES = {9198: "KAZTELECOM-AS", 29355: "Kcell — мобильная связь", 1: "", 4200000001: "FAR-AS"}


def test_columns_answer_like_the_dictionaries(tmp_path: Path) -> None:
    asn_tables.write(tmp_path, REGISTRY, NAMES_CC, NAMES)
    tables = AsnTables(tmp_path)
    for asn in [*REGISTRY, *NAMES_CC, *NAMES, 2, 0, 2**32 - 1, 2**32, -1]:
        assert tables.country_of_asn(asn) == (REGISTRY.get(asn) or NAMES_CC.get(asn)), asn
        assert tables.as_name(asn) == NAMES.get(asn), asn
    assert tables.country_of_asn(64512) == "DE"  # an empty registration falls back to the names file
    assert tables.asns_in_country("KZ") == [9198, 29355]
    assert tables.asns_in_country("RU") == [3216, 12389]
    assert tables.asns_in_country("") == [65000]
    assert tables.asns_in_country("FR") == []
    assert tables.registered_asns("KZ") == 2 and tables.registered_asns("RU") == 1
    assert tables.registered_asns("DE") == 0  # the names file registers nothing


def test_no_registry_and_no_names(tmp_path: Path) -> None:
    asn_tables.write(tmp_path, {}, {}, {})
    tables = AsnTables(tmp_path)
    assert tables.country_of_asn(9198) is None and tables.as_name(9198) is None
    assert tables.asns_in_country("KZ") == [] and tables.registered_asns("KZ") == 0
