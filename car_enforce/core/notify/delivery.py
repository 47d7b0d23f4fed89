"""Deliver due notifications: claim under a lease, send outside any transaction, record the outcome.

Why three steps. A send can take seconds; holding a database transaction (and on SQLite the write lock)
open across it would stall every other writer. So a short transaction claims rows by setting a lease,
the sends happen with no transaction open, and one short transaction per row records what happened.
Two workers never send the same row: claims are serialised (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
the write lock taken at ``BEGIN IMMEDIATE`` on SQLite) and a leased row is invisible to other claims.
A worker that dies mid-batch leaves its leases to run out; the rows are then claimed again and resent
with the same idempotency key, which the receiver drops if it had already accepted the first send.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from car_enforce.core import clock as clock_mod
from car_enforce.core.clock import Clock
from car_enforce.core.db import Database
from car_enforce.core.notify import transitions
from car_enforce.core.notify.channels import Outgoing, Transports, longest_send_s
from car_enforce.core.notify.models import Channel, DeliveryStatus, Notification, WebhookSubscription
from car_enforce.core.outbound import OutboundError, RetryPolicy, new_http_pool
from car_enforce.core.settings import Settings, get_settings

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_BACKOFF = timedelta(hours=1)
# Spread retries of a burst that failed together, so they do not hit a recovering receiver at once.
JITTER = 0.1
_random = random.Random()


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.failed


def backoff(attempts: int, settings: Settings, *, rng: random.Random | None = None) -> timedelta:
    """Delay before the next try after ``attempts`` failed ones: doubling, jittered, at most one hour."""
    policy = RetryPolicy(
        base_delay_s=settings.notification_backoff_s,
        max_delay_s=MAX_BACKOFF.total_seconds(),
        jitter=JITTER,
    )
    return timedelta(seconds=policy.delay(attempts, rng=rng or _random))


def _next_delay(attempts: int, error: OutboundError, settings: Settings) -> timedelta:
    delay = backoff(attempts, settings)
    if error.retry_after_s is not None:
        # The receiver said when it can take more (429, 503): no sooner, and still at most the cap.
        delay = max(delay, min(timedelta(seconds=error.retry_after_s), MAX_BACKOFF))
    return delay


def _claim(
    database: Database, *, now: datetime, lease_until: datetime, limit: int, report: DeliveryReport
) -> list[Outgoing]:
    with database.unit_of_work() as session:
        query = (
            select(Notification)
            .where(
                Notification.status == DeliveryStatus.PENDING,
                Notification.next_attempt_at <= now,
                or_(Notification.lease_until.is_(None), Notification.lease_until < now),
            )
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(limit)
        )
        if not database.sqlite:
            # Another worker's claimed rows are skipped, not waited for: both proceed on disjoint batches.
            query = query.with_for_update(skip_locked=True)
        rows = list(session.scalars(query))
        secret_of = _subscription_secrets(session, rows)
        claimed: list[Outgoing] = []
        for row in rows:
            secret = ""
            if row.channel == Channel.WEBHOOK:
                found = secret_of.get(row.subscription_id or 0)
                if found is None:
                    # Unsubscribed since it was queued: the organisation asked not to be called any more.
                    transitions.MACHINE.move(row, "give_up")
                    row.last_error = "subscription inactive"
                    report.failed += 1
                    continue
                secret = found
            row.lease_until = lease_until
            claimed.append(
                Outgoing(
                    notification_id=row.id,
                    channel=Channel(row.channel),
                    recipient=row.recipient,
                    body=row.body,
                    event_kind=str((row.payload or {}).get("event_kind", "")),
                    secret=secret,
                )
            )
        return claimed


def _subscription_secrets(session: Session, rows: list[Notification]) -> dict[int, str]:
    ids = {row.subscription_id for row in rows if row.channel == Channel.WEBHOOK and row.subscription_id}
    if not ids:
        return {}
    found = session.execute(
        select(WebhookSubscription.id, WebhookSubscription.secret).where(
            WebhookSubscription.id.in_(ids), WebhookSubscription.active.is_(True)
        )
    )
    return {sub_id: secret for sub_id, secret in found}


def _send(transports: Transports, message: Outgoing) -> tuple[str | None, OutboundError | None]:
    try:
        return transports.for_channel(message.channel).send(message), None
    except OutboundError as exc:
        return None, exc
    except Exception as exc:  # a bug in one transport must not stop the batch or leave the row leased
        log.exception("notification %s: unexpected error while sending", message.notification_id)
        return None, OutboundError(f"internal error ({type(exc).__name__})")


def _record(
    database: Database,
    message: Outgoing,
    *,
    lease_until: datetime,
    provider_id: str | None,
    error: OutboundError | None,
    clk: Clock,
    settings: Settings,
    report: DeliveryReport,
) -> None:
    with database.unit_of_work() as session:
        row = session.execute(
            select(Notification).where(Notification.id == message.notification_id).with_for_update()
        ).scalar_one_or_none()
        if row is None or row.status != DeliveryStatus.PENDING or row.lease_until != lease_until:
            # Our lease ran out and another worker took the row over; its outcome is the one that counts.
            log.warning(
                "notification %s: lease lost before the outcome was recorded", message.notification_id
            )
            return
        now = clk.now()
        row.attempts += 1
        row.lease_until = None
        if error is None:
            transitions.MACHINE.move(row, "deliver")
            row.sent_at, row.last_error = now, ""
            row.provider_message_id = provider_id or ""
            report.sent += 1
            log.info("notification %s sent (%s) after %d attempt(s)", row.id, row.channel, row.attempts)
            return
        row.last_error = error.reason[:500]
        if error.permanent or row.attempts >= settings.notification_max_attempts:
            transitions.MACHINE.move(row, "give_up")
            report.failed += 1
            log.warning(
                "notification %s failed for good after %d attempt(s): %s",
                row.id,
                row.attempts,
                row.last_error,
            )
            return
        row.next_attempt_at = now + _next_delay(row.attempts, error, settings)
        report.retried += 1
        log.info("notification %s will be retried (attempt %d): %s", row.id, row.attempts, row.last_error)


def deliver_due(
    database: Database,
    *,
    limit: int = 100,
    clock: Clock | None = None,
    client: httpx.Client | None = None,
    settings: Settings | None = None,
) -> DeliveryReport:
    """Send up to ``limit`` due notifications once each; the scheduler calls this every few seconds."""
    settings = settings or get_settings()
    clk = clock or clock_mod.get_clock()
    report = DeliveryReport()
    # A send may take up to its timeouts; starting one that could outlast the lease risks a second worker
    # claiming the row meanwhile, so sends stop this margin before the lease ends (and long timeouts
    # lengthen the lease so that a batch can make progress at all).
    margin = timedelta(seconds=longest_send_s(settings) + 1)
    now = clk.now()
    lease_until = now + max(LEASE, 3 * margin)
    claimed = _claim(database, now=now, lease_until=lease_until, limit=limit, report=report)
    if not claimed:
        return report
    own_client = client is None
    http = client if client is not None else new_http_pool()
    try:
        transports = Transports(http, settings, clock=clk)
        for message in claimed:
            if clk.now() + margin >= lease_until:
                # The rest is left for the lease to release and the next run to claim.
                log.warning(
                    "lease nearly over; %d notification(s) left for the next run",
                    len(claimed) - claimed.index(message),
                )
                break
            provider_id, error = _send(transports, message)
            _record(
                database,
                message,
                lease_until=lease_until,
                provider_id=provider_id,
                error=error,
                clk=clk,
                settings=settings,
                report=report,
            )
    finally:
        if own_client:
            http.close()
    return report
