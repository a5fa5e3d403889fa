"""The caller's annotation document: load, optimistic saves, validation."""

import json
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotate.models import ActivityEvent, AnnotationDocument, Revision
from tests.annotate.documents import ID, put, state, url
from tests.annotate.factories import box, document_saved, tag
from tests.projects.factories import items_add, project_with_members, user_create

pytestmark = pytest.mark.django_db


# --- loading --------------------------------------------------------------------------------


def test_a_document_never_saved_loads_empty_at_version_0(item, annotator, api):
    response = api(annotator).get(url(item))

    assert response.status_code == 200
    assert response["ETag"] == '"0"'
    assert response.json() == {
        "id": None,
        "item": item.pk,
        "item_name": item.name,
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


def test_a_saved_document_loads_as_stored_with_its_text_intact(manager, annotator, api):
    # The GET hands on the stored JSON text without parsing it: what comes back must be the
    # document itself, non-ASCII and escaped text included, on SQLite and Postgres alike.
    labels = [
        {
            "name": "car",
            "color": "#ff0000",
            "kind": "box",
            "attributes": [{"name": "plate", "type": "text"}],
        },
        {"name": "night", "color": "#000080", "kind": "tag"},
    ]
    project = project_with_members(manager=manager, labels=labels, bob_annotator="annotator")
    (item,) = items_add(project, size=(64, 48))
    plate = 'Straße 7 \u2014 "Ä" \\ 🚗'
    shapes = [box(attributes={"plate": plate}, occluded=True), tag()]
    saved = put(api(annotator), item, shapes, 0).json()

    response = api(annotator).get(url(item))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["ETag"] == '"1"'
    body = json.loads(response.content.decode("utf-8"))
    assert body["shapes"] == saved["shapes"] == AnnotationDocument.objects.get().shapes
    assert body["shapes"][0]["attributes"] == {"plate": plate}
    assert {key: body[key] for key in ("id", "item", "annotator", "version", "status")} == {
        "id": AnnotationDocument.objects.get().pk,
        "item": item.pk,
        "annotator": "bob_annotator",
        "version": 1,
        "status": "draft",
    }


def test_the_get_reads_the_document_once_and_never_parses_its_shapes(item, annotator, api):
    put(api(annotator), item, [box(), tag()], 0)
    client = api(annotator)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(item))

    assert response.status_code == 200
    sql = [query["sql"] for query in queries.captured_queries]
    reads = [statement for statement in sql if "annotate_annotationdocument" in statement]
    assert len(reads) == 1, reads  # the shapes come as text from that read, not a second one
    assert len(response.json()["shapes"]) == 2


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
    ("field", "errors"),
    [
        ("points", {"points": ["Expected a list of finite numbers."]}),
        ("rotation", {"rotation": ["Only boxes rotate, by a finite number of degrees."]}),
    ],
)
def test_an_integer_too_large_for_a_float_is_refused_not_a_server_error(
    item, annotator, api, field, errors
):
    # 10**400 is valid JSON that parses to a Python int no float can hold (isfinite overflows)
    shape = box(points=[1, 2, "huge", 40]) if field == "points" else box(rotation="huge")
    raw = json.dumps({"shapes": [shape]}).replace('"huge"', str(10**400))

    response = api(annotator).generic(
        "PUT", url(item), raw, content_type="application/json", HTTP_IF_MATCH='"0"'
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"shapes": {"0": errors}}
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
