"""Configuring the outside auction platforms: add one, find one by its code. The court chooses a platform
from the SPC's list for each round (网拍规定 Art. 2–5); the built-in room is ``builtin`` and has no row."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.models import BUILTIN_PLATFORM
from auction.platforms.models import AuctionPlatform
from car_enforce.core import clock
from car_enforce.core.errors import Conflict, InvalidInput, NotFound

CODE = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
MIN_SECRET_CHARS = 32  # an HMAC key of at least 256 bits of text


def _check(code: str, base_url: str, api_key: str, webhook_secret: str) -> None:
    if not CODE.fullmatch(code) or code == BUILTIN_PLATFORM:
        raise InvalidInput(
            "code",
            f"2–40 lower-case letters, digits and hyphens, not {BUILTIN_PLATFORM!r}",
            zh=f"应为 2 至 40 位小写字母、数字或连字符，且不能是 {BUILTIN_PLATFORM}",
        )
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InvalidInput(
            "base_url",
            "an http(s) URL with a host and no query or fragment",
            zh="应为 http(s) 网址，含主机名，不含查询参数或 # 片段",
        )
    if not api_key.strip():
        raise InvalidInput("api_key", "is empty", zh="平台接口密钥不能为空")
    if len(webhook_secret) < MIN_SECRET_CHARS:
        raise InvalidInput(
            "webhook_secret",
            f"at least {MIN_SECRET_CHARS} characters",
            zh=f"回调签名密钥至少 {MIN_SECRET_CHARS} 个字符",
        )


def add_platform(
    session: Session, *, code: str, name: str, base_url: str, api_key: str, webhook_secret: str
) -> AuctionPlatform:
    """A platform the courts may publish rounds on, with how we reach it and how it signs to us."""
    _check(code, base_url, api_key, webhook_secret)
    if session.scalar(select(AuctionPlatform.id).where(AuctionPlatform.code == code)) is not None:
        raise Conflict(
            f"an auction platform with the code {code!r} exists already", zh=f"代码为 {code} 的拍卖平台已存在"
        )
    platform = AuctionPlatform(
        code=code,
        name=name.strip(),
        base_url=base_url.rstrip("/"),
        api_key=api_key,
        webhook_secret=webhook_secret,
        added_at=clock.now(),
    )
    session.add(platform)
    session.flush()
    return platform


def platform_of(session: Session, code: str, *, active: bool = True) -> AuctionPlatform:
    """The platform of this code (an active one unless ``active`` is False); NotFound otherwise."""
    platform = session.scalar(select(AuctionPlatform).where(AuctionPlatform.code == code))
    if platform is None or (active and not platform.active):
        raise NotFound(
            f"no active auction platform {code!r}",
            zh=f"没有可用的网络司法拍卖平台 {code}",
        )
    return platform


__all__ = ["CODE", "add_platform", "platform_of"]
