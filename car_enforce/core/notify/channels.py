"""The outbox's transports: an SMS gateway and Standard Webhooks, both called through the outbound client.

Every request carries ``Idempotency-Key: notification-<id>``, and a webhook also ``webhook-id: msg_<id>``.
If the platform crashes after the receiver accepted a message but before the outbox marked it sent, the
retry carries the same key and id and the receiver drops it: that, not the outbox alone, is what makes
"never twice" hold end to end.

Each transport makes one try per run (``ONE_TRY``): the outbox is the retry loop, and its backoff is
durable (it outlives a restart) where a retry inside the call would only hold the row's lease longer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx

from car_enforce.core.clock import Clock
from car_enforce.core.notify.models import Channel
from car_enforce.core.outbound import (
    ONE_TRY,
    OutboundClient,
    OutboundError,
    Service,
    json_object,
)
from car_enforce.core.outbound.standard_webhooks import StandardWebhookSigner
from car_enforce.core.settings import Settings

EVENT_HEADER = "X-CarEnforce-Event"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What a transport needs of one claimed notification, copied out so no session is open while sending."""

    notification_id: int
    channel: Channel
    recipient: str  # phone number, or the webhook URL
    body: str
    event_kind: str = ""
    secret: str = ""  # the subscription's signing secret (webhooks only)

    @property
    def idempotency_key(self) -> str:
        return f"notification-{self.notification_id}"

    @property
    def message_id(self) -> str:
        """The Standard Webhooks ``webhook-id``: stable across every try of this notification."""
        return f"msg_{self.notification_id}"


class Transport(Protocol):
    def send(self, message: Outgoing) -> str:
        """Deliver ``message``; return the provider's message id, or raise ``OutboundError``."""
        ...


def sms_service(settings: Settings) -> Service:
    """The SMS gateway: ``POST <base>/messages`` with ``{"to", "text"}`` and its API key."""
    return Service(
        name="sms-gateway",
        base_url=settings.sms_url,
        connect_timeout_s=settings.http_connect_timeout_s,
        read_timeout_s=settings.http_timeout_s,
        retry=ONE_TRY,
        headers={"X-Api-Key": settings.sms_gateway_key},
    )


def webhook_service(settings: Settings) -> Service:
    """Subscribers' endpoints: each call names its full URL and signs with its subscription's secret."""
    return Service(
        name="webhook",
        connect_timeout_s=settings.http_connect_timeout_s,
        read_timeout_s=settings.http_timeout_s,
        retry=ONE_TRY,
    )


def longest_send_s(settings: Settings) -> float:
    """How long one send may take at most, whichever the channel (what a lease must leave room for)."""
    return max(sms_service(settings).longest_call_s, webhook_service(settings).longest_call_s)


def _message_id(response: httpx.Response) -> str:
    document = json_object(response)
    # The gateway took the message (2xx, a JSON object); a missing id is its quirk, not a reason to resend.
    found = document.get("id")
    return "" if found is None else str(found)[:128]


class SmsGateway:
    def __init__(self, client: OutboundClient) -> None:
        self._client = client

    def send(self, message: Outgoing) -> str:
        return self._client.post(
            "/messages",
            json={"to": message.recipient, "text": message.body},
            idempotency_key=message.idempotency_key,
            check=_message_id,
        )


class WebhookChannel:
    """POSTs the event document to a subscriber's URL, signed the Standard Webhooks way."""

    def __init__(self, client: OutboundClient) -> None:
        self._client = client

    def send(self, message: Outgoing) -> str:
        if not message.secret:
            raise OutboundError("subscription has no secret", permanent=True, service="webhook")
        response = self._client.post(
            message.recipient,
            content=message.body.encode(),
            idempotency_key=message.idempotency_key,
            headers={"Content-Type": "application/json", EVENT_HEADER: message.event_kind},
            signer=StandardWebhookSigner((message.secret,), message.message_id),
        )
        return response.headers.get("X-Request-Id", "")[:128]


class Transports:
    """The transport for each channel, sharing one connection pool."""

    def __init__(self, http: httpx.Client, settings: Settings, *, clock: Clock | None = None) -> None:
        self.sms: Transport = SmsGateway(OutboundClient(sms_service(settings), http=http, clock=clock))
        self.webhook: Transport = WebhookChannel(
            OutboundClient(webhook_service(settings), http=http, clock=clock)
        )

    def for_channel(self, channel: Channel) -> Transport:
        if channel == Channel.SMS:
            return self.sms
        if channel == Channel.WEBHOOK:
            return self.webhook
        raise OutboundError(f"unknown channel {channel!r}", permanent=True)
