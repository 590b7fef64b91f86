"""MLLP over TLS: the same framing and ACKs inside a verified TLS session; with
mutual TLS, only clients holding a certificate of the site's CA get in."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from base.facility import HL7Sender
from services.hl7.context import FeedOptions
from services.hl7.mllp import server_tls
from tests.services.hl7.conftest import DEMO_SENDERS, RunningListener, ack_code, frame
from tests.services.hl7.messages import adt


def self_signed(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=edflow-test",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_a_message_over_tls_is_acknowledged_and_plain_tcp_gets_nothing_applied(tmp_path, sqlite_hospital, feed_options):
    cert, key = self_signed(tmp_path)
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)
    running = RunningListener(sqlite_hospital, feed_options, 64 * 1024, tls=server_side)
    try:
        client_side = ssl.create_default_context(cafile=str(cert))
        with socket.create_connection((running.host, running.port), timeout=20) as raw:
            with client_side.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
                sock.sendall(frame(adt("A04", bed="").encode()))
                reply = b""
                while not reply.endswith(b"\x1c\r"):
                    chunk = sock.recv(65536)
                    assert chunk, "TLS connection closed before the ACK"
                    reply += chunk
        assert ack_code(reply.strip(b"\x0b\x1c\r")) == "AA"
        recorded = running.events()
        with socket.create_connection((running.host, running.port), timeout=20) as plain:
            plain.sendall(frame(adt("A04", "C2", visit="V2", bed="").encode()))
            plain.settimeout(5)
            try:
                answer = plain.recv(65536)
            except (ConnectionResetError, TimeoutError):
                answer = b""
        assert b"MSA" not in answer
        assert running.events() == recorded
    finally:
        running.stop()


# --- mutual TLS ---------------------------------------------------------------


class Authority:
    """A throwaway certificate authority, and certificates it signs."""

    def __init__(self, tmp_path: Path, name: str):
        self.tmp_path, self.key = tmp_path, ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.cert = (
            self._builder(self.name, self.key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.cafile = self._write(f"{name}-ca.pem", self.cert.public_bytes(serialization.Encoding.PEM))

    def _builder(self, subject: x509.Name, public_key) -> x509.CertificateBuilder:
        now = datetime.now(UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
        )

    def _write(self, name: str, data: bytes) -> str:
        path = self.tmp_path / name
        path.write_bytes(data)
        return str(path)

    def issue(self, common_name: str, organisation: str = "Riverside", server: bool = False) -> tuple[str, str, str]:
        """(certificate file, key file, SHA-256 of the DER certificate)."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]
        )
        builder = self._builder(subject, key.public_key())
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
            )
        cert = builder.sign(self.key, hashes.SHA256())
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return (
            self._write(f"{common_name}.pem", cert.public_bytes(serialization.Encoding.PEM)),
            self._write(f"{common_name}.key", key_pem),
            cert.fingerprint(hashes.SHA256()).hex(),
        )


def send_over_tls(running: RunningListener, cafile: str, message: bytes, client: tuple[str, str] | None) -> bytes:
    """One message over TLS, presenting `client` (certificate, key) if given;
    b"" when the listener refuses the connection."""
    context = ssl.create_default_context(cafile=cafile)
    if client is not None:
        context.load_cert_chain(*client)
    try:
        with socket.create_connection((running.host, running.port), timeout=20) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
                sock.sendall(frame(message))
                reply = b""
                while not reply.endswith(b"\x1c\r"):
                    chunk = sock.recv(65536)
                    if not chunk:
                        return b""
                    reply += chunk
                return reply.strip(b"\x0b\x1c\r")
    except (ssl.SSLError, ConnectionError, TimeoutError):
        return b""


@pytest.fixture
def site(tmp_path):
    """The site's client CA, the listener's certificate, and a feed's certificate."""
    authority = Authority(tmp_path, "site")
    server_cert, server_key, _ = authority.issue("mllp.test", server=True)
    return authority, server_tls(server_cert, server_key, authority.cafile)


def test_with_mutual_tls_a_client_without_a_certificate_is_refused_and_one_with_a_good_certificate_is_acknowledged(
    site, sqlite_hospital
):
    authority, tls = site
    feed = authority.issue("epic-feed")
    stranger = Authority(authority.tmp_path, "elsewhere").issue("epic-feed-copy")
    running = RunningListener(sqlite_hospital, FeedOptions(senders=DEMO_SENDERS), 64 * 1024, tls=tls)
    try:
        assert b"MSA" not in send_over_tls(running, authority.cafile, adt("A04", bed="").encode(), None)
        assert b"MSA" not in send_over_tls(running, authority.cafile, adt("A04", bed="").encode(), stranger[:2])
        assert running.events() == 0
        reply = send_over_tls(running, authority.cafile, adt("A04", bed="").encode(), feed[:2])
        assert ack_code(reply) == "AA"
        assert running.events() == 1
    finally:
        running.stop()


def test_a_sender_pinned_to_its_certificate_is_taken_only_over_that_certificate(site, sqlite_hospital):
    authority, tls = site
    feed, colleague = authority.issue("epic-feed"), authority.issue("lab-feed")
    pinned = (
        HL7Sender(
            application="EPIC",
            facility="FAC1",
            writes=["FAC1"],
            certificate_subject="CN=epic-feed, O=Riverside",
            certificate_sha256=":".join(feed[2][i : i + 2] for i in range(0, 64, 2)).upper(),
        ),
    )
    running = RunningListener(sqlite_hospital, FeedOptions(senders=pinned), 64 * 1024, tls=tls)
    try:
        reply = send_over_tls(running, authority.cafile, adt("A04", bed="").encode(), colleague[:2])
        assert ack_code(reply) == "AR" and b"client certificate" in reply
        assert running.events() == 0
        reply = send_over_tls(running, authority.cafile, adt("A04", bed="").encode(), feed[:2])
        assert ack_code(reply) == "AA"
        assert running.events() == 1
    finally:
        running.stop()
