"""Gold scoring wired to submit: the event after commit, the task, one row per gold version."""

import logging

import pytest

from annotate.events import annotation_submitted
from annotate.models import AnnotationDocument
from quality.models import GoldScore
from quality.services import gold_score_document
from tests.annotate.factories import box, document_saved, tag
from tests.projects.factories import items_add
from tests.quality.factories import gold_add

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

GOLD = [
    box("car", [0, 0, 20, 20], id="00000000-0000-4000-8000-000000000001"),
    box("person", [30, 0, 50, 20], id="00000000-0000-4000-8000-000000000002"),
    tag("night", id="00000000-0000-4000-8000-000000000003"),
]
# One TP (exact car), one class error (the person, a quarter off, called car: IoU 0.75), one FP
# (a car where there is none), one FN (the night tag was missed).
CANDIDATE = [
    box("car", [0, 0, 20, 20], id="00000000-0000-4000-8000-00000000000a"),
    box("car", [30, 0, 50, 15], id="00000000-0000-4000-8000-00000000000b"),
    box("car", [0, 30, 10, 40], id="00000000-0000-4000-8000-00000000000c"),
]
EXPECTED = {"tp": 1, "class_errors": 1, "fp": 1, "fn": 1, "accuracy": 0.25, "mean_iou": 0.875}


def fields(row: GoldScore) -> dict:
    return {name: getattr(row, name) for name in EXPECTED}


def submit(client, item, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/api/v1/items/{item.pk}/annotation/submit/")
    assert response.status_code == 200, response.content
    return response, callbacks


def test_a_submit_on_gold_is_scored_after_commit_with_exact_counts(
    project, manager, annotator, api, django_capture_on_commit_callbacks
):
    # given a hidden gold item and bob's shapes for it
    (item,) = items_add(project, role="gold")
    gold = gold_add(item, manager, GOLD)
    document_saved(item, annotator, CANDIDATE)

    # when bob submits
    response, callbacks = submit(api(annotator), item, django_capture_on_commit_callbacks)

    # then one score row exists, with exact counts, against this gold version
    row = GoldScore.objects.get()
    assert fields(row) == EXPECTED
    assert (row.document_id, row.gold_hash) == (response.json()["id"], gold.content_hash)
    assert row.document_hash == AnnotationDocument.objects.get().content_hash
    outcomes = {(m["gold_id"], m["candidate_id"], m["outcome"]) for m in row.matches}
    assert outcomes == {
        (GOLD[0]["id"], CANDIDATE[0]["id"], "tp"),
        (GOLD[1]["id"], CANDIDATE[1]["id"], "class_error"),
        (None, CANDIDATE[2]["id"], "fp"),
        (GOLD[2]["id"], None, "fn"),
    }
    assert len(callbacks) == 1


def test_nothing_is_scored_before_the_transaction_commits(
    project, manager, annotator, api, django_capture_on_commit_callbacks
):
    (item,) = items_add(project, role="gold")
    gold_add(item, manager, GOLD)
    document_saved(item, annotator, CANDIDATE)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        api(annotator).post(f"/api/v1/items/{item.pk}/annotation/submit/")

    assert len(callbacks) == 1  # the event, waiting for the commit
    assert GoldScore.objects.count() == 0


def test_a_submit_on_a_task_item_scores_nothing(
    project, annotator, api, django_capture_on_commit_callbacks
):
    (item,) = items_add(project)
    document_saved(item, annotator, CANDIDATE)

    submit(api(annotator), item, django_capture_on_commit_callbacks)

    assert GoldScore.objects.count() == 0


def test_scoring_twice_writes_one_row(project, manager, annotator):
    (item,) = items_add(project, role="gold")
    gold_add(item, manager, GOLD)
    document = document_saved(item, annotator, CANDIDATE)

    first = gold_score_document(document_id=document.pk)
    second = gold_score_document(document_id=document.pk)

    assert first is not None and second is not None
    assert first.pk == second.pk
    assert GoldScore.objects.count() == 1
    assert fields(GoldScore.objects.get()) == EXPECTED


def test_a_new_gold_version_gets_its_own_row_and_the_score_endpoint_follows_it(
    project, manager, annotator, api
):
    (item,) = items_add(project, role="gold")
    gold_add(item, manager, GOLD)
    document = document_saved(item, annotator, CANDIDATE)
    gold_score_document(document_id=document.pk)

    gold_add(item, manager, CANDIDATE)  # the manager corrects the gold: now bob is right
    response = api(manager).get(f"/api/v1/annotations/{document.pk}/score/")

    assert response.status_code == 200
    data = response.json()
    assert {key: data[key] for key in ("tp", "class_errors", "fp", "fn", "accuracy")} == {
        "tp": 3,
        "class_errors": 0,
        "fp": 0,
        "fn": 0,
        "accuracy": 1.0,
    }
    assert (data["precision"], data["recall"], data["mean_iou"]) == (1.0, 1.0, 1.0)
    assert GoldScore.objects.count() == 2


def test_the_score_endpoint_reports_the_api_fields(project, manager, annotator, api):
    (item,) = items_add(project, role="gold")
    gold_add(item, manager, GOLD)
    document = document_saved(item, annotator, CANDIDATE)

    data = api(manager).get(f"/api/v1/annotations/{document.pk}/score/").json()

    assert {key: data[key] for key in EXPECTED} == EXPECTED
    assert (data["precision"], data["recall"]) == (1 / 3, 1 / 3)
    assert len(data["matches"]) == 4
    assert GoldScore.objects.count() == 1  # computed on demand, stored once


def test_a_broker_that_is_down_does_not_fail_the_submit(
    project, manager, annotator, api, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    from quality import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("redis is down")

    monkeypatch.setattr(tasks.score_submission, "delay", broker_down)
    (item,) = items_add(project, role="gold")
    gold_add(item, manager, GOLD)
    document = document_saved(item, annotator, CANDIDATE)

    with caplog.at_level(logging.ERROR):
        submit(api(annotator), item, django_capture_on_commit_callbacks)

    assert AnnotationDocument.objects.get().status == "submitted"
    assert GoldScore.objects.count() == 0
    assert f"could not enqueue the gold score of document {document.pk}" in caplog.text
    # ...and the manager still gets the score, computed on demand
    score = api(manager).get(f"/api/v1/annotations/{document.pk}/score/").json()
    assert {key: score[key] for key in EXPECTED} == EXPECTED


def test_quality_subscribes_to_the_submit_event():
    from quality.subscriptions import on_annotation_submitted

    assert on_annotation_submitted in annotation_submitted.handlers


def test_the_scoring_task_run_twice_writes_one_row(project, manager, annotator):
    from quality.tasks import score_submission

    (item,) = items_add(project, role="gold")
    gold_add(item, manager, GOLD)
    document = document_saved(item, annotator, CANDIDATE)

    first = score_submission.delay(document.pk).get()
    second = score_submission.delay(document.pk).get()

    assert first == second == GoldScore.objects.get().pk
    assert fields(GoldScore.objects.get()) == EXPECTED
