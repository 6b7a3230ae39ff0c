"""Advanced Mobile Location (AML): the caller's handset sends its own position when it dials
112, either as an SMS or as an HTTPS POST (form-encoded). Both formats are parsed here.

SMS (ETSI TS 103 625 / EENA): ``A"ML=1;lt=+55.74317;lg=-004.26881;rd=50;top=20130717141935;
lc=90;pm=W;si=...;ei=...;mcc=234;mnc=30;ml=124`` with ``top`` the UTC time of positioning,
``rd`` the radius in metres, ``lc`` the confidence in percent and ``pm`` the method (G GNSS,
W Wi-Fi, C cell, N none).

HTTPS: ``v=3&location_latitude=..&location_longitude=..&location_time=<ms since epoch>&
location_accuracy=..&location_source=gps&location_certainty=..&device_number=..`` (the
fields Android's Emergency Location Service and iOS send).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs

from warroom.core.errors import InvalidInputError

_SMS_PREFIX = re.compile(r'^\s*A"ML=(\d+);', re.IGNORECASE)
_SMS_METHODS = {"G": "gnss", "W": "wifi", "C": "cell", "N": "none"}


class AmlError(InvalidInputError):
    """An AML message that cannot be read; the call-taker falls back to address or map."""


@dataclass(frozen=True)
class AmlLocation:
    lat: float
    lon: float
    accuracy_m: float | None
    confidence_pct: float | None
    positioned_at: datetime | None
    method: str
    number: str | None
    transport: str  # "aml_sms" or "aml_https"


def parse_aml(raw: str) -> AmlLocation:
    """An AML message in either format; AmlError when it is neither or carries no position."""
    text = raw.strip()
    if _SMS_PREFIX.match(text):
        return parse_sms(text)
    if "location_latitude=" in text:
        return parse_https(text)
    raise AmlError('not an AML message: expected an SMS starting A"ML= or HTTPS form data')


def parse_sms(text: str) -> AmlLocation:
    fields = dict(part.split("=", 1) for part in text.strip().rstrip(";").split(";") if "=" in part)
    method = _SMS_METHODS.get(fields.get("pm", "N").upper(), "unknown")
    if method == "none" or "lt" not in fields or "lg" not in fields:
        raise AmlError("the AML SMS carries no position (pm=N or no lt/lg)")
    return AmlLocation(
        lat=_coordinate(fields["lt"], 90, "lt"),
        lon=_coordinate(fields["lg"], 180, "lg"),
        accuracy_m=_optional_float(fields.get("rd"), "rd"),
        confidence_pct=_optional_float(fields.get("lc"), "lc"),
        positioned_at=_sms_time(fields.get("top")),
        method=method,
        number=None,  # the SMS comes from the caller's number, known to the network
        transport="aml_sms",
    )


def parse_https(text: str) -> AmlLocation:
    form = {key: values[0] for key, values in parse_qs(text, keep_blank_values=False).items()}
    if "location_latitude" not in form or "location_longitude" not in form:
        raise AmlError("the AML HTTPS data has no location_latitude/location_longitude")
    millis = _optional_float(form.get("location_time"), "location_time")
    return AmlLocation(
        lat=_coordinate(form["location_latitude"], 90, "location_latitude"),
        lon=_coordinate(form["location_longitude"], 180, "location_longitude"),
        accuracy_m=_optional_float(form.get("location_accuracy"), "location_accuracy"),
        confidence_pct=_optional_float(form.get("location_certainty"), "location_certainty"),
        positioned_at=datetime.fromtimestamp(millis / 1000, UTC) if millis else None,
        method=form.get("location_source", "unknown").lower(),
        number=form.get("device_number"),
        transport="aml_https",
    )


def _coordinate(value: str, limit: float, name: str) -> float:
    number = _optional_float(value, name)
    if number is None or not -limit <= number <= limit:
        raise AmlError(f"AML field {name}={value!r} is not a coordinate within ±{limit:g}")
    return number


def _optional_float(value: str | None, name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise AmlError(f"AML field {name}={value!r} is not a number") from None


def _sms_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        raise AmlError(f"AML field top={value!r} is not YYYYMMDDhhmmss") from None
