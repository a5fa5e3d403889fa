"""Submitting a document for review, and the review that accepts or rejects it."""

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotate.events import annotation_reviewed, annotation_submitted, publish
from annotate.models import (
    ActivityVerb,
    AnnotationDocument,
    AssignmentState,
    DocumentStatus,
    Revision,
)
from annotate.review import assignment_reopen, review_comments_add, review_comments_clean
from annotate.selectors import annotation_document_of
from annotate.services.activity import _assignment_finish, activity_log
from annotate.services.document_write import _document_create
from annotate.training import submit_gate
from common.errors import Conflict, PermissionDenied
from projects.models import Item, Role
from projects.selectors import project_role, role_at_least


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
