"""The inspection report a lot page shows: one set of report data, rendered as HTML and as PDF.

Both renderings are built from the same ``Report`` value, so they cannot disagree. The report carries
nothing about the debtor (RULES: public pages never show a debtor's name, ID number or phone): the car,
the center, the inspector, the scores, the defects and the verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF, FontFace, XPos, YPos
from fpdf.enums import TextEmphasis
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from car_enforce import clock
from car_enforce.custody.models import Custody
from car_enforce.errors import Unavailable
from car_enforce.settings import get_settings
from valuation.inspection.checklist import Checklist, checklist
from valuation.inspection.grading import grade_name
from valuation.inspection.models import DefectTarget, Inspection

FONT_PACKAGE = "fonts-wqy-microhei"
# Where Debian, Ubuntu and Fedora put CJK fonts; (path, face in a collection). Noto's face 2 is Simplified
# Chinese; the others have one face.
KNOWN_FONTS: tuple[tuple[Path, int], ...] = (
    (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),
    (Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"), 2),
    (Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"), 2),
    (Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"), 0),
    (Path("/usr/share/fonts/truetype/droid/DroidSansFallback.ttf"), 0),
)
TITLE = "机动车技术状况鉴定报告"
TARGET_NAMES = {
    DefectTarget.ITEM: "检查项目",
    DefectTarget.STRUCTURAL: "车体结构",
    DefectTarget.FLOOD: "水泡",
    DefectTarget.FIRE: "火烧",
}


class ReportFontMissing(Unavailable):
    """No CJK font to embed: a PDF without one would print boxes instead of Chinese."""


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
class ReportDefect:
    target: str  # 检查项目, 车体结构, 水泡, 火烧
    point_code: str
    point_name: str
    defect_code: str
    defect_name: str
    notes: str
    photos: tuple[str, ...]  # evidence references


@dataclass(frozen=True, slots=True)
class Report:
    """Everything either rendering shows, as text ready to print; hashable, so a PDF can be cached."""

    inspection_id: int
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


def _verdict(found: bool, yes: str) -> str:
    return f"是（{yes}）" if found else "否"


def report_data(session: Session, inspection: Inspection, data: Checklist | None = None) -> Report:
    """The report of an inspection, from its stored rows and the checklist's names."""
    data = data or checklist()
    custody = session.get(Custody, inspection.custody_id)
    assert custody is not None
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
            photos=tuple(p.evidence_ref for p in d.photos),
        )
        for d in inspection.defects
    )
    return Report(
        inspection_id=inspection.id,
        standard=data.standard,
        checklist_version=inspection.checklist_version,
        plate=vehicle.plate_as_written or vehicle.plate,
        vin=vehicle.vin or "—",
        vehicle_type=vehicle.vehicle_type or "—",
        vehicle_description=vehicle.description or "—",
        center=custody.center.name,
        inspected_on=f"{clock.local(inspection.inspected_at):%Y年%m月%d日}",
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


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("valuation.inspection", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(report: Report) -> str:
    """The report as one HTML page; every value escaped (notes are typed by people)."""
    return _environment().get_template("report.html").render(report=report)


# ----------------------------------------------------------------------------------------------- PDF


def report_font() -> tuple[Path, int]:
    """The CJK font to embed (path, face); ReportFontMissing (503) naming the package to install."""
    configured = get_settings().report_font_path
    if configured is not None:
        if not Path(configured).is_file():
            raise ReportFontMissing(
                f"the report font {configured} (CARENFORCE_REPORT_FONT_PATH) does not exist; "
                f"point it at a CJK font or install the Debian package {FONT_PACKAGE}"
            )
        return Path(configured), 0
    for path, face in KNOWN_FONTS:
        if path.is_file():
            return path, face
    raise ReportFontMissing(
        "no CJK font is installed to print the report; install the Debian package "
        f"{FONT_PACKAGE} (apt-get install {FONT_PACKAGE}) or set CARENFORCE_REPORT_FONT_PATH"
    )


def render_pdf(report: Report) -> bytes:
    """The report as a PDF (A4) with the CJK font embedded (subset to the characters used)."""
    path, face = report_font()
    return _render_pdf(report, str(path), face)


# fpdf2 subsets the parsed font in place when it writes a document, so the parse (most of the ~0.3 s)
# cannot be shared between documents. A recorded inspection never changes, though: for the same report
# data the first PDF is still right, so a lot page asking for it again is answered from here.
@lru_cache(maxsize=32)
def _render_pdf(report: Report, font_path: str, face: int) -> bytes:
    pdf = _ReportPdf(report)
    pdf.add_font("cjk", fname=font_path, collection_font_number=face)
    pdf.set_font("cjk", size=10)
    pdf.add_page()
    pdf.write_report()
    return bytes(pdf.output())


_LINE = 6.0
# One regular face only: a bold face would be a second font to parse and embed.
_HEADINGS = FontFace(emphasis=TextEmphasis.NONE, fill_color=(235, 235, 235))


class _ReportPdf(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.report = report
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(report.title)
        self.set_creator("car-enforce")
        self.set_creation_date(clock.now())  # the platform's clock, which a test or a simulation moves

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("cjk", size=8)
        self.cell(0, 5, f"检测报告 #{self.report.inspection_id}  第{self.page_no()}页", align="C")

    def _heading(self, text: str) -> None:
        self.ln(2)
        self.set_font("cjk", size=12)
        self.cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("cjk", size=10)

    def _line(self, text: str, size: float = 10) -> None:
        self.set_font("cjk", size=size)
        self.multi_cell(0, _LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("cjk", size=10)

    def write_report(self) -> None:
        r = self.report
        self.set_font("cjk", size=16)
        self.cell(0, 10, r.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("cjk", size=10)
        with self.table(
            col_widths=(26, 69, 26, 69),
            first_row_as_headings=False,
            line_height=_LINE,
            headings_style=_HEADINGS,
        ) as t:
            for left, right in (
                (("号牌号码", r.plate), ("车辆识别代号", r.vin)),
                (("车辆类型", r.vehicle_type), ("车辆描述", r.vehicle_description)),
                (("检测机构", r.center), ("检测日期", r.inspected_on)),
                (("检测人员", r.inspector), ("表显里程", r.odometer)),
            ):
                t.row([*left, *right])
        self.ln(3)
        self.set_font("cjk", size=14)
        self.cell(0, 9, f"{r.grade_line}    总分：{r.score}分", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("cjk", size=10)
        self._line(f"事故车：{r.accident}")
        self._line(f"水泡：{r.flood}")
        self._line(f"火烧：{r.fire}")

        self._heading("分项得分")
        with self.table(col_widths=(90, 50, 50), line_height=_LINE, headings_style=_HEADINGS) as t:
            t.row(["检查项目", "得分", "满分"])
            for s in r.sections:
                t.row([s.name, str(s.score), str(s.points)])
            t.row(["合计", str(r.score), str(sum(s.points for s in r.sections))])

        for s in r.sections:
            self._heading(f"{s.name}（{s.score}/{s.points}分）")
            with self.table(
                col_widths=(15, 85, 15, 15, 60), line_height=_LINE, headings_style=_HEADINGS
            ) as t:
                t.row(["代码", "项目", "满分", "得分", "备注"])
                for i in s.items:
                    t.row([i.code, i.name, str(i.points), str(i.score), i.notes])

        self._heading("缺陷记录")
        if r.defects:
            with self.table(col_widths=(20, 45, 35, 90), line_height=_LINE, headings_style=_HEADINGS) as t:
                t.row(["类别", "部位", "缺陷", "说明及照片"])
                for d in r.defects:
                    where = f"{d.point_code} {d.point_name}".strip() or "—"
                    photos = "\n".join(d.photos)
                    t.row(
                        [d.target, where, f"{d.defect_code} {d.defect_name}", f"{d.notes}\n{photos}".strip()]
                    )
        else:
            self._line("未发现缺陷。")
        if r.summary:
            self._heading("检测结论")
            self._line(r.summary)
        self.ln(2)
        self._line(f"检测依据：{r.standard}（检查表版本 {r.checklist_version}）", size=8)
