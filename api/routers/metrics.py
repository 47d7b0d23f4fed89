"""``GET /metrics`` for a Prometheus scraper, which has no user login: open, or behind a token of its own.

With ``CARENFORCE_METRICS_TOKEN`` set the scraper sends it as ``Authorization: Bearer <token>`` (Prometheus'
``authorization`` scrape setting); without it the route answers anyone who reaches the port.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from api import metrics
from car_enforce.core.errors import Unauthenticated
from car_enforce.core.settings import get_settings

router = APIRouter(tags=["operations"])


def scraper(authorization: Annotated[str | None, Header()] = None) -> None:
    """The metrics token, when one is set, as a bearer token."""
    token = get_settings().metrics_token
    if not token:
        return
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Unauthenticated(
            "send the metrics token as 'Authorization: Bearer <token>'",
            zh="请以 Authorization: Bearer <令牌> 提供监控指标令牌",
        )


# Not in the API's document: it is for the monitoring system, not for the platform's callers.
@router.get("/metrics", include_in_schema=False, dependencies=[Depends(scraper)])
def read_metrics(accept: Annotated[str, Header()] = "") -> Response:
    body, content_type = metrics.exposition(accept)
    return Response(body, headers={"Content-Type": content_type})
