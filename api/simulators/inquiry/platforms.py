"""A simulated inquiry platform's identity: its code, name, shared secret and price profile."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from car_enforce.core.outbound.standard_webhooks import SECRET_PREFIX
from valuation.estimate import PLATFORMS, PriceSource
from valuation.reference_price.rules import VALIDITY_MAX_MONTHS

MIN_SECRET_CHARS = 32  # as the court's side requires of a platform's secret
# In a URL path and in webhook ids, which the Standard Webhooks signature delimits with full stops.
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,31}$")
DEMO_CODES = ("platform-a", "platform-b", "platform-c")


@dataclass(frozen=True, slots=True)
class SimPlatform:
    """One simulated platform; ``secret`` is shared with the court and keys both directions."""

    code: str
    name: str
    secret: str
    source: PriceSource
    report_valid_months: int = 6

    def __post_init__(self) -> None:
        if not CODE_PATTERN.match(self.code):
            raise ValueError(f"a platform code is 2-32 of a-z, 0-9 and '-', not {self.code!r}")
        if len(self.secret) < MIN_SECRET_CHARS:
            raise ValueError(f"a platform secret has at least {MIN_SECRET_CHARS} characters")
        # 参考价规定 Art. 27: a result is valid for one year at most.
        if not 1 <= self.report_valid_months <= VALIDITY_MAX_MONTHS:
            raise ValueError(f"a report is valid 1 to {VALIDITY_MAX_MONTHS} months")


def demo_secret(secret_prefix: str, code: str) -> str:
    """A secret derived from the prefix and the code, in the ``whsec_`` form (32 bytes of key)."""
    digest = hashlib.sha256(f"{secret_prefix}:{code}".encode()).digest()
    return SECRET_PREFIX + base64.b64encode(digest).decode("ascii")


def demo_platforms(secret_prefix: str) -> tuple[SimPlatform, ...]:
    """The demo region's three platforms (模拟询价平台甲/乙/丙), each with its own price profile."""
    return tuple(
        SimPlatform(code=code, name=source.name, secret=demo_secret(secret_prefix, code), source=source)
        for code, source in zip(DEMO_CODES, PLATFORMS, strict=True)
    )
