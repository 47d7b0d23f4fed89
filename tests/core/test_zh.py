"""zh-CN formatting: dates on the Shanghai day without leading zeros, yuan from fen, one Jinja environment."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from jinja2 import UndefinedError
from pydantic import BaseModel, Field, ValidationError

from car_enforce.core import zh


def test_an_instant_is_written_on_its_shanghai_day() -> None:
    late_evening_utc = datetime(2026, 3, 4, 17, 5, tzinfo=UTC)  # 01:05 on 5 March in Shanghai
    assert zh.day(late_evening_utc) == "2026年3月5日"
    assert zh.month_day(late_evening_utc) == "3月5日"
    assert zh.month_day_time(late_evening_utc) == "3月5日01:05"
    assert zh.minute(late_evening_utc) == "2026年3月5日 01:05"
    assert zh.day(date(2026, 11, 28)) == "2026年11月28日"


@pytest.mark.parametrize(
    ("fen", "amount", "text"),
    [
        (0, "0.00", "0.00元"),
        (5, "0.05", "0.05元"),
        (123456, "1234.56", "1,234.56元"),
        (-250, "-2.50", "-2.50元"),
    ],
)
def test_money_is_kept_in_fen_and_shown_in_yuan(fen: int, amount: str, text: str) -> None:
    assert zh.yuan(fen) == amount
    assert zh.yuan_text(fen) == text


@pytest.mark.parametrize(("text", "fen"), [("80", 8000), ("80.5", 8050), ("1,234.56元", 123456), ("0.07", 7)])
def test_an_amount_written_in_yuan_is_read_to_the_fen(text: str, fen: int) -> None:
    assert zh.fen_of_yuan(text) == fen


@pytest.mark.parametrize("text", ["", "8.005", "-5", "八十", "1e3", "８０"])
def test_an_amount_that_is_not_yuan_to_the_fen_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        zh.fen_of_yuan(text)


def test_the_jinja_environment_escapes_and_refuses_undefined_names() -> None:
    env = zh.environment("valuation.inspection")
    page = env.from_string("{{ name }}：{{ fen | yuan_text }}，{{ at | day }}")
    assert page.render(name="<b>张三</b>", fen=100000, at=date(2026, 1, 2)) == (
        "&lt;b&gt;张三&lt;/b&gt;：1,000.00元，2026年1月2日"
    )
    with pytest.raises(UndefinedError):
        env.from_string("{{ missing }}").render()


def test_a_schemas_refusal_reads_in_chinese_with_its_limits() -> None:
    class Form(BaseModel):
        bay: str = Field(max_length=4)
        keys: int = Field(ge=0)
        note: str

    try:
        Form.model_validate({"bay": "A-12345", "keys": -1})
    except ValidationError as exc:
        said = {str(e["loc"][0]): zh.validation_error(e) for e in exc.errors()}
    assert said == {"bay": "不能超过 4 个字符", "keys": "不能小于 0", "note": "必须填写"}


def test_a_plate_is_masked_keeping_its_area_and_last_two_characters() -> None:
    assert zh.mask_plate("浙C12345") == "浙C·***45"
    assert zh.mask_plate("浙C·D12345") == "浙C·****45"  # a new-energy plate's eight characters
    assert zh.mask_plate("AB") == "**"
