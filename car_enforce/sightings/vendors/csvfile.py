"""Uploaded CSV files of reads: the platform's canonical CSV, or Plate Recognizer Stream's CSV output.

Rows are numbered as a spreadsheet shows them (the header is row 1), so ``row 7.read_at`` points an
operator at the cell to fix.
"""

from __future__ import annotations

import ast
import csv
import io
import math
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from car_enforce.core.errors import InvalidInput
from car_enforce.sightings.reads import (
    Candidate,
    Parsed,
    Place,
    PlateRead,
    Rejected,
    checked_confidence,
    checked_place,
    colour_of,
)
from car_enforce.sightings.vendors.common import bounded_camera, candidates_of, content_key, iso_time
from car_enforce.sightings.vendors.encoding import decode_text
from car_enforce.vehicles.plates import is_placeholder

VENDOR = "csv"

CANONICAL_COLUMNS = (
    "plate",
    "read_at",
    "camera_id",
    "confidence",
    "colour",
    "lon",
    "lat",
    "datum",
    "candidates",
)
# Stream's CSV header as its documentation shows it: timestamp, plate, score, dscore, file, box,
# model_make, color, vehicle, region, orientation, candidates, source_url, position_sec, direction.
# It has no camera column; camera_id is read when a deployment adds one, else taken from the screenshot
# path Stream writes as ``<camera_id>_screenshots/…``.
STREAM_REQUIRED = ("timestamp", "plate")

# A Python-repr cell bigger than this is not a Stream value; literal_eval on it could exhaust memory.
_MAX_REPR_CHARS = 20_000
_SCREENSHOT_DIR = re.compile(r"^/?([^/]+)_screenshots/")
_UNTOLD_COLOURS = frozenset({"", "unknown", "other"})

Row = dict[str, str]


def parse_csv(data: bytes, *, charset: str | None = None) -> Parsed:
    """An uploaded CSV as reads; placeholder plates are skipped, a row with a bad cell is rejected alone.

    UTF-8 (BOM and CRLF tolerated), or GBK/GB18030 as a Chinese spreadsheet saves "CSV".
    """
    text = decode_text(data, "file", charset=charset)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InvalidInput("row 1", f"is not valid CSV: {exc}", zh="第 1 行不是有效的 CSV") from None
    if not header or not any(cell.strip() for cell in header):
        raise InvalidInput(
            "header",
            "the file is empty; the first row must name the columns",
            zh="文件是空的；第一行应为列名",
        )
    columns = [cell.strip().lower() for cell in header]

    parse_row: Callable[[Row, int], PlateRead | None]
    if "plate" in columns and "read_at" in columns:
        parse_row = _canonical_row
    elif all(name in columns for name in STREAM_REQUIRED):
        parse_row = _stream_row
    else:
        raise InvalidInput(
            "header",
            f"expected the canonical columns {','.join(CANONICAL_COLUMNS)} "
            "or Plate Recognizer Stream's (timestamp, plate, score, …)",
            zh=f"列名不对：应为标准列（{'、'.join(CANONICAL_COLUMNS)}），"
            "或 Plate Recognizer Stream 导出的列（timestamp、plate、score 等）",
        )

    reads: list[PlateRead] = []
    rejected: list[Rejected] = []
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InvalidInput(
                f"row {number}", f"is not valid CSV: {exc}", zh=f"第 {number} 行不是有效的 CSV"
            ) from None
        if not any(cell.strip() for cell in cells):
            continue
        try:
            if len(cells) > len(columns):
                raise InvalidInput(
                    f"row {number}",
                    f"has {len(cells)} cells, the header names {len(columns)}",
                    zh=f"此行有 {len(cells)} 格，多于列名的 {len(columns)} 列",
                )
            row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(columns)}
            read = parse_row(row, number)
        except InvalidInput as exc:
            rejected.append(Rejected(index=number - 2, field=exc.field, detail=exc.reason, detail_zh=exc.zh))
            continue
        if read is not None:
            reads.append(read)
    return Parsed(reads=reads, rejected=rejected)


def _canonical_row(row: Row, number: int) -> PlateRead | None:
    at = f"row {number}"
    plate = row["plate"]
    if is_placeholder(plate):
        return None
    read_at = iso_time(row["read_at"], f"{at}.read_at")
    camera_id = _camera(row, at)
    confidence = checked_confidence(
        _number(row.get("confidence"), f"{at}.confidence"), f"{at}.confidence", scale=1
    )
    colour_word = row.get("colour", "")
    colour = colour_of(colour_word)
    if colour is None and colour_word.lower() not in _UNTOLD_COLOURS:
        raise InvalidInput(
            f"{at}.colour", f"unknown plate colour {colour_word!r}", zh=f"号牌颜色“{colour_word}”无法识别"
        )
    candidates = tuple(
        Candidate(plate=text.strip()) for text in row.get("candidates", "").split("|") if text.strip()
    )
    return PlateRead(
        plate=plate,
        read_at=read_at,
        camera_id=camera_id,
        vendor=VENDOR,
        candidates=candidates,
        confidence=confidence,
        colour=colour,
        place=_place(row, at),
        read_key=content_key(VENDOR, camera_id, read_at.isoformat(), plate),
        raw={"format": "canonical", "row": number, "fields": row},
    )


def _stream_row(row: Row, number: int) -> PlateRead | None:
    at = f"row {number}"
    plate = row["plate"]
    if is_placeholder(plate):
        return None
    # Stream stamps local time; a bare one is Asia/Shanghai, as for its webhook (Chinese deployments).
    read_at: datetime = iso_time(row["timestamp"], f"{at}.timestamp", naive_zone="shanghai")
    confidence = checked_confidence(_number(row.get("score"), f"{at}.score"), f"{at}.score", scale=1)
    checked_confidence(_number(row.get("dscore"), f"{at}.dscore"), f"{at}.dscore", scale=1)
    cands_path = f"{at}.candidates"
    listed = _python_value(row.get("candidates", ""), cands_path)
    if listed is None:
        listed = []
    if not isinstance(listed, list):
        raise InvalidInput(
            cands_path,
            "must be a list of {'plate': …, 'score': …}",
            zh="候选号牌应为 [{'plate': …, 'score': …}] 形式的列表",
        )
    candidates = candidates_of(
        ((item, f"{cands_path}[{i}]") for i, item in enumerate(listed)),
        plate_key="plate",
        confidence_key="score",
        scale=1,
    )
    camera_id = _camera(row, at)
    if camera_id is None:
        found = _SCREENSHOT_DIR.match(row.get("file", "") or row.get("filename", ""))
        camera_id = found.group(1) if found else None
    return PlateRead(
        plate=plate,
        read_at=read_at,
        camera_id=camera_id,
        vendor=VENDOR,
        candidates=tuple(candidates),
        confidence=confidence,
        # ``color`` in Stream's CSV is the vehicle's paint, not the plate's colour: it is left in raw.
        read_key=content_key(VENDOR, camera_id, read_at.isoformat(), plate),
        raw={"format": "platerecognizer-stream", "row": number, "fields": row},
    )


def _camera(row: Row, at: str) -> str | None:
    camera = row.get("camera_id") or None
    return None if camera is None else bounded_camera(camera, f"{at}.camera_id")


def _python_value(cell: str, field: str) -> Any:
    """A Python-repr cell (single-quoted dicts and lists) as data; literal_eval evaluates no code."""
    if not cell:
        return None
    if len(cell) > _MAX_REPR_CHARS:
        raise InvalidInput(
            field, f"is longer than {_MAX_REPR_CHARS} characters", zh=f"不能超过 {_MAX_REPR_CHARS} 个字符"
        )
    try:
        return ast.literal_eval(cell)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise InvalidInput(
            field,
            f"is not a Python literal such as [{{'plate': 'abc123'}}]: {cell[:80]!r}",
            zh="应为 [{'plate': 'abc123'}] 形式的列表",
        ) from None


def _number(cell: str | None, field: str) -> float | None:
    if cell is None or cell == "":
        return None
    try:
        value = float(cell)
    except ValueError:
        raise InvalidInput(field, f"must be a number, got {cell!r}", zh="应为数字") from None
    if not math.isfinite(value):
        raise InvalidInput(field, f"must be a finite number, got {cell!r}", zh="应为有效的数字")
    return value


def _place(row: Row, at: str) -> Place | None:
    lon_cell, lat_cell = row.get("lon", ""), row.get("lat", "")
    if not lon_cell and not lat_cell:
        return None
    if not lon_cell or not lat_cell:
        missing = "lon" if not lon_cell else "lat"
        raise InvalidInput(f"{at}.{missing}", "lon and lat come together", zh="经度和纬度应同时填写")
    lon = _number(lon_cell, f"{at}.lon") or 0.0
    lat = _number(lat_cell, f"{at}.lat") or 0.0
    if not -180 <= lon <= 180:
        raise InvalidInput(
            f"{at}.lon", f"longitude {lon} is outside [-180, 180]", zh="经度应在 -180 至 180 之间"
        )
    if not -90 <= lat <= 90:
        raise InvalidInput(f"{at}.lat", f"latitude {lat} is outside [-90, 90]", zh="纬度应在 -90 至 90 之间")
    return checked_place(lon, lat, row.get("datum") or None, at)
