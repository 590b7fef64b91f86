"""The simulator's tokens live as long as the site allows and are renewed
half-way, so a long demo run is never refused for an over-long token."""

from __future__ import annotations

import time

import jwt
import pytest

from base.auth import verify_token
from base.settings import Settings
from deploy.commands import simulate
from deploy.commands.simulate import SimulatorTokens


def test_tokens_live_for_the_ceiling_and_are_minted_again_half_way(sqlite_settings: Settings, monkeypatch):
    settings = sqlite_settings.model_copy(
        update={"jwt_secret": "sim-token-secret-0123456789abcdef012", "jwt_max_lifetime_seconds": 600}
    )
    tokens = SimulatorTokens(settings, "demo")
    first = tokens["intake"]
    claims = jwt.decode(first, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 600 and verify_token(settings, first).subject == "simulator-intake"
    assert tokens["intake"] is first  # kept while fresh
    later = time.monotonic() + 301
    monkeypatch.setattr(simulate.time, "monotonic", lambda: later)
    monkeypatch.setattr(simulate.time, "time", lambda: claims["iat"] + 301.0)
    assert tokens["intake"] is not first
    assert set(tokens) == set(simulate.ROLES)
    with pytest.raises(KeyError):
        tokens["admin"]
