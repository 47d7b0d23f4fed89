"""Towbook-shaped impound exports (FORMATS.md "Tow-yard exports"): a pure parser, bytes in, rows out.

The file: UTF-8 (a BOM is usual), a few metadata rows, then a header of about 80 columns of which we use a
handful, found by name wherever they stand. A file that is not such an export is refused (InvalidInput);
a bad cell only sends its own row to review, with the reason in plain words naming the line and column,
so one typo in a yard of 300 cars does not hold up the other 299.

Rows are numbered as a spreadsheet shows them (the metadata rows and the header count, a cell holding a
line break does not), so "line 7, Impound Date" points a clerk at the cell to look at.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, Literal

from car_enforce.core.clock import SHANGHAI
from car_enforce.core.errors import InvalidInput
from car_enforce.vehicles.plates import is_placeholder, normalise_plate
from car_enforce.vehicles.vin import check_vin

# How far down the header may stand: Towbook writes two metadata rows; a few more are tolerated.
HEADER_SEARCH_ROWS: Final = 10
MAX_STOCK_NUMBER: Final = 64  # InventoryRow.stock_number
MAX_STORAGE_LOT: Final = 32  # Custody.bay
MAX_WHOLE_DIGITS: Final = 12  # a yard's charge beyond a trillion yuan is a broken cell, not a bill

Field = Literal["stock_number", "plate", "vin", "impound_date", "storage_lot", "have_keys", "towed_from"]
# What a money column means. Parts add up to the total; totals, balance and payments are about the parts.
MoneyRole = Literal["towing", "storage", "other", "total", "balance", "payment"]
PART_ROLES: Final[frozenset[str]] = frozenset({"towing", "storage", "other"})


def _key(name: str) -> str:
    """A header cell compared case- and space-insensitively: ``" Stock  #"`` → ``"stock#"``."""
    return "".join(name.split()).casefold()


# Header names we read, in normalised form, best first: Towbook's own name, then what similar yard software
# (or a clerk's re-typed header) calls the same column. A file naming two of them uses the best one.
FIELD_NAMES: Final[dict[Field, tuple[str, ...]]] = {
    "stock_number": ("stock#", "stocknumber", "stockno", "stockno."),
    "plate": ("plate", "licenseplate", "plate#", "platenumber", "licenseplate#"),
    "vin": ("vin", "vin#", "vinnumber"),
    "impound_date": ("impounddate", "dateimpounded"),
    "storage_lot": ("storagelot", "lot"),
    "have_keys": ("havekeys", "keys"),
    "towed_from": ("towedfrom",),
}
FIELD_TITLES: Final[dict[str, str]] = {
    "stock_number": "Stock #",
    "plate": "Plate",
    "vin": "VIN",
    "impound_date": "Impound Date",
    "storage_lot": "Storage Lot",
    "have_keys": "Have Keys",
    "towed_from": "Towed From",
}
# Not "Towing": in Towbook that is the timestamp of the call's towing stage, not a charge.
MONEY: Final[dict[str, MoneyRole]] = {
    **dict.fromkeys(["towcharges", "towcharge", "towfee", "towingcharges"], "towing"),
    **dict.fromkeys(["storagecharges", "storagecharge", "storagefee", "storagefees", "storage"], "storage"),
    **dict.fromkeys(
        [
            "adminfee",
            "administrativefee",
            "afterhoursfee",
            "gatefee",
            "winchfee",
            "laborcharges",
            "mileagecharges",
            "fuelsurcharge",
            "lienfee",
            "impoundfee",
            "othercharges",
            "miscfees",
            "tax",
            "salestax",
        ],
        "other",
    ),
    **dict.fromkeys(["totalcharges", "total", "invoicetotal", "grandtotal", "totaldue"], "total"),
    **dict.fromkeys(["balancedue", "balance", "amountdue"], "balance"),
    **dict.fromkeys(["payments", "amountpaid", "paid", "totalpayments"], "payment"),
}
# A row of these is the header: the car cannot be identified without one of them.
IDENTITY_FIELDS: Final[frozenset[Field]] = frozenset({"plate", "vin"})
MIN_KNOWN_COLUMNS: Final = 3

# "No plate" as yard software writes it, beyond what vehicles.plates already knows (NOPLATE, 0, empty…).
_EXTRA_PLACEHOLDERS: Final = frozenset({"UNKNOWN", "UNK", "N/A", "NA", "TBD", "?", "NOTAG", "NOTAGS"})
_YES: Final = frozenset({"yes", "y", "true", "1", "是", "有"})
_NO: Final = frozenset({"no", "n", "false", "0", "否", "无"})

_MONEY = re.compile(r"(?P<sign>-)?[$¥￥]?(?P<sign2>-)?(?P<whole>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?")
_US_DATE = re.compile(
    r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})"
    r"(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
)
_ISO_DATE = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)
_DATE_FORMATS = "expected a date such as 11/20/2026 2:15 PM, 11/20/2026 14:15, 11/20/2026 or 2026-11-20"


class CellError(ValueError):
    """One cell cannot be read; the message says why, without the line and column (the caller adds them)."""


def parse_money(text: str) -> int | None:
    """``$1,259.65`` → 125965 fen; ``($12.50)`` and ``-$12.50`` → -1250; empty → None. Exact: Decimal."""
    cell = "".join(text.split())
    if not cell:
        return None
    negative = cell.startswith("(") and cell.endswith(")")
    body = cell[1:-1] if negative else cell
    match = _MONEY.fullmatch(body)
    signs = [negative, bool(match and match["sign"]), bool(match and match["sign2"])].count(True)
    if match is None or signs > 1:
        raise CellError(f"{text.strip()!r} is not an amount of money; expected e.g. $1,259.65 or ($12.50)")
    whole, frac = match["whole"].replace(",", ""), match["frac"] or ""
    if len(frac) > 2:
        raise CellError(f"{text.strip()!r} has {len(frac)} decimals; money has at most two (fen)")
    if len(whole.lstrip("0")) > MAX_WHOLE_DIGITS:
        raise CellError(f"{text.strip()!r} is too large to be a charge")
    fen = int(Decimal(f"{whole}.{frac or '0'}") * 100)
    return -fen if signs else fen


def parse_impound_date(text: str) -> datetime | None:
    """A yard-local date and time (Asia/Shanghai) as an aware UTC instant; empty → None.

    A date alone is the start of that day: the yard knew the day, not the hour.
    """
    cell = text.strip()
    if not cell:
        return None
    us = _US_DATE.fullmatch(cell)
    match = us or _ISO_DATE.fullmatch(cell)
    if match is None:
        raise CellError(f"{cell!r} is not a date; {_DATE_FORMATS}")
    hour, minute, second = int(match["H"] or 0), int(match["M"] or 0), int(match["S"] or 0)
    ampm = (us["ampm"] or "").replace(".", "").upper() if us else ""
    if ampm:
        if not 1 <= hour <= 12:
            raise CellError(f"{cell!r}: {hour} is not an hour on a 12-hour clock (1 to 12 AM or PM)")
        hour = hour % 12 + (12 if ampm == "PM" else 0)
    try:
        local = datetime(
            int(match["y"]), int(match["m"]), int(match["d"]), hour, minute, second, tzinfo=SHANGHAI
        )
    except ValueError as exc:
        raise CellError(f"{cell!r} is not a real date and time ({exc}); {_DATE_FORMATS}") from None
    return local.astimezone(UTC)


def parse_have_keys(text: str) -> bool | None:
    """Yes/No, Y/N, True/False, 1/0; empty → None (the yard did not say)."""
    cell = text.strip().casefold()
    if not cell:
        return None
    if cell in _YES:
        return True
    if cell in _NO:
        return False
    raise CellError(f"{text.strip()!r} is neither yes nor no; expected Yes, No, Y, N, True or False")


def is_no_plate(text: str) -> bool:
    """NOPLATE, NO PLATE, UNKNOWN, 0, empty and the like: the yard has no plate for the car."""
    return is_placeholder(text) or "".join(text.split()).upper() in _EXTRA_PLACEHOLDERS


@dataclass(frozen=True, slots=True)
class MoneyCell:
    column: str  # the header as written, e.g. "Tow Charges"
    role: MoneyRole
    fen: int


@dataclass(slots=True)
class TowbookRow:
    line: int
    stock_number: str = ""
    plate: str | None = None  # normal form; None when the yard has none or it cannot be read
    plate_as_written: str = ""
    vin: str | None = None
    vin_needs_review: bool = False  # a non-Chinese VIN whose check digit fails (GB 16735)
    impound_at: datetime | None = None
    storage_lot: str = ""
    have_keys: bool | None = None
    towed_from: str = ""
    money: list[MoneyCell] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)  # the non-empty cells, as written, by header
    problems: list[str] = field(default_factory=list)  # review reasons, each naming line and column

    @property
    def charges(self) -> list[MoneyCell]:
        """The carried-over charges to post: the parts, not the totals, and only non-zero ones."""
        return [m for m in self.money if m.role in PART_ROLES and m.fen != 0]

    def values(self) -> dict[str, Any]:
        """The parsed row as JSON, kept on the inventory row so a reviewer's decision can use it later."""
        return {
            "stock_number": self.stock_number,
            "plate": self.plate,
            "plate_as_written": self.plate_as_written,
            "vin": self.vin,
            "vin_needs_review": self.vin_needs_review,
            "impound_at": self.impound_at.isoformat() if self.impound_at else None,
            "storage_lot": self.storage_lot,
            "have_keys": self.have_keys,
            "towed_from": self.towed_from,
            "money": [{"column": m.column, "role": m.role, "fen": m.fen} for m in self.money],
        }


@dataclass(frozen=True, slots=True)
class TowbookExport:
    metadata_lines: list[str]  # the rows above the header, their non-empty cells joined by ", "
    header_line: int
    columns: list[str]  # the header as written (duplicates made unique: "Notes (2)")
    rows: list[TowbookRow]


@dataclass(frozen=True, slots=True)
class _Layout:
    fields: dict[Field, int]  # which column holds each field we read
    money: list[tuple[int, MoneyRole]]


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        # UTF-16 ("Unicode text" from Excel) or a binary file; NUL could not be stored either.
        raise InvalidInput(
            "file",
            "is not UTF-8 text (it holds NUL bytes); save the export as 'CSV UTF-8'",
            zh="文件不是 UTF-8 文本，请将导出文件另存为“CSV UTF-8”",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "file",
            f"is not UTF-8 text (byte {exc.start}); save the export as 'CSV UTF-8', not GBK/ANSI",
            zh="文件不是 UTF-8 文本，请将导出文件另存为“CSV UTF-8”，不要用 GBK/ANSI",
        ) from None
    if not text.strip():
        raise InvalidInput(
            "file",
            "is empty; expected a Towbook impound export (CSV)",
            zh="文件是空的，应为 Towbook 导出的库存 CSV",
        )
    return text


def _unique_names(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for i, cell in enumerate(header):
        name = cell.strip() or f"column {i + 1}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def _layout(header: list[str], line: int) -> _Layout | None:
    """The columns we read, if this row is the header; None if it is not one."""
    keys = [_key(cell) for cell in header]
    positions: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        positions.setdefault(key, []).append(i)
    fields: dict[Field, int] = {}
    for name, aliases in FIELD_NAMES.items():
        best = next((a for a in aliases if a in positions), None)
        if best is None:
            continue
        if len(positions[best]) > 1:
            columns = " and ".join(str(i + 1) for i in positions[best])
            raise InvalidInput(
                "header",
                f"line {line} names the {FIELD_TITLES[name]} column more than once (columns {columns}); "
                "keep one",
                zh=f"第 {line} 行（列名行）有多个“{FIELD_TITLES[name]}”列"
                f"（第 {columns.replace(' and ', '、')} 列），请只保留一列",
            )
        fields[name] = positions[best][0]
    money = [(i, MONEY[key]) for i, key in enumerate(keys) if key in MONEY]
    if not IDENTITY_FIELDS & fields.keys() or len(fields) + len(money) < MIN_KNOWN_COLUMNS:
        return None
    for i, _ in money:
        if len(positions[keys[i]]) > 1:
            raise InvalidInput(
                "header",
                f"line {line} names the money column {header[i].strip()!r} twice",
                zh=f"第 {line} 行（列名行）的金额列“{header[i].strip()}”出现了两次，请只保留一列",
            )
    return _Layout(fields, money)


def _records(text: str) -> list[tuple[int, list[str]]]:
    """Each CSV record with its spreadsheet row number."""
    # strict: a quote left open would otherwise swallow the rest of the file into one cell, silently.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = []
    try:
        for number, cells in enumerate(reader, start=1):
            records.append((number, cells))
    except csv.Error as exc:
        raise InvalidInput(
            "file",
            f"is not valid CSV from line {len(records) + 1}: {exc} (is a quote left open?)",
            zh=f"从第 {len(records) + 1} 行起不是有效的 CSV（是否有引号未闭合？）",
        ) from None
    return records


def parse_towbook(data: bytes) -> TowbookExport:
    """Parse a Towbook impound export. InvalidInput (422) when the file is not one."""
    records = _records(_decode(data))
    metadata: list[str] = []
    layout: _Layout | None = None
    header_at = 0
    for index, (number, cells) in enumerate(records[:HEADER_SEARCH_ROWS]):
        layout = _layout(cells, number)
        if layout is not None:
            header_at = index
            break
        text = ", ".join(c.strip() for c in cells if c.strip())
        if text:
            metadata.append(text)
    if layout is None:
        raise InvalidInput(
            "file",
            f"no Towbook header row in the first {HEADER_SEARCH_ROWS} rows: expected a row naming the "
            "columns Stock #, Plate, VIN, Impound Date, Storage Lot, Have Keys, Towed From …",
            zh=f"前 {HEADER_SEARCH_ROWS} 行中没有 Towbook 列名行：应有一行列名，"
            "如 Stock #、Plate、VIN、Impound Date、Storage Lot、Have Keys、Towed From 等",
        )
    header_line, header = records[header_at]
    columns = _unique_names(header)
    rows = [
        _row(number, cells, columns, layout)
        for number, cells in records[header_at + 1 :]
        if any(c.strip() for c in cells)
    ]
    _flag_duplicate_stock_numbers(rows)
    return TowbookExport(metadata_lines=metadata, header_line=header_line, columns=columns, rows=rows)


def _row(line: int, cells: list[str], columns: list[str], layout: _Layout) -> TowbookRow:
    row = TowbookRow(line=line)
    row.raw = {columns[i]: cell for i, cell in enumerate(cells[: len(columns)]) if cell.strip()}
    if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
        row.problems.append(
            f"line {line} has {len(cells)} cells but the header names {len(columns)} columns; "
            "the cells may have shifted"
        )

    def cell(name: Field) -> str:
        i = layout.fields.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    def problem(name: Field | str, what: str) -> None:
        row.problems.append(f"line {line}, {FIELD_TITLES.get(name, name)}: {what}")

    row.stock_number = cell("stock_number")
    if len(row.stock_number) > MAX_STOCK_NUMBER:
        problem("stock_number", f"longer than {MAX_STOCK_NUMBER} characters")
        row.stock_number = row.stock_number[:MAX_STOCK_NUMBER]

    row.plate_as_written = cell("plate")
    if not is_no_plate(row.plate_as_written):
        try:
            row.plate = normalise_plate(row.plate_as_written)
        except InvalidInput as exc:
            problem("plate", f"cannot be read as a plate: {_why(exc)}")

    vin = cell("vin")
    if vin:
        try:
            checked = check_vin(vin)
        except InvalidInput as exc:
            problem("vin", f"is not a valid VIN: {_why(exc)}")
        else:
            row.vin, row.vin_needs_review = checked.vin, checked.needs_review

    try:
        row.impound_at = parse_impound_date(cell("impound_date"))
    except CellError as exc:
        problem("impound_date", str(exc))
    try:
        row.have_keys = parse_have_keys(cell("have_keys"))
    except CellError as exc:
        problem("have_keys", str(exc))

    row.storage_lot = cell("storage_lot")
    if len(row.storage_lot) > MAX_STORAGE_LOT:
        problem("storage_lot", f"longer than {MAX_STORAGE_LOT} characters")
        row.storage_lot = row.storage_lot[:MAX_STORAGE_LOT]
    row.towed_from = cell("towed_from")

    for i, role in layout.money:
        text = cells[i] if i < len(cells) else ""
        try:
            fen = parse_money(text)
        except CellError as exc:
            problem(columns[i], str(exc))
            continue
        if fen is not None:
            row.money.append(MoneyCell(columns[i], role, fen))
    _check_sums(row)
    return row


def _why(exc: InvalidInput) -> str:
    """The validator's reason without its field name and its long list of accepted shapes."""
    return exc.detail.removeprefix(f"{exc.field}: ").split("; expected")[0]


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}${abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def _check_sums(row: TowbookRow) -> None:
    """A total or balance that disagrees with its parts, or a payment, needs a person.

    Only the parts (tow, storage, fees) are posted as charges: the total and the balance are sums of them,
    and posting them too would charge the debtor twice. The sum is checked so that a part we do not read
    (a column named differently) cannot be lost silently; a payment already made to the yard would reduce
    what the debtor owes by an amount the export does not attribute to any part, so a person decides.
    """
    parts = [m for m in row.money if m.role in PART_ROLES]
    for m in parts:
        if m.fen < 0:
            row.problems.append(
                f"line {row.line}, {m.column}: {_yuan(m.fen)} is negative; a carried-over charge cannot be"
            )
    paid = [m for m in row.money if m.role == "payment" and m.fen != 0]
    for m in paid:
        row.problems.append(
            f"line {row.line}, {m.column}: the yard recorded {_yuan(m.fen)} already paid; decide by hand "
            "which carried-over charges the debtor still owes"
        )
    if paid:
        return
    total = sum(m.fen for m in parts)
    for m in row.money:
        if m.role in ("total", "balance") and m.fen != total:
            named = " + ".join(p.column for p in parts) or "no charge column"
            row.problems.append(
                f"line {row.line}, {m.column}: {_yuan(m.fen)} is not the sum of the charges "
                f"({named} = {_yuan(total)}); a charge column may be missing or mistyped"
            )


def _flag_duplicate_stock_numbers(rows: list[TowbookRow]) -> None:
    """Every row of a stock number that occurs twice goes to review: which one is the car is not known."""
    lines: dict[str, list[int]] = {}
    for row in rows:
        if row.stock_number:
            lines.setdefault(row.stock_number.casefold(), []).append(row.line)
    for row in rows:
        found = lines.get(row.stock_number.casefold(), []) if row.stock_number else []
        if len(found) > 1:
            others = [str(n) for n in found if n != row.line]
            row.problems.append(
                f"line {row.line}, Stock #: {row.stock_number} appears again on "
                f"line{'s' if len(others) > 1 else ''} {', '.join(others)}; "
                "the yard's stock number names one car"
            )
