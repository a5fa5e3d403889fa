"""The training course and the qualification exam in front of an annotator's queue."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from annotate.models import Assignment
from annotate.services import item_assign_next, item_skip
from projects.models import ExamAttempt, Item, Membership, Project
from projects.services import member_set
from tests.annotate.factories import box
from tests.annotate.labeling import label_and_submit
from tests.projects.factories import items_add, user_create
from tests.quality.factories import gold_add

pytestmark = pytest.mark.django_db

GOLD_BOX = box(points=(1, 2, 30, 40))


def course(project: Project, manager, *, training=2, gold=5, tasks=2, exam_items=3, **settings):
    """Training items, answered hidden gold and task items; a short exam."""
    trainings = items_add(project, training, role="training")
    golds = items_add(project, gold, role="gold")
    for item in [*trainings, *golds]:
        gold_add(item, manager, [dict(GOLD_BOX)])
    task_items = items_add(project, tasks)
    Project.objects.filter(pk=project.pk).update(exam_items=exam_items, gold_rate=0.0, **settings)
    return trainings, golds, task_items


def next_item(client, project):
    return client.post(f"/api/v1/projects/{project.pk}/queue/next/")


def status(client, project) -> dict:
    response = client.get(f"/api/v1/projects/{project.pk}/training/")
    assert response.status_code == 200, response.content
    return response.json()


def train(client, project) -> list[int]:
    served = []
    while status(client, project)["stage"] == "training":
        item_id = next_item(client, project).json()["id"]
        served.append(item_id)
        label_and_submit(client, item_id, [box(points=(1, 2, 30, 40))])
    return served


def sit_exam(client, project, shapes) -> list[int]:
    started = client.post(f"/api/v1/projects/{project.pk}/training/exam/")
    assert started.status_code == 201, started.content
    assert started.json()["stage"] == "exam"
    served = []
    while status(client, project)["stage"] == "exam":
        item_id = next_item(client, project).json()["id"]
        served.append(item_id)
        label_and_submit(client, item_id, shapes)
    return served


def test_an_annotator_trains_passes_the_exam_then_gets_real_work(project, manager, annotator, api):
    trainings, golds, tasks = course(project, manager)
    bob = api(annotator)

    before = status(bob, project)
    training_served = train(bob, project)
    after_training = status(bob, project)
    refused = next_item(bob, project)
    exam_served = sit_exam(bob, project, [box(points=(1, 2, 30, 40))])
    passed = status(bob, project)
    work = next_item(bob, project)

    assert before["stage"] == "training"
    assert before["training"] == {"total": 2, "done": 0}
    assert training_served == [item.pk for item in trainings]
    assert after_training["stage"] == "exam_ready"
    assert refused.status_code == 403
    assert "qualification exam" in refused.json()["detail"]
    assert len(exam_served) == 3 and set(exam_served) <= {g.pk for g in golds}
    assert passed["stage"] == "work"
    assert passed["exam"]["attempts"][0]["passed"] is True
    assert passed["exam"]["attempts"][0]["accuracy"] == 1.0
    assert work.status_code == 200 and work.json()["id"] == tasks[0].pk
    membership = Membership.objects.get(project=project, user=annotator)
    assert membership.training_completed_at is not None and membership.qualified_at is not None


def test_each_training_submit_has_feedback_and_exam_items_have_none(
    project, manager, annotator, api
):
    course(project, manager)
    bob = api(annotator)
    first = next_item(bob, project).json()["id"]
    label_and_submit(bob, first, [box(label="person", points=(1, 2, 30, 40))])
    train(bob, project)
    (exam_item, *_) = sit_exam(bob, project, [box(points=(1, 2, 30, 40))])

    feedback = bob.get(f"/api/v1/items/{first}/feedback/").json()
    exam_feedback = bob.get(f"/api/v1/items/{exam_item}/feedback/")

    assert feedback["score"]["class_errors"] == 1 and feedback["score"]["accuracy"] == 0.0
    assert feedback["gold_shapes"][0]["label"] == "car"
    assert exam_feedback.status_code == 404


def test_an_exam_item_looks_like_real_work_in_every_field(project, manager, annotator, api):
    _, _, tasks = course(project, manager)
    bob = api(annotator)
    train(bob, project)
    bob.post(f"/api/v1/projects/{project.pk}/training/exam/")

    exam_item = next_item(bob, project).json()
    task_item = bob.get(f"/api/v1/items/{tasks[0].pk}/").json()
    stage = status(bob, project)

    assert sorted(exam_item) == sorted(task_item)
    assert "gold" not in str(sorted(exam_item)) and "role" not in exam_item
    assert "item" not in str(stage["exam"]).replace("items", "")  # counts, never item ids


def test_a_failed_exam_waits_then_retries_on_gold_never_seen(project, manager, annotator, api):
    _, golds, _ = course(project, manager, gold=6, exam_retry_minutes=45)
    bob = api(annotator)
    train(bob, project)
    first = sit_exam(bob, project, [box(label="person", points=(1, 2, 30, 40))])

    failed = status(bob, project)
    queue = next_item(bob, project)
    too_soon = bob.post(f"/api/v1/projects/{project.pk}/training/exam/")
    Membership.objects.filter(user=annotator).update(
        exam_retry_at=timezone.now() - timedelta(seconds=1)
    )
    second = sit_exam(bob, project, [box(points=(1, 2, 30, 40))])

    assert failed["stage"] == "exam_wait"
    assert failed["exam"]["attempts"][0] | {"started_at": 0, "finished_at": 0} == {
        "started_at": 0,
        "finished_at": 0,
        "items": 3,
        "accuracy": 0.0,
        "passed": False,
    }
    assert "retake it in 45 minutes" in failed["exam"]["message"]
    assert queue.status_code == 403 and "45 minutes" in queue.json()["detail"]
    assert too_soon.status_code == 403
    assert not set(first) & set(second)
    assert status(bob, project)["stage"] == "work"


def test_exam_items_count_as_seen_for_hidden_gold(project, manager, annotator, api):
    _, golds, tasks = course(project, manager, gold=3, tasks=2)
    bob = api(annotator)
    train(bob, project)
    exam = sit_exam(bob, project, [box(points=(1, 2, 30, 40))])
    Project.objects.filter(pk=project.pk).update(gold_rate=1.0, gold_rate_initial=1.0)

    served = [next_item(bob, project).json()["id"] for _ in range(1)]
    label_and_submit(bob, served[0], [])
    served.append(next_item(bob, project).json()["id"])

    assert sorted(exam) == sorted(g.pk for g in golds)
    assert served == [tasks[0].pk, tasks[1].pk]


def test_without_the_exam_training_leads_straight_to_work(project, manager, annotator, api):
    _, _, tasks = course(project, manager, exam_enabled=False)
    bob = api(annotator)
    train(bob, project)

    assert status(bob, project)["stage"] == "work"
    assert next_item(bob, project).json()["id"] == tasks[0].pk


def test_managers_and_reviewers_are_never_gated(project, manager, reviewer, api):
    _, _, tasks = course(project, manager)

    assert status(api(reviewer), project)["stage"] == "work"
    assert next_item(api(reviewer), project).json()["id"] == tasks[0].pk


def test_a_manager_requires_requalification(project, manager, annotator, api):
    course(project, manager)
    bob = api(annotator)
    train(bob, project)
    sit_exam(bob, project, [box(points=(1, 2, 30, 40))])

    denied = bob.post(f"/api/v1/projects/{project.pk}/qualification/reset/")
    reset = api(manager).post(f"/api/v1/projects/{project.pk}/qualification/reset/")

    assert denied.status_code == 403
    assert reset.json() == {"reset": 1}
    assert status(bob, project)["stage"] == "exam_ready"
    assert next_item(bob, project).status_code == 403


def test_the_exam_cannot_start_twice_or_before_training(project, manager, annotator, api):
    course(project, manager)
    bob = api(annotator)

    early = bob.post(f"/api/v1/projects/{project.pk}/training/exam/")
    train(bob, project)
    first = bob.post(f"/api/v1/projects/{project.pk}/training/exam/")
    again = bob.post(f"/api/v1/projects/{project.pk}/training/exam/")

    assert early.status_code == 409
    assert first.status_code == 201
    assert again.status_code == 409
    assert ExamAttempt.objects.count() == 1


def test_member_records_show_training_exam_and_gold(project, manager, annotator, api):
    course(project, manager)
    bob = api(annotator)
    train(bob, project)
    sit_exam(bob, project, [box(points=(1, 2, 30, 40))])

    records = api(manager).get(f"/api/v1/projects/{project.pk}/member-records/")
    denied = bob.get(f"/api/v1/projects/{project.pk}/member-records/")

    assert denied.status_code == 403
    (record,) = [r for r in records.json()["members"] if r["username"] == annotator.username]
    assert record["stage"] == "work"
    assert (record["training_done"], record["training_total"]) == (2, 2)
    assert record["qualified_at"] is not None
    assert [a["passed"] for a in record["exam_attempts"]] == [True]
    assert (record["gold_scored"], record["gold_accuracy"]) == (3, 1.0)


def test_the_first_items_carry_gold_at_the_initial_rate(project, manager):
    """The realised rate over a seeded run: 30% of each annotator's first 20 claims, then 5%."""
    golds = items_add(project, 20, role="gold")
    for item in golds:
        gold_add(item, manager)
    items_add(project, 40)
    Project.objects.filter(pk=project.pk).update(
        overlap=50, gold_rate=0.05, gold_rate_initial=0.3, gold_initial_items=20
    )
    project.refresh_from_db()
    gold_ids = {item.pk for item in golds}
    annotators = [user_create() for _ in range(10)]
    for user in annotators:
        member_set(project=project, username=user.username, role="annotator")
    random.seed(20261130)

    early = late = 0
    for user in annotators:
        for claim in range(40):
            item = item_assign_next(user=user, project=project)
            assert isinstance(item, Item)
            if item.pk in gold_ids:
                early, late = (early + 1, late) if claim < 20 else (early, late + 1)
            item_skip(user=user, item=item)

    early_rate, late_rate = early / 200, late / 200
    assert abs(early_rate - 0.3) < 0.08, early_rate
    assert abs(late_rate - 0.05) < 0.04, late_rate
    assert Assignment.objects.count() == 400


def test_a_qc_pause_sends_the_annotator_back_to_the_exam(
    project, manager, annotator, api, tasks_in_process, django_capture_on_commit_callbacks
):
    """Paused for bad hidden gold, then let back in by a manager: the qualification exam comes
    before any real work again, on gold they have not seen."""
    from quality.services import annotator_pause_check

    trainings, golds, tasks = course(project, manager, gold=8, qc_min_gold_items=3)
    bob = api(annotator)
    train(bob, project)
    first_exam = sit_exam(bob, project, [box(points=(1, 2, 30, 40))])
    assert status(bob, project)["stage"] == "work"
    wrong = [box(points=(40, 30, 60, 45))]
    Project.objects.filter(pk=project.pk).update(gold_rate=1.0, gold_rate_initial=1.0)
    served = []
    while Membership.objects.get(project=project, user=annotator).paused_at is None:
        claimed = next_item(bob, project)  # hidden gold only, answered wrongly
        assert claimed.status_code == 200 and len(served) < 5, claimed.content
        served.append(claimed.json()["id"])
        with django_capture_on_commit_callbacks(execute=True):  # the after-commit scoring
            label_and_submit(bob, served[-1], wrong)
    # The exam's three good answers and the bad ones: below 0.8 with high confidence. Scoring
    # after each submit paused him; a second check finds him paused already.
    assert set(served) <= {item.pk for item in golds} and not set(served) & set(first_exam)
    assert annotator_pause_check(project_id=project.pk, user_id=annotator.pk) is False
    membership = Membership.objects.get(project=project, user=annotator)
    assert membership.paused_at is not None and membership.qualified_at is None

    member_set(
        project=project, username=annotator.username, role="annotator"
    )  # a manager lets him back
    again = status(bob, project)
    refused = next_item(bob, project)
    assert again["stage"] == "exam_ready"
    assert refused.status_code == 403 and "qualification exam" in refused.json()["detail"]


def test_real_work_opened_by_url_keeps_its_draft_but_cannot_be_submitted_before_qualifying(
    project, manager, annotator, api
):
    trainings, golds, tasks = course(project, manager)
    bob = api(annotator)
    path = f"/api/v1/items/{tasks[0].pk}/annotation/"

    saved = bob.put(path, {"shapes": [box()]}, format="json", HTTP_IF_MATCH='"0"')
    refused = bob.post(f"{path}submit/")
    draft = bob.get(path).json()
    train(bob, project)
    sit_exam(bob, project, [box(points=(1, 2, 30, 40))])
    accepted = bob.post(f"{path}submit/")

    assert saved.status_code == 201
    assert refused.status_code == 403 and "draft is kept" in refused.json()["detail"]
    assert (draft["status"], len(draft["shapes"])) == ("draft", 1)
    assert accepted.status_code == 200 and accepted.json()["status"] == "submitted"
