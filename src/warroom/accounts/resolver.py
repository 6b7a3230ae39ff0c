"""Turns presented credentials into a Principal, with a short-lived cache.

A credential is looked up in the database at most once per ``ttl`` seconds per process, which
keeps authenticated reads cheap. Revocation takes effect at once in the revoking process and,
through the ``CredentialRevoked`` event, in every other process; the TTL bounds the delay should
that event be missed.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from warroom.accounts.models import ApiToken, DeviceKey, LoginSession, User
from warroom.core.clock import utcnow
from warroom.core.db import Database
from warroom.core.security.credentials import credential_hash
from warroom.core.security.permissions import (
    DEVICE_PERMISSIONS,
    Principal,
    Role,
    permissions_for,
)
from warroom.core.ttlcache import TtlCache


def _user_principal(user: User, via: str, credential_id: int, csrf: str = "") -> Principal | None:
    if not user.active or (user.locked_until is not None and user.locked_until > utcnow()):
        return None
    role = Role(user.role)
    return Principal(
        kind="user",
        id=user.id,
        name=user.username,
        role=role,
        agency_code=user.agency_code,
        permissions=permissions_for(role),
        via=via,
        credential_id=credential_id,
        csrf_token=csrf,
    )


class AccountsResolver:
    def __init__(self, db: Database, *, ttl: float = 10.0, size: int = 50_000) -> None:
        self._db = db
        self._cache: TtlCache[str, Principal | None] = TtlCache(ttl, max_entries=size)

    def forget(self, digest: str) -> None:
        self._cache.drop(digest)

    async def from_session(self, session_id: str) -> Principal | None:
        return await self._cached(session_id, self._lookup_session)

    async def from_bearer(self, credential: str) -> Principal | None:
        return await self._cached(credential, self._lookup_bearer)

    async def _cached(
        self, credential: str, lookup: Callable[[str], Principal | None]
    ) -> Principal | None:
        digest = credential_hash(credential)
        found, principal = self._cache.lookup(digest)
        if not found:
            principal = await run_in_threadpool(lookup, digest)
            self._cache.put(digest, principal)
        return principal

    def _lookup_session(self, digest: str) -> Principal | None:
        with self._db.read() as session:
            row = session.execute(
                select(LoginSession, User)
                .join(User, User.id == LoginSession.user_id)
                .where(LoginSession.session_hash == digest)
            ).first()
            if row is None:
                return None
            login, user = row
            if login.revoked_at is not None or login.expires_at <= utcnow():
                return None
            return _user_principal(user, "session", login.id, login.csrf_token)

    def _lookup_bearer(self, digest: str) -> Principal | None:
        with self._db.read() as session:
            row = session.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == digest)
            ).first()
            if row is not None:
                token, user = row
                if token.revoked_at is not None or (
                    token.expires_at is not None and token.expires_at <= utcnow()
                ):
                    return None
                return _user_principal(user, "token", token.id)
            key = session.scalar(select(DeviceKey).where(DeviceKey.key_hash == digest))
            if key is None or key.revoked_at is not None:
                return None
            return Principal(
                kind="device",
                id=key.id,
                name=key.name,
                role=None,
                agency_code=key.agency_code,
                permissions=DEVICE_PERMISSIONS,
                via="device_key",
                credential_id=key.id,
            )
