"""Serving a stored photo: the one answer the JSON API and the console's pages both give for an image."""

from __future__ import annotations

from typing import Any

from fastapi import Response

_BINARY = {"schema": {"type": "string", "format": "binary"}}
# The 200 of an image route in the OpenAPI document.
IMAGE: dict[int | str, dict[str, Any]] = {
    200: {"description": "The image, JPEG or PNG", "content": {"image/jpeg": _BINARY, "image/png": _BINARY}}
}


def image(found: tuple[bytes, str]) -> Response:
    """The bytes with their media type. A photo at a position of its record never changes (a correction
    is a new record), so the browser may keep it; private, since only some people may see it."""
    content, media = found
    return Response(content, media_type=media, headers={"Cache-Control": "private, max-age=3600"})
