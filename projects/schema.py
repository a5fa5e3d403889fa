"""The project label schema: validation and normalisation (pure Python, no Django).

Every class has a stable `id` (a short random string given when the class is created); its name
is only what people read, so a rename keeps the id and every shape of the class (shapes carry
`label_id`). A tag class may belong to a `group` whose `group_choice` is "single" (at most one
tag of the group per image: day / night) or "multi"; every class of a group states the same choice.
"""

import re
import secrets
from typing import Any

from common.errors import Invalid
from formats.geometry import finite_number

SHAPE_KINDS = ("tag", "box", "polygon", "polyline", "keypoints", "cuboid", "mask")
ATTRIBUTE_TYPES = ("select", "checkbox", "text", "number")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_LABELS = 500
LABEL_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
GROUP_CHOICES = ("single", "multi")
DEFAULT_COLORS = ("#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0")


class SchemaError(Invalid):
    """Errors keyed by label position and field."""


def label_id_new() -> str:
    return secrets.token_hex(6)


def validate_labels(
    labels: Any, *, previous: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Return the normalised label list, or raise SchemaError with errors keyed by position.

    A class keeps the `id` it is sent with; one sent without an id is new and gets one, unless
    it has the name of a class in `previous` whose id no other class claims (so a client that
    does not know about ids keeps its classes by sending the same names).
    """
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
        normalised.append((index, clean))
    errors.update(_ids_errors(normalised, previous or []))
    errors.update(_group_errors(normalised))
    if errors:
        raise SchemaError({"labels": errors})
    return [clean for _, clean in normalised]


def _ids_errors(labels: list[tuple[int, dict[str, Any]]], previous: list[dict]) -> dict[str, Any]:
    """Give every class its id (in place); errors for ids sent twice."""
    errors: dict[str, Any] = {}
    claimed: set[str] = set()
    for index, label in labels:
        if label["id"] is None:
            continue
        if label["id"] in claimed:
            errors[str(index)] = {"id": [f"Duplicate class id {label['id']!r}."]}
        claimed.add(label["id"])
    previous_ids = {old["name"]: old.get("id") for old in previous}
    for _, label in labels:
        if label["id"] is None:
            kept = previous_ids.get(label["name"])
            label_id = kept if kept and kept not in claimed else label_id_new()
            label["id"] = label_id
            claimed.add(label_id)
    return errors


def _group_errors(labels: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    choices: dict[str, tuple[str, str]] = {}  # group -> (choice, the first class stating it)
    for index, label in labels:
        group = label["group"]
        if group is None:
            continue
        choice, first = choices.setdefault(group, (label["group_choice"], label["name"]))
        if choice != label["group_choice"]:
            errors[str(index)] = {
                "group_choice": [
                    f"Group {group!r} is {choice}-choice (class {first!r}); "
                    "every class of a group states the same choice."
                ]
            }
    return errors


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
    label_id = label.get("id")
    if label_id is not None and not (isinstance(label_id, str) and LABEL_ID.match(label_id)):
        errors["id"] = [
            "A class id is 1 to 40 letters, digits, '-' or '_' (omit it for a new one)."
        ]
    group, group_choice = _group_of(label, kind, errors)
    if errors:
        raise SchemaError(errors)
    assert isinstance(name, str)  # checked above: errors would have been raised
    return {
        "id": label_id,
        "name": str(name).strip(),
        "color": color.lower(),
        "kind": kind,
        "attributes": attributes,
        "keypoints": keypoints,
        "skeleton": skeleton,
        "group": group,
        "group_choice": group_choice,
    }


def _group_of(
    label: dict, kind: Any, errors: dict[str, list[str]]
) -> tuple[str | None, str | None]:
    """(group, choice) of a tag class; (None, None) outside any group."""
    group = label.get("group")
    if group in (None, ""):
        return None, None
    if not isinstance(group, str) or len(group.strip()) == 0 or len(group) > 100:
        errors["group"] = ["A group is a name of at most 100 characters."]
        return None, None
    if kind != "tag":
        errors["group"] = ["Only tag classes belong to groups."]
        return None, None
    choice = label.get("group_choice") or "single"
    if choice not in GROUP_CHOICES:
        errors["group_choice"] = ["A group's choice is 'single' or 'multi'."]
        return None, None
    return group.strip(), choice


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
        return finite_number(value)
    return isinstance(value, str) and len(value) <= 1000
