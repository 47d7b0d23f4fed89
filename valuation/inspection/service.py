"""Recording the inspection of a car in custody (检测, GB/T 30323-2013), and who may see it.

An inspection is recorded whole, once per custody. The submission is checked whole before anything is
written: every checklist item scored exactly once within its points, every defect on a place and with
a code valid there, every defect photographed. Only then do the photos go to the evidence files and the
rows to the database. The same submission again returns the first inspection; a different one is a 409.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock, events
from car_enforce.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from car_enforce.core.events import OFFICER, DomainEvent, Notice
from car_enforce.core.files.photos import CheckedPhoto, checked_photo
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.custody import costs
from car_enforce.custody import service as custody_service
from car_enforce.custody.models import Custody, CustodyStatus
from car_enforce.sightings.reads import MAX_CLOCK_SKEW
from valuation.inspection import grading
from valuation.inspection.checklist import Checklist, checklist
from valuation.inspection.models import (
    DefectTarget,
    Inspection,
    InspectionDefect,
    InspectionItem,
    InspectionPhoto,
)
from valuation.inspection.schemas import DefectIn, InspectionIn


@dataclass(frozen=True, slots=True)
class _Item:
    position: int
    section_code: str
    code: str
    points: int
    score: int
    notes: str


@dataclass(frozen=True, slots=True)
class _Defect:
    target: DefectTarget
    point_code: str
    defect_code: str
    notes: str
    photos: list[CheckedPhoto]


@dataclass(frozen=True, slots=True)
class _Checked:
    """A submission after every field was checked, scored and graded."""

    inspected_at: datetime
    items: list[_Item]  # in the checklist's order
    defects: list[_Defect]
    score: int
    grade: int
    accident: bool


def _digest(data: InspectionIn) -> str:
    document = json.dumps(data.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(document.encode()).hexdigest()


def _checked_time(data: InspectionIn, custody: Custody) -> datetime:
    if data.inspected_at is None:
        return clock.now()
    instant = data.inspected_at
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidInput("inspected_at", f"{instant.isoformat()} has no UTC offset; send e.g. +08:00")
    at = clock.as_utc(instant)
    if at > clock.now() + MAX_CLOCK_SKEW:
        raise InvalidInput("inspected_at", f"{at.isoformat()} lies in the future")
    taken_in = clock.as_utc(custody.taken_in_at)
    if at < taken_in:
        raise InvalidInput(
            "inspected_at", f"{at.isoformat()} is before the car was taken in ({taken_in.isoformat()})"
        )
    return at


def _checked_items(data: InspectionIn, rules: Checklist) -> list[_Item]:
    """Each checklist item scored exactly once, 0 to its points; InvalidInput naming the first bad one."""
    seen: dict[str, int] = {}
    items: list[_Item] = []
    for i, entry in enumerate(data.items):
        code = entry.code.strip()
        found = rules.item_index.get(code)
        if found is None:
            raise InvalidInput(f"items[{i}].code", f"{code!r} is not an item of checklist {rules.version}")
        if code in seen:
            raise InvalidInput(f"items[{i}].code", f"{code} was scored already at items[{seen[code]}]")
        seen[code] = i
        position, section, item = found
        if not 0 <= entry.score <= item.points:
            raise InvalidInput(
                f"items[{i}].score", f"{item.code} {item.name} scores 0 to {item.points}, not {entry.score}"
            )
        items.append(_Item(position, section.code, code, item.points, entry.score, entry.notes.strip()))
    missing = [code for code in rules.item_index if code not in seen]
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        raise InvalidInput("items", f"every checklist item must be scored; {len(missing)} missing: {shown}")
    return sorted(items, key=lambda it: it.position)


def _checked_defect(i: int, entry: DefectIn, rules: Checklist) -> _Defect:
    field = f"defects[{i}]"
    point = entry.point_code.strip()
    code = entry.defect_code.strip().upper()
    if entry.target in (DefectTarget.FLOOD, DefectTarget.FIRE):
        if point:
            raise InvalidInput(
                f"{field}.point_code", f"{entry.target} damage is not on one point; leave it empty"
            )
    elif entry.target == DefectTarget.ITEM and point not in rules.item_index:
        raise InvalidInput(f"{field}.point_code", f"{point!r} is not an item of checklist {rules.version}")
    elif entry.target == DefectTarget.STRUCTURAL and point not in rules.structural_index:
        valid = ", ".join(rules.structural_index)
        raise InvalidInput(f"{field}.point_code", f"{point!r} is not a structural point ({valid})")
    allowed = rules.codes_for(entry.target, point)
    if code not in {c.code for c in allowed}:
        valid = ", ".join(f"{c.code} {c.name}" for c in allowed)
        where = f"{entry.target} {point}".strip()
        raise InvalidInput(
            f"{field}.defect_code", f"{code!r} is not a defect code for {where}; valid: {valid}"
        )
    if not entry.photos:
        raise InvalidInput(f"{field}.photos", "every defect needs at least one photo")
    photos = [
        checked_photo(f"{field}.photos[{j}].content_base64", p.caption, p.content_base64)
        for j, p in enumerate(entry.photos)
    ]
    return _Defect(entry.target, point, code, entry.notes.strip(), photos)


def _checked_defects(data: InspectionIn, rules: Checklist) -> list[_Defect]:
    defects: list[_Defect] = []
    seen: dict[tuple[DefectTarget, str, str], int] = {}
    for i, entry in enumerate(data.defects):
        defect = _checked_defect(i, entry, rules)
        key = (defect.target, defect.point_code, defect.defect_code)
        if key in seen:
            raise InvalidInput(
                f"defects[{i}]", f"repeats defects[{seen[key]}]; put all its photos on one entry"
            )
        seen[key] = i
        defects.append(defect)
    # The flags and the defects must tell the same story: a flag with no photographed evidence is a
    # claim nobody can check, and damage photographed but not flagged would slip out of the verdict.
    for target, flag, name in (
        (DefectTarget.FLOOD, data.flood_damage, "flood_damage"),
        (DefectTarget.FIRE, data.fire_damage, "fire_damage"),
    ):
        recorded = any(d.target == target for d in defects)
        if flag and not recorded:
            raise InvalidInput(name, f"is true but no defect with target {target} and a photo records it")
        if recorded and not flag:
            raise InvalidInput(name, f"is false but a defect with target {target} records {target} damage")
    return defects


def _check(data: InspectionIn, custody: Custody, rules: Checklist) -> _Checked:
    """The whole submission checked, scored and graded; InvalidInput (422) naming the first bad field."""
    inspected_at = _checked_time(data, custody)
    if not data.inspector_name.strip():
        raise InvalidInput("inspector_name", "is empty")
    items = _checked_items(data, rules)
    defects = _checked_defects(data, rules)
    score = grading.total_score(i.score for i in items)
    accident = any(d.target == DefectTarget.STRUCTURAL for d in defects)
    grade = grading.technical_grade(score, accident=accident)
    return _Checked(inspected_at, items, defects, score, grade, accident)


def _inspection_of(session: Session, custody_id: int) -> Inspection | None:
    return session.scalar(select(Inspection).where(Inspection.custody_id == custody_id))


def _replayed(inspection: Inspection, digest: str) -> Inspection:
    if inspection.request_digest != digest:
        raise Conflict(
            f"custody {inspection.custody_id} was inspected already (inspection {inspection.id}, "
            f"{clock.local(inspection.inspected_at):%Y-%m-%d}); an inspection is recorded once"
        )
    return inspection


def record_inspection(
    session: Session, *, actor: Principal, custody: Custody, data: InspectionIn
) -> tuple[Inspection, bool]:
    """Record the inspection of a car in custody; (the first inspection, False) for a replay of it."""
    if actor.role != Role.CENTER_STAFF or actor.organisation_id != custody.center_id:
        raise Forbidden(f"only the staff of {custody.center.name} record the inspection of its cars")
    digest = _digest(data)
    # One inspection per custody, even when two inspectors press at the same moment.
    custody_service.lock_custody(session, custody)
    earlier = _inspection_of(session, custody.id)
    if earlier is not None:  # before the checks: a retry after the car left is still the same inspection
        return _replayed(earlier, digest), False
    if custody.status != CustodyStatus.IN_CUSTODY:
        raise Conflict(f"custody {custody.id} is {custody.status}: only a car in custody is inspected")
    rules = checklist()
    checked = _check(data, custody, rules)
    day = clock.local(checked.inspected_at).date()
    costs.tariff_on(session, custody.center_id, custody.vehicle_class, day)  # its fee must be chargeable

    # Everything is checked: from here on the inspection is stored.
    refs = [[p.store() for p in d.photos] for d in checked.defects]
    inspection = Inspection(
        custody_id=custody.id,
        vehicle_id=custody.vehicle_id,
        center_id=custody.center_id,
        checklist_version=rules.version,
        inspector_name=data.inspector_name.strip(),
        inspected_at=checked.inspected_at,
        odometer_km=data.odometer_km,
        recorded_at=clock.now(),
        recorded_by=actor.label,
        request_digest=digest,
        score=checked.score,
        grade=checked.grade,
        accident=checked.accident,
        flood_damage=data.flood_damage,
        fire_damage=data.fire_damage,
        summary=data.summary.strip(),
    )
    session.add(inspection)
    session.flush()
    session.add_all(
        InspectionItem(
            inspection_id=inspection.id,
            position=item.position,
            section_code=item.section_code,
            item_code=item.code,
            points=item.points,
            score=item.score,
            notes=item.notes,
        )
        for item in checked.items
    )
    for defect, photo_refs in zip(checked.defects, refs, strict=True):
        row = InspectionDefect(
            inspection_id=inspection.id,
            target=defect.target,
            point_code=defect.point_code,
            defect_code=defect.defect_code,
            notes=defect.notes,
        )
        session.add(row)
        session.flush()
        session.add_all(
            InspectionPhoto(
                defect_id=row.id,
                position=n,
                caption=photo.caption,
                evidence_ref=ref,
                size_bytes=len(photo.data),
            )
            for n, (photo, ref) in enumerate(zip(defect.photos, photo_refs, strict=True))
        )
    session.flush()
    session.refresh(inspection)  # its items, defects and photos, as the response shows them

    costs.charge_inspection(session, actor=actor, custody=custody, inspection_id=inspection.id, on=day)
    _record(session, actor, custody, inspection)
    return inspection, True


def _record(session: Session, actor: Principal, custody: Custody, inspection: Inspection) -> None:
    told: tuple[Notice, ...] = ()
    if custody.watch_id is not None:
        told = (
            Notice(
                OFFICER,
                custody.watch_id,
                f"被扣押车辆{custody.vehicle.plate}已在{custody.center.name}完成检测，{verdict_text(inspection)}。",
                f"inspection-recorded:{inspection.id}",
            ),
        )
    events.record(
        session,
        actor,
        DomainEvent(
            kind="inspection.recorded",
            subject=f"custody:{custody.id}",
            case_id=custody.case_id,
            data={
                "inspection_id": inspection.id,
                "custody_id": custody.id,
                "plate": custody.vehicle.plate,
                "center_id": custody.center_id,
                "checklist_version": inspection.checklist_version,
                "inspected_at": inspection.inspected_at,
                "score": inspection.score,
                "grade": inspection.grade,
                "accident": inspection.accident,
                "flood_damage": inspection.flood_damage,
                "fire_damage": inspection.fire_damage,
                "defects": len(inspection.defects),
            },
            parties=(custody.court_id, custody.center_id),
            notices=told,
            context={"capture_id": custody.capture_id},
        ),
    )


def verdict_text(inspection: Inspection) -> str:
    """The inspection in one plain Chinese sentence: the grade, its score, and what was found."""
    found = [
        text
        for flag, text in (
            (inspection.accident, "车体结构受损，属事故车"),
            (inspection.flood_damage, "有水泡痕迹"),
            (inspection.fire_damage, "有火烧痕迹"),
        )
        if flag
    ]
    verdict = f"技术状况等级：{grading.grade_name(inspection.grade)}（{inspection.score}分）"
    return verdict + (f"，{'，'.join(found)}" if found else "")


def inspection_of_custody(session: Session, actor: Principal, custody_id: int) -> Inspection:
    """The inspection of a custody the caller may see; NotFound when it has none yet."""
    custody = custody_service.visible_custody(session, actor, custody_id)
    inspection = _inspection_of(session, custody.id)
    if inspection is None:
        raise NotFound(f"custody {custody_id} has no inspection yet")
    return inspection


def visible_inspection(session: Session, actor: Principal, inspection_id: int) -> Inspection:
    """The inspection if the caller sees its custody (its court, its center, an admin); NotFound otherwise."""
    inspection = session.get(Inspection, inspection_id)
    if inspection is None:
        raise NotFound(f"inspection {inspection_id} does not exist")
    try:
        custody_service.visible_custody(session, actor, inspection.custody_id)
    except NotFound:
        raise NotFound(f"inspection {inspection_id} does not exist") from None
    return inspection
