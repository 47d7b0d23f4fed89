"""The center clerk's custody pages for one car: the custody chain (every move and every key's hand, with
the forms to move the car and pass keys), the cost statement (with the form to add a charge), and the
release at the gate (the court's orders and the release form).

Reached from the car's page (``/center/custody/{id}``); each reads and acts through the custody services
with the clerk's own principal, so another center's car is not found.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from api.deps import SessionDep
from api.web import session as web
from api.web.pages import PageRoute, refusal, render
from api.web.words import (
    CHAIN_KIND_NAMES,
    CHARGE_KIND_NAMES,
    ORDER_STATUS_NAMES,
    RELEASE_KIND_NAMES,
    VEHICLE_CLASS_NAMES,
)
from car_enforce.core import zh
from car_enforce.core.errors import DomainError, InvalidInput
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.custody import chain, costs, release, tariffs
from car_enforce.custody import service as custody
from car_enforce.custody.models import ChargeKind, CustodyStatus, ReleaseOrderStatus
from car_enforce.custody.schemas import ChargeIn, KeysIn, MoveIn, ReleaseIn

router = APIRouter(route_class=PageRoute, include_in_schema=False)
# Charges a clerk adds by hand (storage accrues by the tariff and is never posted).
HAND_CHARGES = (ChargeKind.OTHER, ChargeKind.TOWING, ChargeKind.INSPECTION)

FormText = Annotated[str, Form(max_length=1000)]
FormList = Annotated[list[str], Form()]


def _clerk(request: Request, session: Session) -> Principal:
    return web.require(request, session, Role.CENTER_STAFF)


def _key_ids(values: list[str]) -> list[int]:
    """The keys ticked on the form (``7`` or ``7:the hand it was in as the page showed it``)."""
    return [int(key) for key, _, _ in (v.partition(":") for v in values) if key.strip().isdigit()]


def _shown_hand(values: list[str]) -> str | None:
    """The one hand the ticked keys were in as the page showed them, or None when they were in several."""
    hands = {hand for _, _, hand in (v.partition(":") for v in values)}
    return hands.pop() if len(hands) == 1 and "" not in hands else None


def _errors(
    exc: DomainError | ValueError, fields: dict[str, str], aliases: dict[str, str]
) -> tuple[int, dict[str, str]]:
    """The refusal by field, each under the name the form gives it."""
    status, errors = refusal(exc, fields)
    return status, {aliases.get(field, field): text for field, text in errors.items()}


# --- the custody chain -------------------------------------------------------------------------------


def _chain_page(
    request: Request,
    session: Session,
    who: Principal,
    custody_id: int,
    *,
    status_code: int = 200,
    errors: dict[str, dict[str, str]] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    held = custody.visible_custody(session, who, custody_id)
    return render(
        request,
        "custody_chain.html",
        status_code=status_code,
        who=who,
        c=held,
        tab="chain",
        links=chain.chain_of(session, held),
        kind_names=CHAIN_KIND_NAMES,
        hands=custody.hands_of(session, held),
        safe=custody.key_safe(held),
        errors=errors or {},
        form=form or {},
    )


@router.get("/center/custody/{custody_id}/chain")
def chain_page(custody_id: int, request: Request, session: SessionDep) -> Response:
    return _chain_page(request, session, _clerk(request, session), custody_id)


@router.post("/center/custody/{custody_id}/chain/move")
def move(
    custody_id: int,
    request: Request,
    session: SessionDep,
    to_place: Annotated[str, Form(max_length=64)] = "",
    notes: FormText = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """The car moves to another bay or lane of the center."""
    who = _clerk(request, session)
    web.check_csrf(request, csrf)
    held = custody.visible_custody(session, who, custody_id)
    form = {"to_place": to_place, "move_notes": notes}
    try:
        data = MoveIn(to_place=to_place, notes=notes)
        with session.begin_nested():
            chain.move_car(session, actor=who, custody=held, data=data)
    except (DomainError, ValueError) as exc:
        status, errors = _errors(exc, form, {"notes": "move_notes"})
        if "form" in errors and "to_place" not in errors:
            errors["to_place"] = errors.pop("form")
        return _chain_page(
            request, session, who, custody_id, status_code=status, errors={"move": errors}, form=form
        )
    return RedirectResponse(f"/center/custody/{custody_id}/chain", status_code=303)


@router.post("/center/custody/{custody_id}/chain/keys")
def pass_keys(
    custody_id: int,
    request: Request,
    session: SessionDep,
    keys: FormList = [],  # noqa: B006  (FastAPI copies a form's default)
    to: Annotated[str, Form(max_length=96)] = "",
    notes: FormText = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """The ticked keys pass to another hand. When they were all in one hand as the page showed them, that
    hand is the one said to give them: a key that changed hands since the page was read is refused."""
    who = _clerk(request, session)
    web.check_csrf(request, csrf)
    held = custody.visible_custody(session, who, custody_id)
    ticked = _key_ids(keys)
    form = {"to": to, "keys_notes": notes, "key_ids": ",".join(str(i) for i in ticked)}
    try:
        if not ticked:
            raise InvalidInput("key_ids", "no key ticked", zh="请勾选交接的钥匙")
        data = KeysIn(to=to, key_ids=ticked, from_holder=_shown_hand(keys), notes=notes)
        with session.begin_nested():
            chain.pass_keys(session, actor=who, custody=held, data=data)
    except (DomainError, ValueError) as exc:
        status, errors = _errors(
            exc,
            form,
            {"notes": "keys_notes", "from_holder": "key_ids", "count": "key_ids", "form": "key_ids"},
        )
        return _chain_page(
            request, session, who, custody_id, status_code=status, errors={"keys": errors}, form=form
        )
    return RedirectResponse(f"/center/custody/{custody_id}/chain", status_code=303)


# --- the cost statement ------------------------------------------------------------------------------


def _costs_page(
    request: Request,
    session: Session,
    who: Principal,
    custody_id: int,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    held = custody.visible_custody(session, who, custody_id)
    statement = costs.statement(session, held)
    return render(
        request,
        "custody_costs.html",
        status_code=status_code,
        who=who,
        c=held,
        tab="costs",
        statement=statement,
        storage_days=sum(s.days for s in statement.storage),
        running=held.status == CustodyStatus.IN_CUSTODY,
        tariff=costs.tariff_in_force(session, held, statement.as_of),
        class_names=VEHICLE_CLASS_NAMES,
        charge_names=CHARGE_KIND_NAMES,
        hand_charges=HAND_CHARGES,
        errors=errors or {},
        form=form or {},
    )


@router.get("/center/custody/{custody_id}/costs")
def costs_page(custody_id: int, request: Request, session: SessionDep) -> Response:
    return _costs_page(request, session, _clerk(request, session), custody_id)


@router.post("/center/custody/{custody_id}/costs/charges")
def add_charge(
    custody_id: int,
    request: Request,
    session: SessionDep,
    kind: Annotated[str, Form(max_length=16)] = "",
    amount: Annotated[str, Form(max_length=32)] = "",
    description: Annotated[str, Form(max_length=200)] = "",
    charge_key: Annotated[str, Form(max_length=100)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """A cost outside the tariff, in yuan as the clerk writes it; the center's own reference makes a
    second post of the same form one charge."""
    who = _clerk(request, session)
    web.check_csrf(request, csrf)
    held = custody.visible_custody(session, who, custody_id)
    form = {"kind": kind, "amount": amount, "description": description, "charge_key": charge_key}
    try:
        try:
            fen = zh.fen_of_yuan(amount)
        except ValueError:
            return _costs_page(
                request,
                session,
                who,
                custody_id,
                status_code=422,
                errors={"amount": "金额应以元为单位，最多两位小数，如 80 或 80.50"},
                form=form,
            )
        data = ChargeIn(
            kind=ChargeKind(kind) if kind else ChargeKind.OTHER,
            amount_fen=fen,
            description=description,
            charge_key=charge_key,
        )
        with session.begin_nested():
            tariffs.add_charge(session, actor=who, custody=held, data=data)
    except (DomainError, ValueError) as exc:
        status, errors = _errors(exc, form, {"amount_fen": "amount"})
        return _costs_page(request, session, who, custody_id, status_code=status, errors=errors, form=form)
    return RedirectResponse(f"/center/custody/{custody_id}/costs", status_code=303)


# --- the release at the gate -------------------------------------------------------------------------


def _release_page(
    request: Request,
    session: Session,
    who: Principal,
    custody_id: int,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    held = custody.visible_custody(session, who, custody_id)
    orders = release.orders_of(session, held)
    return render(
        request,
        "custody_release.html",
        status_code=status_code,
        who=who,
        c=held,
        tab="release",
        orders=orders,
        issued=[o for o in orders if o.status == ReleaseOrderStatus.ISSUED],
        kind_names=RELEASE_KIND_NAMES,
        status_names=ORDER_STATUS_NAMES,
        safe=custody.key_safe(held),
        rule_release=release.RULE_RELEASE,
        rule_keys=release.RULE_KEYS_AT_GATE,
        errors=errors or {},
        form=form or {},
    )


@router.get("/center/custody/{custody_id}/release")
def release_page(custody_id: int, request: Request, session: SessionDep) -> Response:
    return _release_page(request, session, _clerk(request, session), custody_id)


@router.post("/center/custody/{custody_id}/release")
def release_car(
    custody_id: int,
    request: Request,
    session: SessionDep,
    order_id: Annotated[str, Form(max_length=20)] = "",
    recipient_id_number: Annotated[str, Form(max_length=32)] = "",
    key_ids: FormList = [],  # noqa: B006  (FastAPI copies a form's default)
    notes: FormText = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """The car leaves on the court's order, to the person it names, with the keys ticked; every other key
    must be in the key safe."""
    who = _clerk(request, session)
    web.check_csrf(request, csrf)
    held = custody.visible_custody(session, who, custody_id)
    ticked = _key_ids(key_ids)
    # The ID number typed at the gate is never shown back: the clerk types it again.
    form = {"order_id": order_id, "notes": notes, "key_ids": ",".join(str(i) for i in ticked), "sent": "1"}
    try:
        data = ReleaseIn(
            order_id=int(order_id) if order_id.strip().isdigit() else 0,
            recipient_id_number=recipient_id_number,
            key_ids=ticked,
            notes=notes,
            at=None,
        )
        with session.begin_nested():
            release.release(session, actor=who, custody=held, data=data)
    except (DomainError, ValueError) as exc:
        status, errors = refusal(exc, form)
        return _release_page(request, session, who, custody_id, status_code=status, errors=errors, form=form)
    return RedirectResponse(f"/center/custody/{custody_id}/release", status_code=303)


__all__ = ["router"]
