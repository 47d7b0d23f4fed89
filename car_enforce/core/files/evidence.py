"""Evidence files: images and raw payloads kept on disk, named by their SHA-256, never as database rows.

Content addressing makes a replayed webhook or a re-posted photo land on the same file, and lets a
reference stored in the database prove which bytes it meant.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from car_enforce.core.errors import InvalidInput, NotFound
from car_enforce.core.settings import get_settings

_REF = re.compile(r"sha256:([0-9a-f]{64})\.([a-z0-9]{1,8})")

# The kinds of file the platform keeps, told by their first bytes, not by what the sender claims.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"%PDF-", "pdf"),
)


def kind_of(data: bytes) -> str | None:
    """The file kind told by its magic bytes (jpg, png, pdf), or None for anything else."""
    for magic, suffix in _MAGIC:
        if data.startswith(magic):
            return suffix
    return None


def _root() -> Path:
    return Path(get_settings().evidence_dir)


def _path(digest: str, suffix: str) -> Path:
    return _root() / digest[:2] / digest[2:4] / f"{digest}.{suffix}"


def store(data: bytes, *, suffix: str | None = None, field: str = "file") -> str:
    """Write ``data`` once and return its reference ``sha256:<hex>.<suffix>``; the same bytes, the same file.

    Without a suffix the bytes must be a JPEG, PNG or PDF (InvalidInput otherwise). The write goes
    through a temporary file and a rename, so a reader never sees half a file.
    """
    if not data:
        raise InvalidInput(field, "is empty", zh="文件为空")
    kind = suffix or kind_of(data)
    if kind is None:
        raise InvalidInput(field, "is not a JPEG, PNG or PDF file", zh="不是 JPEG、PNG 或 PDF 文件")
    digest = hashlib.sha256(data).hexdigest()
    path = _path(digest, kind)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return f"sha256:{digest}.{kind}"


def read(reference: str) -> bytes:
    """The bytes behind a reference made by ``store``; NotFound if the reference is unknown."""
    match = _REF.fullmatch(reference)
    if match is None:
        raise NotFound(f"{reference!r} is not an evidence reference", zh="不是有效的存证文件编号")
    path = _path(match.group(1), match.group(2))
    if not path.exists():
        raise NotFound(f"evidence {reference} is not on this server", zh="本服务器上没有此存证文件")
    return path.read_bytes()


def media_type(reference: str) -> str:
    """The HTTP media type of a stored image: PNG or JPEG, told by the reference's suffix."""
    return "image/png" if reference.endswith(".png") else "image/jpeg"
