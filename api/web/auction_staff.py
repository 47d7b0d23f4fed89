"""The auction pages of the court's officers and the auction staff: their lots, a new lot from a priced car,
one lot's announcement, priority buyers, rounds (drafted beside the lawful bounds the rules compute),
notices, announcement, stops, the next step after an unsold round, results and the 成交确认书."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from api.deps import SessionDep
from api.web import session as web
from api.web.auction_room import ROUND_STATUS_NAMES
from api.web.pages import PageRoute, form_error, refusal, render
from api.web.sale_progress import PROOF_NAMES, SERVICE_WAYS, STATE_NAMES, Progress, progress
from auction import bidding, closing, lots, rules, stops
from auction import rounds as auction_rounds
from auction.models import AuctionLot, AuctionRound, LotStatus, PriorityBuyer, RoundStatus
from auction.rules import articles as a
from auction.settlement import service as settlement_service
from car_enforce.core import clock, zh
from car_enforce.core.calendar.service import load_calendar
from car_enforce.core.errors import DomainError, NotFound
from car_enforce.core.identity.models import OrgKind, Role
from car_enforce.core.identity.principal import Principal
from car_enforce.custody.models import Custody, CustodyStatus
from valuation.reference_price.models import PricingStatus, ReferencePrice

router = APIRouter(route_class=PageRoute, include_in_schema=False)
STAFF = (Role.OFFICER, Role.AUCTION_STAFF)

LOT_STATUS_NAMES = {
    LotStatus.SELLING: "拍卖中",
    LotStatus.SOLD: "已成交",
    LotStatus.OFFSET: "以物抵债",
    LotStatus.RETURNED: "解除查封并退还",
    LotStatus.WITHDRAWN: "已撤回",
}
NOTICE_WAY_NAMES = {
    rules.NoticeWay.SERVED: "已送达",
    rules.NoticeWay.PUBLISHED: "无法通知，在平台公示",
    rules.NoticeWay.WAIVED: "已书面放弃",
}


def _priced_cars(session: Session, who: Principal) -> list[tuple[Custody, ReferencePrice]]:
    """Cars held at a center with a fixed reference price and no lot selling or sold."""
    query = (
        select(Custody, ReferencePrice)
        .join(ReferencePrice, ReferencePrice.custody_id == Custody.id)
        .where(
            Custody.status == CustodyStatus.IN_CUSTODY,
            ReferencePrice.status == PricingStatus.PRICED,
            ~exists().where(
                AuctionLot.custody_id == Custody.id,
                AuctionLot.status.in_((LotStatus.SELLING, LotStatus.SOLD)),
            ),
        )
        .order_by(Custody.id)
    )
    if who.organisation_kind != OrgKind.AUCTION_PLATFORM:
        query = query.where(Custody.court_id == who.organisation_id)
    return [(c, p) for c, p in session.execute(query)]


@router.get("/auction/lots")
def lot_list(request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, *STAFF)
    return _render_lots(request, session, who)


def _render_lots(
    request: Request, session: Session, who: Principal, *, status_code: int = 200, error: str = ""
) -> HTMLResponse:
    rows = list(session.scalars(lots.LOTS.select(who).order_by(AuctionLot.id.desc()).limit(200)))
    return render(
        request,
        "auction_lots.html",
        status_code=status_code,
        who=who,
        lots=rows,
        cars=_priced_cars(session, who),
        lot_names=LOT_STATUS_NAMES,
        round_names=ROUND_STATUS_NAMES,
        error=error,
    )


@router.post("/auction/lots")
def open_lot(
    request: Request,
    session: SessionDep,
    custody_id: Annotated[int, Form()] = 0,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """新建标的 from a priced car (参考价规定 Art. 30)."""
    who = web.require(request, session, *STAFF)
    web.check_csrf(request, csrf)
    custody = session.get(Custody, custody_id)
    if custody is None or not lots.manages(who, custody.court_id):
        raise NotFound(f"custody {custody_id} does not exist", zh="没有找到此扣押保管记录")
    try:
        with session.begin_nested():
            lot = lots.open_lot(session, actor=who, custody=custody)
    except DomainError as exc:
        status, problems = refusal(exc)
        return _render_lots(request, session, who, status_code=status, error="；".join(problems.values()))
    return RedirectResponse(f"/auction/lots/{lot.id}", status_code=303)


# --- one lot ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bounds:
    """The lawful bounds of the next round, computed by the rules for the form's side."""

    number: int
    resale: bool
    min_start_fen: int
    deposit_min_fen: int
    deposit_max_fen: int
    increment_fen: int
    announce_days: int
    earliest_start: date
    provisional: bool
    rule_start: str
    rule_announce: str


def _next_round(lot: AuctionLot) -> tuple[AuctionRound | None, tuple[rules.NextStep, ...]]:
    """The last closed round and what may follow it, or (None, ()) when a round is open or sold."""
    if lot.status != LotStatus.SELLING or any(
        r.status in lots.OPEN_ROUNDS | {RoundStatus.SOLD} for r in lot.rounds
    ):
        return None, ()
    closed = [r for r in lot.rounds if r.status in (RoundStatus.UNSOLD, RoundStatus.DEFAULTED)]
    if not closed:
        return None, (rules.NextStep.SECOND_ROUND,)  # the first round: drafted by the same form
    last = closed[-1]
    if last.status == RoundStatus.DEFAULTED:
        return last, (rules.NextStep.SECOND_ROUND,)  # a re-auction without the buyer who backed out
    return last, rules.after_unsold(rules.Stage(last.stage))


def _bounds(session: Session, lot: AuctionLot, last: AuctionRound | None) -> Bounds:
    """Round 1: at least 70% of the reference price; round 2: at most 20% below round 1 (Art. 10, 26); the
    deposit 5–20% of that floor (Art. 17); bidding no earlier than the announcement period after today."""
    resale = last is not None and last.status == RoundStatus.DEFAULTED
    second = last is not None and (last.number == 2 or (not resale and last.status == RoundStatus.UNSOLD))
    if second and last is not None:
        floor = last.starting_price_fen if resale else rules.second_round_floor(last.starting_price_fen)
        days, rule_start, rule_announce = a.ANNOUNCE_DAYS_AGAIN, a.RULE_AGAIN_CUT, a.RULE_AGAIN_ANNOUNCE
    else:
        floor = rules.min_starting_price(lot.reference_price_fen)
        days, rule_start, rule_announce = a.ANNOUNCE_DAYS_FIRST, a.RULE_START, a.RULE_ANNOUNCE
    low, high = rules.deposit_range(floor)
    earliest = load_calendar(session).court_period_end(clock.today_local(), days)
    return Bounds(
        number=2 if second else 1,
        resale=resale,
        min_start_fen=floor,
        deposit_min_fen=low,
        deposit_max_fen=high,
        increment_fen=rules.default_increment(floor),
        announce_days=days,
        earliest_start=earliest.on,
        provisional=earliest.provisional,
        rule_start=rule_start.zh,
        rule_announce=rule_announce.zh,
    )


def render_lot(
    request: Request,
    session: Session,
    who: Principal,
    lot_id: int,
    *,
    status_code: int = 200,
    form_errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    lot = lots.LOTS.load(session, who, lot_id)
    last, steps = _next_round(lot)
    rounds = sorted(lot.rounds, key=lambda r: r.sequence, reverse=True)
    return render(
        request,
        "auction_lot_staff.html",
        status_code=status_code,
        who=who,
        lot=lot,
        court=who.role == Role.OFFICER and who.organisation_id == lot.court_id,
        rounds=rounds,
        notices={
            r.id: auction_rounds.notices_of(session, r) for r in rounds if r.status == RoundStatus.DRAFT
        },
        bids={r.id: bidding.bids_of(session, r.id) for r in rounds if r.bids},
        confirmations={r.id: closing.confirmation_of(session, r.id) for r in rounds if r.status == "sold"},
        buyers=list(
            session.scalars(
                select(PriorityBuyer).where(PriorityBuyer.lot_id == lot.id).order_by(PriorityBuyer.rank)
            )
        ),
        editable=not any(r.status in (RoundStatus.ANNOUNCED, RoundStatus.SUSPENDED) for r in lot.rounds),
        items=rules.DISCLOSURE_NAMES_ZH,
        steps=steps,
        step_names=rules.NEXT_STEP_NAMES_ZH,
        bounds=_bounds(session, lot, last) if rules.NextStep.SECOND_ROUND in steps else None,
        lot_names=LOT_STATUS_NAMES,
        round_names=ROUND_STATUS_NAMES,
        way_names=NOTICE_WAY_NAMES,
        today=clock.today_local(),
        settlements=_settlements(session, rounds),
        state_names=STATE_NAMES,
        proof_names=PROOF_NAMES,
        service_ways=SERVICE_WAYS,
        form_errors=form_errors or {},
        form=form or {},
    )


def _settlements(session: Session, rounds: list[AuctionRound]) -> dict[int, Progress]:
    """The settlement of each sold round (and of one that ended in a default), as the court reads it."""
    found = {}
    for r in rounds:
        if r.status in (RoundStatus.SOLD, RoundStatus.DEFAULTED):
            settlement = settlement_service.of_round(session, r.id)
            if settlement is not None:
                base = f"/auction/settlements/{settlement.id}"
                found[r.id] = progress(session, settlement, base=base, buyer=False)
    return found


@router.get("/auction/lots/{lot_id}")
def lot_page(lot_id: int, request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, *STAFF)
    return render_lot(request, session, who, lot_id)


def _act(
    request: Request,
    session: Session,
    who: Principal,
    lot_id: int,
    form: dict[str, str],
    verb: Callable[[], object],
    *,
    prefix: str = "",
    anchor: str = "",
) -> Response:
    """Run one verb of the lot; a refusal shows the lot again with the rule beside the field it concerns
    (``prefix`` names the form, so two forms' fields of one name do not mix)."""
    try:
        with session.begin_nested():  # a refusal leaves nothing half-written behind the page
            verb()
    except (DomainError, ValueError) as exc:
        status, problems = refusal(exc, form)
        errors = {f"{prefix}{k}": v for k, v in problems.items()}
        shown = {f"{prefix}{k}": v for k, v in form.items()}
        return render_lot(request, session, who, lot_id, status_code=status, form_errors=errors, form=shown)
    return RedirectResponse(f"/auction/lots/{lot_id}{anchor}", status_code=303)


def _staff(request: Request, session: Session, csrf: str, lot_id: int) -> tuple[Principal, AuctionLot]:
    who = web.require(request, session, *STAFF)
    web.check_csrf(request, csrf)
    return who, lots.LOTS.load(session, who, lot_id)


def _round_of(session: Session, who: Principal, lot: AuctionLot, round_id: int) -> AuctionRound:
    rnd = lots.load_round(session, who, round_id)
    if rnd.lot_id != lot.id:
        raise NotFound(f"lot {lot.id} has no round {round_id}", zh="此标的没有该场拍卖")
    return rnd


def _instant(field: str, text: str) -> datetime:
    """A ``datetime-local`` field, read in Asia/Shanghai."""
    try:
        return datetime.fromisoformat(text).replace(tzinfo=clock.SHANGHAI)
    except ValueError:
        raise form_error(field, "请填写日期和时间") from None


def _day(field: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise form_error(field, "日期格式应为 年-月-日") from None


def _fen(field: str, text: str) -> int:
    try:
        return zh.fen_of_yuan(text)
    except ValueError:
        raise form_error(field, "请填写金额（元）") from None


@router.post("/auction/lots/{lot_id}/disclosures")
async def edit_disclosures(lot_id: int, request: Request, session: SessionDep) -> Response:
    """The announcement's texts, before a round is announced."""
    data = await request.form()
    who, lot = _staff(request, session, str(data.get("csrf", "")), lot_id)
    texts = {d.value: str(data[d.value]) for d in rules.Disclosure if isinstance(data.get(d.value), str)}
    return _act(
        request,
        session,
        who,
        lot_id,
        {},
        lambda: lots.edit_disclosures(session, actor=who, lot=lot, texts=texts),
        prefix="d_",
        anchor="#announcement",
    )


@router.post("/auction/lots/{lot_id}/priority-buyers")
def add_priority_buyer(
    lot_id: int,
    request: Request,
    session: SessionDep,
    name: Annotated[str, Form(max_length=128)] = "",
    right: Annotated[str, Form(max_length=128)] = "",
    rank: Annotated[int, Form(ge=0, le=20)] = 1,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    who, lot = _staff(request, session, csrf, lot_id)
    form = {"name": name, "right": right, "rank": str(rank)}
    return _act(
        request,
        session,
        who,
        lot_id,
        form,
        lambda: lots.add_priority_buyer(session, actor=who, lot=lot, name=name, right=right, rank=rank),
        prefix="pb_",
        anchor="#priority",
    )


@router.post("/auction/lots/{lot_id}/priority-buyers/{buyer_id}/confirm")
def confirm_priority_buyer(
    lot_id: int,
    buyer_id: int,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """The court confirms a priority buyer; the code is on this answer only (Art. 19)."""
    who, lot = _staff(request, session, csrf, lot_id)
    buyer = session.get(PriorityBuyer, buyer_id)
    if buyer is None or buyer.lot_id != lot.id:
        raise NotFound(f"priority buyer {buyer_id} does not exist", zh="没有找到此优先购买权人")
    code = lots.confirm_priority_buyer(session, actor=who, buyer=buyer)
    return render(request, "auction_code.html", who=who, lot=lot, buyer=buyer, code=code)


@router.post("/auction/lots/{lot_id}/rounds")
def draft_round(
    lot_id: int,
    request: Request,
    session: SessionDep,
    starting_price: Annotated[str, Form(max_length=32)] = "",
    deposit: Annotated[str, Form(max_length=32)] = "",
    increment: Annotated[str, Form(max_length=32)] = "",
    announced_on: Annotated[str, Form(max_length=10)] = "",
    starts_at: Annotated[str, Form(max_length=20)] = "",
    ends_at: Annotated[str, Form(max_length=20)] = "",
    balance_days: Annotated[int, Form(ge=0, le=90)] = a.DEFAULT_BALANCE_DAYS,
    maxima_allowed: Annotated[str, Form(max_length=8)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """The lot's next auction, checked by the rules; a refusal names its article beside the field."""
    who, lot = _staff(request, session, csrf, lot_id)
    form = {
        "starting_price": starting_price,
        "deposit": deposit,
        "increment": increment,
        "announced_on": announced_on,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "balance_days": str(balance_days),
    }
    # The rules name the fields by the model's names; the form's are in yuan and days.
    names = {
        "starting_price_fen": "starting_price",
        "deposit_fen": "deposit",
        "increment_fen": "increment",
        "announced_at": "announced_on",
    }

    def verb() -> None:
        day = _day("announced_on", announced_on) if announced_on else clock.today_local()
        plan = auction_rounds.RoundPlan(
            starting_price_fen=_fen("starting_price", starting_price),
            deposit_fen=_fen("deposit", deposit),
            announced_at=datetime.combine(day, datetime.min.time(), clock.SHANGHAI),
            starts_at=_instant("starts_at", starts_at),
            ends_at=_instant("ends_at", ends_at),
            increment_fen=_fen("increment", increment) if increment.strip() else None,
            balance_days=balance_days,
            maxima_allowed=bool(maxima_allowed),
        )
        auction_rounds.draft_round(session, actor=who, lot=lot, plan=plan)

    try:
        with session.begin_nested():
            verb()
    except (DomainError, ValueError) as exc:
        status, problems = refusal(exc, [*form, *names])
        errors = {f"r_{names.get(k, k)}": v for k, v in problems.items()}
        shown = {f"r_{k}": v for k, v in form.items()}
        return render_lot(request, session, who, lot_id, status_code=status, form_errors=errors, form=shown)
    return RedirectResponse(f"/auction/lots/{lot_id}#rounds", status_code=303)


@router.post("/auction/lots/{lot_id}/sale")
def draft_sale(
    lot_id: int,
    request: Request,
    session: SessionDep,
    opens_at: Annotated[str, Form(max_length=20)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """The online sale (变卖) after an unsold second auction (Art. 26)."""
    who, lot = _staff(request, session, csrf, lot_id)
    return _act(
        request,
        session,
        who,
        lot_id,
        {"opens_at": opens_at},
        lambda: auction_rounds.draft_sale(
            session, actor=who, lot=lot, opens_at=_instant("opens_at", opens_at)
        ),
        prefix="s_",
        anchor="#rounds",
    )


@router.post("/auction/lots/{lot_id}/rounds/{round_id}/notices")
def record_notice(
    lot_id: int,
    round_id: int,
    request: Request,
    session: SessionDep,
    to: Annotated[str, Form(max_length=128)] = "",
    way: Annotated[str, Form(max_length=16)] = "",
    on: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """A party or known priority buyer told of the coming announcement (Art. 16)."""
    who, lot = _staff(request, session, csrf, lot_id)
    rnd = _round_of(session, who, lot, round_id)
    form = {"to": to, "way": way, "on": on, "note": note}

    def verb() -> None:
        if way not in set(rules.NoticeWay):
            raise form_error("way", "请选择通知方式")
        auction_rounds.record_notice(
            session, actor=who, rnd=rnd, to=to, way=rules.NoticeWay(way), on=_day("on", on), note=note
        )

    return _act(request, session, who, lot_id, form, verb, prefix=f"n_{to}_", anchor="#notices")


@router.post("/auction/lots/{lot_id}/rounds/{round_id}/{verb}")
def round_verb(
    lot_id: int,
    round_id: int,
    verb: str,
    request: Request,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=500)] = "",
    cause_ended_on: Annotated[str, Form(max_length=10)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Announce (Art. 12–16), suspend with its reason, resume (Art. 28), or record a default (Art. 24)."""
    who, lot = _staff(request, session, csrf, lot_id)
    rnd = _round_of(session, who, lot, round_id)
    form = {"reason": reason, "cause_ended_on": cause_ended_on}

    def run() -> None:
        if verb == "announce":
            auction_rounds.announce(session, actor=who, rnd=rnd)
        elif verb in ("suspend", "default"):
            if not reason.strip():
                raise form_error("reason", "请填写理由")
            if verb == "suspend":
                stops.suspend(session, actor=who, rnd=rnd, reason=reason)
            else:
                closing.record_default(session, actor=who, rnd=rnd, reason=reason)
        elif verb == "resume":
            stops.resume(session, actor=who, rnd=rnd, cause_ended_on=_day("cause_ended_on", cause_ended_on))
        else:
            raise NotFound(f"no such step {verb!r}", zh="没有这项操作")

    return _act(request, session, who, lot_id, form, run, prefix=f"{verb}_{round_id}_", anchor="#rounds")


@router.post("/auction/lots/{lot_id}/{verb}")
def lot_verb(
    lot_id: int,
    verb: str,
    request: Request,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=500)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Withdraw the lot (the debtor paid), or after an unsold round: offset (以物抵债) or return the car."""
    who, lot = _staff(request, session, csrf, lot_id)

    def run() -> None:
        if verb == "withdraw":
            if not reason.strip():
                raise form_error("reason", "请填写撤回理由")
            stops.withdraw_lot(session, actor=who, lot=lot, reason=reason)
        elif verb == "offset":
            stops.offset(session, actor=who, lot=lot)
        elif verb == "return":
            stops.return_car(session, actor=who, lot=lot)
        else:
            raise NotFound(f"no such step {verb!r}", zh="没有这项操作")

    return _act(request, session, who, lot_id, {"reason": reason}, run, prefix=f"{verb}_")


@router.get("/auction/rounds/{round_id}/confirmation")
def confirmation(round_id: int, request: Request, session: SessionDep) -> Response:
    """The 成交确认书: the buyer's real name and masked ID number, as published (Art. 22)."""
    who = web.require(request, session, *STAFF)
    rnd = lots.load_round(session, who, round_id)
    found = closing.confirmation_of(session, round_id)
    if found is None:
        raise NotFound("this round has no 成交确认书", zh="此拍卖尚无成交确认书")
    return render(request, "auction_confirmation.html", who=who, rnd=rnd, lot=rnd.lot, c=found)
