"""Thumbnails: a WebP at most 256 px on its long side; the bytes go to the blob sink."""

from __future__ import annotations

import io

from PIL import Image

from pipelines.inputs import ItemInputs
from pipelines.steps import step

MAX_SIDE = 256
MEDIA_TYPE = "image/webp"
QUALITY = 80


def webp_thumbnail(image: Image.Image, max_side: int = MAX_SIDE) -> tuple[bytes, int, int]:
    """Encoded bytes and their width and height; never upscales; keeps alpha when present."""
    thumbnail = image.copy()
    if thumbnail.mode not in ("RGB", "RGBA"):
        has_alpha = thumbnail.mode in ("LA", "PA") or "transparency" in thumbnail.info
        thumbnail = thumbnail.convert("RGBA" if has_alpha else "RGB")
    thumbnail.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    # method=6 and exact settings: the same pixels always encode to the same bytes (same libwebp).
    thumbnail.save(buffer, format="WEBP", quality=QUALITY, method=6)
    return buffer.getvalue(), thumbnail.width, thumbnail.height


@step(
    name="thumbnail",
    version=1,
    inputs=("image",),
    config={"max_side": MAX_SIDE, "quality": QUALITY},
)
def thumbnail(inputs: ItemInputs) -> dict[str, str | int]:
    data, width, height = webp_thumbnail(inputs.image())
    sha256 = inputs.put_blob(data, MEDIA_TYPE)
    return {
        "sha256": sha256,
        "size": len(data),
        "width": width,
        "height": height,
        "media_type": MEDIA_TYPE,
    }
