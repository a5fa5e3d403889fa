"""Claims are leases: they lapse after LOUPE_LEASE_MINUTES idle, and end when the member is
removed or paused; an item once claimed (skipped, lapsed) never returns to the same annotator."""

from datetime import timedelta

import pytest
from django.utils import timezone

from annotate.leases import assignment_release
from annotate.models import Assignment
from projects.models import Item, Project
from projects.services import member_remove, member_set
from tests.projects.factories import items_add, user_create

pytestmark = pytest.mark.django_db


def next_url(project: Project) -> str:
    return f"/api/v1/projects/{project.pk}/queue/next/"


def idle(minutes: int) -> None:
    Assignment.objects.update(touched_at=timezone.now() - timedelta(minutes=minutes))


def counts() -> list[int]:
    return list(Item.objects.order_by("pk").values_list("assigned_count", flat=True))


def test_an_idle_lease_lapses_and_its_item_goes_to_the_next_annotator(
    project, annotator, api, settings
):
    # given bob's claim, idle for longer than the lease
    settings.LOUPE_LEASE_MINUTES = 30
    (item,) = items_add(project)
    carl = user_create("carl")
    member_set(project=project, username="carl", role="annotator")
    assert api(annotator).post(next_url(project)).json()["id"] == item.pk
    idle(31)

    # when carl asks for work
    response = api(carl).post(next_url(project))

    # then bob's lease is released once and the item is carl's
    assert response.json()["id"] == item.pk
    assert sorted(Assignment.objects.values_list("user__username", "state")) == [
        ("bob_annotator", "released"),
        ("carl", "active"),
    ]
    assert counts() == [1]


def test_a_lease_within_its_time_still_holds(project, annotator, api, settings):
    settings.LOUPE_LEASE_MINUTES = 30
    items_add(project)
    carl = user_create("carl")
    member_set(project=project, username="carl", role="annotator")
    api(annotator).post(next_url(project))
    idle(29)

    response = api(carl).post(next_url(project))

    assert response.status_code == 204
    assert list(Assignment.objects.values_list("state", flat=True)) == ["active"]
    assert counts() == [1]


def test_opening_the_item_keeps_the_lease_alive(project, annotator, api, settings):
    settings.LOUPE_LEASE_MINUTES = 30
    (item,) = items_add(project)
    bob = api(annotator)
    bob.post(next_url(project))
    idle(29)

    bob.get(f"/api/v1/items/{item.pk}/annotation/")
    idle_seconds = (timezone.now() - Assignment.objects.get().touched_at).total_seconds()

    assert idle_seconds < 60


def test_a_lapsed_item_is_not_handed_back_to_the_same_annotator(project, annotator, api, settings):
    settings.LOUPE_LEASE_MINUTES = 30
    first, second = items_add(project, 2)
    bob = api(annotator)
    assert bob.post(next_url(project)).json()["id"] == first.pk
    idle(31)

    assert bob.post(next_url(project)).json()["id"] == second.pk
    assert counts() == [0, 1]


def test_releasing_twice_decrements_once(project, annotator, api):
    (item,) = items_add(project)
    api(annotator).post(next_url(project))
    assignment = Assignment.objects.get()

    first = assignment_release(assignment_id=assignment.pk, item_id=item.pk)
    second = assignment_release(assignment_id=assignment.pk, item_id=item.pk)

    assert (first, second) == (True, False)
    assert counts() == [0]


def test_removing_a_member_releases_their_claims(
    project, manager, annotator, api, django_capture_on_commit_callbacks
):
    # given bob's active claim
    (item,) = items_add(project)
    api(annotator).post(next_url(project))

    # when a manager removes bob
    with django_capture_on_commit_callbacks(execute=True):
        response = api(manager).delete(f"/api/v1/projects/{project.pk}/members/{annotator.pk}/")

    # then the claim is released and the item is free for the next annotator
    assert response.status_code == 204
    assert list(Assignment.objects.values_list("state", flat=True)) == ["released"]
    assert counts() == [0]
    carl = user_create("carl")
    member_set(project=project, username="carl", role="annotator")
    assert api(carl).post(next_url(project)).json()["id"] == item.pk


def test_removal_releases_only_that_members_claims_in_that_project(
    project, manager, annotator, api, django_capture_on_commit_callbacks
):
    items_add(project, 2)
    carl = user_create("carl")
    member_set(project=project, username="carl", role="annotator")
    api(annotator).post(next_url(project))
    api(carl).post(next_url(project))

    with django_capture_on_commit_callbacks(execute=True):
        member_remove(project=project, user_id=annotator.pk, by=manager)

    assert sorted(Assignment.objects.values_list("user__username", "state")) == [
        ("bob_annotator", "released"),
        ("carl", "active"),
    ]
    assert counts() == [0, 1]


def test_a_skipped_item_is_not_handed_back(project, annotator, api):
    first, second = items_add(project, 2)
    bob = api(annotator)
    assert bob.post(next_url(project)).json()["id"] == first.pk

    bob.post(f"/api/v1/items/{first.pk}/skip/")

    assert bob.post(next_url(project)).json()["id"] == second.pk
    bob.post(f"/api/v1/items/{second.pk}/skip/")
    assert bob.post(next_url(project)).status_code == 204
