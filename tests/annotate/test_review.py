"""Review decisions and the documents reviewers see."""

import pytest

from annotate.models import ActivityEvent, AnnotationDocument, Revision
from tests.annotate.documents import put, state, url
from tests.annotate.factories import box, document_saved, document_submitted
from tests.projects.factories import items_add, user_create

pytestmark = pytest.mark.django_db


# --- review ---------------------------------------------------------------------------------


def review(client, document: AnnotationDocument, decision: str, comment: str = ""):
    return client.post(
        f"/api/v1/annotations/{document.pk}/review/",
        {"decision": decision, "comment": comment},
        format="json",
    )


@pytest.mark.parametrize(("decision", "status"), [("accept", "accepted"), ("reject", "rejected")])
def test_a_reviewer_decides_on_a_submitted_document(
    item, annotator, reviewer, api, decision, status
):
    document = document_submitted(item, annotator)

    response = review(api(reviewer), document, decision, "Looks right.")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == (status, 3)
    document.refresh_from_db()
    assert (document.status, document.version) == (status, 3)
    assert list(
        Revision.objects.order_by("version").values_list("version", "status", "author_id")
    ) == [
        (1, "draft", annotator.pk),
        (2, "submitted", annotator.pk),
        (3, status, reviewer.pk),
    ]
    assert ActivityEvent.objects.get(verb="reviewed").data == {
        "document": document.pk,
        "decision": decision,
        "comment": "Looks right.",
    }


def test_a_manager_may_review_too(item, annotator, manager, api):
    document = document_submitted(item, annotator)

    assert review(api(manager), document, "accept").status_code == 200


@pytest.mark.parametrize(
    ("author", "submitted", "by", "decision", "status", "body"),
    [
        pytest.param(
            "annotator", False, "reviewer", "accept", 409,
            {"detail": "Only submitted annotations can be reviewed."},
            id="a-draft",
        ),
        pytest.param(
            "reviewer", True, "reviewer", "accept", 403,
            {"detail": "You cannot review your own annotation."},
            id="one's-own",
        ),
        pytest.param(
            "annotator", True, "annotator", "accept", 403,
            {"detail": "Reviewing needs the reviewer or manager role."},
            id="by-an-annotator",
        ),
        pytest.param(
            "annotator", True, "reviewer", "maybe", 400,
            {
                "detail": 'decision: "maybe" is not a valid choice.',
                "errors": {"decision": ['"maybe" is not a valid choice.']},
            },
            id="an-unknown-decision",
        ),
    ],
)  # fmt: skip
def test_a_refused_review_changes_nothing(
    item, api, request, author, submitted, by, decision, status, body
):
    make = document_submitted if submitted else document_saved
    document = make(item, request.getfixturevalue(author))
    before = state(item)

    response = review(api(request.getfixturevalue(by)), document, decision)

    assert response.status_code == status
    assert response.json() == body
    assert state(item) == before


def test_a_reviewed_document_cannot_be_reviewed_again(item, annotator, reviewer, api):
    document = document_submitted(item, annotator)
    client = api(reviewer)
    review(client, document, "reject")
    before = state(item)

    response = review(client, document, "accept")

    assert response.status_code == 409
    assert state(item) == before


def test_an_accepted_document_can_no_longer_be_edited_or_resubmitted(
    item, annotator, reviewer, api
):
    document = document_submitted(item, annotator)
    review(api(reviewer), document, "accept")
    before = state(item)
    client = api(annotator)

    edit = put(client, item, [], 3)
    submit = client.post(url(item, "submit/"))

    assert edit.status_code == 409
    assert edit.json() == {
        "detail": "This annotation was accepted by a reviewer and can no longer be edited."
    }
    assert submit.status_code == 409
    assert submit.json() == {"detail": "This annotation was already accepted."}
    assert state(item) == before


def test_a_rejected_document_is_fixed_and_resubmitted(item, annotator, reviewer, api):
    document = document_submitted(item, annotator)
    review(api(reviewer), document, "reject")
    client = api(annotator)

    edited = put(client, item, [box(points=[2, 2, 9, 9])], 3)
    resubmitted = client.post(url(item, "submit/"))

    assert (edited.status_code, edited.json()["status"]) == (200, "draft")
    assert (resubmitted.json()["status"], resubmitted.json()["version"]) == ("submitted", 5)
    assert review(api(reviewer), document, "accept").json()["status"] == "accepted"


# --- documents for reviewers ----------------------------------------------------------------


@pytest.fixture
def documents(project, annotator, reviewer):
    """bob: one submitted, one draft; carl: one submitted."""
    carl = user_create("carl")
    project.memberships.create(user=carl, role="annotator")
    first, second = items_add(project, 2)
    return {
        "bob_submitted": document_submitted(first, annotator),
        "bob_draft": document_saved(second, annotator),
        "carl_submitted": document_submitted(first, carl),
    }


def listed(response) -> list[int]:
    return [document["id"] for document in response.json()["results"]]


def test_reviewers_list_every_document_of_the_project(project, reviewer, documents, api):
    response = api(reviewer).get(f"/api/v1/projects/{project.pk}/annotations/")

    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert listed(response) == sorted(document.pk for document in documents.values())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "submitted"}, ["bob_submitted", "carl_submitted"]),
        ({"status": "draft"}, ["bob_draft"]),
        ({"status": "accepted"}, []),
        ({"annotator": "bob_annotator"}, ["bob_submitted", "bob_draft"]),
        ({"annotator": "carl", "status": "submitted"}, ["carl_submitted"]),
        ({"annotator": "nobody"}, []),
        ({"status": ""}, ["bob_submitted", "bob_draft", "carl_submitted"]),
    ],
)
def test_the_document_list_filters_by_status_and_annotator(
    project, reviewer, documents, api, query, expected
):
    response = api(reviewer).get(f"/api/v1/projects/{project.pk}/annotations/", query)

    assert response.status_code == 200
    assert listed(response) == sorted(documents[name].pk for name in expected)


def test_the_document_list_filters_by_item(project, reviewer, documents, api):
    item_id = documents["bob_draft"].item_id

    response = api(reviewer).get(f"/api/v1/projects/{project.pk}/annotations/", {"item": item_id})

    assert listed(response) == [documents["bob_draft"].pk]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"item": "abc"}, {"item": ["A valid integer is required."]}),
        ({"status": "done"}, {"status": ['"done" is not a valid choice.']}),
    ],
)
def test_a_malformed_document_filter_is_a_400(project, reviewer, documents, api, query, errors):
    response = api(reviewer).get(f"/api/v1/projects/{project.pk}/annotations/", query)

    assert response.status_code == 400
    assert response.json()["errors"] == errors


def test_a_reviewer_reads_a_document_and_its_revisions(reviewer, documents, api):
    document = documents["bob_submitted"]
    client = api(reviewer)

    detail = client.get(f"/api/v1/annotations/{document.pk}/")
    revisions = client.get(f"/api/v1/annotations/{document.pk}/revisions/")

    assert detail.status_code == 200
    assert detail["ETag"] == '"2"'
    assert (detail.json()["annotator"], detail.json()["status"]) == ("bob_annotator", "submitted")
    assert revisions.status_code == 200
    assert [
        (revision["version"], revision["status"], revision["author"], len(revision["shapes"]))
        for revision in revisions.json()["results"]
    ] == [(1, "draft", "bob_annotator", 1), (2, "submitted", "bob_annotator", 1)]


def test_an_annotator_reads_their_own_document_by_id_but_not_anothers(annotator, documents, api):
    client = api(annotator)

    assert client.get(f"/api/v1/annotations/{documents['bob_draft'].pk}/").status_code == 200
    other = client.get(f"/api/v1/annotations/{documents['carl_submitted'].pk}/")
    assert other.status_code == 404
    assert other.json() == {"detail": "No such annotation."}
