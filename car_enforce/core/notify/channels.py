"""The outbox's transports: an SMS gateway and signed webhooks, both plain HTTP through one httpx client.

Every request carries ``Idempotency-Key: notification-<id>``. If the platform crashes after the receiver
accepted a message but before the outbox marked it sent, the retry carries the same key and the receiver
drops it: that, not the outbox alone, is what makes "never twice" hold end to end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

import httpx

from car_enforce.core import clock as clock_mod
from car_enforce.core.clock import Clock
from car_enforce.core.notify.models import Channel
from car_enforce.core.notify.signing import SIGNATURE_HEADER, sign
from car_enforce.core.settings import Settings

USER_AGENT = "CarEnforce-Notify/1"
EVENT_HEADER = "X-CarEnforce-Event"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Statuses that say "try again later" although they are 4xx; every other 4xx will never succeed.
RETRYABLE_4XX = frozenset({408, 429})


class DeliveryError(Exception):
    """A send that did not go through; ``permanent`` means retrying cannot help."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


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


class Transport(Protocol):
    def send(self, message: Outgoing) -> str:
        """Deliver ``message``; return the provider's message id, or raise ``DeliveryError``."""
        ...


def make_client(settings: Settings) -> httpx.Client:
    """The one HTTP client deliveries share: bounded timeouts, no redirects (a webhook must not bounce us)."""
    return httpx.Client(
        timeout=httpx.Timeout(settings.http_timeout_s),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


def _short_error(response: httpx.Response) -> str:
    # The receiver's error name only: bodies may echo the phone number, which must not reach last_error.
    try:
        document = response.json()
    except ValueError:
        return ""
    if isinstance(document, dict) and isinstance(document.get("error"), str):
        return f" {document['error'][:60]}"
    return ""


def _post(client: httpx.Client, url: str, *, content: bytes, headers: dict[str, str]) -> httpx.Response:
    try:
        response = client.post(url, content=content, headers=headers)
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"timeout ({type(exc).__name__})") from exc
    except httpx.InvalidURL as exc:
        raise DeliveryError("invalid URL", permanent=True) from exc
    except httpx.HTTPError as exc:
        raise DeliveryError(f"network error ({type(exc).__name__})") from exc
    status = response.status_code
    if 200 <= status < 300:
        return response
    reason = f"HTTP {status}{_short_error(response)}"
    permanent = (400 <= status < 500 and status not in RETRYABLE_4XX) or 300 <= status < 400
    raise DeliveryError(reason, permanent=permanent)


class SmsGateway:
    """Client of an SMS gateway: ``POST <base>/messages`` with ``{"to", "text"}`` and an API key."""

    def __init__(self, client: httpx.Client, *, base_url: str, api_key: str) -> None:
        self._client = client
        self._url = base_url.rstrip("/") + "/messages"
        self._api_key = api_key

    @classmethod
    def from_settings(cls, client: httpx.Client, settings: Settings) -> SmsGateway:
        return cls(client, base_url=settings.sms_url, api_key=settings.sms_gateway_key)

    def send(self, message: Outgoing) -> str:
        content = json.dumps({"to": message.recipient, "text": message.body}, ensure_ascii=False).encode()
        response = _post(
            self._client,
            self._url,
            content=content,
            headers={
                "Content-Type": "application/json",
                "X-Api-Key": self._api_key,
                IDEMPOTENCY_HEADER: message.idempotency_key,
            },
        )
        try:
            document = response.json()
        except ValueError:
            document = None
        # The gateway took the message (2xx); a missing id is the provider's quirk, not a reason to resend.
        if isinstance(document, dict) and document.get("id") is not None:
            return str(document["id"])[:128]
        return ""


class WebhookChannel:
    """POSTs the event document to a subscriber's URL, signed with the subscription's secret."""

    def __init__(self, client: httpx.Client, *, clock: Clock | None = None) -> None:
        self._client = client
        self._clock = clock

    def send(self, message: Outgoing) -> str:
        if not message.secret:
            raise DeliveryError("subscription has no secret", permanent=True)
        now = (self._clock or clock_mod.get_clock()).now()
        content = message.body.encode()
        response = _post(
            self._client,
            message.recipient,
            content=content,
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(message.secret, content, int(now.timestamp())),
                IDEMPOTENCY_HEADER: message.idempotency_key,
                EVENT_HEADER: message.event_kind,
            },
        )
        return response.headers.get("X-Request-Id", "")[:128]


class Transports:
    """The transport for each channel, built around one shared client."""

    def __init__(self, client: httpx.Client, settings: Settings, *, clock: Clock | None = None) -> None:
        self.sms: Transport = SmsGateway.from_settings(client, settings)
        self.webhook: Transport = WebhookChannel(client, clock=clock)

    def for_channel(self, channel: Channel) -> Transport:
        if channel == Channel.SMS:
            return self.sms
        if channel == Channel.WEBHOOK:
            return self.webhook
        raise DeliveryError(f"unknown channel {channel!r}", permanent=True)
