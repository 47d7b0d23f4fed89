"""The handler that fans an event out to the webhook subscriptions of the organisations party to it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from car_enforce.core.events import Recorded
from car_enforce.core.notify.service import enqueue_webhooks


def tell_parties(session: Session, recorded: Recorded) -> None:
    if recorded.event.parties:
        enqueue_webhooks(session, event=recorded.entry, organisation_ids=recorded.event.parties)
