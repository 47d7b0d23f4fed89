"""Helpers for the vendor adapters' pure tests."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from car_enforce.core.errors import InvalidInput
from car_enforce.sightings.reads import Parsed


def bad_field(parse: Callable[[Any], Parsed], payload: Any) -> str:
    """The path of the bad value: the message refused whole, or the one record rejected on its own."""
    try:
        parsed = parse(copy.deepcopy(payload))
    except InvalidInput as exc:
        return exc.field
    assert len(parsed.rejected) == 1, parsed
    return parsed.rejected[0].field
