"""The unit of work's callbacks after the commit, and errors that leave a statement's values out."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from car_enforce.core.db import Database, on_commit
from car_enforce.core.timeline.models import TimelineHead


def test_a_callback_runs_after_the_commit_and_never_after_a_rollback(db: Database) -> None:
    ran: list[str] = []
    with db.unit_of_work() as session:
        on_commit(session, lambda: ran.append("committed"))
        assert ran == []  # not before the commit
    assert ran == ["committed"]

    with pytest.raises(RuntimeError), db.unit_of_work() as session:
        on_commit(session, lambda: ran.append("rolled back"))
        raise RuntimeError("the verb failed")
    assert ran == ["committed"]


def test_a_callback_inside_a_savepoint_goes_with_it(db: Database) -> None:
    ran: list[str] = []
    with db.unit_of_work() as session:
        on_commit(session, lambda: ran.append("outer"))
        with session.begin_nested():
            on_commit(session, lambda: ran.append("released"))
            with session.begin_nested():
                on_commit(session, lambda: ran.append("released, deeper"))
        assert ran == []  # a savepoint released is not the transaction committed
        with pytest.raises(ValueError), session.begin_nested():
            on_commit(session, lambda: ran.append("rolled back"))
            raise ValueError("this part only")
    assert ran == ["outer", "released", "released, deeper"]

    with pytest.raises(RuntimeError), db.unit_of_work() as session:
        with session.begin_nested():
            on_commit(session, lambda: ran.append("released, then all rolled back"))
        raise RuntimeError("the whole verb failed")
    assert ran == ["outer", "released", "released, deeper"]


def test_a_failing_callback_leaves_the_commit_and_the_others_alone(db: Database) -> None:
    ran: list[str] = []
    with db.unit_of_work() as session:
        session.add(TimelineHead(chain="kept", seq=0, hash="0" * 64))
        on_commit(session, lambda: 1 / 0)  # type: ignore[func-returns-value]
        on_commit(session, lambda: ran.append("second"))
    assert ran == ["second"]
    with db.unit_of_work(read_only=True) as session:
        assert session.get(TimelineHead, "kept") is not None


def test_a_failed_statements_error_leaves_its_parameters_out(db: Database) -> None:
    with db.unit_of_work() as session:
        session.add(TimelineHead(chain="dup", seq=0, hash="0" * 64))
    with pytest.raises(IntegrityError) as failed, db.unit_of_work() as session:
        session.add(TimelineHead(chain="dup", seq=1, hash="f" * 64))
        session.flush()
    # Such an error is logged where it lands (a sweep's item, a 500): the statement, not what it carried,
    # which is a debtor's name as often as not.
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(failed.value)
    assert "f" * 64 not in str(failed.value)
