"""The public lots as feeds: RSS 2.0, Atom 1.0 (RFC 4287) and JSON Feed 1.1, from ``feeds.PublicLot`` only,
so a feed can show nothing the public listing does not. The XML is built as a tree and serialised by
ElementTree, which escapes every text and attribute.

An entry's id is its lot page's address on this site's public base URL: the same round keeps the same id in
every format and every fetch, and a reader that follows it lands on the page.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from auction.feeds import PublicLot
from car_enforce.core import zh

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_NS = "http://www.w3.org/XML/1998/namespace"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
JSON_FEED_TYPE = "application/feed+json; charset=utf-8"
TITLE = "云执车 · 司法拍卖标的"
DESCRIPTION = (
    "人民法院网络司法拍卖、变卖的机动车标的：公告、起拍价、竞价时间与结果。不含当事人及竞买人个人信息。"
)

ET.register_namespace("atom", ATOM_NS)  # RSS's self link; the Atom feed itself is written unprefixed


@dataclass(frozen=True, slots=True)
class Site:
    """Where the feeds live: absolute addresses are built on this base (the deployment's public URL)."""

    base_url: str

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


def entry_title(lot: PublicLot) -> str:
    return f"【{lot.kind_zh}】{lot.title}"


def entry_text(lot: PublicLot) -> str:
    """The entry's text: who sells, the terms, the time, where it stands."""
    lines = [
        f"{lot.court}｜{lot.status_zh}",
        f"起拍价{zh.yuan_text(lot.starting_price_fen)}，保证金{zh.yuan_text(lot.deposit_fen)}，"
        f"增价幅度{zh.yuan_text(lot.increment_fen)}",
        f"竞价时间：{zh.minute(lot.starts_at)}至{zh.minute(lot.effective_end_at)}",
    ]
    if lot.price_fen is not None and lot.sale is None:
        lines.append(f"当前价{zh.yuan_text(lot.price_fen)}（{lot.bids}次出价）")
    if lot.sale is not None:
        lines.append(
            f"成交价{zh.yuan_text(lot.sale.price_fen)}，竞买号{lot.sale.buyer_number}，"
            f"成交确认书{lot.sale.confirmation_number}"
        )
    if lot.suspend_reason:
        lines.append(f"暂缓原因：{lot.suspend_reason}")
    return "\n".join(lines)


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def last_modified(lots: Sequence[PublicLot], fallback: datetime) -> datetime:
    return max((lot.updated_at for lot in lots), default=fallback)


def _xml(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def rss(lots: Sequence[PublicLot], site: Site, *, updated: datetime) -> bytes:
    """RSS 2.0: the channel with its self link (atom:link), one item per round."""
    root = ET.Element("rss", version="2.0")
    channel = _sub(root, "channel")
    _sub(channel, "title", TITLE)
    _sub(channel, "link", site.url("/auctions"))
    _sub(channel, "description", DESCRIPTION)
    _sub(channel, "language", "zh-cn")
    _sub(channel, "lastBuildDate", format_datetime(updated.astimezone(UTC), usegmt=True))
    _sub(
        channel,
        f"{{{ATOM_NS}}}link",
        href=site.url("/feeds/lots.rss"),
        rel="self",
        type="application/rss+xml",
    )
    for lot in lots:
        page = site.url(lot.url)
        item = _sub(channel, "item")
        _sub(item, "title", entry_title(lot))
        _sub(item, "link", page)
        _sub(item, "guid", page, isPermaLink="true")
        _sub(item, "pubDate", format_datetime(lot.announced_at.astimezone(UTC), usegmt=True))
        _sub(item, "description", entry_text(lot))
        _sub(item, "category", lot.status_zh)
        _sub(item, "category", lot.court)
    return _xml(root)


def atom(lots: Sequence[PublicLot], site: Site, *, updated: datetime) -> bytes:
    """Atom 1.0 (RFC 4287): the feed's id, title, updated, author and self link; each entry's id, title,
    updated, published, author (the court), alternate link, summary and categories."""

    def tag(name: str) -> str:
        return name  # unprefixed, in the default namespace the root declares

    # ElementTree's default_namespace wants every attribute qualified too; Atom's attributes are not.
    root = ET.Element("feed", {"xmlns": ATOM_NS, f"{{{XML_NS}}}lang": "zh-CN"})
    _sub(root, tag("id"), site.url("/feeds/lots.atom"))
    _sub(root, tag("title"), TITLE)
    _sub(root, tag("subtitle"), DESCRIPTION)
    _sub(root, tag("updated"), _rfc3339(updated))
    _sub(_sub(root, tag("author")), tag("name"), "云执车")
    _sub(root, tag("link"), rel="self", type="application/atom+xml", href=site.url("/feeds/lots.atom"))
    _sub(root, tag("link"), rel="alternate", type="text/html", href=site.url("/auctions"))
    for lot in lots:
        page = site.url(lot.url)
        entry = _sub(root, tag("entry"))
        _sub(entry, tag("id"), page)
        _sub(entry, tag("title"), entry_title(lot))
        _sub(entry, tag("updated"), _rfc3339(lot.updated_at))
        _sub(entry, tag("published"), _rfc3339(lot.announced_at))
        _sub(_sub(entry, tag("author")), tag("name"), lot.court)
        _sub(entry, tag("link"), rel="alternate", type="text/html", href=page)
        _sub(entry, tag("summary"), entry_text(lot), type="text")
        _sub(entry, tag("category"), term=lot.status, label=lot.status_zh)
    return _xml(root)


def json_feed(lots: Sequence[PublicLot], site: Site) -> bytes:
    """JSON Feed 1.1: each item's id, url, title, content_text, summary, dates and tags, and the round's
    figures under ``_auction`` (an extension: keys starting with an underscore, as the spec asks)."""
    items: list[dict[str, Any]] = []
    for lot in lots:
        page = site.url(lot.url)
        items.append(
            {
                "id": page,
                "url": page,
                "title": entry_title(lot),
                "content_text": entry_text(lot),
                "summary": f"{lot.court}｜{lot.status_zh}｜起拍价{zh.yuan_text(lot.starting_price_fen)}",
                "date_published": _rfc3339(lot.announced_at),
                "date_modified": _rfc3339(lot.updated_at),
                "authors": [{"name": lot.court}],
                "language": "zh-CN",
                "tags": [lot.kind_zh, lot.status_zh],
                "_auction": {
                    "about": site.url("/docs"),  # where the API documents these fields
                    **lot.model_dump(
                        mode="json",
                        include={
                            "round_id",
                            "lot_id",
                            "status",
                            "kind",
                            "starting_price_fen",
                            "deposit_fen",
                            "increment_fen",
                            "price_fen",
                            "bids",
                            "starts_at",
                            "effective_end_at",
                            "sale",
                        },
                    ),
                },
            }
        )
    feed = {
        "version": JSON_FEED_VERSION,
        "title": TITLE,
        "home_page_url": site.url("/auctions"),
        "feed_url": site.url("/feeds/lots.json"),
        "description": DESCRIPTION,
        "language": "zh-CN",
        "authors": [{"name": "云执车"}],
        "items": items,
    }
    return json.dumps(feed, ensure_ascii=False, separators=(",", ":")).encode()
