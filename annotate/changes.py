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
from typing import Any, NamedTuple

from common.errors import Invalid

CHANGE_KEYS = ("add", "update", "delete")


class ChangeSetInvalid(Invalid):
    """Errors keyed by list and position, e.g. {"update": {"0": {"id": [...]}}}."""


class ChangeSet(NamedTuple):
    """A change set checked against the stored shapes' ids: what to add, update and delete."""

    add: list[Any]
    update: dict[str, Any]  # stored id -> whole new shape, as sent
    delete: set[str]


def change_set_apply(shapes: list[dict[str, Any]], changes: Any) -> list[dict[str, Any]]:
    """The shapes after the change set; the result still needs validate_shapes."""
    return change_set_merge(shapes, change_set_check(shapes, changes))


def change_set_check(shapes: list[dict[str, Any]], changes: Any) -> ChangeSet:
    """The change set, once every id it names is where it says (else ChangeSetInvalid)."""
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
    return ChangeSet(added, updated, deleted)


def change_set_merge(shapes: list[dict[str, Any]], change: ChangeSet) -> list[dict[str, Any]]:
    """Stored shapes in order (updated in place, deleted dropped), then the added ones."""
    if not change.update and not change.delete:
        return [*shapes, *change.add]
    updated, deleted = change.update, change.delete
    kept = [updated.get(shape["id"], shape) for shape in shapes if shape["id"] not in deleted]
    return kept + change.add


def change_set_between(
    old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> dict[str, list[Any]] | None:
    """The change set that turns `old` into exactly `new` (both validated, ids unique), or None
    when none can: change sets keep the stored order and append, so a reordering needs a copy."""
    new_by_id = {shape["id"]: shape for shape in new}
    delete = [shape["id"] for shape in old if shape["id"] not in new_by_id]
    kept = [shape for shape in old if shape["id"] in new_by_id]
    if [shape["id"] for shape in kept] != [shape["id"] for shape in new[: len(kept)]]:
        return None
    update = [new_shape for shape, new_shape in zip(kept, new, strict=False) if shape != new_shape]
    return {"add": new[len(kept) :], "update": update, "delete": delete}


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
