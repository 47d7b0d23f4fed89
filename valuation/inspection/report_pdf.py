"""The inspection report printed as a PDF (A4, the CJK font embedded): the ``Report`` of ``report.py``.

Imported only when a report is printed (the PDF route imports it inside the request), so that processes
that never print one do not hold the PDF library and what it pulls in (Pillow, fontTools: 20 MB) in memory.
"""

from __future__ import annotations

import io
from functools import lru_cache

from fpdf import FPDF, FontFace, XPos, YPos
from fpdf.enums import TextEmphasis

from car_enforce.core import clock
from car_enforce.core.errors import NotFound
from car_enforce.core.files import evidence
from valuation.inspection.report import Report, ReportDefect
from valuation.pdf_font import report_font


# fpdf2 subsets the parsed font in place when it writes a document, so the parse (most of the ~0.3 s)
# cannot be shared between documents. A recorded inspection never changes, though (a correction is a new
# version, and the report data of the old one then changes too), and its photos are named by their hash:
# for the same report data the first PDF is still right, so a lot page asking again is answered from here.
@lru_cache(maxsize=32)
def render(report: Report, font_path: str, face: int) -> bytes:
    pdf = _ReportPdf(report)
    pdf.add_font("cjk", fname=font_path, collection_font_number=face)
    pdf.set_font("cjk", size=10)
    pdf.add_page()
    pdf.write_report()
    return bytes(pdf.output())


_LINE = 6.0
# The defects' photos: four to a row across the 190 mm between the margins, each in a 44 × 33 mm box.
_PHOTO_W, _PHOTO_H, _PHOTO_GAP, _PHOTOS_PER_ROW = 44.0, 33.0, 4.0, 4
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
        if r.correction_lines:
            self.set_draw_color(164, 0, 0)
            self.set_text_color(164, 0, 0)
            self.multi_cell(
                0,
                _LINE,
                "\n".join(r.correction_lines),
                border=1,
                padding=2,
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
            self.set_draw_color(0, 0, 0)
            self.set_text_color(0, 0, 0)
            self.ln(2)
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
                t.row(["类别", "部位", "缺陷", "说明"])
                for n, d in enumerate(r.defects, start=1):
                    where = f"{d.point_code} {d.point_name}".strip() or "—"
                    shown = f"（照片见缺陷照片{n}）" if d.photos else ""
                    t.row([d.target, where, f"{d.defect_code} {d.defect_name}", f"{d.notes}{shown}"])
            self._heading("缺陷照片")
            for n, d in enumerate(r.defects, start=1):
                self._defect_photos(n, d)
        else:
            self._line("未发现缺陷。")
        if r.summary:
            self._heading("检测结论")
            self._line(r.summary)
        self.ln(2)
        self._line(f"检测依据：{r.standard}（检查表版本 {r.checklist_version}）", size=8)

    def _defect_photos(self, n: int, defect: ReportDefect) -> None:
        """The defect's photos in rows, each with its caption and the SHA-256 it was stored under."""
        caption_h = 8.0
        for start in range(0, len(defect.photos), _PHOTOS_PER_ROW):
            row = defect.photos[start : start + _PHOTOS_PER_ROW]
            heading = start == 0
            if self.will_page_break(_PHOTO_H + caption_h + (_LINE if heading else 0)):
                self.add_page()
            if heading:
                self._line(f"缺陷照片{n}：{defect.heading}")
            top = self.get_y()
            for i, photo in enumerate(row):
                x = self.l_margin + i * (_PHOTO_W + _PHOTO_GAP)
                try:
                    data = evidence.read(photo.ref)
                except (
                    NotFound
                ):  # the database names a file this server does not hold: say so, print the rest
                    self.set_xy(x, top)
                    self.multi_cell(_PHOTO_W, 4, "照片文件缺失", border=1, align="C")
                else:
                    self.image(io.BytesIO(data), x=x, y=top, w=_PHOTO_W, h=_PHOTO_H, keep_aspect_ratio=True)
                self.set_xy(x, top + _PHOTO_H + 0.5)
                self.set_font("cjk", size=7)
                self.multi_cell(_PHOTO_W, 3.2, f"{photo.caption}\n{photo.ref[7:23]}…", align="C")
                self.set_font("cjk", size=10)
            self.set_xy(self.l_margin, top + _PHOTO_H + caption_h)


def render_pdf(report: Report) -> bytes:
    """The report as a PDF (A4) with the CJK font embedded (subset to the characters used)."""
    path, face = report_font()
    return render(report, str(path), face)
