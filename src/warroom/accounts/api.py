"""Accounts JSON API: tokens, the caller, users, agencies and device keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, status

from warroom.accounts import service
from warroom.accounts.schemas import (
    AgencyCreate,
    AgencyRead,
    DeviceKeyCreate,
    DeviceKeyIssued,
    Me,
    PasswordReset,
    TokenIssued,
    TokenRequest,
    UserCreate,
    UserRead,
    UserUpdate,
)
from warroom.core.audit import Actor
from warroom.core.config import Settings
from warroom.core.http import DbDep, SettingsDep, actor_for, client_address, notify_outbox
from warroom.core.security.guard import public, require
from warroom.core.security.permissions import Permission, Principal
from warroom.core.security.ratelimit import SlidingWindowLimiter

router = APIRouter(prefix="/api", tags=["accounts"])

Caller = Principal  # readability in signatures below


def login_limiter(request: Request) -> SlidingWindowLimiter:
    limiter: SlidingWindowLimiter = request.app.state.login_limiter
    return limiter


def lockout_policy(settings: Settings) -> service.LockoutPolicy:
    from datetime import timedelta

    return service.LockoutPolicy(
        settings.login_max_failures, timedelta(minutes=settings.login_lockout_minutes)
    )


def forget_credential(request: Request, digest: str) -> None:
    """Revocation is immediate in this process; other processes learn it from the event."""
    request.app.state.principal_resolver.forget(digest)
    notify_outbox(request)


INVALID_LOGIN = "invalid username or password, or the account is locked or disabled"


def check_login_rate(request: Request) -> None:
    if not login_limiter(request).allow(client_address(request)):
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, "too many login attempts; wait a minute"
        )


@router.post("/auth/token", response_model=TokenIssued, dependencies=[public("login")])
def issue_token(
    body: TokenRequest, request: Request, db: DbDep, settings: SettingsDep
) -> TokenIssued:
    """Exchange a username and password for a bearer token (shown once)."""
    check_login_rate(request)
    source = client_address(request)
    with db.write() as session:
        user = service.authenticate(
            session,
            username=body.username.strip().lower(),
            password=body.password,
            source=source,
            policy=lockout_policy(settings),
        )
        if user is not None:
            token, raw = service.issue_token(
                session,
                user=user,
                name=body.name,
                expires_days=body.expires_days,
                actor=Actor(f"user:{user.username}", source),
            )
    notify_outbox(request)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, INVALID_LOGIN)
    return TokenIssued(id=token.id, token=raw, expires_at=token.expires_at)


@router.delete("/auth/tokens/{token_id}", status_code=204)
def revoke_token(
    token_id: int,
    request: Request,
    db: DbDep,
    me: Annotated[Caller, require(Permission.TOKENS_OWN)],
) -> None:
    owner = None if me.can(Permission.USERS_MANAGE) else me.id
    with db.write() as session:
        digest = service.revoke_token(
            session, token_id=token_id, owner_id=owner, actor=actor_for(request, me)
        )
    forget_credential(request, digest)


@router.get("/me", response_model=Me)
async def whoami(me: Annotated[Caller, require(Permission.WARROOM_VIEW)]) -> Me:
    return Me(
        id=me.id,
        name=me.name,
        kind=me.kind,
        role=me.role,
        agency_code=me.agency_code,
        permissions=sorted(me.permissions),
    )


@router.get("/users", response_model=list[UserRead])
def list_users(db: DbDep, _: Annotated[Caller, require(Permission.USERS_READ)]) -> list[UserRead]:
    from warroom.core.clock import utcnow

    now = utcnow()
    with db.read() as session:
        return [
            UserRead.model_validate(u).model_copy(update={"locked": service.is_locked(u, now)})
            for u in service.list_users(session)
        ]


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(
    body: UserCreate,
    request: Request,
    db: DbDep,
    me: Annotated[Caller, require(Permission.USERS_MANAGE)],
) -> UserRead:
    with db.write() as session:
        user = service.create_user(session, data=body, actor=actor_for(request, me))
        result = UserRead.model_validate(user)
    notify_outbox(request)
    return result


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(
    user_id: int,
    body: UserUpdate,
    request: Request,
    db: DbDep,
    me: Annotated[Caller, require(Permission.USERS_MANAGE)],
) -> UserRead:
    with db.write() as session:
        user = service.update_user(
            session, user_id=user_id, data=body, actor=actor_for(request, me)
        )
        return UserRead.model_validate(user)


@router.get("/agencies", response_model=list[AgencyRead])
def list_agencies(
    db: DbDep, _: Annotated[Caller, require(Permission.AGENCIES_READ)]
) -> list[AgencyRead]:
    with db.read() as session:
        return [AgencyRead.model_validate(a) for a in service.list_agencies(session)]


@router.post("/device-keys", response_model=DeviceKeyIssued, status_code=201)
def issue_device_key(
    body: DeviceKeyCreate,
    request: Request,
    db: DbDep,
    me: Annotated[Caller, require(Permission.DEVICE_KEYS_MANAGE)],
) -> DeviceKeyIssued:
    with db.write() as session:
        key, raw = service.issue_device_key(session, data=body, actor=actor_for(request, me))
        return DeviceKeyIssued(id=key.id, name=key.name, key=raw)


@router.delete("/device-keys/{key_id}", status_code=204)
def revoke_device_key(
    key_id: int,
    request: Request,
    db: DbDep,
    me: Annotated[Caller, require(Permission.DEVICE_KEYS_MANAGE)],
) -> None:
    with db.write() as session:
        digest = service.revoke_device_key(session, key_id=key_id, actor=actor_for(request, me))
    forget_credential(request, digest)


@router.post("/agencies", response_model=AgencyRead, status_code=201)
def create_agency(
    body: AgencyCreate,
    request: Request,
    db: DbDep,
    me: Annotated[Caller, require(Permission.AGENCIES_MANAGE)],
) -> AgencyRead:
    with db.write() as session:
        agency = service.create_agency(session, data=body, actor=actor_for(request, me))
        return AgencyRead.model_validate(agency)


@router.post("/users/{user_id}/password", status_code=204)
def reset_password(
    user_id: int,
    body: PasswordReset,
    request: Request,
    db: DbDep,
    me: Annotated[Caller, require(Permission.USERS_MANAGE)],
) -> None:
    """Set a new password (also unlocks the account); audited, the password never logged."""
    with db.write() as session:
        user = service.get_user(session, user_id=user_id)
        service.set_password(
            session, username=user.username, password=body.password, actor=actor_for(request, me)
        )
