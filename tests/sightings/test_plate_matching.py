"""Matching reads against the watch list: exact hits, look-alike possible hits, never province or colour."""

from __future__ import annotations

import sys

import pytest

from car_enforce.sightings.index import WatchIndex
from car_enforce.sightings.matching import MatchKind, classify
from car_enforce.vehicles.models import PlateColour
from car_enforce.vehicles.plate_keys import fold, plate_key, plate_of

BLUE = PlateColour.BLUE
YELLOW = PlateColour.YELLOW
GREEN = PlateColour.GREEN


def _index(*entries: tuple[int, str, PlateColour]) -> WatchIndex:
    index = WatchIndex()
    for watch_id, plate, colour in entries:
        index.add(watch_id, plate, colour)
    return index


WATCHED = _index(
    (1, "浙C10345", BLUE),
    (2, "浙C12348", BLUE),
    (3, "浙C5S123", BLUE),
    (4, "浙CD12345", GREEN),
    (5, "浙B12345", BLUE),
    (6, "粤Z1234港", PlateColour.BLACK),
)


def _one(readings: list[str], colour: PlateColour | None = None) -> tuple[int, MatchKind] | None:
    found = WATCHED.match(readings, colour)
    assert len(found) <= 1, found
    return (found[0].watch_id, found[0].kind) if found else None


HIT, POSSIBLE = MatchKind.HIT, MatchKind.POSSIBLE


@pytest.mark.parametrize(
    ("readings", "colour", "expected"),
    [
        # O and I in the serial are lossless misreads: the normal form makes them exact.
        (["浙C1O345"], None, (1, HIT)),
        (["浙C1o345"], None, (1, HIT)),  # lower case, as Plate Recognizer sends it
        (["浙c·10345"], None, (1, HIT)),
        (["浙Ｃ１０３４５"], None, (1, HIT)),  # full-width
        (["浙C1D345"], None, (1, POSSIBLE)),  # D looks like 0: a person confirms
        (["浙C1Q345"], None, (1, POSSIBLE)),
        (["浙C1234B"], None, (2, POSSIBLE)),  # B read for 8
        (["浙C12348"], None, (2, HIT)),
        (["浙C55123"], None, (3, POSSIBLE)),  # 5 read for S
        (["浙CSS123"], None, (3, POSSIBLE)),
        (["浙CS5123"], None, (3, POSSIBLE)),  # two swapped look-alikes
        (["浙CS51Z3"], None, None),  # 3 look-alike characters: too far
        (["浙812345"], None, (5, POSSIBLE)),  # the authority letter B read as 8
        (["浙CD12345"], GREEN, (4, HIT)),
        (["浙C012345"], GREEN, (4, POSSIBLE)),
        (["粤Z1234港"], None, (6, HIT)),
        (["粤21234港"], None, (6, POSSIBLE)),
        # A candidate in second place still matches; the best reading wins across candidates.
        (["浙C18345", "浙C10345"], None, (1, HIT)),
        (["浙C99999", "浙C1D345"], None, (1, POSSIBLE)),
        (["浙C1D345", "浙C10345"], None, (1, HIT)),
        # The province character is never folded, nor is the colour.
        (["沪C10345"], None, None),
        (["浙C10345"], YELLOW, None),
        (["浙C10345"], BLUE, (1, HIT)),
        # Placeholders and rubbish never match anything.
        (["NOPLATE"], None, None),
        (["0"], None, None),
        (["000"], None, None),
        ([""], None, None),
        (["C10345"], None, None),
        (["浙C1034"], None, None),
    ],
)
def test_misread_table(readings: list[str], colour: PlateColour | None, expected: object) -> None:
    assert _one(readings, colour) == expected


def test_the_same_characters_in_two_colours_are_two_cars() -> None:
    index = _index((1, "浙C12345", BLUE), (2, "浙C12345", YELLOW))
    assert [(m.watch_id, m.kind) for m in index.match(["浙C12345"], YELLOW)] == [(2, HIT)]
    # Without a colour from the camera neither is certain: both go to a person.
    found = sorted((m.watch_id, m.kind) for m in index.match(["浙C12345"], None))
    assert found == [(1, POSSIBLE), (2, POSSIBLE)]


def test_a_possible_hit_reports_how_many_characters_were_look_alikes() -> None:
    (match,) = WATCHED.match(["浙C1234B"], None)
    assert (match.plate, match.reading, match.equivalent_chars) == ("浙C12348", "浙C1234B", 1)


def test_removing_an_entry_forgets_it_and_only_it() -> None:
    index = _index((1, "浙B12345", BLUE), (2, "浙812345", BLUE), (3, "浙B12345", YELLOW))
    index.remove(1, "浙B12345")
    assert {m.watch_id for m in index.match(["浙B12345"], None)} == {2, 3}
    index.remove(3, "浙B12345")
    assert [(m.watch_id, m.kind) for m in index.match(["浙B12345"], None)] == [(2, POSSIBLE)]
    index.remove(2, "浙812345")
    assert index.match(["浙B12345"], None) == []
    assert len(index) == 0


def test_change_feed_rows_are_applied_in_order() -> None:
    index = WatchIndex()
    index.apply(
        [
            (1, "issued", 7, "浙C12345", "blue"),
            (2, "renewed", 7, "浙C12345", "blue"),
            (3, "issued", 8, "浙C54321", "blue"),
            (4, "lifted", 7, "浙C12345", "blue"),
            (5, "fulfilled", 8, "浙C54321", "blue"),
            (6, "issued", 9, "浙C54321", "blue"),
        ]
    )
    assert index.cursor == 6
    assert index.match(["浙C12345"], None) == []
    assert [m.watch_id for m in index.match(["浙C54321"], None)] == [9]


def test_keys_are_compact_and_round_trip() -> None:
    key = plate_key("浙c 1o345")
    assert key is not None and plate_of(key) == "浙C10345"
    assert key == plate_key("浙Ｃ·１Ｏ３４５")  # the general path gives the same key as the fast one
    assert sys.getsizeof(key) < sys.getsizeof("浙C10345")
    assert fold(key)[:3] == key[:3]  # the province is never folded
    assert classify(key, key) is MatchKind.HIT
