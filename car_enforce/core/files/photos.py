"""Photos kept as evidence files: the columns a photo row has, and the check of an uploaded photo."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from car_enforce.core.errors import InvalidInput, NotFound
from car_enforce.core.files import evidence

PHOTO_KINDS = frozenset({"jpg", "png"})
# A phone photo of a few megapixels is well under this; anything larger is a scan or a video still
# that belongs elsewhere. Base64 grows the bytes by a third.
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 12
MAX_PHOTO_BASE64 = (MAX_PHOTO_BYTES + 2) // 3 * 4
# A photo's place in its record (0 is the first): in the URL that serves it. Past the last photo is a 404.
PhotoPosition = Annotated[int, Field(ge=0, le=10_000)]


class PhotoColumns:
    """A reference to an evidence file, never the bytes; mixed into each table of photos."""

    position: Mapped[int] = mapped_column(Integer)
    caption: Mapped[str] = mapped_column(String(200), default="")
    evidence_ref: Mapped[str] = mapped_column(String(80))  # sha256:<hex>.<jpg|png>
    size_bytes: Mapped[int]


@dataclass(frozen=True, slots=True)
class CheckedPhoto:
    caption: str
    data: bytes
    field: str  # where it came from in the request, for an error while storing it

    def store(self) -> str:
        return evidence.store(self.data, field=self.field)


def checked_photo(field: str, caption: str, content_base64: str) -> CheckedPhoto:
    """A base64 JPEG or PNG of at most 5 MiB; InvalidInput naming ``field`` otherwise."""
    try:
        data = base64.b64decode("".join(content_base64.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(field, "is not valid base64", zh="不是有效的 base64 编码") from None
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInput(
            field,
            f"the photo is {len(data)} bytes; at most {MAX_PHOTO_BYTES} are accepted",
            zh=f"照片大小为 {len(data) / (1024 * 1024):.1f} MB，最大 {MAX_PHOTO_BYTES // (1024 * 1024)} MB",
        )
    if evidence.kind_of(data) not in PHOTO_KINDS:
        raise InvalidInput(field, "is not a JPEG or PNG image", zh="不是 JPEG 或 PNG 图片")
    return CheckedPhoto(caption=caption.strip(), data=data, field=field)


class PhotoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    caption: str = Field(default="", max_length=200, examples=["车辆左前方"])
    content_base64: str = Field(
        max_length=MAX_PHOTO_BASE64,
        description=f"A JPEG or PNG, base64-encoded; at most {MAX_PHOTO_BYTES // (1024 * 1024)} MiB decoded",
    )


def photo_at(photos: Iterable[PhotoColumns], position: int, *, of: str) -> tuple[bytes, str]:
    """Photo ``position`` of one record's ``photos``: its bytes and media type; NotFound naming ``of``
    ("capture 12") when the record has no photo there."""
    photo = next((p for p in photos if p.position == position), None)
    if photo is None:
        raise NotFound(f"{of} has no photo {position}", zh=f"没有第 {position} 张照片")
    return evidence.read(photo.evidence_ref), evidence.media_type(photo.evidence_ref)


class PhotoOut(BaseModel):
    position: int
    caption: str
    evidence_ref: str = Field(description="sha256:<hex>.<jpg|png>: the SHA-256 of the image's bytes")
    size_bytes: int
    url: str = Field(
        description="Where the image itself is served (JPEG or PNG), with the same credentials as the record",
        examples=["/api/captures/12/photos/0"],
    )

    @classmethod
    def of(cls, photo: PhotoColumns, photos_url: str) -> PhotoOut:
        """The photo as the API shows it; ``photos_url`` is where its record's photos are served."""
        return cls(
            position=photo.position,
            caption=photo.caption,
            evidence_ref=photo.evidence_ref,
            size_bytes=photo.size_bytes,
            url=f"{photos_url}/{photo.position}",
        )
