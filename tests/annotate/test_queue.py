"""The work queue: who gets which item, and what concurrent annotators and saves never break."""

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count

from annotate.models import ActivityEvent, AnnotationDocument, Assignment, Revision
from projects.models import Item, Project
from projects.services import member_set
from tests.annotate.factories import box, document_saved
from tests.conftest import client_for
from tests.projects.factories import items_add, project_with_members, user_create
from tests.quality.factories import gold_add

THREADS = 16


def next_url(project: Project) -> str:
    return f"/api/v1/projects/{project.pk}/queue/next/"


def annotators_join(project: Project, count: int) -> list:
    users = [user_create() for _ in range(count)]
    for user in users:
        member_set(project=project, username=user.username, role="annotator")
    return users


def claim_until_empty(client, project: Project) -> list[int]:
    """Claim, submit, repeat until the queue answers 204; return the claimed item ids."""
    claimed = []
    while True:
        response = client.post(next_url(project))
        if response.status_code == 204:
            return claimed
        assert response.status_code == 200, response.content
        item_id = response.json()["id"]
        claimed.append(item_id)
        submitted = client.post(f"/api/v1/items/{item_id}/annotation/submit/")
        assert submitted.status_code == 200, submitted.content


# --- who gets what --------------------------------------------------------------------------


@pytest.mark.django_db
def test_with_overlap_1_each_item_goes_to_one_annotator(project, annotator, api):
    items = items_add(project, 3)
    carl = user_create("carl")
    member_set(project=project, username="carl", role="annotator")

    bob_items = claim_until_empty(api(annotator), project)
    carl_items = claim_until_empty(api(carl), project)

    assert bob_items == [item.pk for item in items]
    assert carl_items == []
    assert list(Item.objects.order_by("pk").values_list("assigned_count", flat=True)) == [1, 1, 1]


@pytest.mark.django_db
def test_with_overlap_2_each_item_goes_to_exactly_two_distinct_annotators(manager, api):
    project = project_with_members(manager=manager, overlap=2)
    items = items_add(project, 3)
    users = annotators_join(project, 3)

    claims = {user.pk: claim_until_empty(api(user), project) for user in users}

    assert claims[users[0].pk] == [item.pk for item in items]
    assert claims[users[1].pk] == [item.pk for item in items]
    assert claims[users[2].pk] == []
    per_item = Assignment.objects.values("item_id").annotate(
        users=Count("user_id", distinct=True), rows=Count("id")
    )
    assert sorted((row["item_id"], row["users"], row["rows"]) for row in per_item) == [
        (item.pk, 2, 2) for item in items
    ]
    assert list(Item.objects.values_list("assigned_count", flat=True)) == [2, 2, 2]


@pytest.mark.django_db
def test_the_callers_unfinished_item_comes_back_first(project, annotator, api):
    first, _second = items_add(project, 2)
    client = api(annotator)
    client.post(next_url(project))

    again = client.post(next_url(project))

    assert again.status_code == 200
    assert again.json()["id"] == first.pk
    assert Assignment.objects.count() == 1
    assert ActivityEvent.objects.filter(verb="assigned").count() == 1


@pytest.mark.django_db
def test_the_queue_answers_204_when_nothing_is_left(project, annotator, api):
    response = api(annotator).post(next_url(project))

    assert response.status_code == 204
    assert response.content == b""
    assert Assignment.objects.count() == 0


@pytest.mark.django_db
def test_training_items_are_served_only_as_training_and_unanswered_gold_never(
    project, manager, annotator, api
):
    # (training items come first, as the training course: quality/test_training.py)
    items_add(project, role="gold")  # designated gold, its answer not given yet
    (training,) = items_add(project, role="training")
    gold_add(training, manager)
    (task,) = items_add(project)
    Project.objects.filter(pk=project.pk).update(gold_rate=1.0)

    claimed = claim_until_empty(api(annotator), project)

    assert claimed == [training.pk, task.pk]
    assert Assignment.objects.filter(item__gold__isnull=False).count() == 0


@pytest.mark.django_db
def test_hidden_gold_is_mixed_in_once_per_annotator_at_the_project_rate(
    project, manager, annotator, api
):
    # given two answered hidden gold items, two task items and a gold rate of 100%
    golds = items_add(project, 2, role="gold")
    for gold in golds:
        gold_add(gold, manager)
    tasks = items_add(project, 2)
    Project.objects.filter(pk=project.pk).update(gold_rate=1.0)
    carl = user_create("carl")
    member_set(project=project, username="carl", role="annotator")

    # when two annotators work until the queue is empty
    bob_items = claim_until_empty(api(annotator), project)
    carl_items = claim_until_empty(api(carl), project)

    # then each gets every gold item exactly once, first, and the task items go to one each
    assert bob_items == [golds[0].pk, golds[1].pk, tasks[0].pk, tasks[1].pk]
    assert carl_items == [golds[0].pk, golds[1].pk]


@pytest.mark.django_db
def test_hidden_gold_already_labelled_outside_the_queue_is_not_served_again(
    project, manager, annotator, api
):
    (gold,) = items_add(project, role="gold")
    gold_add(gold, manager)
    (task,) = items_add(project)
    Project.objects.filter(pk=project.pk).update(gold_rate=1.0)
    bob = api(annotator)
    bob.post(f"/api/v1/items/{gold.pk}/annotation/submit/")

    assert claim_until_empty(bob, project) == [task.pk]


@pytest.mark.django_db
def test_at_a_gold_rate_of_zero_hidden_gold_is_never_served(project, manager, annotator, api):
    (gold,) = items_add(project, role="gold")
    gold_add(gold, manager)
    (task,) = items_add(project)
    Project.objects.filter(pk=project.pk).update(gold_rate=0.0)

    assert claim_until_empty(api(annotator), project) == [task.pk]


@pytest.mark.django_db
def test_an_item_annotated_outside_the_queue_is_still_served_once(project, annotator, api):
    # given an item that bob opened directly and another annotator
    (item,) = items_add(project)
    bob = api(annotator)
    bob.post(f"/api/v1/items/{item.pk}/annotation/submit/")
    carl = annotators_join(project, 1)[0]

    # when both ask the queue
    bob_claim = bob.post(next_url(project))
    carl_claim = api(carl).post(next_url(project))

    # then it is handed out once (to the first to ask)
    assert (bob_claim.status_code, carl_claim.status_code) == (200, 204)


@pytest.mark.django_db
def test_the_queue_only_serves_members_items(project, outsider, api):
    items_add(project)

    response = api(outsider).post(next_url(project))

    assert response.status_code == 404
    assert Assignment.objects.count() == 0


# --- concurrency: real threads, one database connection each --------------------------------


def run_at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(0..count-1) on as many threads released together; re-raise the first error."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait(timeout=30)
            results[index] = work(index)
        except BaseException as exc:  # reported below, with the others' results
            errors.append(exc)
        finally:
            connection.close()  # each thread opened its own; the test database must be dropped

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_annotators_never_get_the_same_item(manager):
    # given 40 items and 16 annotators, each with their own client and connection
    project = project_with_members(manager=manager)
    items = items_add(project, 40)
    users = annotators_join(project, THREADS)
    clients = [client_for(user) for user in users]

    # when all of them claim and submit as fast as they can until the queue is empty
    claims = run_at_once(THREADS, lambda index: claim_until_empty(clients[index], project))

    # then every item was handed out exactly once, and the counters agree with the claims
    every_claim = [item_id for claimed in claims for item_id in claimed]
    assert sorted(every_claim) == sorted(item.pk for item in items)
    assert Counter(every_claim).most_common(1)[0][1] == 1
    assert Assignment.objects.count() == 40
    assert set(Assignment.objects.values_list("state", flat=True)) == {"done"}
    assert list(Item.objects.values_list("assigned_count", flat=True).distinct()) == [1]


@pytest.mark.django_db(transaction=True)
def test_concurrent_annotators_with_overlap_2_fill_each_item_with_two_people(manager):
    project = project_with_members(manager=manager, overlap=2)
    items = items_add(project, 20)
    users = annotators_join(project, THREADS)
    clients = [client_for(user) for user in users]

    claims = run_at_once(THREADS, lambda index: claim_until_empty(clients[index], project))

    every_claim = [item_id for claimed in claims for item_id in claimed]
    assert Counter(every_claim) == {item.pk: 2 for item in items}
    assert all(len(set(claimed)) == len(claimed) for claimed in claims)  # nobody got one twice
    per_item = Assignment.objects.values("item_id").annotate(users=Count("user_id", distinct=True))
    assert {row["item_id"]: row["users"] for row in per_item} == {item.pk: 2 for item in items}
    assert list(Item.objects.values_list("assigned_count", flat=True).distinct()) == [2]


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_claims_from_one_queue_are_all_distinct(manager):
    # the sharpest race: everybody's very first claim at the same instant, on the same rows
    project = project_with_members(manager=manager)
    items_add(project, THREADS)
    users = annotators_join(project, THREADS)
    clients = [client_for(user) for user in users]

    responses = run_at_once(THREADS, lambda index: clients[index].post(next_url(project)))

    assert [response.status_code for response in responses] == [200] * THREADS
    claimed = [response.json()["id"] for response in responses]
    assert len(set(claimed)) == THREADS
    assert list(Item.objects.values_list("assigned_count", flat=True).distinct()) == [1]


@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_with_the_same_if_match_let_exactly_one_win(project, annotator):
    # given a document at version 1 and 16 tabs that all loaded it
    (item,) = items_add(project)
    document = document_saved(item, annotator)
    clients = [client_for(annotator) for _ in range(THREADS)]
    shapes = [[box(points=[1, 1, 2 + index, 2 + index])] for index in range(THREADS)]

    # when every tab saves at once with If-Match "1"
    responses = run_at_once(
        THREADS,
        lambda index: clients[index].put(
            f"/api/v1/items/{item.pk}/annotation/",
            {"shapes": shapes[index]},
            format="json",
            HTTP_IF_MATCH='"1"',
        ),
    )

    # then exactly one save won, the others were told the new version, and no update was lost
    codes = Counter(response.status_code for response in responses)
    assert codes == {200: 1, 412: THREADS - 1}
    winner = next(index for index, response in enumerate(responses) if response.status_code == 200)
    assert {
        response.json()["current_version"] for response in responses if response.status_code == 412
    } == {2}
    document.refresh_from_db()
    assert document.version == 2
    assert document.shapes[0]["id"] == shapes[winner][0]["id"]
    assert list(Revision.objects.order_by("version").values_list("version", flat=True)) == [1, 2]
    assert ActivityEvent.objects.filter(verb="saved").count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_saves_create_exactly_one_document(project, annotator):
    (item,) = items_add(project)
    clients = [client_for(annotator) for _ in range(THREADS)]

    responses = run_at_once(
        THREADS,
        lambda index: clients[index].put(
            f"/api/v1/items/{item.pk}/annotation/",
            {"shapes": [box()]},
            format="json",
            HTTP_IF_MATCH='"0"',
        ),
    )

    assert Counter(response.status_code for response in responses) == {201: 1, 412: THREADS - 1}
    assert AnnotationDocument.objects.get().version == 1
    assert Revision.objects.count() == 1
