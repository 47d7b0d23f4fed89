"""Resident ID numbers (GB 11643), unified social credit codes (GB 32100), and masking."""

from __future__ import annotations

from datetime import date

import pytest

from car_enforce.cases.id_numbers import (
    check_credit_code,
    check_resident_id,
)
from car_enforce.core.errors import InvalidInput
from car_enforce.core.zh import mask_id_number, mask_name, mask_phone

TODAY = date(2026, 11, 23)

# --- resident ID ------------------------------------------------------------------------------------

# The two worked examples printed in GB 11643-1999.
STANDARD_EXAMPLE_X = "11010519491231002X"
STANDARD_EXAMPLE_4 = "440524188001010014"
# A constructed Pingyang (330326) number, born 1990-01-01, sequence 123. Check by hand, weights
# 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 over 3 3 0 3 2 6 1 9 9 0 0 1 0 1 1 2 3:
#   21+27+0+15+16+24+2+9+54+0+0+9+0+5+8+8+6 = 204; 204 mod 11 = 6; "10X98765432"[6] = "6"
PINGYANG = "330326199001011236"
# Check characters 2 and 3 (remainders 10 and 9), changing the last sequence digits of PINGYANG:
#   …1 2 5: 204 - 3·2 + 5·2 = 208; 208 mod 11 = 10 → "2"
#   …1 1 1: 204 - 2·4 - 3·2 + 1·4 + 1·2 = 196; 196 mod 11 = 9 → "3"
CHECK_2 = "330326199001011252"
CHECK_3 = "330326199001011113"


def check_id(raw: str) -> str:
    return check_resident_id(raw, "party.id_number", today=TODAY)


@pytest.mark.parametrize("raw", [STANDARD_EXAMPLE_X, STANDARD_EXAMPLE_4, PINGYANG, CHECK_2, CHECK_3])
def test_valid_resident_ids(raw: str) -> None:
    assert check_id(raw) == raw


def test_resident_id_lower_case_x_and_spaces_are_normalised() -> None:
    assert check_id(" 110105 19491231 002x ") == STANDARD_EXAMPLE_X


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("11010519491231002", "17 characters"),
        ("11010519491231002XX", "19 characters"),
        ("110105491231002", "old 15-digit"),
        ("1101051949123100X2", "17 digits followed by a digit or X"),
        ("11010519491231002A", "17 digits followed by a digit or X"),
        ("110105194912310021", "should be X"),  # wrong check character
        ("330326199001011234", "should be 6"),
        ("010105194912310025", "region code"),  # region starting with 0
        ("390105194912310020", "region code"),  # 39 is no province
        ("110105194902300020", "real date"),  # 30 February
        ("110105194913010020", "real date"),  # month 13
        ("110105202712010020", "future"),
        ("110105180001010020", "not plausible"),
    ],
)
def test_invalid_resident_ids(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as exc:
        check_id(raw)
    assert exc.value.field == "party.id_number"
    assert exc.value.rule == "GB 11643"


def test_birth_date_today_is_accepted_and_tomorrow_is_not() -> None:
    # 2026-11-23 / 2026-11-24 born in Pingyang, sequence 001; check characters by hand:
    #   3 3 0 3 2 6 2 0 2 6 1 1 2 3 0 0 1 → 21+27+0+15+16+24+4+0+12+18+7+9+20+15+0+0+2 = 190;
    #   190 mod 11 = 3 → "9"
    #   day 24 instead of 23 (14th digit, weight 5): 190 + 5 = 195; 195 mod 11 = 8 → "4"
    assert check_id("330326202611230019") == "330326202611230019"
    with pytest.raises(InvalidInput, match="future"):
        check_id("330326202611240014")


def test_resident_id_default_today_comes_from_the_clock() -> None:
    assert check_resident_id(PINGYANG, "id_number") == PINGYANG


# --- unified social credit code ---------------------------------------------------------------------

# Codes of real enterprises as published in the national enterprise credit registry (Huawei Technologies,
# Tencent's Shenzhen company, Beijing Xiaomi Technology) and the code used as the example in GB 32100
# guides, which has letters inside.
REAL_CODES = ["914403001922038216", "9144030071526726XG", "91110108551385082Q", "91350100M000100Y43"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_valid_credit_codes(code: str) -> None:
    assert check_credit_code(code, "party.id_number") == code


def test_credit_code_is_upper_cased_and_stripped() -> None:
    assert check_credit_code(" 9144030071526726xg ", "id_number") == "9144030071526726XG"


def test_credit_code_check_hand_computed() -> None:
    # 91350100M000100Y4?: values 9 1 3 5 0 1 0 0 M=21 0 0 0 1 0 0 Y=30 4,
    # weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28:
    #   9+3+27+135+0+26+0+0+420+0+0+0+8+0+0+900+112 = 1640; 1640 mod 31 = 28; 31 - 28 = 3 → "3"
    check_credit_code("91350100M000100Y43", "id_number")
    with pytest.raises(InvalidInput, match="should be 3"):
        check_credit_code("91350100M000100Y44", "id_number")


def test_credit_code_check_31_is_written_0() -> None:
    # 91350100M000100Y3?: as above with 3 (weight 28) in place of 4: 1640 - 4·28 + 3·28 = 1612 = 52·31;
    # 1612 mod 31 = 0; 31 - 0 = 31, written 0. (Constructed, not a registered code.)
    assert check_credit_code("91350100M000100Y30", "id_number") == "91350100M000100Y30"
    with pytest.raises(InvalidInput, match="should be 0"):
        check_credit_code("91350100M000100Y31", "id_number")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("91440300192203821", "17 characters"),
        ("9144030019220382161", "19 characters"),
        ("914403001922038217", "should be 6"),
        ("9144030071526726XH", "should be G"),
        ("91440300192203821I", "except I, O, S, V, Z"),
        ("914403001922O38216", "except I, O, S, V, Z"),
        ("91440S001922038216", "except I, O, S, V, Z"),
        ("9144A3001922038216", "region code"),
        ("", "0 characters"),
    ],
)
def test_invalid_credit_codes(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as exc:
        check_credit_code(raw, "party.id_number")
    assert exc.value.rule == "GB 32100"


def test_a_resident_id_is_not_a_credit_code() -> None:
    with pytest.raises(InvalidInput):
        check_credit_code(STANDARD_EXAMPLE_X, "id_number")


# --- masking ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("330326199001011234", "3303**********1234"),
        ("9144030071526726XG", "9144**********26XG"),
        (" 330326199001011234 ", "3303**********1234"),
        ("123456789", "1234*6789"),
        ("12345678", "********"),  # too short to show 4 + 4
        ("", ""),
    ],
)
def test_mask_id_number(raw: str, masked: str) -> None:
    assert mask_id_number(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138 **** 5678"),
        ("+86 13812345678", "+86 138****5678"),
        ("0577-88881234", "0577-****1234"),
        ("88881234", "****1234"),
        ("12345", "***45"),
        ("", ""),
    ],
)
def test_mask_phone(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("张三", "张*"),
        ("张三丰", "张*丰"),
        ("欧阳娜娜", "欧**娜"),
        ("买买提·吐尔逊", "买**·**逊"),
        (" 李四 ", "李*"),
        ("王", "*"),
        ("", ""),
    ],
)
def test_mask_person_name(raw: str, masked: str) -> None:
    assert mask_name(raw) == masked


def test_company_names_are_not_masked() -> None:
    assert mask_name("温州某某汽车租赁有限公司", company=True) == "温州某某汽车租赁有限公司"
