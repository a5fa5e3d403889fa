"""Validation of shape JSON against a project's label schema and the image size (pure Python).

Errors come back keyed by shape position and field, e.g. {"3": {"points": ["..."]}}, so the
client can point at the exact shape that was refused.

A shape names its class by `label_id` (the class's stable id), by `label` (its name), or both;
the id wins, so a tab opened before a rename still saves. The stored shape carries both, the name
as the schema has it now.

Every save and every imported item passes here, so a shape that is plainly valid (the common
case) takes a fast path of a few type checks and comparisons (`_plain_normalised`); anything it
does not recognise goes through the full checks (`_shape_errors`), which name what is wrong. The
fast path accepts nothing the full checks refuse and builds the same normalised shape; a test
holds the two paths to that over generated shapes.
"""

import uuid
from collections.abc import Callable
from typing import Any

from common.errors import Invalid
from formats.geometry import finite_number
from formats.importing import (
    CANONICAL_UUID,
    PLAIN_NUMBERS,
    pairs_for_kind,
    plain_points_within,
)
from projects.schema import attribute_value_ok

MAX_SHAPES = 10_000
MAX_POINTS = 20_000  # numbers in one shape's points
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
}
# A rotation the fast path takes: finite (NaN fails both comparisons) and exact as a float.
_ROTATION_BOUND = 2.0**53


class ShapesInvalid(Invalid):
    """Errors keyed by shape position and field."""


def validate_shapes(
    shapes: Any, *, labels: list[dict[str, Any]], width: int, height: int
) -> list[dict[str, Any]]:
    """The shapes normalised as stored, or ShapesInvalid naming every bad shape and field."""
    return ShapeSchema(labels).validate(shapes, width=width, height=height)


class ShapeSchema:
    """A project's classes as the checks look them up; build once to validate many documents
    (an import) against the same schema."""

    def __init__(self, labels: list[dict[str, Any]]) -> None:
        self.by_name = {label["name"]: label for label in labels}
        self.by_id = {label["id"]: label for label in labels if label.get("id")}
        self.attributes = {
            label["name"]: {attribute["name"]: attribute for attribute in label["attributes"]}
            for label in labels
            if label.get("attributes")
        }
        self.single_choice = any(
            label.get("group") is not None and label.get("group_choice") == "single"
            for label in labels
        )

    def validate(self, shapes: Any, *, width: int, height: int) -> list[dict[str, Any]]:
        if not isinstance(shapes, list):
            raise ShapesInvalid({"shapes": ["Expected a list of shapes."]})
        if len(shapes) > MAX_SHAPES:
            raise ShapesInvalid({"shapes": [f"At most {MAX_SHAPES} shapes per document."]})
        errors: dict[str, Any] = {}
        clean: list[dict[str, Any]] = []
        seen_ids: set[str] = set()
        for index, shape in enumerate(shapes):
            out = _plain_normalised(shape, self, width, height)
            if out is None:
                out, shape_errors = self._checked(shape, width, height)
            else:
                shape_errors = {}
            if out is not None:
                # Compared as stored (normalised), so "ABC..." and "abc..." are the same id.
                shape_id = out["id"]
                if shape_id in seen_ids:
                    shape_errors = {"id": [f"Duplicate shape id {shape_id}."]}
                else:
                    seen_ids.add(shape_id)
                    clean.append(out)
            if shape_errors:
                errors[str(index)] = shape_errors
        if not errors and self.single_choice:
            errors = _single_choice_errors(clean, self)
        if errors:
            raise ShapesInvalid({"shapes": errors})
        return clean

    def _checked(
        self, shape: Any, width: int, height: int
    ) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
        """The full checks: the normalised shape, or None and what is wrong with it."""
        label, shape_errors = self.label_of(shape)
        if label is not None:
            shape_errors.update(_shape_errors(shape, label, width, height))
        if shape_errors:
            return None, shape_errors
        return _normalised(shape, label), {}  # type: ignore[arg-type]

    def label_of(self, shape: Any) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
        """The shape's class and, when it has none, why."""
        if not isinstance(shape, dict):
            return None, {"non_field_errors": ["Expected a shape object."]}
        label_id, name = shape.get("label_id"), shape.get("label")
        if label_id is not None:
            label = self.by_id.get(label_id) if isinstance(label_id, str) else None
            if label is None:
                return None, {"label_id": [f"Unknown class id {label_id!r} for this project."]}
            return label, {}
        label = self.by_name.get(name) if isinstance(name, str) else None  # a list won't hash
        if label is None:
            return None, {"label": [f"Unknown label {name!r} for this project."]}
        return label, {}


def _plain_normalised(
    shape: Any, schema: ShapeSchema, width: int, height: int
) -> dict[str, Any] | None:
    """The normalised shape when it is plainly valid, else None (the full checks then decide).

    Takes a subset of what the full checks take (canonical ids, plain numbers, no keypoints or
    masks) and builds exactly what `_normalised` builds, in the same key order.
    """
    if type(shape) is not dict or not shape.keys() <= SHAPE_FIELDS:
        return None
    label_id = shape.get("label_id")
    if label_id is None:
        name = shape.get("label")
        label = schema.by_name.get(name) if type(name) is str else None
    else:
        label = schema.by_id.get(label_id) if type(label_id) is str else None
    shape_id = shape.get("id")
    if label is None or type(shape_id) is not str or not CANONICAL_UUID.fullmatch(shape_id):
        return None
    kind, occluded = label["kind"], shape.get("occluded", False)
    if shape.get("kind") != kind or (occluded is not False and occluded is not True):
        return None
    points = _plain_points(shape.get("points"), kind, width, height)
    attributes = _plain_attributes(shape.get("attributes"), schema.attributes.get(label["name"]))
    if points is None or attributes is None:
        return None
    out = {
        "id": shape_id,
        "label": label["name"],
        "kind": kind,
        "points": points,
        "attributes": attributes,
        "occluded": occluded,
    }
    rotation = shape.get("rotation")
    if rotation is not None:
        if kind != "box" or type(rotation) not in PLAIN_NUMBERS:
            return None
        if not -_ROTATION_BOUND < rotation < _ROTATION_BOUND:
            return None
        if rotation:
            out["rotation"] = float(rotation) % 360.0
    if label.get("id"):
        out["label_id"] = label["id"]
    return out


def _plain_points(points: Any, kind: str, width: int, height: int) -> list[float] | None:
    if kind == "box":
        if type(points) is not list or len(points) != 4:
            return None
        x1, y1, x2, y2 = points
        plain = type(x1) in PLAIN_NUMBERS and type(y1) in PLAIN_NUMBERS
        plain = plain and type(x2) in PLAIN_NUMBERS and type(y2) in PLAIN_NUMBERS
        # Chained comparisons fail on NaN and infinities, so they also prove the numbers finite.
        if plain and 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height:
            return [float(x1), float(y1), float(x2), float(y2)]
        return None
    if kind == "tag":
        return [] if points is None or (type(points) is list and not points) else None
    if not pairs_for_kind(points, kind) or len(points) > MAX_POINTS:
        return None
    if not plain_points_within(points, 0, 0, width, height):
        return None
    return list(map(float, points))


def _plain_attributes(
    attributes: Any, spec: dict[str, dict[str, Any]] | None
) -> dict[str, Any] | None:
    if attributes is None:
        return {}
    if type(attributes) is not dict:
        return None
    if not attributes:
        return {}
    if spec is None:
        return None
    for name, value in attributes.items():
        attribute = spec.get(name)
        if attribute is None:
            return None
        if not attribute_value_ok(attribute["type"], attribute["values"], value):
            return None
    return attributes


def single_choice_check(shapes: list[dict[str, Any]], *, labels: list[dict[str, Any]]) -> None:
    """The single-choice rule alone, over validated shapes (a change set merged into a document)."""
    errors = _single_choice_errors(shapes, ShapeSchema(labels))
    if errors:
        raise ShapesInvalid({"shapes": errors})


def _single_choice_errors(shapes: list[dict[str, Any]], schema: ShapeSchema) -> dict[str, Any]:
    """At most one tag per single-choice group (day / night): every tag after the first is named."""
    first_of_group: dict[str, str] = {}
    errors: dict[str, Any] = {}
    for index, shape in enumerate(shapes):
        label = schema.by_name.get(shape["label"], {}) if shape["kind"] == "tag" else {}
        group = label.get("group")
        if group is None or label.get("group_choice") != "single":
            continue
        first = first_of_group.get(group)
        if first is None:
            first_of_group[group] = shape["label"]
            continue
        both = f"{first!r} is already tagged" if first != shape["label"] else "It is tagged twice"
        errors[str(index)] = {
            "label": [
                f"{both}: group {group!r} takes one choice per image, not {shape['label']!r} too."
            ]
        }
    return errors


def _normalised(shape: dict[str, Any], label: dict[str, Any]) -> dict[str, Any]:
    out = {
        "id": str(uuid.UUID(shape["id"])),
        "label": label["name"],
        "kind": shape["kind"],
        "points": [float(value) for value in shape.get("points") or []],
        "attributes": shape.get("attributes") or {},
        "occluded": bool(shape.get("occluded", False)),
    }
    if shape["kind"] == "box" and shape.get("rotation"):
        out["rotation"] = float(shape["rotation"]) % 360.0
    if shape["kind"] == "mask":
        out["rle"] = shape["rle"]
    if label.get("id"):
        out["label_id"] = label["id"]
    return out


def _shape_errors(
    shape: dict[str, Any], label: dict[str, Any], width: int, height: int
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    unknown = set(shape) - SHAPE_FIELDS
    if unknown:
        errors["non_field_errors"] = [f"Unknown fields: {', '.join(sorted(unknown))}."]
    try:
        uuid.UUID(str(shape.get("id")))
    except ValueError:
        errors["id"] = ["Expected a UUID."]
    kind = shape.get("kind")
    if kind != label["kind"]:
        errors["kind"] = [f"Label {label['name']!r} takes {label['kind']} shapes, not {kind!r}."]
    else:
        point_errors = _points_errors(shape, label, width, height)
        if point_errors:
            errors["points"] = point_errors
        attribute_errors = _attribute_errors(shape.get("attributes"), label)
        if attribute_errors:
            errors["attributes"] = attribute_errors
    if not isinstance(shape.get("occluded", False), bool):
        errors["occluded"] = ["Expected true or false."]
    rotation = shape.get("rotation")
    if rotation is not None and (kind != "box" or not _finite(rotation)):
        errors["rotation"] = ["Only boxes rotate, by a finite number of degrees."]
    return errors


_finite = finite_number


def _points_errors(shape: dict, label: dict, width: int, height: int) -> list[str]:
    kind, points = label["kind"], shape.get("points")
    if kind == "tag":
        return [] if points in (None, []) else ["Tags have no points."]
    if not isinstance(points, list) or not all(_finite(value) for value in points):
        return ["Expected a list of finite numbers."]
    if len(points) > MAX_POINTS:
        return [f"At most {MAX_POINTS} numbers per shape."]
    stride = 3 if kind == "keypoints" else 2
    expected: Callable[[int], bool] = {
        "box": lambda n: n == 4,
        "polygon": lambda n: n >= 6 and n % 2 == 0,
        "polyline": lambda n: n >= 4 and n % 2 == 0,
        "keypoints": lambda n: n == 3 * len(label["keypoints"]),
        "cuboid": lambda n: n == 16,
        "mask": lambda n: n == 4,
    }[kind]
    if not expected(len(points)):
        return [_count_message(kind, label)]
    xs, ys = points[0::stride], points[1::stride]
    if kind == "keypoints":
        visibility = points[2::3]
        if any(v not in (0, 1, 2) for v in visibility):
            return ["Keypoint visibility must be 0 (absent), 1 (occluded) or 2 (visible)."]
        xs = [x for x, v in zip(xs, visibility, strict=True) if v]
        ys = [y for y, v in zip(ys, visibility, strict=True) if v]
    if any(x < 0 or x > width for x in xs) or any(y < 0 or y > height for y in ys):
        return [f"Points must lie inside the {width}x{height} image."]
    if kind in ("box", "mask") and not (points[0] < points[2] and points[1] < points[3]):
        return ["A box is [x1, y1, x2, y2] with x1 < x2 and y1 < y2."]
    if kind == "mask":
        return _rle_errors(shape.get("rle"), width, height)
    return []


def _count_message(kind: str, label: dict) -> str:
    return {
        "box": "A box is 4 numbers [x1, y1, x2, y2].",
        "polygon": "A polygon needs at least 3 vertices [x, y, ...].",
        "polyline": "A polyline needs at least 2 vertices [x, y, ...].",
        "keypoints": f"Expected {len(label['keypoints'])} keypoints as [x, y, v, ...].",
        "cuboid": "A cuboid is 8 vertices (16 numbers): front face, then back face.",
        "mask": "A mask's points are its bbox [x1, y1, x2, y2].",
    }[kind]


def _rle_errors(rle: Any, width: int, height: int) -> list[str]:
    if not isinstance(rle, dict) or rle.get("size") != [height, width]:
        return [f"A mask needs rle {{size: [{height}, {width}], counts: [...]}}."]
    counts = rle.get("counts")
    if not isinstance(counts, list) or not all(isinstance(c, int) and c >= 0 for c in counts):
        return ["rle.counts must be a list of non-negative integers."]
    if sum(counts) != width * height:
        return [f"rle.counts must add up to {width * height} pixels."]
    return []


def _attribute_errors(attributes: Any, label: dict) -> list[str]:
    if attributes is None:
        return []
    if not isinstance(attributes, dict):
        return ["Expected an object of attribute values."]
    spec = {attribute["name"]: attribute for attribute in label["attributes"]}
    errors = []
    for name, value in attributes.items():
        attribute = spec.get(name)
        if attribute is None:
            errors.append(f"{label['name']!r} has no attribute {name!r}.")
        elif not attribute_value_ok(attribute["type"], attribute["values"], value):
            errors.append(f"Invalid value {value!r} for {attribute['type']} attribute {name!r}.")
    return errors


def shape_errors_by_id(errors: dict[str, Any], shapes: list[Any]) -> dict[str, Any]:
    """validate_shapes' errors keyed by shape id instead of position (for change sets, whose
    client never saw the positions of the merged list)."""
    by_position = errors.get("shapes")
    if not isinstance(by_position, dict):
        return errors
    keyed: dict[str, Any] = {}
    for position, shape_errors in by_position.items():
        shape = shapes[int(position)]
        shape_id = shape.get("id") if isinstance(shape, dict) else None
        try:
            key = str(uuid.UUID(str(shape_id)))
        except ValueError:
            key = position
        keyed[key] = shape_errors
    return {**errors, "shapes": keyed}
