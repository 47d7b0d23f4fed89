"""One watched car's hit in every vendor's format, and sending it, for the adapter and checkpoint tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from tests.csv_messages import HEADER as CSV_HEADER
from tests.dahua_messages import event as dahua_event
from tests.dahua_messages import stream as dahua_stream
from tests.hikvision_messages import PLATE_PICTURE, SCENE_PICTURE
from tests.hikvision_messages import alert as alert_xml
from tests.openalpr_messages import alprd_results
from tests.platerecognizer_messages import UPLOAD, snapshot
from tests.rekor_messages import OVERVIEW, PLATE_CROP, VEHICLE_CROP
from tests.rekor_messages import group as rekor_group

IN_PINGYANG = (120.45, 27.65)  # inside the factories' 平阳 box (lon 120.2–120.7, lat 27.5–27.8), WGS84

OPENALPR = "/api/police/adapters/openalpr"

REKOR = "/api/police/adapters/rekor"

PLATERECOGNIZER = "/api/police/adapters/platerecognizer"

HIKVISION = "/api/police/adapters/hikvision"

CSV = "/api/police/adapters/csv"

DAHUA = "/api/police/adapters/dahua"

BOUNDARY = "MIME_boundary_7f3a"  # fixed: a replayed multipart push is the same bytes


@dataclass(frozen=True)
class Message:
    """One HTTP request as the vendor's device sends it: the endpoint, the exact bytes, the headers."""

    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def signed(self, **headers: str) -> Message:
        return replace(self, headers={**self.headers, **headers})


def key(secret: str) -> dict[str, str]:
    return {"X-Api-Key": secret}


def json_message(path: str, document: Any, secret: str | None) -> Message:
    headers = {"Content-Type": "application/json", **(key(secret) if secret else {})}
    return Message(path, json.dumps(document, ensure_ascii=False).encode(), headers)


def multipart(
    path: str, parts: Sequence[tuple[str, str | None, str | None, bytes]], secret: str | None
) -> Message:
    """A multipart/form-data body of (name, filename, content type, data) parts, with a fixed boundary."""
    chunks: list[bytes] = []
    for name, filename, content_type, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        chunks += [head.encode(), b"\r\n", data, b"\r\n"]
    chunks.append(f"--{BOUNDARY}--\r\n".encode())
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **(key(secret) if secret else {})}
    return Message(path, b"".join(chunks), headers)


def send(client: TestClient, message: Message) -> Response:
    return client.post(message.path, content=message.body, headers=message.headers)


# OpenALPR alprd: a frame with two plates; the watched one is only the second candidate of the first.
def openalpr_doc() -> dict[str, Any]:
    doc = alprd_results()
    first = doc["results"][0]
    first["plate"] = "浙C1Z345"
    first["candidates"] = [
        {"plate": "浙C1Z345", "confidence": 91.5, "matches_template": 1},
        {"plate": "浙C12345", "confidence": 88.0, "matches_template": 1},
        {"plate": "浙C1Z34S", "confidence": 70.0, "matches_template": 0},
    ]
    return doc


def openalpr_hit(secret: str | None) -> Message:
    return json_message(OPENALPR, openalpr_doc(), secret)


def dahua_hit(secret: str | None) -> Message:
    return json_message(DAHUA, dahua_stream(dahua_event()), secret)


# Rekor Scout: an alpr_group with three base64 JPEGs and a GPS fix inside 平阳; the key in custom_data.
def rekor_doc(secret: str | None) -> dict[str, Any]:
    doc = rekor_group()
    doc["gps_longitude"], doc["gps_latitude"] = IN_PINGYANG
    if secret is None:
        del doc["custom_data"]
    else:
        doc["custom_data"] = {"api_key": secret}
    return doc


def rekor_hit(secret: str | None) -> Message:
    return json_message(REKOR, rekor_doc(secret), None)


# Plate Recognizer Snapshot: lower case 浙c12345; as a JSON body, or multipart json + upload.
def platerecognizer_doc() -> dict[str, Any]:
    doc = snapshot()
    doc["data"]["camera_id"] = "gate-3"
    return doc


def platerecognizer_hit(secret: str | None) -> Message:
    return json_message(PLATERECOGNIZER, platerecognizer_doc(), secret)


def platerecognizer_form(secret: str | None, document: Any = None, upload: bytes = UPLOAD) -> Message:
    text = json.dumps(platerecognizer_doc() if document is None else document, ensure_ascii=False)
    parts = [("json", None, None, text.encode()), ("upload", "gate3_0858.jpg", "image/jpeg", upload)]
    return multipart(PLATERECOGNIZER, parts, secret)


# Hikvision ISAPI: multipart anpr.xml + two JPEGs (plate colour blue), or the bare XML.
def hikvision_form(secret: str | None, xml: bytes | None = None) -> Message:
    parts = [
        ("anpr.xml", "anpr.xml", "application/xml", alert_xml() if xml is None else xml),
        ("licensePlatePicture.jpg", "licensePlatePicture.jpg", "image/jpeg", PLATE_PICTURE),
        ("detectionPicture.jpg", "detectionPicture.jpg", "image/jpeg", SCENE_PICTURE),
    ]
    return multipart(HIKVISION, parts, secret)


def hikvision_xml(secret: str | None, xml: bytes | None = None) -> Message:
    headers = {"Content-Type": "application/xml", **(key(secret) if secret else {})}
    return Message(HIKVISION, alert_xml() if xml is None else xml, headers)


# CSV upload (the platform's columns): the watched car in 平阳 and a car nobody watches.
CSV_ROWS = [
    "浙C12345,2026-11-23T08:50:00+08:00,gate-3,0.93,blue,120.45,27.65,WGS84,浙C1Z345",
    "苏E80123,2026-11-23T08:51:00+08:00,gate-3,0.88,blue,120.45,27.65,WGS84,",
]


def csv_data(*rows: str) -> bytes:
    return ("\r\n".join([CSV_HEADER, *(rows or CSV_ROWS)]) + "\r\n").encode()


def csv_hit(secret: str | None, data: bytes | None = None) -> Message:
    headers = {"Content-Type": "text/csv", **(key(secret) if secret else {})}
    return Message(CSV, csv_data() if data is None else data, headers)


def csv_form(secret: str | None, data: bytes | None = None) -> Message:
    parts = [("file", "reads.csv", "text/csv", csv_data() if data is None else data)]
    return multipart(CSV, parts, secret)


Builder = Callable[[str | None], Message]


@dataclass(frozen=True)
class Hit:
    """A message about the watched car and what it must give."""

    build: Builder
    reads: int
    reading: str  # the text that matched, as read
    plate_read: str  # the reader's best reading
    images: tuple[bytes, ...] = ()


HITS = {
    "openalpr": Hit(openalpr_hit, reads=2, reading="浙C12345", plate_read="浙C1Z345"),
    "rekor": Hit(
        rekor_hit,
        reads=1,
        reading="浙C12345",
        plate_read="浙C12345",
        images=(VEHICLE_CROP, OVERVIEW, PLATE_CROP),
    ),
    "platerecognizer-json": Hit(platerecognizer_hit, reads=1, reading="浙c12345", plate_read="浙c12345"),
    "platerecognizer-multipart": Hit(
        platerecognizer_form, reads=1, reading="浙c12345", plate_read="浙c12345", images=(UPLOAD,)
    ),
    "hikvision-multipart": Hit(
        hikvision_form,
        reads=1,
        reading="浙C12345",
        plate_read="浙C12345",
        images=(PLATE_PICTURE, SCENE_PICTURE),
    ),
    "hikvision-xml": Hit(hikvision_xml, reads=1, reading="浙C12345", plate_read="浙C12345"),
    "csv": Hit(csv_hit, reads=2, reading="浙C12345", plate_read="浙C12345"),
    "csv-multipart": Hit(csv_form, reads=2, reading="浙C12345", plate_read="浙C12345"),
    "dahua": Hit(dahua_hit, reads=1, reading="浙C12345", plate_read="浙C12345"),
}
