"""The sale's money on the case's account (一案一账号): the price once paid in full, a forfeited deposit once
the court rules the default (网拍规定 Art. 24, 25), each received once by its key; the distribution and the
payouts are the officer's, in ``car_enforce.case_money``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.settlement.models import Settlement
from car_enforce.case_money import entries as case_money
from car_enforce.case_money.accounts import Source
from car_enforce.core.events import Recorded
from car_enforce.core.identity.principal import Principal

SYSTEM = Principal.system("sale-money")


def price_paid(session: Session, recorded: Recorded) -> None:
    """``auction.balance_paid``: the whole price (the deposit moved to the court, and the balance) is the
    case's sale proceeds."""
    settlement = session.get(Settlement, recorded.event.data["settlement_id"])
    assert settlement is not None
    case_money.receive(
        session,
        settlement.case_id,
        amount_fen=settlement.price_fen,
        source=Source.SALE_PROCEEDS,
        key=f"sale:{settlement.id}",
        actor=SYSTEM,
        memo=f"成交价款（成交确认书买受人{settlement.buyer_number}）",
    )


def deposit_forfeited(session: Session, recorded: Recorded) -> None:
    """``auction.defaulted``: the defaulting buyer's deposit stays with the court as the case's money."""
    settlement = session.scalar(
        select(Settlement).where(Settlement.round_id == recorded.event.data["round_id"])
    )
    amount = int(recorded.event.data.get("forfeited_fen") or 0)
    if settlement is None or amount <= 0:
        return
    case_money.receive(
        session,
        settlement.case_id,
        amount_fen=amount,
        source=Source.FORFEITED_DEPOSIT,
        key=f"forfeit:{settlement.id}",
        actor=SYSTEM,
        memo="悔拍保证金（网拍规定第二十四条）",
    )
