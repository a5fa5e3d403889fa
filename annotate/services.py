"""Every write of the annotate app: queue claims, document saves, submit, skip, review."""

import random
import time
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, JSONField, When
from django.utils import timezone

from annotate.changes import change_set_apply
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
from annotate.selectors import annotation_document_of
from annotate.shapes import ShapesInvalid, shape_errors_by_id, validate_shapes
from common.errors import Conflict, PermissionDenied, StaleVersion
from formats.canonical import content_hash
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
    the caller has never had is claimed instead of a task item.
    """
    _refuse_if_paused(user=user, project=project)
    leases_expire(project=project)
    active = (
        Assignment.objects.filter(user=user, item__project=project, state=AssignmentState.ACTIVE)
        .select_related("item__asset")
        .order_by("created_at", "id")
        .first()
    )
    if active is not None:
        return active.item
    with_gold = project.gold_rate > 0 and random.random() < project.gold_rate
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
    item = (
        item_roles()
        .hidden_gold(project_id=project.pk)
        .exclude(assignments__user=user)
        .exclude(documents__annotator=user)  # labelled already, e.g. opened from the item list
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
    document = _document_base(user=user, item=item, expected_version=expected_version)
    clean = validate_shapes(
        shapes, labels=item.project.labels, width=item.asset.width, height=item.asset.height
    )
    return _document_write(user=user, item=item, document=document, shapes=clean)


def annotation_patch(
    *, user: User, item: Item, changes: Any, expected_version: int
) -> AnnotationDocument:
    """Apply a change set (annotate.changes) to the caller's document at `expected_version`.

    The same conditional UPDATE as a full save; the response needs only the new version, so a
    one-shape edit costs the same bytes on the wire whatever the document's size.
    """
    document = _document_base(
        user=user, item=item, expected_version=expected_version, with_shapes=True
    )
    shapes = change_set_apply(document.shapes, changes)
    try:
        clean = validate_shapes(
            shapes, labels=item.project.labels, width=item.asset.width, height=item.asset.height
        )
    except ShapesInvalid as exc:
        raise ShapesInvalid(shape_errors_by_id(exc.errors, shapes)) from None
    return _document_write(user=user, item=item, document=document, shapes=clean)


def _document_base(
    *, user: User, item: Item, expected_version: int, with_shapes: bool = False
) -> AnnotationDocument:
    """The caller's document if it is at `expected_version` (unsaved at version 0), else raise.

    One read by the unique key; its shapes are fetched only when the version matches, so a stale
    write costs the same small read whatever the document's size.
    """
    mine = AnnotationDocument.objects.filter(item=item, annotator=user, kind=DocumentKind.ANNOTATOR)
    rows = mine.defer("shapes")
    if with_shapes:
        rows = rows.annotate(
            base_shapes=Case(
                When(version=expected_version, then=F("shapes")), output_field=JSONField()
            )
        )
    document = rows.first()
    if document is None:
        if expected_version != 0:
            _raise_stale(status=DocumentStatus.DRAFT, version=0)
        return AnnotationDocument(
            item=item, annotator=user, kind=DocumentKind.ANNOTATOR, shapes=[], version=0
        )
    if document.status == DocumentStatus.ACCEPTED or document.version != expected_version:
        _raise_stale(status=document.status, version=document.version)
    if with_shapes:
        document.shapes = document.base_shapes  # type: ignore[attr-defined]
    document.annotator = user  # the response names the annotator: no second lookup
    return document


@transaction.atomic
def _document_write(
    *, user: User, item: Item, document: AnnotationDocument, shapes: list
) -> AnnotationDocument:
    """Write validated shapes over `document` (as read at its version), with revision and event."""
    if document.pk is None:
        document = _document_create(user=user, item=item, shapes=shapes)
    else:
        _document_update(user=user, item=item, document=document, shapes=shapes)
    Revision.objects.create(
        document=document,
        version=document.version,
        shapes=shapes,
        status=document.status,
        author=user,
    )
    activity_log(
        user=user,
        item=item,
        verb=ActivityVerb.SAVED,
        data={"version": document.version, "shapes": len(shapes)},
    )
    return document


def _document_create(
    *, user: User, item: Item, shapes: list, version: int = 1
) -> AnnotationDocument:
    try:
        with transaction.atomic():
            return AnnotationDocument.objects.create(
                item=item,
                annotator=user,
                kind=DocumentKind.ANNOTATOR,
                shapes=shapes,
                content_hash=content_hash(shapes),
                version=version,
            )
    except IntegrityError:
        _raise_stale_from_db(user=user, item=item)
        raise


def _document_update(*, user: User, item: Item, document: AnnotationDocument, shapes: list) -> None:
    """Check-and-increment in one UPDATE; `document` becomes the row as written (no re-read)."""
    now = timezone.now()
    digest = content_hash(shapes)
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
    document.shapes, document.content_hash = shapes, digest
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
        Revision.objects.create(
            document=document,
            version=document.version,
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
    *, reviewer: User, document: AnnotationDocument, decision: str, comment: str
) -> AnnotationDocument:
    """Accept or reject a submitted document: reviewers and managers, never their own work."""
    role = project_role(user=reviewer, project_id=document.item.project_id)
    if not role_at_least(role, Role.REVIEWER):
        raise PermissionDenied("Reviewing needs the reviewer or manager role.")
    if document.annotator_id == reviewer.pk and not reviewer.is_superuser:
        raise PermissionDenied("You cannot review your own annotation.")
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
    activity_log(
        user=reviewer,
        item=document.item,
        verb=ActivityVerb.REVIEWED,
        data={"document": document.pk, "decision": decision, "comment": comment},
    )
    publish(
        annotation_reviewed,
        document_id=document.pk,
        item_id=document.item_id,
        user_id=document.annotator_id,
        reviewer_id=reviewer.pk,
        decision=decision,
    )
    return document
