"""Bearer tokens: who is calling, in which role, for which facilities.

A site either shares one HS256 secret (`EDFLOW_JWT_SECRET`, or a secret
generated once into `<data_dir>/jwt-secret`), or trusts a hospital OpenID
Connect issuer through its JWKS (`EDFLOW_JWT_JWKS_URL`, RS256/ES256). Either
way the token carries `sub`, `role` and `facilities`; the actor recorded on
every event comes from here, never from a request body.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import jwt

from base.private_files import private_dir
from base.settings import MAKE_SECRET, MIN_SECRET_BYTES, Settings

ROLES: tuple[str, ...] = (
    "intake",
    "charge-nurse",
    "provider",
    "scheduler",
    "coordinator",
    "auditor",
    "admin",
    # Places admitted patients in inpatient beds (the boarding board).
    "bed-manager",
    # A hallway display screen: the public, PHI-free view only.
    "display",
)
ALL_FACILITIES = "*"
SHARED_SECRET_ALGORITHMS = ["HS256"]
ISSUER_ALGORITHMS = ["RS256", "ES256"]
REQUIRED_CLAIMS = ["sub", "role", "facilities", "iss", "aud", "iat", "exp"]
# Tolerate small clock differences between the issuer and this server.
LEEWAY_SECONDS = 30
DEFAULT_TTL_SECONDS = 8 * 3600

_secret_lock = threading.Lock()
_secrets: dict[Path, str] = {}
_jwks_clients: dict[str, jwt.PyJWKClient] = {}
# Verified tokens, kept until they expire: a client sends the same token on
# every request, and checking its signature again costs more than the rest
# of an authorised read. Keyed by everything the verdict depends on.
VERIFIED_CACHE_SIZE = 4096
_verified: dict[tuple[str, str, str, str, str], tuple[Principal, float]] = {}


class AuthError(Exception):
    """The token is missing or unacceptable; `reason` is safe to show the caller."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Principal:
    subject: str
    role: str
    facilities: tuple[str, ...]

    def may_act_for(self, facility_id: str) -> bool:
        return ALL_FACILITIES in self.facilities or facility_id in self.facilities


def signing_secret(settings: Settings) -> str:
    """The configured secret, or the one generated for this data directory."""
    if settings.jwt_secret:
        return settings.jwt_secret
    path = (settings.data_dir / "jwt-secret").resolve()
    with _secret_lock:
        if path not in _secrets:
            _secrets[path] = _read_or_create_secret(path)
        return _secrets[path]


def _read_or_create_secret(path: Path) -> str:
    private_dir(path.parent)
    try:
        # O_EXCL: two processes starting together never both write a secret.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _strong_enough(path, path.read_text().strip())
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _strong_enough(path: Path, secret: str) -> str:
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(
            f"{path} holds a secret of {len(secret.encode())} bytes, fewer than {MIN_SECRET_BYTES}: delete it to have "
            f"a new one generated, or write one made with {MAKE_SECRET} (every token signed with it stops working)"
        )
    return secret


def lifetime_problem(settings: Settings, ttl_seconds: float) -> str | None:
    """Why a token living `ttl_seconds` may not be minted, or None."""
    limit = settings.jwt_max_lifetime_seconds
    if ttl_seconds > limit:
        return (
            f"a token may live at most {limit} s ({limit / 3600:g} h; EDFLOW_JWT_MAX_LIFETIME_SECONDS), "
            f"not {ttl_seconds:g} s"
        )
    return None


def mint_token(
    settings: Settings, subject: str, role: str, facilities: list[str], ttl_seconds: int | None = None
) -> str:
    """A shared-secret token (for staff tools, feeds and development), living
    `ttl_seconds` (default: 8 hours, or the site's maximum if that is shorter)."""
    if ttl_seconds is None:
        ttl_seconds = min(DEFAULT_TTL_SECONDS, settings.jwt_max_lifetime_seconds)
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}")
    if not subject:
        raise ValueError("a token needs a subject (the user or feed id)")
    if not facilities:
        raise ValueError("a token needs at least one facility (or '*' for all)")
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    problem = lifetime_problem(settings, ttl_seconds)
    if problem is not None:
        raise ValueError(problem)
    now = int(time.time())
    claims = {
        "sub": subject,
        "role": role,
        "facilities": list(facilities),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, signing_secret(settings), algorithm="HS256")


def verify_token(settings: Settings, token: str) -> Principal:
    """The caller the token names, if it is valid now; else AuthError. A token
    once verified is not checked again until its `exp` (plus the leeway)."""
    remembered = verified_before(settings, token)
    if remembered is not None:
        return remembered
    cache_key = _cache_key(settings, token)
    principal, expires = _verify(settings, token)
    if len(_verified) >= VERIFIED_CACHE_SIZE:
        _verified.clear()
    _verified[cache_key] = (principal, expires + LEEWAY_SECONDS)
    return principal


def verified_before(settings: Settings, token: str) -> Principal | None:
    """The principal of a token verified earlier and not yet expired; None
    when it must be verified (which may fetch the issuer's keys)."""
    cache_key = _cache_key(settings, token)
    cached = _verified.get(cache_key)
    if cached is None:
        return None
    if time.time() <= cached[1]:
        return cached[0]
    _verified.pop(cache_key, None)
    return None


def _cache_key(settings: Settings, token: str) -> tuple[str, str, str, str, str]:
    trust = settings.jwt_jwks_url or hashlib.sha256(signing_secret(settings).encode()).hexdigest()
    return (token, trust, settings.jwt_jwks_url, settings.jwt_audience, settings.jwt_issuer)


def _verify(settings: Settings, token: str) -> tuple[Principal, float]:
    try:
        if settings.jwt_jwks_url:
            key = _jwks_client(settings.jwt_jwks_url).get_signing_key_from_jwt(token).key
            algorithms = ISSUER_ALGORITHMS
        else:
            key, algorithms = signing_secret(settings), SHARED_SECRET_ALGORITHMS
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise AuthError("token expired") from None
    except jwt.ImmatureSignatureError:
        raise AuthError("token is not valid yet (issued in the future)") from None
    except jwt.InvalidAudienceError:
        raise AuthError("token is not meant for this service (wrong audience)") from None
    except jwt.InvalidIssuerError:
        raise AuthError("token was issued by an issuer this service does not trust") from None
    except jwt.InvalidSignatureError:
        raise AuthError("token signature is not valid") from None
    except jwt.MissingRequiredClaimError as error:
        raise AuthError(f"token lacks the {error.claim!r} claim") from None
    except jwt.PyJWKClientError:
        raise AuthError("token signing key could not be found at the identity provider") from None
    except jwt.InvalidTokenError:
        raise AuthError("token is malformed") from None
    _check_lifetime(settings, claims)
    return _principal(claims), float(claims["exp"])


def _check_lifetime(settings: Settings, claims: dict) -> None:
    """A token meant to live longer than the site allows is refused, however
    it was signed: a stolen one must not stay useful for months."""
    limit = settings.jwt_max_lifetime_seconds
    exp, iat = float(claims["exp"]), float(claims["iat"])
    if exp - iat > limit or exp - time.time() > limit + LEEWAY_SECONDS:
        raise AuthError(f"token lifetime exceeds this service's maximum of {limit} s; get a shorter-lived token")


def _principal(claims: dict) -> Principal:
    subject, role, facilities = claims["sub"], claims["role"], claims["facilities"]
    if not isinstance(subject, str) or not subject:
        raise AuthError("token subject must be a non-empty string")
    if role not in ROLES:
        raise AuthError("token role is not one of edflow's roles")
    if not isinstance(facilities, list) or not all(isinstance(f, str) and f for f in facilities):
        raise AuthError("token facilities must be a list of facility ids")
    return Principal(subject=subject, role=role, facilities=tuple(facilities))


def _jwks_client(url: str) -> jwt.PyJWKClient:
    # Created on first use (nothing connects at import); the client caches keys.
    with _secret_lock:
        if url not in _jwks_clients:
            _jwks_clients[url] = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)
        return _jwks_clients[url]
