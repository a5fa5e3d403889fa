"""Review: pinned comments, the reviewer's queue, the rejected item's way back to its annotator,
and the progress figures managers and reviewers see (done / total, each item's status)."""

from collections import defaultdict
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from annotate.models import (
    AnnotationDocument,
    Assignment,
    AssignmentState,
    DocumentKind,
    DocumentStatus,
    ReviewComment,
)
from common.errors import Invalid
from formats.geometry import finite_number
from projects.item_roles import item_roles
from projects.models import Item, Project

COMMENT_MAX_LENGTH = 5000
# What an item tile says, from its annotator documents and claims (see item_statuses).
ITEM_STATUSES = ("unlabeled", "in_progress", "submitted", "accepted", "rejected")
DONE_STATUSES = (DocumentStatus.SUBMITTED, DocumentStatus.ACCEPTED)


# --- comments -------------------------------------------------------------------------------


def _region_clean(region: Any, *, width: int, height: int) -> dict[str, float]:
    """A point {x, y} or a box {x, y, w, h} in image pixels, inside the image."""
    if not isinstance(region, dict):
        raise Invalid("A region is a point {x, y} or a box {x, y, w, h}.")
    keys = set(region)
    if keys not in ({"x", "y"}, {"x", "y", "w", "h"}):
        raise Invalid("A region is a point {x, y} or a box {x, y, w, h}.")
    clean: dict[str, float] = {}
    for key in ("x", "y", "w", "h"):
        if key not in region:
            continue
        value = region[key]
        if not finite_number(value):
            raise Invalid(f"Region {key} must be a number.")
        clean[key] = float(value)
    if "w" in clean and (clean["w"] <= 0 or clean["h"] <= 0):
        raise Invalid("A region box needs a positive width and height.")
    right, bottom = clean["x"] + clean.get("w", 0), clean["y"] + clean.get("h", 0)
    if clean["x"] < 0 or clean["y"] < 0 or right > width or bottom > height:
        raise Invalid(f"The region must lie inside the {width}×{height} image.")
    return clean


def review_comments_clean(comments: Any, *, document: AnnotationDocument) -> list[dict[str, Any]]:
    """Check comments before any write: a body, and a pin on a shape of this document or on a
    region inside its image (or no pin). Errors are keyed by the comment's position."""
    if not isinstance(comments, list):
        raise Invalid({"comments": ["Expected a list of comments."]})
    shape_ids = {str(shape.get("id")) for shape in document.shapes if isinstance(shape, dict)}
    asset = document.item.asset
    errors: dict[str, Any] = {}
    clean: list[dict[str, Any]] = []
    for index, comment in enumerate(comments):
        try:
            clean.append(_comment_clean(comment, shape_ids, asset.width, asset.height))
        except Invalid as exc:
            errors[str(index)] = exc.errors
    if errors:
        raise Invalid({"comments": errors})
    return clean


def _comment_clean(comment: Any, shape_ids: set[str], width: int, height: int) -> dict[str, Any]:
    if not isinstance(comment, dict):
        raise Invalid("Each comment is an object with a body.")
    body = comment.get("body")
    if not isinstance(body, str) or not body.strip():
        raise Invalid({"body": ["A comment needs some text."]})
    if len(body) > COMMENT_MAX_LENGTH:
        raise Invalid({"body": [f"At most {COMMENT_MAX_LENGTH} characters."]})
    shape_id = comment.get("shape_id")
    if shape_id is not None and str(shape_id) not in shape_ids:
        raise Invalid({"shape_id": ["No shape with this id in the document."]})
    region = comment.get("region")
    if region is not None:
        try:
            region = _region_clean(region, width=width, height=height)
        except Invalid as exc:
            raise Invalid({"region": [exc.message]}) from None
    return {
        "body": body.strip(),
        "shape_id": None if shape_id is None else str(shape_id),
        "region": region,
    }


def review_comments_add(
    *, document: AnnotationDocument, author: User, comments: list[dict[str, Any]]
) -> list[ReviewComment]:
    """A new review round: the open comments of earlier rounds are resolved, then these added."""
    now = timezone.now()
    ReviewComment.objects.filter(document=document, resolved_at__isnull=True).update(
        resolved_at=now
    )
    return ReviewComment.objects.bulk_create(
        ReviewComment(document=document, author=author, **comment) for comment in comments
    )


def review_comments_of(*, document: AnnotationDocument) -> QuerySet[ReviewComment]:
    return ReviewComment.objects.filter(document=document).select_related("author").order_by("id")


# --- the rejected item goes back to its annotator --------------------------------------------


def assignment_reopen(*, document: AnnotationDocument) -> None:
    """Put a rejected item back at the head of its annotator's queue.

    The queue hands out the caller's oldest active claim first, so reopening the original
    claim (older than anything claimed since) makes it the next item. A claim that no longer
    held a place (skipped, released, or none: opened from the item list) takes one again.
    """
    assignment = Assignment.objects.filter(item=document.item, user=document.annotator).first()
    now = timezone.now()
    if assignment is None:
        Assignment.objects.create(item=document.item, user=document.annotator, touched_at=now)
        Item.objects.filter(pk=document.item_id).update(assigned_count=F("assigned_count") + 1)
        return
    held_place = assignment.state in (AssignmentState.ACTIVE, AssignmentState.DONE)
    Assignment.objects.filter(pk=assignment.pk).update(
        state=AssignmentState.ACTIVE, touched_at=now, finished_at=None
    )
    if not held_place:
        Item.objects.filter(pk=document.item_id).update(assigned_count=F("assigned_count") + 1)


# --- the reviewer's queue --------------------------------------------------------------------


def review_next(*, reviewer: User, project: Project) -> AnnotationDocument | None:
    """The oldest submitted annotator document of the project that is not the reviewer's own."""
    return (
        AnnotationDocument.objects.filter(
            item__project=project, kind=DocumentKind.ANNOTATOR, status=DocumentStatus.SUBMITTED
        )
        .exclude(annotator=reviewer)
        .select_related("item__asset", "item__project", "annotator")
        .order_by(F("submitted_at").asc(nulls_last=True), "id")
        .first()
    )


# --- progress -------------------------------------------------------------------------------


def projects_progress(*, project_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per project: task items (gold and training left out) and how many are done, i.e. have as
    many submitted or accepted annotator documents as the project's overlap."""
    projects = dict(Project.objects.filter(pk__in=project_ids).values_list("pk", "overlap"))
    progress = {pk: {"done": 0, "total": 0} for pk in projects}
    for project_id in projects:
        tasks = Item.objects.filter(project_id=project_id).exclude(
            pk__in=item_roles().gold_item_ids(project_id=project_id)
        )
        counted = tasks.annotate(
            finished=Count(
                "documents",
                filter=Q(
                    documents__kind=DocumentKind.ANNOTATOR,
                    documents__status__in=DONE_STATUSES,
                ),
            )
        )
        progress[project_id] = {
            "total": tasks.count(),
            "done": counted.filter(finished__gte=projects[project_id]).count(),
        }
    return progress


def own_submissions(*, user: User, project_ids: list[int]) -> dict[int, int]:
    """Per project: how many of the user's documents are submitted or accepted."""
    rows = (
        AnnotationDocument.objects.filter(
            annotator=user,
            kind=DocumentKind.ANNOTATOR,
            status__in=DONE_STATUSES,
            item__project_id__in=project_ids,
        )
        .values("item__project_id")
        .annotate(count=Count("id"))
        .values_list("item__project_id", "count")
    )
    return dict(rows)


def item_statuses(*, item_ids: list[int]) -> dict[int, str]:
    """Each item's status for its tile: rejected if any of its documents was sent back, else
    in progress while anyone works on it, else submitted while a submission waits for review,
    accepted once every document was accepted, unlabeled when nobody has touched it."""
    seen: dict[int, set[str]] = defaultdict(set)
    documents = AnnotationDocument.objects.filter(
        item_id__in=item_ids, kind=DocumentKind.ANNOTATOR
    ).values_list("item_id", "status")
    for item_id, status in documents:
        seen[item_id].add(status)
    working = Assignment.objects.filter(
        item_id__in=item_ids, state=AssignmentState.ACTIVE
    ).values_list("item_id", flat=True)
    for item_id in working:
        seen[item_id].add(DocumentStatus.DRAFT)
    return {item_id: _item_status(seen.get(item_id, set())) for item_id in item_ids}


def _item_status(statuses: set[str]) -> str:
    if not statuses:
        return "unlabeled"
    if DocumentStatus.REJECTED in statuses:
        return "rejected"
    if DocumentStatus.DRAFT in statuses:
        return "in_progress"
    if DocumentStatus.SUBMITTED in statuses:
        return "submitted"
    return "accepted"
