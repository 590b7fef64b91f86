"""MLLP over TLS: the same framing and ACKs inside a verified TLS session."""

from __future__ import annotations

import socket
import ssl
import subprocess

from tests.services.hl7.conftest import RunningListener, ack_code, frame
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
