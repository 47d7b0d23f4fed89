"""zh-CN formatting in one place: dates and times in Asia/Shanghai, money in yuan from fen, masked
personal data, and the one Jinja environment every page and document is rendered with.

Dates are written the way Chinese official documents write them: ``2026年11月28日``, no leading zeros.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from typing import Any, Final

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from car_enforce.core import clock

# --- dates and times --------------------------------------------------------------------------------


def _local(value: date | datetime) -> date | datetime:
    return clock.local(value) if isinstance(value, datetime) else value


def day(value: date | datetime) -> str:
    """``2026年11月28日``; an instant is shown on its Shanghai day."""
    d = _local(value)
    return f"{d.year}年{d.month}月{d.day}日"


def month_day(value: date | datetime) -> str:
    """``11月28日``."""
    d = _local(value)
    return f"{d.month}月{d.day}日"


def clock_time(instant: datetime) -> str:
    """``09:05`` in Shanghai."""
    return f"{clock.local(instant):%H:%M}"


def month_day_time(instant: datetime) -> str:
    """``11月28日09:05``: when a car was seen or seized, in a text message."""
    return f"{month_day(instant)}{clock_time(instant)}"


def minute(instant: datetime) -> str:
    """``2026年11月28日 09:05``: an instant on a record."""
    return f"{day(instant)} {clock_time(instant)}"


# --- money ----------------------------------------------------------------------------------------


def yuan(fen: int) -> str:
    """Fen as a yuan amount with two decimals, no grouping: ``-123456`` → ``-1234.56``."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def yuan_text(fen: int) -> str:
    """Fen for a person to read: ``123456`` → ``1,234.56元``."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d}元"


def fen_of_yuan(text: str) -> int:
    """An amount a person wrote in yuan, to the fen: ``80`` → 8000, ``1,234.5元`` → 123450; ValueError
    for anything else (a third decimal, a letter), since money is never rounded on the way in."""
    value = text.strip().removesuffix("元").replace(",", "").strip()
    found = re.fullmatch(r"([0-9]{1,12})(?:\.([0-9]{1,2}))?", value)
    if found is None:
        raise ValueError(f"{text!r} is not an amount in yuan (such as 80 or 80.50)")
    return int(found.group(1)) * 100 + int((found.group(2) or "").ljust(2, "0"))


# --- masking --------------------------------------------------------------------------------------

MASK: Final = "*"
_NAME_SEPARATORS: Final = frozenset(" ·•・.-")


def mask_id_number(s: str) -> str:
    """Keep the first 4 and last 4 characters: ``330326199001011234`` → ``3303**********1234``.

    Values of 8 characters or fewer would be shown whole that way, so they are masked entirely.
    """
    value = "".join(s.split())
    if len(value) <= 8:
        return MASK * len(value)
    return value[:4] + MASK * (len(value) - 8) + value[-4:]


def mask_phone(s: str) -> str:
    """Mask the 4 digits before the last 4, leaving separators: ``13812345678`` → ``138****5678``,
    ``0577-88881234`` → ``0577-****1234``. Numbers of fewer than 8 digits keep only their last 2 digits."""
    value = s.strip()
    positions = [i for i, c in enumerate(value) if c.isdigit()]
    n = len(positions)
    hidden = set(positions[n - 8 : n - 4]) if n >= 8 else set(positions[: max(n - 2, 0)])
    return "".join(MASK if i in hidden else c for i, c in enumerate(value))


def mask_plate(plate: str) -> str:
    """A plate for public display: the issuing area kept, the serial hidden but its last 2 characters:
    ``浙C12345`` → ``浙C·***45``, ``浙CD12345`` → ``浙C·****45``. A shape that is not a Chinese plate keeps
    only its last 2 characters."""
    value = "".join(c for c in plate if not c.isspace() and c not in "·•.-")
    if len(value) >= 5 and "\u4e00" <= value[0] <= "\u9fff":
        return f"{value[:2]}·{MASK * (len(value) - 4)}{value[-2:]}"
    return MASK * max(len(value) - 2, 0) + value[-2:] if len(value) > 2 else MASK * len(value)


def mask_name(name: str, *, company: bool = False) -> str:
    """A person's name for public display, first and last character kept.

    ``张三`` → ``张*``, ``张三丰`` → ``张*丰``, ``欧阳娜娜`` → ``欧**娜``, ``买买提·吐尔逊`` → ``买**·**逊``
    (separators stay). Company names (``company=True``) are returned unchanged.
    """
    value = name.strip()
    if company:
        return value
    letters = [i for i, c in enumerate(value) if c not in _NAME_SEPARATORS]
    if len(letters) <= 1:
        return "".join(MASK if i in letters else c for i, c in enumerate(value))
    shown = {letters[0]} if len(letters) == 2 else {letters[0], letters[-1]}
    return "".join(c if (i in shown or c in _NAME_SEPARATORS) else MASK for i, c in enumerate(value))


# --- the one Jinja environment ----------------------------------------------------------------------

FILTERS = {
    "day": day,
    "month_day": month_day,
    "minute": minute,
    "yuan": yuan,
    "yuan_text": yuan_text,
    "mask_name": mask_name,
    "mask_phone": mask_phone,
    "mask_id_number": mask_id_number,
    "mask_plate": mask_plate,
}


@cache
def environment(package: str, folder: str = "templates") -> Environment:
    """The Jinja environment for a package's templates: autoescaped, strict about undefined names, with
    the formatting above as filters (``{{ custody.taken_in_at | minute }}``, ``{{ fen | yuan_text }}``)."""
    env = Environment(
        loader=PackageLoader(package, folder),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


# A schema's refusal in Chinese, by pydantic's error type; ``{…}`` filled from the error's context.
_VALIDATION = {
    "missing": "必须填写",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "不能超过 {max_length} 个字符",
    "string_pattern_mismatch": "格式不对",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_parsing": "应为是或否",
    "date_parsing": "日期格式应为 年-月-日",
    "date_from_datetime_parsing": "日期格式应为 年-月-日",
    "datetime_parsing": "时间格式不对",
    "datetime_from_date_parsing": "时间格式不对",
    "enum": "不是可选的值",
    "literal_error": "不是可选的值",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "extra_forbidden": "不应出现此项",
}


def validation_error(error: Mapping[str, Any]) -> str:
    """One pydantic error as a person at a form reads it: in Chinese where its type is known, the
    schema's own words (a custom check's message) otherwise."""
    template = _VALIDATION.get(str(error.get("type", "")))
    if template is None:
        message = str(error.get("msg", ""))
        return message.removeprefix("Value error, ")
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template.split("{")[0].strip() or str(error.get("msg", ""))
