"""Request and response shapes of the case's money."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from car_enforce.case_money.accounts import CostKind, Source
from car_enforce.case_money.models import (
    CasePayee,
    CasePayout,
    HoldReason,
    PayeeKind,
    PayeeStatus,
    PayoutStatus,
)
from car_enforce.core.db import RowId
from car_enforce.core.identity.schemas import BANK_ACCOUNT_PATTERN, masked_account

MAX_FEN = 10**15


class PayeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: PayeeKind = PayeeKind.CREDITOR
    party_id: RowId | None = Field(default=None, description="The case's party this payee is, if it is one")
    name: str = Field(default="", max_length=128, description="Empty: the party's name")
    account_number: str = Field(pattern=BANK_ACCOUNT_PATTERN)
    bank_name: str = Field(default="", max_length=64)
    claim_fen: int | None = Field(
        default=None,
        ge=0,
        le=MAX_FEN,
        description="A creditor's claim in fen; left out for the case's only applicant, the case's amount",
    )
    rank: int = Field(default=1, ge=1, le=99, description="1 is paid before 2")
    secured: bool = Field(default=False, description="A mortgage on the car: paid before the unsecured")


class PayeesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payees: list[PayeeIn] = Field(min_length=1, max_length=5000)


class PayeesAdded(BaseModel):
    added: int
    existing: int  # the same payees sent again: nothing changed


class PayeeOut(BaseModel):
    id: int
    kind: PayeeKind
    party_id: int | None
    name: str
    account_masked: str
    bank_name: str
    claim_fen: int
    allocated_fen: int
    rank: int
    secured: bool
    status: PayeeStatus

    @classmethod
    def of(cls, payee: CasePayee) -> PayeeOut:
        return cls(
            id=payee.id,
            kind=payee.kind,
            party_id=payee.party_id,
            name=payee.name,
            account_masked=masked_account(payee.account_number),
            bank_name=payee.bank_name,
            claim_fen=payee.claim_fen,
            allocated_fen=payee.allocated_fen,
            rank=payee.rank,
            secured=payee.secured,
            status=payee.status,
        )


class PayoutOut(BaseModel):
    id: int
    payee_id: int
    payee_name: str
    amount_fen: int
    status: PayoutStatus
    arrived_at: datetime
    due_on: date
    held_reason: HoldReason | None
    hold_note: str
    attempts: int
    retries: int
    last_error: str
    transfer_id: str | None
    created_at: datetime
    sent_at: datetime | None
    paid_at: datetime | None

    @classmethod
    def of(cls, payout: CasePayout) -> PayoutOut:
        return cls(
            id=payout.id,
            payee_id=payout.payee_id,
            payee_name=payout.payee.name,
            amount_fen=payout.amount_fen,
            status=payout.status,
            arrived_at=payout.arrived_at,
            due_on=payout.due_on,
            held_reason=payout.held_reason,
            hold_note=payout.hold_note,
            attempts=payout.attempts,
            retries=payout.retries,
            last_error=payout.last_error,
            transfer_id=payout.transfer_id,
            created_at=payout.created_at,
            sent_at=payout.sent_at,
            paid_at=payout.paid_at,
        )


class PayoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payee_id: RowId
    amount_fen: int = Field(gt=0, le=MAX_FEN)
    key: str = Field(
        min_length=1, max_length=100, description="The officer's name for this payout: sent twice, made once"
    )


# Money the officer records by hand: a debtor's transfer, money taken from a frozen account. A sale's price
# and a forfeited deposit arrive by themselves, from the sale.
ENTERED_SOURCES = (Source.DEBTOR_PAYMENT, Source.OTHER)
Reference = Field(
    min_length=1,
    max_length=64,
    pattern=r"^\S(.*\S)?$",
    description="The bank's serial number of a transfer, or a bill's number: the same one twice is one entry",
)


class ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_fen: int = Field(gt=0, le=MAX_FEN)
    source: Literal[Source.DEBTOR_PAYMENT, Source.OTHER]
    reference: str = Reference
    memo: str = Field(default="", max_length=200)


class CostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payee_id: RowId = Field(description="A payee of kind cost: who is owed it")
    kind: CostKind
    amount_fen: int = Field(gt=0, le=MAX_FEN)
    reference: str = Reference
    memo: str = Field(default="", max_length=200)


class ReversalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=200, description="Why the entry was wrong, kept with it")


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: HoldReason
    note: str = Field(default="", max_length=200)


class DistributeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fee_fen: int | None = Field(
        default=None,
        ge=0,
        le=MAX_FEN,
        description="The enforcement fee to take; left out, by Art. 14's bands",
    )


class DistributionOut(BaseModel):
    posting_id: int
    available_fen: int
    costs_fen: int
    fee_fen: int
    creditors_fen: int
    surplus_fen: int
    payouts: int
    due_on: date


class MoneyOut(BaseModel):
    """Where the case's money stands."""

    held_fen: int = Field(description="In the court's case account")
    undistributed_fen: int
    owed_fen: int = Field(description="Distributed to payees (and the debtor's surplus), not yet sent")
    in_flight_fen: int
    costs_uncovered_fen: int = Field(description="Costs charged that no money received covers yet")
    received_fen: int = Field(description="Everything received, less reversals")
    paid_out_fen: int
    accounts: dict[str, int] = Field(description="Every account's balance on its normal side")
    balanced: bool
    problems: list[str]


class LineOut(BaseModel):
    account: str
    amount_fen: int = Field(description="A debit positive, a credit negative")


class PostingOut(BaseModel):
    id: int
    key: str
    kind: str
    memo: str
    at: datetime
    actor: str
    reverses_id: int | None
    reversed_by: int | None
    lines: list[LineOut]
