"""Uploaded CSV reads: the canonical columns, and Plate Recognizer Stream's CSV with Python-repr cells."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from car_enforce.core.clock import MovableClock
from car_enforce.core.geo.datum import Datum, gcj02_to_wgs84
from car_enforce.sightings.reads import Candidate
from car_enforce.sightings.vendors import parse_csv
from car_enforce.vehicles.models import PlateColour
from tests.csv_messages import HEADER
from tests.vendor_helpers import bad_field

CANONICAL = "\r\n".join(
    [
        HEADER,
        "浙C12345,2026-11-23T08:50:00+08:00,gate-3,0.93,blue,120.69985,27.99412,WGS84,浙C1Z345|浙C1234S",
        "浙CD12345,2026-11-23T00:51:00Z,,,green,120.70500,28.00100,GCJ02,",
        "NOPLATE,2026-11-23T08:52:00+08:00,gate-3,0.1,,,,,",
        ",2026-11-23T08:52:00+08:00,gate-3,0.1,,,,,",
        "",
        "苏E80123,2026-11-23T08:53:00+08:00,gate-4,,,,,,",
    ]
).encode("utf-8")

STREAM_HEADER = (
    "timestamp,plate,score,dscore,file,box,model_make,color,vehicle,region,orientation,candidates,"
    "source_url,position_sec,direction"
)
STREAM_ROW = (
    "2026-11-23 00:58:00.250000+00:00,浙c1234s,0.781,0.441,/gate-3_screenshots/26-11-23/00-58-00.250000.jpg,"
    "\"{'xmin': 847, 'ymin': 80, 'xmax': 944, 'ymax': 105}\","
    "\"[{'make': 'BYD', 'model': 'Qin', 'score': 0.41}]\","
    "\"[{'color': 'white', 'score': 0.672}, {'color': 'silver', 'score': 0.201}]\","
    "\"{'score': 0.267, 'type': 'Sedan', 'box': {'xmin': 387, 'ymin': 23, 'xmax': 1493, 'ymax': 577}}\","
    "\"{'code': 'cn', 'score': 0.5}\","
    "\"[{'orientation': 'Front', 'score': 0.623}]\","
    "\"[{'plate': '浙c1234s', 'score': 0.781}, {'plate': '浙c12345', 'score': 0.6}]\","
    "rtsp://10.0.0.21/stream1,4,182"
)
STREAM_CSV = ("\ufeff" + STREAM_HEADER + "\r\n" + STREAM_ROW + "\r\n").encode("utf-8")


def test_canonical_csv(clock: MovableClock) -> None:
    reads = parse_csv(CANONICAL).reads
    assert [r.plate for r in reads] == ["浙C12345", "浙CD12345", "苏E80123"]  # placeholders skipped
    first, second, third = reads
    assert first.read_at == datetime(2026, 11, 23, 0, 50, tzinfo=UTC)
    assert first.camera_id == "gate-3"
    assert first.confidence == pytest.approx(0.93)
    assert first.colour is PlateColour.BLUE
    assert first.candidates == (Candidate("浙C1Z345"), Candidate("浙C1234S"))
    assert first.place is not None
    assert (first.place.lon, first.place.lat, first.place.datum_in) == (120.69985, 27.99412, Datum.WGS84)
    assert first.vendor == "csv"
    assert first.read_key == parse_csv(CANONICAL).reads[0].read_key
    assert first.raw == {
        "format": "canonical",
        "row": 2,
        "fields": dict(zip(HEADER.split(","), CANONICAL.decode().split("\r\n")[1].split(","), strict=True)),
    }
    assert second.camera_id is None and second.confidence is None
    assert second.colour is PlateColour.GREEN
    assert second.place is not None and second.place.datum_in is Datum.GCJ02
    assert (second.place.lon, second.place.lat) == pytest.approx(gcj02_to_wgs84(120.705, 28.001))
    assert third.place is None and third.colour is None and third.candidates == ()


def test_stream_csv_with_bom_and_single_quoted_cells(clock: MovableClock) -> None:
    (read,) = parse_csv(STREAM_CSV).reads
    assert read.plate == "浙c1234s"
    assert read.read_at == datetime(2026, 11, 23, 0, 58, 0, 250000, tzinfo=UTC)
    assert read.confidence == pytest.approx(0.781)
    assert read.candidates == (Candidate("浙c1234s", 0.781), Candidate("浙c12345", 0.6))
    assert read.camera_id == "gate-3"  # from Stream's <camera>_screenshots/ path
    assert read.colour is None  # the color column is the car's paint
    assert read.raw is not None and read.raw["format"] == "platerecognizer-stream"
    with_camera = ("camera_id," + STREAM_HEADER + "\n" + "cam-9," + STREAM_ROW + "\n").encode()
    assert parse_csv(with_camera).reads[0].camera_id == "cam-9"
    naive = STREAM_CSV.replace(b"2026-11-23 00:58:00.250000+00:00", b"2026-11-23 08:58:00")
    assert parse_csv(naive).reads[0].read_at == datetime(2026, 11, 23, 0, 58, tzinfo=UTC)  # Shanghai


def test_literal_eval_never_runs_code(clock: MovableClock) -> None:
    cell = "\"[{'plate': '浙c1234s', 'score': 0.781}, {'plate': '浙c12345', 'score': 0.6}]\""
    evil = STREAM_CSV.replace(cell.encode(), b"\"__import__('os').system('echo pwned')\"")
    assert evil != STREAM_CSV
    assert bad_field(parse_csv, evil) == "row 2.candidates"


def _canonical(row: str) -> bytes:
    return f"{HEADER}\n浙C12345,2026-11-23T08:50:00+08:00,gate-3,0.9,blue,,,,\n{row}\n".encode()


def _stream(old: str, new: str) -> bytes:
    assert old in STREAM_ROW
    return (STREAM_HEADER + "\n" + STREAM_ROW.replace(old, new, 1) + "\n").encode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"", "header"),
        (b"vin,owner\nLSVAU218XN2183294,x\n", "header"),
        (b"plate,read_at\n\xff\xfe\x00\x81,2026-11-23T08:50:00+08:00\n", "file"),  # neither UTF-8 nor GBK
        (_canonical("浙C1,2026-11-23 08:50:00,gate-3,,,,,,"), "row 3.read_at"),
        (_canonical("浙C1,2026-11-23T08:50:00+08:00,gate-3,93,,,,,"), "row 3.confidence"),
        (_canonical("浙C1,2026-11-23T08:50:00+08:00,gate-3,high,,,,,"), "row 3.confidence"),
        (_canonical("浙C1,2026-11-23T08:50:00+08:00,gate-3,,purple,,,,"), "row 3.colour"),
        (_canonical("浙C1,2026-11-23T08:50:00+08:00,gate-3,,,120.7,28.0,,"), "row 3.datum"),
        (_canonical("浙C1,2026-11-23T08:50:00+08:00,gate-3,,,120.7,28.0,BD09,"), "row 3.datum"),
        (_canonical("浙C1,2026-11-23T08:50:00+08:00,gate-3,,,120.7,,WGS84,"), "row 3.lat"),
        (_canonical("浙C1,2026-11-23T08:50:00+08:00,gate-3,,,east,28.0,WGS84,"), "row 3.lon"),
        (_canonical("浙C1,2026-11-23T08:50:00+08:00,gate-3,,,220.7,28.0,WGS84,"), "row 3.lon"),
        (_canonical("浙C1,2026-11-23T08:50:00+08:00,gate-3,,,,,,,extra"), "row 3"),
        (_stream("0.781,0.441", "1.781,0.441"), "row 2.score"),
        (_stream("0.781,0.441", "0.781,x"), "row 2.dscore"),
        (_stream("2026-11-23 00:58:00.250000+00:00", "23/11/2026"), "row 2.timestamp"),
        (
            _stream("\"[{'plate': '浙c1234s', 'score': 0.781}", "\"[{'plate': 1234, 'score': 0.781}"),
            "row 2.candidates[0].plate",
        ),
        (
            _stream("{'plate': '浙c12345', 'score': 0.6}", "{'plate': '浙c12345', 'score': 6}"),
            "row 2.candidates[1].score",
        ),
        (
            _stream(
                "\"[{'plate': '浙c1234s', 'score': 0.781}, {'plate': '浙c12345', 'score': 0.6}]\"",
                "\"{'plate': 'x'}\"",
            ),
            "row 2.candidates",
        ),
        (
            _stream(
                "\"[{'plate': '浙c1234s', 'score': 0.781}, {'plate': '浙c12345', 'score': 0.6}]\"",
                "\"[{'plate': 'x'\"",
            ),
            "row 2.candidates",
        ),
    ],
)
def test_bad_rows_name_row_and_column(clock: MovableClock, data: bytes, field: str) -> None:
    assert bad_field(parse_csv, data) == field


def test_a_gbk_file_from_a_chinese_spreadsheet_is_read(clock: MovableClock) -> None:
    data = "plate,read_at,camera_id\n蓝浙C12345,2026-11-23T08:50:00+08:00,卡口3\n".encode("gbk")
    (read,) = parse_csv(data).reads
    assert (read.plate, read.colour, read.camera_id) == ("浙C12345", PlateColour.BLUE, "卡口3")


def test_a_bad_row_is_rejected_alone(clock: MovableClock) -> None:
    parsed = parse_csv(_canonical("浙C1,2026-11-23 08:50:00,gate-3,,,,,,"))
    assert len(parsed.reads) == 1 and [r.field for r in parsed.rejected] == ["row 3.read_at"]
