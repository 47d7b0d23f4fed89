"""Decoding what the field sends: UTF-8 by default, GB2312/GBK/GB18030 where Chinese devices send it.

Chinese checkpoint cameras and platforms declare ``encoding="GB2312"`` (or GBK) in their XML and send
GBK bytes, and some send JSON or CSV in GBK with or without ``charset=`` in the ``Content-Type``. A read
refused for its encoding is lost (cameras never retry), so:

- a declared charset (the ``Content-Type``'s, the XML declaration's) is honoured; GB2312 and GBK are
  decoded as GB18030, the national standard that contains both (devices declaring GB2312 send GBK
  characters outside it, such as rare place-name characters);
- undeclared text is UTF-8 (a BOM tolerated), else GB18030;
- bytes that are neither are a clear InvalidInput (422), never a 500.

XML is parsed with ``defusedxml``: no DTD at all (no entity expansion, no external entities).
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from car_enforce.core.errors import InvalidInput

# Charsets the platform decodes, by the names senders use; the GB family all decode as GB18030.
_GB = "gb18030"
_CHARSETS = {
    "utf-8": "utf-8-sig",
    "utf8": "utf-8-sig",
    "gb2312": _GB,
    "gbk": _GB,
    "cp936": _GB,
    "gb18030": _GB,
    "x-gbk": _GB,
    "euc-cn": _GB,
    "us-ascii": "utf-8-sig",
    "ascii": "utf-8-sig",
}
_CHARSET_PARAM = re.compile(r";\s*charset\s*=\s*\"?([A-Za-z0-9_.:-]+)\"?", re.IGNORECASE)
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\?>", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""", re.IGNORECASE)


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type, lower case; None when it has none."""
    if not content_type:
        return None
    found = _CHARSET_PARAM.search(content_type)
    return found.group(1).lower() if found else None


def _codec(charset: str, field: str) -> str:
    codec = _CHARSETS.get(charset.lower())
    if codec is None:
        try:
            codecs.lookup(charset)
        except LookupError:
            raise InvalidInput(
                field,
                f"unknown character set {charset!r}; send UTF-8 or GB18030",
                zh=f"无法识别的字符集 {charset}，请使用 UTF-8 或 GB18030",
            ) from None
        raise InvalidInput(
            field,
            f"character set {charset!r} is not accepted; send UTF-8, GBK or GB18030",
            zh=f"不接受字符集 {charset}，请使用 UTF-8、GBK 或 GB18030",
        )
    return codec


def decode_text(data: bytes, field: str = "body", *, charset: str | None = None) -> str:
    """The text of ``data``: its declared charset, else UTF-8, else GB18030; InvalidInput when none fits."""
    if charset:
        codec = _codec(charset, field)
        try:
            return data.decode(codec)
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                field,
                f"is not valid {charset} text (byte {exc.start})",
                zh=f"不是有效的 {charset} 文本（第 {exc.start} 字节）",
            ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as first:
        try:
            return data.decode(_GB)
        except UnicodeDecodeError:
            raise InvalidInput(
                field,
                f"is neither UTF-8 nor GB18030/GBK text (byte {first.start}); send UTF-8",
                zh=f"既不是 UTF-8 也不是 GB18030/GBK 文本（第 {first.start} 字节），请使用 UTF-8",
            ) from None


def utf8(data: bytes, field: str = "body", *, charset: str | None = None) -> bytes:
    """``data`` as UTF-8 bytes: itself when it already is (the common case costs one validation)."""
    if not charset or _codec(charset, field) == "utf-8-sig":
        try:
            data.decode("utf-8")
            return data
        except UnicodeDecodeError:
            if charset:
                raise InvalidInput(
                    field, f"is not valid {charset} text", zh=f"不是有效的 {charset} 文本"
                ) from None
    return decode_text(data, field, charset=charset).encode("utf-8")


def parse_xml(data: bytes, field: str) -> ET.Element:
    """An XML document's root element, decoded by its declaration (GB2312/GBK included), without any DTD."""
    if not isinstance(data, bytes | bytearray):
        raise InvalidInput(field, "must be the XML document's bytes", zh="应为 XML 文档")
    data = bytes(data)
    # A NUL means UTF-16 or UTF-32, which no camera sends and which would hide the declaration.
    if b"\x00" in data:
        raise InvalidInput(
            field,
            "must be UTF-8 or GB18030/GBK XML, not UTF-16",
            zh="XML 应为 UTF-8 或 GB18030/GBK 编码，不能是 UTF-16",
        )
    declaration = _XML_DECLARATION.match(data)
    declared = _DECLARED_ENCODING.search(declaration.group(0)) if declaration else None
    charset = declared.group(1).decode("ascii").lower() if declared else None
    if charset is not None and _CHARSETS.get(charset) != "utf-8-sig":
        # expat decodes only UTF-8, UTF-16 and Latin-1 itself: decode here, hand it UTF-8 without the
        # declaration that would tell it otherwise.
        text = decode_text(data[declaration.end() :] if declaration else data, field, charset=charset)
        data = text.encode("utf-8")
    elif charset is None:
        data = utf8(data, field)
    try:
        return DET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise InvalidInput(
            field,
            "DOCTYPE and ENTITY declarations are not accepted",
            zh="不接受含 DOCTYPE 或 ENTITY 声明的 XML",
        ) from None
    except ET.ParseError as exc:
        raise InvalidInput(field, f"is not well-formed XML: {exc}", zh="不是格式正确的 XML") from None
