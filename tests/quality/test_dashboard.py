"""The Quality tab's figures: accuracy with its interval, status, items per hour, per-class
confusion, and the documents behind each number."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from annotate.models import ActivityEvent, AnnotationDocument
from projects.models import Membership
from quality.dashboard import SESSION_GAP, work_time
from tests.annotate.factories import box, document_saved
from tests.projects.factories import items_add, user_create
from tests.quality.factories import gold_add

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

TWO_CARS = [box("car", [0, 0, 20, 20]), box("car", [30, 0, 50, 20])]


def submitted(client, item, shapes, capture) -> AnnotationDocument:
    response = client.put(
        f"/api/v1/items/{item.pk}/annotation/",
        {"shapes": shapes},
        format="json",
        HTTP_IF_MATCH='"0"',
    )
    assert response.status_code == 201, response.content
    with capture(execute=True):
        response = client.post(f"/api/v1/items/{item.pk}/annotation/submit/")
    assert response.status_code == 200, response.content
    return AnnotationDocument.objects.get(pk=response.json()["id"])


def test_the_dashboard_gives_each_figure_with_the_documents_behind_it(
    project, manager, annotator, api, django_capture_on_commit_callbacks
):
    # given a gold item with two cars; bob calls one of them a person, carl gets both right
    carl = user_create("carl_annotator")
    project.memberships.create(user=carl, role="annotator")
    (gold,) = items_add(project, role="gold")
    gold_add(gold, manager, TWO_CARS)
    bobs = submitted(
        api(annotator),
        gold,
        [box("car", [0, 0, 20, 20]), box("person", [30, 0, 50, 20])],
        django_capture_on_commit_callbacks,
    )
    carls = submitted(api(carl), gold, TWO_CARS, django_capture_on_commit_callbacks)
    Membership.objects.filter(project=project, user=carl).update(
        paused_at=timezone.now(), paused_reason="too many misses"
    )

    # when the manager reads the dashboard
    response = api(manager).get(f"/api/v1/projects/{project.pk}/quality/dashboard/")

    # then each annotator has their gold figures, status and the documents behind them
    assert response.status_code == 200
    body = response.json()
    rows = {row["username"]: row for row in body["annotators"]}
    assert set(rows) == {"bob_annotator", "carl_annotator"}
    bob, carl_row = rows["bob_annotator"], rows["carl_annotator"]
    assert (bob["gold_items"], bob["tp"], bob["class_errors"], bob["accuracy"]) == (1, 1, 1, 0.5)
    low, high = bob["accuracy_interval"]
    assert 0 < low < 0.5 < high < 1
    assert (bob["status"], carl_row["status"], carl_row["status_reason"]) == (
        "qualified",
        "paused",
        "too many misses",
    )
    assert bob["documents"] == [bobs.pk] and carl_row["documents"] == [carls.pk]
    assert carl_row["accuracy"] == 1.0
    assert bob["submitted"] == 1
    assert bob["items_per_hour"] is None  # seconds of work: too little to give a rate
    assert bob["daily"][0]["gold_items"] == 1 and bob["daily"][0]["class_error"] == 1
    # per class: car was confused with person once, in bob's document
    (car,) = [row for row in body["classes"] if row["label"] == "car"]
    assert (car["tp"], car["class_error"]) == (3, 1)
    assert car["confused_with"] == {"person": 1}
    assert car["confused_documents"] == {"person": [bobs.pk]}
    assert car["outcome_documents"]["tp"] == sorted([bobs.pk, carls.pk])
    assert body["documents"][str(bobs.pk)]["item_name"] == gold.name
    assert body["documents"][str(bobs.pk)]["annotator"] == "bob_annotator"


def test_items_per_hour_counts_only_time_spent_working(project, annotator, api):
    # given three items submitted over 30 minutes of work, then a long break, then another
    items = items_add(project, 4)
    start = timezone.now() - timedelta(hours=5)
    moments = [start, start + timedelta(minutes=10), start + timedelta(minutes=20)]
    moments += [start + timedelta(minutes=30), start + timedelta(hours=4)]
    for item in items:
        document_saved(item, annotator)
    ActivityEvent.objects.all().delete()
    for item, at in zip([*items, items[3]], moments, strict=True):
        event = ActivityEvent.objects.create(
            project=project, item=item, user=annotator, verb="submitted"
        )
        ActivityEvent.objects.filter(pk=event.pk).update(at=at)

    # when the figures are read
    assert work_time(moments) == timedelta(minutes=30)
    body = api(project.memberships.get(role="manager").user).get(
        f"/api/v1/projects/{project.pk}/quality/dashboard/"
    )

    # then 4 distinct items over half an hour of work is 8 items per hour
    (bob,) = [row for row in body.json()["annotators"] if row["username"] == "bob_annotator"]
    assert (bob["submitted"], bob["work_hours"], bob["items_per_hour"]) == (4, 0.5, 8.0)


def test_a_gap_longer_than_a_session_is_not_work():
    start = datetime(2026, 1, 1, 9)
    assert work_time([start, start + SESSION_GAP + timedelta(seconds=1)]) == timedelta()
    assert work_time([start]) == timedelta()
