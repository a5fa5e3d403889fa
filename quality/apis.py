"""Gold answers, scores, training feedback and the QC report (v1)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.apis import document_for
from annotate.models import AnnotationDocument, DocumentKind, DocumentStatus
from common.errors import NotFound
from projects.access import item_for, project_for
from projects.models import Role
from quality.dashboard import quality_dashboard
from quality.models import GoldAnswer, GoldPurpose, GoldScore
from quality.scoring import Counts
from quality.selectors import project_quality_report
from quality.services import gold_score_current, gold_set


class GoldOutputSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item_id")
    purpose = serializers.CharField()
    shapes = serializers.JSONField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.source
    updated_at = serializers.DateTimeField()


class ItemGoldApi(APIView):
    """The gold answer of an item: managers only (annotators get 403, outsiders 404)."""

    class InputSerializer(serializers.Serializer):
        shapes = serializers.JSONField()
        purpose = serializers.ChoiceField(choices=GoldPurpose.choices, required=False)

    @extend_schema(responses=GoldOutputSerializer)
    def get(self, request: Request, item_id: int) -> Response:
        item, _ = item_for(request.user, item_id, needed=Role.MANAGER)
        gold = GoldAnswer.objects.filter(item=item, shapes__isnull=False).first()
        if gold is None:
            raise NotFound("This item has no gold answer.")
        return Response(GoldOutputSerializer(gold).data)

    @extend_schema(request=InputSerializer, responses=GoldOutputSerializer)
    def put(self, request: Request, item_id: int) -> Response:
        item, _ = item_for(request.user, item_id, needed=Role.MANAGER)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        gold = gold_set(
            item=item,
            shapes=payload.validated_data["shapes"],
            author=request.user,
            purpose=payload.validated_data.get("purpose"),
        )
        return Response(GoldOutputSerializer(gold).data)


class ScoreOutputSerializer(serializers.Serializer):
    document = serializers.IntegerField(source="document_id")
    tp = serializers.IntegerField()
    fp = serializers.IntegerField()
    fn = serializers.IntegerField()
    class_errors = serializers.IntegerField()
    precision = serializers.SerializerMethodField()
    recall = serializers.SerializerMethodField()
    accuracy = serializers.FloatField()
    mean_iou = serializers.FloatField(allow_null=True)
    matches = serializers.JSONField()
    gold_hash = serializers.CharField()
    document_hash = serializers.CharField()
    scored_at = serializers.DateTimeField()

    def get_precision(self, row: GoldScore) -> float:
        return _counts(row).precision

    def get_recall(self, row: GoldScore) -> float:
        return _counts(row).recall


def _counts(row: GoldScore) -> Counts:
    return Counts(tp=row.tp, fp=row.fp, fn=row.fn, class_errors=row.class_errors)


def score_of(document: AnnotationDocument) -> GoldScore:
    """The stored score against the current gold, else computed now (the task may have been
    lost with a broker that was down)."""
    row = gold_score_current(document_id=document.pk)
    if row is None:
        raise NotFound("This item has no gold answer.")
    return row


class AnnotationScoreApi(APIView):
    """A document compared with its item's gold answer: managers only."""

    @extend_schema(responses=ScoreOutputSerializer)
    def get(self, request: Request, document_id: int) -> Response:
        document = document_for(request, document_id)
        project_for(request.user, document.item.project_id, needed=Role.MANAGER)
        return Response(ScoreOutputSerializer(score_of(document)).data)


class FeedbackOutputSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    gold_shapes = serializers.JSONField()
    score = ScoreOutputSerializer()


class ItemFeedbackApi(APIView):
    """Training feedback: the gold answer and how the caller's shapes matched it, only for a
    training item and only once the caller submitted it. Anything else is the same 404, so the
    answer tells nothing about hidden gold."""

    @extend_schema(responses=FeedbackOutputSerializer)
    def get(self, request: Request, item_id: int) -> Response:
        item, _ = item_for(request.user, item_id, needed=Role.ANNOTATOR)
        gold = GoldAnswer.objects.filter(
            item=item, purpose=GoldPurpose.TRAINING, shapes__isnull=False
        ).first()
        document = (
            AnnotationDocument.objects.filter(
                item=item, annotator_id=request.user.pk, kind=DocumentKind.ANNOTATOR
            )
            .exclude(status=DocumentStatus.DRAFT)
            .first()
        )
        if gold is None or document is None:
            raise NotFound("No feedback for this item.")
        data = {"item": item.pk, "gold_shapes": gold.shapes, "score": score_of(document)}
        return Response(FeedbackOutputSerializer(data).data)


class ProjectQualityApi(APIView):
    """Per-annotator and per-class QC figures against hidden gold: managers only."""

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.MANAGER)
        return Response(project_quality_report(project=project))


# --- the Quality tab ----------------------------------------------------------------------------


class ProjectQualityDashboardApi(APIView):
    """The Quality tab: per annotator gold scored, accuracy with its 95% interval, status,
    items per hour and a per-day series; per class outcomes and confusions; and the scored
    documents behind every figure (ids into `documents`). Managers only."""

    @extend_schema(responses=dict)
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.MANAGER)
        return Response(quality_dashboard(project=project))
