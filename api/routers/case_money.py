"""The case's money (一案一账号) for the officers of its court: the account and its statement, money and
costs entered by hand and their reversal, the payees, the distribution and the payouts."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from api.deps import Allow, IdempotencyDep, Officer, SessionDep, created_or_replayed
from api.errors import responses
from car_enforce.case_money import accounts as acct
from car_enforce.case_money import distribution, entries, payees, payouts, service
from car_enforce.case_money.models import CasePayout, PayoutStatus
from car_enforce.case_money.schemas import (
    CostIn,
    DistributeIn,
    DistributionOut,
    HoldIn,
    LineOut,
    MoneyOut,
    PayeeOut,
    PayeesAdded,
    PayeesIn,
    PayoutIn,
    PayoutOut,
    PostingOut,
    ReceiptIn,
    ReversalIn,
)
from car_enforce.cases import service as cases
from car_enforce.core import ledger
from car_enforce.core.db import MAX_ROW_ID, RowId
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.ledger import LedgerPosting

router = APIRouter(
    prefix="/api/cases/{case_id}/money", tags=["case money"], responses=responses(401, 403, 404)
)
OfficerOrAdmin = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.ADMIN))]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=MAX_ROW_ID)]


@router.get("", response_model=MoneyOut)
def money(case_id: RowId, session: SessionDep, who: OfficerOrAdmin) -> MoneyOut:
    """Where the case's money stands: held, undistributed, owed, in flight, paid; every account's balance;
    whether the book checks out."""
    standing = service.standing(session, cases.visible_case(session, who, case_id))
    return MoneyOut(
        held_fen=standing.held_fen,
        undistributed_fen=standing.undistributed_fen,
        owed_fen=standing.owed_fen,
        in_flight_fen=standing.in_flight_fen,
        costs_uncovered_fen=standing.costs_uncovered_fen,
        received_fen=standing.received_fen,
        paid_out_fen=standing.paid_out_fen,
        accounts=standing.accounts,
        balanced=not standing.problems,
        problems=standing.problems,
    )


def _posting_out(e: ledger.StatementEntry) -> PostingOut:
    return PostingOut(
        id=e.id,
        key=e.key,
        kind=e.kind,
        memo=e.memo,
        at=e.at,
        actor=e.actor,
        reverses_id=e.reverses_id,
        reversed_by=e.reversed_by,
        lines=[LineOut(account=x.account, amount_fen=x.amount_fen) for x in e.lines],
    )


@router.get("/statement", response_model=list[PostingOut])
def statement(
    case_id: RowId,
    session: SessionDep,
    who: OfficerOrAdmin,
    after_id: Offset = 0,
    limit: Limit = 200,
) -> list[PostingOut]:
    """The case account's postings in order, each with its lines (debits positive); page on with the last
    posting's id as ``after_id``."""
    case = cases.visible_case(session, who, case_id)
    return [
        _posting_out(e) for e in ledger.statement(session, acct.book(case.id), after_id=after_id, limit=limit)
    ]


def _posted(
    session: Session, case_id: int, posting: LedgerPosting, made: bool, response: Response
) -> PostingOut:
    """The posting as the statement shows it: 201 when this request made it, 200 for the first one again."""
    created_or_replayed(response, made)
    [entry] = ledger.statement(session, acct.book(case_id), after_id=posting.id - 1, limit=1)
    return _posting_out(entry)


_ENTERED = {
    **responses(409, 422),
    200: {"model": PostingOut, "description": "The same reference again: the first entry"},
}


@router.post("/receipts", status_code=201, response_model=PostingOut, responses=_ENTERED)
def record_receipt(
    case_id: RowId, body: ReceiptIn, session: SessionDep, officer: Officer, response: Response
) -> PostingOut:
    """Money that came into the case's account outside the sale: the debtor's transfer, money taken from an
    account frozen elsewhere. Its bank serial number names it: the same one again is the same receipt, with
    other figures a 409. The applicants are told."""
    case = cases.visible_case(session, officer, case_id)
    posting, made = entries.enter_receipt(session, case.id, body, actor=officer)
    return _posted(session, case.id, posting, made, response)


@router.post("/costs", status_code=201, response_model=PostingOut, responses=_ENTERED)
def charge_cost(
    case_id: RowId, body: CostIn, session: SessionDep, officer: Officer, response: Response
) -> PostingOut:
    """A cost of enforcement owed to a cost payee (an appraiser's bill, a notice's fee), covered first from
    the money (执行工作规定 item 34). Its bill's number names it: the same one again is the same charge."""
    case = cases.visible_case(session, officer, case_id)
    posting, made = entries.enter_cost(session, case.id, body, actor=officer)
    return _posted(session, case.id, posting, made, response)


@router.post(
    "/postings/{posting_id}/reversal",
    status_code=201,
    response_model=PostingOut,
    responses={**responses(409, 422), 200: {"model": PostingOut, "description": "Reversed already: it"}},
)
def reverse(
    case_id: RowId,
    posting_id: RowId,
    body: ReversalIn,
    session: SessionDep,
    officer: Officer,
    response: Response,
) -> PostingOut:
    """Take back a receipt or a cost entered in error, by a reversing posting with the reason; a posting is
    never edited. Money already shared out or paid cannot be taken back (409); asked again, the reversal made
    the first time (200)."""
    case = cases.visible_case(session, officer, case_id)
    reversal, made = entries.take_back(session, case.id, posting_id, reason=body.reason, actor=officer)
    return _posted(session, case.id, reversal, made, response)


@router.get("/payees", response_model=list[PayeeOut])
def list_payees(
    case_id: RowId, session: SessionDep, who: OfficerOrAdmin, limit: Limit = 200, offset: Offset = 0
) -> list[PayeeOut]:
    case = cases.visible_case(session, who, case_id)
    return [PayeeOut.of(p) for p in payees.payees_of(session, case, limit=limit, offset=offset)]


@router.post(
    "/payees",
    status_code=201,
    response_model=PayeesAdded,
    responses={**responses(409, 422), 200: {"model": PayeesAdded, "description": "All of them were there"}},
)
def add_payees(
    case_id: RowId,
    body: PayeesIn,
    session: SessionDep,
    officer: Officer,
    idem: IdempotencyDep,
    response: Response,
) -> object:
    """Add payees, one per bank account (up to 5,000 a request): a payee sent again as it was changes
    nothing; the same account with other details is refused and nothing is added."""
    case = cases.visible_case(session, officer, case_id)
    answer = idem.run(lambda: payees.add_payees(session, case, actor=officer, payees=body.payees))
    if isinstance(answer, PayeesAdded) and not answer.added:  # found, not made: so to a keyed retry too
        created_or_replayed(response, False)
        idem.claimed.remember(200, answer.model_dump(mode="json"))
    return answer


@router.post(
    "/distribute", status_code=201, response_model=DistributionOut, responses=responses(400, 409, 422)
)
def distribute(
    case_id: RowId, body: DistributeIn, session: SessionDep, officer: Officer, idem: IdempotencyDep
) -> object:
    """Share out the money received and not yet distributed: costs first, then the enforcement fee, then
    the creditors (secured first, by rank, pro rata within one), the rest to the debtor; each share a
    payout due within 30 days of the money's arrival. Nothing to share is a 409."""
    case = cases.visible_case(session, officer, case_id)

    def run() -> DistributionOut:
        done = distribution.distribute(session, case.id, actor=officer, fee_fen=body.fee_fen)
        return DistributionOut.model_validate(dataclasses.asdict(done))

    return idem.run(run)


@router.get("/payouts", response_model=list[PayoutOut])
def list_payouts(
    case_id: RowId,
    session: SessionDep,
    who: OfficerOrAdmin,
    status: PayoutStatus | None = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[PayoutOut]:
    case = cases.visible_case(session, who, case_id)
    found = payouts.payouts_of(session, case, status=status, limit=limit, offset=offset)
    return [PayoutOut.of(p) for p in found]


@router.post(
    "/payouts",
    status_code=201,
    response_model=PayoutOut,
    responses={
        **responses(409, 422),
        200: {"model": PayoutOut, "description": "The same key again: the first"},
    },
)
def order_payout(
    case_id: RowId, body: PayoutIn, session: SessionDep, officer: Officer, response: Response
) -> PayoutOut:
    """Pay a payee part or all of what the case holds for it and has not yet paid or ordered; more than that
    (`BeyondHeld`) or an unknown payee is refused; the same key again is the same payout (200)."""
    case = cases.visible_case(session, officer, case_id)
    payout, created = payouts.order_payout(
        session, case.id, payee_id=body.payee_id, amount_fen=body.amount_fen, key=body.key, actor=officer
    )
    created_or_replayed(response, created)
    return PayoutOut.of(payout)


def _payout(session: Session, officer: Principal, case_id: int, payout_id: int) -> CasePayout:
    return payouts.payout_of(session, cases.visible_case(session, officer, case_id), payout_id)


@router.post("/payouts/{payout_id}/hold", response_model=PayoutOut, responses=responses(409, 422))
def hold(case_id: RowId, payout_id: RowId, body: HoldIn, session: SessionDep, officer: Officer) -> PayoutOut:
    """Delay a pending payout for one of the reasons the rules allow (法发〔2017〕6号), recorded with it."""
    payout = _payout(session, officer, case_id, payout_id)
    return PayoutOut.of(
        payouts.hold_payout(session, payout, actor=officer, reason=body.reason, note=body.note)
    )


@router.post("/payouts/{payout_id}/release", response_model=PayoutOut, responses=responses(409))
def release(case_id: RowId, payout_id: RowId, session: SessionDep, officer: Officer) -> PayoutOut:
    """The reason for the hold is gone: the payout is due again."""
    payout = _payout(session, officer, case_id, payout_id)
    return PayoutOut.of(payouts.release_hold(session, payout, actor=officer))


@router.post("/payouts/{payout_id}/retry", response_model=PayoutOut, responses=responses(409))
def retry(case_id: RowId, payout_id: RowId, session: SessionDep, officer: Officer) -> PayoutOut:
    """Send a declined payout again, under a new key (the payee's account put right)."""
    payout = _payout(session, officer, case_id, payout_id)
    return PayoutOut.of(payouts.retry_payout(session, payout, actor=officer))
