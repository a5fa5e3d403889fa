"""Submitting and skipping items."""

import pytest

from annotate.models import ActivityEvent, Assignment, Revision
from tests.annotate.documents import put, url
from tests.annotate.factories import box
from tests.projects.factories import items_add, user_create

pytestmark = pytest.mark.django_db


# --- submitting -----------------------------------------------------------------------------


def test_submitting_finishes_the_assignment_and_records_a_revision(project, item, annotator, api):
    # given an item claimed from the queue and saved once
    client = api(annotator)
    assert client.post(f"/api/v1/projects/{project.pk}/queue/next/").json()["id"] == item.pk
    client.get(url(item))
    put(client, item, [box()], 0)

    # when it is submitted
    response = client.post(url(item, "submit/"))

    # then the document is submitted at the next version, and every step left a trace
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    data = response.json()
    assert (data["status"], data["version"]) == ("submitted", 2)
    assert data["submitted_at"] is not None
    assert list(Revision.objects.order_by("version").values_list("version", "status")) == [
        (1, "draft"),
        (2, "submitted"),
    ]
    assert list(Assignment.objects.values_list("item_id", "state")) == [(item.pk, "done")]
    assert list(ActivityEvent.objects.order_by("pk").values_list("verb", flat=True)) == [
        "assigned",
        "opened",
        "saved",
        "submitted",
    ]
    assert ActivityEvent.objects.get(verb="submitted").data == {"version": 2, "shapes": 1}


def test_submitting_twice_does_not_bump_the_version(item, annotator, api):
    client = api(annotator)
    put(client, item, [box()], 0)
    client.post(url(item, "submit/"))

    response = client.post(url(item, "submit/"))

    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert Revision.objects.count() == 2


def test_submitting_an_untouched_item_submits_an_empty_document_at_version_1(item, annotator, api):
    response = api(annotator).post(url(item, "submit/"))

    assert response.status_code == 200
    assert (response.json()["version"], response.json()["shapes"]) == (1, [])
    assert list(Revision.objects.values_list("version", "status", "shapes")) == [
        (1, "submitted", [])
    ]


def test_editing_a_submitted_document_makes_it_a_draft_again(item, annotator, api):
    client = api(annotator)
    put(client, item, [box()], 0)
    client.post(url(item, "submit/"))

    response = put(client, item, [], 2)

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == ("draft", 3)


# --- skipping -------------------------------------------------------------------------------


def test_a_skipped_item_goes_to_another_annotator_but_never_back_to_the_skipper(
    project, annotator, api
):
    # given two items, overlap 1, and a second annotator
    first, second = items_add(project, 2)
    carl = user_create("carl")
    project.memberships.create(user=carl, role="annotator")
    bob = api(annotator)
    assert bob.post(f"/api/v1/projects/{project.pk}/queue/next/").json()["id"] == first.pk

    # when bob skips his item
    response = bob.post(f"/api/v1/items/{first.pk}/skip/")

    # then it is free again: carl gets it, bob gets the other one and then nothing
    assert response.status_code == 204
    first.refresh_from_db()
    assert first.assigned_count == 0
    assert list(Assignment.objects.values_list("user_id", "state")) == [(annotator.pk, "skipped")]
    assert bob.post(f"/api/v1/projects/{project.pk}/queue/next/").json()["id"] == second.pk
    assert api(carl).post(f"/api/v1/projects/{project.pk}/queue/next/").json()["id"] == first.pk
    bob.post(f"/api/v1/items/{second.pk}/annotation/submit/")
    assert bob.post(f"/api/v1/projects/{project.pk}/queue/next/").status_code == 204
    assert ActivityEvent.objects.filter(verb="skipped", user=annotator, item=first).count() == 1


def test_skipping_an_item_twice_gives_it_back_once(project, item, annotator, api):
    client = api(annotator)
    client.post(f"/api/v1/projects/{project.pk}/queue/next/")
    client.post(f"/api/v1/items/{item.pk}/skip/")

    response = client.post(f"/api/v1/items/{item.pk}/skip/")

    assert response.status_code == 204
    item.refresh_from_db()
    assert item.assigned_count == 0
