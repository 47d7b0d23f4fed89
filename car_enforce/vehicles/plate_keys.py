"""Plates as keys: the normal form in UTF-8 bytes, and the same key with look-alike characters folded.

Readers confuse characters of similar shape (FORMATS.md): ``0 O D Q``, ``1 I``, ``2 Z``, ``5 S``,
``8 B``, ``6 G``. The normal form is upper case, half-width, without separators, with O→0 and I→1 in the
serial (lossless: serials never hold I or O). Folding maps each look-alike class onto one character, so
every plate a misread could be taken for shares one folded key (what ``watchlist_entry.folded_key``
holds, and what the sightings' watch index is keyed by).

Plates are keyed in UTF-8 bytes: a million ``bytes`` keys cost about half the memory of the same keys held
as Chinese ``str``, and a reading that is ASCII apart from its province character (what plate readers
send) is normalised by one ``bytes.translate``: the hot path of ingest runs it for every candidate of every
read.
"""

from __future__ import annotations

from typing import Final

from car_enforce.vehicles.plates import PROVINCES

# Look-alike classes, each folded onto its digit.
EQUIVALENCES: Final[tuple[str, ...]] = ("0ODQ", "1I", "2Z", "5S", "8B", "6G")

PROVINCE_PREFIXES: Final = frozenset(ch.encode() for ch in PROVINCES)


def _read_table() -> dict[int, int | None]:
    """Normal form, character by character: half-width, upper case, no separators, O→0 and I→1."""
    table: dict[int, int | None] = {}
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII → half-width
        table[code] = code - 0xFEE0
    for code in range(ord("a"), ord("z") + 1):
        table[code] = code - 32
    for code in range(0xFF41, 0xFF5B):  # full-width lower case → half-width upper case
        table[code] = code - 0xFEE0 - 32
    for ch in _SEPARATORS:
        table[ord(ch)] = None
    # O→0 and I→1: lossless in serials, which never hold I or O. The one place an O is a letter, the
    # authority letter of a provincial police plate (川O1234警), is keyed the same way on both sides.
    for letter, digit in (("O", "0"), ("I", "1"), ("o", "0"), ("i", "1")):
        table[ord(letter)] = ord(digit)
        table[ord(letter) + 0xFEE0] = ord(digit)  # and their full-width forms
    return table


_SEPARATORS = " \t\r\n\u3000·•‧∙・.-‐‑‒–—_"  # what people and systems put inside plates
READ_TABLE: Final = _read_table()
# The same normal form on UTF-8 bytes, for a reading that is ASCII apart from its province character: a
# bytes translation is a table lookup per byte, several times faster than the general one above.
BYTE_TABLE: Final = bytes.maketrans(
    bytes(range(ord("a"), ord("z") + 1)) + b"OI",
    bytes(range(ord("A"), ord("Z") + 1)).replace(b"O", b"0").replace(b"I", b"1") + b"01",
)
BYTE_SEPARATORS: Final = b" \t\r\n.-_"
FOLD_TABLE: Final = bytes.maketrans(
    b"".join(group[1:].encode() for group in EQUIVALENCES),
    b"".join(group[0].encode() * (len(group) - 1) for group in EQUIVALENCES),
)


def plate_key(text: str) -> bytes | None:
    """The key of a plate as read (its normal form in UTF-8), or None if it cannot be a plate.

    Placeholders (``NOPLATE``, ``0``, ``000``, empty) have no province character and so never match.
    """
    raw = text.encode()
    if len(raw) == len(text) + 2:  # one three-byte character (the province), the rest ASCII
        key = raw.translate(BYTE_TABLE, BYTE_SEPARATORS)
    else:
        key = text.translate(READ_TABLE).encode()
    if len(key) < 5 or key[:3] not in PROVINCE_PREFIXES:
        return None
    return key


def fold(key: bytes) -> bytes:
    """The key with every look-alike folded onto one character; the province character stays as it is."""
    return key.translate(FOLD_TABLE)  # the province's UTF-8 bytes are all above 0x7F: left alone


def folded_text(plate: str) -> str | None:
    """The folded key of a plate as text (``watchlist_entry.folded_key``): every plate a read of it could
    match has the same one. None if it cannot be a plate."""
    key = plate_key(plate)
    return None if key is None else fold(key).decode()


def plate_of(key: bytes) -> str:
    """The plate in normal form (浙C10345) for a key (川O1234警 comes back as 川01234警)."""
    return key.decode()
