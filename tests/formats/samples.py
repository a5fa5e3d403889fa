"""Label schemas and items the codec tests share."""

import uuid
from typing import Any

from formats.records import ItemRecord, ItemShapes

LABELS: list[dict[str, Any]] = [
    {
        "name": "car",
        "color": "#e6194b",
        "kind": "box",
        "attributes": [
            {"name": "colour", "type": "select", "values": ["red", "blue"], "default": "red"},
            {"name": "iscrowd", "type": "checkbox", "values": [], "default": False},
        ],
        "keypoints": [],
        "skeleton": [],
    },
    {
        "name": "person",
        "color": "#3cb44b",
        "kind": "keypoints",
        "attributes": [],
        "keypoints": ["head", "hip", "foot"],
        "skeleton": [[0, 1], [1, 2]],
    },
    {
        "name": "road",
        "color": "#ffe119",
        "kind": "polygon",
        "attributes": [{"name": "surface", "type": "text", "values": [], "default": None}],
        "keypoints": [],
        "skeleton": [],
    },
    {
        "name": "blob",
        "color": "#4363d8",
        "kind": "mask",
        "attributes": [],
        "keypoints": [],
        "skeleton": [],
    },
    {
        "name": "lane",
        "color": "#f58231",
        "kind": "polyline",
        "attributes": [],
        "keypoints": [],
        "skeleton": [],
    },
    {
        "name": "sunny",
        "color": "#911eb4",
        "kind": "tag",
        "attributes": [],
        "keypoints": [],
        "skeleton": [],
    },
    {
        "name": "crate",
        "color": "#46f0f0",
        "kind": "cuboid",
        "attributes": [],
        "keypoints": [],
        "skeleton": [],
    },
]


def sid(n: int) -> str:
    return str(uuid.UUID(int=n))


def shape(n: int, label: str, kind: str, points: list[float], **extra: Any) -> dict[str, Any]:
    return {
        "id": sid(n),
        "label": label,
        "kind": kind,
        "points": points,
        "attributes": extra.pop("attributes", {}),
        "occluded": extra.pop("occluded", False),
        **extra,
    }


def mask_rle(height: int, width: int, x1: int, y1: int, x2: int, y2: int) -> dict[str, Any]:
    """Column-major counts of a filled rectangle [x1, x2) x [y1, y2)."""
    counts: list[int] = []
    run, value = 0, 0
    for x in range(width):
        for y in range(height):
            pixel = 1 if x1 <= x < x2 and y1 <= y < y2 else 0
            if pixel != value:
                counts.append(run)
                run, value = 0, pixel
            run += 1
    counts.append(run)
    return {"size": [height, width], "counts": counts}


def item(item_id: int, *, split: str = "train", width: int = 64, height: int = 48) -> ItemRecord:
    return ItemRecord(
        item_id=item_id,
        file_name=f"img_{item_id}.jpg",
        sha256=f"{item_id:064x}",
        width=width,
        height=height,
        split=split,
        tags=("day",),
        metadata={"camera": "front", "exposure": 1.5},
    )


def every_kind(item_id: int) -> ItemShapes:
    """One item holding one shape of every kind."""
    base = item_id * 100
    shapes = [
        shape(base + 1, "car", "box", [4.0, 5.0, 20.0, 15.0], attributes={"colour": "blue"}),
        shape(base + 2, "car", "box", [30.0, 10.0, 50.0, 20.0], rotation=30.0, occluded=True),
        shape(base + 3, "person", "keypoints", [10.0, 10.0, 2.0, 12.0, 20.0, 1.0, 0.0, 0.0, 0.0]),
        shape(base + 4, "road", "polygon", [0.0, 30.0, 20.0, 30.0, 25.0, 45.5, 0.0, 47.0]),
        shape(
            base + 5, "blob", "mask", [40.0, 25.0, 50.0, 40.0], rle=mask_rle(48, 64, 40, 25, 50, 40)
        ),
        shape(base + 6, "lane", "polyline", [1.0, 1.0, 60.0, 2.5]),
        shape(base + 7, "sunny", "tag", []),
        shape(base + 8, "crate", "cuboid", [float(v) for v in range(16)]),
    ]
    return ItemShapes(
        item=item(item_id, split=("train", "val", "test")[item_id % 3]), shapes=shapes
    )
