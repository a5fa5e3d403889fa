"""annotate's events: published after commit with ids only, never on a rollback, and a failing
handler never fails the request."""

import pytest
from django.db import transaction

from annotate.events import annotation_reviewed, annotation_submitted, subscribe
from annotate.services import annotation_submit
from tests.annotate.factories import document_saved, document_submitted
from tests.projects.factories import items_add

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


@pytest.fixture
def heard():
    """Record what the events carry: a subscriber like quality's, removed afterwards."""
    calls: list[tuple[str, dict]] = []
    handlers = {
        annotation_submitted: lambda **payload: calls.append(("submitted", payload)),
        annotation_reviewed: lambda **payload: calls.append(("reviewed", payload)),
    }
    for event, handler in handlers.items():
        subscribe(event, handler)
    yield calls
    for event, handler in handlers.items():
        event.handlers.remove(handler)


def test_submit_and_review_publish_ids_after_commit(
    project, annotator, reviewer, api, heard, django_capture_on_commit_callbacks
):
    (item,) = items_add(project)
    document_saved(item, annotator)

    with django_capture_on_commit_callbacks(execute=True):
        submitted = api(annotator).post(f"/api/v1/items/{item.pk}/annotation/submit/").json()
    with django_capture_on_commit_callbacks(execute=True):
        api(reviewer).post(
            f"/api/v1/annotations/{submitted['id']}/review/", {"decision": "reject"}, format="json"
        )

    ids = {"document_id": submitted["id"], "item_id": item.pk, "user_id": annotator.pk}
    assert heard == [
        ("submitted", ids),
        ("reviewed", {**ids, "reviewer_id": reviewer.pk, "decision": "reject"}),
    ]


def test_a_rolled_back_submit_publishes_nothing(
    project, annotator, heard, django_capture_on_commit_callbacks
):
    (item,) = items_add(project)
    document_saved(item, annotator)

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                annotation_submit(user=annotator, item=item)
                raise RuntimeError("something later in the transaction failed")
        except RuntimeError:
            pass

    assert heard == []


def test_a_failing_handler_is_logged_and_the_submit_still_succeeds(
    project, annotator, api, django_capture_on_commit_callbacks, caplog
):
    def broken(**payload: object) -> None:
        raise ValueError("handler bug")

    subscribe(annotation_submitted, broken)
    try:
        (item,) = items_add(project)
        with django_capture_on_commit_callbacks(execute=True):
            response = api(annotator).post(f"/api/v1/items/{item.pk}/annotation/submit/")
    finally:
        annotation_submitted.handlers.remove(broken)

    assert response.status_code == 200
    assert "failed for" in caplog.text and "handler bug" in caplog.text


def test_submitting_again_publishes_again(
    project, annotator, heard, django_capture_on_commit_callbacks
):
    (item,) = items_add(project)
    with django_capture_on_commit_callbacks(execute=True):
        document_submitted(item, annotator)
        annotation_submit(user=annotator, item=item)

    assert [name for name, _ in heard] == ["submitted", "submitted"]
