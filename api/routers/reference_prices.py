"""The reference price (参考价): opening the procedure, the methods in their order, the online inquiry,
and the inquiry platforms' reports coming back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Request, Response

from api.deps import Allow, IdempotencyDep, RawBody, SessionDep
from api.errors import responses
from car_enforce.core.db import RowId, get_database
from car_enforce.core.errors import NotFound
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.settings import get_settings
from car_enforce.custody import service as custody_service
from valuation.inquiry.platforms import CODE
from valuation.reference_price import (
    appraisal,
    callbacks,
    check,
    objections,
    online,
    sending,
    service,
    serving,
)
from valuation.reference_price.schemas import (
    AgreedIn,
    AppraisalOut,
    AppraisalReportIn,
    CheckOut,
    CodedObjectionIn,
    DecisionIn,
    DeclineIn,
    DirectedAnswerIn,
    DirectedAskIn,
    EntrustIn,
    ExtendIn,
    NoticeOut,
    ObjectionIn,
    ObjectionOut,
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
def platform_message(
    code: Annotated[str, Path(pattern=CODE.pattern, max_length=40)],
    raw: RawBody,
    request: Request,
    session: SessionDep,
) -> dict[str, object]:
    """An inquiry platform's report, extension request or correction (docs/INQUIRY_PROTOCOL.md §2), signed
    the Standard Webhooks way with the secret it shares with us: 401 for a bad or stale signature, 404 for a
    request it never got, 409 for what the rules refuse (a late report: Art. 11), nothing stored then."""
    return callbacks.receive(session, code, raw, request.headers)


@router.post(
    "/api/reference-prices/{pricing_id}/objections",
    status_code=201,
    response_model=ObjectionOut,
    responses=responses(400, 404, 409, 422),
)
def file_objection(pricing_id: RowId, body: ObjectionIn, session: SessionDep, who: Officer) -> ObjectionOut:
    """Record a party's written objection (Art. 22): within 5 days of its service, on the four grounds,
    never against an agreed price or a directed inquiry (Art. 24). Late or groundless: 400 naming the
    article, nothing stored."""
    pricing = service.visible_pricing(session, who, pricing_id)
    return ObjectionOut.of(
        objections.file_objection(
            session,
            actor=who,
            pricing=pricing,
            party_id=body.party_id,
            grounds=body.grounds,
            platforms=body.platforms,
            statement=body.statement,
        )
    )


@router.post(
    "/api/reference-price-objections",
    status_code=201,
    response_model=ObjectionOut,
    responses=responses(400, 404, 409, 422),
)
def file_objection_with_code(body: CodedObjectionIn, session: SessionDep) -> ObjectionOut:
    """A party files its own objection with the code texted to it with the notice (no account needed):
    within 5 days of service, on the grounds of Art. 22; late or groundless: 400 naming the article."""
    return ObjectionOut.of(
        objections.file_with_code(
            session, code=body.code, grounds=body.grounds, platforms=body.platforms, statement=body.statement
        )
    )


@router.get(
    "/api/reference-prices/{pricing_id}/objections",
    response_model=list[ObjectionOut],
    responses=responses(404),
)
def list_objections(pricing_id: RowId, session: SessionDep, who: Follower) -> list[ObjectionOut]:
    pricing = service.visible_pricing(session, who, pricing_id)
    return [ObjectionOut.of(o) for o in objections.objections_of(session, pricing)]


@router.post(
    "/api/reference-price-objections/{objection_id}/decide",
    response_model=PricingOut,
    responses=responses(404, 409, 422),
)
def decide_objection(objection_id: RowId, body: DecisionIn, session: SessionDep, who: Officer) -> PricingOut:
    """Uphold or dismiss an objection. Upheld against some reports: the price becomes the mean of the
    others (Art. 13) and the parties are served again; against all of them: the price is set aside."""
    objection = objections.visible_objection(session, who, objection_id)
    return PricingOut.of(
        objections.decide_objection(
            session, actor=who, objection=objection, upheld=body.upheld, note=body.note
        )
    )


@router.get("/api/reference-prices/{pricing_id}/notice", response_model=NoticeOut, responses=responses(404))
def get_notice(pricing_id: RowId, session: SessionDep, who: Follower) -> NoticeOut:
    """The latest notice of the price and how it was served on each party (Art. 21)."""
    pricing = service.visible_pricing(session, who, pricing_id)
    notice = serving.latest_notice(session, pricing)
    if notice is None:
        raise NotFound(f"reference price {pricing_id} has no notice yet", zh="此参考价尚未出具通知书")
    return NoticeOut.of(notice)


@router.get(
    "/api/reference-prices/{pricing_id}/notice.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **responses(404, 503)},
)
def notice_pdf(pricing_id: RowId, session: SessionDep, who: Follower) -> Response:
    """The latest notice as it was issued, printed (A4, Chinese)."""
    pricing = service.visible_pricing(session, who, pricing_id)
    return Response(serving.latest_notice_pdf(session, pricing), media_type="application/pdf")


@router.post(
    "/api/reference-prices/{pricing_id}/appraisal",
    status_code=201,
    response_model=AppraisalOut,
    responses=responses(400, 404, 409, 422),
)
def entrust_appraisal(pricing_id: RowId, body: EntrustIn, session: SessionDep, who: Officer) -> AppraisalOut:
    """Entrust an appraisal (委托评估, Art. 14–16): the firms the parties agreed, or three drawn by lot; the
    lot's seed is on the timeline, so the draw can be redone by anyone."""
    pricing = service.visible_pricing(session, who, pricing_id)
    return AppraisalOut.of(appraisal.entrust(session, actor=who, pricing=pricing, agreed=body.firms))


@router.post(
    "/api/reference-prices/{pricing_id}/appraisal/extend",
    response_model=AppraisalOut,
    responses=responses(400, 404, 409, 422),
)
def extend_appraisal(pricing_id: RowId, body: ExtendIn, session: SessionDep, who: Officer) -> AppraisalOut:
    """More time for the firm: at most two extensions of at most 15 days each (Art. 19)."""
    pricing = service.visible_pricing(session, who, pricing_id)
    return AppraisalOut.of(
        appraisal.extend(session, actor=who, pricing=pricing, days=body.days, reason=body.reason)
    )


@router.post(
    "/api/reference-prices/{pricing_id}/appraisal/decline",
    response_model=PricingOut,
    responses=responses(404, 409, 422),
)
def decline_appraisal(pricing_id: RowId, body: DeclineIn, session: SessionDep, who: Officer) -> PricingOut:
    """The firm refused or failed: the next firm of the order is entrusted."""
    pricing = service.visible_pricing(session, who, pricing_id)
    appraisal.decline(session, actor=who, pricing=pricing, note=body.note)
    return PricingOut.of(pricing)


@router.post(
    "/api/reference-prices/{pricing_id}/appraisal/report",
    response_model=PricingOut,
    responses=responses(400, 404, 409, 422),
)
def appraisal_report(
    pricing_id: RowId, body: AppraisalReportIn, session: SessionDep, who: Officer
) -> PricingOut:
    """The firm's report, within its period: its result becomes the reference price."""
    pricing = service.visible_pricing(session, who, pricing_id)
    appraisal.record_report(
        session, actor=who, pricing=pricing, number=body.number, result_fen=body.result_fen
    )
    return PricingOut.of(pricing)


@router.get(
    "/api/reference-prices/{pricing_id}/estimate", response_model=CheckOut, responses=responses(404, 409)
)
def center_estimate(pricing_id: RowId, session: SessionDep, who: Follower) -> CheckOut:
    """The center's own estimate by the replacement-cost method, as a check beside the platforms' reports:
    never the reference price."""
    pricing = service.visible_pricing(session, who, pricing_id)
    return CheckOut.of(check.center_check(session, pricing))
