"""Configuring the inquiry platforms: add one, let a court use it or stop, and the ones a court asks."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock, events
from car_enforce.core.errors import Conflict, InvalidInput, NotFound
from car_enforce.core.events import DomainEvent
from car_enforce.core.identity.models import Organisation, OrgKind
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.service import create_organisation, organisation_of
from valuation.inquiry.models import CourtInquiryPlatform, InquiryPlatform

CODE = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
MIN_SECRET_CHARS = 32  # an HMAC key of at least 256 bits of text


def _check(code: str, base_url: str, secret: str) -> None:
    if not CODE.fullmatch(code):
        raise InvalidInput(
            "code",
            "2–40 lower-case letters, digits and hyphens, starting with a letter or digit",
            zh="应为 2 至 40 位小写字母、数字或连字符，以字母或数字开头",
        )
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InvalidInput(
            "base_url",
            "an http(s) URL with a host and no query or fragment",
            zh="应为 http(s) 网址，含主机名，不含查询参数或 # 片段",
        )
    if len(secret) < MIN_SECRET_CHARS:
        raise InvalidInput(
            "secret", f"at least {MIN_SECRET_CHARS} characters", zh=f"至少 {MIN_SECRET_CHARS} 个字符"
        )


def add_platform(
    session: Session,
    *,
    actor: Principal,
    name: str,
    code: str,
    base_url: str,
    secret: str,
    fee_fen: int = 0,
) -> InquiryPlatform:
    """A platform on the SPC's list, as an organisation with the address and secret to reach it by, and the
    fee its agreement sets for the inquiry that proves closest to the sale price (Art. 31)."""
    _check(code, base_url, secret)
    if fee_fen < 0:
        raise InvalidInput("fee_fen", "a fee in fen, 0 or more", zh="询价费应为不小于 0 的金额（分）")
    if session.scalar(select(InquiryPlatform.code).where(InquiryPlatform.code == code)) is not None:
        raise Conflict(
            f"an inquiry platform with the code {code!r} exists already", zh=f"代码为 {code} 的询价平台已存在"
        )
    org = create_organisation(session, actor=actor, kind=OrgKind.INQUIRY_PLATFORM, name=name, code=code)
    platform = InquiryPlatform(
        organisation_id=org.id,
        code=code,
        base_url=base_url.rstrip("/"),
        secret=secret,
        added_at=clock.now(),
        fee_fen=fee_fen,
    )
    session.add(platform)
    session.flush()
    return platform


def _platform(session: Session, platform_id: int) -> InquiryPlatform:
    platform = session.get(InquiryPlatform, platform_id)
    if platform is None:
        raise NotFound(f"no inquiry platform {platform_id}", zh="此询价平台不存在")
    return platform


def _record(
    session: Session, actor: Principal, kind: str, court: Organisation, platform: InquiryPlatform
) -> None:
    data = {"court": court.name, "platform": platform.code}
    event = DomainEvent(kind=kind, subject=f"organisation:{court.id}", case_id=None, data=data)
    events.record(session, actor, event)


def use_platform(session: Session, *, actor: Principal, court_id: int, platform_id: int) -> bool:
    """The court asks this platform from now on; False when it did already (nothing changes)."""
    court, platform = organisation_of(session, court_id, OrgKind.COURT), _platform(session, platform_id)
    if session.get(CourtInquiryPlatform, (court.id, platform.organisation_id)) is not None:
        return False
    session.add(CourtInquiryPlatform(court_id=court.id, platform_id=platform.organisation_id))
    session.flush()
    _record(session, actor, "inquiry_platform.assigned", court, platform)
    return True


def stop_using_platform(session: Session, *, actor: Principal, court_id: int, platform_id: int) -> bool:
    """The court no longer asks this platform (inquiries sent run their course); False when it did not."""
    court, platform = organisation_of(session, court_id, OrgKind.COURT), _platform(session, platform_id)
    link = session.get(CourtInquiryPlatform, (court.id, platform.organisation_id))
    if link is None:
        return False
    session.delete(link)
    session.flush()
    _record(session, actor, "inquiry_platform.unassigned", court, platform)
    return True


def platforms_for(session: Session, court_id: int) -> list[InquiryPlatform]:
    """Every active platform the court asks, by code: all of them get its request at once (Art. 10)."""
    return list(
        session.scalars(
            select(InquiryPlatform)
            .join(CourtInquiryPlatform, CourtInquiryPlatform.platform_id == InquiryPlatform.organisation_id)
            .where(CourtInquiryPlatform.court_id == court_id, InquiryPlatform.active.is_(True))
            .order_by(InquiryPlatform.code)
        )
    )


__all__ = ["add_platform", "platforms_for", "stop_using_platform", "use_platform"]
