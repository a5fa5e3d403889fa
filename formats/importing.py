"""Helpers every importer shares: deterministic ids, label lookup, shape building and checks."""

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from formats.geometry import finite_number, inside, outline
from formats.records import FormatError, Label, Shape

# Ids derive from (file name, position) so importing the same file twice yields the same shapes
# (an idempotent job), while two files never collide.
SHAPE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://loupe.invalid/formats/shape")


def shape_id(file_name: str, index: int) -> str:
    return str(uuid.uuid5(SHAPE_NAMESPACE, f"{file_name}\x00{index}"))


class Schema:
    """The project's labels by name, answering with a FormatError for names it does not know."""

    def __init__(self, labels: Sequence[Label]) -> None:
        self.labels = list(labels)
        self.by_name = {label["name"]: label for label in labels}
        self.attribute_names = {
            label["name"]: frozenset(
                attribute["name"] for attribute in label.get("attributes") or []
            )
            for label in labels
        }

    def label(self, name: Any, *, location: str) -> Label:
        label = self.by_name.get(name) if isinstance(name, str) else None
        if label is None:
            raise FormatError(f"Unknown category {name!r}.", location=location)
        return label

    def at(self, index: int, *, location: str) -> Label:
        if not 0 <= index < len(self.labels):
            raise FormatError(f"Unknown class index {index}.", location=location)
        return self.labels[index]


def make_shape(
    *,
    shape_id: str,
    label: Label,
    points: Sequence[float],
    attributes: Mapping[str, Any] | None = None,
    occluded: bool = False,
    rotation: float = 0.0,
    rle: dict[str, Any] | None = None,
) -> Shape:
    """A Shape dict normalised as annotate stores it (floats, rotation only when non-zero)."""
    shape: Shape = {
        "id": shape_id,
        "label": label["name"],
        "kind": label["kind"],
        "points": [float(value) for value in points],
        "attributes": dict(attributes or {}),
        "occluded": bool(occluded),
    }
    if label["kind"] == "box" and rotation % 360.0:
        shape["rotation"] = rotation % 360.0
    if rle is not None:
        shape["rle"] = rle
    return shape


def check_attributes(attributes: Any, label: Label, *, location: str) -> dict[str, Any]:
    if attributes is None:
        return {}
    if not isinstance(attributes, dict):
        raise FormatError("Attributes must be an object.", location=location)
    known = {attribute["name"] for attribute in label.get("attributes") or []}
    unknown = sorted(set(attributes) - known)
    if unknown:
        names = ", ".join(unknown)
        raise FormatError(f"Class {label['name']!r} has no attribute {names}.", location=location)
    return dict(attributes)


def check_inside(shape: Shape, width: int, height: int, *, location: str) -> None:
    """Refuse a shape reaching outside its image, judged as annotate judges it (a rotated box
    by its unrotated corners, keypoints by the ones placed)."""
    vertices = shape["points"] if shape["kind"] in ("box", "mask") else outline(shape)
    if not inside(vertices, width, height):
        raise FormatError(f"Coordinates outside the {width}x{height} image.", location=location)


def numbers(value: Any, *, location: str, count: int | None = None) -> list[float]:
    """A list of finite numbers (optionally exactly `count` of them), or a FormatError."""
    # The common case, checked by C loops: plain floats and ints, all finite.
    try:
        ok = (
            type(value) is list
            and {type(v) for v in value} <= PLAIN_NUMBERS
            and all(map(math.isfinite, value))
        )
    except OverflowError:  # an int too large for a float (JSON allows 10**400)
        ok = False
    ok = ok or (isinstance(value, list) and all(map(finite_number, value)))
    if not ok or (count is not None and len(value) != count):
        wanted = f"{count} numbers" if count is not None else "a list of numbers"
        raise FormatError(f"Expected {wanted}, got {value!r:.80}.", location=location)
    return [float(v) for v in value]


# Exactly these types: bool is an int to isinstance but not a number to the schema.
PLAIN_NUMBERS = frozenset((float, int))
# uuid.UUID's canonical spelling; anything else (upper case, braces, urn:...) asks uuid.UUID.
CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def canonical_uuid(value: str) -> str:
    """A UUID as uuid.UUID spells it (lowercase, hyphenated), or ValueError."""
    return value if CANONICAL_UUID.fullmatch(value) else str(uuid.UUID(value))


def _is_uuid(value: Any) -> bool:
    if type(value) is str and CANONICAL_UUID.fullmatch(value):
        return True
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


SHAPE_FIELDS = {
    "id",
    "label",
    "label_id",
    "kind",
    "points",
    "attributes",
    "occluded",
    "rotation",
    "rle",
    "score",
}


def point_count_ok(label: Label, count: int) -> bool:
    """Whether `count` numbers make a shape of the label's kind (as annotate requires)."""
    kind = label["kind"]
    if kind in ("polygon", "polyline"):
        return count % 2 == 0 and count >= (6 if kind == "polygon" else 4)
    fixed = {"tag": 0, "box": 4, "mask": 4, "cuboid": 16}
    return count == fixed.get(kind, 3 * len(label.get("keypoints") or []))


def check_shape(
    shape: Any, schema: Schema, width: int, height: int, *, location: str
) -> tuple[Shape, float | None]:
    """A complete Loupe shape checked against the schema and image, and its score if any.

    The shape comes back as given (less its score) so a lossless format stays lossless.
    """
    if _plainly_valid(shape, schema, width, height):
        return _without_score(shape)
    return _fully_checked(shape, schema, width, height, location=location)


def check_shapes(
    shapes: list[Any], schema: Schema, width: int, height: int, *, location: str
) -> tuple[list[Shape], dict[str, float]]:
    """`check_shape` over an item's shapes (a bad one located as "<location>: shapes[i]"),
    and their scores by shape id."""
    clean: list[Shape] = []
    scores: dict[str, float] = {}
    for index, shape in enumerate(shapes):
        if _plainly_valid(shape, schema, width, height):
            checked, score = _without_score(shape)
        else:
            where = f"{location}: shapes[{index}]"
            checked, score = _fully_checked(shape, schema, width, height, location=where)
        clean.append(checked)
        if score is not None:
            scores[checked["id"]] = score
    return clean, scores


def _without_score(shape: Shape) -> tuple[Shape, float | None]:
    if "score" not in shape:
        return shape, None  # the reader's own dict, which nothing else holds: no copy
    return {key: value for key, value in shape.items() if key != "score"}, shape["score"]


def _fully_checked(
    shape: Any, schema: Schema, width: int, height: int, *, location: str
) -> tuple[Shape, float | None]:
    """`check_shape` for any input: every check in turn, the first that fails is reported."""
    if not isinstance(shape, dict):
        raise FormatError("Expected a shape object.", location=location)
    if not shape.keys() <= SHAPE_FIELDS:
        unknown = sorted(set(shape) - SHAPE_FIELDS)
        raise FormatError(f"Unknown shape fields: {', '.join(unknown)}.", location=location)
    if not _is_uuid(shape.get("id")):
        raise FormatError("A shape id must be a UUID.", location=f"{location}.id")
    label = schema.label(shape.get("label"), location=f"{location}.label")
    if shape.get("kind") != label["kind"]:
        message = f"Class {label['name']!r} takes {label['kind']} shapes."
        raise FormatError(message, location=f"{location}.kind")
    points = numbers(shape.get("points"), location=f"{location}.points")
    if not point_count_ok(label, len(points)):
        raise FormatError(f"Wrong number of points for a {label['kind']}.", location=location)
    check_attributes(shape.get("attributes"), label, location=f"{location}.attributes")
    if label["kind"] == "mask" and not isinstance(shape.get("rle"), dict):
        raise FormatError("A mask needs its rle.", location=f"{location}.rle")
    check_inside(shape, width, height, location=location)
    clean = {key: value for key, value in shape.items() if key != "score"}
    score = shape.get("score")
    if score is not None:
        score = numbers([score], location=f"{location}.score")[0]
    return clean, score


def _plainly_valid(shape: Any, schema: Schema, width: int, height: int) -> bool:
    """Whether a shape passes every check of `check_shape`, judged with a few type checks and
    comparisons for the common case (canonical id, plain numbers, a box, polygon, polyline,
    cuboid or tag). False only means "ask the full checks", which then name what is wrong."""
    if type(shape) is not dict or not shape.keys() <= SHAPE_FIELDS:
        return False
    shape_id, name = shape.get("id"), shape.get("label")
    if type(shape_id) is not str or not CANONICAL_UUID.fullmatch(shape_id):
        return False
    label = schema.by_name.get(name) if type(name) is str else None
    if label is None or shape.get("kind") != label["kind"]:
        return False
    attributes, score = shape.get("attributes"), shape.get("score")
    if attributes is not None and (
        type(attributes) is not dict or not attributes.keys() <= schema.attribute_names[name]
    ):
        return False
    if score is not None and not (type(score) is float and math.isfinite(score)):
        return False
    return _plainly_inside(shape.get("points"), label["kind"], width, height)


def _plainly_inside(points: Any, kind: str, width: int, height: int) -> bool:
    """Plain numbers, as many as the kind takes, inside the image as `check_inside` allows."""
    low, right, bottom = -_SLACK, width + _SLACK, height + _SLACK
    if kind == "box":
        if type(points) is not list or len(points) != 4:
            return False
        x1, y1, x2, y2 = points
        plain = type(x1) in PLAIN_NUMBERS and type(y1) in PLAIN_NUMBERS
        plain = plain and type(x2) in PLAIN_NUMBERS and type(y2) in PLAIN_NUMBERS
        # Comparisons fail on NaN and on infinities, so they also prove the numbers finite.
        return (
            plain
            and low <= x1 <= right
            and low <= x2 <= right
            and low <= y1 <= bottom
            and (low <= y2 <= bottom)
        )
    if kind == "tag":
        return type(points) is list and not points
    if not pairs_for_kind(points, kind):
        return False
    return plain_points_within(points, low, low, right, bottom)


def pairs_for_kind(points: Any, kind: str) -> bool:
    """Whether `points` is a list of [x, y] pairs, as many as a polygon (3+), polyline (2+) or
    cuboid (8) takes; False for any other kind. A fast path's test of the count alone."""
    minimum = _EVEN_POINT_KINDS.get(kind)
    if minimum is None or type(points) is not list:
        return False
    count = len(points)
    return not (count % 2 or count < minimum or (kind == "cuboid" and count != 16))


def plain_points_within(
    points: list[float], left: float, top: float, right: float, bottom: float
) -> bool:
    """Whether [x, y, ...] (at least one pair) are plain ints or floats, none a bool, NaN or
    infinite, with every x in [left, right] and every y in [top, bottom]: a fast path's test,
    checked by C loops. False only means "ask the full checks"."""
    if not set(map(type, points)) <= PLAIN_NUMBERS:
        return False
    xs, ys = points[0::2], points[1::2]
    if not (left <= min(xs) and max(xs) <= right and top <= min(ys) and max(ys) <= bottom):
        return False
    total = sum(points)
    return total == total  # a NaN, which min and max can step over, makes the sum NaN


# check_inside's allowance for export rounding (formats.geometry.inside's default).
_SLACK = 0.01
_EVEN_POINT_KINDS = {"polygon": 6, "polyline": 4, "cuboid": 16}
