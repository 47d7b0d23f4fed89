"""Record and verify timeline events.

Each event's hash covers its content and the previous event's hash; the chain head is kept apart.
Editing a row breaks its hash; deleting one leaves a gap in ``seq`` or a head that points past the end.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock
from car_enforce.core.timeline.models import TimelineEvent, TimelineHead


class Actor(Protocol):
    """Whoever acts: the timeline keeps only the label (a user, a machine key, a sweep)."""

    @property
    def label(self) -> str: ...


GENESIS = "0" * 64
SYSTEM_CHAIN = "system"


def case_chain(case_id: int) -> str:
    return f"case:{case_id}"


def _digest(event: TimelineEvent) -> str:
    """The hash of an event's content, linked to the previous event's hash."""
    body = json.dumps(
        {
            "chain": event.chain,
            "seq": event.seq,
            "at": clock.as_utc(event.at).isoformat(timespec="microseconds"),
            "actor": event.actor,
            "kind": event.kind,
            "subject": event.subject,
            "reason": event.reason,
            "data": event.data,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(f"{event.prev_hash}|{body}".encode()).hexdigest()


def record(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    subject: str,
    case_id: int | None,
    data: dict[str, Any] | None = None,
    reason: str = "",
) -> TimelineEvent:
    """Append one event to its case's chain (or the system chain) in the caller's transaction."""
    chain = case_chain(case_id) if case_id is not None else SYSTEM_CHAIN
    head = session.execute(
        select(TimelineHead).where(TimelineHead.chain == chain).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = TimelineHead(chain=chain, seq=0, hash=GENESIS)
        session.add(head)
    payload = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
    event = TimelineEvent(
        chain=chain,
        seq=head.seq + 1,
        case_id=case_id,
        at=clock.now(),
        actor=actor.label,
        kind=kind,
        subject=subject,
        reason=str(reason),  # a Rule's English citation, stored as the plain text it is
        data=payload,
        prev_hash=head.hash,
    )
    event.hash = _digest(event)
    session.add(event)
    head.seq, head.hash = event.seq, event.hash
    session.flush()
    return event


ProblemCause = Literal["missing", "unlinked", "edited", "head", "no_head"]


@dataclass(frozen=True)
class ChainProblem:
    """One broken link: ``cause`` says how (events deleted, a link that does not match, an edited event, a
    head that does not match the chain's end, or none); ``until_seq`` is the last missing event's seq, or
    where the chain ends."""

    chain: str
    seq: int
    event_id: int | None
    problem: str
    cause: ProblemCause = "edited"
    until_seq: int | None = None
    event_kind: str = ""

    def __str__(self) -> str:
        where = f"event {self.event_id}" if self.event_id is not None else "no event"
        return f"{self.chain} seq {self.seq} ({where}): {self.problem}"


@dataclass(frozen=True)
class TimelineCheck:
    """The result of recomputing the chains: how much was checked and every problem, first one first."""

    chains: int
    events: int
    problems: list[ChainProblem]

    @property
    def intact(self) -> bool:
        return not self.problems


def _verify_chain(
    chain: str, events: Iterable[TimelineEvent], head: TimelineHead | None
) -> list[ChainProblem]:
    problems: list[ChainProblem] = []
    prev_hash, expected_seq = GENESIS, 1
    for ev in events:
        if ev.seq != expected_seq:
            problems.append(
                ChainProblem(
                    chain,
                    expected_seq,
                    None,
                    f"events {expected_seq}..{ev.seq - 1} are missing (deleted)",
                    "missing",
                    ev.seq - 1,
                )
            )
        if ev.prev_hash != prev_hash and ev.seq == expected_seq:
            problems.append(
                ChainProblem(
                    chain, ev.seq, ev.id, "does not link to the previous event", "unlinked", None, ev.kind
                )
            )
        recomputed = _digest(ev)
        if recomputed != ev.hash:
            problems.append(
                ChainProblem(chain, ev.seq, ev.id, f"content was edited ({ev.kind})", "edited", None, ev.kind)
            )
        prev_hash, expected_seq = ev.hash, ev.seq + 1
    last_seq = expected_seq - 1
    if head is None:
        if last_seq:
            problems.append(ChainProblem(chain, last_seq, None, "chain head is missing", "no_head", last_seq))
    elif head.seq != last_seq or head.hash != prev_hash:
        problems.append(
            ChainProblem(
                chain,
                head.seq,
                None,
                f"head says seq {head.seq} but the chain ends at {last_seq} (deleted)",
                "head",
                last_seq,
            )
        )
    return problems


def check(session: Session, *, chain: str | None = None) -> TimelineCheck:
    """Recompute one chain, or every chain: how many chains and events were read, and what is broken."""
    heads = {
        h.chain: h
        for h in session.scalars(
            select(TimelineHead).where(TimelineHead.chain == chain) if chain else select(TimelineHead)
        )
    }
    query = select(TimelineEvent).order_by(TimelineEvent.chain, TimelineEvent.seq)
    if chain:
        query = query.where(TimelineEvent.chain == chain)
    problems: list[ChainProblem] = []
    current: str | None = None
    batch: list[TimelineEvent] = []
    seen: set[str] = set()
    events = 0
    for ev in session.scalars(query.execution_options(yield_per=2000)):
        events += 1
        if ev.chain != current:
            if current is not None:
                problems += _verify_chain(current, batch, heads.get(current))
            current, batch = ev.chain, []
            seen.add(ev.chain)
        batch.append(ev)
    if current is not None:
        problems += _verify_chain(current, batch, heads.get(current))
    for name, head in heads.items():
        if name not in seen:
            problems += _verify_chain(name, [], head)
    return TimelineCheck(chains=len(seen | heads.keys()), events=events, problems=problems)


def verify(session: Session, *, chain: str | None = None) -> list[ChainProblem]:
    """Check one chain, or every chain; an empty list means the timeline is intact."""
    return check(session, chain=chain).problems


def check_case(session: Session, case_id: int) -> TimelineCheck:
    """Recompute one case's chain only (its events and its head): what an officer of the case may see."""
    return check(session, chain=case_chain(case_id))


def events_of_case(session: Session, case_id: int) -> list[TimelineEvent]:
    return list(
        session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.chain == case_chain(case_id))
            .order_by(TimelineEvent.seq)
        )
    )
