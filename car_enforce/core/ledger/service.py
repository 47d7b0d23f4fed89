"""Double entry in integer fen: every posting's lines sum to zero, so every book's accounts do too.

A posting names its accounts by code and says on which side each normally stands, so an account is opened
by its first line: a book of tens of thousands of payees costs one row per payee, made in bulk. Every
posting to a book first locks the book's row, then checks that no account it touches would end on its
wrong side (an asset below zero, what is owed to someone overdrawn); if one would, nothing is stored.
A key names each posting within its book: the same key with the same lines is a retry and gets the first
posting back; with other lines it is a conflict. Postings are never edited: ``reverse`` posts the negation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from car_enforce.core import clock
from car_enforce.core.db import among, insert_once
from car_enforce.core.errors import Conflict, InvalidInput, NotFound
from car_enforce.core.ledger.models import LedgerAccount, LedgerBook, LedgerLine, LedgerPosting, Side

MAX_FEN = 10**15  # ten trillion yuan: past any case, well within a BIGINT even summed
MAX_CODE = 96
MAX_KEY = 128
MAX_KIND = 32
MAX_MEMO = 200
MAX_ACTOR = 96
_CHUNK = 2000  # values in one IN (...): well under SQLite's limit of bound parameters

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Line:
    """One side of a posting: a debit positive, a credit negative; ``normal`` opens the account if new."""

    account: str
    amount_fen: int
    normal: Side


@dataclass(frozen=True, slots=True)
class Entry:
    """A posting to make (``post_many``)."""

    key: str
    kind: str
    lines: Sequence[Line]
    memo: str = ""
    actor: str = "system"
    at: datetime | None = None


class Overdrawn(Conflict):
    """A posting would leave an account on its wrong side: more paid out of it than it holds."""

    def __init__(self, book: str, account: str, balance_fen: int, key: str) -> None:
        held = abs(balance_fen)
        super().__init__(
            f"posting {key!r} would leave account {account} of {book} at {balance_fen} fen (debits "
            f"positive), on its wrong side: {held} fen more than it holds. Nothing was posted",
            zh=f"账户“{account}”余额不足，本笔记账须多出{held / 100:.2f}元，未予记账",
            field="lines",
        )
        self.book, self.account, self.short_fen = book, account, held

    def facts(self) -> dict[str, Any]:
        return {"account": self.account, "short_fen": self.short_fen}


class NotBalanced(InvalidInput):
    pass


# --- the book -----------------------------------------------------------------------------------------


def find_book(session: Session, book: str) -> LedgerBook | None:
    return session.scalar(select(LedgerBook).where(LedgerBook.key == book))


def lock(session: Session, book: str) -> LedgerBook:
    """The book's row, locked for the rest of the transaction (made on first use): postings to one book
    take turns, so none races another's check of the balances."""
    found = session.scalar(select(LedgerBook).where(LedgerBook.key == book).with_for_update())
    if found is not None:
        return found
    if not book or len(book) > 64:
        raise InvalidInput("book", "a book key of 1 to 64 characters", zh="账簿编号应为 1 至 64 个字符")
    # Two first postings at once: one inserts the row, the other's insert does nothing and it then waits
    # on the lock below.
    insert_once(session, LedgerBook, {"key": book, "opened_at": clock.now()}, unique=["key"])
    found = session.scalar(select(LedgerBook).where(LedgerBook.key == book).with_for_update())
    assert found is not None
    return found


# --- checking what is asked ---------------------------------------------------------------------------


def _text(value: str, field: str, limit: int, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value) or len(value) > limit:
        raise InvalidInput(field, f"a text of {0 if empty else 1} to {limit} characters", zh="长度不符合要求")
    return value


def _checked(entry: Entry) -> tuple[tuple[str, int], ...]:
    """The entry's lines as sorted (code, amount) pairs, after every rule of a posting is checked."""
    _text(entry.key, "key", MAX_KEY)
    _text(entry.kind, "kind", MAX_KIND)
    _text(entry.memo, "memo", MAX_MEMO, empty=True)
    _text(entry.actor, "actor", MAX_ACTOR)
    if not entry.lines:
        raise NotBalanced("lines", f"posting {entry.key!r} has no lines", zh="记账分录不能为空")
    sides: dict[str, Side] = {}
    total = 0
    for line in entry.lines:
        _text(line.account, "lines.account", MAX_CODE)
        amount = line.amount_fen
        if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < abs(amount) <= MAX_FEN:
            raise NotBalanced(
                "lines.amount_fen",
                f"posting {entry.key!r}: {amount!r} on {line.account} is not a non-zero amount in fen",
                zh="每一行的金额都应为非零的整数（分）",
            )
        if sides.setdefault(line.account, Side(line.normal)) != line.normal:
            raise InvalidInput(
                "lines.normal",
                f"posting {entry.key!r} gives account {line.account} both sides as its normal side",
                zh="同一账户在一笔记账中的余额方向不一致",
            )
        total += amount
    if total != 0:
        raise NotBalanced(
            "lines",
            f"posting {entry.key!r}: the debits and credits differ by {total} fen",
            zh=f"借贷不平衡，相差{total}分",
        )
    return tuple(sorted((line.account, line.amount_fen) for line in entry.lines))


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _wrong_side(normal: str, balance: int) -> bool:
    return balance < 0 if normal == Side.DEBIT else balance > 0


# --- posting ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Account:
    id: int | None
    normal: str
    balance: int
    touched: bool = False


def _earlier_postings(
    session: Session, book: LedgerBook, keys: Sequence[str]
) -> dict[str, tuple[int, int | None, tuple[tuple[str, int], ...]]]:
    """The postings already made under these keys: id, what each reverses, and its lines."""
    found: dict[str, tuple[int, int | None]] = {}
    for chunk in _chunks(keys):
        query = select(LedgerPosting.key, LedgerPosting.id, LedgerPosting.reverses_id)
        query = among(session, query.where(LedgerPosting.book_id == book.id), LedgerPosting.key, chunk)
        rows = session.execute(query)
        found.update({key: (pid, reverses) for key, pid, reverses in rows})
    lines: dict[int, list[tuple[str, int]]] = {pid: [] for pid, _ in found.values()}
    for ids in _chunks(list(lines)):
        for pid, code, amount in session.execute(
            select(LedgerLine.posting_id, LedgerAccount.code, LedgerLine.amount_fen)
            .join(LedgerAccount, LedgerAccount.id == LedgerLine.account_id)
            .where(LedgerLine.posting_id.in_(ids))
        ):
            lines[pid].append((code, amount))
    return {key: (pid, rev, tuple(sorted(lines[pid]))) for key, (pid, rev) in found.items()}


def _accounts(session: Session, book: LedgerBook, codes: Sequence[str]) -> dict[str, _Account]:
    accounts: dict[str, _Account] = {}
    for chunk in _chunks(codes):
        query = select(LedgerAccount.code, LedgerAccount.id, LedgerAccount.normal, LedgerAccount.balance_fen)
        query = among(session, query.where(LedgerAccount.book_id == book.id), LedgerAccount.code, chunk)
        rows = session.execute(query)
        accounts.update({code: _Account(aid, normal, balance) for code, aid, normal, balance in rows})
    return accounts


def _write(
    session: Session, book_key: str, entries: Sequence[tuple[Entry, int | None]]
) -> list[tuple[int, bool]]:
    """Store the entries not stored before, all or none: (posting id, made now) for each, in order."""
    canonical = [_checked(entry) for entry, _ in entries]
    session.flush()  # the statements below go around the unit of work: it must be empty first
    book = lock(session, book_key)
    earlier = _earlier_postings(session, book, list(dict.fromkeys(e.key for e, _ in entries)))

    # Which entries are new; a key given twice in one call is a retry of its first use.
    first_of_key: dict[str, int] = {}
    fresh: list[int] = []
    for i, (entry, reverses) in enumerate(entries):
        seen = earlier.get(entry.key)
        if seen is None and entry.key in first_of_key:
            j = first_of_key[entry.key]
            seen = (-1, entries[j][1], canonical[j])
        if seen is not None:
            if seen[2] != canonical[i] or seen[1] != reverses:
                raise Conflict(
                    f"posting key {entry.key!r} of {book_key} names another posting already",
                    zh="此记账编号已用于另一笔不同的记账",
                    field="key",
                )
            continue
        first_of_key[entry.key] = i
        fresh.append(i)
    if not fresh:
        return [(earlier[e.key][0], False) for e, _ in entries]

    # Every account's balance after each posting in turn: the first wrong side refuses them all.
    normals: dict[str, Side] = {}
    for i in fresh:
        for line in entries[i][0].lines:
            normals.setdefault(line.account, line.normal)
    accounts = _accounts(session, book, list(normals))
    for code, normal in normals.items():
        known = accounts.get(code)
        if known is None:
            accounts[code] = _Account(None, normal, 0)
        elif known.normal != normal:
            raise InvalidInput(
                "lines.normal",
                f"account {code} of {book_key} stands on the {known.normal} side, not the {normal}",
                zh=f"账户“{code}”的余额方向与已开立的不一致",
            )
    for i in fresh:
        entry = entries[i][0]
        for line in entry.lines:
            account = accounts[line.account]
            account.balance += line.amount_fen
            account.touched = True
        for code in sorted({line.account for line in entry.lines}):
            account = accounts[code]
            if _wrong_side(account.normal, account.balance):
                raise Overdrawn(book_key, code, account.balance, entry.key)

    # Nothing is refused: store it, in bulk. Each insert returns the rows' natural keys with their ids, so
    # SQLAlchemy sends its rows a thousand to a statement on both databases (without RETURNING, psycopg sends
    # them one by one); no order of the returned rows is relied on.
    account_table: Any = LedgerAccount.__table__
    new_accounts = [(code, a) for code, a in accounts.items() if a.id is None]
    if new_accounts:
        # A new account is inserted with its balance after these postings: nothing to update later.
        made = session.execute(
            account_table.insert().returning(account_table.c.code, account_table.c.id),
            [
                {"book_id": book.id, "code": code, "normal": a.normal, "balance_fen": a.balance}
                for code, a in new_accounts
            ],
        )
        for code, account_id in made:
            accounts[code].id = account_id
    now = clock.now()
    posting_table: Any = LedgerPosting.__table__
    posted = session.execute(
        posting_table.insert().returning(posting_table.c.key, posting_table.c.id),
        [
            {
                "book_id": book.id,
                "key": entries[i][0].key,
                "kind": entries[i][0].kind,
                "memo": entries[i][0].memo,
                "at": entries[i][0].at or now,
                "actor": entries[i][0].actor,
                "reverses_id": entries[i][1],
            }
            for i in fresh
        ],
    )
    by_key = {key: posting_id for key, posting_id in posted}
    made_ids = {i: by_key[entries[i][0].key] for i in fresh}
    line_table: Any = LedgerLine.__table__
    session.execute(
        line_table.insert().returning(line_table.c.id),
        [
            {
                "posting_id": made_ids[i],
                "account_id": accounts[line.account].id,
                "amount_fen": line.amount_fen,
            }
            for i in fresh
            for line in entries[i][0].lines
        ],
    ).all()
    opened = {code for code, _ in new_accounts}
    existing = [
        {"account_id": a.id, "balance": a.balance}
        for code, a in accounts.items()
        if a.touched and code not in opened
    ]
    if existing:
        session.execute(
            update(account_table)
            .where(account_table.c.id == bindparam("account_id"))
            .values(balance_fen=bindparam("balance")),
            existing,
        )
    _expire_accounts(session)

    result: list[tuple[int, bool]] = []
    for i, (entry, _) in enumerate(entries):
        if i in made_ids:
            result.append((made_ids[i], True))
        elif entry.key in earlier:
            result.append((earlier[entry.key][0], False))
        else:
            result.append((made_ids[first_of_key[entry.key]], False))
    return result


def _expire_accounts(session: Session) -> None:
    # The balances were written around the unit of work: accounts the session holds read them afresh.
    for row in list(session.identity_map.values()):
        if isinstance(row, LedgerAccount):
            session.expire(row, ["balance_fen"])


def post_or_replay(
    session: Session,
    book: str,
    lines: Sequence[Line],
    *,
    key: str,
    kind: str,
    memo: str = "",
    actor: str,
    at: datetime | None = None,
) -> tuple[LedgerPosting, bool]:
    """``post``, also saying whether the posting was made now (False: a retry got the first one)."""
    entry = Entry(key=key, kind=kind, lines=lines, memo=memo, actor=actor, at=at)
    [(posting_id, made)] = _write(session, book, [(entry, None)])
    posting = session.get(LedgerPosting, posting_id)
    assert posting is not None
    return posting, made


def post(
    session: Session,
    book: str,
    lines: Sequence[Line],
    *,
    key: str,
    kind: str,
    memo: str = "",
    actor: str,
    at: datetime | None = None,
) -> LedgerPosting:
    """Post ``lines`` to ``book`` under ``key``: ``NotBalanced`` (422) unless they sum to zero with no line
    of zero, ``Overdrawn`` (409) if an account would end on its wrong side, ``Conflict`` if the key names
    another posting; the same key with the same lines gives the first posting back."""
    return post_or_replay(session, book, lines, key=key, kind=kind, memo=memo, actor=actor, at=at)[0]


def post_many(session: Session, book: str, entries: Sequence[Entry]) -> list[int]:
    """Post many entries under one lock with bulk inserts, all or none (the first refusal refuses them
    all, in the order given); the posting ids in order, an earlier posting's for a retried key."""
    if not entries:
        return []
    return [posting_id for posting_id, _ in _write(session, book, [(e, None) for e in entries])]


def reverse_or_replay(
    session: Session,
    book: str,
    posting_id: int,
    *,
    key: str,
    memo: str = "",
    actor: str,
    at: datetime | None = None,
) -> tuple[LedgerPosting, bool]:
    """``reverse``, also saying whether the reversal was made now (False: a retry got the first one)."""
    found = lock(session, book)
    original = session.get(LedgerPosting, posting_id)
    if original is None or original.book_id != found.id:
        raise NotFound(f"posting {posting_id} is not in {book}", zh="本账簿中没有这笔记账")
    if original.reverses_id is not None:
        raise Conflict(
            f"posting {posting_id} is itself a reversal; post the original again instead",
            zh="这笔记账本身是冲正记账，不能再冲正；如需恢复，请重新记账",
        )
    earlier = session.scalar(select(LedgerPosting).where(LedgerPosting.reverses_id == posting_id))
    if earlier is not None and earlier.key != key:
        raise Conflict(
            f"posting {posting_id} was reversed already, by posting {earlier.id}",
            zh="这笔记账已经冲正过，不能重复冲正",
        )
    lines = [Line(line.account.code, -line.amount_fen, Side(line.account.normal)) for line in original.lines]
    entry = Entry(key=key, kind="reversal", lines=lines, memo=memo, actor=actor, at=at)
    [(reversal_id, made)] = _write(session, book, [(entry, posting_id)])
    reversal = session.get(LedgerPosting, reversal_id)
    assert reversal is not None
    return reversal, made


def reverse(
    session: Session,
    book: str,
    posting_id: int,
    *,
    key: str,
    memo: str = "",
    actor: str,
    at: datetime | None = None,
) -> LedgerPosting:
    """Post the negation of a posting, once: under the same guard, so money already moved on from an account
    cannot be taken back out of it. The same key again returns the reversal; another key is a conflict."""
    return reverse_or_replay(session, book, posting_id, key=key, memo=memo, actor=actor, at=at)[0]


# --- reading ------------------------------------------------------------------------------------------


def balances(session: Session, book: str) -> dict[str, int]:
    """Every opened account's balance on its normal side (what a bank holds, what is owed): never negative."""
    rows = session.execute(
        select(LedgerAccount.code, LedgerAccount.normal, LedgerAccount.balance_fen)
        .join(LedgerBook, LedgerBook.id == LedgerAccount.book_id)
        .where(LedgerBook.key == book)
    )
    return {code: balance if normal == Side.DEBIT else -balance for code, normal, balance in rows}


def balance(session: Session, book: str, account: str) -> int:
    """One account's balance on its normal side; 0 for an account never opened."""
    row = session.execute(
        select(LedgerAccount.normal, LedgerAccount.balance_fen)
        .join(LedgerBook, LedgerBook.id == LedgerAccount.book_id)
        .where(LedgerBook.key == book, LedgerAccount.code == account)
    ).one_or_none()
    if row is None:
        return 0
    normal, signed = row
    return int(signed if normal == Side.DEBIT else -signed)


@dataclass(frozen=True, slots=True)
class StatementLine:
    account: str
    amount_fen: int  # a debit positive, a credit negative


@dataclass(frozen=True, slots=True)
class StatementEntry:
    id: int
    key: str
    kind: str
    memo: str
    at: datetime
    actor: str
    reverses_id: int | None
    reversed_by: int | None
    lines: tuple[StatementLine, ...]
    line_count: int = 0  # all its lines, of which ``lines`` may show only the first


def statement(
    session: Session,
    book: str,
    *,
    after_id: int = 0,
    limit: int | None = None,
    lines_each: int | None = None,
) -> list[StatementEntry]:
    """The book's postings in the order they were made, each with its lines (a page of them: ``after_id``
    the last posting of the page before); with ``lines_each``, only each posting's first lines, since a
    mass case's distribution has a line per payee."""
    query = (
        select(LedgerPosting)
        .join(LedgerBook, LedgerBook.id == LedgerPosting.book_id)
        .where(LedgerBook.key == book, LedgerPosting.id > after_id)
        .order_by(LedgerPosting.id)
    )
    postings = list(session.scalars(query.limit(limit) if limit is not None else query))
    ids = [p.id for p in postings]
    lines: dict[int, list[StatementLine]] = {pid: [] for pid in ids}
    reversed_by: dict[int, int] = {}
    counts: dict[int, int] = {}
    for chunk in _chunks(ids):
        if lines_each is not None:
            shown = (
                select(
                    LedgerLine.id,
                    LedgerLine.posting_id,
                    LedgerLine.account_id,
                    LedgerLine.amount_fen,
                    func.row_number()
                    .over(partition_by=LedgerLine.posting_id, order_by=LedgerLine.id)
                    .label("n"),
                )
                .where(LedgerLine.posting_id.in_(chunk))
                .subquery()
            )
            of_chunk = (
                select(shown.c.posting_id, LedgerAccount.code, shown.c.amount_fen)
                .join(LedgerAccount, LedgerAccount.id == shown.c.account_id)
                .where(shown.c.n <= lines_each)
                .order_by(shown.c.id)
            )
            counts.update(
                session.execute(
                    select(LedgerLine.posting_id, func.count(LedgerLine.id))
                    .where(LedgerLine.posting_id.in_(chunk))
                    .group_by(LedgerLine.posting_id)
                ).all()
            )
        else:
            of_chunk = (
                select(LedgerLine.posting_id, LedgerAccount.code, LedgerLine.amount_fen)
                .join(LedgerAccount, LedgerAccount.id == LedgerLine.account_id)
                .where(LedgerLine.posting_id.in_(chunk))
                .order_by(LedgerLine.id)
            )
        for pid, code, amount in session.execute(of_chunk):
            lines[pid].append(StatementLine(code, amount))
        for reversed_id, pid in session.execute(
            select(LedgerPosting.reverses_id, LedgerPosting.id).where(LedgerPosting.reverses_id.in_(chunk))
        ):
            if reversed_id is not None:
                reversed_by[reversed_id] = pid
    return [
        StatementEntry(
            id=p.id,
            key=p.key,
            kind=p.kind,
            memo=p.memo,
            at=p.at,
            actor=p.actor,
            reverses_id=p.reverses_id,
            reversed_by=reversed_by.get(p.id),
            lines=tuple(lines[p.id]),
            line_count=counts.get(p.id, len(lines[p.id])),
        )
        for p in postings
    ]


def check(session: Session, book: str) -> list[str]:
    """What is wrong with the book, recomputed from its lines: a posting that does not sum to zero or has a
    line of nothing, a cached balance that is not its lines' sum, accounts that do not sum to zero, one on
    its wrong side. Empty when the book is sound."""
    found = find_book(session, book)
    if found is None:
        return []
    problems: list[str] = []
    postings = select(LedgerPosting.id).where(LedgerPosting.book_id == found.id).scalar_subquery()
    for pid, total, count, zeros in session.execute(
        select(
            LedgerPosting.id,
            func.coalesce(func.sum(LedgerLine.amount_fen), 0),
            func.count(LedgerLine.id),
            func.count(LedgerLine.id).filter(LedgerLine.amount_fen == 0),
        )
        .outerjoin(LedgerLine, LedgerLine.posting_id == LedgerPosting.id)
        .where(LedgerPosting.book_id == found.id)
        .group_by(LedgerPosting.id)
        .having(
            (func.coalesce(func.sum(LedgerLine.amount_fen), 0) != 0)
            | (func.count(LedgerLine.id) < 2)
            | (func.count(LedgerLine.id).filter(LedgerLine.amount_fen == 0) > 0)
        )
    ):
        problems.append(f"posting {pid}: {count} lines summing to {total} fen, {zeros} of them zero")
    sums = (
        select(LedgerLine.account_id, func.sum(LedgerLine.amount_fen).label("total"))
        .where(LedgerLine.posting_id.in_(postings))
        .group_by(LedgerLine.account_id)
        .subquery()
    )
    total = 0
    for code, normal, cached, summed in session.execute(
        select(LedgerAccount.code, LedgerAccount.normal, LedgerAccount.balance_fen, sums.c.total)
        .outerjoin(sums, sums.c.account_id == LedgerAccount.id)
        .where(LedgerAccount.book_id == found.id)
    ):
        summed = int(summed or 0)
        total += summed
        if cached != summed:
            problems.append(f"account {code}: cached balance {cached} fen, its lines sum to {summed}")
        if _wrong_side(normal, summed):
            problems.append(f"account {code}: {summed} fen stands on the wrong side of a {normal} account")
    if total != 0:
        problems.append(f"the accounts sum to {total} fen, not zero")
    foreign = session.scalar(
        select(func.count(LedgerLine.id))
        .join(LedgerAccount, LedgerAccount.id == LedgerLine.account_id)
        .where(LedgerLine.posting_id.in_(postings), LedgerAccount.book_id != found.id)
    )
    if foreign:
        problems.append(f"{foreign} lines of this book's postings name another book's accounts")
    return problems


def kinds_total(session: Session, book: str, account: str, *, kinds: Iterable[str] | None = None) -> int:
    """The sum of an account's lines (debits positive), of postings of the given kinds if named."""
    query = (
        select(func.coalesce(func.sum(LedgerLine.amount_fen), 0))
        .join(LedgerAccount, LedgerAccount.id == LedgerLine.account_id)
        .join(LedgerBook, LedgerBook.id == LedgerAccount.book_id)
        .where(LedgerBook.key == book, LedgerAccount.code == account)
    )
    if kinds is not None:
        query = query.join(LedgerPosting, LedgerPosting.id == LedgerLine.posting_id).where(
            LedgerPosting.kind.in_(list(kinds))
        )
    return int(session.scalar(query) or 0)
