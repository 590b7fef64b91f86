"""Tokens: minted and verified with the shared secret or an issuer's JWKS;
anything else is a 401 with the reason, a foreign facility a 403."""

from __future__ import annotations

import json
import stat
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from base.auth import AuthError, Principal, mint_token, signing_secret, verify_token
from base.settings import Settings
from tests.services.api.conftest import BASE, Api, with_secret


@pytest.fixture
def api_settings(sqlite_settings: Settings) -> Settings:
    """Token checks happen before any store access: one backend is enough here."""
    return with_secret(sqlite_settings)


def claims(settings: Settings, **changes) -> dict:
    now = int(time.time())
    base = {
        "sub": "u1",
        "role": "admin",
        "facilities": ["fac-1"],
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
    }
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


def status_and_message(api: Api, token: str) -> tuple[int, str]:
    response = api.client.get(f"{BASE}/beds/ED-1", headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.json()["error"]["message"]


def test_a_minted_token_verifies_to_its_principal(sqlite_settings: Settings):
    token = mint_token(sqlite_settings, "alice", "charge-nurse", ["demo", "north"])
    assert verify_token(sqlite_settings, token) == Principal("alice", "charge-nurse", ("demo", "north"))


def test_the_generated_secret_is_kept_private_and_reused(sqlite_settings: Settings):
    first = signing_secret(sqlite_settings)
    path = sqlite_settings.data_dir / "jwt-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signing_secret(sqlite_settings) == first and len(first) >= 32


def test_minting_for_an_unknown_role_is_refused(sqlite_settings: Settings):
    with pytest.raises(ValueError, match="unknown role"):
        mint_token(sqlite_settings, "alice", "nurse", ["demo"])


def test_a_missing_token_is_a_401(api: Api):
    response = api.client.get(f"{BASE}/beds/ED-1")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_an_expired_token_is_a_401_saying_so(api: Api):
    token = jwt.encode(claims(api.settings, exp=int(time.time()) - 3600), api.settings.jwt_secret, algorithm="HS256")
    assert status_and_message(api, token) == (401, "token expired")


def test_a_forged_token_is_a_401(api: Api):
    token = jwt.encode(claims(api.settings), "not-the-server-secret-but-long-enough-0123", algorithm="HS256")
    assert status_and_message(api, token) == (401, "token signature is not valid")


def test_a_token_for_another_audience_is_a_401(api: Api):
    token = jwt.encode(claims(api.settings, aud="some-other-app"), api.settings.jwt_secret, algorithm="HS256")
    assert status_and_message(api, token) == (401, "token is not meant for this service (wrong audience)")


def test_an_unsigned_token_is_a_401(api: Api):
    token = jwt.encode(claims(api.settings), "", algorithm="none")  # "" is PyJWT's "no key"
    assert status_and_message(api, token)[0] == 401


def test_a_token_without_a_role_is_a_401(api: Api):
    token = jwt.encode(claims(api.settings, role=None), api.settings.jwt_secret, algorithm="HS256")
    assert status_and_message(api, token) == (401, "token lacks the 'role' claim")


def test_garbage_is_a_401(api: Api):
    assert status_and_message(api, "abc.def.ghi") == (401, "token is malformed")


def test_a_token_for_another_facility_is_a_403(api: Api):
    response = api.client.get(f"{BASE}/beds/ED-1", headers=api.headers(facilities=("fac-2",)))
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")


def test_a_token_for_all_facilities_may_act_anywhere(api: Api):
    response = api.client.post(
        "/api/v1/facilities/north/beds", json={"bed_id": "N-1", "unit": "ED"}, headers=api.headers(facilities=("*",))
    )
    assert response.status_code == 201


def test_a_refused_token_records_nothing(api: Api):
    before = api.position()
    token = jwt.encode(claims(api.settings), "forged-secret-forged-secret-forged-secret", algorithm="HS256")
    response = api.client.post(
        f"{BASE}/beds", json={"bed_id": "X", "unit": "ED"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401 and api.position() == before


# --- an OpenID Connect issuer's JWKS, served over real HTTP -----------------


SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@pytest.fixture(params=["RS256", "ES256"])
def issuer(request) -> Iterator[tuple[str, SigningKey, str]]:
    """A local identity provider publishing one signing key as a JWKS."""
    algorithm = request.param
    key: SigningKey
    if algorithm == "RS256":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    document = json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": algorithm}]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json", key, algorithm
    server.shutdown()


def test_a_token_from_the_configured_issuer_verifies_through_its_jwks(sqlite_settings: Settings, issuer):
    url, key, algorithm = issuer
    settings = sqlite_settings.model_copy(update={"jwt_jwks_url": url, "jwt_issuer": "https://idp.example"})
    token = jwt.encode(
        claims(settings, sub="nurse-9", role="charge-nurse"), key, algorithm=algorithm, headers={"kid": "k1"}
    )
    assert verify_token(settings, token) == Principal("nurse-9", "charge-nurse", ("fac-1",))


def test_a_shared_secret_token_is_refused_when_an_issuer_is_configured(sqlite_settings: Settings, issuer):
    url, _, _ = issuer
    settings = sqlite_settings.model_copy(update={"jwt_jwks_url": url, "jwt_secret": "s" * 40})
    token = jwt.encode(claims(settings), "s" * 40, algorithm="HS256", headers={"kid": "k1"})
    with pytest.raises(AuthError):
        verify_token(settings, token)


def test_a_token_signed_with_a_key_the_issuer_does_not_publish_is_refused(sqlite_settings: Settings, issuer):
    url, _, _ = issuer
    settings = sqlite_settings.model_copy(update={"jwt_jwks_url": url})
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(claims(settings), stranger, algorithm="RS256", headers={"kid": "k2"})
    with pytest.raises(AuthError, match="signing key could not be found"):
        verify_token(settings, token)


def test_a_verified_token_is_remembered_until_it_expires_and_not_a_moment_longer(sqlite_settings: Settings):
    settings = with_secret(sqlite_settings)
    lifetime = 2
    token = jwt.encode(
        claims(settings, exp=int(time.time()) + lifetime - 30), signing_secret(settings), algorithm="HS256"
    )  # the leeway (30 s) makes it valid for about `lifetime` seconds
    assert verify_token(settings, token).subject == "u1"
    assert verify_token(settings, token).subject == "u1"  # remembered
    time.sleep(lifetime + 1)
    with pytest.raises(AuthError, match="expired"):
        verify_token(settings, token)


def test_a_remembered_token_is_not_trusted_under_another_secret_or_audience(sqlite_settings: Settings):
    settings = with_secret(sqlite_settings)
    token = mint_token(settings, "u1", "admin", ["fac-1"])
    assert verify_token(settings, token).subject == "u1"
    with pytest.raises(AuthError, match="signature"):
        verify_token(settings.model_copy(update={"jwt_secret": "z" * 40}), token)
    with pytest.raises(AuthError, match="audience"):
        verify_token(settings.model_copy(update={"jwt_audience": "another-service"}), token)
