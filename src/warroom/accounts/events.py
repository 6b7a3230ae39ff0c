"""Events the accounts domain publishes."""

from __future__ import annotations

from warroom.core.bus.events import Event


class UserCreated(Event):
    topic = "accounts.user_created"
    user_id: int
    username: str
    role: str
    agency_code: str | None


class UserLoggedIn(Event):
    topic = "accounts.user_logged_in"
    user_id: int
    username: str
    role: str
    source: str


class AccountLocked(Event):
    topic = "accounts.account_locked"
    user_id: int
    username: str
    source: str


class CredentialRevoked(Event):
    """Lets every app process drop a revoked session or token from its cache at once."""

    topic = "accounts.credential_revoked"
    feed = False
    credential_hash: str
