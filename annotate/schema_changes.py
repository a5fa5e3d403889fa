"""Annotate's side of a label-schema change (services; receivers of projects.events).

Stored shapes name their class by `label_id` (shapes saved before classes had ids: by name). A
rename rewrites the `label` name of the class's shapes; a forced deletion removes them. Either is
a new version of each document it touches, with its revision authored by the manager, so a tab
still holding the old version gets a 412 and merges instead of writing old names back. The
document keeps its status: the manager changed the schema, not the annotator's work.
"""

from typing import Any

from django.contrib.auth.models import User
from django.db.models import F
from django.utils import timezone

from annotate.models import AnnotationDocument, Revision
from formats.canonical import content_hash
from projects.events import LabelUsage


def shape_class(shape: dict[str, Any], names_to_id: dict[str, str]) -> str | None:
    """The class id of a stored shape (by name for shapes stored before classes had ids)."""
    label_id = shape.get("label_id")
    return label_id if label_id is not None else names_to_id.get(str(shape.get("label")))


def shapes_usage(
    shapes: list[dict[str, Any]], *, label_ids: set[str], names: dict[str, str]
) -> dict[str, int]:
    names_to_id = {names[i]: i for i in label_ids if i in names}
    counts: dict[str, int] = {}
    for shape in shapes:
        label_id = shape_class(shape, names_to_id)
        if label_id in label_ids:
            counts[label_id] = counts.get(label_id, 0) + 1
    return counts


def shapes_relabelled(
    shapes: list[dict[str, Any]],
    *,
    renamed: dict[str, str],
    removed: set[str],
    names: dict[str, str],
) -> list[dict[str, Any]] | None:
    """The shapes after the schema change, or None when it does not touch them."""
    names_to_id = {names[i]: i for i in (set(renamed) | removed) if i in names}
    out, changed = [], False
    for shape in shapes:
        label_id = shape_class(shape, names_to_id)
        if label_id in removed:
            changed = True
            continue
        if label_id in renamed:
            shape = {**shape, "label": renamed[label_id], "label_id": label_id}
            changed = True
        out.append(shape)
    return out if changed else None


def label_usage(
    *, project_id: int, label_ids: set[str], names: dict[str, str], **_: Any
) -> dict[str, LabelUsage]:
    usage: dict[str, LabelUsage] = {}
    documents = AnnotationDocument.objects.filter(item__project_id=project_id).values_list(
        "shapes", flat=True
    )
    for shapes in documents.iterator(chunk_size=200):
        for label_id, count in shapes_usage(shapes, label_ids=label_ids, names=names).items():
            usage[label_id] = usage.get(label_id, LabelUsage()) + LabelUsage(count, 1)
    return usage


def labels_rewrite(
    *,
    project_id: int,
    renamed: dict[str, str],
    removed: set[str],
    names: dict[str, str],
    by: User | None,
    **_: Any,
) -> None:
    """Carry every document of the project through the schema change (in its transaction)."""
    # Rows locked in pk order: a save racing this waits, then finds a newer version (412).
    documents = (
        AnnotationDocument.objects.select_for_update(of=("self",))
        .filter(item__project_id=project_id)
        .order_by("pk")
    )
    now = timezone.now()
    for document in documents:
        shapes = shapes_relabelled(document.shapes, renamed=renamed, removed=removed, names=names)
        if shapes is None:
            continue
        AnnotationDocument.objects.filter(pk=document.pk).update(
            shapes=shapes,
            content_hash=content_hash(shapes),
            version=F("version") + 1,
            updated_at=now,
        )
        Revision.objects.create(
            document=document,
            version=document.version + 1,
            shapes=shapes,
            status=document.status,
            author_id=by.pk if by is not None else document.annotator_id,
        )
