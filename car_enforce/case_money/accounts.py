"""The chart of a case's book ("case:<id>", 一案一账号): every account code and the side it stands on.

Money received waits in ``received:<source>`` until it is distributed; a distribution moves it to what is
owed to each payee (``payable:<payee>``, the debtor's ``surplus:<payee>``) and to the enforcement fee. A
cost charged before the money comes is owed to its party (``cost:<kind>:<payee>``) against
``costs:charged``; the distribution that covers it moves it to the party's ``payable``. A payout takes its
amount from ``payable`` into ``payouts:in_flight`` when it is sent, and out of ``bank`` when the bank has
paid it. So ``bank`` always equals what is received but not distributed, plus what is owed and not yet
paid, plus what is in flight.
"""

from __future__ import annotations

from enum import StrEnum

from car_enforce.core.ledger import Line, Side

BANK = "bank"  # the case's money in the court's case account (执行款专户)
IN_FLIGHT = "payouts:in_flight"  # sent to the payment gateway, not yet paid by the bank
FEE = "fee"  # the enforcement fee taken from the proceeds, until it leaves for the court's revenue
COSTS_CHARGED = "costs:charged"  # costs owed to their parties and not yet covered by money received

SIDES: dict[str, Side] = {
    BANK: Side.DEBIT,
    IN_FLIGHT: Side.CREDIT,
    FEE: Side.CREDIT,
    COSTS_CHARGED: Side.DEBIT,
}


class Source(StrEnum):
    """Where money received came from."""

    SALE_PROCEEDS = "sale_proceeds"  # the buyer's price (balance and deposit applied)
    FORFEITED_DEPOSIT = "forfeited_deposit"  # a defaulting buyer's deposit (网拍规定 Art. 24)
    DEBTOR_PAYMENT = "debtor_payment"  # the debtor paid
    OTHER = "other"


SOURCE_ZH = {
    Source.SALE_PROCEEDS: "拍卖成交价款",
    Source.FORFEITED_DEPOSIT: "悔拍保证金",
    Source.DEBTOR_PAYMENT: "被执行人履行款",
    Source.OTHER: "其他执行款",
}


class CostKind(StrEnum):
    """A cost of enforcement; covered in this order when the money is short: the costs of the sale first
    (执行工作规定 item 34), then those of taking and keeping the car."""

    AUCTION = "auction"
    TOWING = "towing"
    STORAGE = "storage"
    INSPECTION = "inspection"
    INQUIRY_FEE = "inquiry_fee"
    OTHER = "other"


COST_ZH = {
    CostKind.AUCTION: "拍卖费用",
    CostKind.TOWING: "拖车费",
    CostKind.STORAGE: "停车保管费",
    CostKind.INSPECTION: "车辆检测费",
    CostKind.INQUIRY_FEE: "询价费",
    CostKind.OTHER: "其他执行费用",
}


def book(case_id: int) -> str:
    return f"case:{case_id}"


def received(source: Source | str) -> str:
    return f"received:{Source(source)}"


def cost(kind: CostKind | str, payee_id: int) -> str:
    return f"cost:{CostKind(kind)}:{payee_id}"


def payable(payee_id: int) -> str:
    return f"payable:{payee_id}"


def surplus(payee_id: int) -> str:
    return f"surplus:{payee_id}"


def side(code: str) -> Side:
    """The side an account of the chart stands on: what is owed stands on the credit side."""
    if code in SIDES:
        return SIDES[code]
    prefix = code.split(":", 1)[0]
    if prefix in ("received", "cost", "payable", "surplus"):
        return Side.CREDIT
    raise ValueError(f"{code} is not an account of a case's book")


def line(code: str, amount_fen: int) -> Line:
    """A line on an account of the chart, debits positive."""
    return Line(code, amount_fen, side(code))


def move(amount_fen: int, *, debit: str, credit: str) -> list[Line]:
    """``amount_fen`` debited to one account and credited to another."""
    return [line(debit, amount_fen), line(credit, -amount_fen)]
