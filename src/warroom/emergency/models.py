"""Tables of the emergency domain: calls, incidents and their timeline, units, assignments,
and the public warnings published as CAP.

Units keep their own last position (fed by the fleet's position events), so dispatch never
reads another domain's tables. ``version`` on units and incidents is bumped by every change;
assignment uses a conditional UPDATE on the unit's status so two dispatchers can never take
the same unit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from warroom.core.db import Base, UtcDateTime


class Incident(Base):
    __tablename__ = "emergency_incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)
    required_capabilities: Mapped[list[str]] = mapped_column(JSON)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    h3_cell: Mapped[str] = mapped_column(String(16), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    kelurahan_code: Mapped[str | None] = mapped_column(String(20))
    kelurahan: Mapped[str | None] = mapped_column(String(120))
    kecamatan_code: Mapped[str | None] = mapped_column(String(20), index=True)
    kecamatan: Mapped[str | None] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    # The clock starts when the first call rang (or the incident was created without a call).
    first_call_at: Mapped[datetime] = mapped_column(UtcDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    breaches: Mapped[list[str]] = mapped_column(JSON)  # targets already alerted, once each
    version: Mapped[int] = mapped_column(Integer, default=1)


class Call(Base):
    __tablename__ = "emergency_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    caller_number: Mapped[str] = mapped_column(String(40), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)  # started ringing
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    call_taker: Mapped[str] = mapped_column(String(120))
    call_type: Mapped[str] = mapped_column(String(20))
    incident_type: Mapped[str | None] = mapped_column(String(40))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    location_source: Mapped[str] = mapped_column(String(20))  # aml_sms, aml_https, address, map
    location_accuracy_m: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(300), default="")
    language: Mapped[str] = mapped_column(String(10), default="id")
    notes: Mapped[str] = mapped_column(Text, default="")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)  # question script answers
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("emergency_incidents.id"), index=True
    )


class TimelineEntry(Base):
    """Everything that happened to an incident, who did it and when (shown on its page)."""

    __tablename__ = "emergency_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("emergency_incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))  # created, status, call_linked, unit_*, note
    text: Mapped[str] = mapped_column(String(500))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class Unit(Base):
    __tablename__ = "emergency_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    callsign: Mapped[str] = mapped_column(String(40), unique=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), index=True)
    vehicle_id: Mapped[int | None] = mapped_column(Integer, unique=True)  # fleet vehicle
    capabilities: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)
    status_at: Mapped[datetime] = mapped_column(UtcDateTime)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("emergency_incidents.id"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    position_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Assignment(Base):
    """A unit sent to an incident, with the times of its progress there."""

    __tablename__ = "emergency_assignments"
    __table_args__ = (
        Index("ix_emergency_assignments_agency_incident", "agency_code", "incident_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("emergency_incidents.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("emergency_units.id"), index=True)
    agency_code: Mapped[str] = mapped_column(String(30))
    assigned_by: Mapped[str] = mapped_column(String(120))
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    eta_s: Mapped[float | None] = mapped_column(Float)  # as recommended when assigned
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    en_route_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    on_scene_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PublicWarning(Base):
    """A public warning, published as CAP 1.2 (the XML is kept exactly as published)."""

    __tablename__ = "emergency_warnings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    identifier: Mapped[str] = mapped_column(String(120), unique=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    headline: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(120))
    severity: Mapped[str] = mapped_column(String(20))
    area_desc: Mapped[str] = mapped_column(String(300))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("emergency_incidents.id"))
    sender: Mapped[str] = mapped_column(String(120))
    xml: Mapped[str] = mapped_column(Text)
