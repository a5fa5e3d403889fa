"""Annotator activity features from the activity log: time per item, edits, sessions per day.

Events are plain dicts `{"user", "item", "verb", "at"}` with `at` an ISO 8601 timestamp (with
offset; naive ones are read as UTC). A user's events more than 30 minutes apart start a new
session. The time between two consecutive events of a session is spent on the later event's item
(the time it took to reach that action); a session's first event adds no time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pipelines.inputs import DatasetInputs
from pipelines.steps import step

SESSION_GAP = timedelta(minutes=30)
EDIT_VERBS = frozenset({"saved"})
DECIMALS = 3


def _parse(at: Any) -> datetime:
    moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def activity_features(events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    by_user: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
    for event in events:
        item = "" if event.get("item") is None else str(event["item"])
        by_user[str(event["user"])].append((_parse(event["at"]), item, str(event["verb"])))
    items: dict[str, _ItemTotals] = defaultdict(_ItemTotals)
    users = {
        user: _user_features(user, sorted(user_events), items)
        for user, user_events in sorted(by_user.items())
    }
    return {
        "users": users,
        "items": {
            item: {
                "seconds": round(totals.seconds, DECIMALS),
                "edits": totals.edits,
                "annotators": len(totals.annotators),
            }
            for item, totals in sorted(items.items())
        },
    }


class _ItemTotals:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.edits = 0
        self.annotators: set[str] = set()


def _user_features(
    user: str, events: list[tuple[datetime, str, str]], items: dict[str, _ItemTotals]
) -> dict[str, Any]:
    """One user's figures from their events in time order; adds to the per-item totals."""
    seconds_by_item: dict[str, float] = defaultdict(float)
    sessions_per_day: dict[str, int] = defaultdict(int)
    edits = 0
    previous: datetime | None = None
    for moment, item, verb in events:
        if previous is None or moment - previous > SESSION_GAP:
            sessions_per_day[moment.astimezone(UTC).date().isoformat()] += 1
        elif item:
            seconds_by_item[item] += (moment - previous).total_seconds()
        previous = moment
        if item:
            seconds_by_item[item] += 0.0  # seen, even when no time accrues
            items[item].annotators.add(user)
            if verb in EDIT_VERBS:
                edits += 1
                items[item].edits += 1
    for item, seconds in seconds_by_item.items():
        items[item].seconds += seconds
    active = sum(seconds_by_item.values())
    return {
        "events": len(events),
        "items": len(seconds_by_item),
        "edits": edits,
        "active_seconds": round(active, DECIMALS),
        "seconds_per_item": round(active / len(seconds_by_item), DECIMALS)
        if seconds_by_item
        else 0.0,
        "sessions": sum(sessions_per_day.values()),
        "sessions_per_day": dict(sorted(sessions_per_day.items())),
    }


@step(name="annotator_activity", version=1, inputs=("activity",), granularity="dataset")
def annotator_activity(inputs: DatasetInputs) -> dict[str, Any]:
    return activity_features(inputs.source("activity"))
