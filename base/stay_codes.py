"""Stay codes: the short code a patient is told at registration and finds on
the hallway screen. An HMAC of the encounter id under a key derived from the
site's signing secret, so it means nothing to anyone without that key and
the desk and the screen compute the same code without storing it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from base.auth import signing_secret
from base.settings import Settings


def stay_code_key(settings: Settings) -> bytes:
    return hmac.new(signing_secret(settings).encode(), b"edflow hallway stay codes", hashlib.sha256).digest()


def stay_code(key: bytes, encounter_id: str) -> str:
    """Five characters, e.g. 'K7QF2': unguessable without the site key."""
    digest = hmac.new(key, encounter_id.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest)[:5].decode()
