from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import NotFound
from projects.access import item_for
from projects.models import Role
from quality.models import GoldAnswer
from quality.services import gold_set


class GoldOutputSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item_id")
    shapes = serializers.JSONField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.source
    updated_at = serializers.DateTimeField()


class ItemGoldApi(APIView):
    """The gold answer of an item: managers only (annotators get 403, outsiders 404)."""

    class InputSerializer(serializers.Serializer):
        shapes = serializers.JSONField()

    @extend_schema(responses=GoldOutputSerializer)
    def get(self, request: Request, item_id: int) -> Response:
        item, _ = item_for(request.user, item_id, needed=Role.MANAGER)
        gold = GoldAnswer.objects.filter(item=item).first()
        if gold is None:
            raise NotFound("This item has no gold answer.")
        return Response(GoldOutputSerializer(gold).data)

    @extend_schema(request=InputSerializer, responses=GoldOutputSerializer)
    def put(self, request: Request, item_id: int) -> Response:
        item, _ = item_for(request.user, item_id, needed=Role.MANAGER)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        gold = gold_set(item=item, shapes=payload.validated_data["shapes"], author=request.user)
        return Response(GoldOutputSerializer(gold).data)
