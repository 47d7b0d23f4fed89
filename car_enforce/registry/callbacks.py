"""What the registry tells us: its callbacks, signed the Standard Webhooks way, each taken once.

A callback is ``{"type", "timestamp", "data"}``, ``data`` being the seizure or the transfer as the registry
answers for it. ``read_callback`` checks the signature before it reads anything (a bad one is 401 and nothing
is stored), then the body; ``take_callback`` applies it in the caller's transaction like a poll's answer, and
takes its message id once, so a replay changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from car_enforce.core import clock
from car_enforce.core.db import insert_once
from car_enforce.core.errors import InvalidInput, NotFound
from car_enforce.core.identity.principal import Principal
from car_enforce.core.outbound import signed_messages
from car_enforce.core.outbound.client import MalformedResponse
from car_enforce.core.settings import get_settings
from car_enforce.registry.client import Seizure, Transfer, seizure_of, transfer_of
from car_enforce.registry.models import RegistryMessage, RegistryRequest, RequestKind
from car_enforce.registry.service import apply_seizure, apply_transfer

REGISTRY: Final = Principal.system("vehicle-registry")


class CallbackType(StrEnum):
    SEIZURE_EFFECTIVE = "seizure.effective"
    SEIZURE_RELEASED = "seizure.released"
    SEIZURE_LAPSED = "seizure.lapsed"
    TRANSFER_COMPLETED = "transfer.completed"
    TRANSFER_REFUSED = "transfer.refused"


@dataclass(frozen=True, slots=True)
class RegistryCallback:
    """One callback: what became of which seizure or transfer."""

    msg_id: str  # the webhook-id: the same on every delivery of this message
    type: CallbackType
    seizure: Seizure | None = None
    transfer: Transfer | None = None

    @property
    def reference(self) -> str:
        about = self.seizure or self.transfer
        assert about is not None
        return about.reference

    @property
    def registry_id(self) -> str:
        about = self.seizure or self.transfer
        assert about is not None
        return about.id


def _malformed(detail: str) -> InvalidInput:
    return InvalidInput("body", detail, zh="车管所的回调格式不对")


def parse_callback(msg_id: str, body: bytes) -> RegistryCallback:
    """The callback a verified body describes, or ``InvalidInput``."""
    message = signed_messages.envelope(body, CallbackType, _malformed)
    kind, data = message.type, message.data
    try:
        if kind.value.startswith("seizure."):
            return RegistryCallback(msg_id, kind, seizure=seizure_of(data))
        transfer = transfer_of(data)
    except MalformedResponse as exc:
        raise _malformed(f"data: {exc.detail}") from None
    if transfer.status.value != kind.value.removeprefix("transfer."):
        raise _malformed("the transfer's status is not what the type says")
    return RegistryCallback(msg_id, kind, transfer=transfer)


def read_callback(body: bytes, headers: Mapping[str, str], *, secret: str | None = None) -> RegistryCallback:
    """Verify a callback's signature (``InvalidSignature``, 401) and read it (``InvalidInput``)."""
    msg_id = signed_messages.verified_id(
        secret or get_settings().registry_webhook_secret, body, headers, zh_name="回调"
    )
    return parse_callback(msg_id, body)


def _request_of(session: Session, callback: RegistryCallback) -> RegistryRequest:
    kind = RequestKind.SEIZE if callback.seizure is not None else RequestKind.TRANSFER
    # By our reference (it is there before the registry's answer is), else by the registry's id.
    request = session.scalar(
        select(RegistryRequest).where(
            RegistryRequest.kind == kind,
            or_(
                RegistryRequest.key == callback.reference, RegistryRequest.registry_id == callback.registry_id
            ),
        )
    )
    if request is None:
        raise NotFound(
            f"no registry request is about {callback.registry_id}", zh="本平台没有向车管所申请过此事项"
        )
    return request


def take_callback(session: Session, callback: RegistryCallback) -> bool:
    """Apply a verified callback once; False for a message taken before (a replay changes nothing).

    In the caller's transaction, so a callback whose handling rolls back is taken again when resent. A
    callback about no request of ours is refused (404) and leaves nothing behind.
    """
    request = _request_of(session, callback)
    taken = insert_once(
        session,
        RegistryMessage,
        {
            "msg_id": callback.msg_id,
            "type": callback.type.value,
            "request_id": request.id,
            "received_at": clock.now(),
        },
        unique=["msg_id"],
    )
    if taken is None:
        return False
    if callback.seizure is not None:
        apply_seizure(session, REGISTRY, request, callback.seizure)
    elif callback.transfer is not None:
        apply_transfer(session, REGISTRY, request, callback.transfer)
    return True
