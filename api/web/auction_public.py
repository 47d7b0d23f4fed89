"""The public auction pages: the listing of lots and each lot's page, with its announcement, the car's photos
and inspection report. No login needed; they show what the public JSON API shows (``auction.feeds``), and a
person logged in sees them with their own menu."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import SessionDep
from api.web import session as web
from api.web.auction_room import room_context
from api.web.pages import PageRoute, render
from auction import feeds
from auction.models import AuctionRound
from car_enforce.core.db import MAX_ROW_ID, RowId
from car_enforce.core.files.photos import PhotoPosition
from valuation.inspection import report

router = APIRouter(route_class=PageRoute, include_in_schema=False)
# A car's photos do not change at a position (a correction is a new record), and anyone may see them.
PUBLIC_IMAGE_CACHE = "public, max-age=3600"
FEED_LINKS = (
    ("application/rss+xml", "RSS", "/feeds/lots.rss"),
    ("application/atom+xml", "Atom", "/feeds/lots.atom"),
    ("application/feed+json", "JSON Feed", "/feeds/lots.json"),
)
RoundId = Annotated[RowId, Path()]
Position = Annotated[PhotoPosition, Path()]


@router.get("/auctions")
def listing(
    request: Request,
    session: SessionDep,
    before: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> Response:
    page = feeds.public_lots(session, before=before, limit=24)
    return render(
        request,
        "auction_list.html",
        who=web.principal(request, session),
        page=page,
        before=before,
        feed_links=FEED_LINKS,
    )


@router.get("/auctions/{round_id}")
def lot(round_id: RoundId, request: Request, session: SessionDep) -> Response:
    found = feeds.lot_page(session, round_id)
    who = web.principal(request, session)
    rnd = session.get(AuctionRound, found.round_id)
    assert rnd is not None  # lot_page found it public
    return render(
        request,
        "auction_lot.html",
        who=who,
        lot=found,
        round_id=found.round_id,
        **room_context(session, rnd, who),
    )


def _image(found: tuple[bytes, str]) -> Response:
    content, media = found
    return Response(content, media_type=media, headers={"Cache-Control": PUBLIC_IMAGE_CACHE})


@router.get("/auctions/{round_id}/photos/{position}")
def intake_photo(round_id: RoundId, position: Position, session: SessionDep) -> Response:
    return _image(feeds.intake_photo(session, round_id, position))


@router.get("/auctions/{round_id}/defects/{defect_id}/photos/{position}")
def defect_photo(
    round_id: RoundId, defect_id: Annotated[RowId, Path()], position: Position, session: SessionDep
) -> Response:
    return _image(feeds.defect_photo(session, round_id, defect_id, position))


@router.get("/auctions/{round_id}/inspection")
def inspection_report(round_id: RoundId, session: SessionDep) -> Response:
    """The car's inspection report as the public may read it, its defects' photos served beside the lot."""
    data = feeds.public_report(session, round_id)

    def photo_url(_report: report.Report, photo: report.ReportPhoto) -> str:
        return f"/auctions/{round_id}/defects/{photo.defect_id}/photos/{photo.position}"

    return HTMLResponse(report.render_html(data, photo_url))
