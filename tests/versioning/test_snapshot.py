import json

import pytest
from django.core.files.storage import default_storage

from annotate.services import annotation_review
from formats.canonical import canonical_json, content_hash
from projects.services import project_update
from tests.annotate.factories import box, document_submitted, tag
from tests.projects.factories import items_add, user_create
from tests.versioning.factories import document_accepted, snapshot_job, version_made
from versioning.models import AnnotationBlob, DatasetVersion, VersionItem
from versioning.services import version_snapshot

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int]:
    return (
        DatasetVersion.objects.count(),
        VersionItem.objects.count(),
        AnnotationBlob.objects.count(),
    )


def test_the_version_id_is_the_hash_of_the_stored_canonical_manifest(
    project, manager, annotator, reviewer
):
    first, second = items_add(project, 2)
    accepted = document_accepted(first, annotator, reviewer, [box("car")])

    version = version_made(project, manager, message="first")

    manifest = {
        "schema_hash": content_hash(project.labels),
        "filters": {},
        "items": [
            [first.pk, first.asset.sha256, accepted.content_hash, ""],
            [second.pk, second.asset.sha256, None, ""],
        ],
    }
    assert version.pk == content_hash(manifest)
    assert version.manifest_key == f"manifests/{version.pk}.json"
    with default_storage.open(version.manifest_key, "rb") as stored:
        assert stored.read() == canonical_json(manifest)
    assert (version.message, version.author, version.parent, version.source) == (
        "first",
        manager,
        None,
        "accepted",
    )
    assert sorted(
        VersionItem.objects.filter(version=version).values_list(
            "item_id", "asset_sha256", "annotation_hash", "split"
        )
    ) == [tuple(row) for row in manifest["items"]]


def test_identical_content_gives_the_identical_id_and_no_new_rows(
    project, manager, annotator, reviewer
):
    (item,) = items_add(project, 1)
    document_accepted(item, annotator, reviewer)
    version = version_made(project, manager)
    before = counts()

    job = snapshot_job(project, manager, message="again")

    assert job.status == "succeeded"
    assert job.result == {"version": version.pk, "created": False, "items": 1}
    assert counts() == before == (1, 1, 1)
    assert DatasetVersion.objects.get().message == ""


def test_running_the_same_snapshot_job_twice_writes_once(project, manager, annotator, reviewer):
    (item,) = items_add(project, 1)
    document_accepted(item, annotator, reviewer)
    job = snapshot_job(project, manager)

    again = version_snapshot(job=job)

    assert again == {"version": job.result["version"], "created": False, "items": 1}
    assert counts() == (1, 1, 1)


def test_one_relabel_gives_a_new_id_with_the_old_one_as_parent(
    project, manager, annotator, reviewer
):
    first, second = items_add(project, 2)
    for item in (first, second):
        document_accepted(item, annotator, reviewer, [box("car")])
    old = version_made(project, manager)
    carl = user_create("carl")
    project.memberships.create(user=carl, role="annotator")

    relabel = document_accepted(second, carl, reviewer, [box("person")])
    new = version_made(project, manager)

    assert new.pk != old.pk and new.parent == old
    rows = dict(VersionItem.objects.filter(version=new).values_list("item_id", "annotation_hash"))
    old_rows = dict(
        VersionItem.objects.filter(version=old).values_list("item_id", "annotation_hash")
    )
    assert rows[first.pk] == old_rows[first.pk]
    assert rows[second.pk] == relabel.content_hash != old_rows[second.pk]
    # One blob per distinct content: the relabel added one, not a copy of the dataset.
    assert set(AnnotationBlob.objects.values_list("content_hash", flat=True)) == {
        *old_rows.values(),
        relabel.content_hash,
    }
    assert AnnotationBlob.objects.count() == 3


def test_a_schema_change_gives_a_new_id(project, manager):
    items_add(project, 1)
    old = version_made(project, manager)

    project_update(project=project, labels=[*project.labels, {"name": "bus", "kind": "box"}])
    new = version_made(project, manager)

    assert new.pk != old.pk
    assert new.schema_hash == content_hash(project.labels) != old.schema_hash


def test_submitted_source_takes_the_latest_submission(project, manager, annotator, reviewer):
    (item,) = items_add(project, 1)
    submitted = document_submitted(item, annotator, [box("car"), tag("night")])

    accepted_only = version_made(project, manager, source="accepted")
    with_submitted = version_made(project, manager, source="submitted")

    rows = VersionItem.objects.filter(version=with_submitted).values_list("annotation_hash")
    assert list(rows) == [(submitted.content_hash,)]
    assert list(
        VersionItem.objects.filter(version=accepted_only).values_list("annotation_hash")
    ) == [(None,)]
    assert with_submitted.stats == {
        "items": 1,
        "splits": {"": 1},
        "annotated_items": 1,
        "shapes": 2,
        "shapes_per_class": {"car": 1, "night": 1},
        "annotators": {"bob_annotator": 1},
    }


def test_filters_select_items_and_are_part_of_the_id(project, manager):
    first, second, third = items_add(project, 3)

    everything = version_made(project, manager)
    two = version_made(project, manager, filters={"items": [third.pk, first.pk]})

    assert two.pk != everything.pk
    assert two.filters == {"items": [first.pk, third.pk]}
    assert sorted(VersionItem.objects.filter(version=two).values_list("item_id", flat=True)) == [
        first.pk,
        third.pk,
    ]
    with default_storage.open(two.manifest_key, "rb") as stored:
        assert json.loads(stored.read())["filters"] == {"items": [first.pk, third.pk]}


def test_stats_count_items_shapes_per_class_and_annotators(project, manager, annotator, reviewer):
    first, second, _ = items_add(project, 3)
    document_accepted(first, annotator, reviewer, [box("car"), box("car"), box("person")])
    document = document_submitted(second, reviewer, [tag("night")])
    annotation_review(reviewer=manager, document=document, decision="accept", comment="")

    version = version_made(project, manager)

    assert version.stats == {
        "items": 3,
        "splits": {"": 3},
        "annotated_items": 2,
        "shapes": 4,
        "shapes_per_class": {"car": 2, "night": 1, "person": 1},
        "annotators": {"bob_annotator": 1, "rita_reviewer": 1},
    }


def snapshot_queries(project, manager) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from versioning.models import Job

    job = Job.objects.create(
        kind="snapshot",
        project=project,
        created_by=manager,
        params={"message": "", "source": "accepted", "filters": {}},
    )
    with CaptureQueriesContext(connection) as queries:
        version_snapshot(job=job)
    return len(queries)


def test_a_snapshot_makes_the_same_number_of_queries_for_2_and_for_8_items(
    manager, annotator, reviewer
):
    from tests.projects.factories import project_with_members

    small, large = (
        project_with_members(manager=manager, bob_annotator="annotator", rita_reviewer="reviewer")
        for _ in range(2)
    )
    for project, count in ((small, 2), (large, 8)):
        for item in items_add(project, count):
            document_accepted(item, annotator, reviewer)

    assert snapshot_queries(small, manager) == snapshot_queries(large, manager)


def test_the_database_snapshot_computes_what_the_python_one_does(
    project, manager, annotator, reviewer
):
    """Postgres builds the manifest, blobs and stats in SQL; the embedded default in Python.
    Both must give the same bytes and stats for every source and filter (on SQLite this
    compares the Python path with itself, which still checks the stats helper)."""
    from django.db import connection

    from annotate.models import AnnotationDocument
    from projects.models import Item
    from versioning.services import DatabaseSnapshot, RowsPlan, snapshot_build
    from versioning.services.snapshot import _stats

    items = items_add(project, 6)
    for item, split in zip(items, ("train", "train", "val", "test", "", "val"), strict=True):
        Item.objects.filter(pk=item.pk).update(split=split)
    carl = user_create("carl")
    project.memberships.create(user=carl, role="annotator")
    document_accepted(items[0], annotator, reviewer, [box("car"), box("car"), box("person")])
    # Two accepted documents: the later one stands for the item, a review over both.
    document_accepted(items[1], annotator, reviewer, [box("car")])
    later = document_accepted(items[1], carl, reviewer, [box("person"), tag("night")])
    AnnotationDocument.objects.filter(pk=later.pk).update(kind="review")
    document_accepted(items[2], carl, reviewer, [])
    document_submitted(items[3], annotator, [box("person")])
    document_accepted(items[5], annotator, reviewer, [box("car"), box("car"), box("person")])

    cases = [
        ("accepted", {}),
        ("submitted", {}),
        ("accepted", {"splits": ["train", "val"]}),
        ("submitted", {"items": [items[3].pk, items[0].pk]}),
    ]
    for source, filters in cases:
        python = snapshot_build(project=project, source=source, filters=filters)
        expected = _stats(python)
        if connection.vendor != "postgresql":
            continue
        database = DatabaseSnapshot.build(project=project, source=source, filters=filters)
        assert database.canonical == python.canonical, (source, filters)
        assert database.stats(RowsPlan()) == expected, (source, filters)
    assert (
        snapshot_build(project=project, source="accepted", filters={}).manifest["items"][1][2]
        == AnnotationDocument.objects.get(pk=later.pk).content_hash
    )
