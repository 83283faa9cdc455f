"""Local servers and certificates for the reach tests: everything listens on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NOW = dt.datetime.now(dt.UTC)


def name(**parts: str) -> x509.Name:
    oids = {"C": NameOID.COUNTRY_NAME, "O": NameOID.ORGANIZATION_NAME, "CN": NameOID.COMMON_NAME}
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in parts.items()])


@dataclass
class Issued:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def make_ca(subject: x509.Name) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=30))
        .not_valid_after(NOW + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(key, cert)


def make_leaf(
    issuer: Issued | None,
    host: str,
    *,
    not_after: dt.datetime | None = None,
    not_before: dt.datetime | None = None,
) -> Issued:
    """A server certificate for host, signed by issuer (self-signed when issuer is None)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = name(CN=host)
    san: x509.GeneralName
    try:
        san = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        san = x509.DNSName(host)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - dt.timedelta(days=1))
        .not_valid_after(not_after or NOW + dt.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([san]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    if issuer is not None:
        ski = issuer.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
    cert = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    return Issued(key, cert)


def server_context(tmp: Path, leaf: Issued, chain: list[Issued]) -> ssl.SSLContext:
    """A server context presenting leaf + chain (the chain may include the root, as MITM boxes do)."""
    cert_file, key_file = tmp / f"leaf-{id(leaf)}.pem", tmp / f"leaf-{id(leaf)}.key"
    cert_file.write_bytes(leaf.pem() + b"".join(c.pem() for c in chain))
    key_file.write_bytes(
        leaf.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class WebServer:
    """An aiohttp server on 127.0.0.1 (plain or TLS) that counts the requests it received."""

    runner: web.AppRunner
    port: int
    hits: list[str] = field(default_factory=list)

    @classmethod
    async def start(cls, handler: Handler | None = None, context: ssl.SSLContext | None = None) -> WebServer:
        hits: list[str] = []

        async def counted(request: web.Request) -> web.StreamResponse:
            hits.append(request.path_qs)
            if handler is not None:
                return await handler(request)
            return web.Response(text="<html><title>Hello Almaty</title>body</html>", content_type="text/html")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", counted)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        port = runner.addresses[0][1]
        return cls(runner, port, hits)

    async def close(self) -> None:
        await self.runner.cleanup()


@dataclass
class StallServer:
    """Accepts TCP connections and reads the ClientHello but never answers: DPI-style blocking."""

    server: asyncio.Server
    port: int
    connections: int = 0
    received: int = 0

    @classmethod
    async def start(cls, host: str = "127.0.0.1") -> StallServer:
        holder: list[StallServer] = []
        writers: list[asyncio.StreamWriter] = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            holder[0].connections += 1
            writers.append(writer)
            while data := await reader.read(65536):
                holder[0].received += len(data)

        server = await asyncio.start_server(handle, host, 0)
        stall = cls(server, server.sockets[0].getsockname()[1])
        holder.append(stall)
        return stall

    async def close(self) -> None:
        self.server.close()
        await self.server.wait_closed()


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
