"""VINs (GB 16735): shape, check digit, and the China-only hard check.

Valid examples are published VINs or Chinese VINs whose check digit is computed by hand below, never by
the function under test.

Letter values: A1 B2 C3 D4 E5 F6 G7 H8 J1 K2 L3 M4 N5 P7 R9 S2 T3 U4 V5 W6 X7 Y8 Z9.
Weights:       8 7 6 5 4 3 2 10 0 9 8 7 6 5 4 3 2.
"""

from __future__ import annotations

import pytest

from car_enforce.core.errors import InvalidInput
from car_enforce.vehicles.vin import VinCheck, check_vin, normalise_vin, vin_check_digit

# The textbook example (Wikipedia, "Vehicle identification number", check digit section): check digit X.
TEXTBOOK = "1M8GDM9AXKP042788"
# A 2003 Honda Accord VIN widely used as a decoder example: check digit 3.
#   1·8 + H8·7 + G7·6 + C3·5 + M4·4 + 8·3 + 2·2 + 6·10 + 9th·0 + 3·9 + A1·8 + 0·7 + 0·6 + 4·5 + 3·4
#   + 5·3 + 2·2
#   = 8+56+42+15+16+24+4+60+0+27+8+0+0+20+12+15+4 = 311; 311 mod 11 = 3
HONDA = "1HGCM82633A004352"
# All ones: 1 × (sum of weights 89) = 89; 89 mod 11 = 1, so position 9 is 1.
ALL_ONES = "11111111111111111"
# A constructed Chinese VIN (WMI LFV):
#   L3·8 + F6·7 + V5·6 + 2·5 + A1·4 + 2·3 + 1·2 + K2·10 + 9th·0 + 6·9 + 3·8 + 0·7 + 1·6 + 2·5 + 3·4
#   + 4·3 + 5·2
#   = 24+42+30+10+4+6+2+20+0+54+24+0+6+10+12+12+10 = 266; 266 mod 11 = 2
CHINESE = "LFV2A21K263012345"
# The same with last character 9: 266 - 5·2 + 9·2 = 274; 274 mod 11 = 10, written X.
CHINESE_X = "LFV2A21KX63012349"


@pytest.mark.parametrize(
    ("vin", "digit"),
    [(TEXTBOOK, "X"), (HONDA, "3"), (ALL_ONES, "1"), (CHINESE, "2"), (CHINESE_X, "X")],
)
def test_check_digit_of_known_vins(vin: str, digit: str) -> None:
    assert vin_check_digit(vin) == digit


@pytest.mark.parametrize("vin", [TEXTBOOK, HONDA, ALL_ONES, CHINESE, CHINESE_X])
def test_valid_vins_pass_without_review(vin: str) -> None:
    assert check_vin(vin) == VinCheck(vin=vin, check_digit_ok=True, needs_review=False)


def test_check_vin_normalises_case_and_spaces() -> None:
    assert check_vin("  lfv2a21k2 6301 2345 ").vin == CHINESE
    assert normalise_vin("ｌｆｖ２ａ２１ｋ２６３０１２３４５") == CHINESE  # full-width input


def test_chinese_vin_with_wrong_check_digit_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="check digit") as exc:
        check_vin("LFV2A21K363012345")  # 9th character 3, should be 2
    assert exc.value.rule == "GB 16735"
    assert exc.value.field == "vin"


def test_chinese_vin_with_transposed_characters_is_rejected() -> None:
    with pytest.raises(InvalidInput):
        check_vin("LFV2A21K263012354")  # last two swapped


def test_foreign_vin_with_wrong_check_digit_needs_review() -> None:
    result = check_vin("1M8GDM9A1KP042788")  # textbook VIN with 1 instead of X
    assert result == VinCheck(vin="1M8GDM9A1KP042788", check_digit_ok=False, needs_review=True)


def test_european_vin_without_check_digit_needs_review() -> None:
    # European makers need no check digit and often fill position 9 (and 4–6) with Z.
    result = check_vin("WP0ZZZ99ZTS392124")
    assert not result.check_digit_ok
    assert result.needs_review


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "0 characters"),
        ("1M8GDM9AXKP04278", "16 characters"),
        ("1M8GDM9AXKP0427888", "18 characters"),
        ("1M8GDM9AXKP04278O", "I, O or Q"),  # O instead of 0
        ("IM8GDM9AXKP042788", "I, O or Q"),  # I instead of 1
        ("1M8GDM9AXKP04278Q", "I, O or Q"),
        ("1M8GDM9AXKP04278-", "only digits"),
        ("LFV2A21K26301234中", "only digits"),
    ],
)
def test_malformed_vins_are_rejected(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as exc:
        check_vin(raw, field="vehicle.vin")
    assert exc.value.field == "vehicle.vin"
    assert exc.value.rule == "GB 16735"
