"""The registry sweep: queued requests sent, and the registry asked after what it has not yet told us.

One request per transaction, and the call between two transactions (DESIGN §4.12, 13): the request is read,
the registry called with no transaction open (on one machine the built-in registry writes to the same
database), then the answer applied to the locked request, which is checked again. A failed call is tried
again later under the same Idempotency-Key, so the registry acts once; a permanent refusal or too many
failures give the request up for the officer to see. A transfer taken up and a seizure waiting its turn are
polled, so a lost callback never stalls them; a seizure in effect is checked daily, and at once after a sale
of the car (it may end another case's seizure).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

from sqlalchemy import and_, or_, select

from car_enforce.core import clock
from car_enforce.core.db import Database
from car_enforce.core.identity.principal import Principal
from car_enforce.core.outbound.client import OutboundError
from car_enforce.registry import service
from car_enforce.registry.client import HandedOver, RegistryClient, Seizure, SeizureStatus, Transfer
from car_enforce.registry.models import RegistryRequest, RequestKind, RequestStatus

log = logging.getLogger(__name__)
SWEEPER: Final = Principal.system("registry-sweep")
MAX_ATTEMPTS: Final = 8  # then the request is failed: the officer sees its last error
FIRST_WAIT: Final = timedelta(seconds=30)  # after the first failed try; doubling after each further one
LONGEST_WAIT: Final = timedelta(minutes=30)


@dataclass
class SweepReport:
    sent: list[int] = field(default_factory=list)  # request ids the registry answered
    polled: list[int] = field(default_factory=list)  # request ids whose news changed them
    failed: dict[int, str] = field(default_factory=dict)  # request id → why it was given up
    waiting: list[int] = field(default_factory=list)  # request ids tried and left for later


def wait_after(attempts: int) -> timedelta:
    """How long a request waits after ``attempts`` failed tries in a row."""
    return min(FIRST_WAIT * 2 ** min(attempts - 1, 20), LONGEST_WAIT)


@dataclass(frozen=True, slots=True)
class _Call:
    request_id: int
    kind: RequestKind
    key: str
    payload: dict[str, Any]
    seizure_id: str | None = None  # a release: the registry's id of the seizure it ends


def _due(database: Database) -> tuple[list[int], list[int]]:
    now = clock.now()
    with database.unit_of_work(read_only=True) as session:
        to_send = session.scalars(
            select(RegistryRequest.id)
            .where(RegistryRequest.status == RequestStatus.QUEUED, RegistryRequest.due_at <= now)
            .order_by(RegistryRequest.id)
        ).all()
        to_poll = session.scalars(
            select(RegistryRequest.id)
            .where(
                RegistryRequest.due_at <= now,
                RegistryRequest.registry_id.is_not(None),
                or_(
                    and_(
                        RegistryRequest.kind == RequestKind.TRANSFER,
                        RegistryRequest.status == RequestStatus.SENT,
                    ),
                    and_(
                        RegistryRequest.kind == RequestKind.SEIZE,
                        RegistryRequest.registry_status.in_(
                            (SeizureStatus.QUEUED.value, SeizureStatus.ACTIVE.value)
                        ),
                    ),
                ),
            )
            .order_by(RegistryRequest.id)
        ).all()
    return list(to_send), list(to_poll)


def _call_of(database: Database, request_id: int, report: SweepReport) -> _Call | None:
    with database.unit_of_work() as session:
        request = session.get(RegistryRequest, request_id)
        if request is None or request.status != RequestStatus.QUEUED or request.due_at > clock.now():
            return None  # sent, or settled by a callback, since the sweep looked
        if request.kind != RequestKind.RELEASE:
            return _Call(request.id, RequestKind(request.kind), request.key, dict(request.payload))
        seizure = session.get(RegistryRequest, request.seizure_request_id)
        assert seizure is not None
        if seizure.registry_id is not None:
            return _Call(
                request.id, RequestKind.RELEASE, request.key, dict(request.payload), seizure.registry_id
            )
        if seizure.status == RequestStatus.FAILED:
            service.lock(session, request)
            service.fail(session, SWEEPER, request, "the seizure it releases was never registered")
            report.failed[request.id] = request.last_error
        return None  # the seizure is not registered yet: it is sent first, and this follows


def _ends_seizures(database: Database, client: RegistryClient, call: _Call) -> _Call:
    """A transfer that ends every seizure: the ones on the car's file now, written into the request before it
    is sent, so every try sends the same body."""
    if call.payload.get("ends_seizures") is not None:
        return call
    live = sorted(client.vehicle(call.payload["plate"]).live_seizures())
    with database.unit_of_work() as session:
        request = session.get(RegistryRequest, call.request_id)
        assert request is not None
        service.lock(session, request)
        if request.payload.get("ends_seizures") is None:
            request.payload = {**request.payload, "ends_seizures": live}
        payload = dict(request.payload)
    return _Call(call.request_id, call.kind, call.key, payload)


def _send(client: RegistryClient, call: _Call) -> Seizure | Transfer:
    p = call.payload
    if call.kind is RequestKind.SEIZE:
        return client.seize(
            call.key,
            court=p["court"],
            case_number=p["case_number"],
            document_number=p["document_number"],
            plate=p["plate"],
            vin=p["vin"],
            reference=call.key,
        )
    if call.kind is RequestKind.RELEASE:
        assert call.seizure_id is not None
        return client.release(call.key, call.seizure_id, court=p["court"], notice_number=p["notice_number"])
    return client.transfer(
        call.key,
        court=p["court"],
        ruling_number=p["ruling_number"],
        notice_number=p["notice_number"],
        plate=p["plate"],
        vin=p["vin"],
        buyer_name=p["buyer_name"],
        buyer_id_number=p["buyer_id_number"],
        handed_over=HandedOver(**p["handed_over"]),
        ends_seizures=p["ends_seizures"],
        out_of_area=p["out_of_area"],
        reference=call.key,
    )


def _failed(database: Database, request_id: int, error: OutboundError, report: SweepReport) -> None:
    with database.unit_of_work() as session:
        request = session.get(RegistryRequest, request_id)
        assert request is not None
        service.lock(session, request)
        if request.status != RequestStatus.QUEUED:
            return  # settled meanwhile (a callback)
        request.attempts += 1
        request.last_error = str(error)[:200]
        log.warning("registry: request %d failed (try %d): %s", request_id, request.attempts, error.reason)
        if error.permanent or request.attempts >= MAX_ATTEMPTS:
            service.fail(session, SWEEPER, request, str(error))
            report.failed[request_id] = request.last_error
        else:
            request.due_at = clock.now() + wait_after(request.attempts)
            report.waiting.append(request_id)


def _apply(database: Database, request_id: int, answer: Seizure | Transfer) -> bool:
    with database.unit_of_work() as session:
        request = session.get(RegistryRequest, request_id)
        assert request is not None
        if isinstance(answer, Transfer):
            return service.apply_transfer(session, SWEEPER, request, answer)
        if request.kind == RequestKind.RELEASE:
            seizure = session.get(RegistryRequest, request.seizure_request_id)
            assert seizure is not None
            service.apply_seizure(session, SWEEPER, seizure, answer)  # settles the release with it
            service.lock(session, request)
            if request.status == RequestStatus.QUEUED:  # the seizure was known released already
                request.result = {"seizure_id": answer.id, "status": answer.status.value}
                service.transitions.move(request, "finish")
                request.finished_at = clock.now()
            return True
        return service.apply_seizure(session, SWEEPER, request, answer)


def send_one(database: Database, client: RegistryClient, request_id: int, report: SweepReport) -> None:
    """Send one queued request and apply the answer; a failure is recorded for a later try."""
    call = _call_of(database, request_id, report)
    if call is None:
        return
    try:
        if call.kind is RequestKind.TRANSFER:
            call = _ends_seizures(database, client, call)
        answer = _send(client, call)
    except OutboundError as error:
        _failed(database, request_id, error, report)
        return
    _apply(database, request_id, answer)
    report.sent.append(request_id)


def poll_one(database: Database, client: RegistryClient, request_id: int, report: SweepReport) -> None:
    """Ask the registry after a request it has not finished; apply what it says, else ask again later."""
    with database.unit_of_work(read_only=True) as session:
        request = session.get(RegistryRequest, request_id)
        if request is None or request.registry_id is None:
            return
        kind, registry_id = RequestKind(request.kind), request.registry_id
    answer: Seizure | Transfer | None
    try:
        answer = (
            client.get_transfer(registry_id)
            if kind is RequestKind.TRANSFER
            else client.get_seizure(registry_id)
        )
    except OutboundError as error:  # asked again at the next poll, like a request that had no news
        log.warning("registry: asking after request %d failed: %s", request_id, error.reason)
        answer = None
    changed = answer is not None and _apply(database, request_id, answer)
    if changed:
        report.polled.append(request_id)
        return
    with database.unit_of_work() as session:
        request = session.get(RegistryRequest, request_id)
        assert request is not None
        service.lock(session, request)
        request.due_at = service.next_check(request)


def send_due(database: Database, client: RegistryClient) -> SweepReport:
    """The sweep: every queued request sent, then every unfinished one asked after, one per transaction."""
    report = SweepReport()
    to_send, to_poll = _due(database)
    for step, ids in ((send_one, to_send), (poll_one, to_poll)):
        for request_id in ids:
            try:
                step(database, client, request_id, report)
            except Exception:  # one request's trouble never stops the others'
                log.exception(
                    "registry: request %d failed in the sweep; the next one tries again", request_id
                )
    return report
