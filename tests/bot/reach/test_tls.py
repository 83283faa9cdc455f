"""TLS stage against local servers whose chains are made here, and the real Kazakh roots by their PEMs."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509 import verification

from bot.reach.interception import InterceptionDetector, shipped_roots, spki_sha256
from bot.reach.probe import ReachConfig, check_target
from bot.reach.report import TargetReport
from bot.reach.site import parse_target
from bot.reach.tls import TlsResult
from tests.bot.reach.servers import NOW, Issued, closed_port, make_ca, make_leaf, name, server_context
from tests.fixtures.reach_lab import Lab

SITE = {"site.test": ["127.0.0.1"]}


async def _check(
    lab: Lab, leaf: Issued, chain: list[Issued], config: ReachConfig | None = None
) -> TargetReport:
    server = await lab.web(context=server_context(lab.tmp, leaf, chain))
    config = config or await lab.config(SITE)
    return await check_target(parse_target(f"https://site.test:{server.port}/"), config, None)


def _tls(report: TargetReport) -> TlsResult:
    tls = report.addresses[0].tls
    assert tls is not None
    return tls


async def test_trusted_chain_is_reachable_with_version_cipher_and_chain(lab: Lab) -> None:
    report = await _check(lab, make_leaf(lab.ca, "site.test"), [lab.ca])
    assert report.verdict == "reachable", report.reason
    tls = _tls(report)
    assert tls.verified is True
    assert tls.version is not None and tls.version.startswith("TLSv1.")
    assert tls.cipher
    assert [c.subject for c in tls.chain] == ["CN=site.test", "CN=Test Root CA,O=Test Trust,C=KZ"]
    assert tls.interception == []


async def test_self_signed_leaf_is_a_tls_failure(lab: Lab) -> None:
    report = await _check(lab, make_leaf(None, "site.test"), [])
    assert report.verdict == "tls_failure"
    assert "self-signed" in report.reason


async def test_expired_leaf_is_a_tls_failure(lab: Lab) -> None:
    expired = make_leaf(
        lab.ca, "site.test", not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=2)
    )
    report = await _check(lab, expired, [lab.ca])
    assert report.verdict == "tls_failure"
    assert "expired" in report.reason


async def test_certificate_for_another_name_is_a_tls_failure(lab: Lab) -> None:
    report = await _check(lab, make_leaf(lab.ca, "other.test"), [lab.ca])
    assert report.verdict == "tls_failure"
    assert "site.test" in report.reason


async def test_root_named_like_isca_is_interception_even_without_a_known_key(lab: Lab) -> None:
    isca = make_ca(name(C="KZ", O="ISCA", CN="Information Security Certification Authority"))
    report = await _check(lab, make_leaf(isca, "site.test"), [isca])
    assert report.verdict == "tls_intercepted", report.reason
    findings = _tls(report).interception
    assert {f.how for f in findings} == {"issuer_name", "subject_name"}
    root_finding = next(f for f in findings if f.how == "subject_name")
    assert (root_finding.position, root_finding.spki_sha256) == (1, spki_sha256(isca.cert))
    assert "Information Security Certification Authority" in report.reason


async def test_leaf_alone_issued_by_qaznet_name_is_caught_by_its_issuer(lab: Lab) -> None:
    qaznet = make_ca(name(C="KZ", CN="Qaznet Trust Network"))
    report = await _check(lab, make_leaf(qaznet, "site.test"), [])
    assert report.verdict == "tls_intercepted"
    assert _tls(report).interception[0].how == "issuer_name"


async def test_root_key_added_by_configuration_is_interception(lab: Lab) -> None:
    innocent = make_ca(name(C="US", O="Plain Corp", CN="Plain Root"))
    base = await lab.config(SITE)
    plain = await _check(lab, make_leaf(innocent, "site.test"), [innocent], base)
    assert plain.verdict == "tls_failure"
    detector = InterceptionDetector.from_setting(f" {spki_sha256(innocent.cert).upper()} ,")
    config = dataclasses.replace(base, detector=detector)
    report = await _check(lab, make_leaf(innocent, "site.test"), [innocent], config)
    assert report.verdict == "tls_intercepted"
    finding = _tls(report).interception[0]
    assert (finding.how, finding.position) == ("spki", 1)
    assert "added by configuration" in finding.detail


def test_extra_key_setting_rejects_values_that_are_not_sha256() -> None:
    with pytest.raises(ValueError, match="SILKROUTE_EXTRA_INTERCEPTION_SPKI"):
        InterceptionDetector.from_setting("abc123")


async def test_handshake_stalled_after_client_hello_is_tls_timeout(lab: Lab) -> None:
    stall = await lab.stall()
    config = await lab.config(SITE, stage_seconds=0.5)
    report = await check_target(parse_target(f"https://site.test:{stall.port}/"), config, None)
    assert report.verdict == "tls_timeout"
    assert "after the ClientHello" in report.reason
    assert stall.connections == 1 and stall.received > 0  # the ClientHello did go out
    assert report.addresses[0].tcp is not None and report.addresses[0].tcp.ok


async def test_closed_port_is_a_tcp_failure_not_a_tls_one(lab: Lab) -> None:
    config = await lab.config(SITE)
    report = await check_target(parse_target(f"https://site.test:{closed_port()}/"), config, None)
    assert report.verdict == "tcp"
    assert "refused" in report.reason
    assert report.addresses[0].tls is None


async def test_server_that_closes_during_handshake_is_a_tls_failure(lab: Lab) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(10)
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    try:
        config = await lab.config(SITE, stage_seconds=60.0)  # waiting it out would be a tls_timeout
        port = server.sockets[0].getsockname()[1]
        report = await check_target(parse_target(f"https://site.test:{port}/"), config, None)
    finally:
        server.close()
    assert report.verdict == "tls_failure"  # told apart from a stall by the hang-up, not by a clock


def test_real_kazakh_roots_are_recognised_by_spki_from_their_pems(shared_data: Path) -> None:
    folder = shared_data / "tls"
    facts = json.loads((folder / "kz-interception-roots.json").read_text())
    detector = InterceptionDetector()
    assert len(facts) == len(shipped_roots()) == 10
    for entry in facts:
        cert = x509.load_pem_x509_certificate((folder / entry["pem_file"]).read_bytes())
        assert spki_sha256(cert) == entry["spki_sha256_hex"]
        findings = detector.check([cert])
        assert findings[0].how == "spki", entry["pem_file"]
        assert findings[0].detail == f"key of {entry['label']}"


def test_an_ordinary_certificate_is_not_flagged() -> None:
    ca = make_ca(name(C="KZ", O="Kazakhtelecom", CN="Some Ordinary CA"))
    assert InterceptionDetector().check([make_leaf(ca, "kaspi.kz").cert, ca.cert]) == []


async def test_trust_store_load_and_chain_verification_run_off_the_event_loop(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsing the CA bundle and verifying take milliseconds each: a thread keeps the loop serving others."""
    threads: list[tuple[str, threading.Thread]] = []
    load, builder = x509.load_pem_x509_certificates, verification.PolicyBuilder

    def recording_load(data: bytes) -> list[x509.Certificate]:
        threads.append(("load", threading.current_thread()))
        return load(data)

    def recording_builder() -> verification.PolicyBuilder:
        threads.append(("verify", threading.current_thread()))
        return builder()

    monkeypatch.setattr(x509, "load_pem_x509_certificates", recording_load)
    monkeypatch.setattr(verification, "PolicyBuilder", recording_builder)
    loop_thread = threading.current_thread()
    report = await _check(lab, make_leaf(lab.ca, "site.test"), [lab.ca])  # a new extra CA file: a fresh load
    assert _tls(report).verified is True
    assert {kind for kind, _ in threads} == {"load", "verify"}
    assert all(thread is not loop_thread for _, thread in threads)
