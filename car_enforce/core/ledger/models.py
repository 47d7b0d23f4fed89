"""The ledger's rows: books, their accounts, postings and their lines. Postings and lines are written
once and never changed: a mistake is corrected by a reversing posting, never by an edit or a delete."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Mapper, ORMExecuteState, Session, mapped_column, relationship

from car_enforce.core.db import Base, UTCDateTime


class Side(StrEnum):
    """The side an account's balance normally stands on: an asset's on the debit side, what is owed to
    someone on the credit side."""

    DEBIT = "debit"
    CREDIT = "credit"


class LedgerBook(Base):
    """One set of accounts ("case:12"); the row every posting to the book locks first."""

    __tablename__ = "ledger_book"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerAccount(Base):
    __tablename__ = "ledger_account"
    __table_args__ = (UniqueConstraint("book_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("ledger_book.id"))
    code: Mapped[str] = mapped_column(String(96))
    normal: Mapped[Side] = mapped_column(String(8))
    # The sum of the account's lines, debits positive: kept with every posting so a balance is one read.
    balance_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerPosting(Base):
    __tablename__ = "ledger_posting"
    __table_args__ = (UniqueConstraint("book_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("ledger_book.id"))
    key: Mapped[str] = mapped_column(String(128))  # the caller's name for it: the same key is a retry
    kind: Mapped[str] = mapped_column(String(32))
    memo: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(96))
    # Unique: a posting is reversed at most once.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_posting.id"), unique=True)

    lines: Mapped[list[LedgerLine]] = relationship(order_by="LedgerLine.id", viewonly=True)


class LedgerLine(Base):
    __tablename__ = "ledger_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("ledger_posting.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # a debit positive, a credit negative

    account: Mapped[LedgerAccount] = relationship(lazy="joined", viewonly=True)


class ImmutablePosting(RuntimeError):
    """Something tried to change or delete a posting or a line, which are never changed."""


_WRITTEN_ONCE = (LedgerPosting, LedgerLine)


def _refuse_change(_mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    raise ImmutablePosting(
        f"{type(target).__name__} {target.id} is never changed or deleted: post a reversal instead"
    )


for _model in _WRITTEN_ONCE:
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_change(state: ORMExecuteState) -> None:
    # An UPDATE or DELETE statement run through a session passes no mapper event: refuse it here.
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and table.name in {m.__tablename__ for m in _WRITTEN_ONCE}:
        raise ImmutablePosting(f"{table.name} is never updated or deleted: post a reversal instead")
