"""Datums: WGS84 (GPS, cameras, the platform's storage) and GCJ-02 (Chinese web maps, DataV boundaries).

GCJ-02 is WGS84 plus a deliberately obfuscated, position-dependent offset of a few hundred metres. The
forward formula (WGS84 → GCJ-02) has been public for years; the reverse has no closed form, so it is
solved by fixed-point iteration of the forward formula. Every coordinate that enters the platform is
converted once, at the edge, and stored in WGS84.
"""

from __future__ import annotations

import math
import numbers
from enum import StrEnum

from car_enforce.core.errors import InvalidInput


class Datum(StrEnum):
    WGS84 = "WGS84"
    GCJ02 = "GCJ02"


# The Krasovsky 1940 ellipsoid, which the published GCJ-02 formula uses (not WGS84's).
_A = 6378245.0
_EE = 0.00669342162296594323

# GCJ-02 is only applied inside this rough bounding box of China; outside it both datums coincide.
# The box is the one every public implementation uses, so converted coordinates agree with theirs.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)

# The reverse iteration stops when the forward image is this close to the target (degrees, ~1 mm).
_REVERSE_TOLERANCE_DEG = 1e-8
_REVERSE_MAX_ITERATIONS = 30


def out_of_china(lon: float, lat: float) -> bool:
    return not (_CHINA_LON[0] <= lon <= _CHINA_LON[1] and _CHINA_LAT[0] <= lat <= _CHINA_LAT[1])


def _offset_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _offset_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lon: float, lat: float) -> tuple[float, float]:
    """The (dlon, dlat) in degrees that GCJ-02 adds to a WGS84 position inside China."""
    dlat = _offset_lat(lon - 105.0, lat - 35.0)
    dlon = _offset_lon(lon - 105.0, lat - 35.0)
    rad_lat = math.radians(lat)
    magic = 1.0 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if out_of_china(lon, lat):
        return lon, lat
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """The WGS84 position whose GCJ-02 image is (lon, lat), to about a millimetre.

    The one-step approximation (subtracting the offset computed at the GCJ-02 point) is off by up to
    a few metres, because the offset varies over its own size; iterating removes that error.
    """
    if out_of_china(lon, lat):
        return lon, lat
    w_lon, w_lat = lon, lat
    for _ in range(_REVERSE_MAX_ITERATIONS):
        g_lon, g_lat = wgs84_to_gcj02(w_lon, w_lat)
        err_lon, err_lat = g_lon - lon, g_lat - lat
        w_lon -= err_lon
        w_lat -= err_lat
        if abs(err_lon) < _REVERSE_TOLERANCE_DEG and abs(err_lat) < _REVERSE_TOLERANCE_DEG:
            break
    return w_lon, w_lat


def validate_coordinates(lon: float, lat: float, field: str = "coordinates") -> tuple[float, float]:
    """The pair as floats, or InvalidInput if it is not a finite longitude/latitude."""
    # The common case first: two floats in range (NaN fails the comparisons, infinity the bounds). Plate
    # reads arrive at tens of thousands a second, each with a position.
    if type(lon) is float and type(lat) is float and -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0:
        return lon, lat
    # Numbers only: a string that happens to parse is a malformed payload, and True is not 1 degree.
    for value in (lon, lat):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise InvalidInput(field, f"coordinates must be numbers, got {lon!r}, {lat!r}", zh="坐标应为数字")
    lon_f, lat_f = float(lon), float(lat)
    if not (math.isfinite(lon_f) and math.isfinite(lat_f)):
        raise InvalidInput(
            field, f"coordinates must be finite numbers, got {lon!r}, {lat!r}", zh="坐标应为有效的数字"
        )
    if not -180.0 <= lon_f <= 180.0:
        raise InvalidInput(field, f"longitude {lon_f} is outside [-180, 180]", zh="经度应在 -180 至 180 之间")
    if not -90.0 <= lat_f <= 90.0:
        raise InvalidInput(field, f"latitude {lat_f} is outside [-90, 90]", zh="纬度应在 -90 至 90 之间")
    return lon_f, lat_f


_DATUMS: dict[str, Datum] = {d.value: d for d in Datum}


def parse_datum(value: Datum | str, field: str = "datum") -> Datum:
    known = _DATUMS.get(value)  # a plain lookup: every plate read passes here
    if known is not None:
        return known
    try:
        return Datum(value)
    except ValueError:
        expected = ", ".join(d.value for d in Datum)
        raise InvalidInput(
            field,
            f"unknown datum {value!r}; expected one of {expected}",
            zh=f"无法识别的坐标系 {value}，应为 {expected} 之一",
        ) from None


def to_wgs84(lon: float, lat: float, datum: Datum | str, field: str = "coordinates") -> tuple[float, float]:
    """A validated position converted from its datum to WGS84, the platform's storage datum."""
    lon_f, lat_f = validate_coordinates(lon, lat, field)
    if parse_datum(datum) is Datum.GCJ02:
        return gcj02_to_wgs84(lon_f, lat_f)
    return lon_f, lat_f
