"""The version-checked write of a document: one statement on Postgres (document, revision,
activity, lease), a transaction of ORM writes elsewhere; StaleVersion or Conflict when the
document moved on."""

import hashlib
import json
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from annotate.models import (
    ActivityVerb,
    AnnotationDocument,
    AssignmentState,
    DocumentKind,
    DocumentStatus,
    Revision,
)
from annotate.services.activity import activity_log
from common.errors import Conflict, StaleVersion
from common.prepared import prepared_cursor
from formats.canonical import canonical_json, content_hash
from projects.models import Item


def _document_write(
    *,
    user: User,
    item: Item,
    document: AnnotationDocument,
    shapes: list,
    revision: dict[str, Any],
) -> AnnotationDocument:
    """Write validated shapes over `document` (as read at its version) with its revision (the
    columns from annotate.revisions), the activity entry and the lease touch."""
    canonical = canonical_json(shapes)
    digest = hashlib.sha256(canonical).hexdigest()
    if connection.vendor == "postgresql":
        _document_write_in_one_statement(
            user=user,
            item=item,
            document=document,
            canonical=canonical,
            digest=digest,
            count=len(shapes),
            revision=revision,
        )
    else:
        with transaction.atomic():
            if document.pk is None:
                created = _document_create(user=user, item=item, shapes=shapes, digest=digest)
                document.pk, document.created_at = created.pk, created.created_at
                document.version, document.updated_at = created.version, created.updated_at
            else:
                _document_update(
                    user=user, item=item, document=document, digest=digest, shapes=shapes
                )
                document.refresh_from_db(fields=["created_at", "submitted_at"])
            Revision.objects.create(
                document=document,
                version=document.version,
                status=document.status,
                author=user,
                **revision,
            )
            activity_log(
                user=user,
                item=item,
                verb=ActivityVerb.SAVED,
                data={"version": document.version, "shapes": len(shapes)},
            )
    document.shapes, document.content_hash = shapes, digest
    return document


# One statement, so one round trip and no transaction to open: the conditional write of the
# document (an UPDATE at the expected version, or the INSERT of version 1), its revision, the
# activity entry and the lease touch. If the write matches no row, nothing else is written.
_WRITE_AFTER = """
, revision AS (
    INSERT INTO annotate_revision
        (document_id, version, checkpoint, shapes, changes, status, author_id, created_at)
    SELECT id, version, %(checkpoint)s, %(revision_shapes)s::jsonb, %(changes)s::jsonb, status,
        %(user)s, %(now)s
    FROM doc
), activity AS (
    INSERT INTO annotate_activityevent (project_id, item_id, user_id, verb, at, data)
    SELECT %(project)s, %(item)s, %(user)s, %(verb)s, %(now)s,
        jsonb_build_object('version', version, 'shapes', %(count)s::integer)
    FROM doc
), lease AS (
    UPDATE annotate_assignment SET touched_at = %(now)s
    WHERE item_id = %(item)s AND user_id = %(user)s AND state = %(active)s
        AND EXISTS (SELECT 1 FROM doc)
)
SELECT id, version, status, created_at, updated_at, submitted_at FROM doc
"""
_UPDATE = (
    """
WITH doc AS (
    UPDATE annotate_annotationdocument
    SET shapes = %(shapes)s::jsonb, content_hash = %(digest)s, version = version + 1,
        status = %(draft)s, updated_at = %(now)s
    WHERE id = %(id)s AND version = %(version)s AND status <> %(accepted)s
    RETURNING id, version, status, created_at, updated_at, submitted_at
)"""
    + _WRITE_AFTER
)
_INSERT = (
    """
WITH doc AS (
    INSERT INTO annotate_annotationdocument (item_id, annotator_id, kind, shapes, content_hash,
        version, status, created_at, updated_at, submitted_at)
    VALUES (%(item)s, %(user)s, %(kind)s, %(shapes)s::jsonb, %(digest)s, 1, %(draft)s, %(now)s,
        %(now)s, NULL)
    ON CONFLICT DO NOTHING
    RETURNING id, version, status, created_at, updated_at, submitted_at
)"""
    + _WRITE_AFTER
)


def _document_write_in_one_statement(
    *,
    user: User,
    item: Item,
    document: AnnotationDocument,
    canonical: bytes,
    digest: str,
    count: int,
    revision: dict[str, Any],
) -> None:
    """Postgres: the write as one statement; `document` becomes the row as written."""
    text = canonical.decode()  # canonical JSON is JSON: no second encoding of the shapes
    checkpoint = revision["checkpoint"]
    params = {
        "shapes": text,
        "digest": digest,
        "now": timezone.now(),
        "id": document.pk,
        "version": document.version,
        "item": item.pk,
        "project": item.project_id,
        "user": user.pk,
        "kind": DocumentKind.ANNOTATOR,
        "draft": DocumentStatus.DRAFT,
        "accepted": DocumentStatus.ACCEPTED,
        "active": AssignmentState.ACTIVE,
        "verb": ActivityVerb.SAVED,
        "count": count,
        "checkpoint": checkpoint,
        "revision_shapes": text if checkpoint else None,
        "changes": None if checkpoint else json.dumps(revision["changes"]),
    }
    with prepared_cursor() as cursor:
        cursor.execute(_INSERT if document.pk is None else _UPDATE, params)
        row = cursor.fetchone()
    if row is None:
        _raise_stale_from_db(user=user, item=item)
    (
        document.pk,
        document.version,
        document.status,
        document.created_at,
        document.updated_at,
        document.submitted_at,
    ) = row


def _document_create(
    *, user: User, item: Item, shapes: list, digest: str | None = None, version: int = 1
) -> AnnotationDocument:
    try:
        with transaction.atomic():
            return AnnotationDocument.objects.create(
                item=item,
                annotator=user,
                kind=DocumentKind.ANNOTATOR,
                shapes=shapes,
                content_hash=digest or content_hash(shapes),
                version=version,
            )
    except IntegrityError:
        _raise_stale_from_db(user=user, item=item)
        raise


def _document_update(
    *, user: User, item: Item, document: AnnotationDocument, digest: str, shapes: list
) -> None:
    """Check-and-increment in one UPDATE; `document` becomes the row as written (no re-read)."""
    now = timezone.now()
    # Any edit after submission or review needs a new submission.
    updated = (
        AnnotationDocument.objects.filter(pk=document.pk, version=document.version)
        .exclude(status=DocumentStatus.ACCEPTED)
        .update(
            shapes=shapes,
            content_hash=digest,
            version=F("version") + 1,
            status=DocumentStatus.DRAFT,
            updated_at=now,
        )
    )
    if not updated:
        _raise_stale_from_db(user=user, item=item)
    document.version += 1
    document.status, document.updated_at = DocumentStatus.DRAFT, now


def _raise_stale_from_db(*, user: User, item: Item) -> None:
    # Under contention most writes end here: read two columns, not the shapes.
    version, status = (
        AnnotationDocument.objects.filter(item=item, annotator=user, kind=DocumentKind.ANNOTATOR)
        .values_list("version", "status")
        .first()
    ) or (0, DocumentStatus.DRAFT)
    _raise_stale(status=status, version=version)


def _raise_stale(*, status: str, version: int) -> None:
    if status == DocumentStatus.ACCEPTED:
        raise Conflict("This annotation was accepted by a reviewer and can no longer be edited.")
    raise StaleVersion(
        f"Your copy is out of date: the document is at version {version}. "
        "Reload to see the latest shapes.",
        current_version=version,
    )
