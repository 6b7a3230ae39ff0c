"""Random bearer credentials (session ids, API tokens, device keys) stored only as hashes.

The prefix tells an operator what a leaked string is (``wrs_`` session, ``wrt_`` API token,
``wrd_`` device key) and lets secret scanners find them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SESSION_PREFIX = "wrs_"
TOKEN_PREFIX = "wrt_"  # noqa: S105 - a public prefix, not a secret
DEVICE_KEY_PREFIX = "wrd_"


def new_credential(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def credential_hash(credential: str) -> str:
    """SHA-256 is enough: the credential has 256 bits of entropy, so no stretching is needed."""
    return hashlib.sha256(credential.encode()).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
