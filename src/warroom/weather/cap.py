"""CAP 1.2 warnings as BMKG publishes them, and the nowcast RSS that links them.

Parsed with defusedxml (no entity expansion, no external entities). CAP times must carry an
offset (``2026-09-24T15:07:00+08:00``); polygons are closed rings of ``lat,lon`` pairs and are
turned into shapely polygons in lon/lat order (GeoJSON's), refusing open, short, out-of-range or
self-intersecting rings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from xml.etree.ElementTree import Element

from defusedxml import ElementTree  # type: ignore[import-untyped, unused-ignore]
from defusedxml.common import DefusedXmlException  # type: ignore[import-untyped, unused-ignore]
from shapely.geometry import Polygon  # type: ignore[import-untyped, unused-ignore]

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
_NS = {"cap": CAP_NS}


class FeedError(ValueError):
    """A feed answered with something that is not what it should publish."""


@dataclass(frozen=True)
class CapWarning:
    identifier: str
    sender: str
    sent: datetime
    msg_type: str
    references: list[str]
    event: str
    severity: str
    urgency: str
    certainty: str
    headline: str
    description: str
    effective: datetime | None
    expires: datetime | None
    area_desc: str
    polygons: list[Polygon]


def _xml(data: bytes) -> Element:
    try:
        root: Element = ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise FeedError(f"not well-formed or unsafe XML: {exc}") from None
    return root


def cap_time(text: str | None, field: str) -> datetime:
    try:
        value = datetime.fromisoformat((text or "").strip())
    except ValueError:
        raise FeedError(f"CAP {field} {text!r} is not a date-time") from None
    if value.tzinfo is None:
        raise FeedError(f"CAP {field} {text!r} has no UTC offset")
    return value


def parse_polygon(text: str) -> Polygon:
    points = []
    for pair in text.split():
        lat_text, _, lon_text = pair.partition(",")
        try:
            lat, lon = float(lat_text), float(lon_text)
        except ValueError:
            raise FeedError(f"CAP polygon point {pair!r} is not 'lat,lon'") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise FeedError(f"CAP polygon point {pair!r} is out of range")
        points.append((lon, lat))
    if len(points) < 4 or points[0] != points[-1]:
        raise FeedError("a CAP polygon needs at least 4 points and must be closed")
    polygon = Polygon(points)
    if not polygon.is_valid:
        raise FeedError("CAP polygon intersects itself")
    return polygon


def _text(element: Element, path: str, default: str = "") -> str:
    found = element.find(path, _NS)
    return (found.text or "").strip() if found is not None and found.text else default


def parse_cap(data: bytes) -> CapWarning:
    root = _xml(data)
    if root.tag != f"{{{CAP_NS}}}alert":
        raise FeedError("not a CAP 1.2 alert")
    identifier = _text(root, "cap:identifier")
    if not identifier:
        raise FeedError("CAP alert without identifier")
    infos = root.findall("cap:info", _NS)
    if not infos:
        raise FeedError(f"CAP alert {identifier} has no info block")
    info = next((i for i in infos if _text(i, "cap:language").startswith("id")), infos[0])
    areas = info.findall("cap:area", _NS)
    effective, expires = _text(info, "cap:effective"), _text(info, "cap:expires")
    return CapWarning(
        identifier=identifier,
        sender=_text(root, "cap:sender"),
        sent=cap_time(_text(root, "cap:sent"), "sent"),
        msg_type=_text(root, "cap:msgType", "Alert"),
        references=_references(_text(root, "cap:references")),
        event=_text(info, "cap:event"),
        severity=_text(info, "cap:severity", "Unknown"),
        urgency=_text(info, "cap:urgency", "Unknown"),
        certainty=_text(info, "cap:certainty", "Unknown"),
        headline=_text(info, "cap:headline")[:300],
        description=_text(info, "cap:description"),
        effective=cap_time(effective, "effective") if effective else None,
        expires=cap_time(expires, "expires") if expires else None,
        area_desc="; ".join(_text(a, "cap:areaDesc") for a in areas)[:500],
        polygons=[
            parse_polygon(p.text or "") for a in areas for p in a.findall("cap:polygon", _NS)
        ],
    )


def _references(text: str) -> list[str]:
    """CAP references are ``sender,identifier,sent`` triples separated by spaces."""
    return [ref.split(",")[1] for ref in text.split() if ref.count(",") == 2]


def parse_rss(data: bytes) -> list[str]:
    """The CAP document links of a nowcast RSS feed, in feed order."""
    root = _xml(data)
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise FeedError("not an RSS 2.0 document")
    links = [(item.findtext("link") or "").strip() for item in channel.findall("item")]
    return [link for link in links if link]
