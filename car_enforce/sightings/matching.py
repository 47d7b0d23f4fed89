"""Plate matching as plate readers need it: exact on the normal form, or "possible" through misreads.

Readers confuse characters of similar shape (FORMATS.md): ``0 O D Q``, ``1 I``, ``2 Z``, ``5 S``,
``8 B``, ``6 G``. A read equal to a watched plate in normal form (upper case, half-width, no separators,
O→0 and I→1 in the serial, which is lossless because serials never hold I or O) is a *hit*. A read that
equals it only once those look-alikes are folded together, differing in at most two characters, is a
*possible hit* that a person confirms. The province character and the plate colour are never folded: the
same characters in another province or another colour are another car.

Plates are keyed in a compact form: the province and suffix characters (浙, 挂 …) are mapped to single
Latin-1 code points, so every key is a 1-byte-per-character string. A million keys then cost about half
the memory of the same keys held as Chinese text, and one ``str.translate`` call does the whole
normalisation of a read: the hot path of ingest runs it for every candidate of every read.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from car_enforce.vehicles.models import PlateColour
from car_enforce.vehicles.plates import PROVINCES, SUFFIXES

MAX_EQUIVALENT_CHARS: Final = 2

# Look-alike classes, each folded onto its digit.
EQUIVALENCES: Final[tuple[str, ...]] = ("0ODQ", "1I", "2Z", "5S", "8B", "6G")

_PROVINCE_BASE = 0x80
_SUFFIX_BASE = 0xC0
PROVINCE_CODES: Final = frozenset(chr(_PROVINCE_BASE + i) for i in range(len(PROVINCES)))


def _read_table() -> dict[int, int | None]:
    table: dict[int, int | None] = {}
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII → half-width
        table[code] = code - 0xFEE0
    for code in range(ord("a"), ord("z") + 1):
        table[code] = code - 32
    for code in range(0xFF41, 0xFF5B):  # full-width lower case → half-width upper case
        table[code] = code - 0xFEE0 - 32
    for ch in " \t\r\n\u3000·•‧∙・.-‐‑‒–—_":  # separators people and systems put inside plates
        table[ord(ch)] = None
    for i, ch in enumerate(PROVINCES):
        table[ord(ch)] = _PROVINCE_BASE + i
    for i, ch in enumerate(SUFFIXES):
        table[ord(ch)] = _SUFFIX_BASE + i
    return table


_READ_TABLE: Final = _read_table()
_SERIAL_TABLE: Final = str.maketrans("OI", "01")
_FOLD_TABLE: Final = str.maketrans({ch: group[0] for group in EQUIVALENCES for ch in group[1:]})
_DECODE_TABLE: Final = {
    **{_PROVINCE_BASE + i: ch for i, ch in enumerate(PROVINCES)},
    **{_SUFFIX_BASE + i: ch for i, ch in enumerate(SUFFIXES)},
}

# Colours as three bits packed next to the watch id in the index (0 = not known).
COLOUR_CODES: Final[dict[PlateColour | None, int]] = {None: 0} | {
    colour: i + 1 for i, colour in enumerate(PlateColour)
}
CODE_COLOURS: Final[dict[int, PlateColour | None]] = {code: colour for colour, code in COLOUR_CODES.items()}


class MatchKind(StrEnum):
    HIT = "hit"
    POSSIBLE = "possible"


def plate_key(text: str) -> str | None:
    """The compact key of a plate as read, or None if it cannot be a plate (no province character).

    Placeholders (``NOPLATE``, ``0``, ``000``, empty) have no province character and so never match.
    """
    key = text.translate(_READ_TABLE)
    if len(key) < 3 or key[0] not in PROVINCE_CODES:
        return None
    return key[:2] + key[2:].translate(_SERIAL_TABLE)


def fold(key: str) -> str:
    """The key with every look-alike folded onto one character; the province character stays as it is."""
    return key[0] + key[1:].translate(_FOLD_TABLE)


def plate_of(key: str) -> str:
    """The plate in normal form (浙C10345) for a compact key."""
    return key.translate(_DECODE_TABLE)


def differences(a: str, b: str) -> int:
    """How many positions differ between two keys of the same length."""
    return sum(1 for x, y in zip(a, b, strict=True) if x != y)


def classify(read_key: str, entry_key: str) -> MatchKind | None:
    """Hit, possible hit, or no match between one read and one watched plate (both as keys)."""
    if read_key == entry_key:
        return MatchKind.HIT
    if len(read_key) != len(entry_key) or read_key[0] != entry_key[0] or fold(read_key) != fold(entry_key):
        return None
    if differences(read_key, entry_key) > MAX_EQUIVALENT_CHARS:
        return None
    return MatchKind.POSSIBLE
