"""A dnspython-based DNS server on 127.0.0.1 for tests: names resolve without the Internet."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

SERVFAIL = "SERVFAIL"


class _DnsProtocol(asyncio.DatagramProtocol):
    def __init__(self, records: dict[str, list[str]]) -> None:
        self.records = records
        self.transport: asyncio.DatagramTransport | None = None
        self.queries: list[str] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        question = query.question[0]
        qname = question.name.to_text().rstrip(".").lower()
        self.queries.append(qname)
        if qname not in self.records:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif self.records[qname] == [SERVFAIL]:
            response.set_rcode(dns.rcode.SERVFAIL)
        else:
            rdtype = dns.rdatatype.to_text(question.rdtype)
            wanted = [a for a in self.records[qname] if (":" in a) == (rdtype == "AAAA")]
            if wanted and rdtype in {"A", "AAAA"}:
                response.answer.append(dns.rrset.from_text(question.name, 60, "IN", rdtype, *wanted))
        assert self.transport is not None
        self.transport.sendto(response.to_wire(), addr)


@dataclass
class DnsServer:
    """A UDP resolver on 127.0.0.1 answering A/AAAA from a table: a name mapped to [SERVFAIL] fails that
    way, a name not in the table is NXDOMAIN."""

    transport: asyncio.DatagramTransport
    protocol: _DnsProtocol
    port: int

    @classmethod
    async def start(cls, records: dict[str, list[str]]) -> DnsServer:
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: _DnsProtocol(records), local_addr=("127.0.0.1", 0)
        )
        return cls(transport, protocol, transport.get_extra_info("sockname")[1])

    def close(self) -> None:
        self.transport.close()


async def serving_dns(records: dict[str, list[str]]) -> AsyncIterator[int]:
    """For fixtures: run a server for the test's duration and give its port."""
    server = await DnsServer.start(records)
    try:
        yield server.port
    finally:
        server.close()
