"""Opening, saving and patching the caller's document, each at an expected version: the base
read by one narrow query, the shapes validated, the write in annotate.services.document_write."""

import json
from typing import Any

from django.contrib.auth.models import User
from django.db import connection

from annotate.changes import ChangeSet, change_set_check, change_set_merge
from annotate.models import ActivityVerb, AnnotationDocument, DocumentKind, DocumentStatus
from annotate.revisions import revision_content, revision_delta
from annotate.selectors import annotation_document_json_of
from annotate.services.activity import activity_log
from annotate.services.document_write import _document_write, _raise_stale
from annotate.shapes import (
    MAX_SHAPES,
    ShapesInvalid,
    shape_errors_by_id,
    single_choice_check,
    validate_shapes,
)
from projects.models import Item


def annotation_open(*, user: User, item: Item) -> tuple[AnnotationDocument, str]:
    """The caller's document (an unsaved empty one at version 0) with its shapes as stored JSON
    text, logged as opened."""
    document, shapes_json = annotation_document_json_of(user=user, item=item)
    activity_log(user=user, item=item, verb=ActivityVerb.OPENED, data={"version": document.version})
    return document, shapes_json


def annotation_save(
    *, user: User, item: Item, shapes: Any, expected_version: int
) -> AnnotationDocument:
    """Write the caller's shapes if the document is still at `expected_version`.

    A stale version is answered from one narrow read before the body is validated. The version
    check that counts is in the UPDATE itself (check and increment in one statement), so of two
    concurrent writers holding the same version exactly one wins and the other gets StaleVersion
    with nothing changed.
    """
    base = document_at_version(user=user, item=item, expected_version=expected_version)
    return annotation_save_at(user=user, item=item, base=base, shapes=shapes)


def annotation_save_at(
    *, user: User, item: Item, base: AnnotationDocument, shapes: Any
) -> AnnotationDocument:
    """annotation_save once `base` (from document_at_version) is known to be current: the API
    reads the version before it parses the body, so a stale write costs no parsing."""
    clean = validate_shapes(
        shapes, labels=item.project.labels, width=item.asset.width, height=item.asset.height
    )
    revision = revision_content(
        version=base.version + 1, shapes=clean, previous=base.shapes if base.pk else None
    )
    return _document_write(user=user, item=item, document=base, shapes=clean, revision=revision)


def annotation_patch(
    *, user: User, item: Item, changes: Any, expected_version: int
) -> AnnotationDocument:
    """Apply a change set (annotate.changes) to the caller's document at `expected_version`.

    The same conditional UPDATE as a full save; the response needs only the new version, so a
    one-shape edit costs the same bytes on the wire whatever the document's size.
    """
    base = document_at_version(user=user, item=item, expected_version=expected_version)
    return annotation_patch_at(user=user, item=item, base=base, changes=changes)


def annotation_patch_at(
    *, user: User, item: Item, base: AnnotationDocument, changes: Any
) -> AnnotationDocument:
    """annotation_patch once `base` is known to be current.

    Only the shapes the change set adds or updates are validated: the stored ones were when
    they were written, and change_set_check makes sure every id named is where it is said to
    be. The document-wide rules (the shape count, one tag per single-choice group) are checked
    on the merged list. Errors are keyed by shape id.
    """
    stored = base.shapes
    change = change_set_check(stored, changes)
    sent = [*change.update.values(), *change.add]
    try:
        if len(stored) - len(change.delete) + len(change.add) > MAX_SHAPES:
            raise ShapesInvalid({"shapes": [f"At most {MAX_SHAPES} shapes per document."]})
        clean = validate_shapes(
            sent, labels=item.project.labels, width=item.asset.width, height=item.asset.height
        )
    except ShapesInvalid as exc:
        raise ShapesInvalid(shape_errors_by_id(exc.errors, sent)) from None
    updated = {shape["id"]: shape for shape in clean[: len(change.update)]}
    added = clean[len(change.update) :]
    shapes = change_set_merge(stored, ChangeSet(added, updated, change.delete))
    if any(shape["kind"] == "tag" for shape in clean):
        try:
            single_choice_check(shapes, labels=item.project.labels)
        except ShapesInvalid as exc:
            raise ShapesInvalid(shape_errors_by_id(exc.errors, shapes)) from None
    version = base.version + 1
    delta = {"add": added, "update": list(updated.values()), "delete": sorted(change.delete)}
    revision = revision_delta(delta, version) or revision_content(
        version=version, shapes=shapes, previous=None
    )
    return _document_write(user=user, item=item, document=base, shapes=shapes, revision=revision)


def document_at_version(*, user: User, item: Item, expected_version: int) -> AnnotationDocument:
    """The caller's document if it is at `expected_version` (unsaved at version 0), else raise.

    One narrow read by the unique key (raw SQL: this runs before every save); its shapes are
    fetched only when the version matches, so a stale write costs the same small read whatever
    the document's size. The timestamps come back from the write.
    """
    with connection.cursor() as cursor:
        cursor.execute(_BASE_READ, [expected_version, item.pk, user.pk, DocumentKind.ANNOTATOR])
        row = cursor.fetchone()
    return document_base(user=user, item=item, expected_version=expected_version, row=row)


def document_base(
    *, user: User, item: Item, expected_version: int, row: tuple[int, int, str, Any] | None
) -> AnnotationDocument:
    """document_at_version from the caller's row as already read: (id, version, status, shapes
    when at `expected_version`), or None when they have no document (annotate.selectors reads
    it with the access check)."""
    if row is None:
        if expected_version != 0:
            _raise_stale(status=DocumentStatus.DRAFT, version=0)
        return AnnotationDocument(
            item=item, annotator=user, kind=DocumentKind.ANNOTATOR, shapes=[], version=0
        )
    pk, version, status, shapes = row
    if status == DocumentStatus.ACCEPTED or version != expected_version:
        _raise_stale(status=status, version=version)
    return AnnotationDocument(
        pk=pk,
        item=item,
        annotator=user,  # the response names the annotator: no second lookup
        kind=DocumentKind.ANNOTATOR,
        version=version,
        status=status,
        shapes=json.loads(shapes) if isinstance(shapes, str | bytes) else shapes,
    )


_BASE_READ = (
    "SELECT id, version, status, CASE WHEN version = %s THEN shapes END "
    f"FROM {AnnotationDocument._meta.db_table} "
    "WHERE item_id = %s AND annotator_id = %s AND kind = %s"
)
