"""Request and response bodies of the accounts API. Unknown fields are refused."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from warroom.core.schemas import Strict, not_null
from warroom.core.security.permissions import Role

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"


class UserCreate(Strict):
    username: str = Field(pattern=USERNAME_PATTERN, description="Lower-case login name.")
    display_name: str = Field(default="", max_length=120)
    role: Role
    agency_code: str | None = Field(default=None, max_length=30)
    password: str = Field(min_length=10, max_length=200)


class UserUpdate(Strict):
    display_name: str | None = Field(default=None, max_length=120)
    role: Role | None = None
    agency_code: str | None = Field(default=None, max_length=30)
    active: bool | None = None

    _present = not_null("display_name", "role", "active")


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    agency_code: str | None
    active: bool
    locked: bool = False
    created_at: datetime
    last_login_at: datetime | None


class AgencyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    kind: str


class AgencyCreate(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,29}$", description="Short lower-case code.")
    name: str = Field(min_length=2, max_length=160)
    kind: str = Field(
        pattern=r"^(police|fire|health|disaster|sar|transport|sanitation|public_order|"
        r"utility|government|other)$"
    )


class PasswordReset(Strict):
    password: str = Field(min_length=10, max_length=200)


class TokenRequest(Strict):
    username: str = Field(max_length=64)
    password: str = Field(max_length=200)
    name: str = Field(default="api", max_length=120, description="What the token is for.")
    expires_days: float | None = Field(default=30, gt=0, le=366)


class TokenIssued(BaseModel):
    id: int
    token: str = Field(description="Shown once; only its hash is stored.")
    token_type: str = "bearer"  # noqa: S105 - OAuth token type, not a secret
    expires_at: datetime | None


class DeviceKeyCreate(Strict):
    name: str = Field(min_length=1, max_length=120)
    kind: str = Field(pattern=r"^(tracker|sensor|camera)$")
    agency_code: str | None = Field(default=None, max_length=30)


class DeviceKeyIssued(BaseModel):
    id: int
    name: str
    key: str = Field(description="Shown once; only its hash is stored.")


class Me(BaseModel):
    id: int
    name: str
    kind: str
    role: Role | None
    agency_code: str | None
    permissions: list[str]
