"""Imports of predictions, vendor labels and gold through the codecs, as jobs: all or nothing,
matched by sha256 or file name, idempotent."""

import io
import json
import uuid
from typing import Any

import pytest

from annotate.models import AnnotationDocument, Revision
from formats.coco import write_coco
from formats.records import ItemRecord, ItemShapes
from formats.voc import write_voc
from formats.yolo import write_yolo
from projects.models import Item, Project
from quality.models import GoldAnswer
from tests.conftest import client_for
from tests.projects.factories import items_add
from tests.storage.factories import zip_bytes
from versioning.jobs import job_execute
from versioning.models import Job, Prediction

pytestmark = pytest.mark.django_db


def shape(label: str = "car", points: tuple = (1, 2, 30, 40), **extra: Any) -> dict[str, Any]:
    """A box with an id fixed by its content, as a model's output file would carry it."""
    shape_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{label}/{points}"))
    return {"id": shape_id, "label": label, "kind": "box", "points": list(points), **extra}


def jsonl_bytes(project: Project, lines: list[dict[str, Any]]) -> bytes:
    header = {"format": "loupe-jsonl", "version": 1, "labels": project.labels}
    return b"".join(json.dumps(line).encode() + b"\n" for line in [header, *lines])


def jsonl_line(item: Item, shapes: list[dict], *, by_name: bool = False, **extra: Any) -> dict:
    line = {"file_name": item.name, "width": 64, "height": 48, "shapes": shapes, **extra}
    if not by_name:
        line["sha256"] = item.asset.sha256
    return line


def records(items: list[Item], shapes: list[list[dict]]) -> Any:
    """A codec's item stream with the items' own names and no hashes (matched by name)."""
    entries = [
        ItemShapes(ItemRecord(item.pk, item.name, "", 64, 48, split="train"), item_shapes)
        for item, item_shapes in zip(items, shapes, strict=True)
    ]
    return lambda: iter(entries)


def written(writer: Any, project: Project, items: list[Item], shapes: list[list[dict]]) -> bytes:
    out = io.BytesIO()
    writer(out, labels=project.labels, items=records(items, shapes))
    return out.getvalue()


def imported(user: Any, project: Project, data: bytes, name: str, **fields: str) -> Job:
    """POST the file (202), run the job as a worker would, return it finished."""
    upload = io.BytesIO(data)
    upload.name = name
    response = client_for(user).post(
        f"/api/v1/projects/{project.pk}/imports/", {"file": upload, **fields}, format="multipart"
    )
    assert response.status_code == 202, response.content
    job_execute(job_id=response.json()["id"])
    return Job.objects.get(pk=response.json()["id"])


def stored_predictions() -> list[tuple]:
    rows = Prediction.objects.order_by("item_id", "source")
    return list(rows.values_list("item_id", "source", "shapes", "scores", "updated_at"))


def test_jsonl_predictions_are_stored_with_scores_and_a_reimport_changes_nothing(
    project, manager, annotator
):
    first, second = items_add(project, 2)
    data = jsonl_bytes(
        project,
        [
            jsonl_line(first, [shape(score=0.9), shape("person", (5, 5, 9, 9))]),
            jsonl_line(second, [shape("car", (2, 2, 8, 8), score=0.25)]),
        ],
    )

    job = imported(manager, project, data, "preds.jsonl", format="jsonl", target="predictions")

    assert (job.status, job.kind, job.error) == ("succeeded", "import", "")
    assert job.result == {
        "format": "jsonl",
        "target": "predictions",
        "file_name": "preds.jsonl",
        "sha256": job.params["sha256"],
        "source": "model",
        "items": 2,
        "matched": 2,
        "written": 2,
        "unchanged": 0,
        "shapes": 3,
        "unmatched": [],
        "unmatched_count": 0,
    }
    prediction = Prediction.objects.get(item=first)
    car, person = prediction.shapes
    assert (car["label"], car["points"], person["label"]) == (
        "car",
        [1.0, 2.0, 30.0, 40.0],
        "person",
    )
    assert prediction.scores == {car["id"]: 0.9}
    before = stored_predictions()

    again = imported(manager, project, data, "preds.jsonl", format="jsonl", target="predictions")

    assert again.status == "succeeded"
    assert (again.result["written"], again.result["unchanged"], again.result["shapes"]) == (0, 2, 0)
    assert stored_predictions() == before
    listed = client_for(annotator).get(f"/api/v1/items/{first.pk}/predictions/").json()
    assert listed["count"] == 1
    assert listed["results"][0]["source"] == "model"
    assert listed["results"][0]["shapes"] == prediction.shapes
    assert listed["results"][0]["scores"] == {car["id"]: 0.9}


def test_a_changed_prediction_file_replaces_the_sources_shapes(project, manager):
    (item,) = items_add(project, 1)
    imported(
        manager,
        project,
        jsonl_bytes(project, [jsonl_line(item, [shape()])]),
        "a.jsonl",
        format="jsonl",
        target="predictions",
        source="yolo-v8",
    )

    job = imported(
        manager,
        project,
        jsonl_bytes(project, [jsonl_line(item, [shape("person", (3, 3, 6, 6), score=0.5)])]),
        "b.jsonl",
        format="jsonl",
        target="predictions",
        source="yolo-v8",
    )

    assert (job.status, job.result["written"], job.result["source"]) == ("succeeded", 1, "yolo-v8")
    (prediction,) = Prediction.objects.all()
    assert [s["label"] for s in prediction.shapes] == ["person"]
    assert prediction.scores == {prediction.shapes[0]["id"]: 0.5}


def test_coco_vendor_labels_become_the_annotators_documents_through_annotate(
    project, manager, annotator
):
    first, second = items_add(project, 2)
    data = written(
        write_coco, project, [first, second], [[shape(), shape("person", (4, 4, 9, 9))], []]
    )

    job = imported(
        manager,
        project,
        data,
        "vendor.json",
        format="coco",
        target="annotations",
        annotator=annotator.username,
    )

    assert (job.status, job.error) == ("succeeded", "")
    assert (job.result["matched"], job.result["written"], job.result["shapes"]) == (2, 2, 2)
    documents = AnnotationDocument.objects.filter(annotator=annotator).order_by("item_id")
    assert [(d.item_id, d.version, d.status) for d in documents] == [
        (first.pk, 1, "draft"),
        (second.pk, 1, "draft"),
    ]
    assert [s["label"] for s in documents[0].shapes] == ["car", "person"]
    assert documents[0].shapes[0]["points"] == [1.0, 2.0, 30.0, 40.0]
    revisions = Revision.objects.count()

    again = imported(
        manager,
        project,
        data,
        "vendor.json",
        format="coco",
        target="annotations",
        annotator=annotator.username,
    )

    assert (again.status, again.result["written"], again.result["unchanged"]) == ("succeeded", 0, 2)
    assert [d.version for d in AnnotationDocument.objects.filter(annotator=annotator)] == [1, 1]
    assert Revision.objects.count() == revisions


def test_voc_gold_is_set_and_never_shown_to_annotators(project, manager, annotator):
    task, other = items_add(project, 2)
    data = written(write_voc, project, [task, other], [[shape("car", (3, 4, 20, 30))], []])

    job = imported(manager, project, data, "gold.zip", format="voc", target="gold")

    assert (job.status, job.error) == ("succeeded", "")
    assert (job.result["matched"], job.result["written"], job.result["shapes"]) == (2, 2, 1)
    gold = GoldAnswer.objects.get(item=task)
    assert (gold.source, [s["points"] for s in gold.shapes]) == ("import", [[3.0, 4.0, 20.0, 30.0]])
    client = client_for(annotator)
    responses = [
        client.get(f"/api/v1/items/{task.pk}/"),
        client.get(f"/api/v1/items/{task.pk}/annotation/"),
        client.get(f"/api/v1/items/{task.pk}/predictions/"),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200]
    for response in responses:
        assert gold.shapes[0]["id"] not in response.content.decode()
    assert client.get(f"/api/v1/items/{task.pk}/gold/").status_code == 403
    assert client.get(f"/api/v1/jobs/{job.pk}/").status_code == 403
    again = imported(manager, project, data, "gold.zip", format="voc", target="gold")
    assert (again.result["written"], again.result["unchanged"]) == (0, 2)
    assert GoldAnswer.objects.get(item=task).updated_at == gold.updated_at


def test_yolo_predictions_match_by_stem_and_unmatched_files_are_reported(project, manager):
    first, second = items_add(project, 2)
    data = written(write_yolo, project, [first, second], [[shape("car", (8, 8, 40, 24))], []])
    data = zip_bytes(
        {
            **_zip_entries(data),
            "labels/train/ghost.txt": b"0 0.5 0.5 0.25 0.25 0.8\n",
        }
    )

    job = imported(manager, project, data, "yolo.zip", format="yolo", target="predictions")

    assert (job.status, job.error) == ("succeeded", "")
    assert (job.result["items"], job.result["matched"]) == (3, 2)
    assert (job.result["unmatched"], job.result["unmatched_count"]) == (["ghost"], 1)
    (car,) = Prediction.objects.get(item=first).shapes
    assert car["points"] == pytest.approx([8.0, 8.0, 40.0, 24.0], abs=1e-3)


def _zip_entries(data: bytes) -> dict[str, bytes]:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_names_matching_no_item_are_reported_and_the_rest_imported(project, manager):
    (item,) = items_add(project, 1)
    data = jsonl_bytes(
        project,
        [
            jsonl_line(item, [shape()], by_name=True),
            {"file_name": "elsewhere/missing.png", "width": 64, "height": 48, "shapes": []},
        ],
    )

    job = imported(manager, project, data, "p.jsonl", format="jsonl", target="predictions")

    assert job.status == "succeeded"
    assert (job.result["matched"], job.result["unmatched"]) == (1, ["elsewhere/missing.png"])
    assert list(Prediction.objects.values_list("item_id", flat=True)) == [item.pk]


def test_malformed_json_fails_the_job_with_its_line_and_leaves_nothing(project, manager):
    first, second = items_add(project, 2)
    good = jsonl_bytes(project, [jsonl_line(first, [shape()])])
    data = good + b'{"file_name": "img1.png", "shapes": [}\n'

    job = imported(manager, project, data, "broken.jsonl", format="jsonl", target="predictions")

    assert job.status == "failed"
    assert job.error == "broken.jsonl, line 3: Malformed JSON: Expecting value (column 38)."
    assert Prediction.objects.count() == 0


def test_an_unknown_class_fails_the_job_and_leaves_nothing(project, manager, annotator):
    (item,) = items_add(project, 1)
    data = written(write_coco, project, [item], [[shape()]])
    document = json.loads(data)
    document["categories"].append({"id": 9, "name": "truck", "supercategory": ""})

    job = imported(
        manager,
        project,
        json.dumps(document).encode(),
        "vendor.json",
        format="coco",
        target="annotations",
        annotator=annotator.username,
    )

    assert job.status == "failed"
    assert job.error == "vendor.json: categories: Unknown categories 'truck'."
    assert AnnotationDocument.objects.count() == 0
    assert Revision.objects.count() == 0


def test_a_box_outside_the_real_image_fails_the_job_and_rolls_back_earlier_items(project, manager):
    first, second = items_add(project, 2)
    # The file claims a large image; the item's asset is 64x48, and that is what counts.
    data = jsonl_bytes(
        project,
        [
            jsonl_line(first, [shape()]),
            jsonl_line(second, [shape("car", (10, 10, 500, 40))], width=1000, height=800),
        ],
    )

    job = imported(manager, project, data, "big.jsonl", format="jsonl", target="gold")

    assert job.status == "failed"
    assert job.error == "img1.png: shapes.0.points: Points must lie inside the 64x48 image."
    assert GoldAnswer.objects.count() == 0


def test_a_box_outside_the_files_own_image_is_refused_by_the_codec(project, manager):
    (item,) = items_add(project, 1)
    document = json.loads(written(write_coco, project, [item], [[shape()]]))
    document["annotations"][0]["bbox"] = [50, 40, 30, 30]

    job = imported(
        manager, project, json.dumps(document).encode(), "c.json", format="coco", target="gold"
    )

    assert (job.status, job.error) == (
        "failed",
        "c.json: annotations[0]: Coordinates outside the 64x48 image.",
    )
    assert GoldAnswer.objects.count() == 0


def test_an_accepted_document_refuses_a_changed_vendor_import_whole(
    project, manager, annotator, reviewer
):
    from tests.versioning.factories import document_accepted

    first, second = items_add(project, 2)
    document_accepted(second, annotator, reviewer, [shape()])
    data = jsonl_bytes(
        project, [jsonl_line(first, [shape()]), jsonl_line(second, [shape("person")])]
    )

    job = imported(
        manager,
        project,
        data,
        "v.jsonl",
        format="jsonl",
        target="annotations",
        annotator=annotator.username,
    )

    assert job.status == "failed"
    assert job.error == (
        "img1.png: This annotation was accepted by a reviewer and can no longer be edited."
    )
    assert not AnnotationDocument.objects.filter(item=first).exists()


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"format": "csv", "target": "gold"}, {"format": ['"csv" is not a valid choice.']}),
        (
            {"format": "jsonl", "target": "annotations"},
            {"annotator": ["Name a member of the project whose documents these are."]},
        ),
        (
            {"format": "jsonl", "target": "annotations", "annotator": "nobody"},
            {"annotator": ["Name a member of the project whose documents these are."]},
        ),
        (
            {"format": "jsonl", "target": "gold", "annotator": "bob_annotator"},
            {"annotator": ["Only an import of annotations takes an annotator."]},
        ),
        (
            {"format": "jsonl", "target": "gold", "source": "m"},
            {"source": ["Only an import of predictions takes a source."]},
        ),
    ],
)
def test_a_bad_import_request_is_refused_and_queues_nothing(project, manager, fields, errors):
    upload = io.BytesIO(jsonl_bytes(project, []))
    upload.name = "x.jsonl"

    response = client_for(manager).post(
        f"/api/v1/projects/{project.pk}/imports/", {"file": upload, **fields}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert Job.objects.count() == 0


def test_an_import_job_run_twice_writes_once(project, manager):
    (item,) = items_add(project, 1)
    job = imported(
        manager,
        project,
        jsonl_bytes(project, [jsonl_line(item, [shape()])]),
        "p.jsonl",
        format="jsonl",
        target="predictions",
    )

    outcome = job_execute(job_id=job.pk)

    assert (outcome.ran, outcome.status) == (False, "succeeded")
    assert Prediction.objects.count() == 1


def test_the_prediction_change_check_hashes_the_sorted_json_of_scores_and_shapes():
    """Stored digests of earlier imports must still match, so an unchanged re-import skips."""
    import hashlib

    from versioning.imports.predictions import _SORTED_JSON, _prediction_digest

    shapes = [{"id": "b", "label": "vélo", "points": [1.0, 2.5], "attributes": {"z": 1, "a": 2}}]
    scores = {"b": 0.25}
    document = {"shapes": shapes, "scores": scores}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    expected = hashlib.sha256(text.encode()).hexdigest()
    encoded = (_SORTED_JSON.encode(shapes), _SORTED_JSON.encode(scores))
    assert _prediction_digest(*encoded) == expected


def test_a_bad_shape_late_in_a_predictions_file_fails_the_job_and_keeps_what_was_there(
    project, manager
):
    # given a source already imported for the first item
    first, second, third = items_add(project, 3)
    earlier = jsonl_bytes(project, [jsonl_line(first, [shape()])])
    imported(manager, project, earlier, "a.jsonl", format="jsonl", target="predictions")
    before = stored_predictions()

    # when a file changes the first, adds the second, and has a box outside the third's image
    lines = [
        jsonl_line(first, [shape("person", (3, 3, 6, 6))]),
        jsonl_line(second, [shape()]),
        jsonl_line(third, [shape("car", (10, 10, 500, 40))], width=1000, height=800),
    ]
    data = jsonl_bytes(project, lines)
    job = imported(manager, project, data, "b.jsonl", format="jsonl", target="predictions")

    # then the job names the record, shape and field, and nothing of the file was written
    assert (job.status, job.error) == (
        "failed",
        f"{third.name}: shapes.0.points: Points must lie inside the 64x48 image.",
    )
    assert stored_predictions() == before


def test_a_file_longer_than_a_batch_writes_new_changed_and_unchanged_items_in_every_batch(
    project, manager, monkeypatch
):
    from versioning.imports import predictions

    # given five items, predictions of a source for the first three
    items = items_add(project, 5)
    old = [jsonl_line(item, [shape()]) for item in items[:3]]
    imported(
        manager, project, jsonl_bytes(project, old), "a.jsonl", format="jsonl", target="predictions"
    )
    unchanged = Prediction.objects.get(item=items[1])

    # when a file (read two items per batch) changes the first, keeps the second and third
    # and adds the last two
    monkeypatch.setattr(predictions, "BATCH", 2)
    new = [
        jsonl_line(items[0], [shape("person", (3, 3, 6, 6), score=0.5)]),
        *old[1:],
        *(jsonl_line(item, [shape(), shape("person", (5, 5, 9, 9))]) for item in items[3:]),
    ]
    job = imported(
        manager, project, jsonl_bytes(project, new), "b.jsonl", format="jsonl", target="predictions"
    )

    # then every batch's rows are written as the file says
    assert job.status == "succeeded"
    counts = ("items", "matched", "written", "unchanged", "shapes")
    assert [job.result[name] for name in counts] == [5, 5, 3, 2, 5]
    shapes = {p.item_id: [s["label"] for s in p.shapes] for p in Prediction.objects.all()}
    assert shapes == {
        items[0].pk: ["person"],
        items[1].pk: ["car"],
        items[2].pk: ["car"],
        items[3].pk: ["car", "person"],
        items[4].pk: ["car", "person"],
    }
    assert Prediction.objects.get(item=items[0]).scores == {
        Prediction.objects.get(item=items[0]).shapes[0]["id"]: 0.5
    }
    assert Prediction.objects.get(item=items[1]).updated_at == unchanged.updated_at
