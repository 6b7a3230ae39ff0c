"""GT06 and Teltonika beyond the shared vectors: sessions, acks, alarms, CRCs, other codecs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.fleet.streams import FRAMES
from warroom.fleet.encoders import SimFix, gt06_position_4g
from warroom.fleet.protocols import (
    AlarmRecord,
    Decoded,
    DecodeError,
    HeartbeatRecord,
    PositionRecord,
    Session,
    gt06,
    teltonika,
)
from warroom.fleet.protocols.crc import crc16_arc, crc16_x25

GT06_LOGIN, GT06_POSITION = FRAMES["gt06"][0], FRAMES["gt06"][1]
TELTONIKA_LOGIN, TELTONIKA_AVL = FRAMES["teltonika"][0], FRAMES["teltonika"][2]
FIX = bytes.fromhex("0f0a140e150bc505e51e780293a9e8005400")  # from vector G1
CODEC_8E = (
    "000000000000004A8E010000016B412CEE000100000000000000000000000000000000010005000100010100"
    "010011001D00010010015E2C880002000B000000003544C87A000E000000001DD7E06A00000100002994"
)
CODEC_16 = (
    "000000000000005F10020000016BDBC7833000000000000000000000000000000000000B05040200010000030002"
    "000B00270042563A00000000016BDBC7871800000000000000000000000000000000000B05040200010000030002"
    "000B00260042563A00000200005FB3"
)


def gt06_frame(kind: int, body: bytes, serial: int = 7) -> bytes:
    payload = bytes([len(body) + 5, kind]) + body + serial.to_bytes(2, "big")
    return b"\x78\x78" + payload + crc16_x25(payload).to_bytes(2, "big") + b"\r\n"


def test_crc_catalogue_check_values() -> None:
    assert crc16_x25(b"123456789") == 0x906E
    assert crc16_arc(b"123456789") == 0xBB3D


def test_gt06_position_after_login_carries_the_imei_and_is_acked() -> None:
    session = Session()
    gt06.decode(GT06_LOGIN, session)
    decoded = gt06.decode(GT06_POSITION, session)
    (position,) = decoded.records
    assert isinstance(position, PositionRecord)
    assert position.device_id == "864717003283581"
    assert decoded.reply == gt06.make_reply(0x12, GT06_POSITION[-6:-4])


def test_gt06_heartbeat_status_and_ack() -> None:
    decoded = gt06.decode(gt06_frame(0x13, bytes([0x06, 4, 3, 0, 2]), serial=9), Session("1"))
    (beat,) = decoded.records
    assert beat == HeartbeatRecord(
        "1", {"armed": False, "ignition": True, "charging": True, "battery_level": 4, "rssi": 3}
    )
    assert decoded.reply == gt06_frame(0x13, b"", serial=9)


def test_gt06_sos_alarm_with_its_fix() -> None:
    cell = bytes([9]) + bytes(8)
    body = FIX + cell + bytes([0x02, 5, 4, 0x01, 0x02])
    decoded = gt06.decode(gt06_frame(0x16, body), Session("1"))
    (alarm,) = decoded.records
    assert isinstance(alarm, AlarmRecord)
    assert alarm.alarm == "sos"
    assert alarm.position is not None
    assert alarm.position.lat == pytest.approx(54.94535, abs=1e-5)
    assert alarm.to_json_dict()["kind"] == "alarm"
    assert decoded.reply is not None


def test_gt06_extended_login_sets_the_device_clock_offset() -> None:
    imei = bytes.fromhex("0864717003283581")
    session = Session()
    gt06.decode(gt06_frame(0x01, imei + b"\x00\x01" + (800 << 4).to_bytes(2, "big")), session)
    assert session.utc_offset_minutes == 8 * 60
    (position,) = gt06.decode(gt06_frame(0x12, FIX), session).records
    assert isinstance(position, PositionRecord)
    assert position.time.hour == 14 - 8


def test_gt06_bad_crc_is_rejected() -> None:
    broken = GT06_LOGIN[:-4] + b"\x00\x00\r\n"
    with pytest.raises(DecodeError, match="CRC mismatch"):
        gt06.decode(broken, Session())


# GT06 vectors from Traccar's Gt06ProtocolDecoderTest (traccar/traccar and its fork
# sushantjagtap5543/track, which carries the newer 4G cases).
GT06_4G_POSITION = (
    "787829a01707150f2d0ecd01635100041e96d000087c02d4020000912e000000000718798d000e0006ed3ce50d0a"
)
GT06_4G_POSITION_IGNITION_ON = (
    "787829a0170704112226cf0163fe7c0420f6f000091302d402000091290000000007186b8f01030001460d010d0a"
)
GT06_MODULES_POSITION = (
    "7878353714080d05000ac500a886eb0b7522f000100001fe0a05ea004f1b000001002e0400002328003b0217c0"
    "003c0401020001002c468a0d0a"
)
GT06_LBS_WIFI = (
    "7878412c11030b011c1f013604cb8a00b17754cb8a00bef357cb8a00b73f5fcb8900b0e25fcb8900b6655fcb8a"
    "00b74960cb8a00b178620701001801eb40393800bbbde10d0a"
)
# Traccar's 4G alarm vector "78782DA4...01908A640D0A" with its CRC recomputed: Traccar does not
# check CRCs and the published bytes fail CRC-16/X-25; the rest is as published.
GT06_4G_ALARM = (
    "78782da4150817073b10cf032eea9c0b6ce0800015141001cc0100009a00000000000a6f24014605041900ff01"
    "90ffba0d0a"
)


def _gt06(hex_frame: str) -> Decoded:
    return gt06.decode(bytes.fromhex(hex_frame), Session("1"))


def test_gt06_4g_position_reads_the_wide_cell_and_upload_flags() -> None:
    decoded = _gt06(GT06_4G_POSITION)
    (position,) = decoded.records
    assert isinstance(position, PositionRecord)
    assert position.time == datetime(2023, 7, 21, 15, 45, 14, tzinfo=UTC)
    assert (position.lat, position.lon) == pytest.approx((-12.936676, -38.396418), abs=1e-6)
    assert position.attributes == {
        "mcc": 724,
        "mnc": 2,
        "lac": 0x912E,
        "cid": 0x718798D,
        "ignition": False,
        "event": 0x0E,
        "archive": False,
    }
    assert decoded.reply == gt06.make_reply(0xA0, bytes.fromhex("06ed"))
    (on,) = _gt06(GT06_4G_POSITION_IGNITION_ON).records
    assert isinstance(on, PositionRecord)
    assert on.attributes["ignition"] is True


def test_gt06_4g_position_round_trip_with_odometer() -> None:
    fix = SimFix(
        datetime(2026, 3, 1, 2, 3, 4, tzinfo=UTC), -5.147665, 119.432732, 37, 95, True, True
    )
    decoded = gt06.decode(gt06_position_4g(fix, serial=3, odometer_m=123456), Session("1"))
    (position,) = decoded.records
    assert isinstance(position, PositionRecord)
    assert (position.lat, position.lon) == pytest.approx((fix.lat, fix.lon), abs=1e-6)
    assert position.attributes["odometer"] == 123456
    assert (position.attributes["lac"], position.attributes["cid"]) == (0x0B2C, 0xC3A1)
    assert decoded.reply == gt06.make_reply(0xA0, b"\x00\x03")


def test_gt06_position_with_modules_reads_odometer_and_accuracy() -> None:
    decoded = _gt06(GT06_MODULES_POSITION)
    (position,) = decoded.records
    assert isinstance(position, PositionRecord)
    assert (position.lat, position.lon) == pytest.approx((-6.135882, 106.79224), abs=1e-6)
    assert position.attributes["mcc"] == 510
    assert position.attributes["archive"] is True
    assert position.attributes["odometer"] == 9000
    assert position.attributes["accuracy"] == pytest.approx(60.8)
    assert decoded.reply == gt06.make_reply(0x37, bytes.fromhex("002c"))


def test_gt06_two_byte_mnc_when_mcc_bit_15_is_set() -> None:
    cell = (0x8000 | 510).to_bytes(2, "big") + (0x0123).to_bytes(2, "big") + bytes(5)
    (position,) = gt06.decode(gt06_frame(0x12, FIX + cell), Session("1")).records
    assert isinstance(position, PositionRecord)
    assert (position.attributes["mcc"], position.attributes["mnc"]) == (510, 0x0123)


def test_gt06_4g_alarm_reads_its_length_prefixed_cell() -> None:
    decoded = _gt06(GT06_4G_ALARM)
    (alarm,) = decoded.records
    assert isinstance(alarm, AlarmRecord)
    assert alarm.alarm == "alarm_0x19"
    assert alarm.position is not None
    assert alarm.position.attributes["battery_level"] == 5
    assert decoded.reply == gt06.make_reply(0xA4, bytes.fromhex("0190"))


def test_gt06_heartbeats_with_battery_level_or_voltage() -> None:
    level = _gt06("78780a13c40604000201298f5b0d0a")
    assert level.records == (
        HeartbeatRecord(
            "1",
            {"armed": False, "ignition": False, "charging": True, "battery_level": 6, "rssi": 4},
        ),
    )
    assert level.reply == gt06.make_reply(0x13, bytes.fromhex("0129"))
    volts = _gt06("78780B23C00122040001000818720D0A")
    (beat,) = volts.records
    assert isinstance(beat, HeartbeatRecord)
    assert beat.attributes["battery_voltage"] == pytest.approx(2.90)
    assert volts.reply == gt06.make_reply(0x23, bytes.fromhex("0008"))


@pytest.mark.parametrize(
    ("hex_frame", "attributes"),
    [
        ("7878079404eb001c705d0d0a", {"power": 12.59}),
        ("79790008940000ed0289d6860d0a", {"info_type": 0, "power": 2.37}),
        (
            "79790020940a035985708236675805200502187214018966051912408052452f000355560d0a",
            {"info_type": 0x0A, "imsi": "520050218721401", "iccid": "8966051912408052452"},
        ),
        ("7979000d940516090908081c030defbd2d0d0a", {"info_type": 5, "door": True}),
        ("79790007940B010A0B5ACE0D0A", {"info_type": 0x0B, "network": "4G"}),
        (
            "7979000e941b02084277efef350303eadaed0d0a",
            {"info_type": 0x1B, "info": "02084277efef3503"},
        ),
    ],
    ids=["power-short-frame", "power", "sim", "door", "network", "unknown-kept-as-hex"],
)
def test_gt06_information_packets_are_status_without_reply(
    hex_frame: str, attributes: dict[str, object]
) -> None:
    decoded = _gt06(hex_frame)
    assert decoded.records == (HeartbeatRecord("1", attributes),)
    assert decoded.reply is None


def test_gt06_time_request_is_answered_with_utc_time() -> None:
    """The request is Traccar's vector; the answer is the Concox documents' example reply."""
    request = bytes.fromhex("7878058A000688290D0A")
    documented = datetime(2015, 12, 29, 0, 0, 21, tzinfo=UTC)
    expected = bytes.fromhex("78780b8a0f0c1d0000150006f0860d0a")
    assert gt06.make_time_reply(request[-6:-4], documented) == expected
    before = datetime.now(UTC).replace(microsecond=0)
    decoded = gt06.decode(request, Session())
    after = datetime.now(UTC)
    assert decoded.records == ()
    assert decoded.reply is not None
    assert decoded.reply[:4] == bytes.fromhex("78780b8a")
    answered = datetime(2000 + decoded.reply[4], *decoded.reply[5:10], tzinfo=UTC)
    assert before <= answered <= after
    assert decoded.reply[10:12] == b"\x00\x06"


@pytest.mark.parametrize(
    "frame",
    [
        bytes.fromhex(GT06_LBS_WIFI),
        gt06_frame(0x70, bytes(12)),
        gt06_frame(0xF3, b"\x01"),
    ],
    ids=["lbs-wifi-0x2c", "modular-0x70", "wifi-0xf3"],
)
def test_gt06_unknown_type_is_an_error_and_never_acknowledged(frame: bytes) -> None:
    with pytest.raises(DecodeError, match="not supported; it is not acknowledged"):
        gt06.decode(frame, Session("1"))


def test_gt06_position_cut_inside_its_cell_is_not_acknowledged() -> None:
    body = bytes.fromhex(GT06_4G_POSITION)[4:-6]
    with pytest.raises(DecodeError, match="truncated"):
        gt06.decode(gt06_frame(0xA0, body[:30]), Session("1"))


def test_gt06_command_responses_get_no_record_and_no_reply() -> None:
    assert gt06.decode(gt06_frame(0x15, b"\x05\x00\x00\x00\x00\x01"), Session("1")) == Decoded()


def test_teltonika_login_then_data_acks_the_record_count() -> None:
    session = Session()
    login = teltonika.decode(TELTONIKA_LOGIN, session)
    assert login.reply == b"\x01"
    data = teltonika.decode(TELTONIKA_AVL, session)
    assert data.reply == (1).to_bytes(4, "big")
    assert [record.device_id for record in data.records] == ["123456789012345"]


def test_teltonika_codec_8e_reads_two_byte_ids() -> None:
    decoded = teltonika.decode(bytes.fromhex(CODEC_8E), Session("1"))
    (position,) = decoded.records
    assert isinstance(position, PositionRecord)
    assert position.attributes["odometer"] == 0x015E2C88
    assert position.attributes["io11"] == 0x3544C87A


def test_teltonika_codec_16_reads_generation_type_and_acks_two() -> None:
    decoded = teltonika.decode(bytes.fromhex(CODEC_16), Session("1"))
    assert len(decoded.records) == 2
    assert decoded.reply == (2).to_bytes(4, "big")
    first = decoded.records[0]
    assert isinstance(first, PositionRecord)
    assert first.attributes["generation"] == 5
    assert first.attributes["power"] == pytest.approx(22.074)


def test_teltonika_udp_datagram_carries_the_imei_and_gets_its_ack() -> None:
    avl_data = TELTONIKA_AVL[8:-4]
    imei = b"356307042441013"
    body = b"\xca\xfe\x01\x05" + len(imei).to_bytes(2, "big") + imei + avl_data
    session = Session()
    decoded = teltonika.decode_datagram(len(body).to_bytes(2, "big") + body, session)
    assert session.device_id == imei.decode()
    assert decoded.reply == bytes.fromhex("0005cafe010501")
    assert decoded.records[0].device_id == imei.decode()


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (TELTONIKA_AVL[:-1] + b"\x00", "CRC mismatch"),
        (
            bytes.fromhex("00000000000000030c0000") + crc16_arc(b"\x0c\x00\x00").to_bytes(4, "big"),
            "codec 0x0c is not supported",
        ),
        (b"\x00\x0f12345678901234x", "IMEI must be digits"),
    ],
)
def test_teltonika_rejects(frame: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        teltonika.decode(frame, Session())
