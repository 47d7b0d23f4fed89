"""The sale ruling and the 协助执行通知书 printed (A4, the CJK font embedded), from the content kept at issue.

Imported only when a document is printed: the PDF library is heavy for processes that never print.
"""

from __future__ import annotations

from functools import lru_cache

from fpdf import FPDF, FontFace, XPos, YPos
from fpdf.enums import TextEmphasis

from auction.settlement.documents import NoticeContent, RulingContent
from car_enforce.core import clock, zh

_LINE = 6.5
_HEADINGS = FontFace(emphasis=TextEmphasis.NONE, fill_color=(235, 235, 235))
PB = "《最高人民法院关于人民法院民事执行中拍卖、变卖财产的规定》"
MSJ = "《最高人民法院关于适用〈中华人民共和国民事诉讼法〉的解释》"


def _start(title: str, number: str, court: str, font_path: str, face: int) -> FPDF:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_title(f"{title} {number}")
    pdf.set_creator("car-enforce")
    pdf.set_creation_date(clock.now())
    pdf.add_font("cjk", fname=font_path, collection_font_number=face)
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 10, court, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=20)
    pdf.cell(0, 12, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=10.5)
    pdf.cell(0, 8, number, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    return pdf


def _paragraphs(pdf: FPDF, *texts: str) -> None:
    for text in texts:
        pdf.multi_cell(0, _LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.5)


def _sign(pdf: FPDF, court: str, day: str) -> None:
    pdf.ln(10)
    pdf.cell(0, 7, court, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(0, 7, day, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table(pdf: FPDF, rows: tuple[tuple[str, str], ...]) -> None:
    with pdf.table(
        col_widths=(50, 140), first_row_as_headings=False, line_height=_LINE, headings_style=_HEADINGS
    ) as table:
        for label, value in rows:
            table.row([label, value])
    pdf.ln(3)


@lru_cache(maxsize=32)
def render_ruling(c: RulingContent, font_path: str, face: int) -> bytes:
    pdf = _start("执行裁定书", c.number, c.court, font_path, face)
    _paragraphs(pdf, f"申请执行人：{c.applicants}", f"被执行人：{c.debtor}")
    _paragraphs(
        pdf,
        f"本院在执行{c.case_number}案件中，依法扣押了被执行人{c.debtor}所有的车辆{c.plate}，"
        f"并于网络司法拍卖平台（{c.platform}）进行{c.sale}。竞价于{c.closed}结束，买受人{c.buyer_name}"
        f"以最高应价{zh.yuan_text(c.price_fen)}竞得（成交确认书{c.confirmation or '见平台公示'}），"
        f"并已于{c.paid_on}付清全部价款。依照{PB}第二十条、{MSJ}第四百九十一条之规定，裁定如下：",
    )
    _table(
        pdf,
        (
            ("车辆", c.vehicle),
            ("号牌号码", c.plate),
            ("车辆识别代号", c.vin),
            ("成交价", zh.yuan_text(c.price_fen)),
            ("买受人", c.buyer_name),
            ("身份证件号码", c.buyer_id_masked),
        ),
    )
    _paragraphs(
        pdf,
        f"一、被执行人{c.debtor}所有的车辆{c.plate}（车辆识别代号{c.vin}）的所有权归买受人{c.buyer_name}所有，"
        "所有权自本裁定送达买受人时起转移；",
        "二、解除对上述车辆的查封、扣押，该车辆上的其他查封、扣押随拍卖成交一并消灭；",
        "三、买受人可持本裁定书及本院协助执行通知书到车辆管理所办理转移登记手续。",
        "本裁定送达后即发生法律效力。",
    )
    _sign(pdf, c.court, c.issued_on)
    return bytes(pdf.output())


@lru_cache(maxsize=32)
def render_notice(c: NoticeContent, font_path: str, face: int) -> bytes:
    pdf = _start("协助执行通知书", c.number, c.court, font_path, face)
    _paragraphs(
        pdf,
        f"{c.registry}：",
        f"本院在执行申请执行人{c.applicants}与被执行人{c.debtor}{c.case_number}案件中，作出的{c.ruling_number}"
        "执行裁定已经发生法律效力。依照《中华人民共和国民事诉讼法》第二百六十二条之规定，请协助执行下列事项：",
    )
    items = [
        f"一、解除本院对车辆{c.plate}（车辆识别代号{c.vin}）的查封登记；该车辆上的其他查封随拍卖成交一并消灭"
        "（《最高人民法院关于人民法院民事执行中查封、扣押、冻结财产的规定》第二十七条）；",
        f"二、将上述车辆的所有权转移登记至买受人{c.buyer_name}（身份证件号码{c.buyer_id_masked}）名下。",
    ]
    if c.not_obtained:
        items.append(
            f"三、本院未能取得该车辆的{'、'.join(c.not_obtained)}，请依照《机动车登记规定》第三十条"
            "公告原证件作废，并在办理转让登记的同时补发。"
        )
    _paragraphs(pdf, *items)
    _table(
        pdf,
        (
            ("车辆", c.vehicle),
            ("号牌号码", c.plate),
            ("车辆识别代号", c.vin),
            ("附", f"{c.ruling_number}执行裁定书"),
        ),
    )
    _sign(pdf, c.court, c.issued_on)
    return bytes(pdf.output())


def ruling_pdf(content: RulingContent) -> bytes:
    """The ruling printed; refuses (503) without a CJK font to embed."""
    from valuation.pdf_font import report_font

    path, face = report_font()
    return render_ruling(content, str(path), face)


def notice_pdf(content: NoticeContent) -> bytes:
    from valuation.pdf_font import report_font

    path, face = report_font()
    return render_notice(content, str(path), face)
