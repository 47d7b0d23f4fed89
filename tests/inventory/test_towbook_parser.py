"""The Towbook-shaped impound export parser: pure, no database; each trap of the format its own test."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from car_enforce.core.errors import InvalidInput
from car_enforce.inventory.towbook import (
    TowbookExport,
    TowbookRow,
    parse_have_keys,
    parse_impound_date,
    parse_money,
    parse_towbook,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "towbook_inventory.csv"
CHINA_VIN = "LSVAU218XN2183294"  # check digit right
EUROPEAN_VIN = "WVWZZZ3CZWE123456"  # a filler Z in place of the check digit: kept, flagged
HEADER = [
    "Call #",
    "Stock #",
    "Impound Date",
    "Storage Lot",
    "Plate",
    "VIN",
    "Have Keys",
    "Towed From",
    "Tow Charges",
    "Storage Charges",
    "Total Charges",
    "Payments",
    "Balance Due",
]
METADATA = [["Towbook Impound Report", "", "", ""], ["Generated 11/22/2026 9:00 AM by 王芳", "", "", ""]]


def cells(**values: str) -> dict[str, str]:
    base = {"Stock #": "IMP-1", "Plate": "浙C12345", "Impound Date": "11/20/2026 2:15 PM"}
    base.update(values)
    return base


def export_bytes(
    *rows: dict[str, str],
    header: list[str] = HEADER,
    metadata: list[list[str]] = METADATA,
    bom: bool = True,
    newline: str = "\r\n",
) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=newline)
    writer.writerows(metadata)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode()


def parse(*rows: dict[str, str], **options: object) -> TowbookExport:
    return parse_towbook(export_bytes(*rows, **options))  # type: ignore[arg-type]


def one(**values: str) -> TowbookRow:
    [row] = parse(cells(**values)).rows
    return row


# --- the fixture: a realistic export ---------------------------------------------------------------


def test_the_fixture_has_two_metadata_rows_a_header_on_line_3_and_eight_cars() -> None:
    export = parse_towbook(FIXTURE.read_bytes())
    assert export.metadata_lines == [
        "Towbook Impound Report",
        "Generated 11/22/2026 9:00 AM by 王芳 (平阳法拍车辅助中心)",
    ]
    assert export.header_line == 3 and len(export.columns) == 81 and export.columns[0] == "Call #"
    assert [r.line for r in export.rows] == [4, 5, 6, 7, 8, 9, 10, 11]
    assert [r.stock_number for r in export.rows][:3] == ["IMP-1041", "IMP-1042", "IMP-1043"]


def test_the_fixture_is_utf8_with_a_bom_and_crlf_line_endings() -> None:
    data = FIXTURE.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") >= 11 and b"\r\n\r\n" in data


# --- encoding, line endings, blank lines ----------------------------------------------------------


def test_a_bom_does_not_stick_to_the_first_column_name() -> None:
    header = ["Stock #", *HEADER[2:]]
    for bom in (True, False):
        [row] = parse(cells(), header=header, bom=bom).rows
        assert row.stock_number == "IMP-1"


def test_lf_and_crlf_line_endings_parse_alike() -> None:
    crlf = parse(cells(), cells(**{"Stock #": "IMP-2"}), newline="\r\n")
    lf = parse(cells(), cells(**{"Stock #": "IMP-2"}), newline="\n")
    assert [r.values() for r in crlf.rows] == [r.values() for r in lf.rows]


def test_blank_trailing_lines_and_rows_of_empty_cells_are_not_rows() -> None:
    data = export_bytes(cells()) + b"\r\n" + b",,,,,,\r\n" + b"\r\n\r\n"
    assert len(parse_towbook(data).rows) == 1


def test_lines_are_counted_as_a_spreadsheet_shows_them_even_across_a_cell_with_a_line_break() -> None:
    export = parse(cells(**{"Towed From": "a\nb\nc"}), cells(**{"Stock #": "IMP-2"}))
    assert [r.line for r in export.rows] == [4, 5]


def test_a_quoted_cell_keeps_its_commas_quotes_and_line_breaks() -> None:
    row = one(**{"Towed From": '平阳县昆阳镇万全大道188号, 近\n"中石化"加油站'})
    assert row.towed_from == '平阳县昆阳镇万全大道188号, 近\n"中石化"加油站'
    assert row.raw["Towed From"] == row.towed_from


# --- the header -------------------------------------------------------------------------------------


def test_the_header_is_found_by_name_in_any_order_and_case_among_unknown_columns() -> None:
    header = ["Owner Name", "vin", " PLATE ", "Lot Status", "storage   lot", "STOCK#", "impound date", "Make"]
    [row] = parse(
        {
            "Owner Name": "林某某",
            "vin": CHINA_VIN,
            " PLATE ": "浙C12345",
            "storage   lot": "A-1",
            "STOCK#": "IMP-9",
            "impound date": "2026-11-20",
            "Make": "Volkswagen",
        },
        header=header,
    ).rows
    assert (row.stock_number, row.plate, row.vin, row.storage_lot) == ("IMP-9", "浙C12345", CHINA_VIN, "A-1")
    assert row.raw["Make"] == "Volkswagen" and row.raw["Owner Name"] == "林某某"  # unknown columns kept


def test_a_header_without_metadata_rows_is_found_on_line_1() -> None:
    export = parse(cells(), metadata=[])
    assert export.header_line == 1 and export.metadata_lines == [] and export.rows[0].line == 2


def test_the_best_named_column_wins_when_two_names_mean_the_same_field() -> None:
    header = [*HEADER, "Lot"]
    [row] = parse(cells(**{"Storage Lot": "A-12", "Lot": "Yard 2"}), header=header).rows
    assert row.storage_lot == "A-12" and row.raw["Lot"] == "Yard 2"


def test_a_header_naming_a_used_column_twice_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(cells(), header=[*HEADER, "plate"])
    assert caught.value.field == "header" and "Plate column more than once" in caught.value.detail


def test_unknown_columns_with_the_same_name_are_kept_apart() -> None:
    [row] = parse(cells(Notes="first", **{"Notes (2)": "second"}), header=[*HEADER, "Notes", "Notes"]).rows
    assert row.raw["Notes"] == "first"


# --- files that are not an export -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "is empty"),
        (b"\xef\xbb\xbf\r\n\r\n", "is empty"),
        (b"plate,read_at\r\n\xe6\xb5\x99C12345,2026-11-20T10:00:00+08:00\r\n", "no Towbook header"),
        (b'{"plate": "\\u6d59C12345"}', "no Towbook header"),
        ("库存号,车牌,车架号\r\nIMP-1,浙C12345,\r\n".encode("gbk"), "not UTF-8"),
        ("Stock #,Plate,VIN,Impound Date\r\n".encode("utf-16"), "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8"),
    ],
    ids=["empty", "bom-only", "reads-csv", "json", "gbk", "utf16", "png"],
)
def test_a_file_that_is_not_a_towbook_export_is_refused(data: bytes, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_towbook(data)
    assert caught.value.field == "file" and words in caught.value.detail


def test_a_quote_left_open_refuses_the_file_instead_of_swallowing_the_rest() -> None:
    data = export_bytes(cells()) + b'IMP-2,"11/20/2026,A-1,\xe6\xb5\x99C12346\r\nIMP-3,,,\r\n'
    with pytest.raises(InvalidInput) as caught:
        parse_towbook(data)
    assert "line 5" in caught.value.detail


# --- money ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("$259.65", 25965),
        ("$1,259.65", 125965),
        ("$0.00", 0),
        ("($12.50)", -1250),
        ("-$12.50", -1250),
        ("$-12.50", -1250),
        ("$5", 500),
        ("$0.5", 50),
        ("$0.29", 29),  # 0.29 * 100 is 28.999… in floating point
        ("$1,234,567,890.07", 123456789007),
        (" $ 45.00 ", 4500),
        ("¥300.00", 30000),
        ("", None),
    ],
)
def test_money_becomes_exact_integer_fen(text: str, fen: int | None) -> None:
    assert parse_money(text) == fen


@pytest.mark.parametrize(
    "text",
    [
        "$1.234",
        "$12,34.00",
        "$1,2345.00",
        "abc",
        "$",
        "--$5",
        "(-$5.00)",
        "$5.",
        "$.50",
        "1e3",
        "$1,000,000,000,000.00",
    ],
)
def test_money_that_is_not_an_amount_is_an_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_money(text)


def test_a_bad_money_cell_sends_its_row_to_review_naming_line_and_column() -> None:
    row = one(**{"Tow Charges": "$1.234"})
    assert row.problems == ["line 4, Tow Charges: '$1.234' has 3 decimals; money has at most two (fen)"]


def test_only_non_zero_parts_are_charges_never_the_total_or_balance() -> None:
    row = one(
        **{
            "Tow Charges": "$1,259.65",
            "Storage Charges": "$0.00",
            "Total Charges": "$1,259.65",
            "Balance Due": "$1,259.65",
            "Payments": "$0.00",
        }
    )
    assert row.problems == []
    assert [(c.column, c.role, c.fen) for c in row.charges] == [("Tow Charges", "towing", 125965)]


def test_a_total_that_is_not_the_sum_of_its_parts_sends_the_row_to_review() -> None:
    row = one(**{"Tow Charges": "$100.00", "Storage Charges": "$45.00", "Total Charges": "$150.00"})
    assert row.problems == [
        "line 4, Total Charges: $150.00 is not the sum of the charges "
        "(Tow Charges + Storage Charges = $145.00); a charge column may be missing or mistyped"
    ]


def test_a_payment_recorded_by_the_yard_sends_the_row_to_review() -> None:
    row = one(
        **{
            "Tow Charges": "$100.00",
            "Total Charges": "$100.00",
            "Payments": "$40.00",
            "Balance Due": "$60.00",
        }
    )
    assert len(row.problems) == 1 and "$40.00 already paid" in row.problems[0]


def test_a_negative_charge_sends_the_row_to_review() -> None:
    row = one(**{"Tow Charges": "($12.50)", "Total Charges": "-$12.50"})
    assert row.problems == ["line 4, Tow Charges: -$12.50 is negative; a carried-over charge cannot be"]


# --- dates ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("11/20/2026 2:15 PM", datetime(2026, 11, 20, 6, 15, tzinfo=UTC)),
        ("11/20/2026 2:15PM", datetime(2026, 11, 20, 6, 15, tzinfo=UTC)),
        ("11/20/2026 14:15", datetime(2026, 11, 20, 6, 15, tzinfo=UTC)),
        ("11/20/2026 14:15:30", datetime(2026, 11, 20, 6, 15, 30, tzinfo=UTC)),
        ("12/01/2026 12:05 AM", datetime(2026, 11, 30, 16, 5, tzinfo=UTC)),
        ("12/01/2026 12:05 pm", datetime(2026, 12, 1, 4, 5, tzinfo=UTC)),
        ("11/20/2026", datetime(2026, 11, 19, 16, 0, tzinfo=UTC)),
        ("2026-11-20", datetime(2026, 11, 19, 16, 0, tzinfo=UTC)),
        ("2026-11-20 14:15", datetime(2026, 11, 20, 6, 15, tzinfo=UTC)),
    ],
)
def test_a_yard_local_date_becomes_an_aware_utc_instant(text: str, utc: datetime) -> None:
    parsed = parse_impound_date(text)
    assert parsed == utc and parsed is not None and parsed.utcoffset() is not None


def test_an_empty_date_is_no_date() -> None:
    assert parse_impound_date("  ") is None


@pytest.mark.parametrize(
    "text",
    ["20/11/2026 10:00", "11/20/2026 13:00 PM", "11/20/2026 0:30 AM", "2026-02-30", "yesterday", "11/20/26"],
)
def test_a_date_that_cannot_be_read_is_an_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_impound_date(text)


def test_a_bad_date_sends_its_row_to_review_and_not_the_file() -> None:
    export = parse(cells(**{"Impound Date": "20/11/2026 10:00"}), cells(**{"Stock #": "IMP-2"}))
    bad, good = export.rows
    assert bad.impound_at is None and len(bad.problems) == 1
    assert bad.problems[0].startswith("line 4, Impound Date: '20/11/2026 10:00' is not a real date")
    assert good.problems == [] and good.impound_at == datetime(2026, 11, 20, 6, 15, tzinfo=UTC)


# --- keys -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "keys"),
    [("Yes", True), ("y", True), ("TRUE", True), ("No", False), ("N", False), ("false", False), ("", None)],
)
def test_have_keys(text: str, keys: bool | None) -> None:
    assert parse_have_keys(text) is keys


def test_have_keys_that_is_neither_yes_nor_no_sends_the_row_to_review() -> None:
    row = one(**{"Have Keys": "2 sets"})
    assert row.have_keys is None
    assert row.problems == [
        "line 4, Have Keys: '2 sets' is neither yes nor no; expected Yes, No, Y, N, True or False"
    ]


# --- plates and VINs --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["NOPLATE", "NO PLATE", "noplate", "UNKNOWN", "0", "000", "", "N/A", "无牌"])
def test_a_placeholder_plate_is_no_plate_and_no_problem(text: str) -> None:
    row = one(Plate=text)
    assert row.plate is None and row.problems == []


def test_a_plate_is_normalised_and_kept_as_written() -> None:
    row = one(Plate=" 浙c·1o345 ")
    assert row.plate == "浙C10345" and row.plate_as_written == "浙c·1o345"


def test_an_unreadable_plate_is_a_review_reason_not_a_crash() -> None:
    export = parse(cells(Plate="7ABC123"), cells(**{"Stock #": "IMP-2"}))
    bad, good = export.rows
    assert bad.plate is None and bad.plate_as_written == "7ABC123"
    assert bad.problems == [
        "line 4, Plate: cannot be read as a plate: 7ABC123 does not start with a province character "
        "(one of 京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼)"
    ]
    assert good.problems == [] and good.plate == "浙C12345"


def test_a_chinese_vin_with_a_wrong_check_digit_is_a_review_reason() -> None:
    row = one(VIN="LSVAU2181N2183294")
    assert row.vin is None and len(row.problems) == 1
    assert row.problems[0].startswith("line 4, VIN: is not a valid VIN: LSVAU2181N2183294: check digit")


def test_a_foreign_vin_with_a_filler_check_digit_is_kept_and_flagged() -> None:
    row = one(VIN=EUROPEAN_VIN.lower())
    assert row.vin == EUROPEAN_VIN and row.vin_needs_review and row.problems == []


def test_a_valid_vin_is_normalised() -> None:
    assert one(VIN=" lsvau218xn2183294 ").vin == CHINA_VIN


# --- rows -------------------------------------------------------------------------------------------


def test_every_row_of_a_duplicate_stock_number_goes_to_review() -> None:
    export = parse(
        cells(**{"Stock #": "IMP-7"}),
        cells(**{"Stock #": "IMP-8"}),
        cells(**{"Stock #": "imp-7"}),
        cells(**{"Stock #": ""}),
        cells(**{"Stock #": ""}),
    )
    assert [r.problems for r in export.rows] == [
        ["line 4, Stock #: IMP-7 appears again on line 6; the yard's stock number names one car"],
        [],
        ["line 6, Stock #: imp-7 appears again on line 4; the yard's stock number names one car"],
        [],
        [],
    ]


def test_a_row_with_more_cells_than_the_header_goes_to_review() -> None:
    data = export_bytes(cells()) + "IMP-2,,11/20/2026,A-1,浙C12346,,,,,,,,,surplus\r\n".encode()
    _, row = parse_towbook(data).rows
    assert row.problems == ["line 5 has 14 cells but the header names 13 columns; the cells may have shifted"]


def test_a_row_with_fewer_cells_than_the_header_is_read_as_far_as_it_goes() -> None:
    data = export_bytes(cells()) + "1,IMP-2,11/21/2026,B-2,浙C12346\r\n".encode()
    _, row = parse_towbook(data).rows
    assert row.problems == [] and (row.stock_number, row.plate, row.storage_lot) == (
        "IMP-2",
        "浙C12346",
        "B-2",
    )


def test_a_stock_number_too_long_for_the_record_is_a_review_reason() -> None:
    row = one(**{"Stock #": "X" * 65})
    assert len(row.stock_number) == 64 and row.problems == ["line 4, Stock #: longer than 64 characters"]


def test_the_parsed_values_are_plain_json() -> None:
    row = one(
        **{"Have Keys": "Yes", "Storage Lot": "A-12", "Tow Charges": "$10.00", "Total Charges": "$10.00"}
    )
    values = json.loads(json.dumps(row.values()))
    assert values["impound_at"] == "2026-11-20T06:15:00+00:00"
    assert values["have_keys"] is True and values["storage_lot"] == "A-12"
    assert values["money"] == [
        {"column": "Tow Charges", "role": "towing", "fen": 1000},
        {"column": "Total Charges", "role": "total", "fen": 1000},
    ]
