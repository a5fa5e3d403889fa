"""The API edge: one JSON error shape, {"detail": message, "errors": {field: [messages]}}, and
the one place where domain errors become HTTP statuses (pages get Django's 404/403 pages)."""

import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common import errors

STATUS_OF: list[tuple[type[errors.DomainError], int]] = [
    # Most specific first: StaleVersion is a Conflict.
    (errors.StaleVersion, status.HTTP_412_PRECONDITION_FAILED),
    (errors.Conflict, status.HTTP_409_CONFLICT),
    (errors.NotFound, status.HTTP_404_NOT_FOUND),
    (errors.PermissionDenied, status.HTTP_403_FORBIDDEN),
    (errors.Invalid, status.HTTP_400_BAD_REQUEST),
    (errors.RateLimited, status.HTTP_429_TOO_MANY_REQUESTS),
]
IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = 'This request needs an If-Match header with the version you loaded, e.g. "3".'
    default_code = "if_match_required"


def if_match_version_or_none(request: Request) -> int | None:
    """The If-Match version when the header holds one, else None (for a read made before the
    header is checked; if_match_version then says what is wrong with it)."""
    match = IF_MATCH.match(request.headers.get("If-Match") or "")
    return None if match is None else int(match.group(1))


def if_match_version(request: Request) -> int:
    """The version an optimistic write was based on, from its If-Match header."""
    header = request.headers.get("If-Match")
    if header is None:
        raise PreconditionRequired()
    match = IF_MATCH.match(header)
    if match is None:
        raise errors.Invalid({"If-Match": ['Expected the version as an ETag, e.g. "3".']})
    return int(match.group(1))


def domain_error_response(exc: errors.DomainError) -> Response:
    code = next(code for kind, code in STATUS_OF if isinstance(exc, kind))
    body: dict[str, Any] = {"detail": exc.message}
    if isinstance(exc, errors.Invalid):
        # The same summary as DRF's own validation errors: the field path, then the message.
        body = {"detail": errors.first_message(exc.errors), "errors": exc.errors}
    body.update(exc.extra)
    response = Response(body, status=code)
    if isinstance(exc, errors.RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, errors.DomainError):
        return domain_error_response(exc)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        field_errors = response.data
        if isinstance(field_errors, list):
            field_errors = {"non_field_errors": field_errors}
        response.data = {"detail": errors.first_message(field_errors), "errors": field_errors}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {**response.data, "detail": str(response.data["detail"])}
    return response


class DomainErrorMiddleware:
    """Pages raise the same domain errors as the API; here they become Django's 404 and 403."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, errors.NotFound):
            return response_for_exception(request, Http404(exc.message))
        if isinstance(exc, errors.PermissionDenied):
            return response_for_exception(request, DjangoPermissionDenied(exc.message))
        return None
