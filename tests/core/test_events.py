"""Domain events: one timeline entry per event, handlers by kind in order, all in the verb's transaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.wiring import event_handlers
from car_enforce.core import events
from car_enforce.core.db import Database
from car_enforce.core.events import DomainEvent, Handlers, HandlersNotInstalled, Recorded
from car_enforce.core.identity.principal import Principal
from car_enforce.core.timeline.models import TimelineEvent

ACTOR = Principal.system("test")


@pytest.fixture
def heard() -> Iterator[list[str]]:
    """Installs handlers that write down what they hear; the platform's come back afterwards."""
    log: list[str] = []
    handlers = Handlers()
    handlers.on("*", lambda s, r: log.append(f"all:{r.event.kind}:{r.entry.seq}"))
    handlers.on("custody.*", lambda s, r: log.append(f"custody:{r.event.kind}"))
    handlers.on("custody.released", lambda s, r: log.append(f"released:{r.event.context['why']}"))
    previous = events.install(handlers)
    yield log
    assert previous is not None
    events.install(previous)


def _released(case_id: int | None = None) -> DomainEvent:
    return DomainEvent(
        kind="custody.released",
        subject="custody:1",
        case_id=case_id,
        data={"custody_id": 1},
        context={"why": "sold"},
    )


def _entries(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(TimelineEvent)) or 0


def test_an_event_is_written_once_and_reaches_its_handlers_in_order(db: Database, heard: list[str]) -> None:
    with db.unit_of_work() as session:
        entry = events.record(session, ACTOR, _released())
        events.record(session, ACTOR, DomainEvent(kind="watch.issued", subject="watch:1", case_id=None))
        assert entry.kind == "custody.released" and entry.data == {"custody_id": 1}
        assert _entries(session) == 2
    assert heard == [
        "all:custody.released:1",
        "custody:custody.released",
        "released:sold",
        "all:watch.issued:2",
    ]


def test_the_context_is_never_stored(db: Database, heard: list[str]) -> None:
    with db.unit_of_work() as session:
        entry = events.record(session, ACTOR, _released())
        assert "why" not in entry.data and "sold" not in str(entry.data)


def test_a_failing_handler_rolls_the_verb_back_with_it(db: Database) -> None:
    def broken(session: Session, recorded: Recorded) -> None:
        raise RuntimeError("gateway table locked")

    handlers = Handlers()
    handlers.on("custody.released", broken)
    previous = events.install(handlers)
    try:
        with pytest.raises(RuntimeError, match="gateway table locked"), db.unit_of_work() as session:
            events.record(session, ACTOR, _released())
    finally:
        events.install(previous or event_handlers())
    with db.unit_of_work() as session:
        assert _entries(session) == 0


def test_recording_without_handlers_is_refused_rather_than_silent(db: Database) -> None:
    previous = events.install(None)
    try:
        with pytest.raises(HandlersNotInstalled, match=r"custody\.released"), db.unit_of_work() as session:
            events.record(session, ACTOR, _released())
    finally:
        events.install(previous or event_handlers())


def test_the_platform_registers_each_reaction_it_relies_on() -> None:
    handlers = event_handlers()
    # webhooks, texts, the watch that held the car, a reference price being fixed for it, a lot selling it,
    # the sale's handover, the car's costs on the case's account
    assert len(handlers.of("custody.released")) == 7
    # webhooks, texts, the settlement opened, a resale applying a forfeited deposit
    assert len(handlers.of("auction.closed")) == 4
    # webhooks, texts, the ruling's stage clock, the price on the case's account, the settlement's next step
    assert len(handlers.of("auction.balance_paid")) == 5
    # webhooks, texts, the sale withdrawn, the watches lifted, the cars ordered back, the payment received,
    # the registry's seizures released
    assert len(handlers.of("case.debtor_paid")) == 7
    # webhooks, texts, the listing stage clock, the publication on an outside platform
    assert len(handlers.of("auction.announced")) == 4
    assert len(handlers.of("custody.taken_in")) == 3  # webhooks, texts, the intake stage clock
    assert len(handlers.of("inspection.recorded")) == 3  # webhooks, texts, the inspection stage clock
    assert len(handlers.of("watch.issued")) == 2
    # webhooks, texts, the reference-price stage clock, the notice served on the parties
    assert len(handlers.of("reference_price.fixed")) == 4
    assert len(handlers.of("reference_price.repriced")) == 3  # webhooks, texts, the notice served again
    assert len(handlers.of("reference_price.fee_awarded")) == 3  # webhooks, texts, the fee on the case
