"""Recording the inspection of a car in custody (检测, GB/T 30323-2013), correcting it, and who may see it.

An inspection is recorded whole, once per custody. The submission is checked whole before anything is
written: every checklist item scored exactly once within its points, every defect on a place and with
a code valid there, every defect photographed. Only then do the photos go to the evidence files and the
rows to the database. The same submission again returns the first inspection; a different one is a 409.

A mistake is corrected by the center holding the car: a whole new version, checked like the first, with
the reason, naming the version it replaces. Versions are never changed or deleted; the latest counts
(for a new reference price, for "the inspection of a custody"), and a reference price already opened
keeps the version it was opened with (it says so on its page when a later one exists).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock, events, zh
from car_enforce.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from car_enforce.core.events import OFFICER, DomainEvent, Notice
from car_enforce.core.files.photos import CheckedPhoto, checked_photo, photo_at
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.custody import costs
from car_enforce.custody import service as custody_service
from car_enforce.custody.models import Custody, CustodyStatus
from car_enforce.sightings.reads import MAX_CLOCK_SKEW
from valuation.inspection import grading
from valuation.inspection.checklist import Checklist, checklist
from valuation.inspection.models import (
    TARGET_NAMES_ZH,
    DefectTarget,
    Inspection,
    InspectionDefect,
    InspectionItem,
    InspectionPhoto,
)
from valuation.inspection.schemas import DefectIn, DefectPhotoIn, InspectionCorrectionIn, InspectionIn


@dataclass(frozen=True, slots=True)
class _Item:
    position: int
    section_code: str
    code: str
    points: int
    score: int
    notes: str


@dataclass(frozen=True, slots=True)
class _Kept:
    """A photo of the corrected version that the correction keeps: the same evidence file, not a copy."""

    caption: str
    ref: str
    size_bytes: int

    def store(self) -> str:
        return self.ref


@dataclass(frozen=True, slots=True)
class _Defect:
    target: DefectTarget
    point_code: str
    defect_code: str
    notes: str
    photos: list[CheckedPhoto | _Kept]


def _size(photo: CheckedPhoto | _Kept) -> int:
    return photo.size_bytes if isinstance(photo, _Kept) else len(photo.data)


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


def _checked_time(data: InspectionIn, custody: Custody, default: datetime | None = None) -> datetime:
    if data.inspected_at is None:
        return default or clock.now()
    instant = data.inspected_at
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidInput(
            "inspected_at",
            f"{instant.isoformat()} has no UTC offset; send e.g. +08:00",
            zh="时间未注明时区（UTC 偏移），如 +08:00",
        )
    at = clock.as_utc(instant)
    if at > clock.now() + MAX_CLOCK_SKEW:
        raise InvalidInput("inspected_at", f"{at.isoformat()} lies in the future", zh="检测时间晚于当前时间")
    taken_in = clock.as_utc(custody.taken_in_at)
    if at < taken_in:
        raise InvalidInput(
            "inspected_at",
            f"{at.isoformat()} is before the car was taken in ({taken_in.isoformat()})",
            zh=f"检测时间（{zh.minute(at)}）早于车辆入库时间（{zh.minute(taken_in)}）",
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
            raise InvalidInput(
                f"items[{i}].code",
                f"{code!r} is not an item of checklist {rules.version}",
                zh=f"“{code}”不是检测项目表 {rules.version} 中的项目",
            )
        if code in seen:
            raise InvalidInput(
                f"items[{i}].code",
                f"{code} was scored already at items[{seen[code]}]",
                zh=f"项目 {code} 已在第 {seen[code] + 1} 项评过分",
            )
        seen[code] = i
        position, section, item = found
        if not 0 <= entry.score <= item.points:
            raise InvalidInput(
                f"items[{i}].score",
                f"{item.code} {item.name} scores 0 to {item.points}, not {entry.score}",
                zh=f"{item.code} {item.name}的得分应在 0 至 {item.points} 分之间，不能是 {entry.score} 分",
            )
        items.append(_Item(position, section.code, code, item.points, entry.score, entry.notes.strip()))
    missing = [code for code in rules.item_index if code not in seen]
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        shown_zh = "、".join(missing[:10]) + ("等" if len(missing) > 10 else "")
        raise InvalidInput(
            "items",
            f"every checklist item must be scored; {len(missing)} missing: {shown}",
            zh=f"检测项目表中的每一项都须评分；尚有 {len(missing)} 项未评分：{shown_zh}",
        )
    return sorted(items, key=lambda it: it.position)


def _checked_defect(
    i: int, entry: DefectIn, rules: Checklist, kept: dict[str, InspectionPhoto] | None
) -> _Defect:
    field = f"defects[{i}]"
    point = entry.point_code.strip()
    code = entry.defect_code.strip().upper()
    if entry.target in (DefectTarget.FLOOD, DefectTarget.FIRE):
        if point:
            raise InvalidInput(
                f"{field}.point_code",
                f"{entry.target} damage is not on one point; leave it empty",
                zh=f"{TARGET_NAMES_ZH[entry.target]}损伤不在某一个部位，此项请留空",
            )
    elif entry.target == DefectTarget.ITEM and point not in rules.item_index:
        raise InvalidInput(
            f"{field}.point_code",
            f"{point!r} is not an item of checklist {rules.version}",
            zh=f"“{point}”不是检测项目表 {rules.version} 中的项目",
        )
    elif entry.target == DefectTarget.STRUCTURAL and point not in rules.structural_index:
        valid = ", ".join(rules.structural_index)
        raise InvalidInput(
            f"{field}.point_code",
            f"{point!r} is not a structural point ({valid})",
            zh=f"“{point}”不是车体结构检查部位（应为{'、'.join(rules.structural_index)}之一）",
        )
    allowed = rules.codes_for(entry.target, point)
    if code not in {c.code for c in allowed}:
        valid = ", ".join(f"{c.code} {c.name}" for c in allowed)
        where = f"{entry.target} {point}".strip()
        where_zh = f"{TARGET_NAMES_ZH[entry.target]}{rules.point_name(entry.target, point)}"
        raise InvalidInput(
            f"{field}.defect_code",
            f"{code!r} is not a defect code for {where}; valid: {valid}",
            zh=f"“{code}”不是{where_zh}可用的缺陷代码；可用代码："
            f"{'、'.join(f'{c.code} {c.name}' for c in allowed) or '无'}",
        )
    if not entry.photos:
        raise InvalidInput(
            f"{field}.photos", "every defect needs at least one photo", zh="每项缺陷至少需要一张照片"
        )
    photos: list[CheckedPhoto | _Kept] = []
    for j, p in enumerate(entry.photos):
        if p.content_base64 is not None:
            photos.append(checked_photo(f"{field}.photos[{j}].content_base64", p.caption, p.content_base64))
            continue
        ref = p.evidence_ref or ""
        if kept is None:
            raise InvalidInput(
                f"{field}.photos[{j}].evidence_ref",
                "only a correction keeps a photo; send content_base64",
                zh="只有更正检测时才能沿用原有照片，请上传照片",
            )
        if ref not in kept:
            raise InvalidInput(
                f"{field}.photos[{j}].evidence_ref",
                f"{ref} is not a photo of the corrected version",
                zh="所选照片不属于被更正的检测版本",
            )
        photos.append(_Kept(p.caption.strip(), ref, kept[ref].size_bytes))
    return _Defect(entry.target, point, code, entry.notes.strip(), photos)


def _checked_defects(
    data: InspectionIn, rules: Checklist, kept: dict[str, InspectionPhoto] | None
) -> list[_Defect]:
    defects: list[_Defect] = []
    seen: dict[tuple[DefectTarget, str, str], int] = {}
    for i, entry in enumerate(data.defects):
        defect = _checked_defect(i, entry, rules, kept)
        key = (defect.target, defect.point_code, defect.defect_code)
        if key in seen:
            raise InvalidInput(
                f"defects[{i}]",
                f"repeats defects[{seen[key]}]; put all its photos on one entry",
                zh=f"与第 {seen[key] + 1} 项缺陷重复；同一缺陷的照片请放在一项中",
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
            raise InvalidInput(
                name,
                f"is true but no defect with target {target} and a photo records it",
                zh=f"已勾选{TARGET_NAMES_ZH[target]}，但没有记录带照片的{TARGET_NAMES_ZH[target]}缺陷",
            )
        if recorded and not flag:
            raise InvalidInput(
                name,
                f"is false but a defect with target {target} records {target} damage",
                zh=f"未勾选{TARGET_NAMES_ZH[target]}，但缺陷中记录了{TARGET_NAMES_ZH[target]}损伤",
            )
    return defects


def _check(
    data: InspectionIn, custody: Custody, rules: Checklist, corrected: Inspection | None = None
) -> _Checked:
    """The whole submission checked, scored and graded; InvalidInput (422) naming the first bad field.

    For a correction of ``corrected``: its time is the default, and its photos may be kept.
    """
    inspected_at = _checked_time(data, custody, corrected.inspected_at if corrected else None)
    if not data.inspector_name.strip():
        raise InvalidInput("inspector_name", "is empty", zh="不能为空")
    items = _checked_items(data, rules)
    kept = {p.evidence_ref: p for d in corrected.defects for p in d.photos} if corrected else None
    defects = _checked_defects(data, rules, kept)
    score = grading.total_score(i.score for i in items)
    accident = any(d.target == DefectTarget.STRUCTURAL for d in defects)
    grade = grading.technical_grade(score, accident=accident)
    return _Checked(inspected_at, items, defects, score, grade, accident)


def versions(session: Session, custody_id: int) -> list[Inspection]:
    """Every version of a custody's inspection, the first recorded first."""
    query = select(Inspection).where(Inspection.custody_id == custody_id).order_by(Inspection.version)
    return list(session.scalars(query))


def latest_inspection(session: Session, custody_id: int) -> Inspection | None:
    """The version of a custody's inspection that counts (the latest correction), or None."""
    query = select(Inspection).where(Inspection.custody_id == custody_id)
    return session.scalar(query.order_by(Inspection.version.desc()).limit(1))


def successor_of(session: Session, inspection: Inspection) -> Inspection | None:
    """The version that corrected this one, or None while it is the latest."""
    return session.scalar(select(Inspection).where(Inspection.replaces_id == inspection.id))


def replaced_by(session: Session, inspection: Inspection) -> Inspection | None:
    """The version this one corrects, or None for the inspection as first recorded."""
    return session.get(Inspection, inspection.replaces_id) if inspection.replaces_id is not None else None


def _replayed(first: Inspection, latest: Inspection, digest: str) -> Inspection:
    if first.request_digest != digest:
        raise Conflict(
            f"custody {first.custody_id} was inspected already (inspection {latest.id}, "
            f"{clock.local(first.inspected_at):%Y-%m-%d}); an inspection is recorded once: "
            f"correct it with POST /api/inspections/{latest.id}/corrections",
            zh=f"此车辆已于{zh.day(first.inspected_at)}检测，检测只登记一次；如有错误请更正检测",
        )
    return first


def record_inspection(
    session: Session, *, actor: Principal, custody: Custody, data: InspectionIn
) -> tuple[Inspection, bool]:
    """Record the inspection of a car in custody; (the first inspection, False) for a replay of it."""
    if actor.role != Role.CENTER_STAFF or actor.organisation_id != custody.center_id:
        raise Forbidden(
            f"only the staff of {custody.center.name} record the inspection of its cars",
            zh=f"只有{custody.center.name}的工作人员才能登记其保管车辆的检测",
        )
    digest = _digest(data)
    # One inspection per custody, even when two inspectors press at the same moment.
    custody_service.lock_custody(session, custody)
    earlier = versions(session, custody.id)
    if earlier:  # before the checks: a retry after the car left is still the same inspection
        return _replayed(earlier[0], earlier[-1], digest), False
    if custody.status != CustodyStatus.IN_CUSTODY:
        raise Conflict(
            f"custody {custody.id} is {custody.status}: only a car in custody is inspected",
            zh="车辆已出库，只有在库车辆才能检测",
        )
    rules = checklist()
    checked = _check(data, custody, rules)
    day = clock.local(checked.inspected_at).date()
    costs.tariff_on(session, custody.center_id, custody.vehicle_class, day)  # its fee must be chargeable

    inspection = _store(session, actor, custody, data, checked, rules, digest=digest)
    costs.charge_inspection(session, actor=actor, custody=custody, inspection_id=inspection.id, on=day)
    _record(session, actor, custody, inspection)
    return inspection, True


def _store(
    session: Session,
    actor: Principal,
    custody: Custody,
    data: InspectionIn,
    checked: _Checked,
    rules: Checklist,
    *,
    digest: str,
    replaces: Inspection | None = None,
    reason: str = "",
) -> Inspection:
    """Everything is checked: the photos go to the evidence files, the version and its rows to the
    database."""
    refs = [[p.store() for p in d.photos] for d in checked.defects]
    inspection = Inspection(
        custody_id=custody.id,
        version=replaces.version + 1 if replaces is not None else 1,
        replaces_id=replaces.id if replaces is not None else None,
        correction_reason=reason,
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
                size_bytes=_size(photo),
            )
            for n, (photo, ref) in enumerate(zip(defect.photos, photo_refs, strict=True))
        )
    session.flush()
    session.refresh(inspection)  # its items, defects and photos, as the response shows them
    return inspection


def correct_inspection(
    session: Session, *, actor: Principal, inspection: Inspection, data: InspectionCorrectionIn
) -> tuple[Inspection, bool]:
    """Record a corrected version of the latest inspection of a car in custody, with the reason; (the
    correction, False) for a replay of it. The earlier version stays as it was. No second fee: the car
    was inspected once, only the record was wrong."""
    custody = custody_service.visible_custody(session, actor, inspection.custody_id)
    if actor.role != Role.CENTER_STAFF or actor.organisation_id != custody.center_id:
        raise Forbidden(
            f"only the staff of {custody.center.name} correct the inspection of its cars",
            zh=f"只有{custody.center.name}的工作人员才能更正其保管车辆的检测",
        )
    digest = _digest(data)
    custody_service.lock_custody(session, custody)  # one correction at a time, like the inspection
    successor = successor_of(session, inspection)
    if successor is not None:  # before the checks, like a replayed inspection
        if successor.request_digest == digest:
            return successor, False
        latest = latest_inspection(session, custody.id)
        assert latest is not None
        raise Conflict(
            f"inspection {inspection.id} (version {inspection.version}) was corrected already by inspection "
            f"{successor.id}; only the latest version (inspection {latest.id}, version {latest.version}) "
            "is corrected",
            zh=f"第 {inspection.version} 版检测已被更正；只能更正最新的第 {latest.version} 版",
        )
    if custody.status != CustodyStatus.IN_CUSTODY:
        raise Conflict(
            f"custody {custody.id} is {custody.status}: only the inspection of a car in custody is corrected",
            zh="车辆已出库，只有在库车辆的检测才能更正",
        )
    reason = data.reason.strip()
    if not reason:
        raise InvalidInput(
            "reason", "is empty: say what was wrong in the earlier version", zh="请说明原检测哪里有误"
        )
    rules = checklist()
    checked = _check(data, custody, rules, corrected=inspection)
    day = clock.local(checked.inspected_at).date()
    costs.tariff_on(session, custody.center_id, custody.vehicle_class, day)  # as for the inspection itself
    corrected = _store(
        session, actor, custody, data, checked, rules, digest=digest, replaces=inspection, reason=reason
    )
    _record_correction(session, actor, custody, inspection, corrected)
    return corrected, True


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


def defects_kept(inspection: Inspection, defect_ids: Collection[int]) -> list[DefectIn]:
    """Defects of a version, as a correction keeps them: the same codes, notes and photos (by reference)."""
    return [
        DefectIn(
            target=d.target,
            point_code=d.point_code,
            defect_code=d.defect_code,
            notes=d.notes,
            photos=[DefectPhotoIn(caption=p.caption, evidence_ref=p.evidence_ref) for p in d.photos],
        )
        for d in inspection.defects
        if d.id in defect_ids
    ]


def _record_correction(
    session: Session, actor: Principal, custody: Custody, earlier: Inspection, corrected: Inspection
) -> None:
    told: tuple[Notice, ...] = ()
    if custody.watch_id is not None:
        told = (
            Notice(
                OFFICER,
                custody.watch_id,
                f"被扣押车辆{custody.vehicle.plate}的检测结果已由{custody.center.name}更正，"
                f"{verdict_text(corrected)}（原为{grading.grade_name(earlier.grade)}，{earlier.score}分）。"
                f"更正理由：{corrected.correction_reason}",
                f"inspection-corrected:{corrected.id}",
            ),
        )
    events.record(
        session,
        actor,
        DomainEvent(
            kind="inspection.corrected",
            subject=f"custody:{custody.id}",
            case_id=custody.case_id,
            data={
                "inspection_id": corrected.id,
                "version": corrected.version,
                "replaces_id": earlier.id,
                "reason": corrected.correction_reason,
                "custody_id": custody.id,
                "plate": custody.vehicle.plate,
                "center_id": custody.center_id,
                "inspected_at": corrected.inspected_at,
                "score": corrected.score,
                "grade": corrected.grade,
                "accident": corrected.accident,
                "flood_damage": corrected.flood_damage,
                "fire_damage": corrected.fire_damage,
                "defects": len(corrected.defects),
                "earlier": {"score": earlier.score, "grade": earlier.grade},
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
    """The inspection of a custody the caller may see (its latest version); NotFound when it has none yet."""
    custody = custody_service.visible_custody(session, actor, custody_id)
    inspection = latest_inspection(session, custody.id)
    if inspection is None:
        raise NotFound(f"custody {custody_id} has no inspection yet", zh="此车辆尚未检测")
    return inspection


NO_INSPECTION_ZH = "没有找到此检测记录"


def visible_inspection(session: Session, actor: Principal, inspection_id: int) -> Inspection:
    """The inspection if the caller sees its custody (its court, its center, an admin); NotFound otherwise."""
    inspection = session.get(Inspection, inspection_id)
    if inspection is None:
        raise NotFound(f"inspection {inspection_id} does not exist", zh=NO_INSPECTION_ZH)
    try:
        custody_service.visible_custody(session, actor, inspection.custody_id)
    except NotFound:
        raise NotFound(f"inspection {inspection_id} does not exist", zh=NO_INSPECTION_ZH) from None
    return inspection


def defect_photo(
    session: Session, actor: Principal, inspection_id: int, defect_id: int, position: int
) -> tuple[bytes, str]:
    """One photo of a defect of an inspection the caller sees, and its media type; NotFound otherwise
    (a defect of another inspection too)."""
    inspection = visible_inspection(session, actor, inspection_id)
    defect = next((d for d in inspection.defects if d.id == defect_id), None)
    if defect is None:
        raise NotFound(f"inspection {inspection_id} has no defect {defect_id}", zh="此检测没有这项缺陷")
    return photo_at(defect.photos, position, of=f"defect {defect_id} of inspection {inspection_id}")
