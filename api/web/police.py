"""The police unit's pages: the alerts routed to its area, arriving without a reload; its cameras on a map
with their last-seen times and clock-skew flags; and the capture report (扣押) with photos from the phone."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from api.deps import SessionDep
from api.web import regionmap, uploads
from api.web import session as web
from api.web.pages import PageRoute, form_error, org_name, refusal, render
from api.web.words import CAPTURE_STATUS_NAMES
from car_enforce.captures import service as captures
from car_enforce.captures.schemas import CaptureReport, HandoverIn, OfficerIn, PlaceConfirmationIn, PlaceIn
from car_enforce.core import clock
from car_enforce.core.clock import SHANGHAI
from car_enforce.core.errors import DomainError
from car_enforce.core.files.photos import PhotoIn
from car_enforce.core.identity.models import Organisation, Role
from car_enforce.core.identity.principal import Principal
from car_enforce.sightings import alerts, cameras
from car_enforce.vehicles.models import PlateColour

router = APIRouter(route_class=PageRoute, include_in_schema=False)
LIVE_ROWS = 100  # the alerts a duty desk's page shows; older ones are in the API's feed
PICK_ALERTS = 30  # the open alerts a capture report offers to fill the car and the place from
CAPTURE_ROWS = 100
CHART_HOURS = 24

CAMERA_STATES = {
    cameras.CameraState.RECENT: "正常",
    cameras.CameraState.SKEWED: "时钟偏差",
    cameras.CameraState.SILENT: "长时间无数据",
    cameras.CameraState.NEVER: "从未上报",
}
CAPTURE_STATES = CAPTURE_STATUS_NAMES
PLATE_COLOURS = {
    PlateColour.BLUE: "蓝牌",
    PlateColour.YELLOW: "黄牌",
    PlateColour.GREEN: "绿牌（新能源小型车）",
    PlateColour.YELLOW_GREEN: "黄绿牌（新能源大型车）",
    PlateColour.WHITE: "白牌",
    PlateColour.BLACK: "黑牌",
}
DATUMS = {"WGS84": "WGS84（手机定位、GPS）", "GCJ02": "GCJ-02（高德、腾讯等国内地图）"}
# The form's fields, in the order a refusal is looked for beside them.
CAPTURE_FIELDS = (
    "alert_id",
    "report_number",
    "plate",
    "plate_colour",
    "vin",
    "captured_at",
    "place",
    "address",
    "officers",
    "handover",
    "photos",
)
_KEY = re.compile(r"[0-9A-Za-z-]{8,40}")


def skew_words(seconds: int) -> str:
    """How far a camera's clock is off, for the person who goes to reset it: ``时钟快约8小时``."""
    way = "快" if seconds > 0 else "慢"
    size = abs(seconds)
    for unit, word in ((365 * 86400, "年"), (86400, "天"), (3600, "小时"), (60, "分钟")):
        if size >= unit:
            amount = size / unit
            shown = f"{amount:.1f}".removesuffix(".0") if amount < 10 else f"{amount:.0f}"
            return f"时钟{way}约{shown}{word}"
    return f"时钟{way}{size}秒"


def _unit(request: Request, session: Session) -> tuple[Principal, int]:
    who = web.require(request, session, Role.POLICE_ADAPTER)
    assert who.organisation_id is not None
    return who, who.organisation_id


# --- alerts -------------------------------------------------------------------------------------------


@router.get("/police/alerts")
def police_alerts(request: Request, session: SessionDep) -> Response:
    """The alerts routed to the unit, newest first; new ones appear as they come (live.js polls the rows)."""
    who, unit_id = _unit(request, session)
    rows = alerts.recent_dispatches(session, unit_id, LIVE_ROWS)
    cursor = rows[0].seq if rows else alerts.newest_dispatch_seq(session)
    return render(request, "police_alerts.html", who=who, rows=rows, cursor=cursor)


@router.get("/police/alerts/rows")
def police_alert_rows(request: Request, session: SessionDep, after: int = 0) -> Response:
    """The rows of alerts routed after ``after``, newest first, for the page to put on top; its cursor in
    ``X-Cursor``."""
    who, unit_id = _unit(request, session)
    rows = list(reversed(alerts.dispatches_after(session, unit_id, max(after, 0), LIVE_ROWS)))
    response = render(request, "police_alert_rows.html", who=who, rows=rows)
    response.headers["X-Cursor"] = str(rows[0].seq if rows else after)
    return response


# --- cameras ------------------------------------------------------------------------------------------


@router.get("/police/cameras")
def police_cameras(request: Request, session: SessionDep) -> Response:
    """The unit's cameras on a map of its own area, coloured by state, and in a table with each one's
    last-seen time and the skew of its clock."""
    who, unit_id = _unit(request, session)
    now = clock.now()
    health = cameras.camera_health(session, unit_id, now)
    unit = session.get(Organisation, unit_id)
    drawn = regionmap.area_map(session, unit.jurisdiction_id if unit is not None else None)
    dots = []
    for h in health:
        c = h.camera
        if drawn is None or c.lon is None or c.lat is None:
            continue
        title = f"{c.external_id or '未标识'} {c.name} · {CAMERA_STATES[h.state]}"
        dot = drawn.dot(c.lon, c.lat, f"camera {h.state}", title)
        if dot is not None:
            dots.append(dot)
    return render(
        request,
        "police_cameras.html",
        who=who,
        health=health,
        m=drawn,
        dots=dots,
        states=CAMERA_STATES,
        skew_words=skew_words,
        silent_hours=int(cameras.SILENT_AFTER.total_seconds() // 3600),
        off_map=len(health) - len(dots),
    )


@router.get("/police/cameras/{camera_id}")
def police_camera(camera_id: int, request: Request, session: SessionDep) -> Response:
    """One of the unit's cameras: where it stands, when it was last heard, its clock, its reads by hour."""
    who, _ = _unit(request, session)
    camera = cameras.visible_camera(session, who, camera_id)
    now = clock.now()
    hours = cameras.hourly_reads(session, camera, now, CHART_HOURS)
    return render(
        request,
        "police_camera.html",
        who=who,
        c=camera,
        state=cameras.state_of(camera, now),
        skewed=cameras.clock_skewed(camera),
        states=CAMERA_STATES,
        skew_words=skew_words,
        hours=hours,
        most=max([h.reads for h in hours] + [1]),
    )


# --- captures -----------------------------------------------------------------------------------------


@router.get("/police/captures")
def police_captures(request: Request, session: SessionDep) -> Response:
    """The captures the unit reported, newest first."""
    who, _ = _unit(request, session)
    rows = captures.list_captures(session, who, status=None, limit=CAPTURE_ROWS, offset=0)
    return render(request, "police_captures.html", who=who, rows=rows, states=CAPTURE_STATES)


def _new_key() -> str:
    """The form's own report number, made when the form is shown: a resent form is the same report."""
    return f"{clock.local(clock.now()):%Y%m%d}-{secrets.token_hex(4).upper()}"


def _capture_form(
    request: Request,
    session: Session,
    who: Principal,
    unit_id: int,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    if form is None:
        form = {
            "key": _new_key(),
            "captured_at": f"{clock.local(clock.now()):%Y-%m-%dT%H:%M}",
            "datum": "WGS84",
            "keys": "0",
        }
    return render(
        request,
        "police_capture_form.html",
        status_code=status_code,
        who=who,
        picks=alerts.open_alerts_of_unit(session, unit_id, PICK_ALERTS),
        colours=PLATE_COLOURS,
        datums=DATUMS,
        errors=errors or {},
        form=form,
    )


@router.get("/police/captures/new")
def new_capture(request: Request, session: SessionDep) -> Response:
    who, unit_id = _unit(request, session)
    return _capture_form(request, session, who, unit_id)


def _number(text: str, field: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise form_error(field, f"{what}应为数字，如 120.5605") from None


def _report(session: Session, who: Principal, fields: dict[str, str], photos: list[PhotoIn]) -> CaptureReport:
    """The form as the API's report; a value the page can tell is wrong is refused in the person's words."""
    key = fields.get("key", "")
    if not _KEY.fullmatch(key):
        raise form_error("form", "表单缺少报告编号，请刷新页面后重新填写")
    alert = None
    if fields.get("alert_id"):
        if not fields["alert_id"].isdigit():
            raise form_error("alert_id", "请从列表中选择预警")
        alert = alerts.visible_alert(session, who, int(fields["alert_id"]))
    plate = fields.get("plate", "").strip() or (alert.plate if alert is not None else "")
    vin = fields.get("vin", "").strip()
    if not plate and not vin:
        raise form_error("plate", "请填写号牌号码（或车辆识别代号）")
    colour = fields.get("plate_colour") or (alert.plate_colour if alert is not None else "")
    try:
        captured_at = datetime.fromisoformat(fields.get("captured_at", "")).replace(tzinfo=SHANGHAI)
    except ValueError:
        raise form_error("captured_at", "请填写扣押时间（年-月-日 时:分）") from None
    lon_text, lat_text = fields.get("lon", "").strip(), fields.get("lat", "").strip()
    datum = fields.get("datum") or "WGS84"
    seen_at = (alert.lon, alert.lat) if alert is not None else (None, None)
    if not lon_text and not lat_text and seen_at[0] is not None and seen_at[1] is not None:
        lon, lat, datum = seen_at[0], seen_at[1], "WGS84"  # the alert's place is stored in WGS84
    elif not lon_text or not lat_text:
        raise form_error("place", "请填写扣押地点的经纬度：选择预警、使用手机定位，或手工填写")
    else:
        lon, lat = _number(lon_text, "place", "经度"), _number(lat_text, "place", "纬度")
    officers = [
        (fields.get(f"{n}_name", "").strip(), fields.get(f"{n}_badge", "").strip())
        for n in ("officer", "officer2")
    ]
    if not all(officers[0]):
        raise form_error("officers", "请填写扣押民警的姓名和警号")
    if any(officers[1]) and not all(officers[1]):
        raise form_error("officers", "第二位民警的姓名和警号应一并填写")
    keys = fields.get("keys", "").strip() or "0"
    if not keys.isdigit():
        raise form_error("handover", "钥匙数量应为整数")
    return CaptureReport(
        report_number=fields.get("report_number", "").strip() or f"WEB-{key}",
        plate=plate or None,
        plate_colour=PlateColour(colour) if colour else None,
        vin=vin or None,
        watch_id=alert.watch_id if alert is not None else None,
        captured_at=captured_at,
        place=PlaceIn(lon=lon, lat=lat, datum=datum, address=fields.get("address", "").strip()),
        officers=[OfficerIn(name=name, badge_number=badge) for name, badge in officers if name],
        handover=HandoverIn(
            registration_certificate=fields.get("registration_certificate") == "1",
            keys=int(keys),
            belongings=[line.strip() for line in fields.get("belongings", "").splitlines() if line.strip()],
            notes=fields.get("notes", ""),
        ),
        photos=photos,
    )


@router.post("/police/captures")
async def report_capture(request: Request, session: SessionDep) -> Response:
    """Report a capture from the form (multipart, with the phone's photos). The form's report number,
    made when it was shown, makes a resent form the same report: it stores nothing twice."""
    who, unit_id = _unit(request, session)
    form = await request.form()
    web.check_csrf(request, str(form.get("csrf", "")))
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "csrf"}
    photos = await uploads.photos_in(form)
    try:
        data = _report(session, who, fields, photos)
        with session.begin_nested():
            capture, created = captures.report_capture(session, actor=who, data=data)
    except (DomainError, ValueError) as exc:
        status, errors = refusal(exc, CAPTURE_FIELDS)
        errors = {_beside(field): text for field, text in errors.items()}
        if photos:
            errors.setdefault("photos", f"已选的{len(photos)}张照片未保存，请重新选择后提交")
        return _capture_form(request, session, who, unit_id, status_code=status, errors=errors, form=fields)
    again = "" if created else "?again=1"
    return RedirectResponse(f"/police/captures/{capture.id}{again}", status_code=303)


def _beside(field: str) -> str:
    """The form field a refusal goes beside: ``photos[0].content_base64`` → ``photos``."""
    head = re.split(r"[.\[]", field, maxsplit=1)[0]
    return head if head in CAPTURE_FIELDS or head == "form" else "form"


def _capture_page(
    request: Request,
    session: Session,
    who: Principal,
    capture_id: int,
    *,
    status_code: int = 200,
    again: bool = False,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    capture = captures.visible_capture(session, who, capture_id)
    return render(
        request,
        "police_capture.html",
        status_code=status_code,
        who=who,
        c=capture,
        court=org_name(session, capture.court_id),
        states=CAPTURE_STATES,
        datums=DATUMS,
        again=again,
        errors=errors or {},
        form=form or {"datum": "WGS84"},
    )


@router.get("/police/captures/{capture_id}")
def police_capture(capture_id: int, request: Request, session: SessionDep, again: int = 0) -> Response:
    """A capture the unit reported: where the car goes, its state, the handover and the photos; a capture
    held for its place, with the forms that confirm or correct it."""
    who, _ = _unit(request, session)
    return _capture_page(request, session, who, capture_id, again=bool(again))


@router.post("/police/captures/{capture_id}/confirm-place")
def confirm_place(
    capture_id: int,
    request: Request,
    session: SessionDep,
    as_reported: Annotated[str, Form(max_length=1)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
    lon: Annotated[str, Form(max_length=32)] = "",
    lat: Annotated[str, Form(max_length=32)] = "",
    datum: Annotated[str, Form(max_length=16)] = "WGS84",
    address: Annotated[str, Form(max_length=256)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """The place of a held capture: right as reported (with a note why), or corrected; the car then goes
    to its center and the center is told."""
    who, _ = _unit(request, session)
    web.check_csrf(request, csrf)
    capture = captures.visible_capture(session, who, capture_id)
    form = {"note": note, "lon": lon, "lat": lat, "datum": datum, "address": address}
    try:
        if as_reported == "1":
            data = PlaceConfirmationIn(as_reported=True, note=note)
        else:
            place = PlaceIn(
                lon=_number(lon.strip(), "place", "经度"),
                lat=_number(lat.strip(), "place", "纬度"),
                datum=datum,
                address=address,
            )
            data = PlaceConfirmationIn(place=place, note=note)
        with session.begin_nested():
            captures.confirm_place(session, actor=who, capture=capture, data=data)
    except (DomainError, ValueError) as exc:
        status, errors = refusal(exc, ("place", "note"))
        # Beside the form it concerns: the note of a confirmation, the coordinates of a correction.
        beside = "note" if as_reported == "1" else "place"
        errors = {beside if _beside(k) in ("form", "place") else _beside(k): v for k, v in errors.items()}
        return _capture_page(request, session, who, capture_id, status_code=status, errors=errors, form=form)
    return RedirectResponse(f"/police/captures/{capture_id}", status_code=303)
