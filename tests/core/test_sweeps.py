"""Sweeps work one item per transaction: one bad item is logged and left, the others are done."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from car_enforce.core import sweeps
from car_enforce.core.db import Database
from car_enforce.core.timeline.models import TimelineHead


def test_one_bad_item_rolls_back_only_itself(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    def act(session: Session, n: int) -> int:
        session.add(TimelineHead(chain=f"sweep:{n}", seq=0, hash="0" * 64))
        session.flush()
        if n == 2:
            raise ValueError("a malformed row")
        return n

    with caplog.at_level(logging.ERROR, logger="car_enforce.core.sweeps"):
        done = sweeps.each(db, "test", [1, 2, 3], act)
    assert done == [1, 3]
    assert "sweep test: item 2 failed" in caplog.text
    with db.unit_of_work() as session:
        chains = set(session.scalars(select(TimelineHead.chain)))
        assert chains == {"sweep:1", "sweep:3"}
        assert session.scalar(select(func.count()).select_from(TimelineHead)) == 2


def test_an_item_no_longer_due_yields_nothing(db: Database) -> None:
    assert sweeps.each(db, "test", [1, 2], lambda session, n: None) == []
