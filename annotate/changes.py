"""Change sets: what a PATCH of a document sends instead of every shape (pure Python).

A change set is `{"add": [shape, ...], "update": [shape, ...], "delete": [shape_id, ...]}`, each
key optional. It applies to the shapes of the version named by If-Match, so every id it names is
checked against exactly the shapes the client had:
- `add`: new shapes, whose ids must not be in the document yet; appended in the order sent.
- `update`: whole shapes that replace the stored shape of the same id, in place.
- `delete`: ids of stored shapes to remove.
An id that is not where the client says it is (an add of a stored id, an update or delete of a
missing one, an id named twice) is a client bug, refused with a 400 naming it; nothing is applied.
"""

import uuid
from typing import Any

from common.errors import Invalid

CHANGE_KEYS = ("add", "update", "delete")


class ChangeSetInvalid(Invalid):
    """Errors keyed by list and position, e.g. {"update": {"0": {"id": [...]}}}."""


def change_set_apply(shapes: list[dict[str, Any]], changes: Any) -> list[dict[str, Any]]:
    """The shapes after the change set; the result still needs validate_shapes."""
    lists = _change_lists(changes)
    stored = {shape["id"] for shape in shapes}
    named: set[str] = set()
    errors: dict[str, dict[str, Any]] = {}

    def check(key: str, index: int, shape_id: str | None, should_exist: bool) -> str | None:
        problem = None
        if shape_id is None:
            problem = "Expected a shape with a UUID id." if key != "delete" else "Expected a UUID."
        elif shape_id in named:
            problem = f"Shape {shape_id} appears more than once in this change set."
        elif should_exist and shape_id not in stored:
            problem = f"No shape {shape_id} in the version you loaded; add it instead."
        elif not should_exist and shape_id in stored:
            problem = f"Shape {shape_id} is already in the document; update it instead."
        if problem:
            errors.setdefault(key, {})[str(index)] = {"id": [problem]}
            return None
        named.add(shape_id)  # type: ignore[arg-type]
        return shape_id

    added = [
        shape
        for index, shape in enumerate(lists["add"])
        if check("add", index, _shape_id(shape), should_exist=False)
    ]
    updated = {}
    for index, shape in enumerate(lists["update"]):
        shape_id = check("update", index, _shape_id(shape), should_exist=True)
        if shape_id:
            updated[shape_id] = shape
    deleted = {
        shape_id
        for index, value in enumerate(lists["delete"])
        if (shape_id := check("delete", index, _uuid(value), should_exist=True))
    }
    if errors:
        raise ChangeSetInvalid(errors)
    kept = [updated.get(shape["id"], shape) for shape in shapes if shape["id"] not in deleted]
    return kept + added


def _change_lists(changes: Any) -> dict[str, list[Any]]:
    if not isinstance(changes, dict):
        raise ChangeSetInvalid("Expected a change set {add, update, delete}.")
    errors: dict[str, Any] = {}
    unknown = set(changes) - set(CHANGE_KEYS)
    if unknown:
        errors["non_field_errors"] = [f"Unknown keys: {', '.join(sorted(map(str, unknown)))}."]
    lists = {}
    for key in CHANGE_KEYS:
        value = changes.get(key)
        if value is None:
            value = []
        if not isinstance(value, list):
            errors[key] = ["Expected a list."]
        lists[key] = value if isinstance(value, list) else []
    if errors:
        raise ChangeSetInvalid(errors)
    return lists


def _shape_id(shape: Any) -> str | None:
    return _uuid(shape.get("id")) if isinstance(shape, dict) else None


def _uuid(value: Any) -> str | None:
    """The id as stored (validate_shapes keeps the canonical lower-case form)."""
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None
