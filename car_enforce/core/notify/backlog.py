"""What the outbox has not delivered: how many messages wait or were given up, and how long the oldest
waiting one has waited. Read by ``/metrics`` at each scrape, so every process reports the same backlog."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from car_enforce.core.clock import as_utc
from car_enforce.core.notify.models import Channel, DeliveryStatus, Notification

# Delivered messages are left out: they only grow, and counting them would read the whole table.
UNDELIVERED = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


@dataclass(frozen=True, slots=True)
class Backlog:
    # (channel, status) -> messages: pending ones wait for a (next) try, failed ones were given up.
    counts: dict[tuple[Channel, DeliveryStatus], int] = field(default_factory=dict)
    # channel -> seconds since the oldest pending message was queued (0 when none waits).
    oldest_pending_s: dict[Channel, float] = field(default_factory=dict)


def backlog(session: Session, now: datetime) -> Backlog:
    """Undelivered messages by channel and status, and the age of each channel's oldest pending one."""
    rows = session.execute(
        select(Notification.channel, Notification.status, func.count(), func.min(Notification.created_at))
        .where(Notification.status.in_(UNDELIVERED))
        .group_by(Notification.channel, Notification.status)
    ).all()
    counts = {(channel, status): 0 for channel in Channel for status in UNDELIVERED}
    oldest = dict.fromkeys(Channel, 0.0)
    for channel, status, count, first in rows:
        key = (Channel(channel), DeliveryStatus(status))
        counts[key] = int(count)
        if key[1] == DeliveryStatus.PENDING and first is not None:
            oldest[key[0]] = max(0.0, (now - as_utc(first)).total_seconds())
    return Backlog(counts, oldest)
