"""Revisions store change sets between checkpoints, and every version still reads back whole."""

import json
import random
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from annotate.apis import DocumentOutputSerializer, document_body
from annotate.models import AnnotationDocument, Revision
from annotate.revisions import REVISION_CHECKPOINT_EVERY, revision_shapes, revisions_with_shapes
from annotate.services import annotation_patch, annotation_save, annotation_submit
from annotate.shapes import MAX_SHAPES
from projects.models import Item
from tests.annotate.factories import box, document_saved, tag
from tests.projects.factories import items_add, project_with_members

pytestmark = pytest.mark.django_db


def url(item: Item) -> str:
    return f"/api/v1/items/{item.pk}/annotation/"


def random_box(rng: random.Random) -> dict[str, Any]:
    x, y = rng.randint(0, 40), rng.randint(0, 30)
    points = [x + rng.random(), y, x + 10 + rng.randint(0, 10), y + 5.5]
    return box(rng.choice(["car", "person"]), points=points, occluded=rng.random() < 0.2)


def random_edit(rng: random.Random, shapes: list[dict[str, Any]]) -> tuple[str, Any]:
    """A PUT (sometimes reordering the shapes) or a PATCH change set, as a client sends it."""
    if rng.random() < 0.3:
        full = [dict(shape) for shape in shapes]
        if full and rng.random() < 0.5:
            full.pop(rng.randrange(len(full)))
        if rng.random() < 0.5:
            rng.shuffle(full)  # a change set cannot say this: that revision is a checkpoint
        return "put", full + [random_box(rng) for _ in range(rng.randint(0, 2))]
    ids = [shape["id"] for shape in shapes]
    rng.shuffle(ids)
    moved = ids[: rng.randint(0, min(2, len(ids)))]
    gone = ids[len(moved) : len(moved) + rng.randint(0, 1)]
    by_id = {shape["id"]: shape for shape in shapes}
    update = [{**by_id[shape_id], "points": random_box(rng)["points"]} for shape_id in moved]
    add = [random_box(rng) for _ in range(rng.randint(0, 2))]
    return "patch", {"add": add, "update": update, "delete": gone}


def test_every_revision_of_a_random_edit_sequence_reads_back_exactly(
    item, annotator, reviewer, api
):
    rng = random.Random(8)
    written: dict[int, list[dict[str, Any]]] = {}
    document = document_saved(item, annotator, [random_box(rng) for _ in range(5)])
    written[1] = document.shapes
    for step in range(2 * REVISION_CHECKPOINT_EVERY + 7):
        kind, body = random_edit(rng, document.shapes)
        if kind == "put":
            document = annotation_save(
                user=annotator, item=item, shapes=body, expected_version=document.version
            )
        else:
            document = annotation_patch(
                user=annotator, item=item, changes=body, expected_version=document.version
            )
        written[document.version] = AnnotationDocument.objects.get(pk=document.pk).shapes
        if step == 25:
            document = annotation_submit(user=annotator, item=item)
            written[document.version] = AnnotationDocument.objects.get(pk=document.pk).shapes
    stored = list(Revision.objects.filter(document=document).order_by("version"))
    assert [revision.version for revision in stored] == sorted(written)
    deltas = [revision for revision in stored if not revision.checkpoint]
    assert len(deltas) > len(stored) / 2, "most autosaves are stored as change sets"
    assert all(revision.shapes is None for revision in deltas)

    # Read back through the API, a few revisions per page, as a reviewer would.
    client, answered, page = api(reviewer), {}, f"/api/v1/annotations/{document.pk}/revisions/"
    while page:
        response = client.get(page, {"page_size": 7} if "page_size" not in page else None)
        assert response.status_code == 200, response.content
        answered.update({row["version"]: row["shapes"] for row in response.json()["results"]})
        page = response.json()["next"]
    assert answered == written
    # And one at a time, each from its nearest checkpoint.
    for revision in Revision.objects.filter(document=document).order_by("?")[:10]:
        assert revision_shapes(revision) == written[revision.version]


def test_checkpoints_at_the_first_version_every_kth_and_every_submission(item, annotator):
    document = document_saved(item, annotator, [box()])
    for _ in range(REVISION_CHECKPOINT_EVERY + 1):
        document = annotation_patch(
            user=annotator,
            item=item,
            changes={"add": [box()]},
            expected_version=document.version,
        )
    document = annotation_submit(user=annotator, item=item)

    checkpoints = list(
        Revision.objects.filter(document=document, checkpoint=True).values_list(
            "version", flat=True
        )
    )
    assert sorted(checkpoints) == [1, REVISION_CHECKPOINT_EVERY, document.version]
    submitted = Revision.objects.get(document=document, version=document.version)
    assert (submitted.status, submitted.shapes) == ("submitted", document.shapes)


def test_a_one_shape_edit_of_a_large_document_stores_the_shape_not_the_document(project, annotator):
    (item,) = items_add(project, size=(640, 480))
    shapes = [box(points=[n % 600, n % 400, n % 600 + 20, n % 400 + 30]) for n in range(1000)]
    document = document_saved(item, annotator, shapes)
    moved = {**shapes[500], "points": [1, 1, 9, 9]}

    document = annotation_patch(
        user=annotator, item=item, changes={"update": [moved]}, expected_version=1
    )

    first, second = Revision.objects.filter(document=document).order_by("version")
    full, added = len(json.dumps(first.shapes)), len(json.dumps(second.changes))
    assert second.changes["update"][0]["points"] == [1.0, 1.0, 9.0, 9.0]
    assert added * 200 < full, (added, full)
    assert revision_shapes(second) == document.shapes


def test_a_put_that_changes_one_shape_stores_a_change_set(item, annotator):
    shapes = [box(), box("person", points=[3, 3, 9, 9]), tag()]
    document_saved(item, annotator, shapes)
    edited = [shapes[0], {**shapes[1], "attributes": {"pose": "sitting"}}, shapes[2]]

    document = annotation_save(user=annotator, item=item, shapes=edited, expected_version=1)

    revision = Revision.objects.get(document=document, version=2)
    assert not revision.checkpoint
    assert [shape["id"] for shape in revision.changes["update"]] == [shapes[1]["id"]]
    assert (revision.changes["add"], revision.changes["delete"]) == ([], [])
    assert revision_shapes(revision) == document.shapes


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_revision_readable_both_ways(item, annotator):
    """Forwards, rows written before change sets become checkpoints; backwards, change-set rows
    get their full shapes back."""
    document = document_saved(item, annotator, [box()])
    for _ in range(2):
        document = annotation_patch(
            user=annotator, item=item, changes={"add": [box()]}, expected_version=document.version
        )
    expected = {revision.version: revision_shapes(revision) for revision in Revision.objects.all()}
    before, after = [("annotate", "0003_assignment_lease")], [("annotate", "0004_revision_deltas")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_revision = executor.loader.project_state(before).apps.get_model("annotate", "Revision")
    assert dict(old_revision.objects.values_list("version", "shapes")) == expected
    old_revision.objects.create(
        document_id=document.pk, version=4, shapes=[], status="draft", author_id=annotator.pk
    )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # every app as the rest of the run has it

    rows = list(Revision.objects.filter(document=document).order_by("version"))
    assert [(row.version, row.checkpoint, row.changes) for row in rows] == [
        (version, True, None) for version in (1, 2, 3, 4)
    ]
    assert {row.version: row.shapes for row in revisions_with_shapes(document, rows)} == {
        **expected,
        4: [],
    }


# --- the save path ---------------------------------------------------------------------------


def test_a_stale_put_is_refused_before_its_body_is_parsed(item, annotator, api):
    document_saved(item, annotator)
    client = api(annotator)

    response = client.put(
        url(item), data=b"{not json", content_type="application/json", HTTP_IF_MATCH='"7"'
    )

    assert response.status_code == 412
    assert response.json()["current_version"] == 1


def test_a_malformed_body_at_the_current_version_is_a_400_and_changes_nothing(item, annotator, api):
    document = document_saved(item, annotator)
    client = api(annotator)
    for method in (client.put, client.patch):
        response = method(
            url(item), data=b"{not json", content_type="application/json", HTTP_IF_MATCH='"1"'
        )
        assert response.status_code == 400
        assert response.json()["detail"].startswith("JSON parse error")
    assert AnnotationDocument.objects.get().version == document.version
    assert Revision.objects.count() == 1


def test_a_non_json_body_is_still_refused_as_unsupported(item, annotator, api):
    document_saved(item, annotator)

    response = api(annotator).put(
        url(item), data="shapes", content_type="text/plain", HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 415


def test_the_document_answer_is_what_the_serializer_documents(item, annotator, api):
    api(annotator).put(url(item), {"shapes": [box()]}, format="json", HTTP_IF_MATCH='"0"')
    document = AnnotationDocument.objects.select_related("annotator").get()

    assert document_body(document) == DocumentOutputSerializer(document).data


def test_a_patch_validates_only_the_shapes_it_sends(item, annotator, api):
    """A stored shape is not re-validated (it was when written); a sent one is, keyed by id."""
    keep, edit = box(), box()
    document_saved(item, annotator, [keep, edit])
    client = api(annotator)
    bad = {**edit, "points": [5, 5, 1, 1]}

    refused = client.patch(url(item), {"update": [bad]}, format="json", HTTP_IF_MATCH='"1"')

    assert refused.status_code == 400
    assert list(refused.json()["errors"]["shapes"]) == [edit["id"]]
    accepted = client.patch(
        url(item),
        {"update": [{**edit, "points": [2, 2, 8, 8]}]},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert accepted.status_code == 200, accepted.json()
    shapes = AnnotationDocument.objects.get().shapes
    assert [shape["id"] for shape in shapes] == [keep["id"], edit["id"]]
    assert shapes[1]["points"] == [2.0, 2.0, 8.0, 8.0]


def test_a_patch_keeps_one_tag_per_single_choice_group_across_the_document(manager, annotator, api):
    labels = [
        {"name": name, "color": "#123456", "kind": "tag", "group": "time", "group_choice": "single"}
        for name in ("day", "night")
    ]
    project = project_with_members(manager=manager, labels=labels, bob_annotator="annotator")
    (item,) = items_add(project)
    day = tag("day")
    document_saved(item, annotator, [day])
    night = tag("night")

    response = api(annotator).patch(url(item), {"add": [night]}, format="json", HTTP_IF_MATCH='"1"')

    assert response.status_code == 400
    assert list(response.json()["errors"]["shapes"]) == [night["id"]]
    swapped = api(annotator).patch(
        url(item),
        {"add": [night], "delete": [day["id"]]},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert swapped.status_code == 200, swapped.json()


def test_a_patch_past_the_shape_limit_is_refused(item, annotator, api):
    document_saved(item, annotator, [box() for _ in range(MAX_SHAPES)])

    response = api(annotator).patch(url(item), {"add": [box()]}, format="json", HTTP_IF_MATCH='"1"')

    assert response.status_code == 400
    assert response.json()["errors"]["shapes"] == [f"At most {MAX_SHAPES} shapes per document."]
    assert AnnotationDocument.objects.get().version == 1
