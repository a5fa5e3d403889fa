"""DuckDB reads the Parquet export of a version: items, shapes and attributes as tables that
count, join and filter like the dataset they came from."""

import io
import zipfile
from collections import Counter

import duckdb
import pytest

from tests.annotate.factories import box, tag
from tests.conftest import client_for
from tests.projects.factories import items_add
from tests.versioning.factories import document_accepted, version_made
from versioning.models import Job

pytestmark = pytest.mark.django_db


def parquet_export(client, version, django_capture_on_commit_callbacks) -> bytes:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/versions/{version.pk}/exports/", {"format": "parquet"})
    assert response.status_code == 202, response.json()
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded", job.error
    download = client.get(job.result["download"])
    assert download.status_code == 200
    return b"".join(download.streaming_content)


def test_duckdb_counts_joins_and_filters_the_parquet_tables(
    project, manager, annotator, reviewer, tmp_path, django_capture_on_commit_callbacks
):
    # given three items: two labelled (boxes, a tag, a select attribute), one without shapes
    first, second, empty = items_add(project, 3)
    shapes_of = {
        first.pk: [
            box("car", (1, 2, 11, 22)),
            box("person", (5, 5, 9, 25), attributes={"pose": "sitting"}),
        ],
        second.pk: [
            box("person", (0, 0, 4, 8), attributes={"pose": "standing"}),
            box("person", (10, 10, 30, 20), attributes={"pose": "sitting"}),
            tag("night"),
        ],
    }
    for item in (first, second):
        document_accepted(item, annotator, reviewer, shapes_of[item.pk])
    version = version_made(project, manager, source="accepted")

    # when the version is exported as Parquet and its tables unpacked
    archive = parquet_export(client_for(reviewer), version, django_capture_on_commit_callbacks)
    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        assert sorted(bundle.namelist()) == [
            "attributes.parquet",
            "items.parquet",
            "shapes.parquet",
        ]
        bundle.extractall(tmp_path)
    db = duckdb.connect()
    for table in ("items", "shapes", "attributes"):
        db.execute(
            f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{tmp_path / table}.parquet')"
        )

    # then DuckDB sees every item, with its hash and size
    items = db.execute(
        "SELECT item_id, sha256, width, height FROM items ORDER BY item_id"
    ).fetchall()
    assert items == [
        (item.pk, item.asset.sha256, item.asset.width, item.asset.height)
        for item in (first, second, empty)
    ]

    # counts per class are those of the accepted documents
    per_class = dict(db.execute("SELECT label, count(*) FROM shapes GROUP BY label").fetchall())
    expected = Counter(shape["label"] for shapes in shapes_of.values() for shape in shapes)
    assert per_class == dict(expected)

    # shapes join to their items (the item without shapes joins to none)
    per_item = db.execute(
        """SELECT i.item_id, count(s.shape_id) FROM items i
           LEFT JOIN shapes s USING (item_id) GROUP BY i.item_id ORDER BY i.item_id"""
    ).fetchall()
    assert per_item == [(first.pk, 2), (second.pk, 3), (empty.pk, 0)]
    boxes = db.execute(
        """SELECT s.shape_id, s.x1, s.y1, s.x2, s.y2, s.area FROM shapes s
           JOIN items i USING (item_id) WHERE s.kind = 'box' AND i.sha256 = ?""",
        [first.asset.sha256],
    ).fetchall()
    (car,) = [shape for shape in shapes_of[first.pk] if shape["label"] == "car"]
    assert (car["id"], 1.0, 2.0, 11.0, 22.0, 10.0 * 20.0) in boxes

    # attributes join to their shapes, by shape id
    poses = db.execute(
        """SELECT a.value, count(*) FROM attributes a
           JOIN shapes s USING (item_id, shape_id)
           WHERE a.name = 'pose' AND s.label = 'person' GROUP BY a.value ORDER BY a.value"""
    ).fetchall()
    assert poses == [("sitting", 2), ("standing", 1)]
    sitting = db.execute(
        """SELECT s.shape_id FROM shapes s JOIN attributes a USING (item_id, shape_id)
           WHERE a.value = 'sitting' ORDER BY s.shape_id"""
    ).fetchall()
    assert [row[0] for row in sitting] == sorted(
        shape["id"]
        for shapes in shapes_of.values()
        for shape in shapes
        if shape.get("attributes", {}).get("pose") == "sitting"
    )
