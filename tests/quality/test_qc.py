"""Hidden gold in use: pausing an annotator, the managers' quality report, training feedback."""

import pytest

from annotate.models import AnnotationDocument, Assignment
from projects.models import Membership, Project
from projects.services import member_set
from quality.models import GoldScore
from quality.services import gold_score_document
from quality.stats import AccuracyPosterior
from tests.annotate.factories import box, document_saved, document_submitted
from tests.projects.factories import items_add, user_create
from tests.quality.factories import gold_add

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

TWO_CARS = [box("car", [0, 0, 20, 20]), box("car", [30, 0, 50, 20])]


def gold_items(project, manager, count, *, role="gold", shapes=TWO_CARS):
    items = items_add(project, count, role=role)
    for item in items:
        gold_add(item, manager, shapes)
    return items


def submit(client, item, capture) -> None:
    with capture(execute=True):
        response = client.post(f"/api/v1/items/{item.pk}/annotation/submit/")
    assert response.status_code == 200, response.content


def qc_settings(project, **fields) -> None:
    Project.objects.filter(pk=project.pk).update(**fields)


def test_an_annotator_is_paused_after_enough_bad_gold_and_their_claims_released(
    project, manager, annotator, api, django_capture_on_commit_callbacks
):
    # given a project pausing below 80% after 3 gold items, and bob holding a task claim
    qc_settings(project, qc_threshold=0.8, qc_min_gold_items=3, gold_rate=0.0)
    golds = gold_items(project, manager, 3)
    (task,) = items_add(project)
    bob = api(annotator)
    next_url = f"/api/v1/projects/{project.pk}/queue/next/"
    assert bob.post(next_url).json()["id"] == task.pk

    # when bob submits gold items with nothing drawn (2 misses each)
    for item in golds[:2]:
        submit(bob, item, django_capture_on_commit_callbacks)
    not_yet = Membership.objects.get(project=project, user=annotator).paused_at
    submit(bob, golds[2], django_capture_on_commit_callbacks)

    # then two items are not enough to judge, the third pauses him and frees his claim
    assert not_yet is None
    membership = Membership.objects.get(project=project, user=annotator)
    reason = "paused: accuracy 0.12 over 3 gold items is below 0.80 with probability 1.000"
    assert (membership.paused_at is not None, membership.paused_reason) == (True, reason)
    assert Assignment.objects.get(item=task).state == "released"
    refused = bob.post(next_url)
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": f"You are paused in this project ({reason}). Ask a manager to review your work."
    }


def test_good_gold_work_is_never_paused(
    project, manager, annotator, api, django_capture_on_commit_callbacks
):
    qc_settings(project, qc_threshold=0.8, qc_min_gold_items=3)
    bob = api(annotator)
    for item in gold_items(project, manager, 4):
        document_saved(item, annotator, TWO_CARS)
        submit(bob, item, django_capture_on_commit_callbacks)

    assert Membership.objects.get(project=project, user=annotator).paused_at is None
    assert sorted(GoldScore.objects.values_list("tp", "fn", "accuracy")) == [(2, 0, 1.0)] * 4


def test_setting_a_paused_members_role_again_lets_them_work(
    project, manager, annotator, api, django_capture_on_commit_callbacks
):
    qc_settings(project, qc_min_gold_items=1, gold_rate=0.0)
    # one gold item with 40 shapes, all missed: confident enough at once
    many = [box("car", [n, 0, n + 4, 4]) for n in range(40)]
    (gold,) = gold_items(project, manager, 1, shapes=many)
    (task,) = items_add(project)
    submit(api(annotator), gold, django_capture_on_commit_callbacks)
    assert Membership.objects.get(project=project, user=annotator).paused_at is not None

    member_set(project=project, username="bob_annotator", role="annotator")

    assert api(annotator).post(f"/api/v1/projects/{project.pk}/queue/next/").json()["id"] == (
        task.pk
    )


def test_the_quality_report_pools_hidden_gold_per_annotator_and_per_class(
    project, manager, annotator, api, django_capture_on_commit_callbacks
):
    # given bob: one gold item right, one with a class error and a miss; carl: one all missed;
    # and a training item that does not count toward accuracy
    qc_settings(project, qc_threshold=0.8, qc_min_gold_items=20)
    first, second, third = gold_items(project, manager, 3)
    (training,) = gold_items(project, manager, 1, role="training")
    carl = user_create("carl")
    member_set(project=project, username="carl", role="annotator")
    document_submitted(first, annotator, TWO_CARS)
    document_submitted(second, annotator, [box("person", [0, 0, 20, 20])])
    document_submitted(third, carl, [])
    document_submitted(training, carl, TWO_CARS)

    for document in AnnotationDocument.objects.all():
        gold_score_document(document_id=document.pk)

    # when a manager asks for the report
    report = api(manager).get(f"/api/v1/projects/{project.pk}/quality/").json()

    # then per annotator: pooled counts, the posterior, the documents behind them
    bob_posterior = AccuracyPosterior.from_counts(2, 2)
    carl_posterior = AccuracyPosterior.from_counts(0, 2)
    bob_documents = list(
        AnnotationDocument.objects.filter(annotator=annotator)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert (report["threshold"], report["min_gold_items"]) == (0.8, 20)
    assert report["annotators"] == [
        {
            "user_id": annotator.pk,
            "username": "bob_annotator",
            "gold_items": 2,
            "tp": 2,
            "class_errors": 1,
            "fp": 0,
            "fn": 1,
            "accuracy": 0.5,
            "accuracy_mean": bob_posterior.mean,
            "accuracy_interval": list(bob_posterior.interval()),
            "prob_below_threshold": bob_posterior.prob_below(0.8),
            "status": "ok",
            "paused_reason": "",
            "documents": bob_documents,
            "items": [first.pk, second.pk],
        },
        {
            "user_id": carl.pk,
            "username": "carl",
            "gold_items": 1,
            "tp": 0,
            "class_errors": 0,
            "fp": 0,
            "fn": 2,
            "accuracy": 0.0,
            "accuracy_mean": carl_posterior.mean,
            "accuracy_interval": list(carl_posterior.interval()),
            "prob_below_threshold": carl_posterior.prob_below(0.8),
            "status": "ok",
            "paused_reason": "",
            "documents": [AnnotationDocument.objects.get(annotator=carl, item=third).pk],
            "items": [third.pk],
        },
    ]
    # and per gold class: what happened to its shapes, and what it was mistaken for
    assert report["classes"] == [
        {
            "label": "car",
            "tp": 2,
            "class_error": 1,
            "fn": 3,
            "fp": 0,
            "confused_with": {"person": 1},
            "documents": sorted(
                AnnotationDocument.objects.filter(item__in=[first, second, third]).values_list(
                    "pk", flat=True
                )
            ),
        }
    ]


# --- training feedback ---------------------------------------------------------------------


def feedback(client, item):
    return client.get(f"/api/v1/items/{item.pk}/feedback/")


def test_training_feedback_shows_gold_and_outcomes_only_after_the_annotators_submit(
    project, manager, annotator, api
):
    (training,) = gold_items(project, manager, 1, role="training")
    bob = api(annotator)
    document_saved(training, annotator, [TWO_CARS[0]])

    before = feedback(bob, training)
    bob.post(f"/api/v1/items/{training.pk}/annotation/submit/")
    after = feedback(bob, training)

    assert (before.status_code, before.json()) == (404, {"detail": "No feedback for this item."})
    assert after.status_code == 200
    data = after.json()
    assert data["item"] == training.pk
    assert [shape["id"] for shape in data["gold_shapes"]] == [shape["id"] for shape in TWO_CARS]
    assert {key: data["score"][key] for key in ("tp", "class_errors", "fp", "fn")} == {
        "tp": 1,
        "class_errors": 0,
        "fp": 0,
        "fn": 1,
    }
    assert sorted(match["outcome"] for match in data["score"]["matches"]) == ["fn", "tp"]


def test_feedback_is_never_given_for_hidden_gold_task_items_or_someone_elses_submit(
    project, manager, annotator, api
):
    (hidden,) = gold_items(project, manager, 1)
    (training,) = gold_items(project, manager, 1, role="training")
    (task,) = items_add(project)
    carl = user_create("carl")
    member_set(project=project, username="carl", role="annotator")
    for item in (hidden, task):
        document_submitted(item, annotator, TWO_CARS)
    document_submitted(training, carl, TWO_CARS)
    bob = api(annotator)

    answers = [feedback(bob, item) for item in (hidden, task, training)]

    assert [(answer.status_code, answer.json()) for answer in answers] == [
        (404, {"detail": "No feedback for this item."})
    ] * 3
    assert feedback(api(carl), training).status_code == 200


def test_an_edit_after_submit_hides_the_feedback_again(project, manager, annotator, api):
    (training,) = gold_items(project, manager, 1, role="training")
    document = document_submitted(training, annotator, TWO_CARS)
    bob = api(annotator)
    assert feedback(bob, training).status_code == 200

    bob.put(
        f"/api/v1/items/{training.pk}/annotation/",
        {"shapes": []},
        format="json",
        HTTP_IF_MATCH=f'"{document.version}"',
    )

    assert feedback(bob, training).status_code == 404
