"""Enforcement cases and their parties (applicants and debtors)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from car_enforce.core.db import Base, UTCDateTime
from car_enforce.core.identity.models import Organisation


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class PartyRole(StrEnum):
    APPLICANT = "applicant"  # 申请执行人, the creditor
    DEBTOR = "debtor"  # 被执行人


class PartyKind(StrEnum):
    PERSON = "person"
    COMPANY = "company"


class EnforcementCase(Base):
    __tablename__ = "enforcement_case"
    __table_args__ = (UniqueConstraint("court_id", "case_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    court_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    case_number: Mapped[str] = mapped_column(String(64))  # normalised: (2026)浙0326执1234号
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    amount_owed_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[CaseStatus] = mapped_column(String(16), default=CaseStatus.OPEN)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The debtor paid in full before any sale: recorded once, and everything held is let go.
    debtor_paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    court: Mapped[Organisation] = relationship(lazy="joined")
    parties: Mapped[list[Party]] = relationship(back_populates="case", order_by="Party.id", lazy="selectin")


class Party(Base):
    __tablename__ = "case_party"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_case.id"), index=True)
    role: Mapped[PartyRole] = mapped_column(String(16))
    kind: Mapped[PartyKind] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    # Resident ID number (person) or unified social credit code (company); shown masked only.
    id_number: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(32), default="")
    # The applicant's own login (申请执行人 account), linked by the court: it sees this case's steps.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)

    case: Mapped[EnforcementCase] = relationship(back_populates="parties")
