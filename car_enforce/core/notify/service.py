"""Queue notifications in the caller's transaction, beside the timeline event that caused them.

Nothing here sends or commits: the row becomes visible to the delivery job only when the caller's
transaction commits, so a rolled-back state change never tells anybody anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock, events
from car_enforce.core.db import insert_once
from car_enforce.core.errors import InvalidInput, NotFound
from car_enforce.core.events import DomainEvent
from car_enforce.core.identity.models import Organisation
from car_enforce.core.identity.principal import Principal
from car_enforce.core.notify.models import Channel, DeliveryStatus, Notification, WebhookSubscription
from car_enforce.core.outbound import standard_webhooks
from car_enforce.core.timeline.models import TimelineEvent

# Gateways cap one message at this many characters; longer text is a caller's bug, not a delivery failure.
MAX_SMS_CHARS = 1000
MAX_URL_CHARS = 512
ALL_KINDS = "*"
_KIND = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")


def _normalise_phone(to: str) -> str:
    phone = re.sub(r"[\s-]", "", to)
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone = phone[len(prefix) :]
    return phone


def _taken(session: Session, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(session.scalars(select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys))))


def enqueue_sms(
    session: Session, *, event: TimelineEvent | None, to: str, body: str, dedupe_key: str
) -> Notification | None:
    """Queue one SMS; None (and nothing added) if ``dedupe_key`` was queued before."""
    phone = _normalise_phone(to)
    if not phone:
        raise InvalidInput("to", "a phone number is required", zh="请填写手机号码")
    if not body.strip():
        raise InvalidInput("body", "the message is empty", zh="短信内容为空")
    if len(body) > MAX_SMS_CHARS:
        raise InvalidInput(
            "body", f"longer than {MAX_SMS_CHARS} characters", zh=f"短信不能超过 {MAX_SMS_CHARS} 个字"
        )
    if not dedupe_key or len(dedupe_key) > 160:
        raise InvalidInput("dedupe_key", "must be 1 to 160 characters", zh="应为 1 至 160 个字符")
    now = clock.now()
    return insert_once(
        session,
        Notification,
        {
            "dedupe_key": dedupe_key,
            "event_id": event.id if event is not None else None,
            "channel": Channel.SMS,
            "recipient": phone,
            "body": body,
            "payload": {"event_kind": event.kind} if event is not None else {},
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": "",
            "provider_message_id": "",
            "created_at": now,
        },
        ["dedupe_key"],
    )


def event_document(event: TimelineEvent) -> dict[str, Any]:
    """The JSON document a webhook subscriber receives for ``event``."""
    return {
        "id": event.id,
        "kind": event.kind,
        "at": clock.as_utc(event.at).astimezone(UTC).isoformat(),
        "subject": event.subject,
        "case_id": event.case_id,
        "data": event.data,
        "reason": event.reason,
    }


def _wants(subscription: WebhookSubscription, kind: str) -> bool:
    kinds = subscription.event_kinds or []
    return ALL_KINDS in kinds or kind in kinds


def enqueue_webhooks(
    session: Session, *, event: TimelineEvent, organisation_ids: Iterable[int]
) -> list[Notification]:
    """Queue ``event`` for every active subscription of ``organisation_ids`` that asked for its kind.

    The caller decides which organisations may see the event; this only fans it out to their endpoints.
    """
    org_ids = sorted(set(organisation_ids))
    if not org_ids:
        return []
    subscriptions = [
        sub
        for sub in session.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.organisation_id.in_(org_ids), WebhookSubscription.active.is_(True))
            .order_by(WebhookSubscription.id)
        )
        if _wants(sub, event.kind)
    ]
    if not subscriptions:
        return []
    keys = {sub.id: f"webhook:{sub.id}:{event.id}" for sub in subscriptions}
    taken = _taken(session, list(keys.values()))
    body = json.dumps(event_document(event), ensure_ascii=False, separators=(",", ":"), default=str)
    now = clock.now()
    queued: list[Notification] = []
    for sub in subscriptions:
        if keys[sub.id] in taken:
            continue
        notification = insert_once(
            session,
            Notification,
            {
                "dedupe_key": keys[sub.id],
                "event_id": event.id,
                "channel": Channel.WEBHOOK,
                "recipient": sub.url,
                "subscription_id": sub.id,
                "body": body,
                "payload": {"event_kind": event.kind},
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": "",
                "provider_message_id": "",
                "created_at": now,
            },
            ["dedupe_key"],
        )
        if notification is not None:
            queued.append(notification)
    return queued


def _validate_url(url: str) -> str:
    url = url.strip()
    if len(url) > MAX_URL_CHARS:
        raise InvalidInput(
            "url", f"longer than {MAX_URL_CHARS} characters", zh=f"不能超过 {MAX_URL_CHARS} 个字符"
        )
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError as exc:
        raise InvalidInput("url", "not a valid URL", zh="不是有效的网址") from exc
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("url", "must be an http or https URL", zh="应为 http 或 https 网址")
    if not hostname:
        raise InvalidInput("url", "has no host", zh="网址缺少主机名")
    if parts.username is not None or parts.password is not None:
        # Credentials in the URL would be stored and shown in clear; the signature authenticates us.
        raise InvalidInput("url", "must not carry credentials", zh="网址中不能含用户名或密码")
    if parts.fragment:
        raise InvalidInput("url", "must not have a fragment", zh="网址中不能含 # 片段")
    return url


def _validate_kinds(event_kinds: Iterable[str]) -> list[str]:
    kinds: list[str] = []
    for kind in event_kinds:
        if kind != ALL_KINDS and (len(kind) > 64 or not _KIND.match(kind)):
            raise InvalidInput(
                "event_kinds", f"{kind[:64]!r} is not an event kind", zh=f"{kind[:64]} 不是事件类型"
            )
        if kind not in kinds:
            kinds.append(kind)
    if not kinds:
        raise InvalidInput(
            "event_kinds",
            f"name at least one event kind, or {ALL_KINDS!r} for all",
            zh=f"请至少选择一种事件类型，或用 {ALL_KINDS} 表示全部",
        )
    return [ALL_KINDS] if ALL_KINDS in kinds else kinds


def create_subscription(
    session: Session, *, organisation_id: int, url: str, event_kinds: Iterable[str], actor: Principal
) -> tuple[WebhookSubscription, str]:
    """Subscribe an organisation's endpoint; returns the subscription and its secret, shown only this once."""
    clean_url = _validate_url(url)
    kinds = _validate_kinds(event_kinds)
    if session.get(Organisation, organisation_id) is None:
        raise NotFound(f"organisation {organisation_id} does not exist", zh="此单位不存在")
    # Kept in clear, unlike API keys: the platform needs it to compute each signature.
    secret = standard_webhooks.new_secret()
    subscription = WebhookSubscription(
        organisation_id=organisation_id,
        url=clean_url,
        secret=secret,
        event_kinds=kinds,
        active=True,
        created_at=clock.now(),
    )
    session.add(subscription)
    session.flush()
    events.record(
        session,
        actor,
        DomainEvent(
            kind="webhook.subscribed",
            subject=f"webhook_subscription:{subscription.id}",
            case_id=None,
            data={"organisation_id": organisation_id, "url": clean_url, "event_kinds": kinds},
        ),
    )
    return subscription, secret


def texts_to(session: Session, phone: str, *, limit: int = 50) -> list[Notification]:
    """The text messages queued or sent to a phone, the newest first (what a person was told)."""
    number = _normalise_phone(phone)
    if not number:
        return []
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.channel == Channel.SMS, Notification.recipient == number)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )
