"""Projects, members and items (v1): each view validates, calls a service, serializes."""

from typing import Any

from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.pagination import paginated_response
from projects import services
from projects.access import item_for, project_for, require_project_creator
from projects.item_features import FEATURE_FIELD, item_features
from projects.item_features import PARAMETERS as FEATURE_PARAMETERS
from projects.item_roles import ROLE_FIELD, item_roles
from projects.models import Item, ItemRole, Project, Role
from projects.selectors import items_visible_to, project_members, projects_visible_to
from storage.serving import asset_image_response, asset_thumbnail_response


class LabelSerializer(serializers.Serializer):
    id = serializers.CharField(
        required=False, help_text="Stable class id; shapes refer to it as label_id."
    )
    name = serializers.CharField()
    color = serializers.CharField(required=False)
    kind = serializers.CharField(required=False)
    attributes = serializers.ListField(child=serializers.DictField(), required=False)
    keypoints = serializers.ListField(child=serializers.CharField(), required=False)
    skeleton = serializers.ListField(child=serializers.ListField(), required=False)
    group = serializers.CharField(
        required=False, allow_null=True, default=None, help_text="Tag classes: the tag group."
    )
    group_choice = serializers.ChoiceField(
        choices=["single", "multi"], required=False, allow_null=True, default=None
    )


class ProjectOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    guidelines = serializers.CharField()
    labels = LabelSerializer(many=True)
    overlap = serializers.IntegerField()
    qc_threshold = serializers.FloatField()
    qc_min_gold_items = serializers.IntegerField()
    gold_rate = serializers.FloatField()
    gold_rate_initial = serializers.FloatField()
    gold_initial_items = serializers.IntegerField()
    exam_enabled = serializers.BooleanField()
    exam_items = serializers.IntegerField()
    exam_pass_accuracy = serializers.FloatField()
    exam_retry_minutes = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    item_count = serializers.IntegerField(required=False)
    my_role = serializers.SerializerMethodField()

    def get_my_role(self, project: Project) -> str | None:
        roles: dict[int, str] = self.context.get("roles", {})
        return roles.get(project.pk)


class ProjectListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        guidelines = serializers.CharField(required=False, allow_blank=True, default="")
        labels = serializers.JSONField(default=list)
        overlap = serializers.IntegerField(min_value=1, max_value=50, default=1)

    @extend_schema(responses=ProjectOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        projects = projects_visible_to(user=request.user)
        roles = dict(request.user.memberships.values_list("project_id", "role"))
        return paginated_response(
            request, projects, ProjectOutputSerializer, context={"roles": roles}
        )

    @extend_schema(request=InputSerializer, responses={201: ProjectOutputSerializer})
    def post(self, request: Request) -> Response:
        require_project_creator(request.user)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        project = services.project_create(creator=request.user, **payload.validated_data)
        data = ProjectOutputSerializer(project, context={"roles": {project.pk: Role.MANAGER}}).data
        return Response(data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200, required=False)
        description = serializers.CharField(required=False, allow_blank=True)
        guidelines = serializers.CharField(required=False, allow_blank=True)
        labels = serializers.JSONField(
            required=False,
            help_text="Classes keep their id: send it back to rename one; a class without id "
            "is new (or the class of the same name).",
        )
        overlap = serializers.IntegerField(min_value=1, max_value=50, required=False)
        delete_in_use = serializers.BooleanField(
            required=False,
            help_text="Delete classes that still have shapes, removing those shapes (409 "
            "without it); `?force=1` does the same.",
        )
        qc_threshold = serializers.FloatField(min_value=0, max_value=1, required=False)
        qc_min_gold_items = serializers.IntegerField(min_value=1, max_value=10000, required=False)
        gold_rate = serializers.FloatField(min_value=0, max_value=1, required=False)
        gold_rate_initial = serializers.FloatField(min_value=0, max_value=1, required=False)
        gold_initial_items = serializers.IntegerField(min_value=0, max_value=10000, required=False)
        exam_enabled = serializers.BooleanField(required=False)
        exam_items = serializers.IntegerField(min_value=1, max_value=1000, required=False)
        exam_pass_accuracy = serializers.FloatField(min_value=0, max_value=1, required=False)
        exam_retry_minutes = serializers.IntegerField(min_value=0, max_value=100000, required=False)

    @extend_schema(responses=ProjectOutputSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project, role = project_for(request.user, project_id, needed=Role.ANNOTATOR)
        return Response(
            ProjectOutputSerializer(project, context={"roles": {project.pk: role}}).data
        )

    @extend_schema(
        request=InputSerializer,
        responses=ProjectOutputSerializer,
        parameters=[OpenApiParameter("force", str, description="1: same as delete_in_use")],
    )
    def patch(self, request: Request, project_id: int) -> Response:
        project, role = project_for(request.user, project_id, needed=Role.MANAGER)
        payload = self.InputSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        fields = dict(payload.validated_data)
        force = request.query_params.get("force", "").lower() in ("1", "true", "yes")
        delete_in_use = bool(fields.pop("delete_in_use", False)) or force
        project = services.project_update(
            project=project, by=request.user, delete_in_use=delete_in_use, **fields
        )
        return Response(
            ProjectOutputSerializer(project, context={"roles": {project.pk: role}}).data
        )


class MemberOutputSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    role = serializers.CharField()
    paused_at = serializers.DateTimeField(allow_null=True)
    paused_reason = serializers.CharField()


class ProjectMembersApi(APIView):
    pagination_class = None  # the whole list: a project has few members

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField()
        role = serializers.ChoiceField(choices=Role.choices)

    @extend_schema(responses=MemberOutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.REVIEWER)
        members = project_members(project=project)
        return Response(MemberOutputSerializer(members, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: MemberOutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.MANAGER)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        membership = services.member_set(project=project, **payload.validated_data)
        return Response(MemberOutputSerializer(membership).data, status=status.HTTP_201_CREATED)


class ProjectMemberDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int, user_id: int) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.MANAGER)
        services.member_remove(project=project, user_id=user_id, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssetOutputSerializer(serializers.Serializer):
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    mime = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class ItemOutputSerializer(serializers.Serializer):
    """What every member sees of an item: nothing in it says whether it is gold or training."""

    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    name = serializers.CharField()
    split = serializers.CharField()
    metadata = serializers.JSONField()
    asset = AssetOutputSerializer()
    image_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_image_url(self, item: Item) -> str:
        return f"/api/v1/items/{item.pk}/image/"

    def get_thumbnail_url(self, item: Item) -> str:
        return f"/api/v1/items/{item.pk}/thumbnail/"


class ManagerItemOutputSerializer(ItemOutputSerializer):
    """Managers also see the item's role: task, gold (hidden QC) or training."""

    role = serializers.CharField(source=ROLE_FIELD)


class FeatureItemOutputSerializer(ManagerItemOutputSerializer):
    """In a list filtered or sorted by a feature: its value for the item."""

    feature = serializers.FloatField(source=FEATURE_FIELD)


def item_data(items: list[Item], *, role: str) -> Any:
    """Items as their caller may see them (the role only for managers), in the given order."""
    if role != Role.MANAGER:
        return ItemOutputSerializer(items, many=True).data
    by_id = {
        item.pk: item
        for item in item_roles().with_role(
            Item.objects.select_related("asset").filter(pk__in=[item.pk for item in items])
        )
    }
    return ManagerItemOutputSerializer([by_id[item.pk] for item in items], many=True).data


class RefusedFileSerializer(serializers.Serializer):
    name = serializers.CharField()
    reason = serializers.CharField()


class UploadOutputSerializer(serializers.Serializer):
    items = ManagerItemOutputSerializer(many=True, help_text="New and already present items.")
    created = serializers.IntegerField(help_text="How many items are new.")
    duplicates = serializers.IntegerField(help_text="Files already in the project.")
    refused = RefusedFileSerializer(many=True)


class ProjectItemsApi(APIView):
    class InputSerializer(serializers.Serializer):
        file = serializers.ListField(child=serializers.FileField(), required=False)
        archive = serializers.FileField(required=False, allow_null=True)
        role = serializers.ChoiceField(choices=ItemRole.choices, default=ItemRole.TASK)
        split = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)

    @extend_schema(responses=ManagerItemOutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        _, my_role = project_for(request.user, project_id, needed=Role.ANNOTATOR)
        items = items_visible_to(user=request.user, project_id=project_id).order_by("id")
        if my_role != Role.MANAGER:
            # The role filter is a manager's tool; for anyone else it must change nothing.
            return paginated_response(request, items, ItemOutputSerializer)
        items = item_roles().with_role(items)
        role = request.query_params.get("role")
        if role:
            items = items.filter(**{ROLE_FIELD: role})
        if request.query_params.get("feature"):  # filter and sort by a pipeline's feature
            params = {name: request.query_params.get(name, "") for name in FEATURE_PARAMETERS}
            items = item_features().apply(items, project_id=project_id, params=params)
            return paginated_response(request, items, FeatureItemOutputSerializer)
        return paginated_response(request, items, ManagerItemOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: UploadOutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        """Store every good image and refuse each bad one with its reason (201); 400 only when
        every file was refused, or the request itself breaks a limit."""
        project, _ = project_for(request.user, project_id, needed=Role.MANAGER)
        payload = self.InputSerializer(
            data={
                "file": request.FILES.getlist("file"),
                "archive": request.FILES.get("archive"),
                "role": request.data.get("role", ItemRole.TASK),
                "split": request.data.get("split", ""),
            }
        )
        payload.is_valid(raise_exception=True)
        report = services.items_upload_report(
            project=project,
            files=[(upload.name, upload) for upload in payload.validated_data.get("file") or []],
            archive=payload.validated_data.get("archive"),
            role=payload.validated_data["role"],
            split=payload.validated_data["split"],
        )
        body = {
            "items": item_data(report.items, role=Role.MANAGER),
            "created": report.created,
            "duplicates": report.duplicates,
            "refused": [{"name": r.name, "reason": r.reason} for r in report.refused],
        }
        return Response(body, status=status.HTTP_201_CREATED)


class ItemDetailApi(APIView):
    @extend_schema(responses=ItemOutputSerializer)
    def get(self, request: Request, item_id: int) -> Response:
        item, role = item_for(request.user, item_id, needed=Role.ANNOTATOR)
        return Response(item_data([item], role=role)[0])


class ItemImageApi(APIView):
    @extend_schema(responses={(200, "image/*"): bytes})
    def get(self, request: Request, item_id: int) -> HttpResponseBase:
        item, _ = item_for(request.user, item_id, needed=Role.ANNOTATOR)
        return asset_image_response(request, asset=item.asset)


class ItemThumbnailApi(APIView):
    @extend_schema(responses={(200, "image/webp"): bytes})
    def get(self, request: Request, item_id: int) -> HttpResponseBase:
        item, _ = item_for(request.user, item_id, needed=Role.ANNOTATOR)
        return asset_thumbnail_response(request, asset=item.asset)
