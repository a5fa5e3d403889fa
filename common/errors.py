"""Domain errors: what services, tasks and commands raise. Plain Python, no HTTP.

The API edge (`common.api.exception_handler`) and the page middleware
(`common.api.DomainErrorMiddleware`) turn them into responses once, so a Celery task or a
management command calls the same services and meets the same rules without speaking HTTP.
"""

from typing import Any


class DomainError(Exception):
    """Base class. `message` is one readable sentence; `extra` adds fields to the JSON body."""

    default_message = "The request could not be carried out."

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        self.message = message or self.default_message
        self.extra = extra
        super().__init__(self.message)


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it does."""

    default_message = "Not found."


class PermissionDenied(DomainError):
    """The caller may see the object but not do this to it."""

    default_message = "You may not do this."


class Conflict(DomainError):
    """The request conflicts with the object's current state (e.g. it was already accepted)."""

    default_message = "The request conflicts with the current state."


class StaleVersion(Conflict):
    """An optimistic write carried a version that is no longer current; nothing was changed."""

    default_message = "The document changed since you loaded it."

    def __init__(self, message: str | None = None, *, current_version: int) -> None:
        super().__init__(message, current_version=current_version)
        self.current_version = current_version


class Invalid(DomainError):
    """Input that breaks a rule, with messages keyed by field (nested for lists of objects)."""

    default_message = "The input is not valid."

    def __init__(self, errors: dict[str, Any] | str, *, field: str = "non_field_errors") -> None:
        self.errors: dict[str, Any] = errors if isinstance(errors, dict) else {field: [errors]}
        super().__init__(errors if isinstance(errors, str) else first_message(errors))


class RateLimited(DomainError):
    default_message = "Too many attempts; try again later."

    def __init__(self, message: str | None = None, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def first_message(errors: Any, path: str = "") -> str:
    """A readable one-line summary such as 'shapes.0.points: Box needs 4 numbers.'"""
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = key if key not in ("non_field_errors", "detail") else ""
            return first_message(value, f"{path}.{name}".strip(".") if name else path)
    if isinstance(errors, list) and errors:
        return first_message(errors[0], path)
    text = str(errors)
    return f"{path}: {text}" if path else text
