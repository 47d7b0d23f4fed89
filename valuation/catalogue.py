"""Today's list prices (含税指导价) of a few common cars in China, for the demo and the simulated inquiry
platforms, pure.

The figures are illustrative: rounded manufacturers' guide prices of a popular trim, written down once for the
demo. They are not a price source and must not be used to value a real car; a real platform has its own
database of models and trims.

A car's brand and model text is matched by the longest catalogue entry it starts with, ignoring spaces and
letter case ("比亚迪 秦PLUS DM-i 55km" finds "比亚迪 秦PLUS DM-i" before "比亚迪 秦PLUS"); a car the catalogue
does not know is priced by its vehicle class (the tariff classes of custody: small, large, other).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# brand and model → list price in fen, VAT included
LIST_PRICES_FEN: Final[Mapping[str, int]] = {
    "大众 朗逸": 12_090_000,
    "大众 速腾": 14_690_000,
    "大众 帕萨特": 18_590_000,
    "丰田 卡罗拉": 11_980_000,
    "丰田 凯美瑞": 17_180_000,
    "本田 思域": 12_990_000,
    "本田 雅阁": 16_980_000,
    "日产 轩逸": 10_780_000,
    "别克 英朗": 9_990_000,
    "吉利 帝豪": 6_990_000,
    "长安 CS75 PLUS": 11_190_000,
    "哈弗 H6": 11_990_000,
    "比亚迪 秦PLUS": 7_980_000,  # the DM-i plug-in hybrid, the usual trim
    "比亚迪 秦PLUS DM-i": 7_980_000,
    "比亚迪 秦PLUS EV": 10_980_000,
    "比亚迪 海豚": 9_980_000,
    "特斯拉 Model 3": 23_550_000,
    "特斯拉 Model Y": 26_390_000,
    "五菱 宏光MINIEV": 3_280_000,
    "宝马 3系": 29_990_000,
    "奥迪 A4L": 32_180_000,
}

# A car not in the table, by vehicle class: a mid-range saloon, a light truck or coach, a small special car.
FALLBACK_FEN: Final[Mapping[str, int]] = {"small": 12_000_000, "large": 30_000_000, "other": 5_000_000}
DEFAULT_CLASS: Final = "other"


def _key(text: str) -> str:
    # Spaces and case vary with whoever typed the registration certificate's model into the case.
    return "".join(text.split()).casefold()


_BY_KEY: Final = {_key(name): price for name, price in LIST_PRICES_FEN.items()}


def catalogue_entry(brand_model: str) -> str | None:
    """The catalogue entry ``brand_model`` starts with (the longest one), or None."""
    wanted = _key(brand_model)
    best: str | None = None
    for name in LIST_PRICES_FEN:
        key = _key(name)
        if wanted.startswith(key) and (best is None or len(key) > len(_key(best))):
            best = name
    return best


def new_price_fen(brand_model: str, vehicle_class: str) -> int:
    """Today's list price of the model, or the fallback of its vehicle class (of "other" if unknown)."""
    entry = catalogue_entry(brand_model)
    if entry is not None:
        return _BY_KEY[_key(entry)]
    return FALLBACK_FEN.get(vehicle_class, FALLBACK_FEN[DEFAULT_CLASS])
