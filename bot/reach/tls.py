"""Stages 3 and 4: TCP connect, then a TLS handshake with SNI that keeps the whole presented chain.

The handshake is driven by pyOpenSSL over memory BIOs on an asyncio stream, so dozens of checks run
in one thread and the chain is fetched *without* verification: a forged or broken chain must still be
inspected. Verification against the system trust store happens afterwards with `cryptography`.
Kazakh ISPs mostly block by letting the handshake hang after the ClientHello; that is told apart
from a refused or reset connection because it is how the blocking is recognised.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import threading
import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509 import verification
from OpenSSL import SSL

from bot.net.address_safety import IPAddress
from bot.reach.interception import Finding, InterceptionDetector, spki_sha256


@dataclass(slots=True)
class TcpResult:
    ok: bool
    seconds: float
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "seconds": round(self.seconds, 3), "error": self.error}


async def tcp_connect(
    address: IPAddress, port: int, within: float
) -> tuple[TcpResult, tuple[asyncio.StreamReader, asyncio.StreamWriter] | None]:
    """Open a TCP connection to exactly this address; the stream is reused for TLS."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(within):
            streams = await asyncio.open_connection(str(address), port)
    except TimeoutError:
        return TcpResult(False, time.perf_counter() - started, f"no answer within {within:g} s"), None
    except ConnectionRefusedError:
        return TcpResult(False, time.perf_counter() - started, "connection refused"), None
    except OSError as exc:
        return TcpResult(False, time.perf_counter() - started, exc.strerror or str(exc)), None
    return TcpResult(True, time.perf_counter() - started), streams


@dataclass(slots=True)
class CertInfo:
    """What a user pastes into a report about one presented certificate."""

    subject: str
    issuer: str
    spki_sha256: str
    sha256: str
    not_before: str
    not_after: str

    @classmethod
    def of(cls, cert: x509.Certificate) -> CertInfo:
        return cls(
            subject=cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(),
            spki_sha256=spki_sha256(cert),
            sha256=cert.fingerprint(hashes.SHA256()).hex(),
            not_before=cert.not_valid_before_utc.isoformat(),
            not_after=cert.not_valid_after_utc.isoformat(),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "spki_sha256": self.spki_sha256,
            "sha256": self.sha256,
            "not_before": self.not_before,
            "not_after": self.not_after,
        }


@dataclass(slots=True)
class TlsResult:
    """status: ok, timeout (stalled), failure (refused/reset/alert/bad chain) or intercepted."""

    status: str
    seconds: float
    error: str | None = None
    version: str | None = None
    cipher: str | None = None
    chain: list[CertInfo] = field(default_factory=list)
    verified: bool | None = None
    verify_error: str | None = None
    interception: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "version": self.version,
            "cipher": self.cipher,
            "verified": self.verified,
            "verify_error": self.verify_error,
            "chain": [c.to_json() for c in self.chain],
            "interception": [f.to_json() for f in self.interception],
        }


class _Stalled(Exception):
    def __init__(self, received: int) -> None:
        self.received = received


async def tls_handshake(
    streams: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    server_name: str,
    within: float,
    *,
    detector: InterceptionDetector,
    extra_ca_file: Path | None,
) -> TlsResult:
    """Handshake (no SNI for an address literal), keep the chain, then verify it and look for interception."""
    reader, writer = streams
    started = time.perf_counter()
    connection = _client_connection(server_name)
    try:
        await _drive_handshake(connection, reader, writer, within)
    except _Stalled as stall:
        where = "after the ClientHello (no byte came back)" if stall.received == 0 else "in the middle"
        error = f"stalled {where}; gave up after {within:g} s"
        return TlsResult("timeout", time.perf_counter() - started, error)
    except (SSL.Error, OSError, EOFError) as exc:
        return TlsResult("failure", time.perf_counter() - started, _describe_failure(exc))
    finally:
        writer.close()
    seconds = time.perf_counter() - started
    chain = list(connection.get_peer_cert_chain(as_cryptography=True) or [])
    result = TlsResult(
        "ok",
        seconds,
        version=connection.get_protocol_version_name(),
        cipher=connection.get_cipher_name(),
        chain=[CertInfo.of(cert) for cert in chain],
    )
    # Verifying (and the first load of the CA bundle) is CPU work: a thread keeps the other checks moving.
    result.verify_error = await asyncio.to_thread(verify_chain, chain, server_name, extra_ca_file)
    result.verified = result.verify_error is None
    result.interception = detector.check(chain)
    if result.interception:
        result.status = "intercepted"
    elif not result.verified:
        result.status = "failure"
        result.error = f"certificate not trusted: {result.verify_error}"
    return result


def _client_connection(server_name: str) -> SSL.Connection:
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_verify(SSL.VERIFY_NONE)
    connection = SSL.Connection(context, None)
    if not _is_address(server_name):
        connection.set_tlsext_host_name(server_name.encode("ascii"))
    connection.set_connect_state()
    return connection


async def _drive_handshake(
    connection: SSL.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, within: float
) -> None:
    """Shuttle bytes between OpenSSL's memory BIOs and the socket until the handshake completes."""
    received = 0
    try:
        async with asyncio.timeout(within):
            while True:
                try:
                    connection.do_handshake()
                except SSL.WantReadError:
                    await _flush(connection, writer)
                    data = await reader.read(65536)
                    if not data:
                        raise EOFError("the server closed the connection during the handshake") from None
                    received += len(data)
                    connection.bio_write(data)
                    continue
                await _flush(connection, writer)
                return
    except TimeoutError:
        raise _Stalled(received) from None


async def _flush(connection: SSL.Connection, writer: asyncio.StreamWriter) -> None:
    while True:
        try:
            chunk = connection.bio_read(65536)
        except SSL.WantReadError:
            return
        writer.write(chunk)
        await writer.drain()


def _describe_failure(exc: BaseException) -> str:
    if isinstance(exc, ConnectionResetError):
        return "connection reset during the handshake"
    if isinstance(exc, SSL.Error):
        reasons = (
            [str(part[2]) for part in exc.args[0] if isinstance(part, tuple) and len(part) == 3]
            if exc.args
            else []
        )
        return "TLS error: " + ("; ".join(reasons) or str(exc) or "handshake failed")
    return str(exc) or type(exc).__name__


def verify_chain(chain: list[x509.Certificate], server_name: str, extra_ca_file: Path | None) -> str | None:
    """Why the chain does not verify for server_name against the trust store, or None when it does."""
    if not chain:
        return "the server presented no certificate"
    leaf = chain[0]
    now = datetime.now(UTC)
    if leaf.not_valid_after_utc < now:
        return f"the certificate expired on {leaf.not_valid_after_utc:%Y-%m-%d}"
    if leaf.not_valid_before_utc > now:
        return f"the certificate is not valid before {leaf.not_valid_before_utc:%Y-%m-%d}"
    if len(chain) == 1 and leaf.issuer == leaf.subject:
        return "the certificate is self-signed"
    subject: x509.DNSName | x509.IPAddress
    if _is_address(server_name):
        subject = x509.IPAddress(ipaddress.ip_address(server_name))
    else:
        subject = x509.DNSName(server_name)
    verifier = (
        verification.PolicyBuilder()
        .store(trust_store(extra_ca_file))
        .time(now)
        .build_server_verifier(subject)
    )
    try:
        verifier.verify(leaf, chain[1:])
    except verification.VerificationError as exc:
        return f"does not chain to a trusted root for {server_name} ({exc})"
    return None


_TRUST_STORE_LOCK = threading.Lock()


def trust_store(extra_ca_file: Path | None) -> verification.Store:
    """The system trust store (the same bundle OpenSSL uses), plus an optional extra PEM file.

    Loaded once per extra file, lazily; the lock keeps concurrent verification threads from each
    parsing the whole bundle on a cold start.
    """
    with _TRUST_STORE_LOCK:
        return _load_trust_store(extra_ca_file)


@cache
def _load_trust_store(extra_ca_file: Path | None) -> verification.Store:
    paths = ssl.get_default_verify_paths()
    bundle = Path(paths.cafile or paths.openssl_cafile)
    with warnings.catch_warnings():
        # Some roots in distribution bundles have non-positive serials; they still anchor chains.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        certs = x509.load_pem_x509_certificates(bundle.read_bytes()) if bundle.is_file() else []
    if extra_ca_file is not None:
        certs += x509.load_pem_x509_certificates(extra_ca_file.read_bytes())
    return verification.Store(certs)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
