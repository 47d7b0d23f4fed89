"""One car of the demo already seized, taken into the Pingyang center and inspected: the state the reference
price starts from, so the demo can be tried from there (README, "The reference price")."""

from __future__ import annotations

import base64
import struct
import zlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.captures.schemas import ArrivalIn, CaptureReport, HandoverIn, OfficerIn, PlaceIn
from car_enforce.captures.service import record_arrival, report_capture
from car_enforce.core import clock
from car_enforce.core.files.photos import PhotoIn
from car_enforce.core.identity.principal import Principal
from car_enforce.custody.models import Custody
from car_enforce.custody.schemas import BelongingIn, IntakeIn, PaperKind
from car_enforce.custody.service import take_in
from valuation.inspection.checklist import checklist
from valuation.inspection.models import DefectTarget
from valuation.inspection.schemas import DefectIn, DefectPhotoIn, InspectionIn, ItemScoreIn
from valuation.inspection.service import record_inspection

PLATE = "浙CD12345"  # the BYD of the Pingyang court's case, watched city-wide
PLACE = (120.5605, 27.6715)  # 平阳县昆阳镇, WGS84
# Points lost at the inspection: 12 in all, so 88 points (二级).
LOST = {"B06": 1, "B11": 1, "E03": 2, "E07": 2, "S06": 2, "R04": 2, "D02": 2}


def _png(rgb: tuple[int, int, int], width: int = 48, height: int = 36) -> str:
    """A small PNG of one colour fading to white at the top, base64: the demo's photos (each colour is a
    different evidence file; the fade shows which way up a thumbnail is)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = []
    for y in range(height):
        shade = bytes(255 - (255 - c) * (y + 1) // height for c in rgb)
        rows.append(b"\x00" + shade * width)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(png).decode("ascii")


def seed_custody(
    session: Session,
    *,
    brigade: Principal,
    staff: Principal,
    plate: str = PLATE,
    report_number: str = "PY-DEMO-0001",
    inspect: bool = True,
) -> Custody:
    """The car captured, arrived, taken in and inspected at the Pingyang center as the demo is seeded."""
    now = clock.now()
    capture, _ = report_capture(
        session,
        actor=brigade,
        data=CaptureReport(
            report_number=report_number,
            plate=plate,
            captured_at=now,  # the watches were issued by this same seed a moment ago
            place=PlaceIn(lon=PLACE[0], lat=PLACE[1], datum="WGS84", address="平阳县昆阳镇万全大道"),
            officers=[OfficerIn(name="陈警官", badge_number="033261")],
            handover=HandoverIn(registration_certificate=True, keys=2, belongings=["充电枪一把"], notes=""),
            photos=[
                PhotoIn(caption="车辆左前方", content_base64=_png((30, 60, 160))),
                PhotoIn(caption="号牌", content_base64=_png((230, 180, 20))),
            ],
        ),
    )
    record_arrival(session, actor=staff, capture=capture, data=ArrivalIn())
    custody = take_in(
        session,
        actor=staff,
        capture=capture,
        data=IntakeIn(
            bay="A-01",
            odometer_km=52_300,
            charge_percent=64,
            keys_received=2,
            papers=[PaperKind.REGISTRATION_CERTIFICATE],
            belongings=[BelongingIn(item="充电枪", quantity=1)],
            condition_notes="左前门轻微划痕",
            custodian_name="李保管",
            photos=[
                PhotoIn(caption=side, content_base64=_png(rgb))
                for side, rgb in (
                    ("前", (200, 0, 0)),
                    ("后", (0, 200, 0)),
                    ("左", (0, 0, 200)),
                    ("右", (90, 90, 90)),
                )
            ],
        ),
    )
    if inspect:
        _inspect(session, staff, custody)
    found = session.scalar(select(Custody).where(Custody.id == custody.id))
    assert found is not None
    return found


def _inspect(session: Session, staff: Principal, custody: Custody) -> None:
    record_inspection(
        session,
        actor=staff,
        custody=custody,
        data=InspectionIn(
            inspector_name="王检测员",
            odometer_km=52_300,
            items=[
                ItemScoreIn(code=item.code, score=item.points - LOST.get(item.code, 0))
                for _, item in checklist().items
            ],
            defects=[
                DefectIn(
                    target=DefectTarget.ITEM,
                    point_code="B06",
                    defect_code="HH",
                    notes="左前车门划痕约8厘米",
                    photos=[DefectPhotoIn(caption="左前车门划痕", content_base64=_png((150, 40, 40)))],
                )
            ],
            summary="车况良好，左前门轻微划痕。",
        ),
    )
