"""Reading what an uploader sent: several files or a zip, every file validated before any is
stored, so one bad file in a batch stores nothing."""

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import BinaryIO

from django.conf import settings

from storage.validation import UploadRejected, ValidatedImage, validate_image

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}


def validate_uploads(files: Iterable[tuple[str, BinaryIO]]) -> list[ValidatedImage]:
    """Validate every file before storing any, so one bad file in a batch stores nothing."""
    validated: list[ValidatedImage] = []
    try:
        for name, handle in files:
            if len(validated) >= settings.UPLOAD_MAX_FILES:
                raise UploadRejected(f"At most {settings.UPLOAD_MAX_FILES} files per upload.")
            validated.append(
                validate_image(
                    handle,
                    name=name,
                    max_bytes=settings.UPLOAD_MAX_BYTES,
                    max_pixels=settings.UPLOAD_MAX_PIXELS,
                )
            )
    except UploadRejected:
        for image in validated:
            image.spooled.close()
        raise
    return validated


def zip_members(archive: BinaryIO) -> Iterator[tuple[str, BinaryIO]]:
    """Image entries of a zip, refusing archives whose declared sizes exceed the limits."""
    try:
        bundle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadRejected("The archive is not a valid zip file.") from exc
    entries = [
        info
        for info in bundle.infolist()
        if not info.is_dir()
        and PurePosixPath(info.filename).suffix.lower() in IMAGE_SUFFIXES
        and not PurePosixPath(info.filename).name.startswith(".")
        and "__MACOSX" not in info.filename
    ]
    if not entries:
        raise UploadRejected("The zip holds no images (jpg, png, webp, gif, bmp, tiff).")
    if len(entries) > settings.UPLOAD_MAX_FILES:
        raise UploadRejected(
            f"The zip holds {len(entries)} images; at most {settings.UPLOAD_MAX_FILES}."
        )
    total = sum(info.file_size for info in entries)
    if total > settings.ZIP_MAX_BYTES:
        raise UploadRejected("The zip expands past the size limit (possible zip bomb).")
    for info in entries:
        # validate_image re-checks the real size while reading, whatever the header declared.
        with bundle.open(info) as handle:
            yield PurePosixPath(info.filename).name, handle  # type: ignore[misc]
