import pipelines.builtin  # noqa: F401 - registers the built-in steps
from pipelines.builtin.activity import activity_features
from pipelines.dag import build_dag
from pipelines.inputs import DatasetSource
from pipelines.runner import MemoryStore, run

EVENTS = [
    {"user": 1, "item": 10, "verb": "opened", "at": "2026-11-01T09:00:00Z"},
    {"user": 1, "item": 10, "verb": "saved", "at": "2026-11-01T09:00:30Z"},
    {"user": 1, "item": 10, "verb": "submitted", "at": "2026-11-01T09:01:00Z"},
    {"user": 1, "item": 20, "verb": "opened", "at": "2026-11-01T09:01:10Z"},
    {"user": 1, "item": 20, "verb": "saved", "at": "2026-11-01T09:02:10Z"},
    # 58 minutes later: a new session, whose first event adds no time.
    {"user": 1, "item": 30, "verb": "opened", "at": "2026-11-01T10:00:00Z"},
    {"user": 1, "item": 30, "verb": "saved", "at": "2026-11-01T10:00:20Z"},
    {"user": 1, "item": 10, "verb": "opened", "at": "2026-11-02T08:00:00Z"},
    # User 2 in another time zone and with a naive (UTC) stamp; 30 minutes exactly is one session.
    {"user": 2, "item": 10, "verb": "opened", "at": "2026-11-01T10:00:00+01:00"},
    {"user": 2, "item": 10, "verb": "saved", "at": "2026-11-01T09:29:59"},
    {"user": 2, "item": 10, "verb": "saved", "at": "2026-11-01T09:59:59Z"},
    {"user": 2, "item": None, "verb": "skipped", "at": "2026-11-01T23:50:00Z"},
]


def test_time_per_item_edits_and_sessions_per_day() -> None:
    assert activity_features(EVENTS) == {
        "users": {
            "1": {
                "events": 8,
                "items": 3,
                "edits": 3,
                "active_seconds": 150.0,
                "seconds_per_item": 50.0,
                "sessions": 3,
                "sessions_per_day": {"2026-11-01": 2, "2026-11-02": 1},
            },
            "2": {
                "events": 4,
                "items": 1,
                "edits": 2,
                "active_seconds": 3599.0,
                "seconds_per_item": 3599.0,
                "sessions": 2,
                "sessions_per_day": {"2026-11-01": 2},
            },
        },
        "items": {
            "10": {"seconds": 3659.0, "edits": 3, "annotators": 2},
            "20": {"seconds": 70.0, "edits": 1, "annotators": 1},
            "30": {"seconds": 20.0, "edits": 1, "annotators": 1},
        },
    }


def test_event_order_in_the_log_does_not_matter() -> None:
    assert activity_features(list(reversed(EVENTS))) == activity_features(EVENTS)


def test_step_recomputes_only_when_the_log_changes() -> None:
    dag = build_dag(["annotator_activity"])
    store = MemoryStore()

    first = run(dag, [], store, sources={"activity": DatasetSource.of(EVENTS)})
    same = run(dag, [], store, sources={"activity": DatasetSource.of(list(EVENTS))})
    grown = run(dag, [], store, sources={"activity": DatasetSource.of(EVENTS + EVENTS[:1])})

    assert (first.computed, same.computed, grown.computed) == (1, 0, 1)
    assert store.outputs[first.dataset_keys["annotator_activity"]] == activity_features(EVENTS)
