"""Photos uploaded through a page's form (a phone's camera, a file picker) as the services take them."""

from __future__ import annotations

import base64

from starlette.datastructures import FormData, UploadFile

from car_enforce.core.files.photos import PhotoIn


async def photos_in(form: FormData, field: str = "photos") -> list[PhotoIn]:
    """The files the form carried under ``field``, in order, as the JSON API's photos: base64 bytes, the
    file's name as the caption. An empty file input (no name) is no photo; the services check the rest."""
    photos = []
    for upload in form.getlist(field):
        if isinstance(upload, UploadFile) and upload.filename:
            content = await upload.read()
            photos.append(
                PhotoIn(caption=upload.filename[:200], content_base64=base64.b64encode(content).decode())
            )
    return photos
