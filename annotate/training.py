"""The training course and the qualification exam in front of an annotator's queue.

An annotator of a project with training items first goes through them (the guidelines, then
each training item, with feedback after each submit), then, where the exam is on, sits it: a
few hidden gold items they never had, scored blind. Only then does the queue hand out real work.
The per-member state lives on projects.Membership and projects.ExamAttempt; quality grades an
attempt once its items are submitted and writes the verdict through projects.services.

Managers and reviewers are never gated. Nothing here tells an annotator which item of their
real work is gold: an exam item is served like any other item, and an exam is a stage of its
own (the annotator knows they sit it), never mixed with real work.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone

from annotate.models import AnnotationDocument, DocumentKind, DocumentStatus
from common.errors import Conflict, PermissionDenied
from projects.item_roles import item_roles
from projects.models import ExamAttempt, Item, Membership, Project, Role
from projects.services import exam_attempt_start, member_training_complete


class Stage:
    TRAINING = "training"  # training items left to do
    EXAM_READY = "exam_ready"  # training done, the exam is to be started
    EXAM = "exam"  # an attempt is open with items left
    EXAM_SCORING = "exam_scoring"  # every exam item submitted, the verdict not in yet
    EXAM_WAIT = "exam_wait"  # failed: the next attempt waits until retry_at
    WORK = "work"


@dataclass
class AnnotatorStage:
    stage: str
    training_total: int = 0
    training_done: int = 0
    exam_required: bool = False
    exam_items: int = 0
    exam_done: int = 0
    retry_at: datetime | None = None
    attempts: list[ExamAttempt] = field(default_factory=list)
    next_item: Item | None = None
    attempt: ExamAttempt | None = None


def _submitted_item_ids(*, user: User, items: list[int]) -> set[int]:
    return set(
        AnnotationDocument.objects.filter(
            annotator=user, kind=DocumentKind.ANNOTATOR, item_id__in=items
        )
        .exclude(status=DocumentStatus.DRAFT)
        .values_list("item_id", flat=True)
    )


def exam_required(project: Project) -> bool:
    """The exam is on where the project enables it, has training items and hidden gold."""
    roles = item_roles()
    return (
        project.exam_enabled
        and roles.training_items(project_id=project.pk).exists()
        and roles.hidden_gold(project_id=project.pk).exists()
    )


def annotator_stage(*, user: User, project: Project) -> AnnotatorStage:
    """Where the caller stands in the project's course; records a completed training."""
    membership = Membership.objects.filter(project=project, user=user).first()
    if membership is None or membership.role != Role.ANNOTATOR:
        return AnnotatorStage(stage=Stage.WORK)
    training = list(
        item_roles().training_items(project_id=project.pk).select_related("asset").order_by("id")
    )
    done = _submitted_item_ids(user=user, items=[item.pk for item in training])
    stage = AnnotatorStage(stage=Stage.WORK, training_total=len(training), training_done=len(done))
    if not training:
        return stage  # no course: the exam needs training items too
    if membership.training_completed_at is None:
        left = [item for item in training if item.pk not in done]
        if left:
            stage.stage, stage.next_item = Stage.TRAINING, left[0]
            return stage
        member_training_complete(project_id=project.pk, user_id=user.pk)
    stage.attempts = list(
        ExamAttempt.objects.filter(project=project, user=user).order_by("started_at", "id")
    )
    stage.exam_required = exam_required(project)
    if membership.qualified_at is not None or not stage.exam_required:
        return stage
    stage.exam_items = project.exam_items
    attempt = next((a for a in stage.attempts if a.finished_at is None), None)
    if attempt is None:
        now = timezone.now()
        if membership.exam_retry_at is not None and membership.exam_retry_at > now:
            stage.stage, stage.retry_at = Stage.EXAM_WAIT, membership.exam_retry_at
        else:
            stage.stage = Stage.EXAM_READY
        return stage
    submitted = _submitted_item_ids(user=user, items=attempt.item_ids)
    stage.attempt, stage.exam_items = attempt, len(attempt.item_ids)
    stage.exam_done = len(submitted)
    left_ids = [pk for pk in attempt.item_ids if pk not in submitted]
    if not left_ids:
        stage.stage = Stage.EXAM_SCORING
        return stage
    stage.stage = Stage.EXAM
    stage.next_item = Item.objects.select_related("asset").get(pk=left_ids[0])
    return stage


def exam_start(*, user: User, project: Project) -> ExamAttempt:
    """Open an exam attempt: up to `exam_items` hidden gold items the caller never had nor
    labelled, in a random order (so neither their ids nor their order tell anything)."""
    stage = annotator_stage(user=user, project=project)
    if stage.stage == Stage.EXAM_WAIT:
        raise PermissionDenied(exam_wait_message(stage.retry_at))
    if stage.stage != Stage.EXAM_READY:
        raise Conflict("There is no qualification exam to start now.", stage=stage.stage)
    candidates = list(exam_gold_unseen(user=user, project=project).values_list("pk", flat=True))
    if not candidates:
        raise Conflict("There are no gold items left for an exam; ask a manager to add some.")
    picked = random.sample(candidates, min(project.exam_items, len(candidates)))
    return exam_attempt_start(project=project, user=user, item_ids=picked)


def exam_gold_unseen(*, user: User, project: Project) -> QuerySet[Item]:
    """Hidden gold items the caller never had: not claimed, not labelled, not in an exam."""
    in_exams: set[int] = set()
    for ids in ExamAttempt.objects.filter(project=project, user=user).values_list(
        "item_ids", flat=True
    ):
        in_exams.update(ids)
    return (
        item_roles()
        .hidden_gold(project_id=project.pk)
        .exclude(assignments__user=user)
        .exclude(documents__annotator=user)
        .exclude(pk__in=in_exams)
    )


def exam_wait_message(retry_at: datetime | None) -> str:
    if retry_at is None:
        return "You may retake the qualification exam now."
    seconds = max(0, int((retry_at - timezone.now()).total_seconds()))
    minutes = (seconds + 59) // 60
    left = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"You did not pass the qualification exam. You can retake it in {left}."


def queue_gate(*, user: User, project: Project) -> Item | None:
    """What the queue hands out before real work: the next training or exam item; None when
    the caller may have real work; raises when they must wait or start the exam first."""
    stage = annotator_stage(user=user, project=project)
    if stage.stage in (Stage.TRAINING, Stage.EXAM):
        return stage.next_item
    if stage.stage == Stage.EXAM_READY:
        raise PermissionDenied(
            "Pass the qualification exam before real work: start it from the project's "
            "labeling page.",
        )
    if stage.stage == Stage.EXAM_WAIT:
        raise PermissionDenied(exam_wait_message(stage.retry_at))
    if stage.stage == Stage.EXAM_SCORING:
        raise Conflict("Your qualification exam is being scored; try again in a moment.")
    return None


def submit_gate(*, user: User, item: Item) -> None:
    """Before an annotator may have real work, only the course's items can be submitted: a task
    or hidden-gold item opened by its URL keeps its draft but is not taken as work yet."""
    stage = annotator_stage(user=user, project=item.project)
    if stage.stage == Stage.WORK:
        return
    allowed = set(
        item_roles().training_items(project_id=item.project_id).values_list("id", flat=True)
    )
    if stage.attempt is not None:
        allowed.update(stage.attempt.item_ids)
    if item.pk not in allowed:
        raise PermissionDenied(
            "Finish the training course and pass the qualification exam before real work: "
            "your draft is kept."
        )
