"""SMTP reminders over a real TCP SMTP conversation with smtplib.

The mail server is a minimal one run by this test (we do not run a mail
system here); it speaks enough SMTP for smtplib and keeps what it accepted."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes

import pytest

from events.catalogue import Contact
from projections.work_queue_reader import WorkQueueReader
from services.access.notifier import SmtpNotifier
from services.access.reminders import ReminderProcess
from tests.services.access.conftest import at


class _Session(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        self.reply("220 test ESMTP")
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 test")
            elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                self.reply("250 ok")
            elif command == "DATA":
                self.reply("354 go on")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk
                self.server.accepted.append(message_from_bytes(body))  # type: ignore[attr-defined]
                self.reply("250 queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not here")


@pytest.fixture
def mail_server() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Session)
    server.accepted = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_reminders_go_out_by_smtp_once_with_a_stable_message_id(desk, tmp_path, mail_server):
    desk.book(at(3, 9), appointment_id="A1", contact=Contact(email="sam@example.org"))
    desk.book(at(3, 10), appointment_id="A2")  # no address: nothing to send to
    host, port = mail_server.server_address
    notifier = SmtpNotifier(host, port, "clinic@hospital.example", tmp_path / "sent", starttls=False)
    first = ReminderProcess(desk.app, WorkQueueReader(desk.app), notifier, [2880]).run_pass(at(1, 10))
    assert (first.sent, first.unreachable) == (1, 1)
    (message,) = mail_server.accepted
    assert message["To"] == "sam@example.org" and message["Message-ID"].endswith("@hospital.example>")
    assert "A1" in message.get_payload() and "Roe" not in message.as_string()
    # A restarted process: recorded already, nothing more is mailed.
    again = ReminderProcess(desk.app, WorkQueueReader(desk.app), notifier, [2880]).run_pass(at(1, 11))
    assert (again.sent, len(mail_server.accepted)) == (0, 1)


def test_a_delivery_repeated_before_recording_is_not_mailed_twice(tmp_path, mail_server):
    from services.access.notifier import Reminder

    host, port = mail_server.server_address
    notifier = SmtpNotifier(host, port, "clinic@hospital.example", tmp_path / "sent", starttls=False)
    reminder = Reminder("r-1", "fac-1", "A1", 120, at(3, 9), "cardiology", email="sam@example.org")
    assert notifier.deliver(reminder) == notifier.deliver(reminder)
    assert len(mail_server.accepted) == 1


def test_a_mail_server_that_is_down_delays_the_reminder_without_losing_it(desk, tmp_path, mail_server):
    desk.book(at(3, 9), appointment_id="A1", contact=Contact(email="sam@example.org"))
    host, port = mail_server.server_address
    down = SmtpNotifier(
        host, 1, "clinic@hospital.example", tmp_path / "sent", starttls=False
    )  # nothing listens on port 1
    failed = ReminderProcess(desk.app, WorkQueueReader(desk.app), down, [2880]).run_pass(at(1, 10))
    assert (failed.sent, failed.failed) == (0, 1)
    up = SmtpNotifier(host, port, "clinic@hospital.example", tmp_path / "sent", starttls=False)
    assert ReminderProcess(desk.app, WorkQueueReader(desk.app), up, [2880]).run_pass(at(1, 10, 5)).sent == 1
    assert len(mail_server.accepted) == 1
