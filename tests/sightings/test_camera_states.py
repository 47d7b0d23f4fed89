"""How a camera is doing, as its unit's map colours it: pure rules on its last-seen and skew times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from car_enforce.sightings import cameras
from car_enforce.sightings.cameras import CameraState
from car_enforce.sightings.models import Camera

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _camera(seen: timedelta | None, skewed: timedelta | None = None) -> Camera:
    return Camera(
        external_id="K1",
        vendor="canonical",
        last_seen_at=None if seen is None else NOW - seen,
        clock_skew_s=None if skewed is None else 10_800,
        clock_skew_at=None if skewed is None else NOW - skewed,
    )


def test_a_camera_heard_lately_with_a_believable_clock_is_recent() -> None:
    assert cameras.state_of(_camera(timedelta(minutes=3)), NOW) is CameraState.RECENT


def test_a_camera_never_heard_from_is_said_so() -> None:
    assert cameras.state_of(_camera(None), NOW) is CameraState.NEVER


def test_a_camera_not_heard_from_for_two_hours_is_silent() -> None:
    assert cameras.state_of(_camera(timedelta(hours=2, seconds=1)), NOW) is CameraState.SILENT
    assert cameras.state_of(_camera(timedelta(hours=2)), NOW) is CameraState.RECENT


def test_a_camera_whose_latest_word_had_a_skewed_stamp_is_flagged() -> None:
    camera = _camera(timedelta(minutes=1), skewed=timedelta(minutes=1))
    assert cameras.clock_skewed(camera) and cameras.state_of(camera, NOW) is CameraState.SKEWED


def test_believable_stamps_after_the_skewed_one_mend_the_flag() -> None:
    # Last seen one minute after the skewed stamp: within the precision last-seen times are written with.
    assert cameras.clock_skewed(_camera(timedelta(minutes=1), skewed=timedelta(minutes=2)))
    mended = _camera(timedelta(minutes=1), skewed=timedelta(minutes=4))
    assert not cameras.clock_skewed(mended) and cameras.state_of(mended, NOW) is CameraState.RECENT


def test_silence_outranks_a_skewed_clock_on_the_map() -> None:
    camera = _camera(timedelta(days=3), skewed=timedelta(days=3))
    assert cameras.clock_skewed(camera) and cameras.state_of(camera, NOW) is CameraState.SILENT
