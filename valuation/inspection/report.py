"""The inspection report a lot page shows: one set of report data, rendered as HTML and as PDF.

Both renderings are built from the same ``Report`` value, so they cannot disagree. The report carries
nothing about the debtor (RULES: public pages never show a debtor's name, ID number or phone): the car,
the center, the inspector, the scores, the defects and the verdicts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from car_enforce.core import zh
from car_enforce.custody.models import Custody
from valuation.inspection import service
from valuation.inspection.checklist import Checklist, checklist
from valuation.inspection.grading import grade_name
from valuation.inspection.models import TARGET_NAMES_ZH, Inspection, InspectionDefect

TITLE = "机动车技术状况鉴定报告"
TARGET_NAMES = TARGET_NAMES_ZH


@dataclass(frozen=True, slots=True)
class ReportItem:
    code: str
    name: str
    points: int
    score: int
    notes: str


@dataclass(frozen=True, slots=True)
class ReportSection:
    code: str
    name: str
    points: int
    score: int
    items: tuple[ReportItem, ...]


@dataclass(frozen=True, slots=True)
class ReportPhoto:
    defect_id: int
    position: int
    caption: str
    ref: str  # the evidence reference: the SHA-256 of the image, printed under it


@dataclass(frozen=True, slots=True)
class ReportDefect:
    target: str  # 检查项目, 车体结构, 水泡, 火烧
    point_code: str
    point_name: str
    defect_code: str
    defect_name: str
    notes: str
    photos: tuple[ReportPhoto, ...]

    @property
    def heading(self) -> str:
        where = f"{self.point_code} {self.point_name}".strip()
        return f"{where or self.target} · {self.defect_code} {self.defect_name}"


@dataclass(frozen=True, slots=True)
class Correction:
    """The other version a version of the inspection is linked to, and the correction between them."""

    inspection_id: int  # the other version's report
    version: int
    at: str  # when the correction was recorded, 2026年11月24日 10:30
    by: str  # the center and the staff login that recorded it
    reason: str
    was: str  # the verdict of the version replaced: 二级（88分）


@dataclass(frozen=True, slots=True)
class Report:
    """Everything either rendering shows, as text ready to print; hashable, so a PDF can be cached."""

    inspection_id: int
    version: int
    corrects: Correction | None  # for a correction: the version it replaces
    corrected_by: Correction | None  # for a replaced version: the correction that replaced it
    standard: str
    checklist_version: str
    plate: str
    vin: str
    vehicle_type: str
    vehicle_description: str
    center: str
    inspected_on: str  # 2026年11月24日, Asia/Shanghai
    inspector: str
    odometer: str
    score: int
    grade: int
    grade_name: str  # 二级
    accident: str  # the verdicts, in words
    flood: str
    fire: str
    sections: tuple[ReportSection, ...]
    defects: tuple[ReportDefect, ...]
    summary: str

    @property
    def grade_line(self) -> str:
        return f"技术状况等级：{self.grade_name}"

    @property
    def title(self) -> str:
        return f"{TITLE}（{self.standard}）"

    @property
    def correction_lines(self) -> tuple[str, ...]:
        """What the report says about its corrections, in words (both renderings print these)."""
        lines = []
        if (c := self.corrects) is not None:
            lines.append(
                f"本报告为更正后的第{self.version}版：{c.at}由{c.by}更正，替代第{c.version}版"
                f"（检测报告 #{c.inspection_id}，原结果：{c.was}）。更正理由：{c.reason}"
            )
        if (c := self.corrected_by) is not None:
            lines.append(
                f"本报告（第{self.version}版）已被更正：{c.at}由{c.by}更正为第{c.version}版"
                f"（检测报告 #{c.inspection_id}），以更正后的版本为准。更正理由：{c.reason}"
            )
        return tuple(lines)


def defect_label(defect: InspectionDefect, data: Checklist | None = None) -> str:
    """A defect in a few words: "B06 左前车门 · HH 划痕", "水泡 · SP 水泡痕迹"."""
    data = data or checklist()
    where = f"{defect.point_code} {data.point_name(defect.target, defect.point_code)}".strip()
    name = data.defect_name(defect.target, defect.point_code, defect.defect_code)
    return f"{where or TARGET_NAMES.get(defect.target, str(defect.target))} · {defect.defect_code} {name}"


def _verdict(found: bool, yes: str) -> str:
    return f"是（{yes}）" if found else "否"


def _correction(custody: Custody, other: Inspection, correction: Inspection, was: Inspection) -> Correction:
    login = correction.recorded_by.split(":", 1)[-1]
    return Correction(
        inspection_id=other.id,
        version=other.version,
        at=zh.minute(correction.recorded_at).replace(" ", ""),  # a PDF line may break at a space
        by=f"{custody.center.name}（{login}）",
        reason=correction.correction_reason,
        was=f"{grade_name(was.grade)}（{was.score}分）",
    )


def report_data(session: Session, inspection: Inspection, data: Checklist | None = None) -> Report:
    """The report of one version of an inspection, from its stored rows and the checklist's names."""
    data = data or checklist()
    custody = session.get(Custody, inspection.custody_id)
    assert custody is not None
    replaced = service.replaced_by(session, inspection)
    successor = service.successor_of(session, inspection)
    vehicle = custody.vehicle
    by_section: dict[str, list[ReportItem]] = {}
    for row in inspection.items:
        found = data.item_index.get(row.item_code)
        by_section.setdefault(row.section_code, []).append(
            ReportItem(
                row.item_code, found[2].name if found else row.item_code, row.points, row.score, row.notes
            )
        )
    order = [s.code for s in data.sections] + sorted(set(by_section) - {s.code for s in data.sections})
    sections = []
    for code in order:
        items = by_section.get(code)
        if not items:
            continue
        section = data.section(code)
        sections.append(
            ReportSection(
                code,
                section.name if section else code,
                sum(i.points for i in items),
                sum(i.score for i in items),
                tuple(items),
            )
        )
    defects = tuple(
        ReportDefect(
            target=TARGET_NAMES.get(d.target, str(d.target)),
            point_code=d.point_code,
            point_name=data.point_name(d.target, d.point_code),
            defect_code=d.defect_code,
            defect_name=data.defect_name(d.target, d.point_code, d.defect_code),
            notes=d.notes,
            photos=tuple(ReportPhoto(d.id, p.position, p.caption, p.evidence_ref) for p in d.photos),
        )
        for d in inspection.defects
    )
    return Report(
        inspection_id=inspection.id,
        version=inspection.version,
        corrects=_correction(custody, replaced, inspection, replaced) if replaced else None,
        corrected_by=_correction(custody, successor, successor, inspection) if successor else None,
        standard=data.standard,
        checklist_version=inspection.checklist_version,
        plate=vehicle.plate_as_written or vehicle.plate,
        vin=vehicle.vin or "—",
        vehicle_type=vehicle.vehicle_type or "—",
        vehicle_description=vehicle.description or "—",
        center=custody.center.name,
        inspected_on=zh.day(inspection.inspected_at),
        inspector=inspection.inspector_name,
        odometer=f"{inspection.odometer_km}公里" if inspection.odometer_km is not None else "—",
        score=inspection.score,
        grade=inspection.grade,
        grade_name=grade_name(inspection.grade),
        accident=_verdict(inspection.accident, "车体结构受损，技术状况等级为五级"),
        flood=_verdict(inspection.flood_damage, "水泡车"),
        fire=_verdict(inspection.fire_damage, "火烧车"),
        sections=tuple(sections),
        defects=defects,
        summary=inspection.summary,
    )


# ---------------------------------------------------------------------------------------------- HTML


def api_photo_url(report: Report, photo: ReportPhoto) -> str:
    """Where the JSON API serves a defect's photo (with the same credentials as the report)."""
    return f"/api/inspections/{report.inspection_id}/defects/{photo.defect_id}/photos/{photo.position}"


def render_html(report: Report, photo_url: Callable[[Report, ReportPhoto], str] = api_photo_url) -> str:
    """The report as one HTML page; every value escaped (notes are typed by people). ``photo_url`` says
    where the page's reader fetches each defect's photo: the API's route, or the console's."""
    template = zh.environment("valuation.inspection").get_template("report.html")
    return template.render(report=report, photo_url=lambda photo: photo_url(report, photo))
