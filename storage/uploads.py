"""Reading what an uploader sent: several files or a zip. Each file is judged on its own: the
good ones are kept for storing, each bad one is refused with its reason, and a refused file
leaves nothing behind. Limits on the request itself (too many files, a zip that is not a zip or
that expands past its limit) refuse the whole request."""

import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import BinaryIO, cast

from django.conf import settings

from storage.validation import UploadRejected, ValidatedImage, validate_image

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}


@dataclass(frozen=True)
class Refusal:
    name: str
    reason: str

    @property
    def message(self) -> str:
        return f"{self.name}: {self.reason}"


@dataclass
class Judged:
    """The files of one upload, sorted into those to store and those refused (in upload order)."""

    images: list[ValidatedImage] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    def close(self) -> None:
        for image in self.images:
            image.spooled.close()


def validate_uploads(files: Iterable[tuple[str, BinaryIO]]) -> Judged:
    """Validate each file on its own; a bad one is refused with its reason, the others kept."""
    judged = Judged()
    try:
        for count, (name, handle) in enumerate(files, start=1):
            if count > settings.UPLOAD_MAX_FILES:
                raise UploadRejected(f"At most {settings.UPLOAD_MAX_FILES} files per upload.")
            try:
                judged.images.append(
                    validate_image(
                        handle,
                        name=name,
                        max_bytes=settings.UPLOAD_MAX_BYTES,
                        max_pixels=settings.UPLOAD_MAX_PIXELS,
                    )
                )
            except UploadRejected as refused:
                judged.refused.append(Refusal(name, refused.message.removeprefix(f"{name}: ")))
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as broken:
                # A zip member whose compressed data is damaged: that member alone is refused.
                judged.refused.append(Refusal(name, f"the zip entry is corrupt ({broken})."))
    except BaseException:
        judged.close()
        raise
    return judged


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
        name = PurePosixPath(info.filename).name
        try:
            handle = bundle.open(info)
        except (zipfile.BadZipFile, NotImplementedError, OSError) as broken:
            yield name, cast(BinaryIO, _Unreadable(broken))
            continue
        # validate_image re-checks the real size while reading, whatever the header declared.
        with handle:
            yield name, handle  # type: ignore[misc]


class _Unreadable:
    """A zip member that cannot even be opened: reading it fails, so it alone is refused."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def read(self, size: int = -1) -> bytes:
        raise zipfile.BadZipFile(str(self.error))
