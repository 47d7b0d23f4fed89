"""The reference price (参考价): opening the procedure, the methods in their order, the online inquiry,
and the inquiry platforms' reports coming back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request

from api.deps import Allow, IdempotencyDep, RawBody, SessionDep
from api.errors import responses
from car_enforce.core.db import RowId, get_database
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.settings import get_settings
from car_enforce.custody import service as custody_service
from valuation.reference_price import callbacks, online, sending, service
from valuation.reference_price.schemas import (
    AgreedIn,
    DirectedAnswerIn,
    DirectedAskIn,
    OnlineIn,
    OpenIn,
    PassIn,
    PricingOut,
)

router = APIRouter(tags=["reference price"], responses=responses(401, 403))
Follower = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.CENTER_STAFF, Role.ADMIN))]
Runner = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.CENTER_STAFF))]
Officer = Annotated[Principal, Depends(Allow(Role.OFFICER))]


def _send_soon(request: Request, tasks: BackgroundTasks) -> None:
    """A serving process sends the new requests once the answer is out; the scheduler sweeps what is left
    (and tests send them themselves, to the simulators they started)."""
    if getattr(request.app.state, "send_inquiries", False):
        tasks.add_task(sending.send_due, get_database(), get_settings())


@router.post(
    "/api/reference-prices",
    status_code=201,
    response_model=PricingOut,
    responses=responses(400, 404, 409, 422),
)
def open_pricing(
    body: OpenIn,
    session: SessionDep,
    who: Runner,
    idem: IdempotencyDep,
    request: Request,
    tasks: BackgroundTasks,
) -> object:
    """Open the reference-price procedure of a car in custody (Art. 1), with the car's facts from its
    registration certificate; pass over the methods before the online inquiry for reasons their articles
    accept (Art. 4–5) and, with `online_reason`, ask every platform of the court at once (Art. 7, 10).
    One live procedure per car: a second price while one is valid is refused (Art. 27)."""

    def run() -> PricingOut:
        custody = custody_service.visible_custody(session, who, body.custody_id)
        pricing = service.open_pricing(
            session,
            actor=who,
            custody=custody,
            facts=service.CarFacts(body.brand_model, body.first_registered_on, body.fuel),
        )
        for p in body.passed:
            service.pass_method(
                session, actor=who, pricing=pricing, method=p.method, reason=p.reason, note=p.note
            )
        if body.online_reason is not None:
            online.start_online(session, actor=who, pricing=pricing, reason=body.online_reason)
            _send_soon(request, tasks)
        return PricingOut.of(pricing)

    return idem.run(run)


@router.get("/api/reference-prices/{pricing_id}", response_model=PricingOut, responses=responses(404))
def get_pricing(pricing_id: RowId, session: SessionDep, who: Follower) -> PricingOut:
    return PricingOut.of(service.visible_pricing(session, who, pricing_id))


@router.get(
    "/api/custody/{custody_id}/reference-prices", response_model=list[PricingOut], responses=responses(404)
)
def pricings_of_custody(custody_id: RowId, session: SessionDep, who: Follower) -> list[PricingOut]:
    """Every reference-price procedure of the car in this custody, the newest first."""
    return [PricingOut.of(p) for p in service.pricings_of_custody(session, who, custody_id)]


@router.post(
    "/api/reference-prices/{pricing_id}/pass",
    response_model=PricingOut,
    responses=responses(400, 404, 409, 422),
)
def pass_method(pricing_id: RowId, body: PassIn, session: SessionDep, who: Officer) -> PricingOut:
    """Pass over the next method, for a reason its article accepts (Art. 4–7, 14)."""
    pricing = service.visible_pricing(session, who, pricing_id)
    service.pass_method(
        session, actor=who, pricing=pricing, method=body.method, reason=body.reason, note=body.note
    )
    return PricingOut.of(pricing)


@router.post(
    "/api/reference-prices/{pricing_id}/agreed",
    response_model=PricingOut,
    responses=responses(400, 404, 409, 422),
)
def agreed(pricing_id: RowId, body: AgreedIn, session: SessionDep, who: Officer) -> PricingOut:
    """Both parties agreed a price (当事人议价, Art. 4): it becomes the reference price."""
    pricing = service.visible_pricing(session, who, pricing_id)
    service.record_agreed_price(
        session, actor=who, pricing=pricing, price_fen=body.price_fen, document=body.document, note=body.note
    )
    return PricingOut.of(pricing)


@router.post(
    "/api/reference-prices/{pricing_id}/directed",
    response_model=PricingOut,
    responses=responses(400, 404, 409, 422),
)
def ask_directed(pricing_id: RowId, body: DirectedAskIn, session: SessionDep, who: Officer) -> PricingOut:
    """Send a directed inquiry (定向询价, Art. 5) to the body holding a tax or government price."""
    pricing = service.visible_pricing(session, who, pricing_id)
    service.ask_directed(
        session, actor=who, pricing=pricing, body=body.body, due_on=body.due_on, document=body.document
    )
    return PricingOut.of(pricing)


@router.post(
    "/api/reference-prices/{pricing_id}/directed/answer",
    response_model=PricingOut,
    responses=responses(400, 404, 409, 422),
)
def answer_directed(
    pricing_id: RowId, body: DirectedAnswerIn, session: SessionDep, who: Officer
) -> PricingOut:
    """The directed inquiry's answer: its price becomes the reference price."""
    pricing = service.visible_pricing(session, who, pricing_id)
    service.answer_directed(
        session, actor=who, pricing=pricing, price_fen=body.price_fen, document=body.document
    )
    return PricingOut.of(pricing)


@router.post(
    "/api/reference-prices/{pricing_id}/online",
    response_model=PricingOut,
    responses=responses(400, 404, 409, 422),
)
def start_online(
    pricing_id: RowId,
    body: OnlineIn,
    session: SessionDep,
    who: Runner,
    request: Request,
    tasks: BackgroundTasks,
) -> PricingOut:
    """Ask every inquiry platform of the court at once (网络询价, Art. 7, 10), saying why the car needs no
    on-site inspection."""
    pricing = service.visible_pricing(session, who, pricing_id)
    online.start_online(session, actor=who, pricing=pricing, reason=body.reason)
    _send_soon(request, tasks)
    return PricingOut.of(pricing)


@router.post(
    "/api/inquiry-platforms/{code}/reports",
    responses={
        200: {"description": "Stored, or a message already taken (the same answer again)"},
        **responses(404, 409, 422),
    },
)
def platform_message(code: str, raw: RawBody, request: Request, session: SessionDep) -> dict[str, object]:
    """An inquiry platform's report, extension request or correction (docs/INQUIRY_PROTOCOL.md §2), signed
    the Standard Webhooks way with the secret it shares with us: 401 for a bad or stale signature, 404 for a
    request it never got, 409 for what the rules refuse (a late report: Art. 11), nothing stored then."""
    return callbacks.receive(session, code, raw, request.headers)
