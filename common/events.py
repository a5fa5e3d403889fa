"""Explicit after-commit events: how an app on the left tells one on its right that something
happened without importing it (DESIGN.md, "Layout and boundaries").

The publishing app declares its events; the reacting app subscribes in its `AppConfig.ready`.
Payloads carry ids and primitives only: a handler loads what it needs, so it never sees rows
from a transaction that rolled back. A failing handler is logged and never fails the request:
whatever it computes (a score, a release) can be recomputed later.
"""

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

Handler = Callable[..., object]


class Event:
    def __init__(self, name: str) -> None:
        self.name = name
        self.handlers: list[Handler] = []

    def __repr__(self) -> str:
        return f"Event({self.name!r})"


def subscribe(event: Event, handler: Handler) -> None:
    """Idempotent: `ready()` can run more than once (tests, management commands)."""
    if handler not in event.handlers:
        event.handlers.append(handler)


def publish(event: Event, **payload: Any) -> None:
    """Run every handler once the current transaction commits (at once outside one)."""
    for handler in list(event.handlers):
        transaction.on_commit(partial(_run, event, handler, payload))


def _run(event: Event, handler: Handler, payload: dict[str, Any]) -> None:
    try:
        handler(**payload)
    except Exception:
        logger.exception("handler %r of %s failed for %r", handler, event.name, payload)
