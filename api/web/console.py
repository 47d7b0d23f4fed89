"""Every page router of the console, in the order the app includes them."""

from __future__ import annotations

from fastapi import APIRouter

from api.web import applicant, center, command, login, officer, photos, police

ROUTERS: tuple[APIRouter, ...] = (
    login.router,
    officer.router,
    police.router,
    center.router,
    applicant.router,
    command.router,
    photos.router,
)
