"""Who may send HL7 over MLLP, and what each sender may write.

A message is taken only from a sender listed in the facility file's
`[[hl7_senders]]`: its MSH-3/MSH-4 must name an entry, the facility it would be
recorded into must be one the entry `writes`, and when the entry names a client
certificate the connection must have presented that certificate. Anything else
is refused (AR) before a single command runs, and nothing is kept.
"""

from __future__ import annotations

import hashlib
import logging
import ssl
from dataclasses import dataclass

from base.facility import HL7Sender
from services.hl7.parse import Segment
from services.hl7.problems import TABLE_VALUE, Location, Rejection

log = logging.getLogger("edflow.hl7")

# OpenSSL's long attribute names, as `getpeercert()` gives them, to the short
# names a certificate subject is written with.
SHORT_NAMES = {
    "commonName": "CN",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "stateOrProvinceName": "ST",
    "localityName": "L",
    "emailAddress": "EMAILADDRESS",
    "domainComponent": "DC",
    "serialNumber": "SERIALNUMBER",
}


@dataclass(frozen=True)
class Peer:
    """What one connection proved about the other end: the client certificate
    it presented and the TLS layer verified, if any."""

    subject: frozenset[tuple[str, str]] = frozenset()
    sha256: str = ""

    @classmethod
    def of(cls, tls: ssl.SSLObject | ssl.SSLSocket | None) -> Peer:
        if tls is None:
            return cls()
        der = tls.getpeercert(binary_form=True)
        if not der:
            return cls()
        subject = (tls.getpeercert() or {}).get("subject", ())
        pairs = set()
        # ((("organizationName", "Riverside"),), (("commonName", "adt-feed"),)): one tuple per RDN.
        for rdn in subject if isinstance(subject, tuple) else ():
            for attribute in rdn:
                if isinstance(attribute, tuple) and len(attribute) == 2:
                    name, value = attribute
                    pairs.add((SHORT_NAMES.get(name, name.upper()), value))
        return cls(frozenset(pairs), hashlib.sha256(der).hexdigest())

    def describe(self) -> str:
        if not self.sha256:
            return "no client certificate"
        subject = ",".join(f"{n}={v}" for n, v in sorted(self.subject))
        return f"client certificate {subject or '(no subject)'} sha256 {self.sha256}"


def identify(
    senders: tuple[HL7Sender, ...], msh: Segment, facility_id: str, facility_field: int, peer: Peer
) -> HL7Sender:
    """The configured sender of this message, allowed to write `facility_id`;
    else a Rejection naming the field that decided it."""
    application, facility = msh.get(3), msh.get(4)
    sender = next((s for s in senders if (s.application, s.facility) == (application, facility)), None)
    if sender is None:
        raise Rejection(
            f"MSH-3/MSH-4 sender {application!r}/{facility!r} is not a known HL7 sender here",
            Location("MSH", 3),
            TABLE_VALUE,
        )
    if not _certificate_matches(sender, peer):
        log.warning("hl7 sender %s/%s refused: it connected with %s", application, facility, peer.describe())
        raise Rejection(
            f"MSH-3/MSH-4 sender {application!r}/{facility!r} must connect with its own client certificate",
            Location("MSH", 3),
            TABLE_VALUE,
        )
    if facility_id not in sender.writes:
        raise Rejection(
            f"MSH-3/MSH-4 sender {application!r}/{facility!r} may not write facility {facility_id!r} "
            f"(MSH-{facility_field})",
            Location("MSH", facility_field),
            TABLE_VALUE,
        )
    return sender


def _certificate_matches(sender: HL7Sender, peer: Peer) -> bool:
    if not (sender.certificate_subject or sender.certificate_sha256):
        return True
    if not peer.sha256:
        return False
    if sender.certificate_sha256 and sender.fingerprint() != peer.sha256:
        return False
    return not sender.certificate_subject or sender.subject() == peer.subject
