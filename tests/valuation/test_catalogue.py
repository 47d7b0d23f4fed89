"""The demo's list prices (valuation/catalogue.py): matched by the longest brand and model prefix."""

from __future__ import annotations

import pytest

from valuation.catalogue import FALLBACK_FEN, LIST_PRICES_FEN, catalogue_entry, new_price_fen


@pytest.mark.parametrize(
    ("brand_model", "entry", "price_fen"),
    [
        ("大众 朗逸 1.5L 自动", "大众 朗逸", 12_090_000),
        ("大众朗逸 1.5L", "大众 朗逸", 12_090_000),  # spaces as whoever typed it put them
        ("特斯拉 model 3 后轮驱动版", "特斯拉 Model 3", 23_550_000),  # and any letter case
        ("特斯拉 Model Y 长续航", "特斯拉 Model Y", 26_390_000),
        ("比亚迪 秦PLUS EV 510km", "比亚迪 秦PLUS EV", 10_980_000),  # the longest entry wins
        ("比亚迪 秦PLUS DM-i 55km", "比亚迪 秦PLUS DM-i", 7_980_000),
        ("比亚迪 秦PLUS 荣耀版", "比亚迪 秦PLUS", 7_980_000),
        ("五菱 宏光MINIEV 马卡龙", "五菱 宏光MINIEV", 3_280_000),
    ],
)
def test_a_known_model_gets_its_list_price(brand_model: str, entry: str, price_fen: int) -> None:
    assert catalogue_entry(brand_model) == entry
    assert new_price_fen(brand_model, "small") == price_fen


@pytest.mark.parametrize(
    ("vehicle_class", "price_fen"),
    [("small", 12_000_000), ("large", 30_000_000), ("other", 5_000_000), ("tractor", 5_000_000)],
)
def test_an_unknown_model_is_priced_by_its_class(vehicle_class: str, price_fen: int) -> None:
    assert catalogue_entry("红旗 H9 2.0T") is None
    assert new_price_fen("红旗 H9 2.0T", vehicle_class) == price_fen


def test_a_model_is_not_found_inside_another_text() -> None:
    assert catalogue_entry("一汽-大众 朗逸") is None  # a prefix, not a substring
    assert catalogue_entry("大众") is None  # a brand alone is not a model


def test_the_table_is_sane() -> None:
    assert len(LIST_PRICES_FEN) >= 15
    assert all(1_000_000 <= p <= 100_000_000 for p in LIST_PRICES_FEN.values())  # 1万 to 100万 yuan
    assert all(p > 0 for p in FALLBACK_FEN.values())
    normalised = {"".join(k.split()).casefold() for k in LIST_PRICES_FEN}
    assert len(normalised) == len(LIST_PRICES_FEN)  # no two entries the same once spaces and case go
