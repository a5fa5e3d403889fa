"""The labeling API (v1): the queue, the caller's annotation document, submit, skip, review."""

import json
from datetime import datetime
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy
from drf_spectacular.drainage import set_override
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, ParseError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate import services
from annotate.models import AnnotationDocument, DocumentStatus
from annotate.review import item_statuses, projects_progress, review_comments_of, review_next
from annotate.revisions import revisions_with_shapes
from annotate.selectors import (
    DocumentAccess,
    document_access,
    document_access_by_token,
    documents_visible_to,
    revisions_of,
)
from common.api import if_match_version, if_match_version_or_none
from common.errors import Invalid, NotFound
from common.pagination import Pagination, paginated_response
from projects.access import item_allowed, item_for, project_for
from projects.apis import ItemOutputSerializer
from projects.models import Item, Role


class DocumentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    item = serializers.IntegerField(source="item_id")
    item_name = serializers.CharField(source="item.name")
    annotator = serializers.CharField(source="annotator.username")
    kind = serializers.CharField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    shapes = serializers.JSONField()
    created_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)


class DocumentVersionSerializer(serializers.Serializer):
    """What a PATCH answers: the new version, not the document (its size is the edit's)."""

    version = serializers.IntegerField()
    content_hash = serializers.CharField()
    status = serializers.CharField()


class ChangeSetSerializer(serializers.Serializer):
    """For the schema only: the service checks the change set (annotate.changes)."""

    add = serializers.ListField(child=serializers.JSONField(), required=False)
    # A field named like Serializer.update: this serializer only documents the body.
    update = serializers.ListField(  # type: ignore[assignment]
        child=serializers.JSONField(), required=False
    )
    delete = serializers.ListField(child=serializers.UUIDField(), required=False)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")


def json_body(request: Request) -> Any:
    """The JSON body, parsed once and directly (what DRF's JSONParser accepts and refuses, at
    less cost: the document saves are the hottest writes); other media types go through DRF's
    parsers as usual."""
    if request.content_type.split(";", 1)[0].strip().lower() != "application/json":
        return request.data
    raw = request._request.body
    if not raw:
        return {}
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise ParseError(f"JSON parse error - {exc}") from None


_DATETIME = serializers.DateTimeField()


def _datetime(value: datetime | None) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


def document_fields(document: AnnotationDocument) -> dict[str, Any]:
    """DocumentOutputSerializer's output but the shapes, built directly (it never reads them)."""
    return {
        "id": document.pk,
        "item": document.item_id,
        "item_name": document.item.name,
        "annotator": document.annotator.username,
        "kind": document.kind,
        "status": document.status,
        "version": document.version,
        "created_at": _datetime(document.created_at),
        "updated_at": _datetime(document.updated_at),
        "submitted_at": _datetime(document.submitted_at),
    }


def document_body(document: AnnotationDocument) -> dict[str, Any]:
    """DocumentOutputSerializer's output, built directly: saves answer it on every write."""
    return {**document_fields(document), "shapes": document.shapes}


def document_json_response(document: AnnotationDocument, shapes_json: str) -> HttpResponse:
    """document_response with the shapes spliced in as the stored JSON text they already are
    (`document.shapes` is not read: deferred, it would be loaded and parsed)."""
    head = json.dumps(document_fields(document), ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(
        f'{head[:-1]},"shapes":{shapes_json}}}', content_type="application/json"
    )
    response["ETag"] = f'"{document.version}"'
    return response


def document_response(document: AnnotationDocument, *, code: int = 200) -> Response:
    response = Response(document_body(document), status=code)
    response["ETag"] = f'"{document.version}"'
    return response


class QueueNextApi(APIView):
    @extend_schema(request=None, responses={200: ItemOutputSerializer, 204: None})
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.ANNOTATOR)
        item = services.item_assign_next(user=request.user, project=project)
        if item is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(ItemOutputSerializer(item).data)


SAVE_METHODS = ("PUT", "PATCH")
_SAVE_ACCESS = "_loupe_document_access"  # the DocumentAccess the authentication read


def _expected_version(request: Request) -> int:
    # -1 is no version: a missing or malformed If-Match reads no shapes, and is refused after
    # the access check, as before.
    version = if_match_version_or_none(request)
    return -1 if version is None else version


class SaveTokenAuthentication(TokenAuthentication):
    """TokenAuthentication for the saves of the caller's document (PUT, PATCH): the token with
    its user, the item with the caller's role, and the caller's document row come from one
    statement (annotate.selectors.document_access_by_token) instead of three round trips.

    Nothing is cached: the token is read on every request and refused with
    TokenAuthentication's own answers. Other methods authenticate as TokenAuthentication does.
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        self.request = request  # an authenticator is made per request (APIView.get_authenticators)
        return super().authenticate(request)

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        request = self.request
        if request.method not in SAVE_METHODS:
            return super().authenticate_credentials(key)
        found = document_access_by_token(
            key=key,
            item_id=request.parser_context["kwargs"]["item_id"],
            expected_version=_expected_version(request),
        )
        if found is None:
            raise AuthenticationFailed(gettext_lazy("Invalid token."))
        token, access = found
        if not token.user.is_active:
            raise AuthenticationFailed(gettext_lazy("User inactive or deleted."))
        setattr(request, _SAVE_ACCESS, access)
        return token.user, token


# The schema's "tokenAuth" stays one scheme: drf-spectacular's TokenScheme describes this subclass
# exactly as TokenAuthentication (the same header and prefix); it warns only because the classes
# differ.
set_override(SaveTokenAuthentication, "suppress_collision_warning", True)


def _save_base(request: Request, item_id: int) -> tuple[Item, int, AnnotationDocument]:
    """The item, the If-Match version and the caller's document at it, checked in item_for's
    order: 404/403, then 428/400 for the header, then 412/409 for a stale version. From the
    statement SaveTokenAuthentication ran, else (a session) from one query."""
    access: DocumentAccess | None = getattr(request, _SAVE_ACCESS, None)
    if access is None:
        access = document_access(
            user=request.user, item_id=item_id, expected_version=_expected_version(request)
        )
    item, _ = item_allowed(access.item, access.role, needed=Role.ANNOTATOR)
    version = if_match_version(request)
    base = services.document_base(
        user=request.user, item=item, expected_version=version, row=access.document
    )
    return item, version, base


class ItemAnnotationApi(APIView):
    # settings.REST_FRAMEWORK's classes, in their order, with the token's replaced.
    authentication_classes = [SaveTokenAuthentication, SessionAuthentication]

    class InputSerializer(serializers.Serializer):
        shapes = serializers.JSONField()

    @extend_schema(responses=DocumentOutputSerializer)
    def get(self, request: Request, item_id: int) -> HttpResponse:
        item, _ = item_for(request.user, item_id, needed=Role.ANNOTATOR)
        document, shapes_json = services.annotation_open(user=request.user, item=item)
        return document_json_response(document, shapes_json)

    @extend_schema(
        request=InputSerializer,
        responses={200: DocumentOutputSerializer, 201: DocumentOutputSerializer},
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
    )
    def put(self, request: Request, item_id: int) -> Response:
        # A stale write is answered here, before its body is even parsed.
        item, version, base = _save_base(request, item_id)
        body = json_body(request)
        if not isinstance(body, dict) or "shapes" not in body:
            raise Invalid({"shapes": ["This field is required."]})
        document = services.annotation_save_at(
            user=request.user, item=item, base=base, shapes=body["shapes"]
        )
        return document_response(document, code=201 if version == 0 else 200)

    @extend_schema(
        request=ChangeSetSerializer,
        responses={200: DocumentVersionSerializer, 201: DocumentVersionSerializer},
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
        description=(
            "Apply a change set to the version named by If-Match: `add` new shapes, `update` "
            "whole shapes by id, `delete` ids. An id that is not where the change set says "
            "(add of a stored id, update or delete of a missing one) is a 400 naming it; shape "
            "errors are keyed by shape id. Stale If-Match: 412 with `current_version`; accepted "
            "document: 409. Answers the new version and content hash, not the document."
        ),
    )
    def patch(self, request: Request, item_id: int) -> Response:
        item, version, base = _save_base(request, item_id)
        document = services.annotation_patch_at(
            user=request.user, item=item, base=base, changes=json_body(request)
        )
        body = {
            "version": document.version,
            "content_hash": document.content_hash,
            "status": document.status,
        }
        response = Response(body, status=201 if version == 0 else 200)
        response["ETag"] = f'"{document.version}"'
        return response


class ItemAnnotationSubmitApi(APIView):
    @extend_schema(request=None, responses=DocumentOutputSerializer)
    def post(self, request: Request, item_id: int) -> Response:
        item, _ = item_for(request.user, item_id, needed=Role.ANNOTATOR)
        document = services.annotation_submit_by_annotator(user=request.user, item=item)
        return document_response(document)


class ItemSkipApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, item_id: int) -> Response:
        item, _ = item_for(request.user, item_id, needed=Role.ANNOTATOR)
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
        project_for(request.user, project_id, needed=Role.REVIEWER)
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
        paginator = Pagination()
        page = paginator.paginate_queryset(revisions_of(document=document), request)
        # Autosaves are stored as change sets: each is answered with its full shapes.
        revisions = revisions_with_shapes(document, page or [])
        return paginator.get_paginated_response(RevisionOutputSerializer(revisions, many=True).data)


class AnnotationReviewApi(APIView):
    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=["accept", "reject"])
        comment = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=5000
        )
        # Checked by the service (annotate.review), errors keyed by the comment's position.
        comments = serializers.JSONField(required=False, default=list)

    @extend_schema(
        request=InputSerializer,
        responses=DocumentOutputSerializer,
        description=(
            "Accept or reject a submitted document. `comments` is a list of "
            "{body, shape_id?, region?}: pinned to a shape of the document, or to a region of "
            "the image in pixels ({x, y} a point, {x, y, w, h} a box). They replace the open "
            "comments of earlier rounds. A rejected item returns to the head of its annotator's "
            "queue, editable, with these comments."
        ),
    )
    def post(self, request: Request, document_id: int) -> Response:
        document = document_for(request, document_id)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        document = services.annotation_review(
            reviewer=request.user, document=document, **payload.validated_data
        )
        return document_response(document)


# --- review: comments, the reviewer's queue, progress ------------------------------------------


class ReviewCommentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    document = serializers.IntegerField(source="document_id")
    author = serializers.CharField(source="author.username")
    body = serializers.CharField()
    shape_id = serializers.CharField(allow_null=True)
    region = serializers.JSONField(allow_null=True)
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)


class AnnotationCommentsApi(APIView):
    """The review comments of a document: its annotator, the project's reviewers and managers."""

    @extend_schema(
        responses=ReviewCommentOutputSerializer(many=True),
        parameters=[
            OpenApiParameter("open", bool, description="only comments not yet resolved"),
        ],
    )
    def get(self, request: Request, document_id: int) -> Response:
        document = document_for(request, document_id)
        comments = review_comments_of(document=document)
        if request.query_params.get("open") in ("1", "true"):
            comments = comments.filter(resolved_at__isnull=True)
        return paginated_response(request, comments, ReviewCommentOutputSerializer)


class ReviewNextApi(APIView):
    """The reviewer's next document: the oldest submitted one that is not their own."""

    @extend_schema(request=None, responses={200: DocumentOutputSerializer, 204: None})
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.REVIEWER)
        document = review_next(reviewer=request.user, project=project)
        if document is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return document_response(document)


class ProjectProgressApi(APIView):
    """Done / total task items of the project, per-status counts, and the statuses of the items
    named in `items` (for their tiles). Reviewers and managers."""

    class FilterSerializer(serializers.Serializer):
        items = serializers.RegexField(r"^\d+(,\d+){0,199}$", required=False)

    @extend_schema(
        responses=dict,
        parameters=[OpenApiParameter("items", str, description="up to 200 comma-separated ids")],
    )
    def get(self, request: Request, project_id: int) -> Response:
        project_for(request.user, project_id, needed=Role.REVIEWER)
        payload = self.FilterSerializer(data=request.query_params)
        payload.is_valid(raise_exception=True)
        wanted = [int(part) for part in payload.validated_data.get("items", "").split(",") if part]
        ids = list(
            Item.objects.filter(project_id=project_id, pk__in=wanted).values_list("pk", flat=True)
        )
        figures = projects_progress(project_ids=[project_id])[project_id]
        return Response(
            {**figures, "items": {str(pk): s for pk, s in item_statuses(item_ids=ids).items()}}
        )
