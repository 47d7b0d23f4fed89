"""The balance of the price (网拍规定 Art. 25): an order at the payment gateway in the buyer's name, or a bank
transfer to the court's account whose proof the court's staff check. Paid in full, the settlement moves on
and the ruling is due within 10 days (拍卖变卖规定 Art. 20)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.lots import may_manage
from auction.settlement import service
from auction.settlement.models import PaidVia, Settlement, SettlementStatus
from auction.settlement.rules import RULE_BALANCE_PAID
from auction.settlement.transitions import SETTLEMENT
from car_enforce.core import clock, zh
from car_enforce.core.db import Database
from car_enforce.core.errors import Conflict, InvalidInput, NotFound, RuleViolation, Unavailable
from car_enforce.core.files import evidence
from car_enforce.core.identity.principal import Principal
from car_enforce.core.outbound.client import OutboundError
from car_enforce.core.payments.client import PaymentGateway
from car_enforce.core.payments.webhooks import PaymentEvent

GATEWAY = Principal.system("payment-gateway")
REFERENCE = "balance:"


def _awaiting(settlement: Settlement) -> None:
    if settlement.status != SettlementStatus.AWAITING_BALANCE:
        raise SETTLEMENT.conflict(
            f"settlement {settlement.id} is {settlement.status}: no balance is awaited",
            zh=f"此成交当前为“{SETTLEMENT.status_names_zh[settlement.status]}”，无需支付余款",
        )


def _in_time(settlement: Settlement) -> None:
    if clock.today_local() > settlement.balance_due_on:
        raise RuleViolation(
            f"the balance was due by {settlement.balance_due_on}",
            rule=RULE_BALANCE_PAID,
            zh=f"余款支付期限已于{zh.day(settlement.balance_due_on)}届满，请与执行法院联系",
        )


def start_payment(database: Database, *, who: Principal, settlement_id: int, gateway: PaymentGateway) -> str:
    """The order the buyer pays the balance with, in their own name; its pay URL. Asking again gives the same
    order. No transaction is open while the gateway is called (the built-in one writes to this database)."""
    with database.unit_of_work(read_only=True) as session:
        settlement = service.load(session, who, settlement_id)
        if settlement.buyer_user_id != who.user_id:
            raise NotFound(f"settlement {settlement_id} does not exist", zh="没有找到此成交记录")
        _awaiting(settlement)
        if settlement.pay_url:
            return settlement.pay_url
        _in_time(settlement)
        amount, name, digest = settlement.balance_fen, settlement.buyer_name, settlement.buyer_id_digest
    try:
        order = gateway.create_order(
            f"balance-{settlement_id}",
            amount_fen=amount,
            payer_name=name,
            payer_id_digest=digest,
            purpose="auction.balance",
            reference=f"{REFERENCE}{settlement_id}",
        )
    except OutboundError as error:
        raise Unavailable(
            f"the payment gateway did not answer ({error.reason}); try again shortly",
            zh="支付通道暂时无法使用，请稍后再试",
        ) from error
    with database.unit_of_work() as session:
        settlement = service.lock(session, settlement_id)
        if not settlement.order_id:
            settlement.order_id, settlement.pay_url = order.id, order.pay_url
    return order.pay_url


def mark_paid(
    session: Session, settlement: Settlement, *, via: PaidVia, at: datetime, actor: Principal = GATEWAY
) -> None:
    """The price is paid in full: the one event ``auction.balance_paid`` (its handlers produce the ruling
    and the notice, and put the money on the case's account)."""
    SETTLEMENT.move(settlement, "pay")
    settlement.paid_via, settlement.paid_at = via, at
    session.flush()
    text = (
        f"的买受人已于{zh.minute(at)}付清全部价款{zh.yuan_text(settlement.price_fen)}，"
        "法院将出具成交裁定并协助办理过户。"
    )
    service.tell(
        session,
        actor,
        settlement,
        "auction.balance_paid",
        {
            "paid_via": via,
            "paid_at": at,
            "price_fen": settlement.price_fen,
            "balance_fen": settlement.balance_fen,
            "deposit_fen": settlement.deposit_fen,
        },
        reason=RULE_BALANCE_PAID,
        text=text,
    )


def owns(reference: str) -> bool:
    """Whether a gateway notification's reference is a balance's."""
    return reference.startswith(REFERENCE)


def order_paid(session: Session, event: PaymentEvent) -> None:
    """The gateway says a balance order was paid: the settlement is paid in full. Another amount than the
    balance, or an order of no settlement, is refused and changes nothing."""
    settlement = session.scalar(select(Settlement).where(Settlement.order_id == event.order_id))
    suffix = event.reference[len(REFERENCE) :]
    if settlement is None and suffix.isdigit():
        settlement = session.get(Settlement, int(suffix))  # paid before start_payment wrote the order id
    if settlement is None:
        raise NotFound(f"no balance has order {event.order_id}", zh="没有与此支付订单对应的余款")
    settlement = service.lock(session, settlement.id)
    if settlement.order_id and event.order_id and settlement.order_id != event.order_id:
        raise Conflict(
            f"order {event.order_id} is not the balance order of settlement {settlement.id}",
            zh="此支付订单不是该成交的余款订单",
        )
    if event.amount_fen != settlement.balance_fen:
        raise InvalidInput(
            "amount_fen",
            f"{event.amount_fen} fen paid on a balance of {settlement.balance_fen}",
            zh="支付金额与应付余款不符",
        )
    if settlement.status != SettlementStatus.AWAITING_BALANCE:
        raise SETTLEMENT.conflict(
            f"settlement {settlement.id} is {settlement.status}: its balance is not awaited",
            zh="此成交的余款不在待付状态",
        )
    settlement.order_id = event.order_id or settlement.order_id
    mark_paid(session, settlement, via=PaidVia.GATEWAY, at=event.at)


def submit_proof(
    session: Session, *, who: Principal, settlement: Settlement, reference: str, amount_fen: int, file: bytes
) -> Settlement:
    """The buyer paid by bank transfer to the court's account: the transfer's reference and its receipt
    (a PDF or a photo), for the court's staff to check against the account. Sent again, it replaces the
    proof not yet checked."""
    if settlement.buyer_user_id is None or settlement.buyer_user_id != who.user_id:
        raise NotFound(f"settlement {settlement.id} does not exist", zh="没有找到此成交记录")
    settlement = service.lock(session, settlement.id)
    _awaiting(settlement)
    reference = reference.strip()
    if not 4 <= len(reference) <= 64:
        raise InvalidInput("reference", "4 to 64 characters", zh="请填写银行转账流水号（4至64位）")
    if amount_fen != settlement.balance_fen:
        raise InvalidInput(
            "amount_fen",
            f"{amount_fen} fen; the balance is {settlement.balance_fen}",
            zh=f"转账金额应为应付余款{zh.yuan_text(settlement.balance_fen)}",
        )
    if evidence.kind_of(file) is None:
        raise InvalidInput("file", "a PDF, JPEG or PNG receipt", zh="请上传银行回单（PDF、JPG或PNG）")
    stored = evidence.store(file, field="file")
    settlement.proof = {
        "reference": reference,
        "amount_fen": amount_fen,
        "file": stored,
        "submitted_at": clock.now().isoformat(),
        "status": "submitted",
    }
    session.flush()
    service.tell(
        session,
        who,
        settlement,
        "auction.balance_proof_submitted",
        {"reference": reference, "amount_fen": amount_fen},
    )
    return settlement


def check_proof(
    session: Session, *, actor: Principal, settlement: Settlement, accepted: bool, note: str = ""
) -> Settlement:
    """The court's staff checked the transfer against the court's account: accepted, the price is paid in
    full on the day the proof came; refused, the buyer is told why and may send another."""
    may_manage(actor, settlement.court_id)
    settlement = service.lock(session, settlement.id)
    _awaiting(settlement)
    proof: dict[str, Any] | None = settlement.proof
    if proof is None or proof.get("status") != "submitted":
        raise Conflict("no proof is waiting to be checked", zh="没有待核对的转账凭证")
    if not accepted and not note.strip():
        raise InvalidInput("note", "say why the proof is refused", zh="退回凭证须说明理由")
    settlement.proof = {
        **proof,
        "status": "accepted" if accepted else "refused",
        "note": note.strip(),
        "checked_by": actor.label,
        "checked_at": clock.now().isoformat(),
    }
    session.flush()
    if not accepted:
        service.tell(session, actor, settlement, "auction.balance_proof_refused", {"note": note.strip()})
        return settlement
    submitted = datetime.fromisoformat(str(proof["submitted_at"]))
    mark_paid(session, settlement, via=PaidVia.BANK_PROOF, at=submitted, actor=actor)
    return settlement
