"""A simulated price-inquiry platform (司法网络询价平台): docs/INQUIRY_PROTOCOL.md, the platform's side."""

from api.simulators.inquiry.app import create_app, mount
from api.simulators.inquiry.platforms import SimPlatform, demo_platforms

__all__ = ["SimPlatform", "create_app", "demo_platforms", "mount"]
