"""Plates (GA 36): normal form, shapes, placeholders, and colour / 号牌种类 consistency."""

from __future__ import annotations

import pytest

from car_enforce.core.errors import InvalidInput
from car_enforce.vehicles.models import PlateColour
from car_enforce.vehicles.plates import (
    PLATE_TYPES,
    PlateInfo,
    check_colour_and_type,
    is_placeholder,
    normalise_plate,
    parse_plate,
    split_colour_prefix,
)

C = PlateColour


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("浙C12345", "浙C12345"),
        ("浙c·1o345", "浙C10345"),  # lower case, middle dot, O in the serial
        ("浙C 12345", "浙C12345"),
        (" 浙C-12345 ", "浙C12345"),
        ("浙C•12345", "浙C12345"),
        ("浙C.12345", "浙C12345"),
        ("浙Ｃ１２３４５", "浙C12345"),  # full-width letters and digits
        ("浙Ｃ　１２３４５", "浙C12345"),  # ideographic space
        ("沪AI2345", "沪A12345"),  # I in the serial is a misread 1
        ("浙CABCDE", "浙CABCDE"),  # letters in the serial are allowed
        ("浙C1234学", "浙C1234学"),
        ("浙c·12o4挂", "浙C1204挂"),
        ("浙C0001警", "浙C0001警"),
        ("粤Z1234港", "粤Z1234港"),
        ("粤Z·A123澳", "粤ZA123澳"),
        ("沪A1234领", "沪A1234领"),
        ("浙cd·12345", "浙CD12345"),  # small new-energy
        ("浙CFA1345", "浙CFA1345"),  # small new-energy, letter in the second serial position
        ("浙CDO2345", "浙CD02345"),
        ("浙C12345D", "浙C12345D"),  # large new-energy
        ("京AK12345", "京AK12345"),  # new block letter K (small)
        ("京A12345J", "京A12345J"),  # new block letter J (large)
    ],
)
def test_normalise_plate_accepts_and_normalises(raw: str, expected: str) -> None:
    assert normalise_plate(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "浙C1234",  # too short
        "浙C123456",  # 8 characters but neither new-energy shape
        "浙C1234567",  # too long
        "XC12345",  # no province character
        "台A12345",  # not one of the 31 province abbreviations
        "浙112345",  # digit where the authority letter goes
        "浙I12345",  # authority letter never I
        "浙O12345",  # … nor O (outside police plates)
        "浙C1234$",
        "浙C1234使",
        "使224001",  # embassy: diplomatic immunity, not enforceable
        "浙C1234港",  # 港 plates are always 粤Z
        "粤B1234澳",
        "浙O1234学",  # O only on 警 plates
        "浙CX12345",  # small NEV: first serial letter must be D A B C E F G H J K
        "浙CD1234A",  # small NEV: last four must be digits
        "浙C1234DD",  # large NEV: first five must be digits
        "浙C12345X",  # large NEV: last must be a new-energy letter
        "浙C学1234",
    ],
)
def test_normalise_plate_rejects_malformed(raw: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        normalise_plate(raw)
    assert exc.value.rule == "GA 36"
    assert exc.value.status_code == 422


@pytest.mark.parametrize("raw", ["NOPLATE", "noplate", "NO PLATE", "0", "00", "000", "", "   ", "无车牌"])
def test_placeholders_are_not_plates(raw: str) -> None:
    assert is_placeholder(raw)
    with pytest.raises(InvalidInput, match="placeholder"):
        normalise_plate(raw)


@pytest.mark.parametrize("raw", ["浙C12345", "浙C00000", "NOPLATE1", "O"])
def test_real_or_malformed_values_are_not_placeholders(raw: str) -> None:
    assert not is_placeholder(raw)


def test_error_names_the_field_and_what_is_expected() -> None:
    with pytest.raises(InvalidInput) as exc:
        normalise_plate("浙C1234", field="vehicle.plate")
    assert exc.value.field == "vehicle.plate"
    assert str(exc.value).startswith("vehicle.plate: ")
    assert "浙C12345" in exc.value.detail  # an example of what is expected


def test_o_and_i_are_mapped_only_in_the_serial() -> None:
    # The authority letter is a letter: O there is not silently turned into 0.
    with pytest.raises(InvalidInput, match="authority letter"):
        normalise_plate("浙012345")
    assert normalise_plate("浙CIO2OI") == "浙C10201"


def test_police_plate_may_use_authority_letter_o() -> None:
    assert parse_plate("川O1234警") == PlateInfo("川O1234警", "川", "ordinary", "警")


@pytest.mark.parametrize(
    ("raw", "info"),
    [
        ("浙C12345", PlateInfo("浙C12345", "浙", "ordinary", None)),
        ("浙C1234学", PlateInfo("浙C1234学", "浙", "ordinary", "学")),
        ("粤Z1234港", PlateInfo("粤Z1234港", "粤", "ordinary", "港")),
        ("浙CD12345", PlateInfo("浙CD12345", "浙", "nev_small", None)),
        ("浙C12345F", PlateInfo("浙C12345F", "浙", "nev_large", None)),
    ],
)
def test_parse_plate_tells_the_shape(raw: str, info: PlateInfo) -> None:
    assert parse_plate(raw) == info


@pytest.mark.parametrize(
    ("plate", "colour", "code"),
    [
        ("浙C12345", C.BLUE, "02"),
        ("浙C12345", C.YELLOW, "01"),
        ("浙C12345", C.BLUE, "2"),  # leading zero lost in a spreadsheet
        ("浙C1234挂", C.YELLOW, "15"),
        ("浙C1234学", C.YELLOW, "16"),
        ("浙C0001警", C.WHITE, "23"),
        ("粤Z1234港", C.BLACK, "26"),
        ("粤Z1234澳", C.BLACK, "27"),
        ("沪A1234领", C.BLACK, "04"),
        ("浙CD12345", C.GREEN, "52"),
        ("浙C12345D", C.YELLOW_GREEN, "51"),
        ("浙C12345", C.BLACK, "99"),  # 99 "other" takes any colour for an ordinary shape
        ("浙C1234学", C.BLUE, "99"),
        ("浙CD12345", C.GREEN, "99"),
        ("浙C12345D", C.YELLOW_GREEN, "99"),
    ],
)
def test_colour_and_type_consistent(plate: str, colour: PlateColour, code: str) -> None:
    check_colour_and_type(parse_plate(plate), colour, code)  # does not raise


@pytest.mark.parametrize(
    ("plate", "colour", "code", "message"),
    [
        ("浙C12345", C.YELLOW, "02", "blue"),  # small vehicle plates are blue
        ("浙C12345", C.BLUE, "01", "yellow"),  # large vehicle plates are yellow
        ("浙C12345", C.GREEN, "52", "small new-energy"),  # ordinary shape with a NEV code
        ("浙C12345", C.YELLOW_GREEN, "51", "large new-energy"),
        ("浙CD12345", C.BLUE, "02", "always green"),  # NEV shape with an ordinary code and colour
        ("浙CD12345", C.GREEN, "02", "ordinary"),  # NEV shape, right colour, ordinary code
        ("浙CD12345", C.YELLOW_GREEN, "52", "always green"),
        ("浙C12345D", C.GREEN, "51", "always yellow_green"),
        ("浙CD12345", C.GREEN, "51", "large new-energy"),  # small shape with the large NEV code
        ("浙C12345D", C.YELLOW_GREEN, "52", "small new-energy"),
        ("浙CD12345", C.BLUE, "99", "always green"),  # even code 99 cannot make a NEV plate blue
        ("浙C1234学", C.YELLOW, "01", "学"),  # a coach plate needs code 16
        ("浙C12345", C.YELLOW, "16", "学"),  # code 16 needs a 学 plate
        ("浙C0001警", C.BLUE, "23", "white"),
        ("粤Z1234港", C.BLACK, "27", "澳"),
        ("浙C12345", C.BLUE, "07", "unsupported plate type code"),
        ("浙C12345", C.BLUE, "", "unsupported plate type code"),
    ],
)
def test_colour_and_type_mismatch(plate: str, colour: PlateColour, code: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as exc:
        check_colour_and_type(parse_plate(plate), colour, code)
    assert exc.value.rule in {"GA 36", "GA 24.7"}


def test_unknown_colour_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="unknown plate colour"):
        check_colour_and_type(parse_plate("浙C12345"), "purple", "02")  # type: ignore[arg-type]


def test_type_table_is_data_with_the_codes_of_rules_md() -> None:
    for code in ("01", "02", "51", "52", "99"):
        assert code in PLATE_TYPES
    assert PLATE_TYPES["51"].colours == {PlateColour.YELLOW_GREEN}
    assert PLATE_TYPES["52"].colours == {PlateColour.GREEN}


@pytest.mark.parametrize(
    ("text", "colour", "plate"),
    [
        ("蓝浙C12345", PlateColour.BLUE, "浙C12345"),
        ("黄浙C8Y9Z1", PlateColour.YELLOW, "浙C8Y9Z1"),
        ("绿浙CD12345", PlateColour.GREEN, "浙CD12345"),
        ("渐变绿浙CD12345", PlateColour.GREEN, "浙CD12345"),
        ("黄绿浙C12345D", PlateColour.YELLOW_GREEN, "浙C12345D"),
        ("黄绿双拼浙C12345D", PlateColour.YELLOW_GREEN, "浙C12345D"),
        ("白浙C1234警", PlateColour.WHITE, "浙C1234警"),
        ("黑粤Z1234港", PlateColour.BLACK, "粤Z1234港"),
        ("蓝牌浙C12345", PlateColour.BLUE, "浙C12345"),
        ("黄色浙C8Y9Z1", PlateColour.YELLOW, "浙C8Y9Z1"),
        ("蓝-浙C12345", PlateColour.BLUE, "浙C12345"),
        ("蓝 浙C12345", PlateColour.BLUE, "浙C12345"),
        ("绿_浙CD12345", PlateColour.GREEN, "浙CD12345"),
        ("白·浙C1234警", PlateColour.WHITE, "浙C1234警"),
        ("黑牌：粤Z1234港", PlateColour.BLACK, "粤Z1234港"),
        ("黄绿牌-浙C12345D", PlateColour.YELLOW_GREEN, "浙C12345D"),
        ("黑黑A12345", PlateColour.BLACK, "黑A12345"),  # a black plate of Heilongjiang
    ],
)
def test_the_colour_written_in_front_of_a_plate(text: str, colour: PlateColour, plate: str) -> None:
    assert split_colour_prefix(text) == (colour, plate)


@pytest.mark.parametrize("text", ["浙C12345", "黑A12345", "蓝牌", "黑", "蓝", "", "NOPLATE", "蓝天白云"])
def test_no_colour_in_front_when_no_plate_follows(text: str) -> None:
    assert split_colour_prefix(text) == (None, text)
