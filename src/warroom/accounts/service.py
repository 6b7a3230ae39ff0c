"""Accounts operations. Functions take the caller's session and never commit: the caller's
transaction holds the change, its audit entry and its events together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.accounts.events import AccountLocked, CredentialRevoked, UserCreated, UserLoggedIn
from warroom.accounts.models import Agency, ApiToken, DeviceKey, LoginSession, User
from warroom.accounts.schemas import AgencyCreate, DeviceKeyCreate, UserCreate, UserUpdate
from warroom.core import audit, outbox
from warroom.core.clock import utcnow
from warroom.core.errors import ConflictError, InvalidInputError, NotFoundError
from warroom.core.security import credentials
from warroom.core.security.passwords import (
    check_password_strength,
    hash_password,
    needs_rehash,
    verify_password,
)
from warroom.core.security.permissions import Role


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int
    lockout: timedelta


def _check_agency(session: Session, role: Role, agency_code: str | None) -> None:
    if role is Role.PARTNER and not agency_code:
        raise InvalidInputError("a partner account must belong to an agency (--agency CODE)")
    if agency_code and session.get(Agency, agency_code) is None:
        known = ", ".join(session.scalars(select(Agency.code).order_by(Agency.code)))
        raise InvalidInputError(f"unknown agency {agency_code!r}; known agencies: {known}")


def create_user(session: Session, *, data: UserCreate, actor: audit.Actor) -> User:
    _check_agency(session, data.role, data.agency_code)
    check_password_strength(data.password)
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise ConflictError(f"user {data.username!r} already exists")
    user = User(
        username=data.username,
        display_name=data.display_name or data.username,
        role=data.role.value,
        agency_code=data.agency_code,
        password_hash=hash_password(data.password),
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.created",
        target_type="user",
        target_id=user.id,
        detail={"username": user.username, "role": user.role, "agency": user.agency_code},
    )
    outbox.enqueue(
        session,
        UserCreated(
            user_id=user.id, username=user.username, role=user.role, agency_code=user.agency_code
        ),
    )
    return user


def set_password(session: Session, *, username: str, password: str, actor: audit.Actor) -> User:
    user = get_user_by_name(session, username=username)
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    audit.record(
        session,
        actor=actor,
        action="user.password_set",
        target_type="user",
        target_id=user.id,
        detail={"username": username},
    )
    return user


def update_user(session: Session, *, user_id: int, data: UserUpdate, actor: audit.Actor) -> User:
    user = get_user(session, user_id=user_id)
    changes = data.model_dump(exclude_unset=True)
    role = Role(changes.get("role", user.role))
    _check_agency(session, role, changes.get("agency_code", user.agency_code))
    for name, value in changes.items():
        setattr(user, name, value.value if isinstance(value, Role) else value)
    if changes.get("active") is True:
        user.failed_logins, user.locked_until = 0, None
    audit.record(
        session,
        actor=actor,
        action="user.updated",
        target_type="user",
        target_id=user.id,
        detail={k: str(v) for k, v in changes.items()},
    )
    return user


def get_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    return user


def get_user_by_name(session: Session, *, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user named {username!r}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def list_agencies(session: Session) -> list[Agency]:
    return list(session.scalars(select(Agency).order_by(Agency.code)))


def create_agency(session: Session, *, data: AgencyCreate, actor: audit.Actor) -> Agency:
    if session.get(Agency, data.code) is not None:
        raise ConflictError(f"agency {data.code!r} already exists")
    agency = Agency(code=data.code, name=data.name, kind=data.kind)
    session.add(agency)
    audit.record(
        session,
        actor=actor,
        action="agency.created",
        target_type="agency",
        target_id=data.code,
        detail={"name": data.name, "kind": data.kind},
    )
    return agency


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def authenticate(
    session: Session, *, username: str, password: str, source: str, policy: LockoutPolicy
) -> User | None:
    """The user when the password is right and the account usable; None otherwise.

    Every failure looks the same to the caller (no hint whether the user exists or is locked);
    the reason is in the audit trail.
    """
    now = utcnow()
    user = session.scalar(select(User).where(User.username == username))
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None:
        return None
    if not user.active or is_locked(user, now):
        _audit_login(session, user, source, "login.refused", "inactive or locked")
        return None
    if not password_ok:
        _count_failure(session, user, source, policy, now)
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    _audit_login(session, user, source, "login.succeeded", "")
    outbox.enqueue(
        session,
        UserLoggedIn(user_id=user.id, username=user.username, role=user.role, source=source),
    )
    return user


def _count_failure(
    session: Session, user: User, source: str, policy: LockoutPolicy, now: datetime
) -> None:
    user.failed_logins += 1
    if user.failed_logins >= policy.max_failures:
        user.locked_until, user.failed_logins = now + policy.lockout, 0
        _audit_login(session, user, source, "login.locked", f"{policy.max_failures} failures")
        outbox.enqueue(
            session, AccountLocked(user_id=user.id, username=user.username, source=source)
        )
    else:
        _audit_login(session, user, source, "login.failed", "wrong password")


def _audit_login(session: Session, user: User, source: str, action: str, reason: str) -> None:
    audit.record(
        session,
        actor=audit.Actor(f"user:{user.username}", source),
        action=action,
        target_type="user",
        target_id=user.id,
        detail={"reason": reason} if reason else {},
    )


def open_session(
    session: Session, *, user: User, source: str, user_agent: str, lifetime: timedelta
) -> str:
    """Create a login session; returns the cookie value (never stored in clear)."""
    cookie = credentials.new_credential(credentials.SESSION_PREFIX)
    now = utcnow()
    session.add(
        LoginSession(
            session_hash=credentials.credential_hash(cookie),
            user_id=user.id,
            csrf_token=credentials.new_csrf_token(),
            created_at=now,
            expires_at=now + lifetime,
            source=source[:120],
            user_agent=user_agent[:300],
        )
    )
    return cookie


def close_session(session: Session, *, cookie: str, actor: audit.Actor) -> str:
    """Revoke the login session behind ``cookie``; returns its hash for cache eviction."""
    digest = credentials.credential_hash(cookie)
    row = session.scalar(select(LoginSession).where(LoginSession.session_hash == digest))
    if row is None or row.revoked_at is not None:
        return digest
    row.revoked_at = utcnow()
    audit.record(
        session, actor=actor, action="logout", target_type="login_session", target_id=row.id
    )
    outbox.enqueue(session, CredentialRevoked(credential_hash=digest))
    return digest


def issue_token(
    session: Session, *, user: User, name: str, expires_days: float | None, actor: audit.Actor
) -> tuple[ApiToken, str]:
    raw = credentials.new_credential(credentials.TOKEN_PREFIX)
    expires = utcnow() + timedelta(days=expires_days) if expires_days else None
    token = ApiToken(
        token_hash=credentials.credential_hash(raw),
        user_id=user.id,
        name=name,
        created_at=utcnow(),
        expires_at=expires,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="token.issued",
        target_type="api_token",
        target_id=token.id,
        detail={"user": user.username, "name": name},
    )
    return token, raw


def revoke_token(
    session: Session, *, token_id: int, owner_id: int | None, actor: audit.Actor
) -> str:
    """Revoke a token; ``owner_id`` restricts it to that user's tokens (None: any, for admins).

    Returns the credential hash so the caller can drop it from caches.
    """
    token = session.get(ApiToken, token_id)
    if token is None or (owner_id is not None and token.user_id != owner_id):
        raise NotFoundError(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="token.revoked",
            target_type="api_token",
            target_id=token.id,
        )
        outbox.enqueue(session, CredentialRevoked(credential_hash=token.token_hash))
    return token.token_hash


def issue_device_key(
    session: Session, *, data: DeviceKeyCreate, actor: audit.Actor
) -> tuple[DeviceKey, str]:
    if data.agency_code and session.get(Agency, data.agency_code) is None:
        raise InvalidInputError(f"unknown agency {data.agency_code!r}")
    raw = credentials.new_credential(credentials.DEVICE_KEY_PREFIX)
    key = DeviceKey(
        key_hash=credentials.credential_hash(raw),
        name=data.name,
        kind=data.kind,
        agency_code=data.agency_code,
        created_at=utcnow(),
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="device_key.issued",
        target_type="device_key",
        target_id=key.id,
        detail={"name": data.name, "kind": data.kind},
    )
    return key, raw


def revoke_device_key(session: Session, *, key_id: int, actor: audit.Actor) -> str:
    key = session.get(DeviceKey, key_id)
    if key is None:
        raise NotFoundError(f"no device key with id {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="device_key.revoked",
            target_type="device_key",
            target_id=key.id,
        )
        outbox.enqueue(session, CredentialRevoked(credential_hash=key.key_hash))
    return key.key_hash
