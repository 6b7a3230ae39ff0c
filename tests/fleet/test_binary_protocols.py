"""GT06 and Teltonika beyond the shared vectors: sessions, acks, alarms, CRCs, other codecs."""

from __future__ import annotations

import pytest

from tests.fleet.streams import FRAMES
from warroom.fleet.protocols import (
    AlarmRecord,
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


def test_gt06_unknown_type_is_acked_without_records() -> None:
    decoded = gt06.decode(gt06_frame(0x94, b"\x05\x01"), Session("1"))
    assert decoded.records == ()
    assert decoded.reply is not None


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
