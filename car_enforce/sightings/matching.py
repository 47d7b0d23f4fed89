"""Plate matching as plate readers need it: exact on the normal form, or "possible" through misreads.

A read equal to a watched plate in normal form is a *hit*. A read that equals it only once look-alike
characters are folded together (``vehicles.plate_keys``), differing in at most two characters, is a
*possible hit* that a person confirms. The province character and the plate colour are never folded: the
same characters in another province or another colour are another car.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from car_enforce.vehicles.models import PlateColour
from car_enforce.vehicles.plate_keys import fold

MAX_EQUIVALENT_CHARS: Final = 2

# Colours as three bits packed next to the watch id in the index (0 = not known).
COLOUR_CODES: Final[dict[PlateColour | None, int]] = {None: 0} | {
    colour: i + 1 for i, colour in enumerate(PlateColour)
}
CODE_COLOURS: Final[dict[int, PlateColour | None]] = {code: colour for colour, code in COLOUR_CODES.items()}


class MatchKind(StrEnum):
    HIT = "hit"
    POSSIBLE = "possible"


def differences(a: bytes, b: bytes) -> int:
    """How many characters differ between two keys of the same length (they differ only in ASCII)."""
    return sum(1 for x, y in zip(a, b, strict=True) if x != y)


def classify(read_key: bytes, entry_key: bytes) -> MatchKind | None:
    """Hit, possible hit, or no match between one read and one watched plate (both as keys)."""
    if read_key == entry_key:
        return MatchKind.HIT
    if len(read_key) != len(entry_key) or read_key[:3] != entry_key[:3] or fold(read_key) != fold(entry_key):
        return None
    if differences(read_key, entry_key) > MAX_EQUIVALENT_CHARS:
        return None
    return MatchKind.POSSIBLE
