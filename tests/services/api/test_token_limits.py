"""Token hygiene: a ceiling on token lifetime (minting and verifying), no
start with a short signing secret, no database password in printed settings."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest
from pydantic import ValidationError

from base.auth import AuthError, mint_token, verify_token
from base.settings import Settings
from deploy.cli import main
from tests.services.api.conftest import BASE, Api, with_secret
from tests.services.api.live_server import free_port
from tests.services.api.test_auth import claims, status_and_message

TWELVE_HOURS = 12 * 3600


@pytest.fixture
def api_settings(sqlite_settings: Settings) -> Settings:
    return with_secret(sqlite_settings)


def signed(api: Api, **changes) -> str:
    return jwt.encode(claims(api.settings, **changes), api.settings.jwt_secret, algorithm="HS256")


def test_a_token_expiring_in_the_year_3000_is_refused(api: Api):
    year_3000 = int(datetime(3000, 1, 1, tzinfo=UTC).timestamp())
    status, message = status_and_message(api, signed(api, exp=year_3000))
    assert status == 401 and "lifetime exceeds" in message and str(TWELVE_HOURS) in message


def test_the_lifetime_ceiling_is_exp_minus_iat_and_defaults_to_twelve_hours(api: Api):
    now = int(time.time())
    assert Settings().jwt_max_lifetime_seconds == TWELVE_HOURS
    assert api.get("/beds/none", role="admin").status_code == 404  # an ordinary token passes
    at_the_limit = signed(api, iat=now - 60, exp=now - 60 + TWELVE_HOURS)
    assert api.client.get(f"{BASE}/beds/none", headers={"Authorization": f"Bearer {at_the_limit}"}).status_code == 404
    over = signed(api, iat=now - 3 * 3600, exp=now - 3 * 3600 + TWELVE_HOURS + 60)  # only 9 h left, but 12 h 1 min
    assert status_and_message(api, over)[0] == 401


def test_a_site_may_lower_the_ceiling(api: Api):
    strict = api.settings.model_copy(update={"jwt_max_lifetime_seconds": 3600})
    minted = mint_token(strict, "alice", "admin", ["fac-1"])  # default 8 h, cut to the ceiling
    assert jwt.decode(minted, options={"verify_signature": False})["exp"] - int(time.time()) <= 3600
    assert verify_token(strict, minted).subject == "alice"
    with pytest.raises(AuthError, match="maximum of 3600 s"):
        verify_token(strict, signed(api, exp=int(time.time()) + 2 * 3600))
    with pytest.raises(ValueError, match="at most 3600 s"):
        mint_token(strict, "alice", "admin", ["fac-1"], ttl_seconds=7200)


@pytest.fixture
def env(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EDFLOW_JWT_SECRET", "k" * 40)
    return tmp_path


def test_token_ttl_beyond_the_ceiling_is_a_one_line_error(env: Path, capsys):
    assert main(["token", "--sub", "a", "--role", "admin", "--facility", "*", "--ttl", str(365 * 24 * 3600)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "at most 43200 s" in captured.err and "EDFLOW_JWT_MAX_LIFETIME_SECONDS" in captured.err
    assert main(["token", "--sub", "a", "--role", "admin", "--facility", "*", "--ttl", str(TWELVE_HOURS)]) == 0


@pytest.mark.parametrize(
    "command",
    [
        ["token", "--sub", "a", "--role", "admin", "--facility", "*"],
        ["serve", "--port", "{port}"],
        ["mllp", "--port", "0"],
    ],
)
def test_a_short_secret_refuses_to_start(env: Path, command: list[str]):
    environment = {**os.environ, "EDFLOW_DATA_DIR": str(env), "EDFLOW_JWT_SECRET": "changeme-changeme"}  # 17 bytes
    args = [a.replace("{port}", str(free_port())) for a in command]
    # A process that starts anyway would run until the timeout: a failure too.
    done = subprocess.run(
        [sys.executable, "-m", "deploy.cli", *args], env=environment, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    assert "EDFLOW_JWT_SECRET" in done.stderr and "at least 32" in done.stderr
    assert "secrets.token_urlsafe" in done.stderr and "changeme" not in done.stderr


def test_a_short_generated_secret_file_refuses_to_mint(env: Path, monkeypatch, capsys):
    monkeypatch.delenv("EDFLOW_JWT_SECRET")
    (env / "jwt-secret").write_text("tiny\n")
    assert main(["token", "--sub", "a", "--role", "admin", "--facility", "*"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "jwt-secret" in err and "fewer than 32" in err and "tiny" not in err


def test_printed_settings_hide_the_database_password():
    settings = Settings(event_store="postgres", postgres_dsn="postgresql://edflow:Hunter2-s3cret@db.local:5432/edflow")
    for shown in (repr(settings), str(settings)):
        assert "Hunter2-s3cret" not in shown and "postgresql://edflow:***@db.local:5432/edflow" in shown
    keyword = Settings(postgres_dsn="host=db.local user=edflow password=Hunter2-s3cret dbname=edflow")
    assert "Hunter2-s3cret" not in repr(keyword) and "password=***" in repr(keyword)
    assert settings.postgres_dsn.endswith("Hunter2-s3cret@db.local:5432/edflow")  # the value itself is intact


def test_a_settings_error_does_not_echo_the_value(monkeypatch):
    with pytest.raises(ValidationError) as error:
        Settings(jwt_secret="short-but-secret", postgres_dsn="postgresql://u:Hunter2@h/d")
    assert "short-but-secret" not in str(error.value)
