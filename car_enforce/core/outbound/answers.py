"""Reading what a JSON service answers: one field at a time, each read or ``MalformedResponse``.

The readers take the decoded object (``json_object``) and a field's name, and give the value in the type the
service promises or raise ``MalformedResponse`` naming the field; a client's parser (an order, a seizure)
is built of them. ``expect`` is for an answer that is well formed but about something other than what was
asked; ``answer_check`` makes the usual ``check`` of a call out of a parser and that expectation, and
``answer_about`` the one for a call about a record named by its id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Literal, Protocol, TypeVar, overload

import httpx

from car_enforce.core.outbound.client import MalformedResponse, json_object

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


class Identified(Protocol):
    """An answer that names the service's record by an id (an order, a seizure)."""

    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=Identified)


def expect(what: str, condition: bool) -> None:
    """Refuse, for good, an answer about another ``what`` than was asked: trying again gets the same one."""
    if not condition:
        raise MalformedResponse(f"the answer is about another {what}", permanent=True)


def answer_check(
    read: Callable[[dict[str, Any]], T], what: str, agrees: Callable[[T], bool]
) -> Callable[[httpx.Response], T]:
    """A ``check``: the answer as ``read`` gives it, ``expect``-ed to be a ``what`` that ``agrees``."""

    def check(response: httpx.Response) -> T:
        found = read(json_object(response))
        expect(what, agrees(found))
        return found

    return check


def answer_about(
    read: Callable[[dict[str, Any]], R], what: str, answer_id: str
) -> Callable[[httpx.Response], R]:
    """A ``check``: the ``what`` that ``read`` gives, ``expect``-ed to be the one ``answer_id`` names."""
    return answer_check(read, what, lambda found: found.id == answer_id)


def text(document: dict[str, Any], name: str, *, empty: bool = False, longest: int | None = None) -> str:
    """A string; an empty one only when ``empty`` allows it, and none of more than ``longest`` characters
    (the most the caller stores) when that is given."""
    value = document.get(name)
    if not isinstance(value, str) or (not empty and not value):
        raise MalformedResponse(f"{name} is not a non-empty string")
    if longest is not None and len(value) > longest:
        raise MalformedResponse(f"{name} is longer than {longest} characters")
    return value


def choice(document: dict[str, Any], name: str, kind: type[E]) -> E:
    """One of the values of ``kind``."""
    value = document.get(name)
    try:
        if not isinstance(value, str):
            raise ValueError(name)
        return kind(value)
    except ValueError:
        raise MalformedResponse(f"{name} is not one of {', '.join(kind)}") from None


@overload
def instant(document: dict[str, Any], name: str, *, optional: Literal[False] = False) -> datetime: ...


@overload
def instant(document: dict[str, Any], name: str, *, optional: bool) -> datetime | None: ...


def instant(document: dict[str, Any], name: str, *, optional: bool = False) -> datetime | None:
    """An ISO 8601 instant with its offset, in UTC; None for a null or absent one when ``optional``."""
    value = document.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise MalformedResponse(f"{name} is not an instant")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedResponse(f"{name} is not an ISO 8601 instant") from None
    if at.tzinfo is None:
        raise MalformedResponse(f"{name} has no offset")
    return at.astimezone(UTC)


def day(document: dict[str, Any], name: str) -> date | None:
    """An ISO 8601 date; None for a null or absent one."""
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedResponse(f"{name} is not a date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise MalformedResponse(f"{name} is not a date") from None


@overload
def count(document: dict[str, Any], name: str, *, optional: Literal[False] = False) -> int: ...


@overload
def count(document: dict[str, Any], name: str, *, optional: bool) -> int | None: ...


def count(document: dict[str, Any], name: str, *, optional: bool = False) -> int | None:
    """A whole number, zero or more; None for a null or absent one when ``optional``."""
    value = document.get(name)
    if value is None and optional:
        return None
    # bool is an int in Python; JSON true is no count.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise MalformedResponse(f"{name} is not a count")
    return value


def flag(document: dict[str, Any], name: str) -> bool:
    """true or false."""
    value = document.get(name)
    if not isinstance(value, bool):
        raise MalformedResponse(f"{name} is not true or false")
    return value


def nested(document: dict[str, Any], name: str) -> dict[str, Any]:
    """An object inside the answer."""
    value = document.get(name)
    if not isinstance(value, dict):
        raise MalformedResponse(f"{name} is not an object")
    return value


def ids(document: dict[str, Any], name: str) -> tuple[str, ...]:
    """A list of non-empty strings; an absent one is empty."""
    value = document.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise MalformedResponse(f"{name} is not a list of ids")
    return tuple(value)
