"""Every page router of the console, in the order the app includes them."""

from __future__ import annotations

from fastapi import APIRouter

from api.web import (
    admin,
    admin_bank,
    applicant,
    auction_public,
    auction_settlements,
    auction_staff,
    boundaries,
    buyer,
    buyer_settlement,
    case_money,
    case_money_entries,
    cases,
    center,
    command,
    custody,
    inventory,
    login,
    officer,
    photos,
    police,
    work,
)

ROUTERS: tuple[APIRouter, ...] = (
    login.router,
    officer.router,
    cases.router,
    case_money.router,
    case_money_entries.router,
    police.router,
    center.router,
    inventory.router,
    custody.router,
    applicant.router,
    command.router,
    boundaries.router,
    work.router,
    admin.router,
    admin_bank.router,
    photos.router,
    auction_public.router,
    auction_staff.router,
    auction_settlements.router,
    buyer.router,
    buyer_settlement.router,
)
