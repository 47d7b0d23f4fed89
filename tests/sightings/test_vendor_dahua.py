"""Dahua ITC plate events: envelopes, the local clock written as UTC, colours, bad events, keepalives."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from car_enforce.core.clock import MovableClock
from car_enforce.core.errors import InvalidInput
from car_enforce.core.geo.datum import Datum
from car_enforce.sightings.reads import Parsed, PlateRead
from car_enforce.sightings.vendors import parse_dahua
from car_enforce.vehicles.models import PlateColour
from tests.dahua_messages import CAMERA, LOCALE, OMIT, REAL_UTC, event, stream

# The read was taken at 08:59:30.305 in Wenzhou (00:59:30.305 UTC), 30 s before the clock fixture.
TAKEN = datetime(2026, 11, 23, 0, 59, 30, 305000, tzinfo=UTC)

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 2 + b"\xff\xd9"
OTHER_JPEG = b"\xff\xd8\xff\xdb" + bytes(range(255, -1, -1)) * 2 + b"\xff\xd9"


def only_read(parsed: Parsed) -> PlateRead:
    assert parsed.rejected == []
    (read,) = parsed.reads
    return read


def test_a_plate_event_in_the_rpc_stream(clock: MovableClock) -> None:
    read = only_read(parse_dahua(stream(event())))
    assert read.plate == "浙C12345"
    assert read.vendor == "dahua"
    assert read.colour is PlateColour.BLUE
    assert read.confidence == pytest.approx(200 / 255)
    assert read.read_at == TAKEN
    assert read.camera_id == CAMERA
    assert read.place is None  # 0/0 is no fix
    assert read.candidates == ()
    assert read.images == ()
    assert read.retransmitted is False
    assert read.raw["event"]["Data"]["TrafficCar"]["DrivingDirection"] == ["Approach", "温州", "杭州"]
    assert read.raw["envelope"] == {"id": 3143, "method": "client.notifyEventStream", "params": {"SID": 513}}
    assert "session" not in str(read.raw)  # the camera's login token is not evidence


@pytest.mark.parametrize(
    "message",
    [
        {"SID": 513, "eventList": [event()]},
        {"Events": [event()]},
        event(),
    ],
    ids=["params", "Events", "single"],
)
def test_every_envelope_gives_the_same_read(clock: MovableClock, message: dict[str, Any]) -> None:
    read = only_read(parse_dahua(message))
    expected = only_read(parse_dahua(stream(event())))
    assert (read.plate, read.read_at, read.camera_id, read.read_key) == (
        expected.plate,
        expected.read_at,
        expected.camera_id,
        expected.read_key,
    )


def test_the_code_may_be_given_in_data_only(clock: MovableClock) -> None:
    message = event()
    del message["Code"]
    assert only_read(parse_dahua(stream(message))).plate == "浙C12345"


def test_checkpoint_rule_events_are_reads_too(clock: MovableClock) -> None:
    assert only_read(parse_dahua(stream(event(code="TrafficGate")))).plate == "浙C12345"


# --- time -------------------------------------------------------------------------------------------


def test_utc_without_real_utc_is_the_beijing_wall_clock(clock: MovableClock) -> None:
    assert only_read(parse_dahua(stream(event(real_utc=OMIT)))).read_at == TAKEN
    assert only_read(parse_dahua(stream(event(real_utc=OMIT, locale=OMIT)))).read_at == TAKEN
    # A RealUTC of 0 is the firmware saying it has none.
    assert only_read(parse_dahua(stream(event(real_utc=0)))).read_at == TAKEN


def test_utc_is_true_utc_when_locale_time_differs(clock: MovableClock) -> None:
    read = only_read(parse_dahua(stream(event(real_utc=OMIT, utc=REAL_UTC))))
    assert read.read_at == TAKEN


def test_locale_time_alone(clock: MovableClock) -> None:
    message = event(real_utc=OMIT, utc=OMIT, utcms=OMIT)
    assert only_read(parse_dahua(stream(message))).read_at == TAKEN - timedelta(milliseconds=305)


def test_a_strange_locale_time_beside_utc_is_only_a_hint(clock: MovableClock) -> None:
    assert only_read(parse_dahua(stream(event(real_utc=OMIT, locale="23-11-2026 08:59:30")))).read_at == TAKEN
    (rejected,) = parse_dahua(stream(event(real_utc=OMIT, utc=OMIT, locale="23-11-2026"))).rejected
    assert rejected.field == "params.eventList[0].Data.LocaleTime"


def test_trafficcar_utc_stands_in(clock: MovableClock) -> None:
    message = event(real_utc=OMIT)
    del message["Data"]["UTC"]
    assert only_read(parse_dahua(stream(message))).read_at == TAKEN


@pytest.mark.parametrize(
    "instant",
    [datetime(2031, 5, 1, 12, 0, tzinfo=UTC), datetime(2000, 1, 1, 0, 0, tzinfo=UTC)],
    ids=["years-ahead", "reset-to-2000"],
)
def test_wrong_camera_clocks_are_kept_as_sent(clock: MovableClock, instant: datetime) -> None:
    # Ingest judges the camera's clock; the parser only converts, so the read is never lost here.
    read = only_read(parse_dahua(stream(event(real_utc=int(instant.timestamp()), utcms=0))))
    assert read.read_at == instant
    assert read.camera_read_at is None


# --- plates and colours ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "colour"),
    [
        ("蓝", PlateColour.BLUE),
        ("黄", PlateColour.YELLOW),
        ("绿", PlateColour.GREEN),
        ("黄绿", PlateColour.YELLOW_GREEN),
        ("白", PlateColour.WHITE),
        ("黑", PlateColour.BLACK),
    ],
)
@pytest.mark.parametrize("separator", ["", "-", "牌", "色", " ", "牌:"])
def test_colour_prefixed_plates(
    clock: MovableClock, prefix: str, colour: PlateColour, separator: str
) -> None:
    read = only_read(parse_dahua(stream(event(plate=f"{prefix}{separator}浙C12345", colour="Unknown"))))
    assert (read.plate, read.colour, read.colour_in_text) == ("浙C12345", colour, colour)


def test_a_heilongjiang_plate_is_not_a_black_one(clock: MovableClock) -> None:
    read = only_read(parse_dahua(stream(event(plate="黑A12345", colour="Unknown"))))
    assert (read.plate, read.colour, read.colour_in_text) == ("黑A12345", None, None)


def test_the_colour_field_decides_and_the_text_stays_on_record(clock: MovableClock) -> None:
    read = only_read(parse_dahua(stream(event(plate="蓝浙C12345", colour="Yellow"))))
    assert (read.plate, read.colour, read.colour_in_text) == (
        "浙C12345",
        PlateColour.YELLOW,
        PlateColour.BLUE,
    )


@pytest.mark.parametrize(
    ("word", "colour"),
    [
        ("Blue", PlateColour.BLUE),
        ("Yellow", PlateColour.YELLOW),
        ("White", PlateColour.WHITE),
        ("Black", PlateColour.BLACK),
        ("Green", PlateColour.GREEN),
        ("ShadowGreen", PlateColour.GREEN),
        ("YellowGreen", PlateColour.YELLOW_GREEN),
        ("YellowbottomBlackText", PlateColour.YELLOW),
        ("BluebottomWhiteText", PlateColour.BLUE),
        ("BlackBottomWhiteText", PlateColour.BLACK),
        ("Unknown", None),
        ("Other", None),
        ("", None),
        (OMIT, None),
    ],
)
def test_dahua_colour_words(clock: MovableClock, word: Any, colour: PlateColour | None) -> None:
    assert only_read(parse_dahua(stream(event(colour=word)))).colour is colour


@pytest.mark.parametrize(
    "plate", ["", " ", "无车牌", "unknown", "Unknown", "无法识别", "未识别", "NOPLATE", "0000000"]
)
def test_placeholder_plates_give_no_read(clock: MovableClock, plate: str) -> None:
    assert parse_dahua(stream(event(plate=plate))) == Parsed()


def test_plate_number_when_object_text_is_empty(clock: MovableClock) -> None:
    read = only_read(parse_dahua(stream(event(plate="", plate_number="浙C12345"))))
    assert read.plate == "浙C12345"


def test_a_vehicle_object_text_is_its_make_not_a_plate(clock: MovableClock) -> None:
    message = event(plate="Audi", object_type="Vehicle", plate_number="浙C12345")
    assert only_read(parse_dahua(stream(message))).plate == "浙C12345"


def test_confidence_zero_is_not_told(clock: MovableClock) -> None:
    assert only_read(parse_dahua(stream(event(confidence=0)))).confidence is None
    assert only_read(parse_dahua(stream(event(confidence=OMIT)))).confidence is None


# --- one bad event never sinks the others -----------------------------------------------------------


def test_a_bad_event_is_rejected_alone(clock: MovableClock) -> None:
    parsed = parse_dahua(
        stream(
            event(event_id=516),
            event(event_id=517, real_utc="soon"),
            event(event_id=518, plate="浙C54321", group=175706654),
            "not an event",
            event(event_id=520, confidence=300),
            event(event_id=521, plate=12345),
            event(event_id=522, utcms=1000),
            event(event_id=523, gps=(120.65, 95.0)),
        )
    )
    assert [read.plate for read in parsed.reads] == ["浙C12345", "浙C54321"]
    assert [(r.index, r.field, r.record_id) for r in parsed.rejected] == [
        (1, "params.eventList[1].Data.RealUTC", "517"),
        (3, "params.eventList[3]", None),
        (4, "params.eventList[4].Data.Object.Confidence", "520"),
        (5, "params.eventList[5].Data.Object.Text", "521"),
        (6, "params.eventList[6].Data.UTCMS", "522"),
        (7, "params.eventList[7].Data.CommInfo.GPSInfo.Latitude", "523"),
    ]
    assert all(r.detail for r in parsed.rejected)


def test_an_event_without_any_plate_field_is_rejected(clock: MovableClock) -> None:
    message = event(plate=OMIT, plate_number=OMIT)
    parsed = parse_dahua(stream(message))
    assert [(r.field, r.record_id) for r in parsed.rejected] == [
        ("params.eventList[0].Data.Object.Text", "516")
    ]


def test_an_event_without_a_time_is_rejected(clock: MovableClock) -> None:
    # utc=OMIT leaves out both Data.UTC and TrafficCar.UTC.
    (rejected,) = parse_dahua(stream(event(real_utc=OMIT, utc=OMIT, locale=OMIT))).rejected
    assert rejected.field == "params.eventList[0].Data.TrafficCar.UTC"


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ([event()], "body"),
        ({"hello": "world"}, "body"),
        ({"method": "client.notifyEventStream"}, "params"),
        ({"method": "client.notifyEventStream", "params": {"SID": 1, "eventList": "x"}}, "params.eventList"),
        ({"Events": {"Code": "TrafficJunction"}}, "Events"),
        ({"method": 7, "params": {}}, "method"),
    ],
)
def test_a_message_of_the_wrong_shape(clock: MovableClock, message: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_dahua(message)
    assert err.value.field == field


# --- keepalives and other events ------------------------------------------------------------------


def test_keepalive_events_are_heartbeats(clock: MovableClock) -> None:
    parsed = parse_dahua(stream({"Action": "Pulse", "Code": "Heartbeat", "Data": {"MachineName": CAMERA}}))
    (beat,) = parsed.heartbeats
    assert (beat.camera_id, beat.vendor, beat.at) == (CAMERA, "dahua", clock.now())
    assert parsed.reads == []


def test_a_keepalive_that_names_no_camera_is_nothing(clock: MovableClock) -> None:
    assert parse_dahua(stream({"Code": "KeepAlive"})) == Parsed()
    assert parse_dahua({"id": 9, "method": "global.keepAlive", "params": {"timeout": 300}}) == Parsed()


@pytest.mark.parametrize("code", ["VideoMotion", "TrafficOverSpeed", "CrossLineDetection", "NewFile"])
def test_other_event_codes_are_nothing(clock: MovableClock, code: str) -> None:
    assert parse_dahua(stream({"Action": "Start", "Code": code, "Data": {"LocaleTime": LOCALE}})) == Parsed()


def test_other_rpc_methods_are_nothing(clock: MovableClock) -> None:
    assert parse_dahua({"id": 2, "method": "global.login", "params": {"userName": "admin"}}) == Parsed()


def test_a_pass_without_a_plate_mixed_with_reads(clock: MovableClock) -> None:
    bicycle = event(plate="", plate_number="", colour="Unknown", confidence=0)
    parsed = parse_dahua(stream(bicycle, event()))
    assert [read.plate for read in parsed.reads] == ["浙C12345"]
    assert parsed.rejected == []


# --- evidence, place, keys --------------------------------------------------------------------------


def test_pictures_are_cut_out_of_the_evidence(clock: MovableClock) -> None:
    first = event(ImageInfo={"Data": base64.b64encode(JPEG).decode(), "Type": "Scene"})
    second = event(event_id=517, plate="浙C54321", PlatePicture=base64.b64encode(OTHER_JPEG).decode())
    parsed = parse_dahua(stream(first, second))
    one, two = parsed.reads
    assert one.images == (JPEG,)
    assert two.images == (OTHER_JPEG,)
    assert one.raw["event"]["Data"]["ImageInfo"] == {"Data": {"image": 0}, "Type": "Scene"}
    assert two.raw["event"]["Data"]["PlatePicture"] == {"image": 0}
    assert "/9j/" not in str(one.raw) and "/9j/" not in str(two.raw)


def test_gps_fix_is_a_wgs84_place(clock: MovableClock) -> None:
    read = only_read(parse_dahua(stream(event(gps=(120.65, 28.01)))))
    assert read.place is not None
    assert (read.place.lon, read.place.lat, read.place.datum_in) == (120.65, 28.01, Datum.WGS84)


def test_channel_is_part_of_the_camera(clock: MovableClock) -> None:
    assert only_read(parse_dahua(stream(event(Channel=1)))).camera_id == f"{CAMERA}/1"
    message = event(machine=OMIT, MachineName="瓯海大道卡口")
    assert only_read(parse_dahua(stream(message))).camera_id == "瓯海大道卡口"
    assert only_read(parse_dahua(stream(event(machine=OMIT)))).camera_id is None


def test_keys_are_deterministic_and_tell_reads_apart(clock: MovableClock) -> None:
    one = only_read(parse_dahua(stream(event())))
    again = only_read(parse_dahua({"Events": [event()]}))
    assert one.read_key is not None and one.read_key == again.read_key
    assert one.pass_key is not None and one.pass_key == again.pass_key
    assert CAMERA in one.pass_key
    # The camera's counters start again after a restart: the same ids on another day are another read.
    later = only_read(parse_dahua(stream(event(real_utc=REAL_UTC + 86400))))
    assert later.read_key != one.read_key
    assert later.pass_key != one.pass_key
    other_event = only_read(parse_dahua(stream(event(event_id=517))))
    assert other_event.read_key != one.read_key
    assert other_event.pass_key == one.pass_key  # another snapshot of the same pass
    assert only_read(parse_dahua(stream(event(machine=OMIT)))).pass_key is None
