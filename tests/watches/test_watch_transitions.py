"""The watch status machine, without a database."""

from __future__ import annotations

import pytest

from car_enforce.watches.models import Watch, WatchStatus
from car_enforce.watches.transitions import WatchStateConflict, can, move

ALL = list(WatchStatus)


@pytest.mark.parametrize(
    ("verb", "allowed"),
    [
        ("activate", {WatchStatus.QUEUED}),
        ("renew", {WatchStatus.ACTIVE}),
        ("lift", {WatchStatus.ACTIVE, WatchStatus.QUEUED}),
        ("lapse", {WatchStatus.ACTIVE}),
        ("fulfil", {WatchStatus.ACTIVE, WatchStatus.QUEUED}),
    ],
)
def test_each_verb_starts_only_from_its_statuses(verb: str, allowed: set[WatchStatus]) -> None:
    assert {s for s in ALL if can(verb, s)} == allowed


@pytest.mark.parametrize("status", [WatchStatus.LIFTED, WatchStatus.LAPSED, WatchStatus.FULFILLED])
def test_an_ended_watch_cannot_move_again(status: WatchStatus) -> None:
    watch = Watch(id=7, status=status)
    for verb in ("activate", "renew", "lift", "lapse", "fulfil"):
        with pytest.raises(WatchStateConflict, match="watch 7 is"):
            move(watch, verb)
    assert watch.status == status


def test_move_returns_the_previous_status_and_sets_the_new_one() -> None:
    watch = Watch(id=1, status=WatchStatus.QUEUED)
    assert move(watch, "lift") == WatchStatus.QUEUED
    assert watch.status == WatchStatus.LIFTED


def test_status_read_back_as_a_plain_string_still_moves() -> None:
    watch = Watch(id=2, status="active")  # what a String column gives back
    assert move(watch, "lapse") == WatchStatus.ACTIVE
