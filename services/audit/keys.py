"""Where tamper evidence keeps what the event store must not hold: the chain
key and the checkpoint file.

Both live outside the data directory (by default in "<data_dir>-audit",
beside it): whoever can rewrite the store, or copies the data directory, must
not also get the key that makes a rewritten chain verify, nor the checkpoints
that show how far the log reached. A path inside the data directory is refused.

The key is `EDFLOW_CHAIN_KEY` (base64), or the file `EDFLOW_CHAIN_KEY_FILE`,
or one generated once into `<audit_dir>/chain-key` — but only while the chain
holds no keyed link yet: a store already keyed with a lost key must not be
continued with a new one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path

from base.settings import Settings

MIN_KEY_BYTES = 32
_lock = threading.Lock()


class AuditConfigError(Exception):
    """The chain key or checkpoint file is missing, unreadable or misplaced."""


def audit_dir(settings: Settings) -> Path:
    if settings.audit_dir is not None:
        return settings.audit_dir
    data = settings.data_dir.resolve()
    return data.parent / f"{data.name}-audit"


def checkpoint_path(settings: Settings) -> Path:
    default = audit_dir(settings) / "checkpoints.jsonl"
    return outside_data_dir(
        settings, settings.checkpoint_file or default, "checkpoint file (EDFLOW_CHECKPOINT_FILE)", default
    )


def key_path(settings: Settings) -> Path:
    default = audit_dir(settings) / "chain-key"
    return outside_data_dir(
        settings, settings.chain_key_file or default, "chain key file (EDFLOW_CHAIN_KEY_FILE)", default
    )


def outside_data_dir(settings: Settings, path: Path, what: str, default: Path) -> Path:
    """`path`, unless it lies inside the data directory: then a clear refusal."""
    resolved, data = path.resolve(), settings.data_dir.resolve()
    if resolved == data or resolved.is_relative_to(data):
        raise AuditConfigError(
            f"the {what} {path} is inside the data directory {settings.data_dir}: whoever can alter the "
            f"event store could alter it too; point it outside (by default {default})"
        )
    return resolved


def decode_key(text: str, source: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise AuditConfigError(f"{source} is not base64") from None
    if len(key) < MIN_KEY_BYTES:
        raise AuditConfigError(f"{source} holds {len(key)} bytes; the chain key needs at least {MIN_KEY_BYTES}")
    return key


def chain_key(settings: Settings, *, create: bool) -> bytes | None:
    """The chain key; None if none is configured and `create` is false.

    With `create`, a missing key file is generated (mode 0600)."""
    if settings.chain_key:
        return decode_key(settings.chain_key, "EDFLOW_CHAIN_KEY")
    path = key_path(settings)
    with _lock:
        if not path.exists():
            if not create:
                return None
            _create_key_file(path)
        try:
            text = path.read_text()
        except OSError as error:
            raise AuditConfigError(f"cannot read the chain key file {path}: {error.strerror}") from None
    return decode_key(text, f"the chain key file {path}")


def _create_key_file(path: Path) -> None:
    # Written to a private temporary file, then linked into place: link()
    # never replaces, so two processes starting together agree on one key and
    # neither ever reads a half-written file.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(secrets.token_bytes(MIN_KEY_BYTES)).decode() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)


def key_source(settings: Settings) -> str:
    """Where the key comes from, for messages."""
    return "EDFLOW_CHAIN_KEY" if settings.chain_key else f"the chain key file {key_path(settings)}"


def key_id(key: bytes) -> str:
    """A short public name for a key: tells which key signed a checkpoint."""
    return hmac.new(key, b"edflow chain key id", hashlib.sha256).hexdigest()[:16]
