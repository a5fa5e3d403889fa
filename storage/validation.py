"""Upload validation: hash while streaming to a temporary file, then let Pillow judge the bytes.

Nothing here touches the database or object storage, so a refused file leaves nothing behind.
"""

import hashlib
import tempfile
import warnings
from dataclasses import dataclass
from typing import IO, BinaryIO

from PIL import Image, UnidentifiedImageError

from common.errors import Invalid

ALLOWED_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
}
CHUNK = 1024 * 1024


class UploadRejected(Invalid):
    """The file is not an image Loupe accepts; the message says why, for the uploader."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="file")


@dataclass
class ValidatedImage:
    name: str
    sha256: str
    size: int
    mime: str
    width: int
    height: int
    spooled: IO[bytes]  # positioned at 0, holding exactly the validated bytes


def spool_and_hash(source: BinaryIO, *, name: str, max_bytes: int) -> tuple[IO[bytes], str, int]:
    digest = hashlib.sha256()
    spooled = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (returned open)
    size = 0
    while chunk := source.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            spooled.close()
            raise UploadRejected(f"{name}: file is larger than the {_size_text(max_bytes)} limit.")
        digest.update(chunk)
        spooled.write(chunk)
    if size == 0:
        spooled.close()
        raise UploadRejected(f"{name}: file is empty.")
    spooled.seek(0)
    return spooled, digest.hexdigest(), size


def _size_text(size: int) -> str:
    # Whole MiB read best, but a limit under 1 MiB must not print as "0 MiB".
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    return f"{size:,}-byte"


def validate_image(
    source: BinaryIO, *, name: str, max_bytes: int, max_pixels: int
) -> ValidatedImage:
    spooled, sha256, size = spool_and_hash(source, name=name, max_bytes=max_bytes)
    try:
        mime, width, height = _inspect(spooled, name=name, max_pixels=max_pixels)
    except UploadRejected:
        spooled.close()
        raise
    spooled.seek(0)
    return ValidatedImage(name, sha256, size, mime, width, height, spooled)


def _inspect(spooled: IO[bytes], *, name: str, max_pixels: int) -> tuple[str, int, int]:
    # The header tells the size before any pixel is decoded, so a decompression bomb is refused
    # without allocating it. UPLOAD_MAX_PIXELS is the limit that counts, checked below before
    # load(): Pillow's warning (past its own default of ~89 Mpx) would otherwise refuse images the
    # setting allows. Pillow's hard error (past twice that) still refuses bigger ones at open().
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(spooled) as image:
                image_format = image.format or ""
                width, height = image.size
                if image_format not in ALLOWED_FORMATS:
                    raise UploadRejected(
                        f"{name}: {image_format or 'unknown'} images are not accepted "
                        f"(use {', '.join(sorted(ALLOWED_FORMATS))})."
                    )
                if width <= 0 or height <= 0:
                    raise UploadRejected(f"{name}: image has no pixels.")
                if width * height > max_pixels:
                    raise UploadRejected(
                        f"{name}: {width}x{height} is {width * height:,} pixels, over the "
                        f"{max_pixels:,}-pixel limit (possible decompression bomb)."
                    )
                image.load()  # decodes every byte: truncated or corrupt data fails here
    except UploadRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise UploadRejected(f"{name}: image is too large to decode safely ({exc}).") from exc
    except UnidentifiedImageError as exc:
        raise UploadRejected(f"{name}: not an image Loupe can read.") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise UploadRejected(f"{name}: image data is truncated or corrupt ({exc}).") from exc
    return ALLOWED_FORMATS[image_format], width, height
