"""Every write of the annotate app: queue claims, document saves, submit, skip, review."""

import hashlib
import json
import random
import time
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from annotate.changes import ChangeSet, change_set_check, change_set_merge
from annotate.events import annotation_reviewed, annotation_submitted, publish
from annotate.leases import lease_touch, leases_expire
from annotate.models import (
    ActivityEvent,
    ActivityVerb,
    AnnotationDocument,
    Assignment,
    AssignmentState,
    DocumentKind,
    DocumentStatus,
    Revision,
)
from annotate.review import assignment_reopen, review_comments_add, review_comments_clean
from annotate.revisions import revision_content, revision_delta
from annotate.selectors import annotation_document_of
from annotate.shapes import (
    MAX_SHAPES,
    ShapesInvalid,
    shape_errors_by_id,
    single_choice_check,
    validate_shapes,
)
from annotate.training import exam_gold_unseen, queue_gate, submit_gate
from common.errors import Conflict, PermissionDenied, StaleVersion
from common.prepared import prepared_cursor
from formats.canonical import canonical_json, content_hash
from projects.item_roles import item_roles
from projects.models import Item, Membership, Project, Role
from projects.selectors import project_role, role_at_least

CLAIM_ATTEMPTS = 8


def activity_log(*, user: User, item: Item, verb: str, data: dict[str, Any] | None = None) -> None:
    ActivityEvent.objects.create(
        project_id=item.project_id, item=item, user=user, verb=verb, data=data or {}
    )
    if verb in (ActivityVerb.OPENED, ActivityVerb.SAVED):
        lease_touch(user=user, item=item)


def _refuse_if_paused(*, user: User, project: Project) -> None:
    reason = (
        Membership.objects.filter(project=project, user=user, paused_at__isnull=False)
        .values_list("paused_reason", flat=True)
        .first()
    )
    if reason is not None:
        raise PermissionDenied(
            f"You are paused in this project ({reason}). Ask a manager to review your work."
        )


def item_assign_next(*, user: User, project: Project) -> Item | None:
    """The caller's unfinished item, else claim a new one; None when the queue is empty.

    The claim is one conditional UPDATE on the item row (assigned_count < overlap), taken on a
    row locked with SKIP LOCKED where the database has it, so concurrent annotators never get
    the same item beyond the project's overlap, and never wait on each other's rows. Leases idle
    past LOUPE_LEASE_MINUTES are released first; at the project's gold rate a hidden gold item
    the caller has never had is claimed instead of a task item (at the project's initial rate
    for the caller's first items). An annotator who has not finished training or, where the
    exam is on, not qualified gets their next training or exam item instead (annotate.training).
    """
    _refuse_if_paused(user=user, project=project)
    leases_expire(project=project)
    gated = queue_gate(user=user, project=project)
    if gated is not None:
        return gated
    active = (
        Assignment.objects.filter(user=user, item__project=project, state=AssignmentState.ACTIVE)
        .select_related("item__asset")
        .order_by("created_at", "id")
        .first()
    )
    if active is not None:
        return active.item
    rate = gold_rate_for(user=user, project=project)
    with_gold = rate > 0 and random.random() < rate
    for attempt in range(CLAIM_ATTEMPTS):
        try:
            gold = _claim_gold(user=user, project=project) if with_gold else None
            item = gold or _claim_one(user=user, project=project)
        except IntegrityError:
            continue  # the same user claimed it from another tab; look again
        if item is None or isinstance(item, Item):
            return item
        time.sleep(0.002 * attempt)  # other claims hold the rows for milliseconds
    return None


def gold_rate_for(*, user: User, project: Project) -> float:
    """The chance that the caller's next claim is hidden gold: `gold_rate_initial` for their
    first `gold_initial_items` claims in the project (never below `gold_rate`), then
    `gold_rate`. A gold rate of 0 turns hidden gold off altogether."""
    if project.gold_rate <= 0:
        return 0.0
    if project.gold_initial_items and project.gold_rate_initial > project.gold_rate:
        claims = Assignment.objects.filter(user=user, item__project=project).count()
        if claims < project.gold_initial_items:
            return project.gold_rate_initial
    return project.gold_rate


@transaction.atomic
def _claim_one(*, user: User, project: Project) -> Item | None | bool:
    """Claim one item: the Item, None when nothing is left, False to look again."""
    # Ordered like the item_queue_order index (a manager's priority rank first, then id), so
    # Postgres stops at the first free row instead of sorting every unclaimed item.
    candidates = (
        Item.objects.filter(project=project, assigned_count__lt=project.overlap)
        .exclude(pk__in=item_roles().gold_item_ids(project_id=project.pk))
        .exclude(assignments__user=user)
        .order_by("assigned_count", F("priority").asc(nulls_last=True), "id")
    )
    skip_locked = connection.features.has_select_for_update_skip_locked
    locked = (
        candidates.select_for_update(skip_locked=True, of=("self",)) if skip_locked else candidates
    )
    item = locked.select_related("asset").first()
    if item is None:
        # Every candidate may be locked by another annotator's claim that can still roll back:
        # "empty" is only the answer when no candidate exists at all.
        return False if skip_locked and candidates.exists() else None
    claimed = Item.objects.filter(pk=item.pk, assigned_count__lt=project.overlap).update(
        assigned_count=F("assigned_count") + 1
    )
    if not claimed:
        return False
    Assignment.objects.create(item=item, user=user)
    activity_log(user=user, item=item, verb=ActivityVerb.ASSIGNED)
    return item


@transaction.atomic
def _claim_gold(*, user: User, project: Project) -> Item | None:
    """Claim a hidden gold item the caller never had nor labelled (the (item, user) constraint
    makes that hold under races too); None when none is left. Gold has no overlap limit: every
    annotator labels it, so its count only records claims."""
    # Never had: not claimed, not labelled (e.g. opened from the item list), not in an exam.
    item = (
        exam_gold_unseen(user=user, project=project)
        .select_related("asset")
        .order_by("assigned_count", "id")
        .first()
    )
    if item is None:
        return None
    Assignment.objects.create(item=item, user=user)
    Item.objects.filter(pk=item.pk).update(assigned_count=F("assigned_count") + 1)
    activity_log(user=user, item=item, verb=ActivityVerb.ASSIGNED)
    return item


def _assignment_finish(*, user: User, item: Item, state: str) -> int:
    return Assignment.objects.filter(user=user, item=item, state=AssignmentState.ACTIVE).update(
        state=state, finished_at=timezone.now()
    )


@transaction.atomic
def item_skip(*, user: User, item: Item) -> None:
    """Give the item back to the queue for someone else; the caller will not get it again."""
    if _assignment_finish(user=user, item=item, state=AssignmentState.SKIPPED):
        Item.objects.filter(pk=item.pk, assigned_count__gt=0).update(
            assigned_count=F("assigned_count") - 1
        )
    activity_log(user=user, item=item, verb=ActivityVerb.SKIPPED)


def annotation_open(*, user: User, item: Item) -> AnnotationDocument:
    """The caller's document (an unsaved empty one at version 0), logged as opened."""
    document = annotation_document_of(user=user, item=item)
    activity_log(user=user, item=item, verb=ActivityVerb.OPENED, data={"version": document.version})
    return document


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


@transaction.atomic
def annotation_submit_by_annotator(*, user: User, item: Item) -> AnnotationDocument:
    """A submit from the studio or the API: before the annotator may have real work (the
    training course and the exam, annotate.training), only the course's items are taken."""
    submit_gate(user=user, item=item)
    return annotation_submit(user=user, item=item)


def annotation_submit(*, user: User, item: Item) -> AnnotationDocument:
    document = annotation_document_of(user=user, item=item)
    if document.pk is None:
        # Created at version 0 so that the submission below is version 1 with its revision:
        # every version of a document has exactly one revision.
        document = _document_create(user=user, item=item, shapes=[], version=0)
    if document.status == DocumentStatus.ACCEPTED:
        raise Conflict("This annotation was already accepted.")
    if document.status != DocumentStatus.SUBMITTED:
        now = timezone.now()
        AnnotationDocument.objects.filter(pk=document.pk).update(
            status=DocumentStatus.SUBMITTED,
            submitted_at=now,
            updated_at=now,
            version=F("version") + 1,
        )
        document.refresh_from_db()
        Revision.objects.create(  # a submission is always a checkpoint (annotate.revisions)
            document=document,
            version=document.version,
            checkpoint=True,
            shapes=document.shapes,
            status=document.status,
            author=user,
        )
    _assignment_finish(user=user, item=item, state=AssignmentState.DONE)
    activity_log(
        user=user,
        item=item,
        verb=ActivityVerb.SUBMITTED,
        data={"version": document.version, "shapes": len(document.shapes)},
    )
    publish(annotation_submitted, document_id=document.pk, item_id=item.pk, user_id=user.pk)
    return document


@transaction.atomic
def annotation_review(
    *,
    reviewer: User,
    document: AnnotationDocument,
    decision: str,
    comment: str,
    comments: Any = None,
) -> AnnotationDocument:
    """Accept or reject a submitted document: reviewers and managers, never their own work.

    `comments` are pinned to a shape or a region (annotate.review); they replace the open
    comments of earlier rounds. A rejected item goes back to the head of its annotator's queue.
    """
    role = project_role(user=reviewer, project_id=document.item.project_id)
    if not role_at_least(role, Role.REVIEWER):
        raise PermissionDenied("Reviewing needs the reviewer or manager role.")
    if document.annotator_id == reviewer.pk and not reviewer.is_superuser:
        raise PermissionDenied("You cannot review your own annotation.")
    pinned = review_comments_clean(comments or [], document=document)
    status = {"accept": DocumentStatus.ACCEPTED, "reject": DocumentStatus.REJECTED}[decision]
    updated = AnnotationDocument.objects.filter(
        pk=document.pk, status=DocumentStatus.SUBMITTED
    ).update(status=status, version=F("version") + 1, updated_at=timezone.now())
    if not updated:
        raise Conflict("Only submitted annotations can be reviewed.")
    document.refresh_from_db()
    Revision.objects.create(
        document=document,
        version=document.version,
        shapes=document.shapes,
        status=status,
        author=reviewer,
    )
    review_comments_add(document=document, author=reviewer, comments=pinned)
    if status == DocumentStatus.REJECTED:
        assignment_reopen(document=document)
    data: dict[str, Any] = {"document": document.pk, "decision": decision, "comment": comment}
    if pinned:
        data["comments"] = len(pinned)
    activity_log(user=reviewer, item=document.item, verb=ActivityVerb.REVIEWED, data=data)
    publish(
        annotation_reviewed,
        document_id=document.pk,
        item_id=document.item_id,
        user_id=document.annotator_id,
        reviewer_id=reviewer.pk,
        decision=decision,
    )
    return document
