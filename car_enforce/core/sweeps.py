"""Sweeps work one item per transaction (DESIGN §4.12).

A sweep first selects what is due, in a short read; then each item gets its own transaction, in which
the action locks the item, checks again that it is still due and acts. So one bad row never rolls back
the others (it is logged and tried again at the next run), and two schedulers running at once never
double an effect: the second finds the item settled under the lock and does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy.orm import Session

from car_enforce.core.db import Database

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


def each(database: Database, name: str, items: Iterable[T], act: Callable[[Session, T], R | None]) -> list[R]:
    """Run ``act`` on each item in a transaction of its own; the results that are not None, in order."""
    done: list[R] = []
    for item in items:
        try:
            with database.unit_of_work() as session:
                result = act(session, item)
        except Exception:
            log.exception(
                "sweep %s: item %r failed and is left for the next run; the others go on", name, item
            )
            continue
        if result is not None:
            done.append(result)
    return done
