"""Label classes have stable ids: renames carry every shape along, deleting a class in use says
what it would remove, and tag classes belong to single- or multi-choice groups."""

import importlib
from typing import Any

import pytest
from django.apps import apps

from annotate.models import AnnotationDocument, Revision
from annotate.services import annotation_review, annotation_save
from annotate.shapes import ShapesInvalid
from formats.canonical import content_hash
from projects.models import Project
from quality.models import GoldAnswer
from tests.annotate.factories import box, document_saved, document_submitted, tag
from tests.projects.factories import items_add, project_with_members
from tests.quality.factories import gold_add

pytestmark = pytest.mark.django_db


def url(project: Project) -> str:
    return f"/api/v1/projects/{project.pk}/"


def labels_of(project: Project) -> list[dict[str, Any]]:
    project.refresh_from_db()
    return project.labels


def renamed(project: Project, old: str, new: str) -> list[dict[str, Any]]:
    return [{**label, "name": new} if label["name"] == old else label for label in project.labels]


def without(project: Project, name: str) -> list[dict[str, Any]]:
    return [label for label in project.labels if label["name"] != name]


def everything(project: Project) -> dict[str, Any]:
    """What a refused schema change must leave as it was."""
    return {
        "labels": labels_of(project),
        "documents": sorted(
            AnnotationDocument.objects.values_list("pk", "version", "status", "shapes")
        ),
        "revisions": Revision.objects.count(),
        "gold": sorted(GoldAnswer.objects.values_list("pk", "shapes")),
    }


# --- ids ------------------------------------------------------------------------------------


def test_every_class_gets_its_own_id_when_created(project):
    ids = [label["id"] for label in project.labels]

    assert len(ids) == len(set(ids)) == 3
    assert all(isinstance(i, str) and len(i) == 12 for i in ids)


def test_a_class_sent_back_with_its_id_keeps_it_and_a_class_without_one_is_new(
    project, manager, api
):
    car = project.label("car")
    labels = [{**car, "name": "automobile"}, {"name": "bicycle", "kind": "box"}]

    response = api(manager).patch(url(project), {"labels": labels}, format="json")

    assert response.status_code == 200, response.json()
    stored = labels_of(project)
    assert [(label["id"], label["name"]) for label in stored] == [
        (car["id"], "automobile"),
        (stored[1]["id"], "bicycle"),
    ]
    assert stored[1]["id"] != car["id"]


def test_a_class_sent_without_id_under_its_old_name_keeps_its_id(project, manager, api):
    old = {label["name"]: label["id"] for label in project.labels}
    labels = [{k: v for k, v in label.items() if k != "id"} for label in project.labels]

    response = api(manager).patch(url(project), {"labels": labels}, format="json")

    assert response.status_code == 200
    assert {label["name"]: label["id"] for label in labels_of(project)} == old


@pytest.mark.parametrize(
    ("labels", "errors"),
    [
        pytest.param(
            [{"id": "a1", "name": "x"}, {"id": "a1", "name": "y"}],
            {"1": {"id": ["Duplicate class id 'a1'."]}},
            id="duplicate-id",
        ),
        pytest.param(
            [{"id": "not ok!", "name": "x"}],
            {
                "0": {
                    "id": [
                        "A class id is 1 to 40 letters, digits, '-' or '_' (omit it for a new one)."
                    ]
                }
            },
            id="bad-id",
        ),
    ],
)
def test_bad_class_ids_are_refused(project, manager, api, labels, errors):
    before = everything(project)

    response = api(manager).patch(url(project), {"labels": labels}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"labels": errors}
    assert everything(project) == before


def test_a_shape_may_name_its_class_by_id_alone_and_is_stored_with_both(project, annotator):
    (item,) = items_add(project)
    car_id = project.label("car")["id"]
    shape = {"id": "6f1c1c0e-5a0e-4c57-9d3b-2d7f5b1e0a11", "label_id": car_id, "kind": "box"}

    document = annotation_save(
        user=annotator, item=item, shapes=[{**shape, "points": [1, 2, 3, 4]}], expected_version=0
    )

    assert (document.shapes[0]["label"], document.shapes[0]["label_id"]) == ("car", car_id)


def test_the_class_id_wins_over_an_old_name(project, annotator):
    (item,) = items_add(project)
    car_id = project.label("car")["id"]

    document = annotation_save(
        user=annotator,
        item=item,
        shapes=[box("a name from before a rename", label_id=car_id)],
        expected_version=0,
    )

    assert document.shapes[0]["label"] == "car"


def test_an_unknown_class_id_is_refused(project, annotator):
    (item,) = items_add(project)

    with pytest.raises(ShapesInvalid) as refused:
        annotation_save(
            user=annotator, item=item, shapes=[box(label_id="nope")], expected_version=0
        )

    assert refused.value.errors == {
        "shapes": {"0": {"label_id": ["Unknown class id 'nope' for this project."]}}
    }


# --- renames --------------------------------------------------------------------------------


def test_a_rename_carries_every_shape_of_the_class_along(
    project, manager, annotator, reviewer, api
):
    # given a draft, an accepted document and a gold answer holding cars
    first, second, gold_item = items_add(project, 3)
    car_id = project.label("car")["id"]
    draft = document_saved(first, annotator, [box(), box("person"), tag()])
    accepted = document_submitted(second, annotator, [box()])
    accepted = annotation_review(
        reviewer=reviewer, document=accepted, decision="accept", comment=""
    )
    gold_add(gold_item, manager, [box(), tag()])

    # when the manager renames car
    response = api(manager).patch(
        url(project), {"labels": renamed(project, "car", "automobile")}, format="json"
    )

    # then every car shape is an automobile of the same class id, each document one version on
    assert response.status_code == 200, response.json()
    for document, status in ((draft, "draft"), (accepted, "accepted")):
        stored = AnnotationDocument.objects.get(pk=document.pk)
        cars = [shape for shape in stored.shapes if shape["kind"] == "box"]
        assert [s["label"] for s in cars if s["label_id"] == car_id] == ["automobile"]
        assert (stored.version, stored.status) == (document.version + 1, status)
        assert stored.content_hash == content_hash(stored.shapes)
        revision = Revision.objects.get(document=stored, version=stored.version)
        assert (revision.shapes, revision.author, revision.status) == (
            stored.shapes,
            manager,
            status,
        )
    assert [s["label"] for s in GoldAnswer.objects.get().shapes] == ["automobile", "night"]
    assert [s["label"] for s in AnnotationDocument.objects.get(pk=draft.pk).shapes] == [
        "automobile",
        "person",
        "night",
    ]


def test_two_classes_swapping_names_swap_their_shapes_names_too(project, manager, annotator, api):
    (item,) = items_add(project)
    car, person = project.label("car"), project.label("person")
    legacy = {**box("car"), "points": [1.0, 2.0, 30.0, 40.0], "attributes": {}, "occluded": False}
    document = document_saved(item, annotator, [box("car"), box("person")])
    AnnotationDocument.objects.filter(pk=document.pk).update(shapes=[*document.shapes, legacy])
    labels = [{**car, "name": "person"}, {**person, "name": "car"}, project.label("night")]

    response = api(manager).patch(url(project), {"labels": labels}, format="json")

    assert response.status_code == 200, response.json()
    shapes = AnnotationDocument.objects.get().shapes
    assert [(s["label"], s["label_id"]) for s in shapes] == [
        ("person", car["id"]),
        ("car", person["id"]),
        ("person", car["id"]),
    ]


def test_an_open_tab_saving_after_a_rename_gets_412_not_an_unknown_label(
    project, manager, annotator, api
):
    (item,) = items_add(project)
    shape = box()
    document_saved(item, annotator, [shape])
    api(manager).patch(url(project), {"labels": renamed(project, "car", "auto")}, format="json")

    stale = api(annotator).patch(
        f"/api/v1/items/{item.pk}/annotation/", {"add": [box()]}, format="json", HTTP_IF_MATCH='"1"'
    )
    fresh = api(annotator).patch(
        f"/api/v1/items/{item.pk}/annotation/",
        {"update": [{**shape, "label_id": project.label("car")["id"], "points": [2, 2, 9, 9]}]},
        format="json",
        HTTP_IF_MATCH='"2"',
    )

    assert (stale.status_code, stale.json()["current_version"]) == (412, 2)
    assert fresh.status_code == 200, fresh.json()
    assert AnnotationDocument.objects.get().shapes[0]["label"] == "auto"


def test_shapes_stored_before_classes_had_ids_are_renamed_by_name(project, manager, api):
    (item,) = items_add(project)
    legacy = {**box(), "points": [1.0, 2.0, 30.0, 40.0], "attributes": {}, "occluded": False}
    document = document_saved(item, manager, [])
    AnnotationDocument.objects.filter(pk=document.pk).update(shapes=[legacy])

    api(manager).patch(url(project), {"labels": renamed(project, "car", "auto")}, format="json")

    assert AnnotationDocument.objects.get().shapes == [
        {**legacy, "label": "auto", "label_id": project.label("car")["id"]}
    ]


def test_a_schema_edit_that_renames_nothing_leaves_documents_alone(project, manager, api):
    (item,) = items_add(project)
    document_saved(item, manager, [box()])
    before = everything(project)

    response = api(manager).patch(url(project), {"labels": project.labels}, format="json")

    assert response.status_code == 200
    assert everything(project) == before


# --- deleting a class in use ----------------------------------------------------------------


def test_deleting_a_class_in_use_is_refused_with_how_much_uses_it(project, manager, annotator, api):
    first, second, gold_item = items_add(project, 3)
    document_saved(first, annotator, [box(), box(), tag()])
    document_saved(second, annotator, [box()])
    gold_add(gold_item, manager, [box()])
    before = everything(project)

    response = api(manager).patch(url(project), {"labels": without(project, "car")}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Class 'car' is in use: 4 shape(s) in 3 document(s) use it. Send "
        "delete_in_use: true (or ?force=1) to delete it and remove those shapes.",
        "labels_in_use": [
            {"id": project.label("car")["id"], "name": "car", "shapes": 4, "documents": 3}
        ],
    }
    assert everything(project) == before


@pytest.mark.parametrize("how", ["field", "query"])
def test_deleting_a_class_in_use_when_forced_removes_its_shapes_everywhere(
    project, manager, annotator, api, how
):
    first, gold_item = items_add(project, 2)
    keep = tag()
    document = document_submitted(first, annotator, [box(), keep])
    gold_add(gold_item, manager, [box(), box("person")])
    body: dict[str, Any] = {"labels": without(project, "car")}
    path = url(project)
    if how == "field":
        body["delete_in_use"] = True
    else:
        path += "?force=1"

    response = api(manager).patch(path, body, format="json")

    assert response.status_code == 200, response.json()
    stored = AnnotationDocument.objects.get()
    assert [s["id"] for s in stored.shapes] == [keep["id"]]
    assert (stored.version, stored.status) == (document.version + 1, "submitted")
    assert Revision.objects.get(document=stored, version=stored.version).author == manager
    assert [s["label"] for s in GoldAnswer.objects.get().shapes] == ["person"]
    assert [label["name"] for label in labels_of(project)] == ["person", "night"]


def test_deleting_a_class_nobody_used_needs_no_force(project, manager, annotator, api):
    (item,) = items_add(project)
    document_saved(item, annotator, [box()])

    response = api(manager).patch(
        url(project), {"labels": without(project, "night")}, format="json"
    )

    assert response.status_code == 200
    assert AnnotationDocument.objects.get().version == 1


def test_a_class_in_use_cannot_change_kind(project, manager, annotator, api):
    (item,) = items_add(project)
    document_saved(item, annotator, [box()])
    labels = [
        {**label, "kind": "polygon"} if label["name"] == "car" else label
        for label in project.labels
    ]
    before = everything(project)

    response = api(manager).patch(url(project), {"labels": labels}, format="json")

    assert response.status_code == 409
    assert "cannot change kind" in response.json()["detail"]
    assert everything(project) == before


# --- tag groups -----------------------------------------------------------------------------

TIME_OF_DAY = [
    {"name": "day", "kind": "tag", "group": "time of day"},
    {"name": "night", "kind": "tag", "group": "time of day", "group_choice": "single"},
    {"name": "rain", "kind": "tag", "group": "weather", "group_choice": "multi"},
    {"name": "fog", "kind": "tag", "group": "weather", "group_choice": "multi"},
    {"name": "car", "kind": "box"},
]


@pytest.fixture
def tagged(manager, annotator):
    project = project_with_members(manager=manager, labels=TIME_OF_DAY, bob_annotator="annotator")
    (item,) = items_add(project)
    return item


def test_a_tag_group_is_single_choice_unless_it_says_multi(tagged):
    assert [(label["group"], label["group_choice"]) for label in tagged.project.labels] == [
        ("time of day", "single"),
        ("time of day", "single"),
        ("weather", "multi"),
        ("weather", "multi"),
        (None, None),
    ]


def test_two_tags_of_a_single_choice_group_are_refused(tagged, annotator, api):
    response = api(annotator).put(
        f"/api/v1/items/{tagged.pk}/annotation/",
        {"shapes": [tag("day"), tag("rain"), tag("night")]},
        format="json",
        HTTP_IF_MATCH='"0"',
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "shapes": {
            "2": {
                "label": [
                    "'day' is already tagged: group 'time of day' takes one choice per image, "
                    "not 'night' too."
                ]
            }
        }
    }
    assert AnnotationDocument.objects.count() == 0


def test_tags_of_a_multi_choice_group_may_all_be_set(tagged, annotator):
    document = annotation_save(
        user=annotator,
        item=tagged,
        shapes=[tag("rain"), tag("fog"), tag("day"), box()],
        expected_version=0,
    )

    assert [s["label"] for s in document.shapes] == ["rain", "fog", "day", "car"]


@pytest.mark.parametrize(
    ("label", "errors"),
    [
        pytest.param(
            {"name": "x", "kind": "box", "group": "g"},
            {"group": ["Only tag classes belong to groups."]},
            id="not-a-tag",
        ),
        pytest.param(
            {"name": "x", "kind": "tag", "group": "g", "group_choice": "some"},
            {"group_choice": ["A group's choice is 'single' or 'multi'."]},
            id="bad-choice",
        ),
    ],
)
def test_bad_groups_are_refused(manager, api, label, errors):
    response = api(manager).post(
        "/api/v1/projects/", {"name": "P", "labels": [label]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"labels": {"0": errors}}


def test_every_class_of_a_group_states_the_same_choice(manager, api):
    labels = [
        {"name": "day", "kind": "tag", "group": "time"},
        {"name": "night", "kind": "tag", "group": "time", "group_choice": "multi"},
    ]

    response = api(manager).post(
        "/api/v1/projects/", {"name": "P", "labels": labels}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "labels": {
            "1": {
                "group_choice": [
                    "Group 'time' is single-choice (class 'day'); every class of a group "
                    "states the same choice."
                ]
            }
        }
    }


# --- migration ------------------------------------------------------------------------------


def test_the_migration_gives_existing_classes_ids_and_keeps_given_ones(project):
    Project.objects.filter(pk=project.pk).update(
        labels=[{"name": "car", "kind": "box"}, {"id": "kept", "name": "bus", "kind": "box"}]
    )
    migration = importlib.import_module("projects.migrations.0002_label_ids")

    migration.label_ids_give(apps, None)

    labels = labels_of(project)
    assert labels[1]["id"] == "kept"
    assert isinstance(labels[0]["id"], str) and len(labels[0]["id"]) == 12
