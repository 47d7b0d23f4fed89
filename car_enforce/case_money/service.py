"""The case's money (一案一账号), what its verbs share: the case and its money lock, keys and amounts checked,
a text to a party, and where the money stands. The verbs are in ``payees``, ``entries``, ``distribution``
and ``payouts``.

Every verb that moves money takes the case's book lock first, so two officers (or a sweep and an officer)
never share out the same money twice; every verb posts to the ledger and records one event. Nothing here
commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from car_enforce.case_money import accounts as acct
from car_enforce.cases.models import EnforcementCase
from car_enforce.core import ledger
from car_enforce.core.errors import InvalidInput, NotFound
from car_enforce.core.events import PARTY, Notice

MAX_KEY = 100  # a caller's key; the ledger's own prefix goes before it


def case_of(session: Session, case_id: int) -> EnforcementCase:
    case = session.get(EnforcementCase, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist", zh="没有找到此案件")
    return case


def lock(session: Session, case: EnforcementCase) -> None:
    """Take the case's money lock (its book's row) for the rest of the transaction."""
    ledger.lock(session, acct.book(case.id))


def checked_key(key: str) -> str:
    if not 1 <= len(key) <= MAX_KEY:
        raise InvalidInput("key", f"a key of 1 to {MAX_KEY} characters", zh=f"编号应为 1 至 {MAX_KEY} 个字符")
    return key


def checked_amount(amount_fen: int) -> int:
    if (
        not isinstance(amount_fen, int)
        or isinstance(amount_fen, bool)
        or not 0 < amount_fen <= ledger.MAX_FEN
    ):
        raise InvalidInput("amount_fen", "a positive amount in fen", zh="金额应为正整数（分）")
    return amount_fen


def told(case: EnforcementCase, party_id: int, text: str, key: str) -> Notice:
    """A text to one party of the case, naming the court and the case."""
    return Notice(PARTY, party_id, f"【{case.court.name}】您申请执行的{case.case_number}一案，{text}", key)


def new_idempotency_key() -> str:
    """The payment gateway's key for one try of a payout: random, so no other payout can ever share it."""
    return f"cm-{uuid.uuid4().hex}"


# --- where the money stands ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Standing:
    held_fen: int
    undistributed_fen: int
    owed_fen: int
    in_flight_fen: int
    costs_uncovered_fen: int
    received_fen: int
    paid_out_fen: int
    accounts: dict[str, int]
    problems: list[str]


def standing(session: Session, case: EnforcementCase) -> Standing:
    """The case's balances, what they add up to, and whether the book checks out."""
    book = acct.book(case.id)
    balances = ledger.balances(session, book)

    def total(*prefixes: str) -> int:
        return sum(amount for code, amount in balances.items() if code.startswith(prefixes))

    return Standing(
        held_fen=balances.get(acct.BANK, 0),
        undistributed_fen=total("received:"),
        owed_fen=total("payable:", "surplus:") + balances.get(acct.FEE, 0),
        in_flight_fen=balances.get(acct.IN_FLIGHT, 0),
        costs_uncovered_fen=balances.get(acct.COSTS_CHARGED, 0),
        received_fen=ledger.kinds_total(session, book, acct.BANK, kinds=["receipt", "reversal"]),
        paid_out_fen=-ledger.kinds_total(session, book, acct.BANK, kinds=["payout.paid"]),
        accounts=balances,
        problems=ledger.check(session, book),
    )
