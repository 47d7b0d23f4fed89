"""What an outside auction platform sends us (docs/AUCTION_PLATFORM_PROTOCOL.md §4): ``lot.published`` and
``bidding.closed``, signed the Standard Webhooks way with the secret it shares with us.

The signature is checked before anything is read; a message is taken once: its ``webhook-id`` already taken
gets the first answer again (200, ``"replayed": true``) and changes nothing, so a platform retrying after a
lost answer sees success and stops. A message the rules refuse stores nothing, not even its id, and names the
article. The buyer's identity in ``bidding.closed`` goes to the publication's restricted record and the
成交确认书 (masked there), never into the answer, the events or the logs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from auction import closing
from auction.lots import lock_round
from auction.platforms.models import AuctionPlatformMessage, AuctionPublication
from auction.platforms.models import PublicationStatus as P
from auction.platforms.registry import platform_of
from auction.rules import articles as a
from car_enforce.core import clock, zh
from car_enforce.core.errors import Conflict, InvalidInput, NotFound
from car_enforce.core.identity.security import sha256_hex
from car_enforce.core.outbound import signed_messages
from car_enforce.core.outbound.standard_webhooks import signing_key

ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
MAX_MESSAGE_ID_CHARS = 100  # as AuctionPlatformMessage stores it


class _Buyer(BaseModel):
    """The buyer as the platform verified them (real-name registration, Art. 15)."""

    name: str = Field(min_length=2, max_length=64)
    id_number: str = Field(pattern=ID_NUMBER.pattern)
    phone: str = Field(default="", max_length=32)
    bidder_number: str = Field(min_length=1, max_length=32)


class _Published(BaseModel):
    type: Literal["lot.published"]
    ref: str = Field(max_length=80)
    remote_id: str = Field(min_length=1, max_length=80)
    url: str = Field(default="", max_length=300)


class _Closed(BaseModel):
    type: Literal["bidding.closed"]
    ref: str = Field(max_length=80)
    remote_id: str = Field(min_length=1, max_length=80)
    result: Literal["sold", "unsold"]
    closed_at: AwareDatetime
    bids: int = Field(ge=0, le=10**6)
    final_price_fen: int | None = Field(default=None, gt=0, le=10**12)
    buyer: _Buyer | None = None


_Message = TypeAdapter(Annotated[_Published | _Closed, Field(discriminator="type")])


def _malformed(problems: str) -> InvalidInput:
    return InvalidInput(
        "body",
        f"{problems} (a result names its lot, the outcome, the end, and for a sale the price and the "
        "buyer: 网拍规定 Art. 22)",
        rule=a.RULE_SOLD,
        zh="平台消息内容不全或格式不对：竞价结果应载明标的、结果、结束时间，成交的还应载明成交价和买受人",
    )


def _id_too_long(max_chars: int) -> InvalidInput:
    return InvalidInput(
        "webhook-id", f"at most {max_chars} characters", zh=f"webhook-id 不能超过 {max_chars} 个字符"
    )


def _publication(session: Session, code: str, message: _Published | _Closed) -> AuctionPublication:
    """Our publication the message is about, found by our key; the platform's id must agree with ours."""
    pub = session.scalar(
        select(AuctionPublication).where(
            AuctionPublication.platform_code == code, AuctionPublication.key == message.ref
        )
    )
    if pub is None or (pub.remote_id is not None and pub.remote_id != message.remote_id):
        raise NotFound(
            f"no lot {message.ref!r} published on {code} as {message.remote_id!r}",
            zh="本平台没有在该拍卖平台发布过此标的",
        )
    return pub


def _first_answer(session: Session, code: str, msg_id: str) -> dict[str, Any] | None:
    taken = session.scalar(
        select(AuctionPlatformMessage).where(
            AuctionPlatformMessage.platform_code == code, AuctionPlatformMessage.msg_id == msg_id
        )
    )
    if taken is None:
        return None
    return {**json.loads(taken.answer), "replayed": True}


def _published(pub: AuctionPublication, message: _Published) -> dict[str, Any]:
    """The platform shows the lot: the answer to our call may have been lost, so its id is taken here."""
    pub.remote_id = pub.remote_id or message.remote_id
    pub.url = message.url or pub.url
    pub.published_at = pub.published_at or clock.now()
    if pub.status == P.PENDING:
        # Which version it published is not said: send the round's state once more if it changed since.
        pub.status = P.PUBLISHED if pub.version == 0 else P.UPDATING
        pub.attempts, pub.due_at = 0, clock.now()
    return {"ok": True, "publication": pub.status}


def _closed(session: Session, pub: AuctionPublication, message: _Closed) -> dict[str, Any]:
    buyer = message.buyer
    sold = message.result == "sold"
    if sold and (buyer is None or message.final_price_fen is None):
        raise InvalidInput(
            "buyer",
            "a sale names its final price and its buyer (网拍规定 Art. 22)",
            rule=a.RULE_SOLD,
            zh="成交的竞价结果应载明成交价和买受人",
        )
    facts = (
        closing.BuyerFacts(buyer.name, zh.mask_id_number(buyer.id_number), buyer.bidder_number)
        if (sold and buyer is not None)
        else None
    )
    digest = sha256_hex(buyer.id_number) if sold and buyer is not None else ""
    result = closing.OutsideResult(
        sold=sold,
        closed_at=message.closed_at,
        bids=message.bids,
        price_fen=message.final_price_fen if sold else None,
        buyer=facts,
        buyer_id_digest=digest,
    )
    outcome = closing.close_elsewhere(session, pub.round_id, result)
    pub.remote_id = pub.remote_id or message.remote_id
    pub.status, pub.closed_at, pub.sold = P.CLOSED, outcome.closed_at, sold
    pub.price_fen = outcome.price_fen
    if sold and buyer is not None:
        pub.buyer_number, pub.buyer_name, pub.buyer_phone = buyer.bidder_number, buyer.name, buyer.phone
        # Like a bidder of the built-in room: the digest a default is recorded against, the masked number.
        pub.buyer_id_masked, pub.buyer_id_digest = zh.mask_id_number(buyer.id_number), digest
    answer: dict[str, Any] = {"ok": True, "round_id": pub.round_id, "sold": sold}
    confirmation = closing.confirmation_of(session, pub.round_id) if sold else None
    if confirmation is not None:
        answer["confirmation"] = confirmation.number
    return answer


def receive(session: Session, code: str, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """Take one message from platform ``code``; the answer to give it (200), or a domain error."""
    platform = platform_of(session, code, active=False)  # a platform stopped for new rounds still reports
    msg_id = signed_messages.verified_id(
        signing_key(platform.webhook_secret),
        body,
        headers,
        max_chars=MAX_MESSAGE_ID_CHARS,
        too_long=_id_too_long,
    )
    earlier = _first_answer(session, code, msg_id)
    if earlier is not None:
        return earlier
    message = signed_messages.validated(body, _Message, _malformed)
    found = _publication(session, code, message)
    # The round's lock first, as every verb on it takes it: two tries of one message queue here, and the
    # second finds the first's id below.
    lock_round(session, found.round_id)
    pub = session.get(AuctionPublication, found.id, with_for_update=True, populate_existing=True)
    assert pub is not None
    earlier = _first_answer(session, code, msg_id)
    if earlier is not None:
        return earlier
    if isinstance(message, _Published):
        answer = _published(pub, message)
    else:
        if pub.status == P.WITHDRAWN or pub.status == P.WITHDRAWING:
            raise Conflict(
                "the lot was withdrawn: its bidding has no result",
                zh="此标的已撤回拍卖，竞价结果不予接受",
            )
        answer = _closed(session, pub, message)
    session.add(
        AuctionPlatformMessage(
            platform_code=code,
            msg_id=msg_id,
            kind=message.type,
            round_id=pub.round_id,
            received_at=clock.now(),
            answer=json.dumps(answer, ensure_ascii=False, default=str)[:500],
        )
    )
    session.flush()
    return answer


def received_at(session: Session, code: str, msg_id: str) -> datetime | None:
    """When a message was taken (None: never, or refused)."""
    return session.scalar(
        select(AuctionPlatformMessage.received_at).where(
            AuctionPlatformMessage.platform_code == code, AuctionPlatformMessage.msg_id == msg_id
        )
    )


__all__ = ["receive", "received_at"]
