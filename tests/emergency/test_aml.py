"""AML SMS and HTTPS parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from warroom.emergency.aml import AmlError, parse_aml

SMS = (
    'A"ML=1;lt=-05.14770;lg=+119.43270;rd=15;top=20260924070700;lc=68;pm=G;'
    "si=510101234567890;ei=356938035643809;mcc=510;mnc=10;ml=124"
)
HTTPS = (
    "v=3&thunderbird_version=2.0&location_latitude=-5.1352&location_longitude=119.4121"
    "&location_time=1790233620000&location_accuracy=12.5&location_source=gps"
    "&location_certainty=83&device_number=%2B628114567890&emergency_number=112"
)


def test_sms_position_accuracy_and_time() -> None:
    found = parse_aml(SMS)
    assert (found.lat, found.lon) == (-5.1477, 119.4327)
    assert found.accuracy_m == 15 and found.confidence_pct == 68
    assert found.positioned_at == datetime(2026, 9, 24, 7, 7, tzinfo=UTC)
    assert found.method == "gnss" and found.transport == "aml_sms"


def test_https_form_data() -> None:
    found = parse_aml(HTTPS)
    assert (found.lat, found.lon, found.accuracy_m) == (-5.1352, 119.4121, 12.5)
    assert found.number == "+628114567890" and found.transport == "aml_https"
    assert found.positioned_at is not None and found.positioned_at.year == 2026


@pytest.mark.parametrize(
    "raw",
    [
        "hello",
        'A"ML=1;pm=N;top=20260924070700',
        'A"ML=1;lt=-95.0;lg=119.4;pm=G',
        'A"ML=1;lt=abc;lg=119.4;pm=G',
        "location_latitude=-5.1&device_number=1",
    ],
)
def test_bad_aml_is_a_clear_error(raw: str) -> None:
    with pytest.raises(AmlError):
        parse_aml(raw)
