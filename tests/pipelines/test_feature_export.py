"""A version's Parquet export with `features: true`: the feature tables of the latest finished
pipeline run over it go in as features/<step>.parquet, keyed by item_id, and join the items."""

import io
import zipfile

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.pipelines.factories import labelled_version, pipeline_job
from versioning.jobs import job_execute
from versioning.models import ExportFile, Job

BASE = ["items.parquet", "shapes.parquet", "attributes.parquet"]


@pytest.fixture
def version(project, manager, annotator, reviewer):
    return labelled_version(project, manager, annotator, reviewer, count=3)


def _export(client, version, body) -> tuple[Job, bytes]:
    response = client.post(f"/api/v1/versions/{version.pk}/exports/", body, format="json")
    assert response.status_code == 202, response.content
    job_execute(job_id=response.json()["id"])
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded", job.error
    download = client.get(job.result["download"])
    assert download.status_code == 200
    return job, b"".join(download.streaming_content)


def test_features_export_joins_items_by_item_id(api, manager, reviewer, version, tmp_path):
    items, version = version
    pipeline_job(version, manager)
    client = api(reviewer)

    job, archive = _export(client, version, {"format": "parquet", "features": True})

    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        names = bundle.namelist()
        assert names[:3] == BASE
        assert "features/image_stats.parquet" in names
        assert "features/near_duplicates.parquet" not in names  # a dataset step: one value
        bundle.extractall(tmp_path)
    assert job.result["features"] == sorted(n[9:-8] for n in names if n.startswith("features/"))
    # the stored table of the run, as the features endpoint serves it
    stored = client.get(f"/api/v1/versions/{version.pk}/features/?step=image_stats").json()
    blur = {int(row["item_id"]): row["blur"] for row in stored["results"]}
    assert sorted(blur) == sorted(item.pk for item in items)

    db = duckdb.connect()
    rows = db.execute(
        f"""SELECT i.item_id, i.sha256, f.blur
            FROM read_parquet('{tmp_path / "items.parquet"}') i
            JOIN read_parquet('{tmp_path / "features" / "image_stats.parquet"}') f
            USING (item_id) ORDER BY i.item_id"""
    ).fetchall()
    assert rows == [(item.pk, item.asset.sha256, blur[item.pk]) for item in items]
    schema = pq.read_schema(tmp_path / "features" / "image_stats.parquet")
    assert str(schema.field("item_id").type) == "int64"
    assert {"blur", "brightness", "contrast", "entropy"} <= set(schema.names)

    # re-exporting with the same features gives the same bytes; no version export row is kept
    again, same = _export(client, version, {"format": "parquet", "features": True})
    assert same == archive
    assert again.result["sha256"] == job.result["sha256"]
    assert not ExportFile.objects.filter(version=version, sha256=job.result["sha256"]).exists()

    # the plain export is untouched: its own tables only, the same bytes as inside this one
    _, plain = _export(client, version, {"format": "parquet"})
    with zipfile.ZipFile(io.BytesIO(plain)) as bundle, zipfile.ZipFile(io.BytesIO(archive)) as f:
        assert bundle.namelist() == BASE
        assert all(bundle.read(name) == f.read(name) for name in BASE)
    assert ExportFile.objects.filter(version=version, format="parquet").count() == 1


def test_features_without_a_run_export_no_feature_tables(api, reviewer, version):
    _, version = version

    job, archive = _export(api(reviewer), version, {"format": "parquet", "features": True})

    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        assert bundle.namelist() == BASE
    assert job.result["features"] == []
    assert "no feature tables" in job.result["note"]


def test_features_need_the_parquet_format(api, reviewer, version):
    _, version = version

    response = api(reviewer).post(
        f"/api/v1/versions/{version.pk}/exports/",
        {"format": "coco", "features": True},
        format="json",
    )

    assert response.status_code == 400
    assert "features" in response.json()["errors"]
    assert not Job.objects.filter(kind="export").exists()


def test_features_export_needs_the_reviewer_role(api, annotator, version):
    _, version = version

    response = api(annotator).post(
        f"/api/v1/versions/{version.pk}/exports/",
        {"format": "parquet", "features": True},
        format="json",
    )

    assert response.status_code == 403
    assert not Job.objects.filter(kind="export").exists()
