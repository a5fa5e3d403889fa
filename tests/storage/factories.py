"""Builders for storage test data: images, uploads, zips."""

import io
import itertools
import os
import uuid
import zipfile
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

# Shared by every factory module: distinct names and colours within a run.
sequence = itertools.count(1)


def image_bytes(
    width: int = 64,
    height: int = 48,
    *,
    fmt: str = "PNG",
    color: tuple[int, int, int] | None = None,
) -> bytes:
    """A small image. Without a colour its bytes are unique, even across test runs, because
    object storage (a moto bucket) can outlive one run and "nothing was stored" must hold."""
    image = Image.new("RGB", (width, height), color or (next(sequence) % 256, 120, 99))
    if color is None:
        noise = os.urandom(3 * min(width, 8))  # a random strip: distinct bytes, tiny files
        strip = Image.frombytes("RGB", (min(width, 8), 1), noise).resize((min(width, 8), height))
        image.paste(strip, (0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def upload(data: bytes, name: str | None = None, content_type: str = "image/png") -> Any:
    """A file for a multipart request."""
    return SimpleUploadedFile(name or f"upload-{uuid.uuid4().hex[:8]}.png", data, content_type)


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()
