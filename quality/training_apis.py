"""Training and qualification (v1): the caller's stage in a project's course, starting the
exam, re-qualification, and the managers' per-annotator record."""

from typing import Any, cast

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.training import (
    AnnotatorStage,
    Stage,
    annotator_stage,
    exam_start,
    exam_wait_message,
)
from projects.access import project_for
from projects.models import ExamAttempt, Project, Role
from projects.selectors import project_members
from projects.services import qualification_reset
from quality.selectors import annotator_pooled_score
from quality.services import exam_grade


def _attempt_data(attempt: ExamAttempt) -> dict[str, Any]:
    return {
        "started_at": attempt.started_at,
        "finished_at": attempt.finished_at,
        "items": len(attempt.item_ids),
        "accuracy": attempt.accuracy,
        "passed": attempt.passed,
    }


def stage_data(stage: AnnotatorStage, project: Project) -> dict[str, Any]:
    """The caller's own course state. No item ids: which item is an exam item stays unsaid."""
    return {
        "stage": stage.stage,
        "training": {"total": stage.training_total, "done": stage.training_done},
        "exam": {
            "required": stage.exam_required,
            "items": stage.exam_items or project.exam_items,
            "done": stage.exam_done,
            "pass_accuracy": project.exam_pass_accuracy,
            "retry_minutes": project.exam_retry_minutes,
            "retry_at": stage.retry_at,
            "message": exam_wait_message(stage.retry_at) if stage.stage == Stage.EXAM_WAIT else "",
            "attempts": [_attempt_data(a) for a in stage.attempts if a.finished_at is not None],
        },
    }


def caller_stage(request: Request, project: Project) -> dict[str, Any]:
    user = cast(User, request.user)
    stage = annotator_stage(user=user, project=project)
    if stage.stage == Stage.EXAM_SCORING and exam_grade(project_id=project.pk, user_id=user.pk):
        stage = annotator_stage(user=user, project=project)
    return stage_data(stage, project)


class TrainingStatusApi(APIView):
    """Where the caller stands: training (n of N done), the exam to start, sitting or being
    scored, waiting to retry after a failure, or real work. Grades a completed exam."""

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.ANNOTATOR)
        return Response(caller_stage(request, project))


class ExamStartApi(APIView):
    """Start the qualification exam: the queue then hands out its items, scored blind."""

    @extend_schema(request=None, responses={201: dict})
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.ANNOTATOR)
        exam_start(user=cast(User, request.user), project=project)
        return Response(caller_stage(request, project), status=201)


class QualificationResetApi(APIView):
    """Managers: every annotator must pass the exam again (e.g. after the guidelines changed)."""

    @extend_schema(request=None, responses=dict)
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.MANAGER)
        return Response({"reset": qualification_reset(project=project)})


class MemberRecordsApi(APIView):
    """Managers: each member's training, exam attempts, qualification, pause and hidden gold."""

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.MANAGER)
        attempts: dict[int, list[ExamAttempt]] = {}
        for attempt in ExamAttempt.objects.filter(project=project).order_by("started_at", "id"):
            attempts.setdefault(attempt.user_id, []).append(attempt)
        records = []
        for member in project_members(project=project):
            stage = annotator_stage(user=member.user, project=project)
            pooled = annotator_pooled_score(project_id=project.pk, user_id=member.user_id)
            records.append(
                {
                    "user_id": member.user_id,
                    "username": member.user.username,
                    "role": member.role,
                    "stage": stage.stage,
                    "training_total": stage.training_total,
                    "training_done": stage.training_done,
                    "training_completed_at": member.training_completed_at,
                    "qualified_at": member.qualified_at,
                    "exam_retry_at": member.exam_retry_at,
                    "exam_attempts": [_attempt_data(a) for a in attempts.get(member.user_id, [])],
                    "paused_at": member.paused_at,
                    "paused_reason": member.paused_reason,
                    "gold_scored": pooled.items,
                    "gold_accuracy": pooled.accuracy if pooled.items else None,
                }
            )
        return Response({"members": records})
