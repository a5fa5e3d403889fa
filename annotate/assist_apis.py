"""POST /api/v1/items/{id}/assist/: GrabCut's outline of the object inside a box."""

import logging

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.assist import item_assist
from common import ratelimit
from common.errors import RateLimited
from projects.access import item_for
from projects.models import Role

logger = logging.getLogger(__name__)

# Each call costs tens to hundreds of ms of CPU: a generous per-user budget, shared by all
# workers (settings ASSIST_RATE_LIMIT per ASSIST_RATE_WINDOW_SECONDS may change it).
ASSIST_RATE_LIMIT = 120
ASSIST_RATE_WINDOW_SECONDS = 60


def assist_allowed(request: Request) -> None:
    """RateLimited past the budget; with the cache down the call goes through (logged)."""
    try:
        wait = ratelimit.hit(
            scope="assist",
            keys=[f"user:{request.user.pk}"],
            limit=getattr(settings, "ASSIST_RATE_LIMIT", ASSIST_RATE_LIMIT),
            window_seconds=getattr(
                settings, "ASSIST_RATE_WINDOW_SECONDS", ASSIST_RATE_WINDOW_SECONDS
            ),
        )
    except Exception:  # the cache (Redis) is unreachable: assist is a convenience, let it run
        logger.warning("assist rate limit skipped: cache unavailable", exc_info=True)
        return
    if wait is not None:
        raise RateLimited("Too many outline requests; try again shortly.", retry_after=wait)


class ItemAssistApi(APIView):
    class InputSerializer(serializers.Serializer):
        box = serializers.ListField(child=serializers.FloatField(), min_length=4, max_length=4)
        output = serializers.ChoiceField(choices=["polygon", "mask"], default="polygon")

    class OutputSerializer(serializers.Serializer):
        found = serializers.BooleanField()
        kind = serializers.CharField(required=False)
        points = serializers.ListField(child=serializers.FloatField(), required=False)
        rle = serializers.JSONField(required=False)
        detail = serializers.CharField(required=False)

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer},
        description=(
            "Propose the outline of the object inside `box` ([x, y, w, h] in image pixels) with "
            "GrabCut: a polygon (flat points) or a mask (bbox points and COCO RLE). When no "
            "object stands out from its background: `found` false and a `detail` to show."
        ),
    )
    def post(self, request: Request, item_id: int) -> Response:
        item, _ = item_for(request.user, item_id, needed=Role.ANNOTATOR)
        assist_allowed(request)
        proposal = item_assist(item=item, data=request.data)
        if proposal is None:
            detail = "No object could be told apart from its background in this box."
            return Response({"found": False, "detail": detail})
        return Response({"found": True, **proposal.as_json()})
