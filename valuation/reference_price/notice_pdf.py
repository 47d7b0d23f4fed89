"""The notice of the reference price printed as a PDF (A4, the CJK font embedded).

Imported only when a notice is printed, so processes that never print one do not hold the PDF library.
"""

from __future__ import annotations

from fpdf import FPDF, FontFace, XPos, YPos
from fpdf.enums import TextEmphasis

from car_enforce.core import clock
from car_enforce.core.zh import day, yuan_text
from valuation.reference_price.notice import TITLE, NoticeContent, notice_lines

_LINE = 7.0
_HEADINGS = FontFace(emphasis=TextEmphasis.NONE, fill_color=(235, 235, 235))


class _NoticePdf(FPDF):
    def __init__(self, content: NoticeContent) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.content = content
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(f"{TITLE} {content.number}")
        self.set_creator("car-enforce")
        self.set_creation_date(clock.now())

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("cjk", size=8)
        self.cell(0, 5, f"{self.content.number}  第{self.page_no()}页", align="C")

    def write_notice(self) -> None:
        c = self.content
        self.set_font("cjk", size=16)
        self.cell(0, 10, c.court_name, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(0, 10, TITLE, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("cjk", size=10)
        self.cell(0, 7, c.number, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)
        lines = notice_lines(c)
        table_after = next((i for i, line in enumerate(lines) if line.startswith("各司法网络询价平台")), None)
        for i, line in enumerate(lines):
            if table_after is not None and table_after < i <= table_after + len(c.results):
                continue  # the platforms' results go in the table below instead
            self.multi_cell(0, _LINE, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            if i == table_after:
                self._results()
        self.ln(8)
        self.cell(0, _LINE, c.court_name, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(0, _LINE, day(c.issued_on), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _results(self) -> None:
        with self.table(col_widths=(60, 55, 40, 35), line_height=_LINE, headings_style=_HEADINGS) as t:
            t.row(["询价平台", "报告编号", "询价结果", "是否计入"])
            for r in self.content.results:
                t.row(
                    [
                        r.platform_name,
                        r.report_number,
                        yuan_text(r.result_fen),
                        "计入" if r.counted else "不计入",
                    ]
                )
        self.ln(2)


def render(content: NoticeContent, font_path: str, face: int) -> bytes:
    pdf = _NoticePdf(content)
    pdf.add_font("cjk", fname=font_path, collection_font_number=face)
    pdf.set_font("cjk", size=10)
    pdf.add_page()
    pdf.write_notice()
    return bytes(pdf.output())
