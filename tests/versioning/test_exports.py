import hashlib
import json
from typing import Any

import pytest
from django.core.files.storage import default_storage

from projects.services import project_update
from tests.annotate.factories import box
from tests.conftest import client_for
from tests.projects.factories import items_add
from tests.versioning.factories import document_accepted, tiny_codec_install, version_made
from versioning.jobs import job_execute
from versioning.models import ExportFile, Job

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tiny_codec(monkeypatch: pytest.MonkeyPatch) -> None:
    tiny_codec_install(monkeypatch)


def export_requested(client, version, format_name: str = "lines") -> Any:
    return client.post(f"/api/v1/versions/{version.pk}/exports/", {"format": format_name})


def test_an_export_job_stores_the_file_under_its_hash_and_serves_it(
    project, manager, annotator, reviewer, django_capture_on_commit_callbacks
):
    first, second = items_add(project, 2)
    document = document_accepted(first, annotator, reviewer, [box("car", (1, 2, 3, 4))])
    points = document.shapes[0]["points"]
    version = version_made(project, manager)
    client = client_for(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = export_requested(client, version)

    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    expected = (
        b'["car", "person", "night"]\n'
        + json.dumps([first.pk, f"{first.asset.sha256}.png", 64, "", [["car", points]]]).encode()
        + b"\n"
        + json.dumps([second.pk, f"{second.asset.sha256}.png", 64, "", []]).encode()
        + b"\n"
    )
    sha256 = hashlib.sha256(expected).hexdigest()
    assert (job.status, job.kind, job.error) == ("succeeded", "export", "")
    assert job.result == {
        "version": version.pk,
        "format": "lines",
        "sha256": sha256,
        "size": len(expected),
        "file_name": f"lines-{sha256}.txt",
        "download": f"/api/v1/jobs/{job.pk}/download/",
        "reused": False,
    }
    key = f"exports/{version.pk}/lines-{sha256}.txt"
    with default_storage.open(key, "rb") as stored:
        assert stored.read() == expected
    download = client.get(job.result["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == expected
    assert download["Content-Disposition"] == f'attachment; filename="lines-{sha256}.txt"'
    assert download["ETag"] == f'"{sha256}"'


def test_a_past_version_exports_the_shapes_and_schema_it_was_made_with(
    project, manager, annotator, reviewer
):
    (item,) = items_add(project, 1)
    document_accepted(item, annotator, reviewer, [box("car", (1, 2, 3, 4))])
    version = version_made(project, manager)
    project_update(project=project, labels=[{"name": "bus", "kind": "box"}], delete_in_use=True)
    job = Job.objects.create(
        kind="export", project=project, params={"version": version.pk, "format": "lines"}
    )

    job_execute(job_id=job.pk)

    job.refresh_from_db()
    with default_storage.open(ExportFile.objects.get().storage_key, "rb") as stored:
        lines = stored.read().splitlines()
    assert json.loads(lines[0]) == ["car", "person", "night"]
    assert json.loads(lines[1])[-1] == [["car", [1.0, 2.0, 3.0, 4.0]]]


def test_a_re_export_reuses_the_stored_file(project, manager, django_capture_on_commit_callbacks):
    items_add(project, 1)
    version = version_made(project, manager)
    client = client_for(manager)
    with django_capture_on_commit_callbacks(execute=True):
        first = export_requested(client, version).json()
    with django_capture_on_commit_callbacks(execute=True):
        second = export_requested(client, version).json()

    first_job, second_job = Job.objects.get(pk=first["id"]), Job.objects.get(pk=second["id"])
    assert (first_job.result["reused"], second_job.result["reused"]) == (False, True)
    assert first_job.result["sha256"] == second_job.result["sha256"]
    assert ExportFile.objects.count() == 1
    keys = default_storage.listdir(f"exports/{version.pk}")[1]
    assert keys == [first_job.result["file_name"]]


def test_an_unknown_format_is_refused_and_creates_no_job(project, manager):
    items_add(project, 1)
    version = version_made(project, manager)
    before = Job.objects.count()

    response = export_requested(client_for(manager), version, "tiff")

    assert response.status_code == 400
    assert response.json()["errors"] == {"format": ["Unknown format 'tiff'; use one of: lines."]}
    assert Job.objects.count() == before


def test_a_job_without_a_file_has_no_download(project, manager):
    items_add(project, 1)
    version_made(project, manager)
    snapshot = Job.objects.get()

    response = client_for(manager).get(f"/api/v1/jobs/{snapshot.pk}/download/")

    assert response.status_code == 404
    assert response.json() == {"detail": "This job has no file to download (yet)."}


def test_a_version_streams_to_coco_as_a_plain_list_of_its_items_does(
    project, manager, annotator, reviewer
):
    """The export source reads pages by SQL, offers a records-only pass for COCO's images and
    (on Postgres) its shapes as numbers: the bytes must be those of the codec's generic path
    over the same items as plain ItemShapes."""
    import io

    from formats.coco import write_coco
    from formats.records import ItemShapes
    from projects.models import Item
    from versioning.exports import version_items

    items = items_add(project, 3)
    metadata = {"camera": "é", "n": 1.5, "nested": {"b": [1, None], "a": True}}
    Item.objects.filter(pk=items[0].pk).update(metadata=metadata, split="train")
    shapes = [box("car", (1.25, 2, 30.333, 40)), box("person", (5, 5, 9, 9), rotation=30)]
    document_accepted(items[0], annotator, reviewer, shapes)
    document_accepted(items[2], annotator, reviewer, [box("car", (0.1, 0.2, 0.3, 0.4))])
    version = version_made(project, manager)
    source = version_items(version)
    plain = [ItemShapes(entry.item, entry.shapes) for entry in source()]

    via_records, via_list = io.BytesIO(), io.BytesIO()
    write_coco(via_records, labels=version.labels, items=source)
    write_coco(via_list, labels=version.labels, items=lambda: plain)

    assert via_records.getvalue() == via_list.getvalue()
    assert [entry.item.item_id for entry in plain] == sorted(item.pk for item in items)
    assert [record.item_id for record in source.records()] == [e.item.item_id for e in plain]
    assert plain[0].item.metadata == metadata and plain[0].item.split == "train"
    assert [len(entry.shapes) for entry in plain] == [2, 0, 1]
    document = json.loads(via_records.getvalue())
    assert [image["metadata"] for image in document["images"]] == [metadata, {}, {}]
    assert len(document["annotations"]) == 3


ODD_SHAPES = [
    # What no save path writes, but a blob might hold: each read as the dict path reads it.
    {"kind": "box", "label": "car", "points": [1, 2.5, 3, 4], "occluded": 1},
    {"kind": "box", "label": "car", "points": [1, 2, 3, 4], "rotation": 0, "score": 0.25},
    {"kind": "box", "label": "car", "points": [2.675, 1.005, 12.345, 99.995], "occluded": True},
    {"kind": "box", "label": "person", "points": [0.125, 0, 1e-9, 1e13], "attributes": None},
    {"kind": "tag", "label": "night"},
    {"kind": 5, "label": "car"},
    {"kind": None, "label": "car", "points": "x"},
    {"kind": "polyline", "label": "car", "points": [1, 2, 3, 4]},
]


@pytest.mark.parametrize(
    "shapes, error",
    [
        (ODD_SHAPES, None),
        ([*ODD_SHAPES, {"kind": "box", "label": "car", "points": ["1", 2, 3, 4]}], None),
        ([{"kind": "box", "label": "car", "points": [1, 2, 3]}], ValueError),
        ([{"label": "car", "points": [1, 2, 3, 4]}], KeyError),
        ([{"kind": "box", "label": "bus", "points": [1, 2, 3, 4]}], KeyError),
        ([["kind", "box"]], TypeError),
        ([{"kind": "box", "label": "car", "points": [1, None, 3, 4]}], TypeError),
    ],
)
def test_a_blob_with_odd_shapes_exports_or_fails_as_the_dict_path_does(
    project, manager, annotator, reviewer, shapes, error
):
    import io

    from formats.coco import write_coco
    from formats.records import ItemShapes
    from versioning.exports import version_items
    from versioning.models import AnnotationBlob, VersionItem

    items = items_add(project, 3)
    for item in items:
        document_accepted(item, annotator, reviewer, [box("car", (1, 2, 3, 4))])
    version = version_made(project, manager)
    odd = VersionItem.objects.get(version=version, item=items[1]).annotation_hash
    AnnotationBlob.objects.filter(pk=odd).update(shapes=shapes)
    source = version_items(version)

    def written(items_source) -> bytes | type[Exception]:
        out = io.BytesIO()
        try:
            write_coco(out, labels=version.labels, items=items_source)
        except Exception as exception:  # noqa: BLE001 - the type is what both must share
            return type(exception)
        return out.getvalue()

    by_dicts = written(lambda: [ItemShapes(entry.item, entry.shapes) for entry in source()])
    by_source = written(source)

    assert by_source == by_dicts
    assert by_dicts == error if error else json.loads(by_dicts)["annotations"]


def test_a_version_streams_in_pages_without_losing_or_repeating_an_item(
    project, manager, annotator, reviewer, monkeypatch
):
    from versioning import exports

    items = items_add(project, 5)
    for item in items[1::2]:
        document_accepted(item, annotator, reviewer, [box("car")])
    version = version_made(project, manager)
    monkeypatch.setattr(exports, "CHUNK", 2)
    source = exports.version_items(version)

    assert [entry.item.item_id for entry in source()] == [item.pk for item in items]
    assert [len(entry.shapes) for entry in source()] == [0, 1, 0, 1, 0]
    assert [record.item_id for record in source.records()] == [item.pk for item in items]
