"""Review with pinned comments: the rejection round trip, the reviewer's queue, who may open
whose document, and the progress figures."""

import pytest
from django.test import Client

from annotate.models import ActivityEvent, Assignment, ReviewComment
from annotate.services import annotation_review, item_assign_next
from tests.annotate.documents import state
from tests.annotate.factories import box, document_saved, document_submitted
from tests.projects.factories import items_add, user_create

pytestmark = pytest.mark.django_db


def reject(client, document, comments, comment=""):
    return client.post(
        f"/api/v1/annotations/{document.pk}/review/",
        {"decision": "reject", "comment": comment, "comments": comments},
        format="json",
    )


def test_a_rejection_pins_comments_and_sends_the_item_back_first_in_the_queue(
    project, item, annotator, reviewer, api
):
    # given a document submitted from the queue, and a newer item the annotator claimed since
    (later,) = items_add(project)
    assert item_assign_next(user=annotator, project=project) == item
    shape = box(points=[2, 2, 20, 20])
    document = document_submitted(item, annotator, [shape])
    assert item_assign_next(user=annotator, project=project) == later

    # when the reviewer rejects it with a comment on the shape and one on a region
    response = reject(
        api(reviewer),
        document,
        [
            {"body": "Too loose: hug the car.", "shape_id": shape["id"]},
            {"body": "A car is missed here.", "region": {"x": 40, "y": 10, "w": 12, "h": 8}},
        ],
        comment="Two problems.",
    )

    # then the document is rejected, the comments are stored as sent, and logged
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rejected"
    listed = api(annotator).get(f"/api/v1/annotations/{document.pk}/comments/").json()
    assert [(c["body"], c["shape_id"], c["region"], c["author"]) for c in listed["results"]] == [
        ("Too loose: hug the car.", shape["id"], None, "rita_reviewer"),
        (
            "A car is missed here.",
            None,
            {"x": 40.0, "y": 10.0, "w": 12.0, "h": 8.0},
            "rita_reviewer",
        ),
    ]
    assert ActivityEvent.objects.get(verb="reviewed").data["comments"] == 2
    # and the rejected item comes back to its annotator before the newer claim, editable
    assert item_assign_next(user=annotator, project=project) == item
    fixed = box(points=[4, 4, 18, 18])
    fixed["id"] = shape["id"]
    resaved = api(annotator).put(
        f"/api/v1/items/{item.pk}/annotation/",
        {"shapes": [fixed]},
        format="json",
        HTTP_IF_MATCH=f'"{response.json()["version"]}"',
    )
    assert resaved.status_code == 200, resaved.content
    # when they resubmit, it waits for review again and leaves their queue
    submitted = api(annotator).post(f"/api/v1/items/{item.pk}/annotation/submit/")
    assert submitted.json()["status"] == "submitted"
    assert item_assign_next(user=annotator, project=project) == later
    assert api(reviewer).post(f"/api/v1/projects/{project.pk}/review/next/").json()["id"] == (
        document.pk
    )
    # and the reviewer's acceptance resolves the comments of the earlier round
    accepted = api(reviewer).post(
        f"/api/v1/annotations/{document.pk}/review/", {"decision": "accept"}, format="json"
    )
    assert accepted.json()["status"] == "accepted"
    assert ReviewComment.objects.filter(document=document, resolved_at__isnull=True).count() == 0
    still_open = api(annotator).get(f"/api/v1/annotations/{document.pk}/comments/?open=1")
    assert still_open.json()["count"] == 0


@pytest.mark.parametrize(
    ("comment", "error_key"),
    [
        ({"body": ""}, "body"),
        ({"body": "x", "shape_id": "not-a-shape"}, "shape_id"),
        ({"body": "x", "region": {"x": 1}}, "region"),
        ({"body": "x", "region": {"x": 60, "y": 40, "w": 10, "h": 10}}, "region"),
        ({"body": "x", "region": {"x": 1, "y": 1, "w": 0, "h": 3}}, "region"),
        ({"body": "x", "region": {"x": "1", "y": 1}}, "region"),
    ],
)
def test_a_bad_comment_is_a_400_naming_it_and_changes_nothing(
    item, annotator, reviewer, api, comment, error_key
):
    document = document_submitted(item, annotator)
    before = state(item)

    response = reject(api(reviewer), document, [{"body": "fine"}, comment])

    assert response.status_code == 400
    assert error_key in response.json()["errors"]["comments"]["1"]
    assert state(item) == before
    assert ReviewComment.objects.count() == 0


def test_comments_must_be_a_list(item, annotator, reviewer, api):
    document = document_submitted(item, annotator)

    response = reject(api(reviewer), document, "fix it")

    assert response.status_code == 400
    assert "comments" in response.json()["errors"]


def test_the_reviewer_queue_is_oldest_first_and_never_the_reviewers_own(
    project, annotator, reviewer, api
):
    first, second, third = items_add(project, 3)
    carl = user_create("carl_annotator")
    project.memberships.create(user=carl, role="annotator")
    older = document_submitted(second, annotator)
    newer = document_submitted(first, carl)
    document_submitted(third, reviewer)  # their own: never theirs to review
    document_saved(items_add(project)[0], carl)  # a draft: not for review

    served = api(reviewer).post(f"/api/v1/projects/{project.pk}/review/next/")
    assert (served.status_code, served.json()["id"]) == (200, older.pk)
    assert served.json()["item_name"] == second.name
    annotation_review(reviewer=reviewer, document=older, decision="accept", comment="")
    assert api(reviewer).post(f"/api/v1/projects/{project.pk}/review/next/").json()["id"] == (
        newer.pk
    )
    annotation_review(reviewer=reviewer, document=newer, decision="accept", comment="")
    assert api(reviewer).post(f"/api/v1/projects/{project.pk}/review/next/").status_code == 204


def test_an_annotator_cannot_open_another_annotators_document(project, item, annotator, api):
    carl = user_create("carl_annotator")
    project.memberships.create(user=carl, role="annotator")
    theirs = document_submitted(item, carl)
    mine = document_saved(items_add(project)[0], annotator)
    browser = Client()
    browser.force_login(annotator)

    assert api(annotator).get(f"/api/v1/annotations/{theirs.pk}/").status_code == 404
    assert api(annotator).get(f"/api/v1/annotations/{theirs.pk}/comments/").status_code == 404
    assert browser.get(f"/items/{item.pk}/label/?document={theirs.pk}").status_code == 404
    assert browser.get(f"/items/{item.pk}/label/?document=x").status_code == 404
    # their own document opens; another item's id in the URL does not
    assert browser.get(f"/items/{mine.item_id}/label/?document={mine.pk}").status_code == 200
    assert browser.get(f"/items/{item.pk}/label/?document={mine.pk}").status_code == 404


def test_managers_and_reviewers_open_anyones_document_in_the_studio(
    project, item, annotator, manager, reviewer
):
    document = document_submitted(item, annotator)
    for user in (manager, reviewer):
        browser = Client()
        browser.force_login(user)
        page = browser.get(f"/items/{item.pk}/label/?document={document.pk}")
        assert page.status_code == 200
        assert f'"documentId": {document.pk}' in page.content.decode()


def test_progress_counts_task_items_done_and_each_items_status(
    project, annotator, reviewer, manager, api
):
    items = items_add(project, 5)
    gold = items_add(project, role="gold")[0]
    carl = user_create("carl_annotator")
    project.memberships.create(user=carl, role="annotator")
    accepted = document_submitted(items[0], annotator)
    annotation_review(reviewer=reviewer, document=accepted, decision="accept", comment="")
    document_submitted(items[1], annotator)
    rejected = document_submitted(items[2], carl)
    annotation_review(reviewer=reviewer, document=rejected, decision="reject", comment="")
    document_saved(items[3], annotator)
    document_submitted(gold, annotator)  # gold is not a task item: not in done / total
    ids = ",".join(str(item.pk) for item in items)

    response = api(manager).get(f"/api/v1/projects/{project.pk}/progress/?items={ids}")

    assert response.status_code == 200
    body = response.json()
    assert (body["done"], body["total"]) == (2, 5)
    assert [body["items"][str(item.pk)] for item in items] == [
        "accepted",
        "submitted",
        "rejected",
        "in_progress",
        "unlabeled",
    ]
    assert api(manager).get(f"/api/v1/projects/{project.pk}/progress/?items=1;2").status_code == 400
    # the project list shows the same figures to staff, and annotators only their own count
    for user, text in ((manager, "2 / 5 done"), (annotator, "3 submitted by you")):
        browser = Client()
        browser.force_login(user)
        assert text in browser.get("/").content.decode()


def test_a_rejected_claim_does_not_lapse_while_it_waits_for_its_annotator(
    project, item, annotator, reviewer, settings
):
    from datetime import timedelta

    from django.utils import timezone

    from annotate.leases import leases_expire

    document = document_submitted(item, annotator)
    annotation_review(reviewer=reviewer, document=document, decision="reject", comment="")
    Assignment.objects.filter(item=item).update(
        touched_at=timezone.now() - timedelta(minutes=settings.LOUPE_LEASE_MINUTES + 5)
    )

    assert leases_expire(project=project) == 0
    assert Assignment.objects.get(item=item, user=annotator).state == "active"
