"""Assisted outlining: given a box around an object, propose its outline with OpenCV's GrabCut.

`propose` is pure (an image and a box in, a polygon or a COCO RLE mask out); `item_assist` reads
the item's image from storage. GrabCut runs on a crop of the box with a margin of background,
downscaled so its longer side is at most `WORK_SIDE` pixels: a call costs about the same on a
640x480 scene as on a 4000x3000 photo. The largest foreground contour is simplified with
`cv2.approxPolyDP` and mapped back to image pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from django.core.files.storage import default_storage
from PIL import Image

from common.errors import Invalid
from formats.geometry import finite_number
from projects.models import Item

OUTPUTS = ("polygon", "mask")
WORK_SIDE = 360  # the crop's longer side while GrabCut runs, in pixels
MARGIN = 0.15  # background around the box, as a fraction of its longer side
MIN_MARGIN = 8
ITERATIONS = 5
MIN_BOX_SIDE = 4
MAX_BOX_PIXELS = 40_000_000
SIMPLIFY = 0.004  # approxPolyDP tolerance, as a fraction of the contour's perimeter


@dataclass(frozen=True)
class Proposal:
    """`points` is the polygon's flat [x1, y1, x2, y2, ...] or the mask's bbox [x1, y1, x2, y2]."""

    kind: str
    points: list[float]
    rle: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "points": self.points}
        if self.rle is not None:
            out["rle"] = self.rle
        return out


def clean_request(data: Any, *, width: int, height: int) -> tuple[tuple[int, int, int, int], str]:
    """The box (x, y, w, h, whole pixels inside the image) and output asked for, or Invalid."""
    if not isinstance(data, dict):
        raise Invalid("Send a JSON object: {box: [x, y, w, h], output: 'polygon' or 'mask'}.")
    errors: dict[str, list[str]] = {}
    output = data.get("output", "polygon")
    if output not in OUTPUTS:
        errors["output"] = ["output must be 'polygon' or 'mask'."]
    box = data.get("box")
    if not (isinstance(box, list) and len(box) == 4 and all(map(_number, box))):
        errors["box"] = ["box must be four numbers [x, y, w, h] in image pixels."]
        raise Invalid(errors)
    x, y, w, h = (float(value) for value in box)
    if w < MIN_BOX_SIDE or h < MIN_BOX_SIDE:
        errors["box"] = [f"The box must be at least {MIN_BOX_SIDE}×{MIN_BOX_SIDE} pixels."]
    elif x < -0.5 or y < -0.5 or x + w > width + 0.5 or y + h > height + 0.5:
        errors["box"] = [f"The box must lie inside the {width}×{height} image."]
    elif w * h > MAX_BOX_PIXELS:
        errors["box"] = [f"The box may cover at most {MAX_BOX_PIXELS:,} pixels."]
    if errors:
        raise Invalid(errors)
    x1, y1 = max(0, round(x)), max(0, round(y))
    x2, y2 = min(width, round(x + w)), min(height, round(y + h))
    return (x1, y1, x2 - x1, y2 - y1), output


_number = finite_number


def propose(image: Image.Image, box: tuple[int, int, int, int], *, output: str) -> Proposal | None:
    """The object's outline inside `box` (x, y, w, h), or None when GrabCut finds nothing."""
    x, y, w, h = box
    margin = max(MIN_MARGIN, round(MARGIN * max(w, h)))
    cx1, cy1 = max(0, x - margin), max(0, y - margin)
    cx2, cy2 = min(image.width, x + w + margin), min(image.height, y + h + margin)
    scale = min(1.0, WORK_SIDE / max(cx2 - cx1, cy2 - cy1))
    crop = image.crop((cx1, cy1, cx2, cy2)).convert("RGB")
    if scale < 1.0:
        size = (max(1, round(crop.width * scale)), max(1, round(crop.height * scale)))
        crop = crop.resize(size, Image.Resampling.BILINEAR)
    sx, sy = crop.width / (cx2 - cx1), crop.height / (cy2 - cy1)
    work = cv2.cvtColor(np.asarray(crop), cv2.COLOR_RGB2BGR)
    rx, ry = int((x - cx1) * sx), int((y - cy1) * sy)
    rw = max(1, min(work.shape[1] - rx, round(w * sx)))
    rh = max(1, min(work.shape[0] - ry, round(h * sy)))
    if rw * rh >= work.shape[0] * work.shape[1]:
        # A box over the whole image leaves no background to learn from: keep a 1 px frame.
        rx, ry, rw, rh = 1, 1, max(1, work.shape[1] - 2), max(1, work.shape[0] - 2)
    labels = np.zeros(work.shape[:2], np.uint8)
    background = np.zeros((1, 65), np.float64)
    foreground = np.zeros((1, 65), np.float64)
    cv2.grabCut(
        work, labels, (rx, ry, rw, rh), background, foreground, ITERATIONS, cv2.GC_INIT_WITH_RECT
    )
    chosen = ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).astype(np.uint8)
    contours, _ = cv2.findContours(chosen, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    contour = max(contours, key=cv2.contourArea)
    if cv2.contourArea(contour) < 2:
        return None
    # Contour points are pixel centres: +0.5 puts them on the pixels' middle in image space.
    scale_back = np.array([1 / sx, 1 / sy])
    origin = np.array([cx1, cy1], np.float64)
    if output == "mask":
        return _mask(contour, scale_back, origin, image.width, image.height)
    simple = cv2.approxPolyDP(contour, SIMPLIFY * cv2.arcLength(contour, True), True)
    if len(simple) < 3:
        simple = contour
    vertices = (simple.reshape(-1, 2).astype(np.float64) + 0.5) * scale_back + origin
    vertices[:, 0] = np.clip(vertices[:, 0], 0, image.width)
    vertices[:, 1] = np.clip(vertices[:, 1], 0, image.height)
    return Proposal(kind="polygon", points=[round(float(v), 2) for v in vertices.reshape(-1)])


def _mask(
    contour: np.ndarray, scale_back: np.ndarray, origin: np.ndarray, width: int, height: int
) -> Proposal | None:
    full = np.zeros((height, width), np.uint8)
    vertices = (contour.reshape(-1, 2).astype(np.float64) + 0.5) * scale_back + origin
    # fillPoly fills pixels whose centres are inside (with 4 fractional bits of precision).
    fixed = np.round((vertices - 0.5) * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(full, [fixed], 1, lineType=cv2.LINE_8, shift=4)
    ys, xs = np.nonzero(full)
    if len(xs) == 0:
        return None
    bbox = [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]
    return Proposal(kind="mask", points=bbox, rle=rle_encode(full))


def rle_encode(pixels: np.ndarray) -> dict[str, Any]:
    """COCO's uncompressed RLE (column-major runs, starting with 0s) of a 0/1 image."""
    height, width = pixels.shape
    flat = np.asarray(pixels, np.uint8).reshape(-1, order="F")
    changes = np.flatnonzero(np.diff(flat)) + 1
    edges = np.concatenate(([0], changes, [flat.size]))
    counts = np.diff(edges).tolist()
    if flat.size and flat[0] == 1:
        counts = [0, *counts]
    return {"size": [height, width], "counts": [int(count) for count in counts]}


def item_image(item: Item) -> Image.Image:
    """The item's stored pixels, in the frame its shapes are validated in (the asset's size)."""
    with default_storage.open(item.asset.storage_key, "rb") as handle, Image.open(handle) as source:
        source.load()
        return source.copy()


def item_assist(*, item: Item, data: Any) -> Proposal | None:
    """Checks the request against the item's size before any pixel is read."""
    box, output = clean_request(data, width=item.asset.width, height=item.asset.height)
    return propose(item_image(item), box, output=output)
