"""The ledger: balanced postings only, a key is a retry or a conflict, no account on its wrong side, a
reversal once, postings never changed; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from car_enforce.core import ledger
from car_enforce.core.db import Database
from car_enforce.core.errors import Conflict, InvalidInput, NotFound
from car_enforce.core.ledger import (
    Entry,
    ImmutablePosting,
    LedgerAccount,
    LedgerLine,
    LedgerPosting,
    Line,
    NotBalanced,
    Overdrawn,
    Side,
)

BOOK = "case:1"
D, C = Side.DEBIT, Side.CREDIT


def receipt(amount: int) -> list[Line]:
    return [Line("bank", amount, D), Line("received:sale", -amount, C)]


def payment(amount: int, to: str = "paid") -> list[Line]:
    return [Line("bank", -amount, D), Line(to, amount, D)]


def counts(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count(LedgerPosting.id))) or 0,
        session.scalar(select(func.count(LedgerLine.id))) or 0,
        session.scalar(select(func.count(LedgerAccount.id))) or 0,
    )


def test_a_balanced_posting_moves_the_balances(db: Database) -> None:
    with db.unit_of_work() as s:
        posting = ledger.post(s, BOOK, receipt(10_000), key="r1", kind="receipt", memo="拍卖款", actor="test")
        ledger.post(s, BOOK, payment(3_000), key="p1", kind="payout", actor="test")
    with db.unit_of_work(read_only=True) as s:
        assert ledger.balances(s, BOOK) == {"bank": 7_000, "received:sale": 10_000, "paid": 3_000}
        assert ledger.balance(s, BOOK, "received:sale") == 10_000
        assert ledger.balance(s, BOOK, "never") == 0
        assert ledger.check(s, BOOK) == []
        [first, second] = ledger.statement(s, BOOK)
        assert (first.id, first.kind, first.memo) == (posting.id, "receipt", "拍卖款")
        assert {(x.account, x.amount_fen) for x in first.lines} == {
            ("bank", 10_000),
            ("received:sale", -10_000),
        }
        assert second.key == "p1"
        assert [e.key for e in ledger.statement(s, BOOK, after_id=first.id)] == ["p1"]


@pytest.mark.parametrize(
    "lines",
    [
        [Line("bank", 100, D), Line("received:sale", -99, C)],  # does not sum to zero
        [Line("bank", 0, D), Line("received:sale", 0, C)],  # a line of nothing
        [],
        [Line("bank", 100, D), Line("bank", -100, C)],  # one account, two normal sides
    ],
)
def test_a_malformed_posting_is_refused_and_nothing_stored(db: Database, lines: list[Line]) -> None:
    with pytest.raises(InvalidInput), db.unit_of_work() as s:
        ledger.post(s, BOOK, lines, key="bad", kind="receipt", actor="test")
    with db.unit_of_work(read_only=True) as s:
        assert counts(s) == (0, 0, 0)


def test_unbalanced_lines_are_refused_as_such(db: Database) -> None:
    with pytest.raises(NotBalanced, match="differ by 1 fen"), db.unit_of_work() as s:
        ledger.post(s, BOOK, [Line("bank", 100, D), Line("x", -99, C)], key="k", kind="k", actor="test")


def test_the_same_key_with_the_same_lines_is_a_retry(db: Database) -> None:
    with db.unit_of_work() as s:
        first, made = ledger.post_or_replay(s, BOOK, receipt(500), key="r1", kind="receipt", actor="test")
        assert made
    with db.unit_of_work() as s:
        # The lines in another order are the same lines.
        again, made = ledger.post_or_replay(
            s, BOOK, list(reversed(receipt(500))), key="r1", kind="receipt", actor="test"
        )
        assert (again.id, made) == (first.id, False)
    with db.unit_of_work(read_only=True) as s:
        assert ledger.balances(s, BOOK)["bank"] == 500
        assert counts(s) == (1, 2, 2)


def test_the_same_key_with_other_lines_is_a_conflict(db: Database) -> None:
    with db.unit_of_work() as s:
        ledger.post(s, BOOK, receipt(500), key="r1", kind="receipt", actor="test")
    with pytest.raises(Conflict, match="names another posting"), db.unit_of_work() as s:
        ledger.post(s, BOOK, receipt(600), key="r1", kind="receipt", actor="test")
    with db.unit_of_work() as s:  # the same key in another book is another posting
        ledger.post(s, "case:2", receipt(600), key="r1", kind="receipt", actor="test")
        assert ledger.balances(s, BOOK)["bank"] == 500


def test_an_overdraft_is_refused_and_nothing_is_stored(db: Database) -> None:
    with db.unit_of_work() as s:
        ledger.post(s, BOOK, receipt(1_000), key="r1", kind="receipt", actor="test")
    with db.unit_of_work() as s:
        before = counts(s)
    with db.unit_of_work() as s, pytest.raises(Overdrawn) as refused:
        ledger.post(s, BOOK, payment(1_001, to="new-account"), key="p1", kind="payout", actor="test")
    assert refused.value.status_code == 409
    assert refused.value.facts() == {"account": "bank", "short_fen": 1}
    assert refused.value.zh and "余额不足" in refused.value.zh
    with db.unit_of_work(read_only=True) as s:
        assert counts(s) == before  # no posting, no line, and the new account was not opened
        assert ledger.balances(s, BOOK) == {"bank": 1_000, "received:sale": 1_000}


def test_a_liability_cannot_be_overdrawn_either(db: Database) -> None:
    with db.unit_of_work() as s:
        ledger.post(s, BOOK, receipt(1_000), key="r1", kind="receipt", actor="test")
    with pytest.raises(Overdrawn, match="received:sale"), db.unit_of_work() as s:
        # More distributed out of what was received than was received.
        ledger.post(
            s,
            BOOK,
            [Line("received:sale", 1_500, C), Line("payable:1", -1_500, C)],
            key="d1",
            kind="distribution",
            actor="test",
        )


def test_an_account_keeps_its_side(db: Database) -> None:
    with db.unit_of_work() as s:
        ledger.post(s, BOOK, receipt(1_000), key="r1", kind="receipt", actor="test")
    with pytest.raises(InvalidInput, match="stands on the debit side"), db.unit_of_work() as s:
        ledger.post(s, BOOK, [Line("bank", -5, C), Line("x", 5, D)], key="k", kind="k", actor="test")


def test_a_reversal_is_posted_once(db: Database) -> None:
    with db.unit_of_work() as s:
        original = ledger.post(s, BOOK, receipt(800), key="r1", kind="receipt", actor="test")
    with db.unit_of_work() as s:
        reversal = ledger.reverse(s, BOOK, original.id, key="undo-r1", memo="错账", actor="test")
        assert reversal.reverses_id == original.id
    with db.unit_of_work() as s:  # a retry gets the same reversal
        assert ledger.reverse(s, BOOK, original.id, key="undo-r1", actor="test").id == reversal.id
    with pytest.raises(Conflict, match="reversed already"), db.unit_of_work() as s:
        ledger.reverse(s, BOOK, original.id, key="undo-again", actor="test")
    with pytest.raises(Conflict, match="itself a reversal"), db.unit_of_work() as s:
        ledger.reverse(s, BOOK, reversal.id, key="undo-undo", actor="test")
    with pytest.raises(NotFound), db.unit_of_work() as s:
        ledger.reverse(s, "case:2", original.id, key="elsewhere", actor="test")
    with db.unit_of_work(read_only=True) as s:
        assert ledger.balances(s, BOOK) == {"bank": 0, "received:sale": 0}
        assert ledger.check(s, BOOK) == []
        entries = ledger.statement(s, BOOK)
        assert [(e.reverses_id, e.reversed_by) for e in entries] == [(None, reversal.id), (original.id, None)]


def test_money_paid_on_cannot_be_reversed(db: Database) -> None:
    with db.unit_of_work() as s:
        original = ledger.post(s, BOOK, receipt(800), key="r1", kind="receipt", actor="test")
        ledger.post(s, BOOK, payment(500), key="p1", kind="payout", actor="test")
    with pytest.raises(Overdrawn, match="bank"), db.unit_of_work() as s:
        ledger.reverse(s, BOOK, original.id, key="undo-r1", actor="test")
    with db.unit_of_work(read_only=True) as s:
        assert counts(s)[0] == 2


def test_postings_and_lines_are_never_changed(db: Database) -> None:
    with db.unit_of_work() as s:
        posting_id = ledger.post(s, BOOK, receipt(800), key="r1", kind="receipt", actor="test").id
    with pytest.raises(ImmutablePosting), db.unit_of_work() as s:
        posting = s.get(LedgerPosting, posting_id)
        assert posting is not None
        posting.memo = "改过了"
        s.flush()
    with pytest.raises(ImmutablePosting), db.unit_of_work() as s:
        s.delete(s.scalars(select(LedgerLine)).first())
        s.flush()
    with pytest.raises(ImmutablePosting), db.unit_of_work() as s:
        s.execute(update(LedgerLine).values(amount_fen=1))
    with pytest.raises(ImmutablePosting), db.unit_of_work() as s:
        s.execute(delete(LedgerPosting))
    with db.unit_of_work(read_only=True) as s:
        assert counts(s) == (1, 2, 2)
        assert ledger.statement(s, BOOK)[0].memo == ""


def test_check_finds_a_tampered_book(db: Database) -> None:
    with db.unit_of_work() as s:
        ledger.post(s, BOOK, receipt(800), key="r1", kind="receipt", actor="test")
    with db.engine.begin() as conn:  # behind the ORM's back, as a careless script would
        conn.execute(text("UPDATE ledger_account SET balance_fen = 900 WHERE code = 'bank'"))
        conn.execute(text("UPDATE ledger_line SET amount_fen = -700 WHERE amount_fen = -800"))
    with db.unit_of_work(read_only=True) as s:
        problems = ledger.check(s, BOOK)
    assert any("posting 1: 2 lines summing to 100 fen" in p for p in problems)
    assert any("account bank: cached balance 900 fen, its lines sum to 800" in p for p in problems)
    assert any("account received:sale: cached balance -800 fen, its lines sum to -700" in p for p in problems)
    assert any("the accounts sum to 100 fen" in p for p in problems)


def test_post_many_posts_all_under_one_lock(db: Database) -> None:
    entries = [
        Entry(f"alloc:{i}", "distribution", [Line("pool", i, D), Line(f"payable:{i}", -i, C)])
        for i in range(1, 301)
    ]
    with db.unit_of_work() as s:
        ledger.post(
            s, BOOK, [Line("pool", 100_000, D), Line("src", -100_000, C)], key="seed", kind="k", actor="t"
        )
        ids = ledger.post_many(s, BOOK, entries)
    assert len(set(ids)) == 300
    with db.unit_of_work() as s:  # the whole batch again: every posting a retry
        assert ledger.post_many(s, BOOK, entries) == ids
        balances = ledger.balances(s, BOOK)
        assert balances["payable:300"] == 300
        assert balances["pool"] == 100_000 + sum(range(1, 301))
        assert ledger.check(s, BOOK) == []


def test_post_many_with_one_refusal_stores_none(db: Database) -> None:
    entries = [
        Entry("a", "k", [Line("bank", 100, D), Line("src", -100, C)]),
        Entry("b", "k", [Line("bank", -150, D), Line("out", 150, D)]),  # more than the bank holds
        Entry("c", "k", [Line("bank", 100, D), Line("src", -100, C)]),  # later: it does not rescue b
    ]
    with pytest.raises(Overdrawn, match="'b'"), db.unit_of_work() as s:
        ledger.post_many(s, BOOK, entries)
    with db.unit_of_work(read_only=True) as s:
        assert counts(s) == (0, 0, 0)


def test_post_many_takes_a_key_given_twice_as_a_retry(db: Database) -> None:
    same = Entry("a", "k", [Line("bank", 100, D), Line("src", -100, C)])
    with db.unit_of_work() as s:
        first, again = ledger.post_many(s, BOOK, [same, same])
        assert first == again
        assert ledger.balance(s, BOOK, "bank") == 100
    other = Entry("b", "k", [Line("bank", 100, D), Line("src", -100, C)])
    clash = Entry("b", "k", [Line("bank", 200, D), Line("src", -200, C)])
    with pytest.raises(Conflict), db.unit_of_work() as s:
        ledger.post_many(s, BOOK, [other, clash])


def test_concurrent_payments_never_overdraw(db: Database) -> None:
    """Ten payments of 30 race for 100: the book's lock lets exactly three through."""
    with db.unit_of_work() as s:
        ledger.post(s, BOOK, receipt(100), key="r1", kind="receipt", actor="test")
    barrier = threading.Barrier(10)
    outcomes: list[Any] = [None] * 10

    def pay(i: int) -> None:
        barrier.wait()
        try:
            with db.unit_of_work() as s:
                ledger.post(s, BOOK, payment(30, to=f"paid:{i}"), key=f"p{i}", kind="payout", actor="test")
            outcomes[i] = "paid"
        except Overdrawn:
            outcomes[i] = "refused"

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["paid"] * 3 + ["refused"] * 7
    with db.unit_of_work(read_only=True) as s:
        assert ledger.balance(s, BOOK, "bank") == 10
        assert ledger.check(s, BOOK) == []
