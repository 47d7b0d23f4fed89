"""The notice of the reference price printed as a PDF (A4, the CJK font embedded): the ``NoticeContent`` of
``notice.py``, in the words ``notice.notice_text`` gives it.

Imported only when a notice is printed, like the inspection report's PDF: the PDF library and its font parser
are heavy for processes that never print.
"""

from __future__ import annotations

from functools import lru_cache

from fpdf import FPDF, FontFace, XPos, YPos
from fpdf.enums import TextEmphasis

from car_enforce.core import clock
from valuation.reference_price.notice import NoticeContent, NoticeText, notice_text, price_text
from valuation.reference_price.rules import Method

_LINE = 6.0
# One regular face only: a bold face would be a second font to parse and embed.
_HEADINGS = FontFace(emphasis=TextEmphasis.NONE, fill_color=(235, 235, 235))


# A notice is kept as issued and never changes: the same content prints the same document, so a second
# request is answered from here (fpdf2 subsets the font in place, so the parse cannot be shared instead).
@lru_cache(maxsize=32)
def render(content: NoticeContent, font_path: str, face: int) -> bytes:
    pdf = _NoticePdf(content, notice_text(content))
    pdf.add_font("cjk", fname=font_path, collection_font_number=face)
    pdf.set_font("cjk", size=10)
    pdf.add_page()
    pdf.write_notice()
    return bytes(pdf.output())


class _NoticePdf(FPDF):
    def __init__(self, content: NoticeContent, words: NoticeText) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.content = content
        self.words = words
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(f"{words.title}（{words.subtitle}）{content.number}")
        self.set_creator("car-enforce")
        self.set_creation_date(clock.now())  # the platform's clock, which a test or a simulation moves

    def header(self) -> None:
        self.set_font("cjk", size=9)
        self.cell(0, 5, self.content.number, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def footer(self) -> None:
        court, day = self.words.signature
        self.set_y(-14)
        self.set_font("cjk", size=8)
        self.cell(0, 5, f"{court}  {day}  第{self.page_no()}页", align="C")

    def _paragraph(self, text: str, size: float = 10) -> None:
        self.set_font("cjk", size=size)
        self.multi_cell(0, _LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)
        self.set_font("cjk", size=10)

    def write_notice(self) -> None:
        t, c = self.words, self.content
        self.set_font("cjk", size=18)
        self.cell(0, 11, t.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("cjk", size=12)
        self.cell(0, 8, t.subtitle, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)
        self._paragraph(t.opening)
        with self.table(
            col_widths=(35, 155), first_row_as_headings=False, line_height=_LINE, headings_style=_HEADINGS
        ) as table:
            for label, value in t.facts:
                table.row([label, value])
        self.ln(3)
        if c.results:
            appraisal = c.method == Method.APPRAISAL
            with self.table(
                col_widths=(12, 58, 50, 40, 30), line_height=_LINE, headings_style=_HEADINGS
            ) as table:
                table.row(["序号", "评估机构" if appraisal else "询价平台", "报告编号", "结果", "是否计入"])
                for i, r in enumerate(c.results, start=1):
                    counted = "计入" if r.counted else ("不计入：" + r.note if r.note else "不计入")
                    table.row([str(i), r.platform_name, r.report_number, price_text(r.result_fen), counted])
            self.ln(3)
        for line in t.closing:
            self._paragraph(line)
        self.ln(6)
        for line in t.signature:
            self.cell(0, 7, line, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
