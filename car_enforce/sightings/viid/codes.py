"""GA/T 1400 code tables as data, and readers for codes as the field sends them (unpadded, as strings)."""

from __future__ import annotations

import math
from enum import IntEnum
from typing import Final, Literal

from car_enforce.core.errors import InvalidInput
from car_enforce.vehicles.models import PlateColour
from car_enforce.vehicles.plates import PLATE_TYPES, PlateTypeRule, parse_plate, split_colour_prefix

_C = PlateColour

# GA/T 1400.3-2017 附录 B, 颜色 (ColorType): the table ``PlateColor`` follows in most senders
# (FORMATS.md). Only five of its colours are plate colours; the others mean "not a plate colour we know".
GAT1400_COLOURS: Final[dict[int, tuple[str, PlateColour | None]]] = {
    1: ("黑 black", _C.BLACK),
    2: ("白 white", _C.WHITE),
    3: ("灰 grey", None),
    4: ("红 red", None),
    5: ("蓝 blue", _C.BLUE),
    6: ("黄 yellow", _C.YELLOW),
    7: ("橙 orange", None),
    8: ("棕 brown", None),
    9: ("绿 green", _C.GREEN),
    10: ("紫 purple", None),
    11: ("青 cyan", None),
    12: ("粉 pink", None),
    13: ("透明 transparent", None),
    99: ("其他 other", None),
}

# The traffic-management plate-colour codes (公安交通管理 号牌颜色) some platforms send in ``PlateColor``
# instead (FORMATS.md): which table a device uses is part of its account's configuration.
TRAFFIC_COLOURS: Final[dict[int, tuple[str, PlateColour | None]]] = {
    0: ("白 white", _C.WHITE),
    1: ("黄 yellow", _C.YELLOW),
    2: ("蓝 blue", _C.BLUE),
    3: ("黑 black", _C.BLACK),
    4: ("绿 green", _C.GREEN),
}

ColourTable = Literal["gat1400", "traffic"]
COLOUR_TABLES: Final[dict[str, dict[int, tuple[str, PlateColour | None]]]] = {
    "gat1400": GAT1400_COLOURS,
    "traffic": TRAFFIC_COLOURS,
}

# ``PlateClass`` is GA 24.7 号牌种类, the table the platform already keeps for registrations.
PLATE_CLASSES: Final[dict[str, PlateTypeRule]] = PLATE_TYPES
# 大型 / 小型新能源汽车: the large plate is yellow and green, which no colour table has: senders say green.
LARGE_NEW_ENERGY: Final = "51"
SMALL_NEW_ENERGY: Final = "52"


class StatusCode(IntEnum):
    """``ResponseStatusObject.StatusCode``: GA/T 1400.3-2017 A.26 (应答状态对象), values per its 附录 B.

    Field implementations answer with the integer (some clients fail on the string ``"0"``).
    """

    OK = 0  # 正常
    OTHER_ERROR = 1  # 其他未知错误
    DEVICE_BUSY = 2  # 设备忙
    DEVICE_ERROR = 3  # 设备错
    INVALID_OPERATION = 4  # 无效操作
    INVALID_XML_FORMAT = 5  # XML 格式无效
    INVALID_XML_CONTENT = 6  # XML 内容无效
    INVALID_JSON_FORMAT = 7  # JSON 格式无效
    INVALID_JSON_CONTENT = 8  # JSON 内容无效
    REBOOT = 9  # 系统重启中


# The standard's English names, which senders log and field servers answer in ``StatusString``.
STATUS_STRINGS: Final[dict[StatusCode, str]] = {
    StatusCode.OK: "OK",
    StatusCode.OTHER_ERROR: "OtherError",
    StatusCode.DEVICE_BUSY: "Device Busy",
    StatusCode.DEVICE_ERROR: "Device Error",
    StatusCode.INVALID_OPERATION: "Invalid Operation",
    StatusCode.INVALID_XML_FORMAT: "Invalid XML Format",
    StatusCode.INVALID_XML_CONTENT: "Invalid XML Content",
    StatusCode.INVALID_JSON_FORMAT: "Invalid JSON Format",
    StatusCode.INVALID_JSON_CONTENT: "Invalid JSON Content",
    StatusCode.REBOOT: "Reboot",
}


def code_number(value: object, field: str) -> int | None:
    """A code as sent (``2``, ``"2"``, ``"02"``, ``" 02 "``) as a number; None when absent or empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidInput(field, f"a code must be digits, got {value!r}", zh="代码应为数字")
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if value < 0:
            raise InvalidInput(field, f"a code must be digits, got {value!r}", zh="代码应为数字")
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.isascii() and text.isdigit() and len(text) <= 4:
            return int(text)
    raise InvalidInput(field, f"a code must be digits, got {value!r}", zh="代码应为数字")


def plate_colour(value: object, table: str, field: str) -> PlateColour | None:
    """``PlateColor`` by the account's table; None for "other", a non-plate colour or an unknown code."""
    code = code_number(value, field)
    if code is None:
        return None
    known = COLOUR_TABLES[table].get(code)
    return None if known is None else known[1]


def plate_class(value: object, field: str) -> str | None:
    """``PlateClass`` as its two-digit GA 24.7 code (``"2"`` → ``"02"``); None when absent."""
    code = code_number(value, field)
    if code is None:
        return None
    if code > 99:
        raise InvalidInput(
            field, f"a 号牌种类 code has two digits, got {value!r}", zh="号牌种类代码应为两位数字"
        )
    return f"{code:02d}"


def colour_for_class(colour: PlateColour | None, class_code: str | None, plate: str) -> PlateColour | None:
    """The colour once class and shape are known: green on a large new-energy plate is yellow-green."""
    # The colour tables have one green for both new-energy plates; class 51 or the shape 浙C12345D tell.
    if colour is not PlateColour.GREEN or class_code == SMALL_NEW_ENERGY:
        return colour
    if class_code == LARGE_NEW_ENERGY:
        return PlateColour.YELLOW_GREEN
    try:
        kind = parse_plate(split_colour_prefix(plate)[1]).kind
    except InvalidInput:
        return colour
    return PlateColour.YELLOW_GREEN if kind == "nev_large" else colour
