"""Money leaving the simulated escrow: how a transfer or payout is answered, and payouts in batches.

A payout acts once by its own key, whichever request carries it: ``POST /payouts`` (its Idempotency-Key)
or an item of ``POST /payout-batches``. A batch pays the items not paid before in one transaction, answers
every item with its transfer (the first one, for an item paid before), and is told back in one signed
``payout_batch.settled`` message rather than one per item: at tens of thousands of payees a message each
would be most of the work.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Final, cast

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import String, Table, any_, bindparam, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api.simulators.failure_modes import use_up
from api.simulators.models import SimPaymentTransfer
from api.simulators.payments.delivery import SIMULATOR
from car_enforce.core import clock
from car_enforce.core.errors import Conflict

MAX_FEN: Final = 10**13
MAX_BATCH_ITEMS: Final = 1_000
ACCOUNT_PATTERN: Final = r"^[0-9A-Za-z-]{4,64}$"
URL_PATTERN: Final = r"^https?://\S+$"
DECLINED: Final = "收款账户状态异常，银行退回（模拟）"
INVALID_ACCOUNT: Final = "收款账号格式不对，银行无法入账（模拟）"
BATCH_SETTLED: Final = "payout_batch.settled"
Fen = Annotated[int, Field(gt=0, le=MAX_FEN)]
Url = Annotated[str, Field(max_length=500, pattern=URL_PATTERN)]

_ACCOUNT = re.compile(ACCOUNT_PATTERN)

Notify = Callable[[str, str, dict[str, Any]], None]  # type, url, data


class PayoutItemIn(BaseModel):
    key: str = Field(min_length=1, max_length=128, description="The payout's own idempotency key")
    # Only its length here: an account the bank cannot use fails its item alone, not the batch.
    to_account: str = Field(min_length=1, max_length=64)
    payee_name: str = Field(min_length=1, max_length=64)
    amount_fen: Fen
    reference: str = Field(default="", max_length=128)


class PayoutBatchIn(BaseModel):
    items: list[PayoutItemIn] = Field(min_length=1, max_length=MAX_BATCH_ITEMS)
    notify_url: Url | None = None

    @field_validator("items")
    @classmethod
    def _keys_differ(cls, items: list[PayoutItemIn]) -> list[PayoutItemIn]:
        first: dict[str, int] = {}
        for index, item in enumerate(items):
            if (earlier := first.setdefault(item.key, index)) != index:
                # Indexes, not the key: a rejected input is never echoed back.
                raise ValueError(f"items {earlier} and {index} have the same key")
        return items


def transfer_out(transfer: SimPaymentTransfer) -> dict[str, Any]:
    """A transfer or payout as the gateway answers it."""
    return _answer(
        transfer_id=transfer.transfer_id,
        payout_key=transfer.payout_key,
        kind=transfer.kind,
        status=transfer.status,
        order_id=transfer.order_id,
        to_account=transfer.to_account,
        amount_fen=transfer.amount_fen,
        reference=transfer.reference,
        failure_reason=transfer.failure_reason,
        created_at=transfer.created_at,
    )


def _answer(**row: Any) -> dict[str, Any]:
    return {
        "id": row["transfer_id"],
        "key": row["payout_key"],
        "kind": row["kind"],
        "status": row["status"],
        "order_id": row["order_id"],
        "to_account": row["to_account"],
        "amount_fen": row["amount_fen"],
        "reference": row["reference"],
        "failure_reason": row["failure_reason"],
        "created_at": row["created_at"].isoformat(),
    }


def take_declines(session: Session, wanted: int) -> int:
    """How many of the next ``wanted`` transfers the staged failure mode declines; that many used up."""
    return use_up(session, SIMULATOR, "decline", wanted)


def check_same_payout(
    earlier: SimPaymentTransfer, *, to_account: str, payee_name: str, amount_fen: int, reference: str
) -> None:
    """Refuse a payout key used before for another payee, account, amount or reference."""
    if (earlier.to_account, earlier.payee_name, earlier.amount_fen, earlier.reference) != (
        to_account,
        payee_name,
        amount_fen,
        reference,
    ):
        raise Conflict(
            "a payout key was used before for another payout; use a new key",
            zh="付款的幂等键已用于另一笔不同的付款，请使用新的键",
        )


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _done(session: Session, keys: Sequence[str]) -> dict[str, SimPaymentTransfer]:
    column = SimPaymentTransfer.payout_key
    if _postgres(session):
        # One array parameter: a thousand "IN" parameters cost psycopg more to bind than the query costs.
        found = column == any_(bindparam("keys", list(keys), type_=postgresql.ARRAY(String)))
    else:
        found = column.in_(keys)
    return {t.payout_key: t for t in session.scalars(select(SimPaymentTransfer).where(found)) if t.payout_key}


def _check(item: PayoutItemIn, earlier: SimPaymentTransfer) -> None:
    check_same_payout(
        earlier,
        to_account=item.to_account,
        payee_name=item.payee_name,
        amount_fen=item.amount_fen,
        reference=item.reference,
    )


def pay_batch(
    session: Session, *, batch_key: str, body: PayoutBatchIn, notify_url: str, notify: Notify
) -> dict[str, Any]:
    """Pay the batch's items not paid before, in one transaction; every item's transfer, in order."""
    done = _done(session, [item.key for item in body.items])
    for item in body.items:
        if (earlier := done.get(item.key)) is not None:
            _check(item, earlier)
    answers = {key: transfer_out(earlier) for key, earlier in done.items()}
    fresh = [item for item in body.items if item.key not in done]
    if fresh:
        rows = _rows(session, fresh, notify_url)
        mine = _insert(session, rows)
        if len(mine) < len(rows):
            # A concurrent request carrying some of the same items committed them first: theirs stand.
            raced = _done(session, [r["payout_key"] for r in rows if r["payout_key"] not in mine])
            by_key = {item.key: item for item in fresh}
            for key, earlier in raced.items():
                _check(by_key[key], earlier)
                answers[key] = transfer_out(earlier)
        settled = [r for r in rows if r["payout_key"] in mine]
        answers.update((r["payout_key"], _answer(**r)) for r in settled)
        if settled:
            notify(BATCH_SETTLED, notify_url, _settled_data(batch_key, settled))
    return {"transfers": [answers[item.key] for item in body.items]}


def _rows(session: Session, items: Sequence[PayoutItemIn], notify_url: str) -> list[dict[str, Any]]:
    payable = [bool(_ACCOUNT.fullmatch(item.to_account)) for item in items]
    declines = take_declines(session, sum(payable))
    now = clock.now()
    rows: list[dict[str, Any]] = []
    for item, valid in zip(items, payable, strict=True):
        declined = valid and declines > 0
        if declined:
            declines -= 1
        reason = "" if valid and not declined else (DECLINED if declined else INVALID_ACCOUNT)
        rows.append(
            {
                "transfer_id": f"tr_{secrets.token_hex(12)}",
                "payout_key": item.key,
                "kind": "payout",
                "status": "failed" if reason else "succeeded",
                "order_id": None,
                "to_account": item.to_account,
                "payee_name": item.payee_name,
                "amount_fen": item.amount_fen,
                "reference": item.reference,
                "failure_reason": reason,
                "notify_url": notify_url,
                "created_at": now,
            }
        )
    return rows


# What differs from one payout of a batch to the next; the rest is the batch's.
_VARYING: Final = (
    "transfer_id",
    "payout_key",
    "status",
    "to_account",
    "payee_name",
    "amount_fen",
    "reference",
    "failure_reason",
)
_SHARED: Final = ("kind", "order_id", "notify_url", "created_at")
_TABLE: Final = cast(Table, SimPaymentTransfer.__table__)


def _insert(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Insert the rows in one statement, skipping keys a concurrent request stored first; the keys stored."""
    # In the keys' order: two batches overlapping in a different order then wait on each other, never
    # on each other's rows both ways (a deadlock on PostgreSQL).
    rows = sorted(rows, key=lambda r: str(r["payout_key"]))
    if _postgres(session):
        keys = session.scalars(_insert_postgres(rows).returning(_TABLE.c.payout_key)).all()
    else:
        # The table, not the class: the ORM's bulk insert costs more than SQLite's insert of the rows.
        statement = sqlite.insert(_TABLE).on_conflict_do_nothing(index_elements=["payout_key"])
        keys = session.scalars(statement.returning(_TABLE.c.payout_key), rows).all()
    return {key for key in keys if key is not None}


def _insert_postgres(rows: list[dict[str, Any]]) -> postgresql.Insert:
    # A column an array, unnested into rows: a dozen parameters, where a row each would be thousands,
    # which psycopg binds slower than PostgreSQL inserts them.
    columns = _TABLE.c
    arrays = [
        bindparam(name, [r[name] for r in rows], type_=postgresql.ARRAY(columns[name].type))
        for name in _VARYING
    ]
    given = func.unnest(*arrays).table_valued(*_VARYING).render_derived(name="given")
    shared = [literal(rows[0][name], columns[name].type) for name in _SHARED]
    return (
        postgresql.insert(_TABLE)
        .from_select([*_VARYING, *_SHARED], select(*(given.c[name] for name in _VARYING), *shared))
        .on_conflict_do_nothing(index_elements=["payout_key"])
    )


def _settled_data(batch_key: str, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        "batch_key": batch_key,
        "transfers": [
            {
                "transfer_id": r["transfer_id"],
                "key": r["payout_key"],
                "status": r["status"],
                "amount_fen": r["amount_fen"],
                "reference": r["reference"],
            }
            for r in rows
        ],
    }
