"""Versions, tags, diffs and jobs (v1): each view checks access, calls one service or selector,
serializes. Long work answers 202 with the job; clients poll GET /api/v1/jobs/{id}/."""

from typing import Any

from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import Invalid
from common.openapi import PAGE_PARAMETERS, page_serializer
from common.pagination import Pagination, paginated_response
from projects.access import item_for, project_for
from projects.models import Role
from storage.serving import object_response
from versioning import imports, selectors, services
from versioning.exports import image_file_name
from versioning.filters import item_filters
from versioning.models import Job


class JobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    project = serializers.IntegerField(source="project_id")
    status = serializers.CharField()
    progress = serializers.SerializerMethodField()
    error = serializers.CharField()
    result = serializers.JSONField(allow_null=True)
    params = serializers.JSONField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    attempts = serializers.IntegerField()

    def get_progress(self, job: Job) -> dict[str, int]:
        return {"done": job.progress_done, "total": job.progress_total}


def job_accepted(job: Job) -> Response:
    response = Response(JobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)
    response["Location"] = f"/api/v1/jobs/{job.pk}/"
    return response


class VersionOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    project = serializers.IntegerField(source="project_id")
    message = serializers.CharField()
    author = serializers.CharField(source="author.username", allow_null=True)
    parent = serializers.CharField(source="parent_id", allow_null=True)  # type: ignore[assignment]
    created_at = serializers.DateTimeField()
    schema_hash = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # named like Field.source
    filters = serializers.JSONField()
    stats = serializers.JSONField()
    manifest_key = serializers.CharField()
    tags = serializers.SerializerMethodField()

    def get_tags(self, version: Any) -> list[str]:
        return [tag.name for tag in version.tags.all()]


class JobDetailApi(APIView):
    @extend_schema(responses=JobOutputSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        job = selectors.job_for(request.user, job_id)
        return Response(JobOutputSerializer(job).data)


class ProjectVersionsApi(APIView):
    @extend_schema_serializer(component_name="VersionSnapshotRequest")
    class InputSerializer(serializers.Serializer):
        message = serializers.CharField(required=False, allow_blank=True, default="")
        source = serializers.ChoiceField(  # type: ignore[assignment]  # named like Field.source
            choices=services.SOURCES, default="accepted"
        )
        filters = serializers.DictField(required=False, default=dict)

    @extend_schema(responses=VersionOutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.REVIEWER)
        return paginated_response(
            request, selectors.versions_of(project=project), VersionOutputSerializer
        )

    @extend_schema(request=InputSerializer, responses={202: JobOutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.MANAGER)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        job = services.version_snapshot_request(
            project=project, user=request.user, **payload.validated_data
        )
        return job_accepted(job)


class VersionDetailApi(APIView):
    @extend_schema(responses=VersionOutputSerializer)
    def get(self, request: Request, version_id: str) -> Response:
        version, _ = selectors.version_for(request.user, version_id, needed=Role.REVIEWER)
        return Response(VersionOutputSerializer(version).data)


class VersionManifestApi(APIView):
    @extend_schema(responses={(200, "application/json"): OpenApiTypes.OBJECT})
    def get(self, request: Request, version_id: str) -> HttpResponseBase:
        """The canonical manifest (RFC 8785 bytes): its SHA-256 is the version id, so a client
        verifies what it pulls by hashing these bytes."""
        version, _ = selectors.version_for(request.user, version_id, needed=Role.REVIEWER)
        return object_response(
            request, key=version.manifest_key, etag=version.pk, mime="application/json"
        )


class VersionTagApi(APIView):
    @extend_schema_serializer(component_name="VersionTagRequest")
    class InputSerializer(serializers.Serializer):
        version = serializers.CharField(max_length=64)

    @extend_schema_serializer(component_name="VersionTag")
    class OutputSerializer(serializers.Serializer):
        name = serializers.CharField()
        version = serializers.CharField(source="version_id")
        updated_at = serializers.DateTimeField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, project_id: int, name: str) -> Response:
        """Which version a tag names (how `loupe pull --version TAG` resolves it)."""
        project, _ = project_for(request.user, project_id, needed=Role.REVIEWER)
        return Response(
            self.OutputSerializer(selectors.version_tag(project=project, name=name)).data
        )

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def put(self, request: Request, project_id: int, name: str) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.MANAGER)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        tag = services.version_tag_set(
            project=project,
            user=request.user,
            name=name,
            version_id=payload.validated_data["version"],
        )
        return Response(self.OutputSerializer(tag).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, project_id: int, name: str) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.MANAGER)
        services.version_tag_delete(project=project, user=request.user, name=name)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VersionExportsApi(APIView):
    @extend_schema_serializer(component_name="VersionExportRequest")
    class InputSerializer(serializers.Serializer):
        format = serializers.CharField(max_length=32)
        splits = serializers.ListField(
            child=serializers.CharField(max_length=32),
            required=False,
            default=list,
            help_text='Only items of these splits ("unassigned": none).',
        )
        classes = serializers.ListField(
            child=serializers.CharField(max_length=200),
            required=False,
            default=list,
            help_text="Only items with a shape of these classes, and only those shapes.",
        )
        features = serializers.BooleanField(
            required=False,
            default=False,
            help_text="Parquet only: add the version's pipeline feature tables"
            " (features/<step>.parquet, keyed by item_id; latest finished run).",
        )

    @extend_schema(request=InputSerializer, responses={202: JobOutputSerializer})
    def post(self, request: Request, version_id: str) -> Response:
        version, _ = selectors.version_for(request.user, version_id, needed=Role.REVIEWER)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        filters = item_filters(version=version, splits=data["splits"], classes=data["classes"])
        job = services.version_export_request(
            version=version,
            user=request.user,
            format=data["format"],
            filters=filters,
            features=data["features"],
        )
        return job_accepted(job)


class JobDownloadApi(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): bytes, 302: None})
    def get(self, request: Request, job_id: int) -> HttpResponseBase:
        """The exported file: streamed, or a redirect to a short-lived signed URL on S3."""
        job = selectors.job_for(request.user, job_id)
        export = selectors.job_export_file(job=job)
        response = object_response(
            request, key=export.storage_key, etag=export.sha256, mime=export.media_type
        )
        if response.status_code == 200:
            file_name = export.storage_key.rsplit("/", 1)[-1]
            response["Content-Disposition"] = f'attachment; filename="{file_name}"'
        return response


class VersionDiffApi(APIView):
    @extend_schema_serializer(component_name="VersionDiffRow")
    class RowSerializer(serializers.Serializer):
        item = serializers.IntegerField()
        change = serializers.ChoiceField(choices=["added", "removed", "changed"])
        before = serializers.JSONField(allow_null=True)
        after = serializers.JSONField(allow_null=True)
        shapes = serializers.JSONField(required=False)

    @extend_schema(
        responses=page_serializer(
            "PaginatedVersionDiff",
            RowSerializer(many=True),
            summary=serializers.DictField(help_text="class -> {change: count}, whole diff"),
            totals=serializers.DictField(help_text="change -> count, whole diff"),
        ),
        parameters=[
            OpenApiParameter(
                "against", str, required=True, description="version id", pattern="^[0-9a-f]{64}$"
            ),
            *PAGE_PARAMETERS,
        ],
    )
    def get(self, request: Request, version_id: str) -> Response:
        """Changes from `against` (the older side) to this version, a page of item rows, plus
        `summary` (per class) and `totals` over the whole diff."""
        new, _ = selectors.version_for(request.user, version_id, needed=Role.REVIEWER)
        against = request.query_params.get("against", "")
        if not against:
            raise Invalid({"against": ["Name the version to compare with."]})
        old, _ = selectors.version_for(request.user, against, needed=Role.REVIEWER)
        diff = selectors.version_diff(old=old, new=new)
        paginator = Pagination()
        page = paginator.paginate_queryset(diff.rows, request, view=self)
        response = paginator.get_paginated_response(self.RowSerializer(page, many=True).data)
        response.data["summary"] = diff.summary
        response.data["totals"] = diff.totals
        return response


class VersionItemsApi(APIView):
    """Read-only: what the diff page draws (each side's shapes over the image) and what a
    client needs to look at one item of a past version."""

    @extend_schema_serializer(component_name="VersionItem")
    class OutputSerializer(serializers.Serializer):
        item = serializers.IntegerField(source="item_id")
        name = serializers.CharField(source="item.name")
        asset_sha256 = serializers.CharField()
        width = serializers.IntegerField(source="item.asset.width")
        height = serializers.IntegerField(source="item.asset.height")
        split = serializers.CharField()
        annotation_hash = serializers.CharField(allow_null=True)
        shapes = serializers.SerializerMethodField()

        def get_shapes(self, row: Any) -> list[dict]:
            shapes: list[dict] = self.context["shapes_of"].get(row.annotation_hash, [])
            return shapes

    @extend_schema(
        responses=OutputSerializer(many=True),
        parameters=[
            OpenApiParameter("ids", str, description="comma-separated item ids (at most 100)")
        ],
    )
    def get(self, request: Request, version_id: str) -> Response:
        """The version's items with their shapes as snapshotted, by item id, paginated."""
        version, _ = selectors.version_for(request.user, version_id, needed=Role.REVIEWER)
        item_ids = _ids_param(request.query_params.get("ids"))
        paginator = Pagination()
        rows = selectors.version_items_of(version=version, item_ids=item_ids)
        page = paginator.paginate_queryset(rows, request, view=self) or []
        context = {"shapes_of": selectors.version_item_shapes(rows=list(page))}
        return paginator.get_paginated_response(
            self.OutputSerializer(page, many=True, context=context).data
        )


class VersionIndexApi(APIView):
    """What `loupe pull` fetches: the version's items, cut by split and class on the server."""

    @extend_schema_serializer(component_name="VersionIndexItem")
    class OutputSerializer(serializers.Serializer):
        item = serializers.IntegerField(source="item_id")
        name = serializers.CharField(source="item.name")
        file_name = serializers.SerializerMethodField()
        asset_sha256 = serializers.CharField()
        mime = serializers.CharField(source="item.asset.mime")
        size = serializers.IntegerField(source="item.asset.size")
        width = serializers.IntegerField(source="item.asset.width")
        height = serializers.IntegerField(source="item.asset.height")
        split = serializers.CharField()
        image_url = serializers.SerializerMethodField()

        def get_file_name(self, row: Any) -> str:
            return image_file_name(row.asset_sha256, row.item.asset.mime)

        def get_image_url(self, row: Any) -> str:
            return f"/api/v1/items/{row.item_id}/image/"

    @extend_schema(
        responses=OutputSerializer(many=True),
        parameters=[
            OpenApiParameter("split", str, many=True, description='a split ("unassigned": none)'),
            OpenApiParameter("class", str, many=True, description="a class of the version"),
        ],
    )
    def get(self, request: Request, version_id: str) -> Response:
        """The version's items by item id, paginated: name, content hash, size, split and where
        to download the image; only those of the given splits holding a shape of a given class."""
        version, _ = selectors.version_for(request.user, version_id, needed=Role.REVIEWER)
        filters = item_filters(
            version=version,
            splits=request.query_params.getlist("split"),
            classes=request.query_params.getlist("class"),
        )
        rows = selectors.version_index(version=version, filters=filters)
        return paginated_response(request, rows, self.OutputSerializer)


def _ids_param(text: str | None) -> list[int] | None:
    if text is None:
        return None
    parts = [part for part in text.split(",") if part.strip()]
    if len(parts) > 100 or not all(part.strip().isdigit() for part in parts):
        raise Invalid({"ids": ["Give at most 100 comma-separated item ids."]})
    return [int(part) for part in parts]


class ProjectImportsApi(APIView):
    """Import predictions, a vendor's labels or gold answers from a COCO, VOC, YOLO or JSONL
    file: 202 with the import job, whose result counts what was matched and written."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema_serializer(component_name="ProjectImportRequest")
    class InputSerializer(serializers.Serializer):
        format = serializers.ChoiceField(choices=imports.FORMATS)
        file = serializers.FileField()
        target = serializers.ChoiceField(choices=imports.TARGETS)
        annotator = serializers.CharField(required=False, allow_blank=True, default="")
        source = serializers.CharField(  # type: ignore[assignment]  # named like Field.source
            required=False, allow_blank=True, default="", max_length=100
        )

    @extend_schema(request=InputSerializer, responses={202: JobOutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.MANAGER)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        job = imports.import_request(
            project=project,
            user=request.user,
            format=data["format"],
            target=data["target"],
            upload=data["file"],
            file_name=data["file"].name or "upload",
            annotator=data["annotator"] or None,
            source=data["source"] or None,
        )
        return job_accepted(job)


class ItemPredictionsApi(APIView):
    @extend_schema_serializer(component_name="ItemPrediction")
    class OutputSerializer(serializers.Serializer):
        source = serializers.CharField()  # type: ignore[assignment]  # named like Field.source
        shapes = serializers.JSONField()
        scores = serializers.JSONField()
        content_hash = serializers.CharField()
        created_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request, item_id: int) -> Response:
        """Pre-annotations the studio offers as editable shapes, with their scores."""
        item, _ = item_for(request.user, item_id, needed=Role.ANNOTATOR)
        return paginated_response(request, imports.predictions_of(item=item), self.OutputSerializer)
