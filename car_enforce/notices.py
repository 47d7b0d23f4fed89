"""Texts to people known by their part in a watch: its officer, and the creditors of its case (or of a case).

Verbs put :class:`~car_enforce.core.events.Notice` values on the event they record; :func:`deliver`,
registered for every kind, turns each into a queued SMS beside the event, once per key.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.cases.models import EnforcementCase, Party, PartyRole
from car_enforce.core.events import (
    APPLICANTS,
    CASE_APPLICANTS,
    CENTER_STAFF,
    OFFICER,
    PARTY,
    Notice,
    Recorded,
)
from car_enforce.core.identity.models import Role, User
from car_enforce.core.notify import service as notify
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.watches.models import Watch


def tell_officer(session: Session, event: TimelineEvent, watch: Watch, dedupe_key: str, text: str) -> None:
    """Text the officer who issued the watch; once per dedupe key, however often a sweep reruns."""
    officer = session.get(User, watch.officer_id)
    if officer is not None and officer.phone:
        notify.enqueue_sms(
            session, event=event, to=officer.phone, dedupe_key=dedupe_key, body=f"【云执车】{text}"
        )


def tell_applicants(session: Session, event: TimelineEvent, watch: Watch, what: str) -> None:
    """Tell each applicant (the creditors) in plain words what happened to the debtor's car."""
    tell_case_applicants(session, event, watch.case_id, what)


def tell_case_applicants(session: Session, event: TimelineEvent, case_id: int, what: str) -> None:
    """Tell each applicant of a case in plain words what happened to the debtor's car."""
    case = session.get(EnforcementCase, case_id)
    if case is None:
        raise LookupError(f"notice for case {case_id}, which does not exist")
    for party in case.parties:
        if party.role == PartyRole.APPLICANT and party.phone:
            notify.enqueue_sms(
                session,
                event=event,
                to=party.phone,
                dedupe_key=f"applicant:{party.id}:{event.id}",
                body=f"【{case.court.name}】您申请执行的{case.case_number}一案，{what}",
            )


def tell_center_staff(session: Session, event: TimelineEvent, center_id: int, key: str, text: str) -> None:
    """Text each active member of a center's staff who has a phone: the car comes to (or stands in) their
    yard."""
    staff = session.scalars(
        select(User)
        .where(
            User.organisation_id == center_id,
            User.role == Role.CENTER_STAFF,
            User.active.is_(True),
            User.phone != "",
        )
        .order_by(User.id)
    )
    for user in staff:
        notify.enqueue_sms(
            session, event=event, to=user.phone, dedupe_key=f"{key}:{user.id}", body=f"【云执车】{text}"
        )


def tell_party(session: Session, event: TimelineEvent, party_id: int, key: str, text: str) -> None:
    """Text one party of a case on its own phone: a document served on it, which names its court itself."""
    party = session.get(Party, party_id)
    if party is None:
        raise LookupError(f"notice for party {party_id}, which does not exist")
    if party.phone:
        notify.enqueue_sms(session, event=event, to=party.phone, dedupe_key=key, body=text)


def _send(session: Session, event: TimelineEvent, notice: Notice) -> None:
    if notice.audience == CENTER_STAFF:
        tell_center_staff(session, event, notice.of, notice.key, notice.text)
        return
    if notice.audience == CASE_APPLICANTS:
        tell_case_applicants(session, event, notice.of, notice.text)
        return
    if notice.audience == PARTY:
        if not notice.key:
            raise ValueError("a notice to a party needs its once-only key")
        tell_party(session, event, notice.of, notice.key, notice.text)
        return
    watch = session.get(Watch, notice.of)
    if watch is None:
        raise LookupError(f"notice for watch {notice.of}, which does not exist")
    if notice.audience == OFFICER:
        if not notice.key:
            raise ValueError("a notice to the officer needs its once-only key")
        tell_officer(session, event, watch, notice.key, notice.text)
    elif notice.audience == APPLICANTS:
        tell_applicants(session, event, watch, notice.text)
    else:
        raise ValueError(f"no one is known as {notice.audience!r}")


def deliver(session: Session, recorded: Recorded) -> None:
    """The handler: queue the texts the event carries."""
    for notice in recorded.event.notices:
        _send(session, recorded.entry, notice)
