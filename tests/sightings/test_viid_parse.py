"""GA/T 1400 MotorVehicles pushes as plate reads: codes, times, images, and one bad record among good ones."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from car_enforce.core.clock import SHANGHAI
from car_enforce.core.errors import InvalidInput
from car_enforce.core.geo.datum import Datum
from car_enforce.sightings.reads import Parsed
from car_enforce.sightings.viid import codes
from car_enforce.sightings.viid.parse import RECORDS, Push, parse_motor_vehicles
from car_enforce.vehicles.models import PlateColour
from tests.vendor_helpers import bad_field
from tests.viid_helpers import DEVICE, JPEG, record

OTHER_DEVICE = "33032600001190000002"
RECEIVED = datetime(2026, 11, 23, 1, 0, 30, tzinfo=UTC)  # 09:00:30 in Beijing


def push(*records: Any, table: str = "gat1400", device: str = DEVICE) -> Push:
    body = {"MotorVehicleListObject": {"MotorVehicleObject": list(records)}}
    return parse_motor_vehicles(body, colour_table=table, device_id=device, received_at=RECEIVED)


def test_a_checkpoint_record_becomes_a_read() -> None:
    result = push(record())
    (read,) = result.parsed.reads
    assert (read.plate, read.colour, read.vendor, read.camera_id) == (
        "浙C12345",
        PlateColour.BLUE,
        "gat1400",
        DEVICE,
    )
    assert read.read_at == datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
    assert read.read_at.utcoffset() is not None and read.read_at.tzinfo is UTC
    assert read.confidence == pytest.approx(0.96)
    assert read.read_key == record()["MotorVehicleID"]
    assert result.record_ids == [record()["MotorVehicleID"]]
    assert not read.retransmitted and read.place is None
    # The base64 picture is cut out as bytes; the storage URL stays in the raw record, never fetched.
    assert read.images == (JPEG,)
    images = read.raw["MotorVehicleObject"]["SubImageList"]["SubImageInfoObject"]
    assert images[0]["Data"] == {"image": 0}
    assert images[1]["StoragePath"] == "http://10.1.2.3/pic/plate-1.jpg"
    assert read.raw["MotorVehicleObject"]["PlateCharReliability"].startswith("浙-99")
    assert read.raw["User-Identify"] == DEVICE


@pytest.mark.parametrize(
    ("table", "code", "expected"),
    [
        ("gat1400", "5", PlateColour.BLUE),
        ("gat1400", 5, PlateColour.BLUE),
        ("gat1400", "05", PlateColour.BLUE),
        ("gat1400", "2", PlateColour.WHITE),
        ("gat1400", "1", PlateColour.BLACK),
        ("gat1400", "6", PlateColour.YELLOW),
        ("gat1400", "9", PlateColour.GREEN),
        ("gat1400", "99", None),  # other: not told
        ("gat1400", "4", None),  # red is no plate colour
        ("gat1400", "", None),
        ("traffic", "2", PlateColour.BLUE),  # the same code, another table
        ("traffic", "0", PlateColour.WHITE),
        ("traffic", "1", PlateColour.YELLOW),
        ("traffic", "3", PlateColour.BLACK),
        ("traffic", "4", PlateColour.GREEN),
        ("traffic", "9", None),
    ],
)
def test_plate_colour_by_the_accounts_table(table: str, code: object, expected: PlateColour | None) -> None:
    (read,) = push(record(PlateColor=code, PlateNo="浙C12345"), table=table).parsed.reads
    assert read.colour is expected


@pytest.mark.parametrize(
    ("plate", "plate_class", "expected"),
    [
        ("浙C12345D", "51", PlateColour.YELLOW_GREEN),  # GA 24.7 class 51: large new-energy
        ("浙C12345D", None, PlateColour.YELLOW_GREEN),  # its shape says so too
        ("浙CD12345", "52", PlateColour.GREEN),
        ("浙CD12345", "2", PlateColour.GREEN),
    ],
)
def test_green_on_a_large_new_energy_plate_is_yellow_green(
    plate: str, plate_class: str | None, expected: PlateColour
) -> None:
    (read,) = push(record(PlateNo=plate, PlateColor="9", PlateClass=plate_class)).parsed.reads
    assert read.colour is expected


def test_the_colour_written_in_the_plate_text() -> None:
    (read,) = push(record(PlateNo="黄浙C8Y9Z1", PlateColor="")).parsed.reads
    assert (read.plate, read.colour_in_text) == ("浙C8Y9Z1", PlateColour.YELLOW)
    assert read.colour is PlateColour.YELLOW


def test_codes_arrive_unpadded_or_as_numbers() -> None:
    assert codes.plate_class("2", "PlateClass") == "02"
    assert codes.plate_class(51, "PlateClass") == "51"
    assert codes.plate_class(" 02 ", "PlateClass") == "02"
    assert codes.code_number(5.0, "PlateColor") == 5
    assert codes.PLATE_CLASSES["02"].name.startswith("小型汽车")
    assert codes.StatusCode.OK == 0 and codes.STATUS_STRINGS[codes.StatusCode.INVALID_JSON_CONTENT]
    bad_codes: list[object] = ["blue", "-1", True, 2.5, [], "5a"]
    for bad in bad_codes:
        with pytest.raises(InvalidInput):
            codes.code_number(bad, "PlateColor")


def test_missing_pass_time_is_the_time_of_receipt_noted_in_raw() -> None:
    (read,) = push(record(PassTime=None)).parsed.reads
    assert read.read_at == RECEIVED
    assert "PassTime missing" in read.raw["note"]


def test_pass_time_with_milliseconds() -> None:
    (read,) = push(record(PassTime="20261123090000250")).parsed.reads
    assert read.read_at == datetime(2026, 11, 23, 9, 0, 0, 250_000, tzinfo=SHANGHAI)


def test_a_far_off_camera_stamp_is_reported_as_sent() -> None:
    (read,) = push(record(PassTime="20000101000000")).parsed.reads
    assert read.read_at == datetime(2000, 1, 1, tzinfo=SHANGHAI)  # ingest judges the skew, not the adapter


@pytest.mark.parametrize("has_plate", [False, "0", "false", 0, "FALSE"])
def test_no_plate_stores_nothing_and_is_not_an_error(has_plate: object) -> None:
    result = push(record(HasPlate=has_plate))
    assert result.parsed.reads == [] and result.parsed.rejected == []
    assert result.record_ids == [record()["MotorVehicleID"]]


@pytest.mark.parametrize("plate", ["", "无车牌", "未识别", "00000000", None])
def test_placeholder_plates_give_no_read(plate: str | None) -> None:
    result = push(record(PlateNo=plate))
    assert result.parsed.reads == [] and result.parsed.rejected == []


def test_strings_for_numbers_and_booleans_and_gps() -> None:
    (read,) = push(
        record(HasPlate="true", PlateReliability="88.5", Longitude="120.45", Latitude="27.65")
    ).parsed.reads
    assert read.confidence == pytest.approx(0.885)
    assert read.place is not None
    assert (read.place.lon, read.place.lat, read.place.datum_in) == (120.45, 27.65, Datum.WGS84)
    (no_fix,) = push(record(Longitude=0, Latitude="0")).parsed.reads
    assert no_fix.place is None


def test_records_of_other_devices_and_the_user_identify_fallback() -> None:
    first, second, third = push(
        record(1), record(2, DeviceID=OTHER_DEVICE), record(3, DeviceID=None, TollgateID=None)
    ).parsed.reads
    assert (first.camera_id, second.camera_id, third.camera_id) == (DEVICE, OTHER_DEVICE, DEVICE)


def test_a_resent_record_says_so() -> None:
    (read,) = push(record(isDataRetransmission="true")).parsed.reads
    assert read.retransmitted


def test_one_bad_record_never_sinks_the_others() -> None:
    bad = record(2, PassTime="20261345250000")
    result = push(record(1), bad, "not a record", record(4, PlateReliability="high"), record(5))
    assert [read.read_key for read in result.parsed.reads] == [
        record(1)["MotorVehicleID"],
        record(5)["MotorVehicleID"],
    ]
    rejected = {(r.index, r.field, r.record_id) for r in result.parsed.rejected}
    assert rejected == {
        (1, "MotorVehicleListObject.MotorVehicleObject[1].PassTime", bad["MotorVehicleID"]),
        (2, "MotorVehicleListObject.MotorVehicleObject[2]", None),
        (3, "MotorVehicleListObject.MotorVehicleObject[3].PlateReliability", record(4)["MotorVehicleID"]),
    }
    assert len(result.record_ids) == 5 and result.record_ids[2] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"PassTime": "2026-11-23 09:00:00"}, "PassTime"),
        ({"PassTime": "20261123250000"}, "PassTime"),
        ({"PlateReliability": "150"}, "PlateReliability"),
        ({"PlateColor": "blue"}, "PlateColor"),
        ({"PlateClass": "02a"}, "PlateClass"),
        ({"HasPlate": "maybe"}, "HasPlate"),
        ({"PlateNo": 12345}, "PlateNo"),
        ({"Longitude": "east", "Latitude": "27.6"}, "Longitude"),
        ({"Longitude": 200, "Latitude": 27.6}, "Longitude"),
        ({"DeviceID": "9" * 200}, "DeviceID"),
    ],
)
def test_bad_fields_are_named(change: dict[str, Any], field: str) -> None:
    def parse(body: Any) -> Parsed:
        return parse_motor_vehicles(
            body, colour_table="gat1400", device_id=DEVICE, received_at=RECEIVED
        ).parsed

    body = {"MotorVehicleListObject": {"MotorVehicleObject": [record(**change)]}}
    assert bad_field(parse, copy.deepcopy(body)) == f"MotorVehicleListObject.MotorVehicleObject[0].{field}"


def test_one_record_sent_bare_rather_than_in_a_list() -> None:
    body = {"MotorVehicleListObject": {"MotorVehicleObject": record()}}
    result = parse_motor_vehicles(body, colour_table="gat1400", device_id=DEVICE, received_at=RECEIVED)
    assert len(result.parsed.reads) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "body"),
        ({"MotorVehicleObject": []}, "MotorVehicleListObject"),
        ({"MotorVehicleListObject": {"MotorVehicleObject": "x"}}, RECORDS),
    ],
)
def test_a_body_that_is_no_vehicle_list_is_refused_whole(body: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_motor_vehicles(body, colour_table="gat1400", device_id=DEVICE, received_at=RECEIVED)
    assert caught.value.field == field
