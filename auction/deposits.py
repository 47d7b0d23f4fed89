"""The deposits' money at the payment gateway: the order a bidder pays in their own name (网拍规定 Art. 17),
the gateway's word that it was paid, and after the close each deposit's way out — back to the bidder
(Art. 23) or to the court's account (Art. 25) — within 24 hours, one deposit per transaction."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.bidders import deposit_paid
from auction.lots import record
from auction.models import AuctionBidder, AuctionLot, AuctionRound, Deposit, DepositStatus
from auction.rules import articles as a
from car_enforce.core import clock
from car_enforce.core.db import Database
from car_enforce.core.errors import Conflict, InvalidInput, NotFound, Unavailable
from car_enforce.core.identity.models import Organisation
from car_enforce.core.identity.principal import Principal
from car_enforce.core.outbound.client import OutboundError
from car_enforce.core.payments.client import PaymentGateway, TransferStatus
from car_enforce.core.payments.webhooks import PaymentEvent

log = logging.getLogger(__name__)
GATEWAY = Principal.system("payment-gateway")
MAX_ATTEMPTS = 8  # then the deposit waits for a person: the staff see its last error
MOVER = Principal.system("deposit-mover")


def _lock(session: Session, deposit: Deposit) -> None:
    session.execute(select(Deposit.id).where(Deposit.id == deposit.id).with_for_update())
    session.refresh(deposit)


def start_payment(database: Database, *, who: Principal, bidder_id: int, gateway: PaymentGateway) -> str:
    """The order the bidder pays at the gateway, in their own name; its pay URL. Asking again gives the same
    order (the gateway answers a repeated key with the first order). No transaction is open while the
    gateway is called: on one machine the built-in gateway writes to the same database."""
    with database.unit_of_work(read_only=True) as session:
        bidder = session.get(AuctionBidder, bidder_id)
        if bidder is None or bidder.user_id != who.user_id:
            raise NotFound(f"bidder {bidder_id} does not exist", zh="没有找到此竞买登记")
        deposit = bidder.deposit
        if deposit is None or deposit.status != DepositStatus.PENDING:
            raise Conflict("this deposit is not waiting to be paid", zh="此保证金无需交纳或已交纳")
        if deposit.pay_url:
            return deposit.pay_url
        deposit_id, amount, name, digest = deposit.id, deposit.amount_fen, bidder.real_name, bidder.id_digest
    try:
        order = gateway.create_order(
            f"deposit-{deposit_id}",
            amount_fen=amount,
            payer_name=name,
            payer_id_digest=digest,
            purpose="auction.deposit",
            reference=f"deposit:{deposit_id}",
        )
    except OutboundError as error:
        raise Unavailable(
            f"the payment gateway did not answer ({error.reason}); try again shortly",
            zh="支付通道暂时无法使用，请稍后再试",
        ) from error
    with database.unit_of_work() as session:
        deposit = session.get(Deposit, deposit_id)
        assert deposit is not None
        _lock(session, deposit)
        if not deposit.order_id:
            deposit.order_id, deposit.pay_url = order.id, order.pay_url
    return order.pay_url


def order_paid(session: Session, event: PaymentEvent) -> None:
    """The gateway says a deposit order was paid: the bidder may bid. An order of no deposit, or another
    amount than the deposit, is refused and changes nothing."""
    deposit = session.scalar(select(Deposit).where(Deposit.order_id == event.order_id))
    if deposit is None and event.reference.startswith("deposit:") and event.reference[8:].isdigit():
        # The order was made but its id not yet written (start_payment writes it after the gateway answers).
        deposit = session.get(Deposit, int(event.reference[8:]))
    if deposit is None:
        raise NotFound(f"no deposit has order {event.order_id}", zh="没有与此支付订单对应的保证金")
    if event.amount_fen != deposit.amount_fen:
        raise InvalidInput(
            "amount_fen",
            f"{event.amount_fen} fen paid on a deposit of {deposit.amount_fen}",
            zh="支付金额与应交保证金不符",
        )
    assert event.order_id is not None
    deposit_paid(session, actor=GATEWAY, deposit=deposit, order_id=event.order_id, at=event.at)


def _court_account(session: Session, rnd: AuctionRound) -> str:
    lot = session.get(AuctionLot, rnd.lot_id)
    assert lot is not None
    court = session.get(Organisation, lot.court_id)
    assert court is not None
    # The court's designated account (Art. 25) as its administrator registered it; until then the one the
    # platform keeps for the court at the gateway.
    return court.bank_account or f"COURT-{court.id:06d}"


_MOVES = {
    DepositStatus.RELEASING: (DepositStatus.RELEASED, a.RULE_DEPOSITS_BACK),
    DepositStatus.TO_COURT: (DepositStatus.PAID_TO_COURT, a.RULE_WINNER_DEPOSIT),
}


def _call(
    gateway: PaymentGateway,
    deposit_id: int,
    status: str,
    order_id: str,
    amount: int,
    account: str,
    tried: int,
) -> None:
    if status == DepositStatus.RELEASING:
        gateway.refund(f"deposit-{deposit_id}-back", order_id, amount)
        return
    # A transfer the bank declined is answered as a failed transfer, not an error; the next try is a new
    # transfer (its own key), since the same key would only return the declined one again.
    transfer = gateway.transfer(
        f"deposit-{deposit_id}-court-{tried}", order_id, to_account=account, amount_fen=amount
    )
    if transfer.status is not TransferStatus.SUCCEEDED:
        reason = f"transfer {transfer.status}: {transfer.failure_reason}"[:200]
        raise OutboundError(reason, service="payments")


def move_one(database: Database, deposit_id: int, gateway: PaymentGateway) -> str | None:
    """Move one deposit the close sent on its way; the status it reached, None if nothing was due or the
    gateway failed (the next sweep tries again with the same key, so the money moves once). The gateway is
    called between two transactions, never inside one."""
    with database.unit_of_work(read_only=True) as session:
        deposit = session.get(Deposit, deposit_id)
        if deposit is None or deposit.status not in _MOVES:
            return None
        rnd = session.get(AuctionRound, deposit.bidder.round_id)
        assert rnd is not None
        status, order_id, amount = deposit.status, deposit.order_id, deposit.amount_fen
        account, tried = _court_account(session, rnd), deposit.attempts
    try:
        _call(gateway, deposit_id, status, order_id, amount, account, tried)
    except OutboundError as error:
        with database.unit_of_work() as session:
            failed = session.get(Deposit, deposit_id)
            assert failed is not None
            failed.attempts += 1
            failed.last_error = error.reason[:200]
        return None
    with database.unit_of_work() as session:
        deposit = session.get(Deposit, deposit_id)
        assert deposit is not None
        _lock(session, deposit)
        if deposit.status != status:
            return None  # another sweep recorded the same move (the gateway acted once, by its key)
        deposit.status, rule = _MOVES[status]
        deposit.moved_at = clock.now()
        deposit.attempts += 1
        deposit.last_error = ""
        bidder = deposit.bidder
        rnd = session.get(AuctionRound, bidder.round_id)
        assert rnd is not None
        session.flush()
        record(
            session,
            MOVER,
            rnd.lot,
            "auction.deposit_moved",
            {
                "round_id": rnd.id,
                "bidder": bidder.number,
                "amount_fen": deposit.amount_fen,
                "to": deposit.status,
            },
            reason=rule,
            heard=False,
        )
        return str(deposit.status)


def move_due(database: Database, gateway: PaymentGateway) -> list[str]:
    """The sweep: every deposit the close sent back or on to the court, one per transaction."""
    with database.unit_of_work(read_only=True) as session:
        ids = list(
            session.scalars(
                select(Deposit.id)
                .where(
                    Deposit.status.in_((DepositStatus.RELEASING, DepositStatus.TO_COURT)),
                    Deposit.attempts < MAX_ATTEMPTS,  # given up: the staff see it with its last error
                )
                .order_by(Deposit.due_at, Deposit.id)
            )
        )
    moved = []
    for deposit_id in ids:
        try:
            status = move_one(database, deposit_id, gateway)
        except Exception:  # one deposit's trouble never stops the others'
            log.exception("moving deposit %s failed; the next sweep tries it again", deposit_id)
            continue
        if status is not None:
            moved.append(status)
    return moved
