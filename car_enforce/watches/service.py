"""Watch verbs: issue, renew, lift; queued watches of other courts take effect when the first one ends.

Every verb checks its guard, changes the status, keeps the police watch list and its change feed in step,
writes the timeline event and queues the notifications, all in the caller's transaction.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from car_enforce.cases.case_number import parse_case_number
from car_enforce.cases.models import CaseStatus, EnforcementCase
from car_enforce.core import clock, events, zh
from car_enforce.core.access import Scope, own
from car_enforce.core.calendar.service import Deadline, PrcCalendar, load_calendar
from car_enforce.core.errors import Conflict, InvalidInput, NotFound, Rule, RuleViolation
from car_enforce.core.events import APPLICANTS, OFFICER, DomainEvent, Notice
from car_enforce.core.geo.models import Jurisdiction, JurisdictionLevel
from car_enforce.core.identity.models import Organisation, Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.vehicles.plate_keys import folded_text
from car_enforce.vehicles.service import case_vehicle, lock_vehicle
from car_enforce.watches import transitions
from car_enforce.watches.models import (
    LiftReason,
    Watch,
    WatchChangeKind,
    WatchlistChange,
    WatchlistEntry,
    WatchRenewal,
    WatchStatus,
)
from car_enforce.watches.schemas import WatchCreate, WatchLift, WatchRenew

MAX_YEARS = 2
RULE_TERM = Rule(
    "民诉法解释 Art. 485: a movable may be seized for at most two years; each renewal at most two more",
    "《最高人民法院关于适用〈中华人民共和国民事诉讼法〉的解释》第四百八十五条：查封、扣押动产的期限不得超过两年，"
    "续行查封、扣押的期限同样不得超过两年",
)
RULE_RENEW = Rule(
    "民诉法解释 Art. 485 / 查封规定 Art. 27: renew before the period ends, or the seizure lapses",
    "《最高人民法院关于适用〈中华人民共和国民事诉讼法〉的解释》第四百八十五条、《查封规定》第二十七条："
    "应当在查封、扣押期限届满前办理续行手续；期限届满未办理延期手续的，查封、扣押的效力消灭",
)
RULE_QUEUE = Rule(
    "查封规定 Art. 26: a later court's seizure queues and takes effect when the first one is released",
    "《查封规定》第二十六条：其他人民法院可以进行轮候查封、扣押；查封、扣押解除的，"
    "登记在先的轮候查封、扣押即自动生效",
)
SCOPE_LEVELS = frozenset({JurisdictionLevel.COUNTY, JurisdictionLevel.CITY, JurisdictionLevel.PROVINCE})
_RULING_SUFFIX = re.compile(r"之[一二三四五六七八九十百]+$")


def _status_zh(watch: Watch) -> str:
    """``已解除``, or ``当前为“轮候”状态`` where the status name alone reads badly in a sentence."""
    name = transitions.STATUS_NAMES_ZH.get(watch.status, watch.status)
    return name if name.startswith("已") else f"当前为“{name}”状态"


def _ruling_number(raw: str, field: str) -> str:
    """A ruling is numbered like its case, often with a suffix (…执1234号之一)."""
    cleaned = raw.strip()
    suffix = _RULING_SUFFIX.search(cleaned)
    base = cleaned[: suffix.start()] if suffix else cleaned
    number = parse_case_number(base, field, today_year=clock.today_local().year)
    return number.text + (suffix.group(0) if suffix else "")


def _scope(session: Session, code: str) -> Jurisdiction:
    scope = session.scalar(select(Jurisdiction).where(Jurisdiction.code == code.strip()))
    if scope is None:
        raise NotFound(
            f"scope {code!r} is not a known jurisdiction code",
            zh=f"布控范围代码 {code.strip()} 不是已登记的行政区划代码，请核对后重填",
        )
    if scope.level not in SCOPE_LEVELS:
        raise InvalidInput(
            "scope_code",
            f"{scope.name} is a {scope.level}; a scope is a county, city or province",
            zh=f"{scope.name}不能作为布控范围；布控范围应为县（区）、市或省",
        )
    return scope


def _end_of_term(calendar: PrcCalendar, start: date, requested: date | None, field: str) -> Deadline:
    """The last day in force: the requested day, or the two-year maximum counted from ``start``."""
    limit = calendar.court_period_end_years(start, MAX_YEARS)
    if requested is None:
        return limit
    if requested <= start:
        raise InvalidInput(
            field,
            f"{requested.isoformat()} is not after {start.isoformat()}",
            zh=f"{zh.day(requested)}不晚于{zh.day(start)}，请选择此后的日期",
        )
    if requested > limit.on:
        raise RuleViolation(
            f"{field} {requested.isoformat()} is past the longest allowed term, which ends on "
            f"{limit.on.isoformat()}",
            rule=RULE_TERM,
            zh=f"{zh.day(requested)}超过了最长期限，最迟只能到{zh.day(limit.on)}",
        )
    return Deadline(on=requested, provisional=calendar.is_provisional_year(requested.year))


def _lock_change_feed(session: Session) -> None:
    # Changes must become visible in the order of their seq, or a police client reading "after cursor N"
    # could skip a change that commits later with a smaller seq. SQLite writers are serialised already
    # (BEGIN IMMEDIATE); on PostgreSQL a transaction-scoped advisory lock orders the writers of the feed.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7301)"))


def _entry_values(session: Session, watch: Watch) -> dict[str, object]:
    court = session.get(Organisation, watch.court_id)
    assert court is not None and watch.starts_on is not None and watch.expires_on is not None
    v = watch.vehicle
    return {
        "watch_id": watch.id,
        "scope_jurisdiction_id": watch.scope_jurisdiction_id,
        "plate": v.plate,
        "plate_colour": v.plate_colour,
        "vin": v.vin,
        "description": v.description,
        "court_name": court.name,
        "court_phone": court.contact_phone,
        "starts_on": watch.starts_on,
        "expires_on": watch.expires_on,
    }


def publish_change(session: Session, watch: Watch, kind: WatchChangeKind) -> None:
    """Keep the police list and the change feed in step with the watch."""
    _lock_change_feed(session)
    values = _entry_values(session, watch)
    if kind in (WatchChangeKind.ISSUED, WatchChangeKind.RENEWED):
        entry = session.get(WatchlistEntry, watch.id)
        if entry is None:
            session.add(WatchlistEntry(**values, folded_key=folded_text(str(values["plate"]))))
        else:
            entry.expires_on = watch.expires_on  # type: ignore[assignment]
    else:
        session.execute(delete(WatchlistEntry).where(WatchlistEntry.watch_id == watch.id))
    session.add(WatchlistChange(kind=kind, at=clock.now(), **values))
    session.flush()


def _event(
    session: Session,
    actor: Principal,
    watch: Watch,
    kind: str,
    *,
    reason: str = "",
    notices: tuple[Notice, ...] = (),
    **data: object,
) -> TimelineEvent:
    return events.record(
        session,
        actor,
        DomainEvent(
            kind=kind,
            subject=f"watch:{watch.id}",
            case_id=watch.case_id,
            reason=reason,
            data={"watch_id": watch.id, "plate": watch.vehicle.plate, "status": watch.status, **data},
            parties=(watch.court_id,),
            notices=notices,
        ),
    )


def _applicants(watch: Watch, text: str) -> tuple[Notice, ...]:
    return (Notice(APPLICANTS, watch.id, text),)


LIFT_REASON_TEXT = {
    LiftReason.DEBTOR_PAID: "被执行人已履行",
    LiftReason.SETTLEMENT: "当事人达成和解",
    LiftReason.COURT_DECISION: "法院决定",
}


def _watch_started_text(watch: Watch, today: date) -> str:
    assert watch.expires_on is not None
    return (
        f"本院已于{zh.day(today)}对被执行人名下车辆{watch.vehicle.plate}发布布控，"
        f"有效期至{zh.day(watch.expires_on)}。车辆被查获后您将收到通知。"
    )


def _activate(session: Session, calendar: PrcCalendar, watch: Watch, start: date, end: Deadline) -> None:
    transitions.move(watch, "activate")
    watch.starts_on, watch.expires_on, watch.expires_provisional = start, end.on, end.provisional
    session.flush()
    publish_change(session, watch, WatchChangeKind.ISSUED)


def lock_watch(session: Session, watch: Watch) -> None:
    """Take the lock of the watch's car (``vehicles.service.lock_vehicle``) and re-read the watch under it."""
    lock_vehicle(session, watch.vehicle_id)
    session.refresh(watch)


def issue_watch(session: Session, *, actor: Principal, case: EnforcementCase, data: WatchCreate) -> Watch:
    """Put a case's vehicle under watch (布控) on a seizure ruling, for at most two years."""
    if case.status != CaseStatus.OPEN:
        raise Conflict(
            f"case {case.case_number} is {case.status}",
            zh=f"案件{case.case_number}已结案，不能发起布控",
        )
    link = case_vehicle(session, case, data.vehicle_id)
    lock_vehicle(session, link.vehicle_id)
    ruling = _ruling_number(data.ruling_number, "ruling_number")
    scope = _scope(session, data.scope_code)
    calendar = load_calendar(session)
    today = clock.today_local()
    end = _end_of_term(calendar, today, data.expires_on, "expires_on")

    # A fulfilled watch holds the car (it was captured for that court): later courts queue behind it as
    # behind an active one, and the police are never asked to stop a car the platform already has.
    holding = (WatchStatus.ACTIVE, WatchStatus.FULFILLED)
    live = list(
        session.scalars(
            select(Watch).where(
                Watch.vehicle_id == link.vehicle_id, Watch.status.in_([*holding, WatchStatus.QUEUED])
            )
        )
    )
    own = next((w for w in live if w.court_id == case.court_id), None)
    if own is not None:
        advice = (
            "the car is held for it already" if own.status == WatchStatus.FULFILLED else "renew or lift it"
        )
        advice_zh = "车辆已为本院扣押" if own.status == WatchStatus.FULFILLED else "请对该布控续行或解除"
        own_zh = transitions.STATUS_NAMES_ZH[own.status]
        raise Conflict(
            f"this court already has a {own.status} watch (id {own.id}) on {link.vehicle.plate}; {advice}",
            zh=f"本院对车辆{link.vehicle.plate}已有“{own_zh}”状态的布控，不能重复布控；{advice_zh}",
        )
    first = next((w for w in live if w.status in holding), None)
    assert actor.user_id is not None
    watch = Watch(
        case_id=case.id,
        vehicle_id=link.vehicle_id,
        court_id=case.court_id,
        officer_id=actor.user_id,
        ruling_number=ruling,
        scope_jurisdiction_id=scope.id,
        status=WatchStatus.QUEUED,
        term_days=(end.on - today).days,
        issued_at=clock.now(),
    )
    session.add(watch)
    session.flush()
    if first is None:
        _activate(session, calendar, watch, today, end)
        _event(
            session,
            actor,
            watch,
            "watch.issued",
            notices=_applicants(watch, _watch_started_text(watch, today)),
            scope=scope.code,
            ruling_number=ruling,
            starts_on=today,
            expires_on=end.on,
            expires_provisional=end.provisional,
        )
    else:
        _event(
            session,
            actor,
            watch,
            "watch.queued",
            reason=RULE_QUEUE,
            scope=scope.code,
            ruling_number=ruling,
            term_days=watch.term_days,
        )
    return watch


def renew_watch(session: Session, *, actor: Principal, watch: Watch, data: WatchRenew) -> Watch:
    """Continue a seizure (续行查封) before it ends; each renewal runs at most two years from the old end."""
    lock_watch(session, watch)
    if not transitions.can("renew", watch.status) or watch.expires_on is None:
        raise transitions.WatchStateConflict(
            f"watch {watch.id} is {watch.status}; only an active watch can be renewed",
            rule=RULE_RENEW,
            zh=f"此布控{_status_zh(watch)}，只有布控中的布控才能续行查封",
        )
    today = clock.today_local()
    if today > watch.expires_on:
        raise Conflict(
            f"watch {watch.id} ended on {watch.expires_on.isoformat()}; a seizure that was not "
            "renewed in time has lapsed and needs a new ruling",
            rule=RULE_RENEW,
            zh=f"此布控已于{zh.day(watch.expires_on)}到期，未在期限内续行的查封已失效，需另行作出查封裁定",
        )
    ruling = _ruling_number(data.ruling_number, "ruling_number")
    calendar = load_calendar(session)
    end = _end_of_term(calendar, watch.expires_on, data.expires_on, "expires_on")
    previous = watch.expires_on
    session.add(
        WatchRenewal(
            watch_id=watch.id,
            ruling_number=ruling,
            renewed_at=clock.now(),
            previous_expires_on=previous,
            new_expires_on=end.on,
        )
    )
    watch.expires_on, watch.expires_provisional = end.on, end.provisional
    session.flush()
    publish_change(session, watch, WatchChangeKind.RENEWED)
    _event(
        session,
        actor,
        watch,
        "watch.renewed",
        ruling_number=ruling,
        previous_expires_on=previous,
        expires_on=end.on,
        expires_provisional=end.provisional,
    )
    return watch


def lift_watch(session: Session, *, actor: Principal, watch: Watch, data: WatchLift) -> Watch:
    """Lift a watch (debtor paid, settlement, court decision); the next queued court's watch takes effect."""
    lock_watch(session, watch)
    if watch.status == WatchStatus.FULFILLED:
        raise transitions.WatchStateConflict(
            f"watch {watch.id} was fulfilled by a capture: the car is seized and on its way to or at an "
            "auxiliary center; it is released through the capture, not by lifting the watch",
            zh="车辆已被查获扣押，此布控已完成，不能解除；放行车辆请通过扣押记录办理",
        )
    was_active = transitions.move(watch, "lift") == WatchStatus.ACTIVE
    watch.ended_at = clock.now()
    watch.lift_reason, watch.lift_note = data.reason, data.note.strip()
    session.flush()
    if was_active:
        publish_change(session, watch, WatchChangeKind.LIFTED)
    told = _applicants(
        watch,
        f"本院已于{zh.day(clock.today_local())}解除对被执行人名下车辆{watch.vehicle.plate}的布控"
        f"（{LIFT_REASON_TEXT[LiftReason(data.reason)]}）。",
    )
    _event(
        session,
        actor,
        watch,
        "watch.lifted",
        reason=data.note.strip(),
        notices=told if was_active else (),
        lift_reason=data.reason,
    )
    if was_active:
        promote_next(session, actor=actor, vehicle_id=watch.vehicle_id)
    return watch


def fulfil_watch(
    session: Session, *, actor: Principal, watch: Watch, capture_id: int | None, reason: str = ""
) -> TimelineEvent:
    """A capture fulfils the watch: it leaves the police list; the seizure in the registry stays.

    ``capture_id`` is None when the car was found in a center's yard rather than on the road (an
    imported inventory).

    The caller holds the vehicle's lock (``vehicles.service.lock_vehicle``). Other courts' queued watches
    stay queued: the car is seized, so none of them takes effect now.
    """
    was_active = transitions.move(watch, "fulfil") == WatchStatus.ACTIVE
    watch.ended_at = clock.now()
    session.flush()
    if was_active:  # a queued watch was never on the list
        publish_change(session, watch, WatchChangeKind.FULFILLED)
    return _event(session, actor, watch, "watch.fulfilled", reason=reason, capture_id=capture_id)


RULE_SALE = Rule(
    "查封规定 Art. 27: a sale ends the seizure; queued seizures of the sold car end with it",
    "《查封规定》第二十七条：查封、扣押的财产已经被执行拍卖、变卖或者抵债的，查封、扣押的效力消灭；"
    "对该车的轮候查封、扣押随之终结",
)


def release_held_car(
    session: Session, *, actor: Principal, watch: Watch | None, vehicle_id: int, sold: bool, reason: str
) -> list[Watch]:
    """The car leaves custody on the court's order: the fulfilled watch that held it ends.

    Sold: the queued watches of other courts end too (their seizures lapse with the sale; those courts
    share in the proceeds instead). Returned to the owner: the earliest queued watch takes effect, so the
    police look for the car again on that court's behalf (查封规定 Art. 26). The caller holds the
    vehicle's lock.
    """
    ended: list[Watch] = []
    if watch is not None and watch.status == WatchStatus.FULFILLED:
        transitions.move(watch, "release")
        session.flush()
        _event(session, actor, watch, "watch.released", reason=reason)
        ended.append(watch)
    if not sold:
        promote_next(session, actor=actor, vehicle_id=vehicle_id)
        return ended
    queued = session.scalars(
        select(Watch)
        .where(Watch.vehicle_id == vehicle_id, Watch.status == WatchStatus.QUEUED)
        .order_by(Watch.issued_at, Watch.id)
    )
    for other in queued:
        transitions.move(other, "release", rule=RULE_SALE)
        other.ended_at = clock.now()
        session.flush()
        text = (
            f"您轮候布控的车辆{other.vehicle.plate}已被拍卖成交并交付买受人，轮候布控随之终结；"
            "如需参与分配，请与首先查封法院联系。"
        )
        notice = Notice(OFFICER, other.id, text, f"watch-released-sold:{other.id}")
        _event(session, actor, other, "watch.released", reason=RULE_SALE, notices=(notice,))
        ended.append(other)
    return ended


def promote_next(session: Session, *, actor: Principal, vehicle_id: int) -> Watch | None:
    """The earliest queued watch on the vehicle takes effect now (查封规定 Art. 26)."""
    queued = session.scalars(
        select(Watch)
        .where(Watch.vehicle_id == vehicle_id, Watch.status == WatchStatus.QUEUED)
        .order_by(Watch.issued_at, Watch.id)
    ).first()
    if queued is None:
        return None
    calendar = load_calendar(session)
    today = clock.today_local()
    limit = calendar.court_period_end_years(today, MAX_YEARS)
    wanted = today + timedelta(days=queued.term_days)
    end = (
        limit
        if wanted >= limit.on
        else Deadline(on=wanted, provisional=calendar.is_provisional_year(wanted.year))
    )
    _activate(session, calendar, queued, today, end)
    officer = Notice(
        OFFICER,
        queued.id,
        f"您轮候布控的车辆{queued.vehicle.plate}已于{zh.day(today)}生效，有效期至{zh.day(end.on)}。",
        f"watch-activated:{queued.id}",
    )
    _event(
        session,
        actor,
        queued,
        "watch.activated",
        reason=RULE_QUEUE,
        notices=(*_applicants(queued, _watch_started_text(queued, today)), officer),
        starts_on=today,
        expires_on=end.on,
        expires_provisional=end.provisional,
    )
    return queued


# Who sees a watch: the officers of the court that issued it.
WATCHES = Scope(Watch, "watch", {Role.OFFICER: [own(Watch.court_id)]}, noun_zh="布控")


def visible_watch(session: Session, actor: Principal, watch_id: int) -> Watch:
    return WATCHES.load(session, actor, watch_id)


def watches_of_case(session: Session, case: EnforcementCase) -> list[Watch]:
    return list(session.scalars(select(Watch).where(Watch.case_id == case.id).order_by(Watch.id)))


def scope_of(session: Session, watch: Watch) -> Jurisdiction:
    scope = session.get(Jurisdiction, watch.scope_jurisdiction_id)
    assert scope is not None
    return scope


__all__ = [
    "LiftReason",
    "fulfil_watch",
    "issue_watch",
    "lift_watch",
    "promote_next",
    "release_held_car",
    "renew_watch",
]


def scope_choices(session: Session) -> list[Jurisdiction]:
    """The places a watch may cover (a county, a city, a province), in the order of the map's tree."""
    return list(
        session.scalars(
            select(Jurisdiction).where(Jurisdiction.level.in_(SCOPE_LEVELS)).order_by(Jurisdiction.path)
        )
    )


def longest_term(session: Session, start: date) -> Deadline:
    """The last day a watch issued on ``start`` may run to (two years, 民诉法解释 Art. 485)."""
    return load_calendar(session).court_period_end_years(start, MAX_YEARS)
