"""The outside platforms brought to the state of the rounds they run (AUCTION_PLATFORM_PROTOCOL.md §1–3).

The verbs only mark a publication as due (``handlers``); this sweep makes the calls. Each call runs with no
transaction open, in its own thread, and its answer is stored in a transaction of its own, so a platform
that hangs holds up nobody else. Every call carries an ``Idempotency-Key`` fixed by what it asks (the
publication's key, the change's version, the withdrawal), so a retry after a lost answer changes nothing
twice at the platform. A call that fails is tried again later, each time a little later, and given up
after ``MAX_ATTEMPTS`` (or at once when the platform refuses it for good).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.feeds import Scrubber, scrubber_of
from auction.models import AuctionRound, RoundKind, RoundStatus
from auction.platforms.models import AuctionPlatform, AuctionPublication
from auction.platforms.models import PublicationStatus as P
from car_enforce.core import clock
from car_enforce.core.db import Database
from car_enforce.core.outbound.answers import text
from car_enforce.core.outbound.client import (
    MalformedResponse,
    OutboundClient,
    OutboundError,
    RetryPolicy,
    Service,
    json_object,
    new_http_pool,
)
from car_enforce.core.settings import Settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8  # past this a publication is left for the staff (status failed)
FIRST_WAIT = timedelta(seconds=10)  # after the first failed try; doubling after each further one
LONGEST_WAIT = timedelta(minutes=15)
TO_SEND = (P.PENDING, P.UPDATING, P.WITHDRAWING)
REMOTE_ID_CHARS, URL_CHARS = 80, 300  # the platform's id of a lot and its page, as a publication stores them


@dataclass(frozen=True, slots=True)
class Target:
    """Where a platform is and the key we call it with: read in a transaction, used after it."""

    code: str
    base_url: str
    api_key: str

    @classmethod
    def of(cls, platform: AuctionPlatform) -> Target:
        return cls(platform.code, platform.base_url, platform.api_key)


def service_of(target: Target, settings: Settings) -> Service:
    return Service(
        name=f"auction-platform:{target.code}",
        base_url=target.base_url,
        connect_timeout_s=settings.http_connect_timeout_s,
        read_timeout_s=settings.auction_platform_timeout_s,
        retry=RetryPolicy(attempts=settings.auction_platform_attempts, base_delay_s=0.5, max_delay_s=5.0),
        headers={"Authorization": f"Bearer {target.api_key}"},
    )


def callback_url(settings: Settings, code: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/api/auction/platforms/{code}/events"


def wait_after(attempts: int) -> timedelta:
    """How long a publication waits after ``attempts`` failed tries in a row."""
    return min(FIRST_WAIT * 2 ** min(attempts - 1, 20), LONGEST_WAIT)


def _state(rnd: AuctionRound, scrub: Scrubber) -> dict[str, Any]:
    """What may change after the publication: whether bidding is stopped, and when it runs."""
    return {
        "state": "suspended" if rnd.status == RoundStatus.SUSPENDED else "open",
        "reason": scrub(rnd.suspend_reason) if rnd.status == RoundStatus.SUSPENDED else "",
        "starts_at": rnd.starts_at.isoformat(),
        "ends_at": rnd.effective_end_at.isoformat(),
    }


def lot_body(
    rnd: AuctionRound, publication: AuctionPublication, settings: Settings, scrub: Scrubber
) -> dict[str, Any]:
    """The lot's public facts (protocol §1): the announcement as published, through the same scrubber as the
    platform's own pages, so no party's personal data, and the plate masked."""
    lot = rnd.lot
    return {
        "ref": publication.key,
        "title": scrub(lot.title),
        "kind": "sale" if rnd.kind == RoundKind.SALE else "auction",
        "round": rnd.number,
        "disclosures": {k: scrub(v) for k, v in sorted(lot.disclosures.items()) if v.strip()},
        "photos": [],
        "starting_price_fen": rnd.starting_price_fen,
        "deposit_fen": rnd.deposit_fen,
        "increment_fen": rnd.increment_fen,
        "balance_days": rnd.balance_days,
        **_state(rnd, scrub),
        "callback_url": callback_url(settings, publication.platform_code),
    }


@dataclass
class SendReport:
    published: list[int] = field(default_factory=list)  # round ids
    updated: list[int] = field(default_factory=list)
    withdrawn: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # round id → why (no personal data)


@dataclass(frozen=True, slots=True)
class _Call:
    op: str  # publish, update, withdraw
    publication_id: int
    round_id: int
    version: int
    target: Target
    path: str
    key: str
    body: dict[str, Any]


def _call_of(session: Session, pub: AuctionPublication, settings: Settings) -> _Call:
    rnd = session.get(AuctionRound, pub.round_id)
    platform = session.scalar(select(AuctionPlatform).where(AuctionPlatform.code == pub.platform_code))
    assert rnd is not None and platform is not None
    target = Target.of(platform)
    scrub = scrubber_of(session, rnd.lot)
    if pub.remote_id is None:
        # Not published yet, or published without our hearing the answer: the same key gets the same lot.
        body = lot_body(rnd, pub, settings, scrub)
        return _Call("publish", pub.id, rnd.id, pub.version, target, "/lots", pub.key, body)
    if pub.status == P.WITHDRAWING:
        return _Call(
            "withdraw",
            pub.id,
            rnd.id,
            pub.version,
            target,
            f"/lots/{pub.remote_id}/withdraw",
            f"{pub.key}:withdraw",
            {"ref": pub.key, "reason": scrub(pub.withdraw_reason)},
        )
    return _Call(
        "update",
        pub.id,
        rnd.id,
        pub.version,
        target,
        f"/lots/{pub.remote_id}/update",
        f"{pub.key}:v{pub.version}",
        {"ref": pub.key, **_state(rnd, scrub)},
    )


def _calls(session: Session, settings: Settings, now: datetime) -> list[_Call]:
    due = session.scalars(
        select(AuctionPublication)
        .where(AuctionPublication.status.in_(TO_SEND), AuctionPublication.due_at <= now)
        .order_by(AuctionPublication.due_at, AuctionPublication.id)
    )
    return [_call_of(session, pub, settings) for pub in due]


def _published(response: httpx.Response) -> tuple[str, str]:
    document = json_object(response)
    if response.status_code not in (200, 201):
        raise MalformedResponse("expected 201 with a remote_id")
    remote = text(document, "remote_id", longest=REMOTE_ID_CHARS)
    url = document.get("url", "")  # the lot's page: one we cannot keep is left out, not refused
    return remote, url if isinstance(url, str) and len(url) <= URL_CHARS else ""


def _taken(response: httpx.Response) -> str:
    json_object(response)  # an answer that is not the promised JSON object is not a success
    return "ok"


def _store(
    database: Database, call: _Call, outcome: tuple[str, str] | str | OutboundError, report: SendReport
) -> None:
    now = clock.now()
    with database.unit_of_work() as session:
        pub = session.get(
            AuctionPublication, call.publication_id, with_for_update=True, populate_existing=True
        )
        assert pub is not None
        if isinstance(outcome, OutboundError):
            if pub.status not in TO_SEND:
                return  # settled meanwhile (a webhook, a withdrawal before any call)
            pub.attempts += 1
            pub.last_error = str(outcome)[:200]
            log.warning(
                "auction platform %s: %s of round %d failed: %s",
                call.target.code,
                call.op,
                call.round_id,
                outcome.reason,
            )
            if outcome.permanent or pub.attempts >= MAX_ATTEMPTS:
                pub.status = P.FAILED
                report.failed[call.round_id] = pub.last_error
            else:
                pub.due_at = now + wait_after(pub.attempts)
            return
        pub.attempts, pub.last_error = 0, ""
        if call.op == "publish":
            assert isinstance(outcome, tuple)
            pub.remote_id = pub.remote_id or outcome[0]
            pub.url = outcome[1] or pub.url
            pub.published_at = pub.published_at or now
            pub.sent_version = max(pub.sent_version, call.version)
            if pub.status == P.WITHDRAWN:
                pub.status = P.WITHDRAWING  # withdrawn here while the lot was on its way: tell the platform
            if pub.status == P.PENDING:
                pub.status = P.PUBLISHED if pub.version <= pub.sent_version else P.UPDATING
            pub.due_at = now
            report.published.append(call.round_id)
        elif call.op == "update":
            pub.sent_version = max(pub.sent_version, call.version)
            if pub.status == P.UPDATING and pub.version <= pub.sent_version:
                pub.status = P.PUBLISHED
            report.updated.append(call.round_id)
        elif pub.status == P.WITHDRAWING:
            pub.status = P.WITHDRAWN
            report.withdrawn.append(call.round_id)


def send_due(
    database: Database,
    settings: Settings,
    *,
    http: httpx.Client | None = None,
    sleep: Callable[[float], None] | None = None,
) -> SendReport:
    """The sweep: every publication due is sent (published, updated or withdrawn), the calls in parallel."""
    with database.unit_of_work(read_only=True) as session:
        calls = _calls(session, settings, clock.now())
    report = SendReport()
    if not calls:
        return report
    pool = http or new_http_pool()

    def one(call: _Call) -> None:
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        client = OutboundClient(service_of(call.target, settings), http=pool, **extra)
        outcome: tuple[str, str] | str | OutboundError
        try:
            if call.op == "publish":
                outcome = client.post(call.path, idempotency_key=call.key, json=call.body, check=_published)
            else:
                outcome = client.post(call.path, idempotency_key=call.key, json=call.body, check=_taken)
        except OutboundError as exc:
            outcome = exc
        try:
            _store(database, call, outcome, report)
        except Exception:  # one answer that cannot be stored must not stop the others; the sweep retries
            log.exception(
                "auction platform %s: the answer to %s could not be stored", call.target.code, call.key
            )

    try:
        with ThreadPoolExecutor(max_workers=min(8, len(calls)), thread_name_prefix="auction-pl") as workers:
            for future in [workers.submit(one, c) for c in calls]:
                future.result()
    finally:
        if http is None:
            pool.close()
    return report


__all__ = ["MAX_ATTEMPTS", "SendReport", "callback_url", "lot_body", "send_due", "service_of", "wait_after"]
