"""Hikvision ISAPI ANPR push: both namespaces, JPEG parts, deterministic keys, hostile XML."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from car_enforce.clock import MovableClock
from car_enforce.errors import InvalidInput
from car_enforce.sightings.vendors import parse_hikvision
from car_enforce.vehicles.models import PlateColour

ISAPI = "http://www.isapi.org/ver20/XMLSchema"
OLD = "http://www.hikvision.com/ver20/XMLSchema"

PLATE_PICTURE = b"\xff\xd8\xff\xe0" + bytes(range(200)) + b"\xff\xd9"
SCENE_PICTURE = b"\xff\xd8\xff\xdb" + bytes(range(255, 0, -1)) * 4 + b"\xff\xd9"


def alert_xml(
    namespace: str | None = ISAPI,
    *,
    plate: str = "浙C12345",
    colour: str = "blue",
    confidence: str = "96",
    when: str = "2026-11-23T08:59:30+08:00",
    event: str = "ANPR",
    state: str = "active",
    ip: str = "192.168.1.64",
) -> bytes:
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0"{xmlns}>
<ipAddress>{ip}</ipAddress>
<ipv6Address>::</ipv6Address>
<portNo>80</portNo>
<protocol>HTTP</protocol>
<macAddress>44:19:B6:6D:24:85</macAddress>
<channelID>1</channelID>
<dateTime>{when}</dateTime>
<activePostCount>1</activePostCount>
<eventType>{event}</eventType>
<eventState>{state}</eventState>
<eventDescription>ANPR</eventDescription>
<channelName>Gate 3 north</channelName>
<ANPR>
<country>3</country>
<licensePlate>{plate}</licensePlate>
<line>1</line>
<direction>forward</direction>
<confidenceLevel>{confidence}</confidenceLevel>
<plateType>92TypeCivil</plateType>
<plateColor>{colour}</plateColor>
<licenseBright>0</licenseBright>
<plateCharBelieve>99,99,98,99,61,97,99</plateCharBelieve>
<speedLimit>0</speedLimit>
<vehicleType>vehicle</vehicleType>
<pictureInfoList>
<pictureInfo><fileName>licensePlatePicture.jpg</fileName><type>licensePlatePicture</type></pictureInfo>
<pictureInfo><fileName>detectionPicture.jpg</fileName><type>detectionPicture</type></pictureInfo>
</pictureInfoList>
<originalLicensePlate>{plate}</originalLicensePlate>
<vehicleListName>otherList</vehicleListName>
</ANPR>
<UUID>3d1c2a4e-0000-0000-0000-4419b66d2485</UUID>
<picNum>2</picNum>
</EventNotificationAlert>
""".encode()


@pytest.mark.parametrize("namespace", [ISAPI, OLD, None])
def test_anpr_read_in_every_namespace(clock: MovableClock, namespace: str | None) -> None:
    (read,) = parse_hikvision(alert_xml(namespace), [PLATE_PICTURE, SCENE_PICTURE]).reads
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
    (one,) = parse_hikvision(alert_xml(ip="192.168.1.64"), [PLATE_PICTURE]).reads
    (two,) = parse_hikvision(alert_xml(OLD, ip="10.9.9.9"), []).reads
    assert one.read_key == two.read_key
    assert one.camera_id == two.camera_id  # never the ipAddress
    (other,) = parse_hikvision(alert_xml(plate="浙C12346"), []).reads
    assert other.read_key != one.read_key


def test_colour_words_and_non_image_parts(clock: MovableClock) -> None:
    (read,) = parse_hikvision(alert_xml(colour="yellow"), [b"not an image", PLATE_PICTURE]).reads
    assert read.colour is PlateColour.YELLOW
    assert read.images == (PLATE_PICTURE,)
    assert parse_hikvision(alert_xml(colour="unknown"), []).reads[0].colour is None


@pytest.mark.parametrize("plate", ["unknown", "无车牌", ""])
def test_no_plate_gives_no_read(clock: MovableClock, plate: str) -> None:
    assert parse_hikvision(alert_xml(plate=plate), [PLATE_PICTURE]).reads == []


def test_other_events_and_keepalives(clock: MovableClock) -> None:
    assert parse_hikvision(alert_xml(event="VMD"), []).reads == []
    assert parse_hikvision(alert_xml(event="videoloss", state="active"), []).heartbeats == []
    (beat,) = parse_hikvision(alert_xml(event="videoloss", state="inactive"), []).heartbeats
    assert (beat.camera_id, beat.vendor) == ("44:19:b6:6d:24:85/1", "hikvision")
    assert len(parse_hikvision(alert_xml(event="heartBeat"), []).heartbeats) == 1


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<EventNotificationAlert><eventType>ANPR</eventType><ANPR><licensePlate>&lol2;</licensePlate></ANPR>
</EventNotificationAlert>"""
EXTERNAL = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<EventNotificationAlert><eventType>ANPR</eventType></EventNotificationAlert>"""


@pytest.mark.parametrize(
    ("xml", "field"),
    [
        (BILLION_LAUGHS, "anpr.xml"),
        (EXTERNAL, "anpr.xml"),
        (alert_xml().decode().encode("utf-16"), "anpr.xml"),
        (b"<EventNotificationAlert><eventType>ANPR</eventType>", "anpr.xml"),
        (b"", "anpr.xml"),
        (b"<html><body>hello</body></html>", "anpr.xml"),
        (alert_xml("http://example.com/other"), "anpr.xml"),
        (alert_xml(confidence="high"), "anpr.xml/ANPR/confidenceLevel"),
        (alert_xml(confidence="150"), "anpr.xml/ANPR/confidenceLevel"),
        (alert_xml(when="soon"), "anpr.xml/dateTime"),
        (alert_xml(when="2026-11-23T12:00:00+08:00"), "anpr.xml/dateTime"),
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
