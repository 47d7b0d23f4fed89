"""Domain events: a verb records what happened once; handlers registered by kind do the rest.

A verb changes its records, then calls :func:`record` with one :class:`DomainEvent`. The event is written
to its case's hash-chained timeline (the timeline is where events are kept: every event lands there
exactly once, and its row's id is what webhooks and texts refer to), then every handler registered for
its kind runs, in the same transaction: webhooks to the parties, texts to the officer and the creditors,
stage clocks, and the reactions of other domains. A later package reacts to an earlier one's event by
registering a handler at the composition root (``api.wiring``), never by being imported from below.

If a handler raises, the verb's transaction rolls back with it: an effect is never lost or half done.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from car_enforce.core.timeline import service as timeline
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.core.timeline.service import Actor


@dataclass(frozen=True, slots=True)
class Notice:
    """A text to people known by their part: a watch's officer, its case's applicants, a center's staff.

    ``of`` is the watch (OFFICER, APPLICANTS), the case (CASE_APPLICANTS), the organisation (CENTER_STAFF)
    or the case party (PARTY) they are known by.
    ``key`` makes it once-only: a sweep that runs again queues nothing new. Applicants' keys are made per
    person from the event, so ``key`` may be empty for them; staff's keys get each person's id appended.
    """

    audience: str
    of: int
    text: str
    key: str = ""


OFFICER = "officer"  # the officer who issued the watch
APPLICANTS = "applicants"  # the creditors of the watch's case
CASE_APPLICANTS = "case_applicants"  # the creditors of a case, where no watch is involved (the registry)
CENTER_STAFF = "center_staff"  # the active staff of an auxiliary center
PARTY = "party"  # one party of a case, by its own phone: a document served on it (送达)


@dataclass(frozen=True, slots=True)
class DomainEvent:
    kind: str  # "custody.released": the domain, then what happened
    subject: str  # "custody:12"
    case_id: int | None  # the case whose chain holds it; None for the system chain
    data: Mapping[str, Any] = field(default_factory=dict)  # stored on the timeline and sent in webhooks
    reason: str = ""  # the rule or article the verb applied
    parties: tuple[int, ...] = ()  # organisations whose webhook subscriptions hear the event
    notices: tuple[Notice, ...] = ()
    # What handlers need that is not part of the record (a text's wording, ids of rows the event
    # concerns): never stored, never sent.
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Recorded:
    """An event as handlers see it: what the verb said, who acted, and its row on the timeline."""

    event: DomainEvent
    actor: Actor
    entry: TimelineEvent


Handler = Callable[[Session, Recorded], None]


class Handlers:
    """Handlers by kind: an exact kind (``custody.released``), a family (``custody.*``) or ``*``."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, Handler]] = []
        self._cache: dict[str, list[Handler]] = {}

    def on(self, pattern: str, handler: Handler) -> None:
        self._entries.append((pattern, handler))
        self._cache.clear()

    def of(self, kind: str) -> list[Handler]:
        """The handlers of ``kind``, in the order they were registered."""
        found = self._cache.get(kind)
        if found is None:
            found = [h for pattern, h in self._entries if fnmatch.fnmatchcase(kind, pattern)]
            self._cache[kind] = found
        return found

    def patterns(self) -> list[str]:
        return [pattern for pattern, _ in self._entries]


class HandlersNotInstalled(RuntimeError):
    """An event was recorded before the composition root installed its handlers."""


_installed: Handlers | None = None


def install(handlers: Handlers | None) -> Handlers | None:
    """Make ``handlers`` the ones every event reaches; the previous set is returned."""
    global _installed
    previous, _installed = _installed, handlers
    return previous


def installed() -> Handlers | None:
    return _installed


def record(session: Session, actor: Actor, event: DomainEvent) -> TimelineEvent:
    """Write ``event`` to the timeline and run its handlers, all in the caller's transaction."""
    if _installed is None:
        # Without handlers a verb would change state and tell nobody: refuse rather than lose the effects.
        raise HandlersNotInstalled(f"{event.kind}: no event handlers are installed (see api.wiring)")
    entry = timeline.record(
        session,
        actor=actor,
        kind=event.kind,
        subject=event.subject,
        case_id=event.case_id,
        data=dict(event.data),
        reason=event.reason,
    )
    recorded = Recorded(event=event, actor=actor, entry=entry)
    for handler in _installed.of(event.kind):
        handler(session, recorded)
    return entry
