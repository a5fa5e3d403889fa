"""The OpenAPI schema, project-wide: unique component names, paginated lists documented as
pages, and the error responses every operation can give, in one shared `Error` component.

- A serializer nested in a view is named after the view: ``ProjectItemsApi.InputSerializer`` is
  ``ProjectItemsRequest``, ``ItemPredictionsApi.OutputSerializer`` is ``ItemPredictions`` and
  ``VersionDiffApi.RowSerializer`` is ``VersionDiffRow`` (explicit ``component_name`` wins).
- A list answered by GET is a page of ``common.pagination.Pagination`` ({count, next,
  previous, results}); a view whose list is not paginated says ``pagination_class = None``.
- Errors: 400 where there is input (a body or query parameters), 401/403 where login is needed,
  404 on paths naming an object and on pages past the end, 409 on writes, 412/428 where an
  If-Match header is taken, and whatever else a view lists in ``extend_schema(responses=...)``
  (e.g. ``error_responses(429)``).
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from common.pagination import Pagination

ERROR_MEANINGS = {
    400: "Invalid input: `detail` sums it up, `errors` holds the messages by field.",
    401: "Not logged in: send `Authorization: Token <key>` (POST /api/v1/auth/token/).",
    403: "Logged in, but your role in the project does not allow this.",
    404: "No such object, or not one you may see; or a page past the last one.",
    409: "Conflicts with the object's current state (e.g. already accepted, a duplicate).",
    412: "If-Match names a version that is no longer current; `current_version` says which is.",
    428: 'An If-Match header is required: the version you loaded, e.g. "3".',
    429: "Too many attempts; `Retry-After` says how many seconds to wait.",
}


class ErrorSerializer(serializers.Serializer[Any]):
    """Every error answer: one readable sentence, and for 400 the messages by field. Some
    errors add fields (e.g. `current_version` on 412, `refused` on a refused upload)."""

    detail = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]  # named like Serializer.errors
        required=False, help_text="Field path -> messages (nested for lists of objects)."
    )


PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="A page number (from 1)."),
    OpenApiParameter(
        "page_size", int, description=f"Rows per page, at most {Pagination.max_page_size}."
    ),
]


def page_serializer(
    name: str,
    results: serializers.Field[Any, Any, Any, Any],
    **more: serializers.Field[Any, Any, Any, Any],
) -> Any:
    """A page's serializer, for a list view that adds its own fields to the page (e.g. a diff's
    totals): {count, next, previous, results, **more}, as component `name`."""
    fields = {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": results,
        **more,
    }
    return extend_schema_serializer(component_name=name)(
        type(name, (serializers.Serializer,), fields)
    )


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Error answers to list beside an operation's own in extend_schema(responses=...)."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=ERROR_MEANINGS[code]) for code in codes
    }


class LoupeAutoSchema(AutoSchema):
    def get_serializer_name(self, serializer: serializers.Serializer[Any], direction: Any) -> str:
        outer, _, inner = type(serializer).__qualname__.rpartition(".")
        if not outer or "<locals>" in outer:
            return super().get_serializer_name(serializer, direction)
        view = outer.rsplit(".", 1)[-1].removesuffix("Api")
        role = inner.removesuffix("Serializer")
        return view if role in ("Input", "Output", "") else f"{view}{role}"

    def _get_serializer_name(
        self, serializer: Any, direction: Any, bypass_extensions: bool = False
    ) -> str:
        # component_name="VersionTagRequest" stays that, not VersionTagRequestRequest.
        name: str = super()._get_serializer_name(serializer, direction, bypass_extensions)
        return name.removesuffix("Request") if name.endswith("RequestRequest") else name

    def _get_paginator(self) -> Any:
        if self.method != "GET":
            return None
        pagination_class = getattr(self.view, "pagination_class", Pagination)
        return pagination_class() if pagination_class else None

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if str(code) not in responses:
                described = error_responses(code)[code]
                responses[str(code)] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    described, str(code), direction=direction
                )
        return responses

    def _error_codes(self) -> list[int]:
        codes = []
        writes = self.method in ("POST", "PUT", "PATCH", "DELETE")
        has_query = any(p.get("in") == "query" for p in self._get_parameters())
        if writes or has_query:
            codes.append(400)
        open_to_all = any(p is AllowAny for p in self.view.permission_classes)
        if not open_to_all:
            codes += [401, 403]
        if "{" in self.path or self._is_list_view():
            codes.append(404)
        if writes:
            codes.append(409)
        if any(p.get("name") == "If-Match" for p in self._get_parameters()):
            codes += [412, 428]
        return codes
