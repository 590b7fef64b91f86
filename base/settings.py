"""One typed settings object, read from the environment (prefix EDFLOW_).

The defaults run on a laptop: an SQLite event store under ./var and a local
broker on 127.0.0.1:9092.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from events.topics import Topics

# Events (and appointments) dated before this are refused: a typo'd year, not history.
DEFAULT_HISTORY_START = date(2000, 1, 1)
# HS256 keys shorter than the hash output are weak (RFC 7518, section 3.2).
MIN_SECRET_BYTES = 32
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)")
MAKE_SECRET = "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"


def without_password(dsn: str) -> str:
    """`postgresql://user:***@host/db` (or `... password=***`) for display."""
    shown = _KEYWORD_PASSWORD.sub(r"\1***", dsn)  # keyword form, or ?password= in a URL
    if "://" not in shown:
        return shown
    try:
        parts = urlsplit(shown)
        if parts.password is None:
            return shown
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
    except ValueError:
        return "***"


class Settings(BaseSettings):
    # Errors name the setting, never its value (secrets, the DSN's password).
    model_config = SettingsConfigDict(env_prefix="EDFLOW_", extra="ignore", hide_input_in_errors=True)

    data_dir: Path = Path("var")
    # "sqlite" (a file under data_dir) or "postgres" (postgres_dsn).
    event_store: Literal["sqlite", "postgres"] = "sqlite"
    postgres_dsn: str = ""
    # Hash-chain every stored event (tamper evidence). Off only to measure its cost.
    hash_chain: bool = True
    # Tamper evidence: the chain key (base64, at least 32 bytes) that makes
    # each chain link an HMAC, or a file holding it; with neither, a key is
    # generated once into <audit_dir>/chain-key. Signed checkpoints of the
    # chain are appended to checkpoint_file (default <audit_dir>/checkpoints.jsonl)
    # by `edflow relay` every checkpoint_every_events positions or
    # checkpoint_every_minutes. audit_dir defaults to "<data_dir>-audit",
    # beside the data directory; none of these may lie inside it.
    audit_dir: Path | None = None
    chain_key: str = Field(default="", repr=False)
    chain_key_file: Path | None = None
    checkpoint_file: Path | None = None
    checkpoint_every_events: int = Field(default=1000, ge=1)
    checkpoint_every_minutes: float = Field(default=15.0, gt=0)
    # Optional AES key (base64, 16/24/32 bytes) to encrypt stored events at rest.
    cipher_key: str = Field(default="", repr=False)

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: str = ""
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = Field(default="", repr=False)
    kafka_ssl_cafile: str = ""
    topic_prefix: str = "edflow"
    topic_partitions: int = Field(default=3, ge=1)
    topic_replication: int = Field(default=1, ge=1)

    relay_batch: int = Field(default=500, ge=1)
    # An idle relay looks for new events this often (SQLite cannot tell it):
    # the wait it adds to a command's way to the board, at most.
    relay_poll_seconds: float = Field(default=0.02, gt=0)
    # A standby relay (another one holds the store's relay lock) tries the
    # lock this often; it takes over within about this long of the holder dying.
    relay_standby_seconds: float = Field(default=1.0, gt=0)

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    # Commands may say when they happened; how far in the future (clock skew
    # between systems) that may lie before it is refused. The demo's
    # simulator, which runs ahead of the clock, raises it.
    max_future_seconds: int = Field(default=300, ge=0)
    # The first day (UTC) this facility's records may describe; earlier event
    # and appointment times are refused as typing mistakes. Raise it for a
    # site that starts recording today; lower it to import older history.
    history_start: date = DEFAULT_HISTORY_START
    # TLS for HTTP and the board WebSocket: both files, or neither (plain HTTP
    # behind a TLS-terminating proxy).
    http_tls_certfile: Path | None = None
    http_tls_keyfile: Path | None = None

    facility_timezone: str = "America/Chicago"
    # Where the demo hospital and other facility configurations live.
    facility_config: Path = Path(__file__).resolve().parents[1] / "deploy" / "facilities" / "demo.toml"

    # Authentication: a shared HS256 secret for one site, or an OpenID
    # Connect issuer's JWKS for a hospital identity provider. With neither
    # set, a random secret is generated once under data_dir.
    jwt_secret: str = Field(default="", repr=False)
    jwt_jwks_url: str = ""
    jwt_issuer: str = "edflow"
    jwt_audience: str = "edflow"
    # The longest a token may live (exp - iat, and exp - now): longer ones are
    # neither minted nor accepted.
    jwt_max_lifetime_seconds: int = Field(default=12 * 3600, ge=60)
    # The API docs (/docs, /openapi.json, behind sign-in): off unless asked
    # for (the demo turns them on).
    api_docs: bool = False
    # Origins allowed to open the board WebSocket (cross-site hijacking guard).
    allowed_origins: list[str] = ["http://127.0.0.1:8000", "http://localhost:8000"]

    # Projection worker (faust-streaming).
    worker_id: str = "edflow-projections"
    worker_web_port: int = Field(default=6066, ge=1, le=65535)
    table_store: Literal["rocksdb", "memory"] = "rocksdb"
    board_snapshot_every: int = Field(default=200, ge=1)
    # How often, in seconds, the worker re-evaluates each board's waits,
    # boarding, NEDOCS and flow metrics at its clock when no event moves them
    # (at least every 30 s); 0 turns the clock off (boards then stand as of
    # their last event).
    board_refresh_seconds: float = Field(default=15.0, ge=0, le=30)
    # A busy board sends its clients one frame about this often, with the
    # deltas that arrived meanwhile (a quiet board's delta leaves at once):
    # the longest it holds a change. Longer costs less CPU per delta with
    # many clients and adds to every change's way to the screen.
    board_tick_seconds: float = Field(default=0.02, ge=0.005, le=1.0)

    # HL7 v2 over MLLP.
    mllp_host: str = "127.0.0.1"
    mllp_port: int = Field(default=2575, ge=1, le=65535)
    mllp_max_frame_bytes: int = Field(default=1_048_576, ge=1024)
    mllp_tls_certfile: Path | None = None
    mllp_tls_keyfile: Path | None = None
    # Mutual TLS: with a CA file, every MLLP client must present a certificate
    # it signed (senders may also be pinned to theirs in the facility file).
    mllp_tls_client_cafile: Path | None = None

    # Patient access: how long a waitlist offer stands; reminder lead times;
    # how many days ahead unverified coverage is flagged; where reminders go
    # ("log" writes an outbox under data_dir, "smtp" sends e-mail).
    waitlist_offer_minutes: int = Field(default=120, ge=1)
    reminder_leads_minutes: list[int] = [48 * 60, 120]
    insurance_flag_days: int = Field(default=3, ge=0)
    reminder_channel: Literal["log", "smtp"] = "log"
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = Field(default="", repr=False)
    smtp_starttls: bool = True
    smtp_sender: str = "edflow@localhost"
    # Insurance eligibility over HTTP: the payer's FHIR R4 endpoint that takes
    # a CoverageEligibilityRequest (POST) and answers a
    # CoverageEligibilityResponse, its bearer token, and how long to wait.
    # Unset: a scheduler phones the payer and records the answer by hand.
    eligibility_url: str = ""
    eligibility_token: str = Field(default="", repr=False)
    eligibility_timeout_seconds: float = Field(default=10.0, gt=0, le=60)

    @field_validator("postgres_dsn")
    @classmethod
    def _no_blank_dsn(cls, value: str) -> str:
        return value.strip()

    @field_validator("jwt_secret")
    @classmethod
    def _strong_secret(cls, value: str) -> str:
        if value and len(value.encode()) < MIN_SECRET_BYTES:
            raise ValueError(
                f"the secret is {len(value.encode())} bytes; use at least {MIN_SECRET_BYTES} random bytes, "
                f"e.g. {MAKE_SECRET}, or leave it unset to have one generated under EDFLOW_DATA_DIR"
            )
        return value

    def __repr_args__(self) -> Any:
        # The DSN is shown (which database), its password never.
        for name, value in super().__repr_args__():
            yield name, (without_password(value) if name == "postgres_dsn" else value)

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "events.sqlite"

    def require_postgres(self) -> None:
        if self.event_store == "postgres" and not self.postgres_dsn:
            raise ValueError(
                "EDFLOW_EVENT_STORE=postgres needs EDFLOW_POSTGRES_DSN (postgresql://user:pass@host:port/db)"
            )
