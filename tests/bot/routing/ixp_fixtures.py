"""PeeringDB API documents built from the documented format (`{"data": [...]}` of `ix` and `ixpfx` objects).

Names, cities, ids and LANs are the real Kazakh exchanges of the shared IXP list; the member counts are test
values (no real PeeringDB dump could be obtained), chosen so a test can tell them from the list's own fields.
"""

from __future__ import annotations

import json

KZ_EXCHANGES = (  # (PeeringDB id, name, aka, city, member count, LAN prefixes)
    (334, "KAZ-IX", "Kazakhstan Traffic Exchange", "Karaganda", 21, ("195.2.230.0/24", "2001:7f8:31::/64")),
    (2250, "Kazakhstan Internet Exchange", "KAZ-GOV-IX", "Astana", 17, ("195.12.116.0/23",)),
    (2497, "KazNIX", "", "Semey", 9, ("185.79.213.0/24",)),
)


def peeringdb_ix() -> bytes:
    """`GET /api/ix`: one object per exchange, as PeeringDB serves it (a subset of its fields)."""
    data = [
        {
            "id": pdb_id,
            "org_id": 1000 + pdb_id,
            "name": name,
            "aka": aka,
            "name_long": "",
            "city": city,
            "country": "KZ",
            "region_continent": "Asia Pacific",
            "net_count": members,
            "fac_count": 1,
            "created": "2016-01-01T00:00:00Z",
            "updated": f"2024-10-2{i}T10:00:00Z",
            "status": "ok",
        }
        for i, (pdb_id, name, aka, city, members, _lans) in enumerate(KZ_EXCHANGES)
    ]
    data.append(
        {"id": 9, "name": "GONE-IX", "country": "KZ", "city": "X", "net_count": 0, "status": "deleted"}
    )
    return json.dumps({"data": data, "meta": {}}).encode()


def peeringdb_ixpfx() -> bytes:
    """`GET /api/ixpfx`: one object per peering-LAN prefix; `ixlan_id` equals the exchange's id."""
    data = [
        {
            "id": 50_000 + n,
            "ixlan_id": pdb_id,
            "protocol": "IPv6" if ":" in prefix else "IPv4",
            "prefix": prefix,
            "in_dfz": False,
            "updated": "2024-10-01T00:00:00Z",
            "status": "ok",
        }
        for n, (pdb_id, _name, _aka, _city, _members, lans) in enumerate(KZ_EXCHANGES)
        for prefix in lans
    ]
    return json.dumps({"data": data, "meta": {}}).encode()
