"""Conversions between Loupe's mask RLE (uncompressed COCO counts) and pycocotools' RLE."""

from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from formats.geometry import Bounds

Rle = dict[str, Any]


def compress(rle: Rle) -> Rle:
    """Loupe's {"size", "counts": [ints]} as pycocotools' compressed RLE (counts as bytes)."""
    height, width = rle["size"]
    compressed: Rle = coco_mask.frPyObjects(
        {"size": [height, width], "counts": list(rle["counts"])}, height, width
    )
    return compressed


def to_json(compressed: Rle) -> Rle:
    """A compressed RLE in the JSON form COCO files carry (counts as an ASCII string)."""
    return {"size": list(compressed["size"]), "counts": compressed["counts"].decode("ascii")}


def area_and_bounds(compressed: Rle) -> tuple[int, Bounds]:
    """Pixel count and [x1, y1, x2, y2] of a compressed RLE."""
    area = int(coco_mask.area(compressed))
    x, y, w, h = (float(value) for value in coco_mask.toBbox(compressed))
    return area, (x, y, x + w, y + h)


def from_segmentation(segmentation: Any, height: int, width: int) -> Rle:
    """A COCO segmentation (polygons, compressed or uncompressed RLE) as one compressed RLE."""
    if isinstance(segmentation, list):
        merged: Rle = coco_mask.merge(coco_mask.frPyObjects(segmentation, height, width))
        return merged
    if isinstance(segmentation["counts"], list):
        return compress(segmentation)
    return {"size": segmentation["size"], "counts": segmentation["counts"].encode("ascii")}


def to_counts(compressed: Rle) -> Rle:
    """A compressed RLE as Loupe stores masks: uncompressed column-major counts."""
    height, width = compressed["size"]
    pixels = coco_mask.decode(compressed).flatten(order="F")
    # Runs alternate starting with background, so a mask starting with a pixel opens with 0.
    changes = np.flatnonzero(np.diff(pixels)) + 1
    edges = np.concatenate(([0], changes, [pixels.size]))
    counts = np.diff(edges).tolist()
    if pixels.size and pixels[0]:
        counts.insert(0, 0)
    return {"size": [int(height), int(width)], "counts": [int(c) for c in counts]}
