"""Identity numbers of parties and how to show them.

- Resident identity number (公民身份号码, GB 11643-1999): 18 characters — 6-digit region code, 8-digit
  birth date, 3-digit sequence, and a check character (ISO 7064 MOD 11-2; 10 is written X).
  The same layout and check are used by residence permits for Hong Kong, Macau and Taiwan residents
  (regions 810000, 820000, 830000) and by the 2023 foreigners' permanent-residence card (starting with 9).
- Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from 0-9 and A–Y without
  I O S V Z; position 1 registering authority, 2 organisation type, 3–8 region code, 9–17 organisation
  code, 18 check character (MOD 31).

Masking (for anything shown outside the case file: auction pages, public lists, exports):

- ID numbers keep the first 4 and last 4 characters: ``3303**********1234``;
- phone numbers keep everything but the 4 digits before the last 4: ``138****5678``;
- a person's name keeps its first and last character: ``张*``, ``张*丰``, ``欧**娜``. Company names are not
  masked: an enterprise's name is public registry data (企业信用信息公示) and auction announcements name
  the owner — pass ``company=True``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from car_enforce.core import clock
from car_enforce.core.errors import InvalidInput, Rule

RULE_RESIDENT_ID = Rule("GB 11643", "GB 11643《公民身份号码》")
RULE_CREDIT_CODE = Rule("GB 32100", "GB 32100《法人和其他组织统一社会信用代码编码规则》")

# --- resident identity number ---------------------------------------------------------------------

_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2^(17-i) mod 11
_ID_CHECK: Final = "10X98765432"  # check character for (sum mod 11) = 0, 1, 2, …
# Province-level region codes (GB/T 2260), plus 83 (Taiwan residents' residence permits).
_PROVINCE_CODES: Final = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    }
)  # fmt: skip
# A sanity bound, not a rule: GB 11643's own worked example is born in 1880.
EARLIEST_BIRTH: Final = date(1850, 1, 1)
_ID = re.compile(r"[0-9]{17}[0-9X]")


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character for 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _clean(raw: str) -> str:
    half = "".join(chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else c for c in raw)
    return "".join(half.split()).upper()


def check_resident_id(raw: str, field: str = "id_number", *, today: date | None = None) -> str:
    """Validate an 18-character resident identity number and return it (upper-case X)."""
    if not isinstance(raw, str):
        raise InvalidInput(
            field,
            f"an ID number must be text, got {type(raw).__name__}",
            rule=RULE_RESIDENT_ID,
            zh="身份证号码应为文本",
        )
    value = _clean(raw)
    if len(value) == 15 and value.isdigit():
        raise InvalidInput(
            field,
            "this is an old 15-digit ID number; ask for the 18-digit number on the current ID card",
            rule=RULE_RESIDENT_ID,
            zh="这是旧的 15 位身份证号码，请填写现行居民身份证上的 18 位号码",
        )
    if len(value) != 18:
        raise InvalidInput(
            field,
            f"has {len(value)} characters; a resident ID number has 18 (17 digits and a final digit or X)",
            rule=RULE_RESIDENT_ID,
            zh=f"填写了 {len(value)} 位；公民身份号码为 18 位（17 位数字加 1 位数字或 X）",
        )
    if not _ID.fullmatch(value):
        raise InvalidInput(
            field,
            "a resident ID number is 17 digits followed by a digit or X",
            rule=RULE_RESIDENT_ID,
            zh="公民身份号码应为 17 位数字加 1 位数字或 X",
        )
    region = value[:6]
    if not (region[:2] in _PROVINCE_CODES or region[0] == "9"):  # never starts with 0
        raise InvalidInput(
            field,
            f"region code {region} (first 6 digits) is not a Chinese region code",
            rule=RULE_RESIDENT_ID,
            zh=f"前 6 位{region}不是我国的行政区划代码",
        )
    birth_text = value[6:14]
    try:
        birth = date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:8]))
    except ValueError:
        raise InvalidInput(
            field,
            f"digits 7–14 ({birth_text}) are not a real date of birth (YYYYMMDD)",
            rule=RULE_RESIDENT_ID,
            zh=f"第 7 至 14 位（{birth_text}）不是有效的出生日期（年月日）",
        ) from None
    if today is None:
        today = clock.today_local()
    if birth > today:
        raise InvalidInput(
            field,
            f"date of birth {birth.isoformat()} is in the future",
            rule=RULE_RESIDENT_ID,
            zh=f"出生日期{birth.year}年{birth.month}月{birth.day}日晚于今天",
        )
    if birth < EARLIEST_BIRTH:
        raise InvalidInput(
            field,
            f"date of birth {birth.isoformat()} is not plausible",
            rule=RULE_RESIDENT_ID,
            zh=f"出生日期{birth.year}年{birth.month}月{birth.day}日不合理",
        )
    expected = resident_id_check_char(value[:17])
    if value[17] != expected:
        raise InvalidInput(
            field,
            f"the last character should be {expected} but is {value[17]}: the number has a typo",
            rule=RULE_RESIDENT_ID,
            zh="校验码不符，号码中有填错的数字，请核对",
        )
    return value


# --- unified social credit code -------------------------------------------------------------------

CREDIT_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # value = index; no I O S V Z
_CREDIT_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3^i mod 31
_CREDIT = re.compile(rf"[{CREDIT_ALPHABET}]{{2}}[0-9]{{6}}[{CREDIT_ALPHABET}]{{10}}")


def credit_code_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a credit code."""
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    value = 31 - total % 31
    return CREDIT_ALPHABET[0 if value == 31 else value]


def check_credit_code(raw: str, field: str = "id_number") -> str:
    """Validate an 18-character unified social credit code and return it upper-cased."""
    if not isinstance(raw, str):
        raise InvalidInput(
            field,
            f"a credit code must be text, got {type(raw).__name__}",
            rule=RULE_CREDIT_CODE,
            zh="统一社会信用代码应为文本",
        )
    value = _clean(raw)
    if len(value) != 18:
        raise InvalidInput(
            field,
            f"has {len(value)} characters; a unified social credit code has 18",
            rule=RULE_CREDIT_CODE,
            zh=f"填写了 {len(value)} 位；统一社会信用代码为 18 位",
        )
    bad = sorted({c for c in value if c not in CREDIT_ALPHABET})
    if bad:
        raise InvalidInput(
            field,
            f"contains {' '.join(bad)}: a credit code uses digits and the letters A–Y except I, O, S, V, Z",
            rule=RULE_CREDIT_CODE,
            zh=f"含有{'、'.join(bad)}：统一社会信用代码只使用数字和除 I、O、S、V、Z 以外的字母 A–Y",
        )
    if not _CREDIT.fullmatch(value):
        raise InvalidInput(
            field,
            f"characters 3–8 ({value[2:8]}) must be the 6-digit region code",
            rule=RULE_CREDIT_CODE,
            zh=f"第 3 至 8 位（{value[2:8]}）应为 6 位数字的行政区划代码",
        )
    expected = credit_code_check_char(value[:17])
    if value[17] != expected:
        raise InvalidInput(
            field,
            f"the last character should be {expected} but is {value[17]}: the code has a typo",
            rule=RULE_CREDIT_CODE,
            zh="校验码不符，代码中有填错的字符，请核对",
        )
    return value


# Masking is zh-CN formatting: see car_enforce.core.zh (mask_id_number, mask_phone, mask_name).
