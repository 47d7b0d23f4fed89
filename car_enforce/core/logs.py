"""Structured logs: one JSON object a line (or plain text), never a person's name, ID number or phone.

Every record goes through one handler on the root logger, the platform's own and uvicorn's (its access
log included) and the scheduler's alike. Before anything is written it is scrubbed:

- resident ID numbers (18 characters, the last may be X) and mainland mobile numbers (11 digits, with or
  without +86) are masked wherever they appear: in the message, in an exception's text, in any field;
- a field known to hold a person's name (``debtor_name``, ``display_name``, ``recipient_name``, …), ID
  number or phone is masked by its key, whatever its value looks like;
- any other run of two or more Chinese characters is masked as a name too. The platform's own log
  messages are English: Chinese text in a line is data (an exception quoting a value, a caller's query),
  and a name in it cannot be told from the words around it. A plate keeps its one province character;
- text that was %-encoded (a request's path and query, ``%E6%9E%97`` is 林) is decoded first.

The masks are those the platform shows people (``car_enforce.core.zh``): ``3303**********0019``,
``139****0002``, ``林*某``. Code still logs ids rather than names, and passes anything personal as a named
field (``extra={"debtor_name": …}``).

Fields of the current request or job (its id, route, status) are bound with ``bound(...)`` and added to
every record written inside it, uvicorn's access line included.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal, TextIO
from urllib.parse import parse_qsl, unquote

from car_enforce.core.zh import mask_id_number, mask_name, mask_phone

LogFormat = Literal["json", "text"]

# 17 digits and a check character (a digit or X); not part of a longer run of digits.
_ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
# A mainland mobile, 1[3-9] and 9 more digits, as people write it: 13900000002, 139 0000 0002,
# 139-0000-0002, +86 139…, 0086139…, 86139…; not part of a longer run of digits.
_MOBILE = re.compile(r"(?<![0-9])(?:(?:\+|00)?86[ -]?)?1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9])")
# Chinese characters, with the middle dots of names transcribed from other languages (买买提·吐尔逊).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN = re.compile(f"[{_HAN}][{_HAN}·•・]*[{_HAN}]")

# Keys (of a logged field, a nested document or a query parameter) whose value is a person's name, ID
# number or phone. A key ending in ``_name`` counts as a name too (a court's or a file's name is masked
# with them: a mask too many costs nothing).
NAME_KEYS = frozenset(
    {"name", "names", "debtor", "debtors", "applicant", "applicants", "party", "parties", "person", "owner"}
    | {"display_name", "full_name", "custodian", "recipient", "signer", "姓名"}
)
ID_NUMBER_KEYS = frozenset({"id_number", "id_no", "id_card", "idcard", "identity_number", "身份证号"})
PHONE_KEYS = frozenset({"phone", "mobile", "tel", "telephone", "phone_number", "contact_phone", "to", "手机"})

# What a LogRecord carries by itself; anything else on a record came as ``extra=``.
_RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's copy of its message with terminal colours
}
ACCESS_LOGGER = "uvicorn.access"
HANDLER_NAME = "carenforce"
CHATTY = ("apscheduler", "httpx", "httpcore")  # a line per job run and per outbound request

_context: ContextVar[dict[str, Any] | None] = ContextVar("carenforce_log_fields", default=None)


# --- scrubbing --------------------------------------------------------------------------------------


def scrub_text(text: str) -> str:
    """The text with its ID numbers, mobile numbers and Chinese words masked (decoded first if %-encoded)."""
    if "%" in text:
        text = unquote(text)
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    text = _MOBILE.sub(lambda m: mask_phone(m.group()), text)
    return _HAN_RUN.sub(lambda m: mask_name(m.group()), text)


def scrub_target(target: str) -> str:
    """A request's path and query (as a server has it, %-encoded), decoded and scrubbed for a log; a query
    value under a key that names a person, an ID number or a phone is masked whatever it looks like."""
    path, question, query = target.partition("?")
    if not question:
        return scrub_text(path)
    pairs = [f"{scrub_text(k)}={scrub_value(k, v)}" for k, v in parse_qsl(query, keep_blank_values=True)]
    return f"{scrub_text(path)}?{'&'.join(pairs)}"


def _kind_of(key: str) -> str | None:
    folded = key.lower()
    if folded in ID_NUMBER_KEYS:
        return "id_number"
    if folded in PHONE_KEYS:
        return "phone"
    if folded in NAME_KEYS or folded.endswith("_name"):
        return "name"
    return None


def scrub_value(key: str, value: Any) -> Any:
    """A field's value fit for a log: masked by its key, personal numbers masked, made JSON-native."""
    if isinstance(value, Mapping):
        return {str(k): scrub_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub_value(key, item) for item in value]
    if value is None or isinstance(value, bool):
        return value
    kind = _kind_of(key)
    text = value if isinstance(value, str) else str(value)
    if kind == "name":
        return mask_name(text)
    if kind == "id_number":
        return mask_id_number(text)
    if kind == "phone":
        return mask_phone(text)
    clean = scrub_text(text)
    if isinstance(value, int | float) and clean == text:
        return value  # a number stays a number unless it was a phone or an ID number
    return clean


# --- fields bound to a request or a job -------------------------------------------------------------


@contextmanager
def bound(**fields: Any) -> Iterator[dict[str, Any]]:
    """Add ``fields`` to every record logged inside the block (and in tasks and threads it starts).

    The dict yielded is the one records read: a field set on it later (a response's status) shows on
    the records that follow.
    """
    merged = {**(_context.get() or {}), **fields}
    token = _context.set(merged)
    try:
        yield merged
    finally:
        _context.reset(token)


def current_fields() -> dict[str, Any]:
    return dict(_context.get() or {})


# --- formatting -------------------------------------------------------------------------------------


def _fields_of(record: logging.LogRecord) -> tuple[str, dict[str, Any]]:
    """The record's scrubbed message and fields: the bound ones, then its own extras."""
    fields: dict[str, Any] = {}
    if record.name == ACCESS_LOGGER and isinstance(record.args, tuple) and len(record.args) == 5:
        # uvicorn's access line: client, method, path with query (%-encoded), HTTP version, status.
        client, method, target, version, status = record.args
        path = scrub_target(str(target))
        message = f"{method} {path} HTTP/{version} {status}"
        fields.update(client=str(client), method=str(method), path=path, status=status)
    else:
        message = scrub_text(record.getMessage())
    for key, value in (_context.get() or {}).items():
        fields.setdefault(key, value)
    for key, value in record.__dict__.items():
        if key not in _RECORD_FIELDS and not key.startswith("_"):
            fields[key] = value
    return message, {key: scrub_value(key, value) for key, value in fields.items()}


def _instant(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, then the fields, then any exception."""

    def format(self, record: logging.LogRecord) -> str:
        message, fields = _fields_of(record)
        entry: dict[str, Any] = {
            "time": _instant(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        for key, value in fields.items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["exception"] = scrub_text(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = scrub_text(record.exc_text)
        if record.stack_info:
            entry["stack"] = scrub_text(self.formatStack(record.stack_info))
        line = json.dumps(entry, ensure_ascii=False, default=str)
        # JSON leaves these unescaped, yet many line readers (Python's splitlines too) break lines on them.
        return line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\u0085")


class TextFormatter(logging.Formatter):
    """``INFO      logger: message key=value …`` for a person at a terminal, scrubbed the same way."""

    def format(self, record: logging.LogRecord) -> str:
        message, fields = _fields_of(record)
        line = f"{record.levelname:<9} {record.name}: {message}"
        if fields:
            pairs = (f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in fields.items())
            line += " " + " ".join(pairs)
        if record.exc_info:
            line += "\n" + scrub_text(self.formatException(record.exc_info))
        if record.stack_info:
            line += "\n" + scrub_text(self.formatStack(record.stack_info))
        return line


class _StandardError(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time (a test runner may swap it), like logging's own
    last-resort handler."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # under the handler's lock: ``handle`` holds it around ``emit``
        super().emit(record)


def formatter(format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if format == "json" else TextFormatter()


def configure(
    format: LogFormat = "json", *, level: str | int = "INFO", stream: TextIO | None = None
) -> logging.Handler:
    """Send every record, uvicorn's included, to one handler on the root logger, in ``format``.

    Run again, it replaces the handler it installed before. Returns the handler.
    """
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _StandardError()
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(formatter(format))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for chatty in CHATTY:
        logging.getLogger(chatty).setLevel(logging.WARNING)
    # uvicorn's loggers write through the root handler (run uvicorn with ``log_config=None``).
    for name in ("uvicorn", "uvicorn.error", ACCESS_LOGGER):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.disabled = False
        logger.setLevel(logging.NOTSET)  # the root's level: a server run before may have left its own
    return handler
