"""argon2id password hashing, with a constant-cost path for unknown users."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id with the library's current RFC 9106 defaults


@cache
def _dummy_hash() -> str:
    """Verified when the user does not exist, so response time does not reveal which usernames
    exist. Made on first use: hashing at import would add a third of a second to every start."""
    return _hasher.hash("warroom-no-such-user")


MIN_PASSWORD_LENGTH = 10


class WeakPasswordError(ValueError):
    pass


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password or not password.strip():
        raise WeakPasswordError("password must not start or end with white space")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches. ``stored_hash`` None burns the same time and fails."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
