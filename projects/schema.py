"""The project label schema: validation and normalisation (pure Python, no Django)."""

import math
import re
from typing import Any

from common.errors import Invalid

SHAPE_KINDS = ("tag", "box", "polygon", "polyline", "keypoints", "cuboid", "mask")
ATTRIBUTE_TYPES = ("select", "checkbox", "text", "number")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_LABELS = 500
DEFAULT_COLORS = ("#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0")


class SchemaError(Invalid):
    """Errors keyed by label position and field."""


def validate_labels(labels: Any) -> list[dict[str, Any]]:
    """Return the normalised label list, or raise SchemaError with errors keyed by position."""
    if not isinstance(labels, list):
        raise SchemaError({"labels": ["Expected a list of label classes."]})
    if len(labels) > MAX_LABELS:
        raise SchemaError({"labels": [f"At most {MAX_LABELS} label classes."]})
    errors: dict[str, Any] = {}
    normalised = []
    seen: set[str] = set()
    for index, label in enumerate(labels):
        try:
            clean = _validate_label(label, index)
        except SchemaError as exc:
            errors[str(index)] = exc.errors
            continue
        if clean["name"] in seen:
            errors[str(index)] = {"name": [f"Duplicate label name {clean['name']!r}."]}
            continue
        seen.add(clean["name"])
        normalised.append(clean)
    if errors:
        raise SchemaError({"labels": errors})
    return normalised


def _validate_label(label: Any, index: int) -> dict[str, Any]:
    if not isinstance(label, dict):
        raise SchemaError({"non_field_errors": ["Expected an object."]})
    errors: dict[str, list[str]] = {}
    name = label.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        errors["name"] = ["A non-empty name of at most 100 characters is required."]
    kind = label.get("kind", "box")
    if kind not in SHAPE_KINDS:
        errors["kind"] = [f"Unknown kind {kind!r}; use one of {', '.join(SHAPE_KINDS)}."]
    color = label.get("color") or DEFAULT_COLORS[index % len(DEFAULT_COLORS)]
    if not isinstance(color, str) or not COLOR.match(color):
        errors["color"] = ["Use a #rrggbb colour."]
    keypoints = label.get("keypoints") or []
    skeleton = label.get("skeleton") or []
    if not isinstance(keypoints, list) or not all(isinstance(k, str) and k for k in keypoints):
        errors["keypoints"] = ["Expected a list of keypoint names."]
        keypoints = []
    elif len(set(keypoints)) != len(keypoints):
        errors["keypoints"] = ["Keypoint names must be unique."]
    if kind == "keypoints" and not keypoints:
        errors.setdefault("keypoints", []).append("A keypoints class needs its keypoint names.")
    if not _valid_skeleton(skeleton, len(keypoints)):
        errors["skeleton"] = ["Expected pairs [i, j] of keypoint indexes."]
    attributes, attribute_errors = _validate_attributes(label.get("attributes") or [])
    if attribute_errors:
        errors["attributes"] = attribute_errors
    if errors:
        raise SchemaError(errors)
    assert isinstance(name, str)  # checked above: errors would have been raised
    return {
        "name": name.strip(),
        "color": color.lower(),
        "kind": kind,
        "attributes": attributes,
        "keypoints": keypoints,
        "skeleton": skeleton,
    }


def _valid_skeleton(skeleton: Any, keypoint_count: int) -> bool:
    if not isinstance(skeleton, list):
        return False
    for edge in skeleton:
        if not (isinstance(edge, list) and len(edge) == 2):
            return False
        if not all(isinstance(i, int) and 0 <= i < keypoint_count for i in edge):
            return False
    return True


def _validate_attributes(attributes: Any) -> tuple[list[dict[str, Any]], list[str]]:
    if not isinstance(attributes, list):
        return [], ["Expected a list of attributes."]
    clean, errors, names = [], [], set()
    for attribute in attributes:
        if not isinstance(attribute, dict):
            errors.append("Each attribute is an object {name, type, values, default}.")
            continue
        name, kind = attribute.get("name"), attribute.get("type", "text")
        values = attribute.get("values") or []
        if not isinstance(name, str) or not name or name in names:
            errors.append(f"Attribute names must be unique non-empty strings ({name!r}).")
            continue
        if kind not in ATTRIBUTE_TYPES:
            errors.append(f"Attribute {name!r}: type must be one of {', '.join(ATTRIBUTE_TYPES)}.")
            continue
        if kind == "select" and (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) for v in values)
        ):
            errors.append(f"Attribute {name!r}: a select needs a list of string values.")
            continue
        default = attribute.get("default")
        if default is not None and not attribute_value_ok(kind, values, default):
            errors.append(f"Attribute {name!r}: default {default!r} is not a valid {kind} value.")
            continue
        names.add(name)
        clean.append(
            {
                "name": name,
                "type": kind,
                "values": values if kind == "select" else [],
                "default": default,
            }
        )
    return clean, errors


def attribute_value_ok(kind: str, values: list[str], value: Any) -> bool:
    """Whether `value` fits an attribute of this type (and, for a select, its values)."""
    if kind == "select":
        return value in values
    if kind == "checkbox":
        return isinstance(value, bool)
    if kind == "number":
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    return isinstance(value, str) and len(value) <= 1000
