from typing import Any

from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 1000


def paginated_response(
    request: Request,
    queryset: QuerySet[Any],
    serializer_class: type[Serializer[Any]],
    *,
    context: dict[str, Any] | None = None,
) -> Response:
    """One page of `queryset` as {count, next, previous, results}, the shape of every list."""
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request)
    data = serializer_class(page, many=True, context=context or {}).data
    return paginator.get_paginated_response(data)
