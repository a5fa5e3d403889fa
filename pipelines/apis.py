"""Pipeline runs over versions, their features, and SQL over a version (v1). Each view checks
access, calls one service or selector, serializes. Starting a run answers 202 with its job."""

from typing import Any

from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import Invalid, NotFound
from common.pagination import Pagination
from pipelines import item_features, selectors, services
from pipelines.builtin import PIPELINES
from pipelines.models import PipelineRun, QueueOrder, QueuePriority
from projects.access import project_for
from projects.models import Role
from storage.serving import object_response
from versioning.apis import JobOutputSerializer, job_accepted
from versioning.selectors import version_for


class RunOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.CharField(source="version_id")
    pipeline = serializers.CharField()
    job = serializers.IntegerField(source="job_id")
    status = serializers.CharField()
    computed = serializers.IntegerField()
    reused = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    rounds = serializers.IntegerField()
    steps = serializers.JSONField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class RunDetailOutputSerializer(RunOutputSerializer):
    progress = serializers.SerializerMethodField()
    quarantined = serializers.SerializerMethodField()

    def get_progress(self, run: PipelineRun) -> dict[str, dict[str, int]]:
        return selectors.run_progress(run=run)

    def get_quarantined(self, run: PipelineRun) -> list[dict[str, Any]]:
        return selectors.run_quarantined(run=run)


class RunStartedSerializer(JobOutputSerializer):
    run = serializers.IntegerField(help_text="The pipeline run to poll.")


class FeatureRowSerializer(serializers.Serializer):
    """One item's outputs: `item_id`, then a field per output field of the step."""

    item_id = serializers.IntegerField()


class SqlResultSerializer(serializers.Serializer):
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField())
    truncated = serializers.BooleanField()


class VersionPipelinesApi(APIView):
    class InputSerializer(serializers.Serializer):
        pipeline = serializers.ChoiceField(choices=sorted(PIPELINES), default="default")

    @extend_schema(responses=RunOutputSerializer(many=True))
    def get(self, request: Request, version_id: str) -> Response:
        """The version's pipeline runs, newest first (reviewers and managers)."""
        version, _ = version_for(request.user, version_id, needed=Role.REVIEWER)
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.runs_of(version=version), request, view=self)
        return paginator.get_paginated_response(RunOutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={202: RunStartedSerializer})
    def post(self, request: Request, version_id: str) -> Response:
        """Start a pipeline on the version (managers): 202 with the job; its result counts
        units computed, reused and failed. `run` in the body names the run to poll."""
        version, _ = version_for(request.user, version_id, needed=Role.REVIEWER)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        job = services.pipeline_run_request(
            version=version, user=request.user, pipeline=payload.validated_data["pipeline"]
        )
        response = job_accepted(job)
        response.data["run"] = job.params["run"]
        return response


class PipelineRunDetailApi(APIView):
    @extend_schema(responses=RunDetailOutputSerializer)
    def get(self, request: Request, run_id: int) -> Response:
        """Counts, units per step and state (progress), and quarantined units with errors."""
        run = selectors.run_for(request.user, run_id)
        return Response(RunDetailOutputSerializer(run).data)


class VersionFeaturesApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "step", str, required=True, description="a per-item step", pattern=r"^\w+$"
            ),
            OpenApiParameter("as", str, description="`parquet`: the table as a Parquet file"),
        ],
        responses=FeatureRowSerializer(many=True),
    )
    def get(self, request: Request, version_id: str) -> HttpResponseBase:
        """A page of one step's outputs for the version's items (from its latest finished
        run): one row per item, a field per output field; with `as=parquet`, the whole
        feature table as a Parquet file (`item_id` joins the version's Parquet export)."""
        version, _ = version_for(request.user, version_id, needed=Role.REVIEWER)
        step = request.query_params.get("step", "")
        if not step:
            raise Invalid({"step": ["Name the step, e.g. ?step=image_stats."]})
        if request.query_params.get("as") == "parquet":  # the whole table, as a Parquet file
            key = selectors.feature_table_key(version=version, step=step)
            if key is None:
                raise NotFound(f"No finished run of {step} on this version yet.")
            response = object_response(
                request, key=key, etag=key.rsplit("/", 1)[-1], mime="application/vnd.apache.parquet"
            )
            if response.status_code == 200:
                name = f"{version.pk[:12]}-{step}.parquet"
                response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        rows = selectors.feature_rows(version=version, step=step)
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(page)


class VersionSqlApi(APIView):
    class InputSerializer(serializers.Serializer):
        sql = serializers.CharField(max_length=20000)
        max_rows = serializers.IntegerField(
            min_value=1, max_value=selectors.SQL_MAX_ROWS, default=selectors.SQL_MAX_ROWS
        )

    @extend_schema(request=InputSerializer, responses=SqlResultSerializer)
    def post(self, request: Request, version_id: str) -> Response:
        """One read-only SELECT over the version's tables: `items`, `shapes` and a table per
        per-item feature step. Files, URLs and settings are out of reach; time and rows are
        limited. -> {columns, rows, truncated}"""
        version, _ = version_for(request.user, version_id, needed=Role.REVIEWER)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = selectors.version_sql(
            version=version,
            sql=payload.validated_data["sql"],
            max_rows=payload.validated_data["max_rows"],
        )
        return Response(
            {
                "columns": result.columns,
                "rows": [list(row) for row in result.rows],
                "truncated": result.truncated,
            }
        )


class ProjectFeaturesApi(APIView):
    @extend_schema(responses={200: dict})
    def get(self, request: Request, project_id: int) -> Response:
        """The features the project's items have (managers): what the item list filters and
        sorts by (`?feature=&min=&max=&order=`) and what can order the queue."""
        project_for(request.user, project_id, needed=Role.MANAGER)
        return Response({"features": item_features.feature_names(project_id=project_id)})


class ProjectQueuePriorityApi(APIView):
    @extend_schema_serializer(component_name="QueuePriorityRequest")
    class InputSerializer(serializers.Serializer):
        feature = serializers.CharField(max_length=128, allow_null=True)
        order = serializers.ChoiceField(choices=QueueOrder.choices, default=QueueOrder.DESC)

    @staticmethod
    def _data(chosen: QueuePriority | None) -> dict[str, Any]:
        if chosen is None:
            return {"feature": None, "order": QueueOrder.DESC}
        return {"feature": chosen.feature, "order": chosen.order}

    @extend_schema(responses={200: dict})
    def get(self, request: Request, project_id: int) -> Response:
        """The feature the queue hands items out by, or null (default order); managers."""
        project, _ = project_for(request.user, project_id, needed=Role.MANAGER)
        return Response(self._data(item_features.queue_priority_of(project=project)))

    @extend_schema(request=InputSerializer, responses={200: dict})
    def put(self, request: Request, project_id: int) -> Response:
        """Hand out items by a feature first (`desc`: highest first), or `feature: null` for
        the default order; re-applied whenever a run changes that feature (managers)."""
        project, _ = project_for(request.user, project_id, needed=Role.MANAGER)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        chosen = item_features.queue_priority_set(
            project=project, user=request.user, **payload.validated_data
        )
        return Response(self._data(chosen))
