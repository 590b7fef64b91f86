"""Checkpoints: signed records of how far the event chain reached, and with
which link, kept outside the data directory.

One JSON line each: `position`, `link` (hex), `at` (UTC, ISO 8601), `by`
(who took it: "relay", "chain start", "audit checkpoint"), `key_id` and
`mac`, an HMAC-SHA256 under the chain key over the other fields. A
checkpoint is what catches a log cut short (the chain of what remains still
agrees with itself) and a chain rewritten wholesale.

Lines written before checkpoints were signed (`notification_id`, `hash`,
`at`) are still read, as unsigned checkpoints.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from base.settings import Settings
from services.audit.keys import AuditConfigError, checkpoint_path, key_id

MAC_CONTEXT = b"edflow checkpoint v1\n"


@dataclass(frozen=True)
class Checkpoint:
    position: int
    link: str
    at: str
    by: str = ""
    key_id: str | None = None
    mac: str | None = None
    line: int = 0

    @property
    def signed(self) -> bool:
        return self.mac is not None

    def body(self) -> dict[str, object]:
        return {"position": self.position, "link": self.link, "at": self.at, "by": self.by, "key_id": self.key_id}

    def mac_matches(self, key: bytes) -> bool:
        return self.mac is not None and hmac.compare_digest(self.mac, _mac(key, self.body()))


def _mac(key: bytes, body: dict[str, object]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, MAC_CONTEXT + canonical, hashlib.sha256).hexdigest()


def signed(key: bytes, position: int, link: bytes, by: str, at: datetime | None = None) -> Checkpoint:
    moment = (at or datetime.now(UTC)).isoformat(timespec="seconds")
    unsigned = Checkpoint(position, link.hex(), moment, by, key_id(key))
    return Checkpoint(position, link.hex(), moment, by, unsigned.key_id, _mac(key, unsigned.body()))


def append(settings: Settings, key: bytes, position: int, link: bytes, by: str) -> Checkpoint:
    """Sign a checkpoint and append it to the checkpoint file (fsynced)."""
    checkpoint = signed(key, position, link, by)
    path = checkpoint_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = json.dumps({**checkpoint.body(), "mac": checkpoint.mac}) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(line)
        out.flush()
        os.fsync(out.fileno())
    return checkpoint


def load(path: Path) -> list[Checkpoint]:
    """Every checkpoint in the file (none if it does not exist)."""
    if not path.exists():
        return []
    try:
        lines = path.read_text().splitlines()
    except OSError as error:
        raise AuditConfigError(f"cannot read the checkpoint file {path}: {error.strerror}") from None
    found = []
    for number, text in enumerate(lines, start=1):
        if text.strip():
            found.append(_parse(text, number, path))
    return found


def _parse(text: str, number: int, path: Path) -> Checkpoint:
    try:
        record = json.loads(text)
        if "notification_id" in record:  # the unsigned format of earlier versions
            return Checkpoint(
                int(record["notification_id"]), str(record["hash"]), str(record.get("at", "")), line=number
            )
        return Checkpoint(
            position=int(record["position"]),
            link=str(record["link"]),
            at=str(record["at"]),
            by=str(record.get("by", "")),
            key_id=record.get("key_id"),
            mac=record.get("mac"),
            line=number,
        )
    except (ValueError, KeyError, TypeError):
        raise AuditConfigError(f"line {number} of the checkpoint file {path} is not a checkpoint") from None
