"""Hikvision ISAPI ANPR push: both namespaces, JPEG parts, deterministic keys, hostile XML, and the fields
Chinese firmware adds (GB2312 declarations, VehicleGATInfo, DeviceGPSInfo, isDataRetransmission)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from car_enforce.core.clock import MovableClock
from car_enforce.core.errors import InvalidInput
from car_enforce.core.geo.datum import Datum
from car_enforce.sightings.vendors import parse_hikvision
from car_enforce.vehicles.models import PlateColour
from tests.hikvision_messages import (
    BILLION_LAUGHS,
    EXTERNAL,
    ISAPI,
    PLATE_PICTURE,
    SCENE_PICTURE,
    alert,
    alert_xml,
)

OLD = "http://www.hikvision.com/ver20/XMLSchema"


@pytest.mark.parametrize("namespace", [ISAPI, OLD, None])
def test_anpr_read_in_every_namespace(clock: MovableClock, namespace: str | None) -> None:
    (read,) = parse_hikvision(alert(namespace), [PLATE_PICTURE, SCENE_PICTURE]).reads
    assert read.plate == "浙C12345"
    assert read.vendor == "hikvision"
    assert read.confidence == pytest.approx(0.96)
    assert read.colour is PlateColour.BLUE
    assert read.candidates == ()
    assert read.read_at == datetime(2026, 11, 23, 0, 59, 30, tzinfo=UTC)
    assert read.camera_id == "44:19:b6:6d:24:85/1"
    assert read.images == (PLATE_PICTURE, SCENE_PICTURE)
    assert read.raw is not None
    assert read.raw["ANPR"]["plateCharBelieve"] == "99,99,98,99,61,97,99"
    assert read.raw["ANPR"]["vehicleListName"] == "otherList"
    assert len(read.raw["ANPR"]["pictureInfoList"]["pictureInfo"]) == 2
    assert read.raw["namespace"] == (namespace or "")


def test_duplicate_push_has_the_same_key_whatever_the_body_ip(clock: MovableClock) -> None:
    (one,) = parse_hikvision(alert(ip="192.168.1.64"), [PLATE_PICTURE]).reads
    (two,) = parse_hikvision(alert(OLD, ip="10.9.9.9"), []).reads
    assert one.read_key == two.read_key
    assert one.camera_id == two.camera_id  # never the ipAddress
    (other,) = parse_hikvision(alert(plate="浙C12346"), []).reads
    assert other.read_key != one.read_key


def test_colour_words_and_non_image_parts(clock: MovableClock) -> None:
    (read,) = parse_hikvision(alert(colour="yellow"), [b"not an image", PLATE_PICTURE]).reads
    assert read.colour is PlateColour.YELLOW
    assert read.images == (PLATE_PICTURE,)
    assert parse_hikvision(alert(colour="unknown"), []).reads[0].colour is None


@pytest.mark.parametrize("plate", ["unknown", "无车牌", ""])
def test_no_plate_gives_no_read(clock: MovableClock, plate: str) -> None:
    assert parse_hikvision(alert(plate=plate), [PLATE_PICTURE]).reads == []


def test_other_events_and_keepalives(clock: MovableClock) -> None:
    assert parse_hikvision(alert(event="VMD"), []).reads == []
    assert parse_hikvision(alert(event="videoloss", state="active"), []).heartbeats == []
    (beat,) = parse_hikvision(alert(event="videoloss", state="inactive"), []).heartbeats
    assert (beat.camera_id, beat.vendor) == ("44:19:b6:6d:24:85/1", "hikvision")
    assert len(parse_hikvision(alert(event="heartBeat"), []).heartbeats) == 1


@pytest.mark.parametrize(
    ("xml", "field"),
    [
        (BILLION_LAUGHS, "anpr.xml"),
        (EXTERNAL, "anpr.xml"),
        (alert().decode().encode("utf-16"), "anpr.xml"),
        (b"<EventNotificationAlert><eventType>ANPR</eventType>", "anpr.xml"),
        (b"", "anpr.xml"),
        (b"<html><body>hello</body></html>", "anpr.xml"),
        (alert("http://example.com/other"), "anpr.xml"),
        (alert(confidence="high"), "anpr.xml/ANPR/confidenceLevel"),
        (alert(confidence="150"), "anpr.xml/ANPR/confidenceLevel"),
        (alert(when="soon"), "anpr.xml/dateTime"),
        (
            b'<EventNotificationAlert xmlns="http://www.isapi.org/ver20/XMLSchema"><eventType>ANPR</eventType>'
            b"<dateTime>2026-11-23T08:59:30+08:00</dateTime></EventNotificationAlert>",
            "anpr.xml/ANPR",
        ),
    ],
)
def test_malformed_or_hostile_xml(clock: MovableClock, xml: bytes, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_hikvision(xml, [])
    assert err.value.field == field


def test_a_stamp_far_ahead_is_kept_as_the_camera_sent_it(clock: MovableClock) -> None:
    # Three hours ahead of the clock fixture: the camera's clock is wrong, and ingest judges that; the
    # push is never retried, so the parser keeps the read and its stamp.
    (read,) = parse_hikvision(alert(when="2026-11-23T12:00:00+08:00"), []).reads
    assert read.read_at == datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
    assert read.camera_read_at is None  # not judged here


def test_gb2312_declared_alert_with_gbk_bytes(clock: MovableClock) -> None:
    # Firmware declares GB2312 and sends GBK: 喆 is in GBK, not in GB2312.
    text = alert_xml(plate="浙C12345", channel_name="卡口 瓯海大道喆园路口北向", colour="蓝色")
    body = ('<?xml version="1.0" encoding="GB2312"?>\n' + text).encode("gbk")
    assert "浙C12345".encode("gbk") in body
    (read,) = parse_hikvision(body, [PLATE_PICTURE]).reads
    assert read.plate == "浙C12345"
    assert read.colour is PlateColour.BLUE
    assert read.raw["channelName"] == "卡口 瓯海大道喆园路口北向"


def gat_info(colour: str, *, plate_type: str = "2", inside: str = "") -> str:
    return (
        f"<VehicleGATInfo><palteTypeByGAT>{plate_type}</palteTypeByGAT>"
        f"<plateColorByGAT>{colour}</plateColorByGAT><vehicleTypeByGAT>K33</vehicleTypeByGAT>"
        f"<colorByGAT>K</colorByGAT></VehicleGATInfo>{inside}"
    )


@pytest.mark.parametrize(
    ("plate_color", "code", "expected"),
    [
        ("unknown", "2", PlateColour.BLUE),  # Hikvision's table: 2 is blue (GA/T 1400 would say white)
        (None, "1", PlateColour.YELLOW),
        ("unknown", "0", PlateColour.WHITE),
        ("unknown", "3", PlateColour.BLACK),
        ("unknown", "4", PlateColour.GREEN),
        ("unknown", "5", None),  # not recognised (a foreign plate in a real push)
        ("unknown", "9", None),  # other
        ("unknown", "-1", None),  # not set
        ("unknown", "", None),
        ("yellow", "2", PlateColour.YELLOW),  # the colour word decides
        ("newEnergyYellowGreen", "4", PlateColour.YELLOW_GREEN),  # the code has one green for both
    ],
)
def test_colour_from_vehicle_gat_info(
    clock: MovableClock, plate_color: str | None, code: str, expected: PlateColour | None
) -> None:
    (read,) = parse_hikvision(alert(colour=plate_color, extra=gat_info(code)), []).reads
    assert read.colour is expected
    assert read.raw["VehicleGATInfo"]["palteTypeByGAT"] == "2"


@pytest.mark.parametrize(
    ("plate", "expected"),
    [
        ("浙AD12345", PlateColour.GREEN),
        ("浙A12345D", PlateColour.YELLOW_GREEN),
        ("浙C12345", PlateColour.GREEN),
    ],
)
def test_the_gat_green_of_a_large_new_energy_plate_is_yellow_green(
    clock: MovableClock, plate: str, expected: PlateColour
) -> None:
    (read,) = parse_hikvision(alert(plate=plate, colour="unknown", extra=gat_info("4")), []).reads
    assert read.colour is expected


def test_colour_in_the_plate_text_comes_before_the_gat_code(clock: MovableClock) -> None:
    (read,) = parse_hikvision(alert(plate="黄浙C12345", colour="unknown", extra=gat_info("2")), []).reads
    assert (read.plate, read.colour, read.colour_in_text) == (
        "浙C12345",
        PlateColour.YELLOW,
        PlateColour.YELLOW,
    )


def test_vehicle_gat_info_inside_anpr(clock: MovableClock) -> None:
    body = alert(colour="unknown").replace(b"</ANPR>", gat_info("2").encode() + b"</ANPR>")
    assert parse_hikvision(body, []).reads[0].colour is PlateColour.BLUE


def gps_info(
    lon: tuple[str, str, str], lat: tuple[str, str, str], *, east_west: str = "E", north_south: str = "N"
) -> str:
    def part(name: str, dms: tuple[str, str, str]) -> str:
        return f"<{name}><degree>{dms[0]}</degree><minute>{dms[1]}</minute><sec>{dms[2]}</sec></{name}>"

    return (
        f"<DeviceGPSInfo><longitudeType>{east_west}</longitudeType><latitudeType>{north_south}</latitudeType>"
        f"{part('Longitude', lon)}{part('Latitude', lat)}</DeviceGPSInfo>"
    )


def test_device_gps_in_degrees_minutes_seconds_becomes_a_place(clock: MovableClock) -> None:
    extra = gps_info(("120", "39", "0.000000"), ("28", "0", "36.000000"))
    (read,) = parse_hikvision(alert(extra=extra), []).reads
    assert read.place is not None
    assert (read.place.lon, read.place.lat) == (pytest.approx(120.65), pytest.approx(28.01))
    assert read.place.datum_in is Datum.WGS84


def test_west_and_south_are_negative(clock: MovableClock) -> None:
    extra = gps_info(("70", "30", "0"), ("33", "27", "0"), east_west="W", north_south="S")
    (read,) = parse_hikvision(alert(extra=extra), []).reads
    assert read.place is not None
    assert (read.place.lon, read.place.lat) == (pytest.approx(-70.5), pytest.approx(-33.45))


def test_all_zero_gps_is_no_fix(clock: MovableClock) -> None:
    # As a real camera without a fix sends it: zeros, and "S" all the same.
    extra = gps_info(("0", "0", "0.000000"), ("0", "0", "0.000000"), north_south="S")
    (read,) = parse_hikvision(alert(extra=extra), []).reads
    assert read.place is None


@pytest.mark.parametrize(("flag", "expected"), [("true", True), ("false", False), (None, False)])
def test_retransmitted_records(clock: MovableClock, flag: str | None, expected: bool) -> None:
    extra = "" if flag is None else f"<isDataRetransmission>{flag}</isDataRetransmission>"
    (read,) = parse_hikvision(alert(extra=extra), []).reads
    assert read.retransmitted is expected


def test_a_retransmitted_record_has_the_key_of_the_first_delivery(clock: MovableClock) -> None:
    (first,) = parse_hikvision(alert(), []).reads
    (again,) = parse_hikvision(alert(extra="<isDataRetransmission>true</isDataRetransmission>"), []).reads
    assert again.read_key == first.read_key


@pytest.mark.parametrize("plate", ["蓝浙C12345", "蓝牌浙C12345", "蓝-浙C12345"])
def test_colour_prefixed_license_plate(clock: MovableClock, plate: str) -> None:
    (read,) = parse_hikvision(alert(plate=plate, colour="unknown"), []).reads
    assert (read.plate, read.colour, read.colour_in_text) == ("浙C12345", PlateColour.BLUE, PlateColour.BLUE)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (gat_info("blue"), "anpr.xml/VehicleGATInfo/plateColorByGAT"),
        (gps_info(("120", "61", "0"), ("28", "0", "0")), "anpr.xml/DeviceGPSInfo/Longitude/minute"),
        (gps_info(("120", "0", "60"), ("28", "0", "0")), "anpr.xml/DeviceGPSInfo/Longitude/sec"),
        (gps_info(("east", "0", "0"), ("28", "0", "0")), "anpr.xml/DeviceGPSInfo/Longitude/degree"),
        (gps_info(("-120", "0", "0"), ("28", "0", "0")), "anpr.xml/DeviceGPSInfo/Longitude/degree"),
        (
            gps_info(("120", "0", "0"), ("28", "0", "0"), east_west="X"),
            "anpr.xml/DeviceGPSInfo/longitudeType",
        ),
        (gps_info(("120", "0", "0"), ("95", "0", "0")), "anpr.xml/DeviceGPSInfo/Latitude"),
        ("<isDataRetransmission>maybe</isDataRetransmission>", "anpr.xml/isDataRetransmission"),
    ],
)
def test_bad_chinese_firmware_fields(clock: MovableClock, extra: str, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_hikvision(alert(extra=extra), [])
    assert err.value.field == field
