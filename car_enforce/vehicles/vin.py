"""Vehicle identification numbers (GB 16735: ISO 3779 with the North American check digit).

A VIN has 17 characters from 0-9 and A-Z without I, O and Q. Position 9 is a check digit: transliterate
letters to numbers, multiply by the position weights, sum, take the remainder mod 11 (10 is written X).
For vehicles made for China (WMI starting with L) the check digit is mandatory, so a wrong one is
rejected; other VINs (European ones often carry a filler such as Z there) are accepted but flagged for a
person to review (RULES.md §6).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from car_enforce.core.errors import InvalidInput, Rule

RULE_VIN = Rule("GB 16735", "GB 16735《道路车辆　车辆识别代号（VIN）》")

# Letter values of GB 16735 (ISO 3779 Annex): A–H 1–8, J–N 1–5, P 7, R 9, S–Z 2–9. I, O, Q never occur.
TRANSLITERATION: Final[dict[str, int]] = {
    **{str(d): d for d in range(10)},
    "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8,
    "J": 1, "K": 2, "L": 3, "M": 4, "N": 5, "P": 7, "R": 9,
    "S": 2, "T": 3, "U": 4, "V": 5, "W": 6, "X": 7, "Y": 8, "Z": 9,
}  # fmt: skip
WEIGHTS: Final = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
CHECK_POSITION: Final = 9  # 1-based
CHINA_WMI_PREFIX: Final = "L"

_VIN = re.compile(r"[0-9A-HJ-NPR-Z]{17}")


def normalise_vin(raw: str) -> str:
    """Drop all whitespace (VINs get typed in groups), make full-width characters half-width, upper-case."""
    half = "".join(chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else c for c in raw)
    return "".join(half.split()).upper()


def _validate_shape(vin: str, field: str) -> None:
    if len(vin) != 17:
        raise InvalidInput(
            field,
            f"{vin!r} has {len(vin)} characters; a VIN has exactly 17",
            rule=RULE_VIN,
            zh=f"填写了 {len(vin)} 位；车架号（车辆识别代号）为 17 位",
        )
    if _VIN.fullmatch(vin):
        return
    forbidden = sorted({c for c in vin if c in "IOQ"})
    if forbidden:
        raise InvalidInput(
            field,
            f"{vin} contains {', '.join(forbidden)}: a VIN never uses I, O or Q (did you mean 1 or 0?)",
            rule=RULE_VIN,
            zh=f"含有{'、'.join(forbidden)}：车架号不使用字母 I、O、Q（是否应为数字 1 或 0？）",
        )
    bad = sorted({c for c in vin if c not in TRANSLITERATION})
    raise InvalidInput(
        field,
        f"{vin} contains {' '.join(bad)}: a VIN uses only digits 0-9 and letters A-Z without I, O, Q",
        rule=RULE_VIN,
        zh=f"含有{'、'.join(bad)}：车架号只使用数字 0-9 和除 I、O、Q 以外的字母 A-Z",
    )


def vin_check_digit(vin: str, field: str = "vin") -> str:
    """The check character that belongs at position 9 of ``vin`` ("0"–"9" or "X")."""
    vin = normalise_vin(vin)
    _validate_shape(vin, field)
    total = sum(TRANSLITERATION[c] * w for c, w in zip(vin, WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


@dataclass(frozen=True)
class VinCheck:
    vin: str
    check_digit_ok: bool
    needs_review: bool  # a non-Chinese VIN whose check digit fails: kept, for a person to look at


def check_vin(raw: str, field: str = "vin") -> VinCheck:
    """Validate a VIN. InvalidInput (422) for a malformed VIN or a Chinese one with a wrong check digit."""
    if not isinstance(raw, str):
        raise InvalidInput(
            field, f"a VIN must be text, got {type(raw).__name__}", rule=RULE_VIN, zh="车架号应为文本"
        )
    vin = normalise_vin(raw)
    expected = vin_check_digit(vin, field)
    actual = vin[CHECK_POSITION - 1]
    ok = actual == expected
    if not ok and vin.startswith(CHINA_WMI_PREFIX):
        raise InvalidInput(
            field,
            f"{vin}: check digit (9th character) is {actual} but the other characters give {expected}; "
            "for a vehicle made for China (VIN starting with L) it must match — check the VIN for a typo",
            rule=RULE_VIN,
            zh=f"第 9 位校验位为{actual}，按其他各位计算应为{expected}；"
            "国产车辆（以 L 开头）的校验位必须相符，请核对车架号是否填错",
        )
    return VinCheck(vin=vin, check_digit_ok=ok, needs_review=not ok)
