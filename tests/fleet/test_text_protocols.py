"""NMEA, H02, TK103 and GPS103 beyond the shared vectors: logins, acks, alarms, rejections."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from warroom.fleet.encoders import SimFix, h02_binary_position
from warroom.fleet.protocols import (
    AlarmRecord,
    DecodeError,
    HeartbeatRecord,
    LoginRecord,
    PositionRecord,
    Session,
    h02,
    nmea,
    tk103,
)

RMC = b"$GPRMC,154403.000,A,6311.64120,N,01438.02740,E,0.000,0.0,270707,,*0A"
TK103_FIX = "151024A2555.3531S02855.3329E004.7055148276.1701000000L00009AA3"
# H02 binary frames from Traccar's H02ProtocolDecoderTest.
H02_BINARY = (
    "24410600082621532131081504419390060740418306000000fffffbfdff0015060000002c02dc0c000000001f"
)
H02_BINARY_PRAGUE = "2427051711092133391406135002584900014337822e000000ffffffffff0000"
H02_TEXT_PRAGUE = b"*HQ,2705171109,V1,213324,A,5002.5849,N,01433.7822,E,0.00,000,140613,FFFFFFFF#"
H02_BINARY_LONG_ID = (
    "2435248308419329301047591808172627335900074412294E024138FEFFFFFFFF01120064BA73005ECC"
)


def test_nmea_id_line_names_the_following_fixes() -> None:
    session = Session()
    login = nmea.decode(b"$PGID,359853000144328*0F\r\n", session)
    assert login.records == (LoginRecord("359853000144328"),)
    (position,) = nmea.decode(RMC, session).records
    assert position.device_id == "359853000144328"


def test_nmea_gpsgate_login_is_answered() -> None:
    decoded = nmea.decode(b"$FRLIN,IMEI,123456789012345,", Session())
    assert decoded.reply == f"$FRSES,1*{nmea.checksum('FRSES,1')}\r\n".encode()


def test_nmea_other_sentences_are_ignored() -> None:
    gga = b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47"
    assert nmea.decode(gga, Session()).records == ()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (RMC[:-2] + b"00", "checksum mismatch"),
        (b"GPRMC,1", "must start with '\\$'"),
        (b"$GPRMC,154403,A,6311.6,N", "needs 10"),
        (b"$GPRMC,154403,A,6391.6,N,01438.0,E,0,0,270707,,", "minutes"),
        (b"$GPRMC,154403,A,6311.6,N,01438.0,E,0,0,320707,,", "date/time is invalid"),
        (b"$GPRMC,\xff", "not ASCII"),
    ],
)
def test_nmea_rejects(line: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        nmea.decode(line, Session())


def test_h02_heartbeat_and_unknown_type() -> None:
    assert nmea.checksum("") == "00"
    beat = h02.decode(b"*HQ,4210051415,HTBT#", Session())
    assert beat.records == (HeartbeatRecord("4210051415"),)
    assert h02.decode(b"*HQ,4210051415,NBR,1,2#", Session()).records == ()


def test_h02_keeps_the_status_word() -> None:
    message = b"*HQ,4210051415,V1,164549,A,0956.3869,N,08406.7068,W,0,0,221215,FFFFFBFF#"
    (position,) = h02.decode(message, Session()).records
    assert isinstance(position, PositionRecord)
    assert position.attributes == {"status": "FFFFFBFF"}


def test_h02_rejects_unframed_text() -> None:
    with pytest.raises(DecodeError, match=r"\*\.\.\.#"):
        h02.decode(b"HQ,1,V1#", Session())


def _h02_binary(hex_frame: str, session: Session | None = None) -> PositionRecord:
    (position,) = h02.decode(bytes.fromhex(hex_frame), session or Session()).records
    assert isinstance(position, PositionRecord)
    return position


def test_h02_binary_frame_is_a_position() -> None:
    session = Session()
    decoded = h02.decode(bytes.fromhex(H02_BINARY), session)
    assert decoded.reply is None
    (position,) = decoded.records
    assert isinstance(position, PositionRecord)
    assert position.time == datetime(2015, 8, 31, 21, 53, 21, tzinfo=UTC)
    assert position.valid is True
    assert (position.lat, position.lon) == pytest.approx((4.69898, -74.06971), abs=1e-5)
    assert (position.speed_kmh, position.course) == (0.0, 0.0)
    assert position.attributes == {"status": "FFFFFBFD"}
    assert position.device_id == session.device_id == "4106000826"


def test_h02_binary_and_text_from_one_device_agree() -> None:
    """Traccar's suite has this device's fix as text and as binary, 15 s apart."""
    (text,) = h02.decode(H02_TEXT_PRAGUE, Session()).records
    binary = _h02_binary(H02_BINARY_PRAGUE)
    assert isinstance(text, PositionRecord)
    assert binary.device_id == text.device_id
    assert (binary.lat, binary.lon) == pytest.approx((text.lat, text.lon), abs=1e-9)
    assert (binary.time - text.time).total_seconds() == 15


def test_h02_binary_long_form_carries_the_imei() -> None:
    position = _h02_binary(H02_BINARY_LONG_ID)
    assert position.device_id == "352483084193293"
    assert (position.lat, position.lon) == pytest.approx((26.455598, 74.687157), abs=1e-6)
    assert position.speed_kmh == pytest.approx(24 * 1.852)
    assert position.course == 138.0


def test_h02_binary_round_trip_south_and_east() -> None:
    fix = SimFix(datetime(2026, 3, 1, 2, 3, 4, tzinfo=UTC), -5.147665, 119.432732, 37.04, 95)
    position = _h02_binary(h02_binary_position("4106000826", fix).hex())
    assert (position.lat, position.lon) == pytest.approx((fix.lat, fix.lon), abs=1e-5)
    assert (position.time, position.speed_kmh, position.course) == (fix.time, 37.04, 95.0)


def test_h02_binary_frame_typed_as_hex_text() -> None:
    spaced = " ".join(H02_BINARY[i : i + 8] for i in range(0, len(H02_BINARY), 8))
    assert h02.decode(spaced.encode(), Session()) == h02.decode(
        bytes.fromhex(H02_BINARY), Session()
    )


def test_h02_binary_without_a_fix_yet_gives_no_record() -> None:
    frame = bytearray(bytes.fromhex(H02_BINARY_PRAGUE))
    frame[9:12] = bytes(3)  # date 000000
    session = Session()
    assert h02.decode(bytes(frame), session).records == ()
    assert session.device_id == "2705171109"


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (bytes.fromhex(H02_BINARY_PRAGUE)[:31], "has 31 bytes, needs 32"),
        (b"$" + b"\xaa" * 31, "not a '\\$' position"),
        (bytes.fromhex(H02_BINARY_PRAGUE.replace("213339", "253339")), "not a '\\$' position"),
        (bytes.fromhex(H02_BINARY_PRAGUE.replace("140613", "310213")), "date/time is invalid"),
        (b"2441 06 zz", "must be"),
    ],
    ids=["short", "not-bcd", "hour-25", "31-february", "bad-hex"],
)
def test_h02_binary_rejects(frame: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        h02.decode(frame, Session())


def test_tk103_login_is_answered_and_carries_a_fix() -> None:
    message = f"(013632651491BP05000013632651491{TK103_FIX})".encode()
    decoded = tk103.decode_tk103(message, Session())
    login, position = decoded.records
    assert login == LoginRecord("013632651491")
    assert isinstance(position, PositionRecord)
    assert position.speed_kmh == pytest.approx(4.7)
    assert position.attributes["odometer"] == 0x9AA3
    assert decoded.reply == b"(013632651491AP05)"


def test_tk103_handshake_and_alarm_acks() -> None:
    handshake = tk103.decode_tk103(b"(013632651491BP00000013632651491HSO)", Session())
    assert handshake.reply == b"(013632651491AP01HSO)"
    alarm = tk103.decode_tk103(f"(013632651491BO012{TK103_FIX})".encode(), Session())
    (record,) = alarm.records
    assert isinstance(record, AlarmRecord)
    assert record.alarm == "sos"
    assert alarm.reply == b"(013632651491AS012)"


def test_tk103_rejects_a_broken_fix() -> None:
    with pytest.raises(DecodeError, match="position data is malformed"):
        tk103.decode_tk103(b"(013632651491BR00151024A25)", Session())


def test_gps103_login_and_heartbeat_get_load_and_on() -> None:
    session = Session()
    assert tk103.decode_gps103(b"##,imei:359586015829802,A;", session).reply == b"LOAD"
    assert session.device_id == "359586015829802"
    assert tk103.decode_gps103(b"359586015829802;", session).reply == b"ON"


def test_gps103_help_me_is_an_sos_alarm() -> None:
    message = (
        b"imei:359710045559474,help me,151030080103,,F,000101.000,A,5443.3834,N,02512.9071,E,"
        b"1.00,0;"
    )
    (record,) = tk103.decode_gps103(message, Session()).records
    assert isinstance(record, AlarmRecord)
    assert record.alarm == "sos"
    assert record.position is not None
    assert record.position.speed_kmh == pytest.approx(1.852)


def test_gps103_local_date_crossing_midnight_moves_back_a_day() -> None:
    # Local 2015-10-30 01:30 at UTC+8 is 2015-10-29 17:30 UTC.
    message = b"imei:1,tracker,1510300130,,F,173005.000,A,5443.3834,N,02512.9071,E,0,0;"
    (position,) = tk103.decode_gps103(message, Session()).records
    assert isinstance(position, PositionRecord)
    assert position.time.isoformat() == "2015-10-29T17:30:05+00:00"


def test_gps103_cell_report_has_no_fix() -> None:
    message = b"imei:359710045559474,tracker,151030080103,,L,,,177,,7a3d,,,,;"
    assert tk103.decode_gps103(message, Session()).records == ()
