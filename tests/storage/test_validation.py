"""Upload validation judges real bytes; it touches neither the database nor object storage."""

import hashlib
import io
import os
import struct
import zlib

import pytest
from PIL import Image

from storage.validation import UploadRejected, ValidatedImage, validate_image
from tests.storage.factories import image_bytes

LIMITS = {"max_bytes": 50 * 1024 * 1024, "max_pixels": 100_000_000}


def validate(data: bytes, name: str = "upload.png", **limits: int) -> ValidatedImage:
    return validate_image(io.BytesIO(data), name=name, **{**LIMITS, **limits})


def noisy_image_bytes(fmt: str, size: int = 128) -> bytes:
    """Random pixels: the compressed data dominates the file, so cutting it truncates pixels."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (size, size), os.urandom(3 * size * size)).save(buffer, format=fmt)
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny valid PNG whose IHDR is rewritten to claim width x height (a decompression bomb)."""
    data = image_bytes(4, 4)
    ihdr_start = 8 + 4  # signature, then the chunk length; the chunk type and data follow
    ihdr = bytearray(data[ihdr_start : ihdr_start + 4 + 13])
    ihdr[4:12] = struct.pack(">II", width, height)
    crc = struct.pack(">I", zlib.crc32(bytes(ihdr)) & 0xFFFFFFFF)
    end = ihdr_start + 4 + 13
    return data[:ihdr_start] + bytes(ihdr) + crc + data[end + 4 :]


@pytest.mark.parametrize(
    ("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_png_jpeg_and_webp_are_accepted_with_exact_facts(fmt: str, mime: str) -> None:
    # given the bytes of a 64x48 image
    data = image_bytes(64, 48, fmt=fmt)

    # when they are validated
    image = validate(data, name=f"photo.{fmt.lower()}")

    # then every fact is exact and the spooled copy holds exactly those bytes
    assert (image.name, image.mime, image.width, image.height) == (
        f"photo.{fmt.lower()}",
        mime,
        64,
        48,
    )
    assert image.size == len(data)
    assert image.sha256 == hashlib.sha256(data).hexdigest()
    assert image.spooled.read() == data


def test_text_is_refused_as_not_an_image() -> None:
    with pytest.raises(UploadRejected) as refused:
        validate(b"name,label\ncat.png,cat\n", name="labels.csv")
    assert str(refused.value) == "labels.csv: not an image Loupe can read."


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_images_are_refused(fmt: str) -> None:
    # given an image cut off in the middle of its pixel data
    data = noisy_image_bytes(fmt)
    cut = data[: len(data) * 2 // 3]

    with pytest.raises(UploadRejected) as refused:
        validate(cut, name="cut.img")

    assert str(refused.value).startswith("cut.img: image data is truncated or corrupt (")


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(UploadRejected) as refused:
        validate(b"", name="empty.png")
    assert str(refused.value) == "empty.png: file is empty."


def test_a_decompression_bomb_is_refused_from_its_header_alone() -> None:
    # given a few hundred bytes that claim to be a 30000x30000 PNG (900 megapixels)
    bomb = png_declaring(30_000, 30_000)
    assert len(bomb) < 1000

    with pytest.raises(UploadRejected) as refused:
        validate(bomb, name="bomb.png")

    assert str(refused.value).startswith("bomb.png: image is too large to decode safely (")


def test_an_image_over_the_pixel_limit_is_refused_before_decoding() -> None:
    # given a header claiming 12000x9000 and a 100-megapixel limit
    data = png_declaring(12_000, 9_000)

    with pytest.raises(UploadRejected) as refused:
        validate(data, name="huge.png", max_pixels=100_000_000)

    assert str(refused.value) == (
        "huge.png: 12000x9000 is 108,000,000 pixels, over the 100,000,000-pixel limit "
        "(possible decompression bomb)."
    )


def test_an_image_within_the_pixel_limit_is_accepted_past_pillows_own_default() -> None:
    # given a 9500x9500 image (90.25 Mpx: over Pillow's ~89.5 Mpx warning, under Loupe's 100 Mpx)
    # in 1-bit mode, so it costs 11 MB decoded and a few KiB encoded
    buffer = io.BytesIO()
    Image.new("1", (9500, 9500)).save(buffer, format="PNG")

    image = validate(buffer.getvalue(), name="scan.png", max_pixels=100_000_000)

    assert (image.width, image.height, image.mime) == (9500, 9500, "image/png")


def test_a_file_over_the_byte_limit_is_refused_with_the_limit_in_the_message() -> None:
    data = image_bytes(64, 48)

    with pytest.raises(UploadRejected) as refused:
        validate(data, name="big.png", max_bytes=len(data) - 1)

    assert str(refused.value) == f"big.png: file is larger than the {len(data) - 1:,}-byte limit."


def test_the_byte_limit_is_stated_in_mib_when_it_is_large() -> None:
    data = os.urandom(1024 * 1024 + 1)

    with pytest.raises(UploadRejected) as refused:
        validate(data, name="big.png", max_bytes=1024 * 1024)

    assert str(refused.value) == "big.png: file is larger than the 1 MiB limit."


def test_a_file_exactly_at_the_byte_limit_is_accepted() -> None:
    data = image_bytes(64, 48)
    assert validate(data, max_bytes=len(data)).size == len(data)


@pytest.mark.parametrize("fmt", ["ICO", "PCX"])
def test_readable_but_unsupported_formats_are_refused(fmt: str) -> None:
    # given an image Pillow can read in a format Loupe does not accept
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 20, 30)).save(buffer, format=fmt)

    with pytest.raises(UploadRejected) as refused:
        validate(buffer.getvalue(), name=f"icon.{fmt.lower()}")

    assert str(refused.value) == (
        f"icon.{fmt.lower()}: {fmt} images are not accepted (use BMP, GIF, JPEG, PNG, TIFF, WEBP)."
    )


def test_a_pdf_is_refused_as_not_an_image() -> None:
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    with pytest.raises(UploadRejected) as refused:
        validate(pdf, name="scan.pdf")
    assert str(refused.value) == "scan.pdf: not an image Loupe can read."
