"""Chinese motor-vehicle plates (GA 36): normal form, shape, and plate colour / type-code consistency.

A plate is stored in one normal form — no separators, upper case, half-width, e.g. ``浙C10345`` — so
that the same car typed by a clerk (``浙c·1o345``) and read by a camera (``浙C10345``) is one row.

Shapes accepted (RULES.md §6, GA 36-2018):

- ordinary, 7 characters: province + authority letter + 5-character serial of digits and letters
  (never I or O), e.g. ``浙C12345``;
- ordinary with a suffix, 7 characters: province + authority letter + 4-character serial + one of
  挂 (trailer) 学 (driving-school coach) 警 (police) 港 / 澳 (Hong Kong / Macau cross-border, always
  ``粤Z``) 领 (consulate), e.g. ``浙C1234学``, ``粤Z1234港``;
- small new-energy, 8 characters: province + authority letter + ``[DABCEFGHJK][A-HJ-NP-Z0-9][0-9]{4}``,
  e.g. ``浙CD12345``;
- large new-energy, 8 characters: province + authority letter + ``[0-9]{5}[DABCEFGHJK]``, e.g.
  ``浙C12345D``.

Not accepted, on purpose: embassy plates (使) — embassy vehicles enjoy diplomatic immunity and are never
the object of civil enforcement; military (军) and armed-police (WJ) plates, which are not registered
with the 车管所; temporary plates (临时), which are paper permits, not plates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from car_enforce.core.errors import InvalidInput, Rule
from car_enforce.vehicles.models import PlateColour, colour_zh

RULE_PLATE = Rule("GA 36", "GA 36《中华人民共和国机动车号牌》")
RULE_PLATE_TYPE = Rule("GA 24.7", "GA 24.7《机动车登记信息代码　第7部分：号牌种类代码》")

PROVINCES: Final = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
SUFFIXES: Final = "挂学警港澳领"
# New-energy serial letters: D (pure electric) and F (other), then A B C E and G H J K as blocks run out.
NEV_LETTERS: Final = "DABCEFGHJK"

_LETTERS = "A-HJ-NP-Z"  # A–Z without I and O
_ALNUM = f"{_LETTERS}0-9"
_PROVINCE = f"[{PROVINCES}]"

_ORDINARY = re.compile(rf"{_PROVINCE}[{_LETTERS}][{_ALNUM}]{{5}}")
# Provincial police headquarters use the authority letter O on 警 plates (e.g. 川O1234警); nowhere else.
_SUFFIXED = re.compile(rf"{_PROVINCE}[{_LETTERS}O][{_ALNUM}]{{4}}[{SUFFIXES}]")
_NEV_SMALL = re.compile(rf"{_PROVINCE}[{_LETTERS}][{NEV_LETTERS}][{_ALNUM}][0-9]{{4}}")
_NEV_LARGE = re.compile(rf"{_PROVINCE}[{_LETTERS}][0-9]{{5}}[{NEV_LETTERS}]")

# Separators people and systems put inside plates: spaces, middle dots, full stops, hyphens, dashes.
_SEPARATORS = re.compile(r"[\s·•‧∙・.\-‐‑‒–—_]+")

# What plate readers and tow-yard exports send when there is no plate (FORMATS.md): never a plate.
_PLACEHOLDER_WORDS: Final = frozenset(
    {"", "NOPLATE", "NOPLATES", "NONE", "无车牌", "无牌", "无号牌", "未识别"}
)

PlateKind = Literal["ordinary", "nev_small", "nev_large"]

_EXPECTED = (
    "expected a Chinese plate such as 浙C12345 (7 characters: province, authority letter, 5 digits or "
    "letters without I/O), 浙C1234学 / 粤Z1234港 (挂 学 警 港 澳 领 plates), or a new-energy plate "
    "浙CD12345 / 浙C12345D (8 characters)"
)
_EXPECTED_ZH = (
    "应为浙C12345这样的号牌（7 位：省份简称、发牌机关代号、5 位不含 I 和 O 的数字或字母），"
    "浙C1234学、粤Z1234港这样的挂、学、警、港、澳、领号牌，或浙CD12345、浙C12345D这样的 8 位新能源号牌"
)


def _to_half_width(text: str) -> str:
    """Full-width ASCII (U+FF01–U+FF5E) and the ideographic space become their half-width forms."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        elif code == 0x3000:
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _clean(raw: str) -> str:
    """Half-width, upper case, no separators: the first step for plates and placeholders alike."""
    return _SEPARATORS.sub("", _to_half_width(raw)).upper()


# Colour words Chinese checkpoint firmware and platforms write in front of the plate (FORMATS.md):
# 蓝浙C12345, 黄绿浙C12345D, 蓝牌浙C12345, 蓝色-浙C12345. Longest first, so 黄绿 is not read as 黄.
# 渐变绿 (the gradient green of small new-energy plates) and 黄绿双拼 are how some platforms name them.
_COLOUR_PREFIXES: Final[tuple[tuple[str, PlateColour], ...]] = (
    ("黄绿双拼", PlateColour.YELLOW_GREEN),
    ("渐变绿", PlateColour.GREEN),
    ("黄绿", PlateColour.YELLOW_GREEN),
    ("蓝", PlateColour.BLUE),
    ("黄", PlateColour.YELLOW),
    ("绿", PlateColour.GREEN),
    ("白", PlateColour.WHITE),
    ("黑", PlateColour.BLACK),
)
COLOUR_INITIALS: Final = frozenset(word[0] for word, _ in _COLOUR_PREFIXES)
_PREFIX_TAIL = re.compile(r"[牌色]*[\s:：·•‧∙・.\-‐‑‒–—_|/\\()（）\[\]【】]*")


def split_colour_prefix(text: str) -> tuple[PlateColour | None, str]:
    """(the colour written in front of the plate, the plate without it); (None, text) when there is none.

    黑 is both a colour and a province (黑龙江): ``黑A12345`` is a Heilongjiang plate, ``黑黑A12345`` a black
    one. A prefix is only taken when a province character follows it.
    """
    stripped = text.lstrip()
    if stripped[:1] not in COLOUR_INITIALS:
        return None, text
    for word, colour in _COLOUR_PREFIXES:
        if stripped.startswith(word):
            rest = stripped[len(word) :]
            tail = _PREFIX_TAIL.match(rest)
            rest = rest[tail.end() :] if tail else rest
            if rest and rest[0] in PROVINCES:
                return colour, rest
    return None, text


def is_placeholder(raw: str) -> bool:
    """True for the "no plate" values readers and exports send: NOPLATE, 0, 00, 000, empty, 无车牌 …

    Any string of zeros only counts (``0000`` as well as ``0``). Placeholders never match a watch list.
    """
    cleaned = _clean(raw)
    return cleaned in _PLACEHOLDER_WORDS or set(cleaned) == {"0"}


def _map_serial(cleaned: str) -> str:
    """O→0 and I→1 in the serial (after province and authority letter): serials never hold I or O."""
    if len(cleaned) <= 2:
        return cleaned
    return cleaned[:2] + cleaned[2:].replace("O", "0").replace("I", "1")


@dataclass(frozen=True)
class PlateInfo:
    plate: str  # normal form, e.g. 浙C12345
    province: str  # 浙
    kind: PlateKind
    suffix: str | None  # 挂 学 警 港 澳 领, or None


def parse_plate(raw: str, field: str = "plate") -> PlateInfo:
    """Normalise ``raw`` and tell its shape; InvalidInput (422) for anything that is not a plate."""
    if not isinstance(raw, str):
        raise InvalidInput(
            field, f"a plate must be text, got {type(raw).__name__}", rule=RULE_PLATE, zh="号牌应为文本"
        )
    if is_placeholder(raw):
        raise InvalidInput(
            field,
            f"{raw.strip()!r} is a placeholder for a missing plate, not a plate; {_EXPECTED}",
            rule=RULE_PLATE,
            zh=f"“{raw.strip()}”表示没有号牌，不是号牌；{_EXPECTED_ZH}",
        )
    plate = _map_serial(_clean(raw))
    if plate.startswith("使") or plate.endswith("使"):
        raise InvalidInput(
            field,
            f"{plate} is an embassy plate (使): embassy vehicles have diplomatic immunity and cannot be "
            "seized in civil enforcement",
            rule=RULE_PLATE,
            zh=f"{plate}是使馆号牌：使馆车辆享有外交豁免，不能在民事执行中查封、扣押",
        )
    if plate[:1] not in PROVINCES:
        raise InvalidInput(
            field,
            f"{plate} does not start with a province character (one of {PROVINCES}); {_EXPECTED}",
            rule=RULE_PLATE,
            zh=f"{plate}不是以省份简称开头；{_EXPECTED_ZH}",
        )
    province = plate[0]
    if len(plate) < 2 or not ("A" <= plate[1] <= "Z") or (plate[1] in "IO" and not plate.endswith("警")):
        raise InvalidInput(
            field,
            f"{plate}: the second character must be the authority letter A–Z (never I or O), "
            f"as C in 浙C12345; {_EXPECTED}",
            rule=RULE_PLATE,
            zh=f"{plate}：第二位应为发牌机关代号字母（如浙C12345中的C，不用 I 和 O）；{_EXPECTED_ZH}",
        )
    if _ORDINARY.fullmatch(plate):
        return PlateInfo(plate, province, "ordinary", None)
    if _SUFFIXED.fullmatch(plate):
        suffix = plate[-1]
        if plate[1] == "O" and suffix != "警":
            raise InvalidInput(
                field,
                f"{plate}: the authority letter O is only used on police (警) plates; {_EXPECTED}",
                rule=RULE_PLATE,
                zh=f"{plate}：发牌机关代号 O 只用于警用号牌；{_EXPECTED_ZH}",
            )
        if suffix in "港澳" and not plate.startswith("粤Z"):
            raise InvalidInput(
                field,
                f"{plate}: Hong Kong and Macau cross-border plates (港/澳) are always issued as 粤Z, "
                f"e.g. 粤Z1234{suffix}",
                rule=RULE_PLATE,
                zh=f"{plate}：港澳入出境车号牌一律以粤Z开头，例如粤Z1234{suffix}",
            )
        return PlateInfo(plate, province, "ordinary", suffix)
    if _NEV_SMALL.fullmatch(plate):
        return PlateInfo(plate, province, "nev_small", None)
    if _NEV_LARGE.fullmatch(plate):
        return PlateInfo(plate, province, "nev_large", None)
    raise InvalidInput(
        field,
        f"{plate!r} is not a valid plate ({len(plate)} characters); {_EXPECTED}",
        rule=RULE_PLATE,
        zh=f"{plate}（{len(plate)} 位）不是有效的号牌；{_EXPECTED_ZH}",
    )


def normalise_plate(raw: str, field: str = "plate") -> str:
    """The plate's normal form: ``"浙c·1o345"`` → ``"浙C10345"``; InvalidInput if it is not a plate."""
    return parse_plate(raw, field).plate


# --- plate colour and 号牌种类 (plate type code) -------------------------------------------------


@dataclass(frozen=True)
class PlateTypeRule:
    """What a 号牌种类 code allows. An empty set means "any"."""

    name: str
    colours: frozenset[PlateColour]
    kinds: frozenset[PlateKind]
    # The suffix the plate must carry; None = no suffix. ``ANY_SUFFIX`` = not checked.
    suffix: str | None


ANY_SUFFIX: Final = "*"

_C = PlateColour
PLATE_TYPES: Final[dict[str, PlateTypeRule]] = {
    "01": PlateTypeRule("大型汽车 (large vehicle)", frozenset({_C.YELLOW}), frozenset({"ordinary"}), None),
    "02": PlateTypeRule("小型汽车 (small vehicle)", frozenset({_C.BLUE}), frozenset({"ordinary"}), None),
    "04": PlateTypeRule("领馆汽车 (consulate)", frozenset({_C.BLACK}), frozenset({"ordinary"}), "领"),
    "15": PlateTypeRule("挂车 (trailer)", frozenset({_C.YELLOW}), frozenset({"ordinary"}), "挂"),
    "16": PlateTypeRule(
        "教练汽车 (driving-school coach)", frozenset({_C.YELLOW}), frozenset({"ordinary"}), "学"
    ),
    "23": PlateTypeRule("警用汽车 (police)", frozenset({_C.WHITE}), frozenset({"ordinary"}), "警"),
    "26": PlateTypeRule("香港入出境车 (Hong Kong)", frozenset({_C.BLACK}), frozenset({"ordinary"}), "港"),
    "27": PlateTypeRule("澳门入出境车 (Macau)", frozenset({_C.BLACK}), frozenset({"ordinary"}), "澳"),
    # 51 large / 52 small: the majority reading of GA 24.7 (RULES.md §6 marks the order unconfirmed).
    "51": PlateTypeRule(
        "大型新能源汽车 (large new-energy)", frozenset({_C.YELLOW_GREEN}), frozenset({"nev_large"}), None
    ),
    "52": PlateTypeRule(
        "小型新能源汽车 (small new-energy)", frozenset({_C.GREEN}), frozenset({"nev_small"}), None
    ),
    "99": PlateTypeRule("其他号牌 (other)", frozenset(), frozenset(), ANY_SUFFIX),
}


def plate_type_category(type_code: str) -> str | None:
    """The Chinese category name of a 号牌种类 code (02 → 小型汽车); None for 99 and unknown codes."""
    rule = PLATE_TYPES.get(type_code.strip().zfill(2))
    if rule is None or not rule.kinds:
        return None
    return rule.name.split(" (")[0]


# Whatever the type code (99 included), a new-energy shape is printed in one colour only.
SHAPE_COLOURS: Final[dict[PlateKind, PlateColour]] = {
    "nev_small": PlateColour.GREEN,
    "nev_large": PlateColour.YELLOW_GREEN,
}

_KIND_NAMES: Final[dict[PlateKind, str]] = {
    "ordinary": "an ordinary 7-character plate",
    "nev_small": "a small new-energy plate",
    "nev_large": "a large new-energy plate",
}
_KIND_NAMES_ZH: Final[dict[PlateKind, str]] = {
    "ordinary": "7 位普通号牌",
    "nev_small": "小型新能源号牌",
    "nev_large": "大型新能源号牌",
}


def _type_zh(code: str, rule: PlateTypeRule) -> str:
    return f"{code}（{rule.name.split(' (')[0]}）"


def check_colour_and_type(info: PlateInfo, colour: PlateColour, type_code: str) -> None:
    """Raise InvalidInput if the plate's shape, its colour and its 号牌种类 code do not fit together."""
    code = type_code.strip()
    if code.isdigit() and len(code) == 1:
        code = "0" + code  # spreadsheets drop the leading zero of 01 / 02
    rule = PLATE_TYPES.get(code)
    if rule is None:
        known = ", ".join(f"{c} {r.name}" for c, r in PLATE_TYPES.items())
        raise InvalidInput(
            "plate_type",
            f"unknown or unsupported plate type code {type_code!r}; expected one of {known}",
            rule=RULE_PLATE_TYPE,
            zh=f"号牌种类代码“{type_code}”不存在或不受支持，应为"
            f"{'、'.join(_type_zh(c, r) for c, r in PLATE_TYPES.items())}之一",
        )
    try:
        colour = PlateColour(colour)
    except ValueError:
        raise InvalidInput(
            "plate_colour",
            f"unknown plate colour {colour!r}; expected one of {', '.join(c.value for c in PlateColour)}",
            rule=RULE_PLATE,
            zh=f"号牌颜色“{colour}”不存在，应为{'、'.join(colour_zh(c) for c in PlateColour)}之一",
        ) from None

    shape_colour = SHAPE_COLOURS.get(info.kind)
    if shape_colour is not None and colour != shape_colour:
        raise InvalidInput(
            "plate_colour",
            f"{info.plate} is {_KIND_NAMES[info.kind]}, which is always {shape_colour.value}, "
            f"not {colour.value}",
            rule=RULE_PLATE,
            zh=f"{info.plate}是{_KIND_NAMES_ZH[info.kind]}，一律为{colour_zh(shape_colour)}，不是{colour_zh(colour)}",
        )
    if rule.kinds and info.kind not in rule.kinds:
        wanted = " or ".join(_KIND_NAMES[k] for k in sorted(rule.kinds))
        raise InvalidInput(
            "plate_type",
            f"type code {code} ({rule.name}) needs {wanted}, but {info.plate} is {_KIND_NAMES[info.kind]}",
            rule=RULE_PLATE_TYPE,
            zh=f"号牌种类{_type_zh(code, rule)}应为"
            f"{'或'.join(_KIND_NAMES_ZH[k] for k in sorted(rule.kinds))}，"
            f"而{info.plate}是{_KIND_NAMES_ZH[info.kind]}",
        )
    if rule.suffix != ANY_SUFFIX and info.suffix != rule.suffix:
        if rule.suffix is None:
            raise InvalidInput(
                "plate_type",
                f"{info.plate} ends in {info.suffix}, which type code {code} ({rule.name}) does not carry; "
                f"use the code for {info.suffix} plates",
                rule=RULE_PLATE_TYPE,
                zh=f"{info.plate}以“{info.suffix}”结尾，号牌种类{_type_zh(code, rule)}没有此字，"
                f"请选择{info.suffix}字号牌的种类代码",
            )
        raise InvalidInput(
            "plate_type",
            f"type code {code} ({rule.name}) is for plates ending in {rule.suffix}, but {info.plate} "
            + (f"ends in {info.suffix}" if info.suffix else "has no such suffix"),
            rule=RULE_PLATE_TYPE,
            zh=f"号牌种类{_type_zh(code, rule)}用于以“{rule.suffix}”结尾的号牌，而{info.plate}"
            + (f"以“{info.suffix}”结尾" if info.suffix else "没有此字"),
        )
    if rule.colours and colour not in rule.colours:
        wanted = " or ".join(sorted(c.value for c in rule.colours))
        raise InvalidInput(
            "plate_colour",
            f"type code {code} ({rule.name}) plates are {wanted}, not {colour.value}",
            rule=RULE_PLATE_TYPE,
            zh=f"号牌种类{_type_zh(code, rule)}的号牌为"
            f"{'或'.join(colour_zh(c) for c in sorted(rule.colours))}，不是{colour_zh(colour)}",
        )
