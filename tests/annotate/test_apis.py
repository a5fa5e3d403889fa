"""The caller's annotation document: load, optimistic saves, validation, submit, skip, review."""

import json
import uuid
from typing import Any

import pytest

from annotate.models import (
    ActivityEvent,
    AnnotationDocument,
    Assignment,
    Revision,
)
from projects.models import Item
from tests.factories import box, document_saved, document_submitted, items_add, tag, user_create

pytestmark = pytest.mark.django_db

ID = "6f1c1c0e-5a0e-4c57-9d3b-2d7f5b1e0a11"


def url(item: Item, suffix: str = "") -> str:
    return f"/api/v1/items/{item.pk}/annotation/{suffix}"


def put(client, item: Item, shapes: Any, version: int | str | None, **kwargs: Any):
    headers = {} if version is None else {"HTTP_IF_MATCH": f'"{version}"'}
    return client.put(url(item), {"shapes": shapes}, format="json", **headers, **kwargs)


def state(item: Item) -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    return {
        "documents": sorted(
            AnnotationDocument.objects.filter(item=item).values_list(
                "pk", "annotator_id", "version", "status", "shapes"
            )
        ),
        "revisions": sorted(Revision.objects.values_list("document_id", "version")),
        "saved_events": ActivityEvent.objects.filter(verb="saved").count(),
        "assignments": sorted(Assignment.objects.values_list("item_id", "user_id", "state")),
    }


@pytest.fixture
def item(project) -> Item:
    (item,) = items_add(project, size=(64, 48))
    return item


# --- loading --------------------------------------------------------------------------------


def test_a_document_never_saved_loads_empty_at_version_0(item, annotator, api):
    response = api(annotator).get(url(item))

    assert response.status_code == 200
    assert response["ETag"] == '"0"'
    assert response.json() == {
        "id": None,
        "item": item.pk,
        "annotator": "bob_annotator",
        "kind": "annotator",
        "status": "draft",
        "version": 0,
        "shapes": [],
        "created_at": None,
        "updated_at": None,
        "submitted_at": None,
    }
    assert AnnotationDocument.objects.count() == 0
    assert list(ActivityEvent.objects.values_list("verb", "user_id", "item_id", "data")) == [
        ("opened", annotator.pk, item.pk, {"version": 0})
    ]


def test_each_annotator_loads_only_their_own_document(item, annotator, api):
    other = user_create("carl")
    item.project.memberships.create(user=other, role="annotator")
    document_saved(item, other, [box()])

    response = api(annotator).get(url(item))

    assert (response.json()["version"], response.json()["shapes"]) == (0, [])


# --- saving ---------------------------------------------------------------------------------


def test_the_first_save_creates_version_1_with_a_revision_and_an_event(item, annotator, api):
    shape = box(points=[1, 2, 30, 40], attributes={}, occluded=True)

    response = put(api(annotator), item, [shape], 0)

    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    car_id = item.project.label("car")["id"]
    stored = {**shape, "points": [1.0, 2.0, 30.0, 40.0], "label_id": car_id}
    document = AnnotationDocument.objects.get()
    assert (document.version, document.status, document.shapes) == (1, "draft", [stored])
    assert response.json()["shapes"] == [stored]
    assert list(Revision.objects.values_list("version", "author_id", "shapes", "status")) == [
        (1, annotator.pk, [stored], "draft")
    ]
    assert list(ActivityEvent.objects.values_list("verb", "data")) == [
        ("saved", {"version": 1, "shapes": 1})
    ]


def test_a_save_at_the_current_version_writes_the_next_one(item, annotator, api):
    client = api(annotator)
    put(client, item, [box()], 0)
    shapes = [box("person", attributes={"pose": "sitting"}), tag()]

    response = put(client, item, shapes, 1)

    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    assert AnnotationDocument.objects.get().version == 2
    assert [shape["id"] for shape in AnnotationDocument.objects.get().shapes] == [
        shape["id"] for shape in shapes
    ]
    assert list(Revision.objects.order_by("version").values_list("version", flat=True)) == [1, 2]


def test_a_weak_etag_is_accepted_as_if_match(item, annotator, api):
    client = api(annotator)
    put(client, item, [box()], 0)

    response = client.put(url(item), {"shapes": []}, format="json", HTTP_IF_MATCH='W/"1"')

    assert response.status_code == 200
    assert response["ETag"] == '"2"'


def test_a_save_without_if_match_is_refused_with_428(item, annotator, api):
    before = state(item)

    response = put(api(annotator), item, [box()], None)

    assert response.status_code == 428
    assert response.json() == {
        "detail": 'This request needs an If-Match header with the version you loaded, e.g. "3".'
    }
    assert state(item) == before


@pytest.mark.parametrize("header", ["abc", '"1.5"', "*", '"-1"'])
def test_a_malformed_if_match_is_a_400(item, annotator, api, header):
    before = state(item)

    response = api(annotator).put(url(item), {"shapes": []}, format="json", HTTP_IF_MATCH=header)

    assert response.status_code == 400
    assert response.json()["errors"] == {"If-Match": ['Expected the version as an ETag, e.g. "3".']}
    assert state(item) == before


def test_a_stale_save_is_refused_and_keeps_the_newer_shapes(item, annotator, api):
    # given a document at version 2, saved from another tab
    client = api(annotator)
    put(client, item, [box()], 0)
    newer = [box(points=[5, 5, 20, 20])]
    put(client, item, newer, 1)
    before = state(item)

    # when a tab still holding version 1 saves
    response = put(client, item, [tag()], 1)

    # then it is told the current version and nothing changed
    assert response.status_code == 412
    assert response.json() == {
        "detail": "Your copy is out of date: the document is at version 2. "
        "Reload to see the latest shapes.",
        "current_version": 2,
    }
    assert state(item) == before
    assert AnnotationDocument.objects.get().shapes[0]["points"] == [5.0, 5.0, 20.0, 20.0]


def test_creating_a_document_that_already_exists_is_stale(item, annotator, api):
    client = api(annotator)
    put(client, item, [box()], 0)
    before = state(item)

    response = put(client, item, [], 0)

    assert response.status_code == 412
    assert response.json()["current_version"] == 1
    assert state(item) == before


def test_an_if_match_ahead_of_a_missing_document_is_stale(item, annotator, api):
    response = put(api(annotator), item, [box()], 5)

    assert response.status_code == 412
    assert response.json()["current_version"] == 0
    assert AnnotationDocument.objects.count() == 0


def shape_with(**fields: Any) -> dict[str, Any]:
    return {**box(), **fields}


SECOND_ID = str(uuid.uuid4())
INVALID_SHAPES = [
    pytest.param(
        shape_with(label="truck"),
        {"label": ["Unknown label 'truck' for this project."]},
        id="label",
    ),
    pytest.param(
        shape_with(label=["car"]),
        {"label": ["Unknown label ['car'] for this project."]},
        id="label-list",
    ),
    pytest.param(
        shape_with(kind="polygon", points=[1, 1, 9, 1, 9, 9]),
        {"kind": ["Label 'car' takes box shapes, not 'polygon'."]},
        id="wrong-kind",
    ),
    pytest.param(
        shape_with(points=[1, 2, 30]),
        {"points": ["A box is 4 numbers [x1, y1, x2, y2]."]},
        id="box-3",
    ),
    pytest.param(
        shape_with(points=[30, 2, 30, 40]),
        {"points": ["A box is [x1, y1, x2, y2] with x1 < x2 and y1 < y2."]},
        id="x1-equals-x2",
    ),
    pytest.param(
        shape_with(points=[31, 2, 30, 40]),
        {"points": ["A box is [x1, y1, x2, y2] with x1 < x2 and y1 < y2."]},
        id="x1-after-x2",
    ),
    pytest.param(
        shape_with(points=[1, 40, 30, 2]),
        {"points": ["A box is [x1, y1, x2, y2] with x1 < x2 and y1 < y2."]},
        id="y1-after-y2",
    ),
    pytest.param(
        shape_with(points=[1, 2, 64.5, 40]),
        {"points": ["Points must lie inside the 64x48 image."]},
        id="right-of-image",
    ),
    pytest.param(
        shape_with(points=[-0.5, 2, 30, 40]),
        {"points": ["Points must lie inside the 64x48 image."]},
        id="left-of-image",
    ),
    pytest.param(
        shape_with(points=[1, 2, 30, 48.01]),
        {"points": ["Points must lie inside the 64x48 image."]},
        id="below-image",
    ),
    pytest.param(
        shape_with(points=["1", 2, 30, 40]),
        {"points": ["Expected a list of finite numbers."]},
        id="string-number",
    ),
    pytest.param(
        shape_with(points=[True, 2, 30, 40]),
        {"points": ["Expected a list of finite numbers."]},
        id="boolean-number",
    ),
    pytest.param(
        shape_with(points=[None, 2, 30, 40]),
        {"points": ["Expected a list of finite numbers."]},
        id="null-number",
    ),
    pytest.param(
        shape_with(points="1,2,30,40"),
        {"points": ["Expected a list of finite numbers."]},
        id="points-string",
    ),
    pytest.param(shape_with(id="shape-1"), {"id": ["Expected a UUID."]}, id="id-not-uuid"),
    pytest.param(shape_with(id=ID), {"id": [f"Duplicate shape id {ID}."]}, id="duplicate-id"),
    pytest.param(
        shape_with(id=ID.upper()), {"id": [f"Duplicate shape id {ID}."]}, id="duplicate-id-case"
    ),
    pytest.param(
        shape_with(colour="red", z=1),
        {"non_field_errors": ["Unknown fields: colour, z."]},
        id="unknown-fields",
    ),
    pytest.param(
        shape_with(label="person", attributes={"pose": "flying"}),
        {"attributes": ["Invalid value 'flying' for select attribute 'pose'."]},
        id="attribute-value",
    ),
    pytest.param(
        shape_with(label="person", attributes={"age": 3}),
        {"attributes": ["'person' has no attribute 'age'."]},
        id="attribute-unknown",
    ),
    pytest.param(
        shape_with(attributes=["pose"]),
        {"attributes": ["Expected an object of attribute values."]},
        id="attributes-not-object",
    ),
    pytest.param(
        {**tag(), "points": [1, 2]}, {"points": ["Tags have no points."]}, id="tag-with-points"
    ),
    pytest.param(
        shape_with(occluded="yes"), {"occluded": ["Expected true or false."]}, id="occluded"
    ),
    pytest.param(
        {**tag(), "rotation": 10},
        {"rotation": ["Only boxes rotate, by a finite number of degrees."]},
        id="rotated-tag",
    ),
    pytest.param("a box", {"non_field_errors": ["Expected a shape object."]}, id="not-object"),
]


@pytest.mark.parametrize(("bad_shape", "errors"), INVALID_SHAPES)
def test_an_invalid_shape_is_refused_with_errors_keyed_by_its_index(
    item, annotator, api, bad_shape, errors
):
    # given a saved document
    client = api(annotator)
    put(client, item, [box()], 0)
    before = state(item)

    # when a save holds one valid shape and then the bad one
    response = put(client, item, [box(id=ID), bad_shape], 1)

    # then the bad one is named by position and field, and nothing changed
    assert response.status_code == 400
    assert response.json()["errors"] == {"shapes": {"1": errors}}
    assert state(item) == before


def test_the_error_summary_names_the_shape_and_field(item, annotator, api):
    response = put(api(annotator), item, [box(), box(points=[1, 2, 3])], 0)

    assert response.json()["detail"] == "shapes.1.points: A box is 4 numbers [x1, y1, x2, y2]."
    assert AnnotationDocument.objects.count() == 0


def test_nan_is_not_json_and_is_refused_as_a_parse_error(item, annotator, api):
    # JSON has no NaN; a client that writes Python's NaN literal sends an unparsable body
    shape = box()
    raw = json.dumps({"shapes": [{**shape, "points": [float("nan"), 2, 30, 40]}]})
    assert "NaN" in raw

    response = api(annotator).generic(
        "PUT", url(item), raw, content_type="application/json", HTTP_IF_MATCH='"0"'
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - ")
    assert AnnotationDocument.objects.count() == 0


def test_a_number_too_large_for_a_float_is_refused_as_not_finite(item, annotator, api):
    # 1e400 is valid JSON that parses to infinity
    shape = box(points=[1, 2, "x2", 40])
    raw = json.dumps({"shapes": [shape]}).replace('"x2"', "1e400")

    response = api(annotator).generic(
        "PUT", url(item), raw, content_type="application/json", HTTP_IF_MATCH='"0"'
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "shapes": {"0": {"points": ["Expected a list of finite numbers."]}}
    }
    assert AnnotationDocument.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ([box()], {"shapes": ["This field is required."]}),
        ("shapes", {"shapes": ["This field is required."]}),
        ({"shape": [box()]}, {"shapes": ["This field is required."]}),
        ({"shapes": {"0": box()}}, {"shapes": ["Expected a list of shapes."]}),
        ({"shapes": None}, {"shapes": ["Expected a list of shapes."]}),
    ],
)
def test_a_body_that_is_not_an_object_with_a_shape_list_is_a_400(
    item, annotator, api, payload, errors
):
    response = api(annotator).put(url(item), payload, format="json", HTTP_IF_MATCH='"0"')

    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert AnnotationDocument.objects.count() == 0


def test_every_kind_of_shape_is_saved_normalised(project, manager, annotator, api):
    # given a project with a class of each kind and a 40x30 image
    labels = [
        {"name": "scene", "kind": "tag"},
        {"name": "car", "kind": "box"},
        {"name": "lake", "kind": "polygon"},
        {"name": "lane", "kind": "polyline"},
        {"name": "pose", "kind": "keypoints", "keypoints": ["a", "b"], "skeleton": [[0, 1]]},
        {"name": "crate", "kind": "cuboid"},
        {"name": "road", "kind": "mask"},
    ]
    api(manager).patch(f"/api/v1/projects/{project.pk}/", {"labels": labels}, format="json")
    (item,) = items_add(project, size=(40, 30))
    shapes = [
        {"id": str(uuid.uuid4()), "label": "scene", "kind": "tag"},
        {**box(), "points": [1, 1, 10, 10], "rotation": 370},
        {
            "id": str(uuid.uuid4()),
            "label": "lake",
            "kind": "polygon",
            "points": [0, 0, 40, 0, 20, 30],
        },
        {"id": str(uuid.uuid4()), "label": "lane", "kind": "polyline", "points": [0, 0, 5, 5]},
        # an absent keypoint may lie anywhere (its coordinates mean nothing)
        {
            "id": str(uuid.uuid4()),
            "label": "pose",
            "kind": "keypoints",
            "points": [1, 1, 2, -9, 99, 0],
        },
        {"id": str(uuid.uuid4()), "label": "crate", "kind": "cuboid", "points": [1] * 16},
        {
            "id": str(uuid.uuid4()),
            "label": "road",
            "kind": "mask",
            "points": [0, 0, 1, 1],
            "rle": {"size": [30, 40], "counts": [0, 1, 1199]},
        },
    ]

    response = put(api(annotator), item, shapes, 0)

    assert response.status_code == 201, response.json()
    stored = AnnotationDocument.objects.get().shapes
    assert [shape["kind"] for shape in stored] == [
        "tag",
        "box",
        "polygon",
        "polyline",
        "keypoints",
        "cuboid",
        "mask",
    ]
    assert stored[1]["rotation"] == 10.0
    assert stored[0]["points"] == []
    assert stored[6]["rle"] == {"size": [30, 40], "counts": [0, 1, 1199]}


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


def test_a_draft_cannot_be_reviewed(item, annotator, reviewer, api):
    document = document_saved(item, annotator)
    before = state(item)

    response = review(api(reviewer), document, "accept")

    assert response.status_code == 409
    assert response.json() == {"detail": "Only submitted annotations can be reviewed."}
    assert state(item) == before


def test_a_reviewed_document_cannot_be_reviewed_again(item, annotator, reviewer, api):
    document = document_submitted(item, annotator)
    client = api(reviewer)
    review(client, document, "reject")
    before = state(item)

    response = review(client, document, "accept")

    assert response.status_code == 409
    assert state(item) == before


def test_nobody_reviews_their_own_document(item, reviewer, api):
    document = document_submitted(item, reviewer)
    before = state(item)

    response = review(api(reviewer), document, "accept")

    assert response.status_code == 403
    assert response.json() == {"detail": "You cannot review your own annotation."}
    assert state(item) == before


def test_an_annotator_cannot_review_even_their_own_document(item, annotator, api):
    document = document_submitted(item, annotator)
    before = state(item)

    response = review(api(annotator), document, "accept")

    assert response.status_code == 403
    assert response.json() == {"detail": "Reviewing needs the reviewer or manager role."}
    assert state(item) == before


def test_an_unknown_decision_is_a_400(item, annotator, reviewer, api):
    document = document_submitted(item, annotator)
    before = state(item)

    response = review(api(reviewer), document, "maybe")

    assert response.status_code == 400
    assert response.json()["errors"] == {"decision": ['"maybe" is not a valid choice.']}
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
