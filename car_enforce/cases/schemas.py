"""Request and response shapes for cases and parties."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from car_enforce.cases.models import CaseStatus, EnforcementCase, Party, PartyKind, PartyRole
from car_enforce.core.zh import mask_id_number, mask_phone


class PartyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: PartyKind
    name: str = Field(min_length=1, max_length=128)
    id_number: str = Field(
        min_length=1,
        max_length=32,
        description="Resident ID number (person) or unified social credit code (company)",
    )
    phone: str = Field(default="", max_length=32)


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_number: str = Field(max_length=64, examples=["(2026)浙0326执1234号"])
    amount_owed_fen: int = Field(gt=0, le=10**15, description="Amount owed, in fen (0.01 yuan)")
    applicants: list[PartyIn] = Field(min_length=1, max_length=50)
    debtors: list[PartyIn] = Field(min_length=1, max_length=50)


class PartyOut(BaseModel):
    id: int
    role: PartyRole
    kind: PartyKind
    name: str
    id_number_masked: str
    phone_masked: str

    @classmethod
    def of(cls, party: Party) -> PartyOut:
        return cls(
            id=party.id,
            role=party.role,
            kind=party.kind,
            name=party.name,
            id_number_masked=mask_id_number(party.id_number),
            phone_masked=mask_phone(party.phone),
        )


class OrgRef(BaseModel):
    id: int
    name: str


class CaseOut(BaseModel):
    id: int
    court: OrgRef
    case_number: str
    amount_owed_fen: int
    status: CaseStatus
    opened_at: datetime
    officer_id: int | None
    parties: list[PartyOut]
    debtor_paid_at: datetime | None = None

    @classmethod
    def of(cls, case: EnforcementCase) -> CaseOut:
        return cls(
            id=case.id,
            court=OrgRef(id=case.court.id, name=case.court.name),
            case_number=case.case_number,
            amount_owed_fen=case.amount_owed_fen,
            status=case.status,
            opened_at=case.opened_at,
            officer_id=case.officer_id,
            parties=[PartyOut.of(p) for p in case.parties],
            debtor_paid_at=case.debtor_paid_at,
        )


class TimelineEventOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    kind: str
    subject: str
    reason: str
    data: dict[str, object]
    hash: str


class DebtorPaidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_fen: int = Field(gt=0, description="What the debtor paid, in fen")
    paid_on: date = Field(description="The day the money reached the court (Asia/Shanghai)")
    note: str = Field(default="", max_length=1000)
