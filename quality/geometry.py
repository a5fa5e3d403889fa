"""Similarity of two shapes of the same kind, in [0, 1] (pure Python, no Django).

Every function takes Loupe Shape JSON dicts and returns a matrix ``[gold, candidate]`` so that the
scorer fills a whole kind in one call; ``shape_similarity`` is the one-pair view of the same code.
The formulas are written out for managers in ``docs/scoring.md``; keep the two in step.

Conventions shared by every kind:
- Image pixel coordinates, origin top-left, y pointing down.
- A shape without area (a collinear polygon, a zero-length polyline, an empty mask) overlaps
  nothing: its similarity with anything, itself included, is 0.
- Results are clipped to [0, 1] and never NaN, whatever the input.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pycocotools import mask as coco_mask

from formats.geometry import finite_number

Shape = Mapping[str, Any]
Label = Mapping[str, Any]
Matrix = NDArray[np.float64]

DEFAULT_KEYPOINT_SIGMA = 0.05
DEFAULT_POLYLINE_TOLERANCE = 4.0  # pixels either side of the line


def shape_similarity(
    gold: Shape,
    candidate: Shape,
    *,
    label: Label | None = None,
    polyline_tolerance: float = DEFAULT_POLYLINE_TOLERANCE,
) -> float:
    """Similarity of one pair, ``label`` being the gold shape's label (None: defaults)."""
    if gold["kind"] != candidate["kind"]:
        return 0.0
    matrix = similarity_matrix(
        gold["kind"],
        [gold],
        [candidate],
        gold_labels=[label],
        polyline_tolerance=polyline_tolerance,
    )
    return float(matrix[0, 0])


def similarity_matrix(
    kind: str,
    gold: Sequence[Shape],
    candidates: Sequence[Shape],
    *,
    gold_labels: Sequence[Label | None],
    polyline_tolerance: float = DEFAULT_POLYLINE_TOLERANCE,
) -> Matrix:
    """Similarity of every gold shape (rows) with every candidate (columns), all of ``kind``.

    ``gold_labels[i]`` is the schema label of ``gold[i]`` (None when it is not in the schema):
    it carries the per-label keypoint ``sigmas`` and polyline ``tolerance``.
    """
    if not gold or not candidates:
        return np.zeros((len(gold), len(candidates)))
    if kind == "keypoints":
        matrix = _keypoint_matrix(gold, candidates, gold_labels)
    elif kind == "polyline":
        matrix = _polyline_matrix(gold, candidates, gold_labels, polyline_tolerance)
    elif kind == "mask":
        matrix = _mask_matrix(gold, candidates)
    elif kind == "box" and all(_axis_aligned(shape) for shape in [*gold, *candidates]):
        matrix = _aligned_box_matrix(gold, candidates)
    elif kind in _POLYGONAL:
        to_geometry = _POLYGONAL[kind]
        matrix = _area_iou_matrix(
            [to_geometry(shape) for shape in gold], [to_geometry(shape) for shape in candidates]
        )
    else:
        raise ValueError(f"No geometric similarity for shape kind {kind!r}.")
    # A guard, not a fix: every formula above is finite; this keeps a bad input from leaking NaN.
    return np.clip(np.nan_to_num(matrix, nan=0.0, posinf=0.0, neginf=0.0), 0.0, 1.0)


# --- boxes ---------------------------------------------------------------------------------------


def box_corners(shape: Shape) -> list[tuple[float, float]]:
    """The four corners of a box after its rotation about its centre.

    ``rotation`` is in degrees; with y pointing down, a positive angle turns the box clockwise on
    screen (the usual rotation matrix applied in image coordinates).
    """
    x1, y1, x2, y2 = (float(value) for value in shape["points"])
    centre_x, centre_y = (x1 + x2) / 2, (y1 + y2) / 2
    half_w, half_h = (x2 - x1) / 2, (y2 - y1) / 2
    angle = math.radians(float(shape.get("rotation") or 0.0))
    cos, sin = math.cos(angle), math.sin(angle)
    offsets = ((-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h))
    return [(centre_x + dx * cos - dy * sin, centre_y + dx * sin + dy * cos) for dx, dy in offsets]


def _axis_aligned(shape: Shape) -> bool:
    # 180 degrees gives back the same rectangle; 90 and 270 are handled by _aligned_extent.
    return float(shape.get("rotation") or 0.0) % 90.0 == 0.0


def _aligned_extent(shape: Shape) -> tuple[float, float, float, float]:
    """[x1, y1, x2, y2] of a box turned by a multiple of 90 degrees, exactly (no sin/cos)."""
    x1, y1, x2, y2 = (float(value) for value in shape["points"])
    if float(shape.get("rotation") or 0.0) % 180.0 == 0.0:
        return x1, y1, x2, y2
    centre_x, centre_y = (x1 + x2) / 2, (y1 + y2) / 2
    half_w, half_h = (x2 - x1) / 2, (y2 - y1) / 2
    return centre_x - half_h, centre_y - half_w, centre_x + half_h, centre_y + half_w


def _aligned_box_matrix(gold: Sequence[Shape], candidates: Sequence[Shape]) -> Matrix:
    """IoU of axis-aligned boxes, vectorised; the same formula as pycocotools' bbox IoU."""
    g = np.array([_aligned_extent(shape) for shape in gold])[:, None, :]
    c = np.array([_aligned_extent(shape) for shape in candidates])[None, :, :]
    width = np.clip(np.minimum(g[..., 2], c[..., 2]) - np.maximum(g[..., 0], c[..., 0]), 0, None)
    height = np.clip(np.minimum(g[..., 3], c[..., 3]) - np.maximum(g[..., 1], c[..., 1]), 0, None)
    intersection = width * height
    area_g = (g[..., 2] - g[..., 0]) * (g[..., 3] - g[..., 1])
    area_c = (c[..., 2] - c[..., 0]) * (c[..., 3] - c[..., 1])
    return _ratio(intersection, area_g + area_c - intersection)


def _ratio(intersection: Matrix, union: Matrix) -> Matrix:
    """intersection / union, 0 where the union is empty (no area overlaps nothing)."""
    safe_union = np.where(union > 0, union, 1.0)
    return np.where(union > 0, intersection / safe_union, 0.0)


# --- polygons, rotated boxes, cuboids, polylines: areas through shapely ------------------------


def _pairs(points: Sequence[float]) -> list[tuple[float, float]]:
    return list(zip(points[0::2], points[1::2], strict=True))


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """A valid geometry holding only the polygonal parts (areas) of ``geometry``.

    ``make_valid`` splits a self-intersecting ring such as a bow-tie into its lobes, and may add
    lines or points (a collapsed spike) that have no area and would only upset the overlay.
    """
    if geometry.is_valid:
        return geometry
    repaired = shapely.make_valid(geometry)
    parts = shapely.get_parts(repaired)
    polygons = [part for part in parts if part.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polygons) if polygons else shapely.Polygon()


def polygon_geometry(shape: Shape) -> shapely.Geometry:
    return _polygonal(shapely.Polygon(_pairs(shape["points"])))


def box_geometry(shape: Shape) -> shapely.Geometry:
    if _axis_aligned(shape):
        # Exact: sin and cos of a right angle are off by 1e-16, enough to spoil an IoU of 1.
        return shapely.box(*_aligned_extent(shape))
    return shapely.Polygon(box_corners(shape))


def cuboid_geometry(shape: Shape) -> shapely.Geometry:
    """The convex hull of the 8 projected vertices: a 2D proxy for the cuboid's footprint."""
    return _polygonal(shapely.MultiPoint(_pairs(shape["points"])).convex_hull)


def polyline_band(shape: Shape, tolerance: float) -> shapely.Geometry:
    """The band of points within ``tolerance`` pixels of the line, with flat ends.

    Flat ends keep a line's length honest (a round cap would lengthen both lines by the
    tolerance); joins are round, approximated by 8 segments per quarter circle.
    """
    line = shapely.LineString(_pairs(shape["points"]))
    return line.buffer(tolerance, cap_style="flat", join_style="round")


_POLYGONAL: dict[str, Callable[[Shape], shapely.Geometry]] = {
    "box": box_geometry,
    "polygon": polygon_geometry,
    "cuboid": cuboid_geometry,
}


def _area_iou_matrix(gold: list[shapely.Geometry], candidates: list[shapely.Geometry]) -> Matrix:
    """Area IoU of every pair, computing overlays only for pairs whose geometries intersect."""
    gold_array = np.array(gold, dtype=object)
    candidate_array = np.array(candidates, dtype=object)
    matrix = np.zeros((len(gold), len(candidates)))
    # Most pairs on an image are far apart; the tree skips them without an overlay.
    rows, cols = shapely.STRtree(candidate_array).query(gold_array, predicate="intersects")
    if len(rows) == 0:
        return matrix
    intersection = shapely.area(shapely.intersection(gold_array[rows], candidate_array[cols]))
    union = shapely.area(gold_array[rows]) + shapely.area(candidate_array[cols]) - intersection
    matrix[rows, cols] = _ratio(intersection, union)
    return matrix


def _polyline_matrix(
    gold: Sequence[Shape],
    candidates: Sequence[Shape],
    gold_labels: Sequence[Label | None],
    default_tolerance: float,
) -> Matrix:
    """IoU of the two lines' bands, both drawn at the gold label's ``tolerance``."""
    tolerances = [label_number(label, "tolerance", default_tolerance) for label in gold_labels]
    matrix = np.zeros((len(gold), len(candidates)))
    # Usually one tolerance for all; candidates are banded once per distinct gold tolerance.
    for tolerance in sorted(set(tolerances)):
        rows = [index for index, value in enumerate(tolerances) if value == tolerance]
        matrix[rows] = _area_iou_matrix(
            [polyline_band(gold[row], tolerance) for row in rows],
            [polyline_band(shape, tolerance) for shape in candidates],
        )
    return matrix


def label_number(label: Label | None, key: str, default: float) -> float:
    """A finite number set on the label (``threshold``, ``tolerance``), else ``default``."""
    value = (label or {}).get(key)
    # bool is an int to Python, but `"threshold": true` is a schema mistake, not 1.0.
    if not finite_number(value):
        return default
    return float(value)


# --- masks -------------------------------------------------------------------------------------


def _mask_matrix(gold: Sequence[Shape], candidates: Sequence[Shape]) -> Matrix:
    """Pixel IoU of the masks' RLEs, computed by pycocotools (empty masks score 0)."""
    gold_rles = [_compressed_rle(shape) for shape in gold]
    candidate_rles = [_compressed_rle(shape) for shape in candidates]
    sizes = {tuple(rle["size"]) for rle in [*gold_rles, *candidate_rles]}
    if len(sizes) != 1:
        raise ValueError(f"Masks of one image must share one size, got {sorted(sizes)}.")
    not_crowd = [0] * len(candidate_rles)
    # pycocotools names its arguments (detections, ground truth): rows follow the first.
    return np.asarray(coco_mask.iou(gold_rles, candidate_rles, not_crowd), dtype=np.float64)


def _compressed_rle(shape: Shape) -> dict[str, Any]:
    height, width = shape["rle"]["size"]
    rle: dict[str, Any] = coco_mask.frPyObjects(dict(shape["rle"]), height, width)
    return rle


# --- keypoints ---------------------------------------------------------------------------------


def keypoint_sigmas(label: Label | None, count: int) -> NDArray[np.float64]:
    """The label's per-keypoint ``sigmas`` when it gives one per keypoint, else 0.05 each."""
    sigmas = (label or {}).get("sigmas")
    if isinstance(sigmas, list) and len(sigmas) == count:
        return np.array(sigmas, dtype=np.float64)
    return np.full(count, DEFAULT_KEYPOINT_SIGMA)


def keypoint_area(gold_points: NDArray[np.float64]) -> float:
    """The object's scale s^2: the bounding-box area of the gold keypoints with v > 0, or 1."""
    labelled = gold_points[gold_points[:, 2] > 0]
    if len(labelled) == 0:
        return 1.0
    width, height = np.ptp(labelled[:, 0]), np.ptp(labelled[:, 1])
    area = float(width * height)
    return area if area > 0 else 1.0


def _keypoint_matrix(
    gold: Sequence[Shape], candidates: Sequence[Shape], gold_labels: Sequence[Label | None]
) -> Matrix:
    matrix = np.zeros((len(gold), len(candidates)))
    lengths = [len(shape["points"]) for shape in candidates]
    # Candidates of one skeleton are stacked so that each gold row is a single array operation.
    for length in sorted(set(lengths)):
        cols = [col for col, value in enumerate(lengths) if value == length]
        stacked = np.array([candidates[col]["points"] for col in cols], dtype=np.float64)
        stacked = stacked.reshape(len(cols), -1, 3)
        for row, (shape, label) in enumerate(zip(gold, gold_labels, strict=True)):
            # Another skeleton (another label) has no keypoint-to-keypoint correspondence.
            if len(shape["points"]) == length:
                gold_points = np.array(shape["points"], dtype=np.float64).reshape(-1, 3)
                sigmas = keypoint_sigmas(label, len(gold_points))
                matrix[row, cols] = _oks(gold_points, stacked, sigmas)
    return matrix


def _oks(
    gold: NDArray[np.float64], candidates: NDArray[np.float64], sigmas: NDArray[np.float64]
) -> NDArray[np.float64]:
    """COCO object keypoint similarity of one gold pose with each candidate pose (k x 3 each).

    OKS = mean_i exp(-d_i^2 / (2 * s^2 * k_i^2)) with k_i = 2 * sigma_i (pycocotools' convention),
    over the gold keypoints with v > 0. A candidate keypoint marked absent (v = 0) contributes 0
    wherever it lies.
    """
    counted = gold[:, 2] > 0
    candidate_marked = candidates[:, :, 2] > 0
    if not counted.any():
        # Nothing to locate: only a candidate that also marks nothing agrees with it.
        return np.where(candidate_marked.any(axis=1), 0.0, 1.0)
    squared_distance = ((candidates[:, :, :2] - gold[None, :, :2]) ** 2).sum(axis=2)
    exponent = squared_distance / ((2 * sigmas) ** 2) / keypoint_area(gold) / 2
    per_keypoint = np.where(candidate_marked, np.exp(-exponent), 0.0)
    result: NDArray[np.float64] = per_keypoint[:, counted].mean(axis=1)
    return result
