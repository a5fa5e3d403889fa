"""Domain errors become HTTP once, at the edge: the same JSON shape for every one of them."""

import pytest
from django.test import RequestFactory

from common import errors
from common.api import DomainErrorMiddleware, domain_error_response


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (errors.NotFound("No such item."), 404, {"detail": "No such item."}),
        (errors.PermissionDenied("Managers only."), 403, {"detail": "Managers only."}),
        (errors.Conflict("Already accepted."), 409, {"detail": "Already accepted."}),
        (
            errors.StaleVersion("Reload.", current_version=7),
            412,
            {"detail": "Reload.", "current_version": 7},
        ),
        (
            errors.Invalid({"shapes": {"2": {"points": ["Box needs 4 numbers."]}}}),
            400,
            {
                "detail": "shapes.2.points: Box needs 4 numbers.",
                "errors": {"shapes": {"2": {"points": ["Box needs 4 numbers."]}}},
            },
        ),
        (
            errors.Invalid("Not an image.", field="file"),
            400,
            {"detail": "file: Not an image.", "errors": {"file": ["Not an image."]}},
        ),
    ],
)
def test_each_domain_error_has_one_status_and_body(
    error: errors.DomainError, status: int, body: dict[str, object]
) -> None:
    response = domain_error_response(error)
    assert (response.status_code, response.data) == (status, body)


def test_a_rate_limit_says_when_to_come_back() -> None:
    response = domain_error_response(errors.RateLimited(retry_after=30))
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert response.data == {"detail": "Too many attempts; try again later."}


def test_an_invalid_error_keeps_the_plain_message_for_non_http_callers() -> None:
    error = errors.Invalid("Not an image.", field="file")
    assert str(error) == "Not an image."
    assert error.errors == {"file": ["Not an image."]}


@pytest.mark.parametrize(
    ("error", "status"),
    [(errors.NotFound("gone"), 404), (errors.PermissionDenied("no"), 403)],
)
def test_pages_turn_not_found_and_permission_errors_into_django_pages(
    error: errors.DomainError, status: int
) -> None:
    middleware = DomainErrorMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    response = middleware.process_exception(RequestFactory().get("/projects/1/"), error)
    assert response is not None and response.status_code == status


def test_pages_leave_other_errors_to_django() -> None:
    middleware = DomainErrorMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    request = RequestFactory().get("/")
    assert middleware.process_exception(request, errors.Conflict("x")) is None
    assert middleware.process_exception(request, ValueError("x")) is None
