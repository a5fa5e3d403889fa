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


def brute_force_groups(hashes: dict[str, str], max_distance: int) -> list[list[str]]:
    """Every pair compared, linked transitively: the definition the banded search must meet."""
    item_ids = sorted(hashes)
    values = [int(hashes[item_id], 16) for item_id in item_ids]
    parent = list(range(len(item_ids)))

    def find(index: int) -> int:
        while parent[index] != index:
            index = parent[index]
        return index

    for first in range(len(values)):
        for second in range(first + 1, len(values)):
            if (values[first] ^ values[second]).bit_count() <= max_distance:
                parent[find(second)] = find(first)
    members: dict[int, list[str]] = {}
    for index, item_id in enumerate(item_ids):
        members.setdefault(find(index), []).append(item_id)
    return sorted(group for group in members.values() if len(group) > 1)
