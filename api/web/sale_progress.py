"""A sale's settlement in plain words, for the buyer's page and the court's: the steps from the balance to the
handover with their instants and legal due days, the bank transfer's proof, the papers handed in at the one
window (the ID number masked), the documents; and the documents and the receipt served to those who may
see the settlement (``auction.settlement.service.load``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Form, Response
from sqlalchemy.orm import Session

from auction.models import AuctionLot
from auction.settlement import documents
from auction.settlement.models import DocumentKind, PaidVia, Settlement, SettlementStatus, TransferStatus
from auction.settlement.schemas import PapersIn, SettlementOut
from auction.settlement.views import settlement_out
from car_enforce.core import clock, zh
from car_enforce.core.errors import NotFound
from car_enforce.core.files import evidence
from car_enforce.core.identity.models import Organisation
from car_enforce.custody.models import Custody, ReleaseOrder

DOCUMENT_NAMES: dict[str, str] = {
    DocumentKind.RULING: "成交裁定书",
    DocumentKind.REGISTRY_NOTICE: "协助执行通知书",
}
PAID_VIA_NAMES: dict[str, str] = {
    PaidVia.GATEWAY: "通过支付通道付清",
    PaidVia.BANK_PROOF: "通过银行转账付清（法院已核对）",
    PaidVia.NOTHING_DUE: "保证金已足额抵作价款",
}
PROOF_NAMES = {"submitted": "待法院核对", "accepted": "法院已核对确认", "refused": "法院已退回"}
AREA_NAMES = {"local": "在本地车辆管理所办理", "out_of_area": "转出本地（迁出）"}
# The papers the registry voids and reissues when the court could not get them (登记规定 Art. 30).
PAPER_NAMES = {"certificate": "机动车登记证书", "licence": "机动车行驶证", "plates": "号牌"}
# The ways of service the court's form offers (it takes any other the officer writes).
SERVICE_WAYS = ("直接送达", "邮寄送达", "留置送达", "委托送达")
RECEIPT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
# Where a step stands: done, to be done now, late, refused by the registry, waiting for an earlier step,
# or ended by a default.
DONE, NOW, LATE, REFUSED, WAITING, ENDED = "done", "now", "late", "refused", "waiting", "ended"
STATE_NAMES = {
    DONE: "已完成",
    NOW: "办理中",
    LATE: "已逾期",
    REFUSED: "未予办理",
    WAITING: "待办",
    ENDED: "已终止",
}


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the way to the new title, as a person reads it."""

    title: str
    state: str
    lines: tuple[str, ...]
    at: datetime | None = None  # when it was done
    due: date | None = None  # the last day it may be done, while it is still to be done


@dataclass(frozen=True, slots=True)
class Document:
    name: str
    number: str
    url: str


@dataclass(frozen=True, slots=True)
class Papers:
    """What the buyer handed in at the one window, never with the full ID number."""

    id_masked: str
    phone_masked: str
    address: str
    electronic_service: bool
    area: str
    agent_name: str
    at_counter: bool
    received_at: datetime | None


@dataclass(frozen=True, slots=True)
class Progress:
    """A settlement as its pages show it; ``base`` is the page's own address for its documents."""

    settlement: Settlement
    out: SettlementOut
    lot_title: str
    steps: tuple[Step, ...]
    papers: Papers | None
    proof: dict[str, Any] | None
    documents: tuple[Document, ...]
    base: str
    today: date

    @property
    def awaiting(self) -> bool:
        return self.settlement.status == SettlementStatus.AWAITING_BALANCE

    @property
    def balance_late(self) -> bool:
        return self.awaiting and self.today > self.settlement.balance_due_on

    @property
    def may_pay(self) -> bool:
        """The gateway's order may be asked for: in time, or asked for before (the same order again)."""
        return self.awaiting and (not self.balance_late or bool(self.settlement.pay_url))

    @property
    def proof_waiting(self) -> bool:
        return self.awaiting and self.proof is not None and self.proof.get("status") == "submitted"

    @property
    def papers_open(self) -> bool:
        """Papers are taken, or corrected, until the registry has the transfer (``papers.submit``)."""
        return self.settlement.status not in (
            SettlementStatus.DEFAULTED,
            SettlementStatus.DONE,
        ) and self.settlement.transfer_status in (TransferStatus.NOT_STARTED, TransferStatus.REFUSED)

    @property
    def may_serve(self) -> bool:
        """The court may record serving the ruling by other means: issued, not yet served."""
        return self.settlement.status == SettlementStatus.PAID and bool(self.settlement.ruling_number)


def days_left(due: date, today: date) -> str:
    """``还有3天``, ``今天到期``, ``已逾期2天``."""
    left = (due - today).days
    if left > 0:
        return f"还有{left}天"
    return "今天到期" if left == 0 else f"已逾期{-left}天"


def progress(session: Session, settlement: Settlement, *, base: str, buyer: bool) -> Progress:
    """The settlement's page data; ``buyer`` words it for the buyer ("您"), else for the court."""
    out = settlement_out(session, settlement)
    lot = session.get(AuctionLot, settlement.lot_id)
    assert lot is not None
    custody = session.get(Custody, lot.custody_id)
    order = session.get(ReleaseOrder, settlement.release_order_id) if settlement.release_order_id else None
    today = clock.today_local()
    words = _Words(settlement, out, custody.center if custody is not None else None, order, today, buyer)
    papers = settlement.papers
    return Progress(
        settlement=settlement,
        out=out,
        lot_title=lot.title,
        steps=words.steps(),
        papers=None
        if papers is None
        else Papers(
            id_masked=zh.mask_id_number(str(papers.get("id_number", ""))),
            phone_masked=zh.mask_phone(str(papers.get("phone", ""))),
            address=str(papers.get("address", "")),
            electronic_service=bool(papers.get("electronic_service")),
            area=AREA_NAMES.get(str(papers.get("transfer_area")), ""),
            agent_name=str(papers.get("agent_name", "")),
            at_counter=papers.get("by") == "counter",
            received_at=settlement.papers_at,
        ),
        proof=settlement.proof,
        documents=tuple(
            Document(DOCUMENT_NAMES.get(d.kind, d.kind), d.number, f"{base}/documents/{d.kind}.pdf")
            for d in out.documents
        ),
        base=base,
        today=today,
    )


def registration_lines(registration: dict[str, Any] | None) -> list[str]:
    """The new registration as the registry reported it, in words (what it did not report is left out)."""
    reg = registration or {}
    lines = []
    if reg.get("plate"):
        previous = reg.get("previous_plate")
        kept = "（沿用原号牌）" if previous and previous == reg["plate"] else ""
        lines.append(f"号牌号码：{reg['plate']}{kept}")
    if reg.get("certificate_number"):
        again = "（已补发）" if reg.get("certificate_reissued") else ""
        lines.append(f"机动车登记证书编号：{reg['certificate_number']}{again}")
    voided = [PAPER_NAMES.get(str(v), str(v)) for v in reg.get("voided") or ()]
    if voided:
        lines.append(f"原{'、'.join(voided)}已公告作废并补发（《机动车登记规定》第三十条）")
    if reg.get("temporary_plate"):
        until = reg.get("temporary_plate_valid_until")
        lines.append(f"临时行驶车号牌：{reg['temporary_plate']}" + (f"，有效期至{until}" if until else ""))
    return lines


class _Words:
    """The steps in plain words; the buyer reads "您", the court "买受人"."""

    def __init__(
        self,
        s: Settlement,
        out: SettlementOut,
        center: Organisation | None,
        order: ReleaseOrder | None,
        today: date,
        buyer: bool,
    ) -> None:
        self.s, self.out, self.center, self.order, self.today = s, out, center, order, today
        self.buyer = buyer
        self.you = "您" if buyer else "买受人"

    def steps(self) -> tuple[Step, ...]:
        if self.s.status == SettlementStatus.DEFAULTED:
            return (self.balance(),)
        return (self.balance(), self.paid(), self.ruling(), self.transfer(), self.handover())

    def _late(self, due: date | None) -> bool:
        return due is not None and self.today > due

    def balance(self) -> Step:
        s = self.s
        if s.paid_via == PaidVia.NOTHING_DUE:
            return Step("余款", DONE, (f"保证金{zh.yuan_text(s.deposit_fen)}已足额抵作价款，无需再付余款。",))
        owed = (
            f"应付余款{zh.yuan_text(s.balance_fen)}（成交价{zh.yuan_text(s.price_fen)}，"
            f"已交保证金{zh.yuan_text(s.deposit_fen)}抵作价款）。"
        )
        if s.status == SettlementStatus.DEFAULTED:
            at = f"（{zh.day(s.defaulted_at)}）" if s.defaulted_at else ""
            lines = [
                owed,
                f"未在{zh.day(s.balance_due_on)}前付清，法院已认定悔拍{at}：保证金"
                f"{zh.yuan_text(s.forfeited_fen)}不予退还，{self.you}不得参加该标的的重新拍卖"
                "（《网拍规定》第二十四条）。",
            ]
            if s.forfeit is not None:
                lines.append(
                    "重新拍卖成交后，该保证金已依次用于：拍卖费用损失"
                    f"{zh.yuan_text(int(s.forfeit.get('costs_fen', 0)))}，弥补重新拍卖差价"
                    f"{zh.yuan_text(int(s.forfeit.get('shortfall_fen', 0)))}，冲抵被执行人债务"
                    f"{zh.yuan_text(int(s.forfeit.get('debts_fen', 0)))}。"
                )
            return Step("余款", ENDED, tuple(lines))
        if s.status != SettlementStatus.AWAITING_BALANCE:
            return Step("余款", DONE, (owed, PAID_VIA_NAMES.get(s.paid_via or "", "已付清")))
        lines = [owed, f"付款期限：{zh.day(s.balance_due_on)}（{days_left(s.balance_due_on, self.today)}）。"]
        proof = s.proof or {}
        if proof.get("status") == "submitted":
            lines.append("银行转账凭证已提交，等待法院核对到账。")
        elif proof.get("status") == "refused":
            lines.append(f"法院退回了银行转账凭证：{proof.get('note', '')}")
        if self._late(s.balance_due_on):
            lines.append(
                "付款期限已过，请尽快与执行法院联系。"
                if self.buyer
                else "余款逾期未付，可认定悔拍（《网拍规定》第二十四条）。"
            )
            return Step("余款", LATE, tuple(lines), due=s.balance_due_on)
        return Step("余款", NOW, tuple(lines), due=s.balance_due_on)

    def paid(self) -> Step:
        s = self.s
        if s.paid_at is not None:
            return Step("价款付清", DONE, (f"全部价款{zh.yuan_text(s.price_fen)}已付清。",), at=s.paid_at)
        return Step("价款付清", WAITING, ("余款到账后，法院在十日内作出成交裁定并送达。",))

    def ruling(self) -> Step:
        s, out = self.s, self.out
        lines = []
        if s.ruling_number:
            made = f"于{zh.minute(s.ruled_at)}" if s.ruled_at else ""
            lines.append(f"成交裁定书（{s.ruling_number}）已{made}作出。")
        if s.served_at is not None:
            lines.append(
                f"已送达{self.you}（{s.served_how}）。车辆所有权自送达时起归{self.you}所有"
                "（《民诉法解释》第四百九十一条）。"
            )
            return Step("成交裁定", DONE, tuple(lines), at=s.served_at)
        if s.paid_at is None:
            return Step("成交裁定", WAITING, ("价款付清后十日内作出并送达（《拍卖变卖规定》第二十条）。",))
        due = out.ruling_due_on
        if due is not None:
            lines.append(f"法院应于{zh.day(due)}前送达（《拍卖变卖规定》第二十条）。")
        papers = s.papers
        if papers is None:
            lines.append(
                "请在下方“一窗受理”提交材料并同意电子送达，裁定即可在平台上送达。"
                if self.buyer
                else "买受人尚未在一窗受理提交材料。"
            )
        elif not papers.get("electronic_service"):
            lines.append(f"{self.you}未同意电子送达，法院将直接送达或邮寄送达。")
        return Step("成交裁定", LATE if self._late(due) else NOW, tuple(lines), due=due)

    def transfer(self) -> Step:
        s = self.s
        status = s.transfer_status
        notice = f"协助执行通知书（{s.notice_number}）" if s.notice_number else "协助执行通知书"
        if status == TransferStatus.REGISTERED:
            lines = ["车辆管理所已办理转移登记。", *registration_lines(s.registration)]
            return Step("过户登记", DONE, tuple(lines), at=s.registered_at)
        if status == TransferStatus.REFUSED:
            reason = s.transfer_refusal or "车辆管理所未说明原因"
            lines = [f"车辆管理所未予办理：{reason}"]
            lines.append(
                "请按上述原因处理，或在下方更正一窗受理材料；有疑问请与执行法院联系。"
                if self.buyer
                else "请按车辆管理所的理由处理后重新提请办理。"
            )
            return Step("过户登记", REFUSED, tuple(lines))
        if status == TransferStatus.REQUESTED:
            return Step("过户登记", NOW, (f"法院已向车辆管理所发出{notice}，正在办理转移登记。",))
        return Step(
            "过户登记",
            WAITING,
            (f"裁定送达后，法院凭{notice}请车辆管理所将车辆登记到{self.you}名下，无需{self.you}另行申请。",),
        )

    def handover(self) -> Step:
        s, out = self.s, self.out
        place = self.center.name if self.center is not None else "保管场所"
        if s.handed_over_at is not None:
            return Step("交付车辆", DONE, (f"已在{place}交付{self.you}。",), at=s.handed_over_at)
        if s.served_at is None:
            return Step("交付车辆", WAITING, ("裁定送达后十五日内交付（《拍卖变卖规定》第二十七条）。",))
        due = out.handover_due_on
        lines = []
        if self.order is not None:
            lines.append(f"法院已签发出库通知（依{self.order.document_number}），车辆在{place}。")
            if self.center is not None:
                where = [f"地址：{self.center.address}"] if self.center.address else []
                where += [f"电话：{self.center.contact_phone}"] if self.center.contact_phone else []
                if where:
                    lines.append("，".join(where))
            if self.buyer:
                lines.append("请本人（或委托代理人）携带身份证件前往提车，钥匙和随车证件一并交付。")
        else:
            lines.append(
                "请在下方“一窗受理”提交材料，法院随即签发出库通知。"
                if self.buyer
                else "买受人提交一窗受理材料后即签发出库通知。"
            )
        if due is not None:
            lines.append(f"应于{zh.day(due)}前交付（《拍卖变卖规定》第二十七条）。")
        return Step("交付车辆", LATE if self._late(due) else NOW, tuple(lines), due=due)


def document_pdf(session: Session, settlement: Settlement, kind: str) -> Response:
    """The ruling or the registry's notice printed from the content kept at issue (the JSON API's print)."""
    from auction.settlement import documents_pdf  # the PDF library only in a process that prints

    issued = documents.documents_of(session, settlement)
    found = issued.get(DocumentKind(kind)) if kind in set(DocumentKind) else None
    if found is None:
        raise NotFound(f"no {kind} is issued for settlement {settlement.id}", zh="此文书尚未出具")
    if found.kind == DocumentKind.RULING:
        pdf = documents_pdf.ruling_pdf(documents.ruling_content(found))
    else:
        pdf = documents_pdf.notice_pdf(documents.notice_content(found))
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{kind}.pdf"'}
    )


def receipt(settlement: Settlement) -> Response:
    """The bank's receipt the buyer uploaded with the transfer's proof."""
    reference = str((settlement.proof or {}).get("file", ""))
    if not reference:
        raise NotFound(f"settlement {settlement.id} has no receipt", zh="尚未上传银行回单")
    media = RECEIPT_TYPES.get(reference.rsplit(".", 1)[-1], "application/octet-stream")
    return Response(
        evidence.read(reference), media_type=media, headers={"Cache-Control": "private, max-age=3600"}
    )


@dataclass
class PapersForm:
    """The one window's form as the buyer's page and the court's counter both post it (一窗受理)."""

    id_number: Annotated[str, Form(max_length=32)] = ""
    phone: Annotated[str, Form(max_length=32)] = ""
    address: Annotated[str, Form(max_length=200)] = ""
    electronic_service: Annotated[str, Form(max_length=8)] = ""
    transfer_area: Annotated[str, Form(max_length=16)] = "local"
    agent_name: Annotated[str, Form(max_length=64)] = ""

    def data(self) -> PapersIn:
        """The papers, checked by their schema (a ``ValidationError`` names the field)."""
        return PapersIn.model_validate(
            {
                "id_number": self.id_number.strip(),
                "phone": self.phone.strip(),
                "address": self.address.strip(),
                "electronic_service": bool(self.electronic_service),
                "transfer_area": self.transfer_area,
                "agent_name": self.agent_name.strip(),
            }
        )

    def shown(self) -> dict[str, str]:
        """What a refused form shows again: all but the ID number, which is never shown back."""
        return {
            "phone": self.phone,
            "address": self.address,
            "electronic_service": "1" if self.electronic_service else "",
            "transfer_area": self.transfer_area,
            "agent_name": self.agent_name,
        }
