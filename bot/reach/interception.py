"""Recognise Kazakhstan's state HTTPS interception in a presented certificate chain.

Forged leaf certificates copy the real site's names, so only the chain gives them away: a certificate
whose SubjectPublicKeyInfo SHA-256 is one of the known interception roots (Chromium's blocklist,
shipped as facts in `kz_interception_roots.json`), or a subject/issuer named like those roots (some,
like the 2015 root, have no published key).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

_ROOT_NAMES = frozenset(
    {
        "qaznet trust network",
        "information security certification authority",
        "information security certification authority ca",
        "негізгі куәландырушы орталық",
    }
)


def spki_sha256(cert: x509.Certificate) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo: the key pin that survives re-issuing the certificate."""
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


@dataclass(frozen=True, slots=True)
class KnownRoot:
    label: str
    subject: str
    spki_sha256: str


@cache
def shipped_roots() -> tuple[KnownRoot, ...]:
    """The Kazakh interception roots shipped with the package."""
    text = resources.files("bot.reach").joinpath("kz_interception_roots.json").read_text(encoding="utf-8")
    return tuple(KnownRoot(e["label"], e["subject"], e["spki_sha256_hex"].lower()) for e in json.loads(text))


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason to call a chain intercepted, with the certificate it was seen on."""

    position: int
    how: str
    detail: str
    subject: str
    spki_sha256: str

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "how": self.how,
            "detail": self.detail,
            "subject": self.subject,
            "spki_sha256": self.spki_sha256,
        }


class InterceptionDetector:
    """Checks chains against the shipped roots plus keys an operator adds (SILKROUTE_EXTRA_INTERCEPTION_SPKI)."""

    def __init__(self, extra_spki: Iterable[str] = ()) -> None:
        self.by_spki: dict[str, str] = {root.spki_sha256: root.label for root in shipped_roots()}
        for value in extra_spki:
            self.by_spki.setdefault(value.strip().lower().replace(":", ""), "key added by configuration")

    @classmethod
    def from_setting(cls, text: str) -> InterceptionDetector:
        """Parse the comma-separated hex setting; each value must be a 64-digit SHA-256."""
        values = [v.strip().lower().replace(":", "") for v in text.split(",") if v.strip()]
        bad = [v for v in values if len(v) != 64 or any(c not in "0123456789abcdef" for c in v)]
        if bad:
            raise ValueError(f"SILKROUTE_EXTRA_INTERCEPTION_SPKI: not SHA-256 hex: {', '.join(bad)}")
        return cls(values)

    def check(self, chain: Sequence[x509.Certificate]) -> list[Finding]:
        """Every certificate's key and every subject/issuer name, so a chain without its root is caught too."""
        findings: list[Finding] = []
        for position, cert in enumerate(chain):
            spki = spki_sha256(cert)
            subject = cert.subject.rfc4514_string()
            if spki in self.by_spki:
                findings.append(Finding(position, "spki", f"key of {self.by_spki[spki]}", subject, spki))
            for role, name in (("subject", cert.subject), ("issuer", cert.issuer)):
                if role == "subject" and findings and findings[-1].position == position:
                    continue
                if is_interception_name(name):
                    detail = f"{role} named like a Kazakh interception root: {name.rfc4514_string()}"
                    findings.append(Finding(position, f"{role}_name", detail, subject, spki))
        return findings


def is_interception_name(name: x509.Name) -> bool:
    """C=KZ and a CN of a known root, or O=ISCA."""
    countries = {a.value for a in name.get_attributes_for_oid(NameOID.COUNTRY_NAME)}
    if "KZ" not in countries:
        return False
    common = {str(a.value).strip().lower() for a in name.get_attributes_for_oid(NameOID.COMMON_NAME)}
    orgs = {str(a.value).strip().upper() for a in name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)}
    return bool(common & _ROOT_NAMES) or "ISCA" in orgs
