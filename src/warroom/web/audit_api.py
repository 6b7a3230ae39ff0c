"""Reading the audit trail: entries with filters, and the chain check auditors run."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from warroom.core.audit import AuditEntry, verify_chain
from warroom.core.http import DbDep
from warroom.core.security.guard import require
from warroom.core.security.permissions import Permission, Principal

router = APIRouter(prefix="/api/audit", tags=["audit"])
Auditor = Annotated[Principal, require(Permission.AUDIT_READ)]


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    detail: dict[str, Any]
    source: str
    hash: str


class ChainCheck(BaseModel):
    intact: bool
    checked: int
    first_bad_id: int | None
    reason: str


@router.get("", response_model=list[AuditEntryRead])
def list_entries(
    db: DbDep,
    _: Auditor,
    action: Annotated[str | None, Query(max_length=80)] = None,
    actor: Annotated[str | None, Query(max_length=120)] = None,
    before_id: Annotated[int | None, Query(ge=1, description="Page back from this id")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditEntryRead]:
    """Newest first. Page with ``before_id`` = the smallest id of the previous page."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    with db.read() as session:
        return [AuditEntryRead.model_validate(e) for e in session.scalars(query)]


@router.get("/verify", response_model=ChainCheck)
def verify(db: DbDep, _: Auditor) -> ChainCheck:
    """Walk the whole hash chain (the API twin of `warroom audit verify`)."""
    with db.read() as session:
        report = verify_chain(session)
    return ChainCheck(
        intact=report.intact,
        checked=report.checked,
        first_bad_id=report.first_bad_id,
        reason=report.reason,
    )
