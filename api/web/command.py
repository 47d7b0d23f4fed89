"""指挥中心: the command center's page."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from api.deps import SessionDep
from api.web import regionmap
from api.web import session as web
from api.web.pages import PageRoute, render
from car_enforce.case_money import figures as money_figures
from car_enforce.case_money.rules import PAYOUT_DAYS
from car_enforce.core.identity.models import Organisation, OrgKind, Role
from car_enforce.sightings import alerts
from car_enforce.stages import figures

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/command")
def command_center(request: Request, session: SessionDep) -> Response:
    """指挥中心: the region's map with the centers and the recent captures and hits, the journey's times
    against the seed's anchors, the case money's payouts (average days from arrival, share paid within 30
    days), and the deviation warnings. An officer sees the court's own; the operator,
    every court's."""
    who = web.require(request, session, Role.OFFICER, Role.ADMIN)
    court_id = who.organisation_id if who.role == Role.OFFICER else None
    found = figures.figures(session, court_id)
    drawn = regionmap.region_map(session)
    places: list[tuple[float | None, float | None, str, str]] = [
        (c.lon, c.lat, "center", c.name)
        for c in session.scalars(select(Organisation).where(Organisation.kind == OrgKind.AUX_CENTER))
    ]
    places += [(c.lon, c.lat, "capture", f"扣押 {c.plate_reported or ''}") for c in found.captures]
    places += [
        (a.lon, a.lat, "hit", f"预警 {a.plate}") for a in alerts.recent_hits(session, court_id, limit=200)
    ]
    dots = [
        dot
        for lon, lat, kind, title in places
        if drawn is not None and lon is not None and lat is not None
        if (dot := drawn.dot(lon, lat, kind, title)) is not None
    ]
    return render(
        request,
        "command.html",
        who=who,
        f=found,
        money=money_figures.payout_days(session, court_id=court_id),
        payout_days=PAYOUT_DAYS,
        payout_anchor=money_figures.ANCHOR_DAYS,
        m=drawn,
        dots=dots,
        anchors={"watch": figures.WATCH_TO_CAPTURE_DAYS, "listing": figures.SEIZURE_TO_LISTING_WORKING_DAYS},
        stage_words={"intake": "扣押→入库", "inspection": "入库→检测", "reference_price": "检测→参考价"},
    )
