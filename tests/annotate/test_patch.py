"""PATCH of the caller's document: change sets (add / update / delete by id) under If-Match."""

import json
import uuid
from typing import Any

import pytest

from annotate.models import ActivityEvent, AnnotationDocument, Revision
from annotate.revisions import revision_shapes
from formats.canonical import content_hash
from projects.models import Item
from tests.annotate.factories import box, document_saved, document_submitted, tag
from tests.projects.factories import items_add

pytestmark = pytest.mark.django_db


def url(item: Item) -> str:
    return f"/api/v1/items/{item.pk}/annotation/"


def patch(client, item: Item, changes: Any, version: int | None):
    headers = {} if version is None else {"HTTP_IF_MATCH": f'"{version}"'}
    return client.patch(url(item), changes, format="json", **headers)


def stored(shape: dict[str, Any]) -> dict[str, Any]:
    """A shape as validate_shapes stores it (label_id filled in from the class)."""
    return {
        "attributes": {},
        "occluded": False,
        **shape,
        "points": [float(value) for value in shape.get("points", [])],
    }


def state(item: Item) -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    return {
        "documents": sorted(
            AnnotationDocument.objects.filter(item=item).values_list(
                "pk", "version", "status", "shapes", "content_hash"
            )
        ),
        "revisions": sorted(Revision.objects.values_list("document_id", "version")),
        "saved_events": ActivityEvent.objects.filter(verb="saved").count(),
    }


def shapes_of(item: Item) -> list[dict[str, Any]]:
    return AnnotationDocument.objects.get(item=item).shapes


def without_label_ids(shapes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in shape.items() if k != "label_id"} for shape in shapes]


@pytest.fixture
def item(project) -> Item:
    (item,) = items_add(project, size=(64, 48))
    return item


# --- round trips ----------------------------------------------------------------------------


def test_a_patch_to_version_0_creates_the_document(item, annotator, api):
    shape = box(points=[1, 2, 30, 40])

    response = patch(api(annotator), item, {"add": [shape]}, 0)

    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    document = AnnotationDocument.objects.get()
    assert response.json() == {
        "version": 1,
        "content_hash": content_hash(document.shapes),
        "status": "draft",
    }
    assert without_label_ids(document.shapes) == [stored(shape)]
    assert document.content_hash == content_hash(document.shapes)
    assert list(Revision.objects.values_list("version", "shapes")) == [(1, document.shapes)]
    assert list(ActivityEvent.objects.values_list("verb", "data")) == [
        ("saved", {"version": 1, "shapes": 1})
    ]


def test_add_update_and_delete_apply_by_id_and_keep_the_order(item, annotator, api):
    first, second, third = box(points=[1, 1, 5, 5]), box(points=[2, 2, 6, 6]), tag()
    document_saved(item, annotator, [first, second, third])
    moved = {**second, "points": [3, 3, 9, 9], "occluded": True}
    added = box("person", attributes={"pose": "sitting"})

    response = patch(
        api(annotator), item, {"add": [added], "update": [moved], "delete": [first["id"]]}, 1
    )

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    assert without_label_ids(shapes_of(item)) == [stored(moved), stored(third), stored(added)]
    document = AnnotationDocument.objects.get()
    assert (document.version, document.status) == (2, "draft")
    assert response.json()["content_hash"] == document.content_hash == content_hash(document.shapes)
    revision = Revision.objects.get(version=2)
    assert (revision.checkpoint, revision_shapes(revision)) == (False, document.shapes)


def test_ids_are_matched_in_any_case(item, annotator, api):
    shape = box()
    document_saved(item, annotator, [shape])

    response = patch(api(annotator), item, {"delete": [shape["id"].upper()]}, 1)

    assert response.status_code == 200, response.json()
    assert shapes_of(item) == []


def test_a_get_after_patches_returns_what_they_built(item, annotator, api):
    client = api(annotator)
    shape = box(points=[1, 2, 3, 4])
    patch(client, item, {"add": [shape]}, 0)
    patch(client, item, {"update": [{**shape, "points": [5, 6, 7, 8]}]}, 1)

    response = client.get(url(item))

    assert response["ETag"] == '"2"'
    assert [s["points"] for s in response.json()["shapes"]] == [[5.0, 6.0, 7.0, 8.0]]


def test_an_empty_change_set_writes_the_next_version(item, annotator, api):
    document_saved(item, annotator, [box()])

    response = patch(api(annotator), item, {}, 1)

    assert (response.status_code, response["ETag"]) == (200, '"2"')


def test_a_patch_after_submission_returns_the_document_to_draft(item, annotator, api):
    document_submitted(item, annotator, [box()])

    response = patch(api(annotator), item, {"add": [tag()]}, 2)

    assert (response.status_code, response.json()["status"]) == (200, "draft")


# --- concurrency ----------------------------------------------------------------------------


def test_two_tabs_patching_different_shapes_the_second_gets_412_and_nothing_changes(
    item, annotator, api
):
    left, right = box(points=[1, 1, 5, 5]), box(points=[10, 10, 20, 20])
    document_saved(item, annotator, [left, right])
    first_tab, second_tab = api(annotator), api(annotator)
    first = patch(first_tab, item, {"update": [{**left, "points": [2, 2, 6, 6]}]}, 1)
    assert first.status_code == 200
    after_first = state(item)

    second = patch(second_tab, item, {"update": [{**right, "points": [11, 11, 21, 21]}]}, 1)

    # the second tab merges itself: it is told the current version, and nothing was written
    assert second.status_code == 412
    assert second.json()["current_version"] == 2
    assert state(item) == after_first
    assert [s["points"] for s in shapes_of(item)] == [[2.0, 2.0, 6.0, 6.0], [10, 10, 20, 20]]


def test_a_stale_patch_is_answered_before_its_body_is_read(item, annotator, api):
    document_saved(item, annotator, [box()])
    patch(api(annotator), item, {"add": [box()]}, 1)
    before = state(item)

    # an invalid change set at a stale version: the version is what the client must fix first
    response = patch(api(annotator), item, {"add": "not a list", "bogus": 1}, 1)

    assert (response.status_code, response.json()["current_version"]) == (412, 2)
    assert state(item) == before


def test_a_patch_ahead_of_a_missing_document_is_stale(item, annotator, api):
    response = patch(api(annotator), item, {"add": [box()]}, 3)

    assert (response.status_code, response.json()["current_version"]) == (412, 0)
    assert AnnotationDocument.objects.count() == 0


def test_a_patch_to_version_0_of_an_existing_document_is_stale(item, annotator, api):
    document_saved(item, annotator, [box()])
    before = state(item)

    response = patch(api(annotator), item, {"add": [box()]}, 0)

    assert (response.status_code, response.json()["current_version"]) == (412, 1)
    assert state(item) == before


def test_a_patch_without_if_match_is_428(item, annotator, api):
    document_saved(item, annotator, [box()])
    before = state(item)

    response = patch(api(annotator), item, {"add": [box()]}, None)

    assert response.status_code == 428
    assert state(item) == before


def test_a_patch_of_an_accepted_document_is_409(item, annotator, reviewer, api):
    document = document_submitted(item, annotator, [box()])
    api(reviewer).post(f"/api/v1/annotations/{document.pk}/review/", {"decision": "accept"})
    before = state(item)

    response = patch(api(annotator), item, {"add": [tag()]}, 3)

    assert response.status_code == 409
    assert "accepted" in response.json()["detail"]
    assert state(item) == before


def test_only_the_callers_document_is_patched(item, annotator, manager, api):
    document_saved(item, manager, [box()])

    response = patch(api(annotator), item, {"add": [box()]}, 0)

    assert response.status_code == 201
    assert AnnotationDocument.objects.get(annotator=manager).version == 1


# --- refused change sets -------------------------------------------------------------------


def _refused(item, annotator, api, changes: Any) -> dict[str, Any]:
    before = state(item)
    response = patch(api(annotator), item, changes, 1)
    assert response.status_code == 400, response.json()
    assert state(item) == before
    return response.json()["errors"]


def test_adding_a_stored_id_is_refused_naming_it(item, annotator, api):
    shape = box()
    document_saved(item, annotator, [shape])

    errors = _refused(item, annotator, api, {"add": [box(), shape]})

    assert errors == {
        "add": {
            "1": {"id": [f"Shape {shape['id']} is already in the document; update it instead."]}
        }
    }


def test_updating_or_deleting_a_missing_id_is_refused_naming_it(item, annotator, api):
    document_saved(item, annotator, [box()])
    missing, gone = box(), str(uuid.uuid4())

    errors = _refused(item, annotator, api, {"update": [missing], "delete": [gone]})

    assert errors == {
        "update": {
            "0": {"id": [f"No shape {missing['id']} in the version you loaded; add it instead."]}
        },
        "delete": {"0": {"id": [f"No shape {gone} in the version you loaded; add it instead."]}},
    }


def test_an_id_named_twice_in_one_change_set_is_refused(item, annotator, api):
    shape = box()
    document_saved(item, annotator, [shape])

    errors = _refused(item, annotator, api, {"update": [shape], "delete": [shape["id"]]})

    assert errors == {
        "delete": {"0": {"id": [f"Shape {shape['id']} appears more than once in this change set."]}}
    }


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        pytest.param(
            ["add"],
            {"non_field_errors": ["Expected a change set {add, update, delete}."]},
            id="list",
        ),
        pytest.param({"put": []}, {"non_field_errors": ["Unknown keys: put."]}, id="unknown-key"),
        pytest.param({"delete": "x"}, {"delete": ["Expected a list."]}, id="not-a-list"),
        pytest.param(
            {"add": [{"id": "nope"}]},
            {"add": {"0": {"id": ["Expected a shape with a UUID id."]}}},
            id="bad-id",
        ),
        pytest.param(
            {"delete": [7]}, {"delete": {"0": {"id": ["Expected a UUID."]}}}, id="bad-delete"
        ),
    ],
)
def test_a_malformed_change_set_is_a_400(item, annotator, api, changes, errors):
    document_saved(item, annotator, [box()])

    assert _refused(item, annotator, api, changes) == errors


def test_an_invalid_result_is_refused_with_errors_keyed_by_shape_id(item, annotator, api):
    shape = box()
    document_saved(item, annotator, [shape, box()])
    bad_update = {**shape, "points": [1, 2, 3]}
    bad_add = box("bicycle")

    errors = _refused(item, annotator, api, {"update": [bad_update], "add": [bad_add]})

    assert errors == {
        "shapes": {
            shape["id"]: {"points": ["A box is 4 numbers [x1, y1, x2, y2]."]},
            bad_add["id"]: {"label": ["Unknown label 'bicycle' for this project."]},
        }
    }


# --- bytes per edit -------------------------------------------------------------------------


def test_the_response_size_does_not_grow_with_the_document(project, annotator, api):
    small, large = items_add(project, 2, size=(640, 480))
    client = api(annotator)
    sizes = []
    for item, count in ((small, 10), (large, 1000)):
        shapes = [box(points=[n % 600, n % 400, n % 600 + 20, n % 400 + 20]) for n in range(count)]
        assert patch(client, item, {"add": shapes}, 0).status_code == 201
        edit = {**shapes[5], "points": [1, 1, 9, 9]}

        response = patch(client, item, {"update": [edit]}, 1)

        assert response.status_code == 200
        sizes.append(len(response.content))
    assert sizes[0] == sizes[1]
    assert set(json.loads(response.content)) == {"version", "content_hash", "status"}


def test_a_stale_put_is_answered_before_its_shapes_are_validated(item, annotator, api):
    document_saved(item, annotator, [box()])
    patch(api(annotator), item, {"add": [box()]}, 1)
    before = state(item)

    response = api(annotator).put(
        url(item),
        {"shapes": [{"id": "not a uuid", "label": "?"}]},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert (response.status_code, response.json()["current_version"]) == (412, 2)
    assert state(item) == before
