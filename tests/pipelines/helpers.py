"""Small items with real PNG bytes for pipeline tests."""

import hashlib
import io
from typing import Any

from PIL import Image

from pipelines.inputs import Item


def png_bytes(
    width: int = 2, height: int = 2, color: Any = (10, 20, 30), mode: str = "RGB"
) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def image_item(
    item_id: str,
    data: bytes,
    shapes: list[dict[str, Any]] | None = None,
    split: str = "train",
) -> Item:
    from formats.canonical import content_hash

    return Item(
        item_id=item_id,
        image=hashlib.sha256(data).hexdigest(),
        annotation=None if shapes is None else content_hash(shapes),
        split=split,
        load_image_bytes=lambda: data,
        load_shapes=(lambda: shapes) if shapes is not None else None,
    )


def tag(label: str, shape_id: str = "t") -> dict[str, Any]:
    return {
        "id": shape_id,
        "label": label,
        "kind": "tag",
        "points": [],
        "attributes": {},
        "occluded": False,
    }


def box(label: str, points: list[float], shape_id: str = "b", **extra: Any) -> dict[str, Any]:
    return {
        "id": shape_id,
        "label": label,
        "kind": "box",
        "points": points,
        "attributes": {},
        "occluded": False,
        **extra,
    }
