"""A simulated outside judicial-auction platform: docs/AUCTION_PLATFORM_PROTOCOL.md, the platform's side."""

from __future__ import annotations

import base64
import hashlib

from api.simulators.auction_platform.app import SimAuctionPlatform, create_app, mount
from car_enforce.core.outbound.standard_webhooks import SECRET_PREFIX
from car_enforce.core.settings import Settings

PREFIX = "/sim/auction"  # where `carenforce serve` mounts it: its base URL is then PREFIX/<code>


def demo_platform(settings: Settings) -> SimAuctionPlatform:
    """The demo's one outside platform, its API key and webhook secret derived from the settings."""
    digest = hashlib.sha256(f"{settings.auction_sim_secret}:{settings.auction_sim_code}".encode()).digest()
    return SimAuctionPlatform(
        code=settings.auction_sim_code,
        name=settings.auction_sim_name,
        api_key=hashlib.sha256(b"api-key:" + digest).hexdigest(),
        webhook_secret=SECRET_PREFIX + base64.b64encode(digest).decode("ascii"),
    )


__all__ = ["PREFIX", "SimAuctionPlatform", "create_app", "demo_platform", "mount"]
