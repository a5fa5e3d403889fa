"""Geometry shared by the codecs: bounds, areas, rotated boxes and the fixed number formatting.

Rotation follows Loupe's canvas: degrees about the box centre, clockwise on screen (image y
points down), applied as x' = cx + dx cos(a) - dy sin(a), y' = cy + dx sin(a) + dy cos(a).
"""

import math
from collections.abc import Sequence
from typing import TypeGuard

from formats.records import Shape

Bounds = tuple[float, float, float, float]


def finite_number(value: object) -> TypeGuard[int | float]:
    """A JSON number usable as a float: not a bool, NaN or an infinity, and not an integer too
    large for a float (JSON allows 10**400; `math.isfinite` raises OverflowError on it)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def number(value: float) -> float | int:
    """A coordinate as written by COCO and VOC: 2 decimals, integral values as integers.

    One rule for every number keeps the output byte-stable and stops 1e-13 noise from a
    rotation surfacing as "12.000000000001" in one export and "12.0" in the next.
    """
    if type(value) is float:
        # Fast paths with round()'s result (round costs ~1 us, a million times per export):
        # an integral float rounds to itself; so does the double nearest to k/100.
        if value.is_integer():
            return int(value)
        scaled = value * 100.0
        if scaled.is_integer() and scaled / 100.0 == value:
            return value
    rounded = round(value, 2)
    whole = int(rounded)
    return whole if whole == rounded else rounded


def rotated_corners(box: Sequence[float], rotation: float) -> list[float]:
    """The four corners [x,y]*4 of box [x1,y1,x2,y2] turned by `rotation` degrees."""
    x1, y1, x2, y2 = box
    if not rotation:
        return [x1, y1, x2, y1, x2, y2, x1, y2]  # the common case, without trigonometry noise
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    cos, sin = math.cos(math.radians(rotation)), math.sin(math.radians(rotation))
    corners: list[float] = []
    for x, y in ((x1, y1), (x2, y1), (x2, y2), (x1, y2)):
        dx, dy = x - cx, y - cy
        corners += [cx + dx * cos - dy * sin, cy + dx * sin + dy * cos]
    return corners


def box_from_corners(corners: Sequence[float]) -> tuple[list[float], float]:
    """Inverse of `rotated_corners`: the unrotated box and its rotation in [0, 360)."""
    (ax, ay), (bx, by), (qx, qy) = corners[0:2], corners[2:4], corners[4:6]
    width, height = math.hypot(bx - ax, by - ay), math.hypot(qx - bx, qy - by)
    cx, cy = sum(corners[0::2]) / 4, sum(corners[1::2]) / 4
    rotation = math.degrees(math.atan2(by - ay, bx - ax)) % 360.0
    box = [cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2]
    return box, rotation


def is_rectangle(corners: Sequence[float], tolerance: float = 0.05) -> bool:
    """Whether 4 vertices are a rectangle in order (a rotated box written as a polygon)."""
    if len(corners) != 8:
        return False
    xs, ys = corners[0::2], corners[1::2]
    for i in range(4):
        ux, uy = xs[(i + 1) % 4] - xs[i], ys[(i + 1) % 4] - ys[i]
        vx, vy = xs[(i + 2) % 4] - xs[(i + 1) % 4], ys[(i + 2) % 4] - ys[(i + 1) % 4]
        scale = max(math.hypot(ux, uy) * math.hypot(vx, vy), 1e-9)
        if abs(ux * vx + uy * vy) / scale > tolerance:
            return False
    return True


def outline(shape: Shape) -> list[float]:
    """The shape's vertices [x,y,...] (a box's corners, a keypoint set's labelled points)."""
    points = [float(value) for value in shape.get("points") or []]
    kind = shape["kind"]
    if kind == "box":
        return rotated_corners(points, float(shape.get("rotation") or 0.0))
    if kind == "keypoints":
        visible = [i for i in range(0, len(points), 3) if points[i + 2] > 0]
        return [value for i in visible for value in points[i : i + 2]]
    return points


def bounds(shape: Shape) -> Bounds | None:
    """Axis-aligned [x1, y1, x2, y2] of a shape, None for a tag or keypoints with none placed."""
    if shape["kind"] == "mask" or (shape["kind"] == "box" and not shape.get("rotation")):
        x1, y1, x2, y2 = (float(value) for value in shape["points"])
        return x1, y1, x2, y2
    vertices = outline(shape)
    if not vertices:
        return None
    xs, ys = vertices[0::2], vertices[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def polygon_area(points: Sequence[float]) -> float:
    """Shoelace area of a simple polygon [x,y,...] (exact geometry, not rasterised pixels)."""
    xs, ys = points[0::2], points[1::2]
    count = len(xs)
    twice = sum(xs[i] * ys[(i + 1) % count] - xs[(i + 1) % count] * ys[i] for i in range(count))
    return abs(twice) / 2


def shape_area(shape: Shape) -> float:
    """Area in pixels: boxes and polygons exactly; other kinds by their bounds."""
    kind = shape["kind"]
    if kind == "box":
        x1, y1, x2, y2 = (float(value) for value in shape["points"])
        return (x2 - x1) * (y2 - y1)
    if kind == "polygon":
        return polygon_area([float(value) for value in shape["points"]])
    box = bounds(shape)
    return 0.0 if box is None else (box[2] - box[0]) * (box[3] - box[1])


def inside(points: Sequence[float], width: int, height: int, slack: float = 0.01) -> bool:
    """Whether every [x,y] lies in the image, allowing export rounding of `slack` pixels."""
    xs, ys = points[0::2], points[1::2]
    if xs and ys:
        # min/max run in C; a NaN (which no bound admits) could hide from them, so the
        # element-wise check below has the last word when the sum says one is there.
        fast = -slack <= min(xs) and max(xs) <= width + slack
        fast = fast and -slack <= min(ys) and max(ys) <= height + slack
        total = sum(xs) + sum(ys)
        if not fast or total == total:
            return fast
    return all(-slack <= x <= width + slack for x in xs) and all(
        -slack <= y <= height + slack for y in ys
    )
