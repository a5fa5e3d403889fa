"""Label statistics per item from its accepted shapes (Loupe Shape JSON)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from pipelines.inputs import ItemInputs, Shape
from pipelines.steps import step

DECIMALS = 6
Bounds = tuple[float, float, float, float]


def box_corners(shape: Shape) -> list[tuple[float, float]]:
    x1, y1, x2, y2 = (float(value) for value in shape["points"][:4])
    corners = [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]
    rotation = float(shape.get("rotation") or 0.0)
    if not rotation:
        return corners
    centre_x, centre_y = (x1 + x2) / 2, (y1 + y2) / 2
    cos, sin = math.cos(math.radians(rotation)), math.sin(math.radians(rotation))
    return [
        (
            centre_x + (x - centre_x) * cos - (y - centre_y) * sin,
            centre_y + (x - centre_x) * sin + (y - centre_y) * cos,
        )
        for x, y in corners
    ]


def polygon_area(flat: Sequence[float]) -> float:
    """Shoelace area of [x, y, ...]; absolute, so the winding does not matter."""
    xs, ys = flat[0::2], flat[1::2]
    doubled = sum(
        xs[index] * ys[(index + 1) % len(xs)] - xs[(index + 1) % len(xs)] * ys[index]
        for index in range(len(xs))
    )
    return abs(doubled) / 2


def shape_area(shape: Shape) -> float | None:
    """Pixel area of a box (rotation keeps it), polygon or mask; None for kinds without area."""
    kind = shape.get("kind")
    if kind == "box":
        x1, y1, x2, y2 = shape["points"][:4]
        return float(abs(x2 - x1) * abs(y2 - y1))
    if kind == "polygon":
        return polygon_area(shape["points"])
    if kind == "mask":
        counts = shape.get("rle", {}).get("counts", [])
        return float(sum(counts[1::2]))  # COCO RLE: runs alternate background, foreground
    return None


def _bounds(shape: Shape) -> Bounds:
    corners = box_corners(shape)
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    return min(xs), min(ys), max(xs), max(ys)


def crowding(boxes: Sequence[Shape]) -> int:
    """The most other boxes any one box overlaps (positive-area intersection; a rotated box
    counts by its axis-aligned bounds)."""
    bounds = [_bounds(shape) for shape in boxes]
    most = 0
    for index, (ax1, ay1, ax2, ay2) in enumerate(bounds):
        overlapping = sum(
            1
            for other, (bx1, by1, bx2, by2) in enumerate(bounds)
            if other != index and min(ax2, bx2) > max(ax1, bx1) and min(ay2, by2) > max(ay1, by1)
        )
        most = max(most, overlapping)
    return most


def label_statistics(shapes: Sequence[Shape]) -> dict[str, Any]:
    counts = Counter(str(shape["label"]) for shape in shapes)
    areas: dict[str, float] = defaultdict(float)
    for shape in shapes:
        area = shape_area(shape)
        if area is not None:
            areas[str(shape["label"])] += area
    return {
        "shapes": len(shapes),
        "counts": dict(sorted(counts.items())),
        "areas": {label: round(area, DECIMALS) for label, area in sorted(areas.items())},
        "crowding": crowding([shape for shape in shapes if shape.get("kind") == "box"]),
    }


@step(name="label_stats", version=1, inputs=("annotation",))
def label_stats(inputs: ItemInputs) -> dict[str, Any]:
    return label_statistics(inputs.shapes())
