"""Every write of the quality app: gold answers, gold scores, QC pauses."""

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from annotate.leases import member_claims_release
from annotate.models import AnnotationDocument, DocumentKind, DocumentStatus
from annotate.shapes import validate_shapes
from formats.canonical import content_hash
from projects.models import ExamAttempt, Item, Membership
from projects.services import exam_attempt_finish, member_pause
from quality.models import GoldAnswer, GoldPurpose, GoldScore
from quality.scoring import score_item
from quality.selectors import annotator_pooled_score, current_gold_score


@transaction.atomic
def gold_set(
    *,
    item: Item,
    shapes: Any,
    author: User | None,
    source: str = "manual",
    purpose: str | None = None,
) -> GoldAnswer:
    """Give (or replace) an item's gold answer; a new item becomes hidden gold by default."""
    clean = validate_shapes(
        shapes, labels=item.project.labels, width=item.asset.width, height=item.asset.height
    )
    defaults: dict[str, Any] = {
        "shapes": clean,
        "content_hash": content_hash(clean),
        "author": author,
        "source": source,
    }
    if purpose is not None:
        defaults["purpose"] = purpose
    # Backed by the one-to-one unique constraint on item.
    gold, _ = GoldAnswer.objects.update_or_create(item=item, defaults=defaults)
    return gold


@transaction.atomic
def gold_designate(*, item: Item, purpose: str = GoldPurpose.HIDDEN) -> GoldAnswer:
    """Make an item a gold or training item whose answer is still to be given."""
    gold, _ = GoldAnswer.objects.update_or_create(item=item, defaults={"purpose": purpose})
    return gold


def gold_score_document(*, document_id: int) -> GoldScore | None:
    """Compare an annotator's document with its item's current gold answer and store the result.

    Idempotent: the row is keyed by (document, gold version), so scoring twice (a retried task,
    an on-demand score racing the task) writes one row. None when there is nothing to score.
    """
    document = (
        AnnotationDocument.objects.select_related("item__project", "item__gold")
        .filter(pk=document_id, kind=DocumentKind.ANNOTATOR)
        .first()
    )
    gold = getattr(document.item, "gold", None) if document is not None else None
    if document is None or gold is None or gold.shapes is None:
        return None
    score = score_item(gold.shapes, document.shapes, labels=document.item.project.labels)
    values = score.as_dict()
    row, _ = GoldScore.objects.update_or_create(
        document=document,
        gold_hash=gold.content_hash,
        defaults={
            "document_hash": document.content_hash,
            "tp": score.tp,
            "fp": score.fp,
            "fn": score.fn,
            "class_errors": score.class_errors,
            "mean_iou": score.mean_iou,
            "accuracy": score.accuracy,
            "matches": values["matches"],
        },
    )
    return row


@transaction.atomic
def annotator_pause_check(*, project_id: int, user_id: int) -> bool:
    """Pause an annotator whose pooled hidden-gold accuracy is below the project threshold with
    95% confidence (DESIGN.md), and release their claims. True when this call paused them."""
    membership = (
        Membership.objects.select_related("project")
        .filter(project_id=project_id, user_id=user_id, paused_at=None)
        .first()
    )
    if membership is None:
        return False
    project = membership.project
    pooled = annotator_pooled_score(project_id=project_id, user_id=user_id)
    posterior = pooled.posterior
    if not posterior.should_pause(
        threshold=project.qc_threshold,
        gold_items=pooled.items,
        min_items=project.qc_min_gold_items,
    ):
        return False
    below = posterior.prob_below(project.qc_threshold)
    reason = (
        f"paused: accuracy {posterior.mean:.2f} over {pooled.items} gold items is below "
        f"{project.qc_threshold:.2f} with probability {below:.3f}"
    )
    paused = member_pause(project_id=project_id, user_id=user_id, reason=reason)
    if paused:
        member_claims_release(project_id=project_id, user_id=user_id)
    return paused


def gold_score_current(*, document_id: int) -> GoldScore | None:
    """The document's score against the current gold answer: stored, else computed now (the
    task may have been lost with a broker that was down)."""
    return current_gold_score(document_id=document_id) or gold_score_document(
        document_id=document_id
    )


def exam_grade(*, project_id: int, user_id: int) -> ExamAttempt | None:
    """Grade the member's open exam attempt once every one of its items is submitted: the mean
    accuracy of their documents against gold, passed at the project's threshold. Idempotent
    (projects closes an attempt once); None while items are left or nothing is open."""
    attempt = (
        ExamAttempt.objects.select_related("project")
        .filter(project_id=project_id, user_id=user_id, finished_at=None)
        .first()
    )
    if attempt is None or not attempt.item_ids:
        return None
    documents = list(
        AnnotationDocument.objects.filter(
            item_id__in=attempt.item_ids, annotator_id=user_id, kind=DocumentKind.ANNOTATOR
        )
        .exclude(status=DocumentStatus.DRAFT)
        .values_list("pk", flat=True)
    )
    if len(documents) < len(attempt.item_ids):
        return None
    scores = [gold_score_current(document_id=pk) for pk in documents]
    accuracies = [row.accuracy for row in scores if row is not None]
    if len(accuracies) < len(documents):
        return None  # a gold answer was taken away meanwhile: not gradable
    accuracy = sum(accuracies) / len(accuracies)
    exam_attempt_finish(
        attempt_id=attempt.pk,
        accuracy=accuracy,
        passed=accuracy >= attempt.project.exam_pass_accuracy,
    )
    attempt.refresh_from_db()
    return attempt


def gold_submission_score(*, document_id: int) -> GoldScore | None:
    """What runs after a submit: score it; if it was hidden gold, grade an exam it completes
    and decide on a pause."""
    row = gold_score_document(document_id=document_id)
    if row is None:
        return None
    document = row.document
    if document.item.gold.purpose == GoldPurpose.HIDDEN:
        project_id, user_id = document.item.project_id, document.annotator_id
        exam_grade(project_id=project_id, user_id=user_id)
        annotator_pause_check(project_id=project_id, user_id=user_id)
    return row
