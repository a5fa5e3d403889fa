"""The labeling API (v1): the queue, the caller's annotation document, submit, skip, review."""

import re

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate import services
from annotate.models import ActivityVerb, AnnotationDocument, DocumentStatus
from annotate.selectors import documents_visible_to, revisions_of
from annotate.shapes import ShapesInvalid
from loupe.errors import PreconditionRequired
from loupe.pagination import paginated_response
from projects.access import item_for, project_for
from projects.apis import ItemOutputSerializer
from projects.models import Role
from projects.selectors import project_role, role_at_least

IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


class DocumentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    item = serializers.IntegerField(source="item_id")
    annotator = serializers.CharField(source="annotator.username")
    kind = serializers.CharField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    shapes = serializers.JSONField()
    created_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)


def document_response(document: AnnotationDocument, *, code: int = 200) -> Response:
    response = Response(DocumentOutputSerializer(document).data, status=code)
    response["ETag"] = f'"{document.version}"'
    return response


def expected_version(request: Request) -> int:
    header = request.headers.get("If-Match")
    if header is None:
        raise PreconditionRequired()
    match = IF_MATCH.match(header)
    if match is None:
        raise ValidationError({"If-Match": ['Expected the version as an ETag, e.g. "3".']})
    return int(match.group(1))


class QueueNextApi(APIView):
    @extend_schema(request=None, responses={200: ItemOutputSerializer, 204: None})
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for(request, project_id, needed=Role.ANNOTATOR)
        item = services.item_assign_next(user=request.user, project=project)
        if item is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(ItemOutputSerializer(item).data)


class ItemAnnotationApi(APIView):
    class InputSerializer(serializers.Serializer):
        shapes = serializers.JSONField()

    @extend_schema(responses=DocumentOutputSerializer)
    def get(self, request: Request, item_id: int) -> Response:
        item, _ = item_for(request, item_id, needed=Role.ANNOTATOR)
        document = services.annotation_document_of(user=request.user, item=item)
        services.activity_log(
            user=request.user,
            item=item,
            verb=ActivityVerb.OPENED,
            data={"version": document.version},
        )
        return document_response(document)

    @extend_schema(
        request=InputSerializer,
        responses={200: DocumentOutputSerializer, 201: DocumentOutputSerializer},
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
    )
    def put(self, request: Request, item_id: int) -> Response:
        item, _ = item_for(request, item_id, needed=Role.ANNOTATOR)
        version = expected_version(request)
        if not isinstance(request.data, dict) or "shapes" not in request.data:
            raise ValidationError({"shapes": ["This field is required."]})
        try:
            document = services.annotation_save(
                user=request.user,
                item=item,
                shapes=request.data["shapes"],
                expected_version=version,
            )
        except ShapesInvalid as exc:
            raise ValidationError(exc.errors) from exc
        return document_response(document, code=201 if version == 0 else 200)


class ItemAnnotationSubmitApi(APIView):
    @extend_schema(request=None, responses=DocumentOutputSerializer)
    def post(self, request: Request, item_id: int) -> Response:
        item, _ = item_for(request, item_id, needed=Role.ANNOTATOR)
        document = services.annotation_submit(user=request.user, item=item)
        return document_response(document)


class ItemSkipApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, item_id: int) -> Response:
        item, _ = item_for(request, item_id, needed=Role.ANNOTATOR)
        services.item_skip(user=request.user, item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectAnnotationsApi(APIView):
    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=DocumentStatus.choices, required=False)
        annotator = serializers.CharField(required=False)
        item = serializers.IntegerField(required=False)

    @extend_schema(
        responses=DocumentOutputSerializer(many=True),
        parameters=[
            OpenApiParameter("status", str),
            OpenApiParameter("annotator", str, description="username"),
            OpenApiParameter("item", int),
        ],
    )
    def get(self, request: Request, project_id: int) -> Response:
        project_for(request, project_id, needed=Role.REVIEWER)
        documents = documents_visible_to(user=request.user).filter(item__project_id=project_id)
        query = {name: value for name, value in request.query_params.items() if value != ""}
        payload = self.FilterSerializer(data=query)
        payload.is_valid(raise_exception=True)
        filters = payload.validated_data
        if "status" in filters:
            documents = documents.filter(status=filters["status"])
        if "annotator" in filters:
            documents = documents.filter(annotator__username=filters["annotator"])
        if "item" in filters:
            documents = documents.filter(item_id=filters["item"])
        return paginated_response(request, documents.order_by("id"), DocumentOutputSerializer)


def document_for(request: Request, document_id: int) -> AnnotationDocument:
    document = documents_visible_to(user=request.user).filter(pk=document_id).first()
    if document is None:
        raise NotFound("No such annotation.")
    return document


class AnnotationDetailApi(APIView):
    @extend_schema(responses=DocumentOutputSerializer)
    def get(self, request: Request, document_id: int) -> Response:
        return document_response(document_for(request, document_id))


class RevisionOutputSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    status = serializers.CharField()
    shapes = serializers.JSONField()
    author = serializers.CharField(source="author.username")
    created_at = serializers.DateTimeField()


class AnnotationRevisionsApi(APIView):
    @extend_schema(responses=RevisionOutputSerializer(many=True))
    def get(self, request: Request, document_id: int) -> Response:
        document = document_for(request, document_id)
        return paginated_response(
            request, revisions_of(document=document), RevisionOutputSerializer
        )


class AnnotationReviewApi(APIView):
    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=["accept", "reject"])
        comment = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=5000
        )

    @extend_schema(request=InputSerializer, responses=DocumentOutputSerializer)
    def post(self, request: Request, document_id: int) -> Response:
        document = document_for(request, document_id)
        role = project_role(user=request.user, project_id=document.item.project_id)
        if not role_at_least(role, Role.REVIEWER):
            raise PermissionDenied("Reviewing needs the reviewer or manager role.")
        if document.annotator_id == request.user.pk and not request.user.is_superuser:
            raise PermissionDenied("You cannot review your own annotation.")
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        document = services.annotation_review(
            reviewer=request.user, document=document, **payload.validated_data
        )
        return document_response(document)
