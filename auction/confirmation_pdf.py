"""The 成交确认书 printed (A4, the CJK font embedded): who bought what, for how much, when the balance is due,
and when ownership passes (网拍规定 Art. 22; 民诉法解释 Art. 491). It is published, so it carries the buyer's
name and a masked ID number only.

Imported only when a confirmation is printed: the PDF library is heavy for processes that never print.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from fpdf import FPDF, FontFace, XPos, YPos
from fpdf.enums import TextEmphasis

from auction.models import Confirmation
from car_enforce.core import clock, zh

_LINE = 6.5
_HEADINGS = FontFace(emphasis=TextEmphasis.NONE, fill_color=(235, 235, 235))


@dataclass(frozen=True, slots=True)
class Printed:
    """A confirmation's content as issued: hashable, so the same content prints once per process."""

    number: str
    court: str
    case_number: str
    lot: str
    kind: str
    buyer_name: str
    buyer_id_masked: str
    buyer_number: str
    price_fen: int
    balance_fen: int
    balance_due: str
    closed_at: str
    issued_on: str
    bids: int

    @classmethod
    def of(cls, c: Confirmation) -> Printed:
        f = c.facts
        return cls(
            number=c.number,
            court=str(f.get("court", "")),
            case_number=str(f.get("case_number", "")),
            lot=str(f.get("lot", "")),
            kind=str(f.get("kind", "")),
            buyer_name=c.buyer_name,
            buyer_id_masked=c.buyer_id_masked,
            buyer_number=c.buyer_number,
            price_fen=c.price_fen,
            balance_fen=c.balance_fen,
            balance_due=zh.day(c.balance_due_on),
            closed_at=zh.minute(c.closed_at),
            issued_on=zh.day(c.issued_at),
            bids=int(str(f.get("bids", 0))),
        )


def render_confirmation(confirmation: Confirmation, font_path: str, face: int) -> bytes:
    return _render(Printed.of(confirmation), font_path, face)


@lru_cache(maxsize=32)
def _render(p: Printed, font_path: str, face: int) -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_title(f"网络司法拍卖成交确认书 {p.number}")
    pdf.set_creator("car-enforce")
    pdf.set_creation_date(clock.now())
    pdf.add_font("cjk", fname=font_path, collection_font_number=face)
    pdf.add_page()
    pdf.set_font("cjk", size=9)
    pdf.cell(0, 5, p.number, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 12, "网络司法拍卖成交确认书", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font("cjk", size=10.5)
    pdf.multi_cell(
        0,
        _LINE,
        f"{p.court}在{p.case_number}执行案件中，于网络司法拍卖平台对下列标的进行{p.kind}。"
        f"经公开竞价，共{p.bids}次有效出价，竞价于{p.closed_at}结束，竞买人{p.buyer_name}"
        f"（竞买号{p.buyer_number}）以最高应价竞得，现确认如下：",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(2)
    rows = (
        ("标的", p.lot),
        ("买受人", p.buyer_name),
        ("身份证件号码", p.buyer_id_masked),
        ("竞买号", p.buyer_number),
        ("成交价", zh.yuan_text(p.price_fen)),
        ("保证金抵作价款后应付余款", zh.yuan_text(p.balance_fen)),
        ("余款支付期限", f"{p.balance_due}前"),
    )
    with pdf.table(
        col_widths=(55, 135), first_row_as_headings=False, line_height=_LINE, headings_style=_HEADINGS
    ) as t:
        for label, value in rows:
            t.row([label, value])
    pdf.ln(3)
    for line in (
        "一、买受人应在上述期限内将余款支付至法院指定账户；逾期未付的，视为悔拍，保证金不予退还，"
        "依次用于支付拍卖产生的费用损失、弥补重新拍卖价款低于原拍卖价款的差价、冲抵本案被执行人的债务，"
        "且不得参加该标的重新拍卖的竞买（《最高人民法院关于人民法院网络司法拍卖若干问题的规定》第二十四条）。",
        "二、标的所有权自拍卖成交裁定送达买受人时起转移（《最高人民法院关于适用〈中华人民共和国民事诉讼法〉的解释》"
        "第四百九十一条）。",
        "三、本确认书在网络司法拍卖平台公示（《最高人民法院关于人民法院网络司法拍卖若干问题的规定》第二十二条）。",
    ):
        pdf.multi_cell(0, _LINE, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    pdf.ln(8)
    pdf.cell(0, 7, p.court, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(0, 7, p.issued_on, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def confirmation_pdf(confirmation: Confirmation) -> bytes:
    """The confirmation printed; refuses (503) without a CJK font to embed."""
    from valuation.pdf_font import report_font

    path, face = report_font()
    return render_confirmation(confirmation, str(path), face)
