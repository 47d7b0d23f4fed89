"""The police unit's pages: the alerts routed to its area, arriving without a reload."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import SessionDep
from api.web import session as web
from api.web.pages import PageRoute, render
from car_enforce.core.identity.models import Role
from car_enforce.sightings import alerts

router = APIRouter(route_class=PageRoute, include_in_schema=False)
LIVE_ROWS = 100  # the alerts a duty desk's page shows; older ones are in the API's feed


@router.get("/police/alerts")
def police_alerts(request: Request, session: SessionDep) -> Response:
    """The alerts routed to the unit, newest first; new ones appear as they come (live.js polls the rows)."""
    who = web.require(request, session, Role.POLICE_ADAPTER)
    assert who.organisation_id is not None
    rows = alerts.recent_dispatches(session, who.organisation_id, LIVE_ROWS)
    cursor = rows[0].seq if rows else alerts.newest_dispatch_seq(session)
    return render(request, "police_alerts.html", who=who, rows=rows, cursor=cursor)


@router.get("/police/alerts/rows")
def police_alert_rows(request: Request, session: SessionDep, after: int = 0) -> Response:
    """The rows of alerts routed after ``after``, newest first, for the page to put on top; its cursor in
    ``X-Cursor``."""
    who = web.require(request, session, Role.POLICE_ADAPTER)
    assert who.organisation_id is not None
    rows = list(reversed(alerts.dispatches_after(session, who.organisation_id, max(after, 0), LIVE_ROWS)))
    response = render(request, "police_alert_rows.html", who=who, rows=rows)
    response.headers["X-Cursor"] = str(rows[0].seq if rows else after)
    return response
