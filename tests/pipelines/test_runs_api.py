"""The pipelines REST API: start a run, read its progress, its features, SQL over a version."""

import io

import pyarrow.parquet as pq
import pytest

from tests.pipelines.factories import labelled_version
from tests.projects.factories import items_add, project_with_members
from tests.versioning.factories import version_made
from versioning.jobs import job_execute


@pytest.fixture
def version(project, manager, annotator, reviewer):
    return labelled_version(project, manager, annotator, reviewer, count=3)


def _run(api, manager, version):
    response = api(manager).post(
        f"/api/v1/versions/{version.pk}/pipelines/", {"pipeline": "default"}, format="json"
    )
    assert response.status_code == 202, response.content
    job_execute(job_id=response.json()["id"])
    return response.json()


def test_a_started_run_reports_counts_progress_and_features(api, manager, reviewer, version):
    items, version = version

    started = _run(api, manager, version)

    assert started["kind"] == "pipeline"
    job = api(reviewer).get(f"/api/v1/jobs/{started['id']}/").json()
    assert job["status"] == "succeeded"
    assert (job["result"]["computed"], job["result"]["failed"]) == (15, 0)
    run = api(reviewer).get(f"/api/v1/pipeline-runs/{started['run']}/").json()
    assert run["status"] == "succeeded"
    assert run["progress"]["image_stats"]["done"] == 3
    assert run["quarantined"] == []
    features = api(reviewer).get(f"/api/v1/versions/{version.pk}/features/?step=image_stats")
    body = features.json()
    assert body["count"] == 3
    assert sorted(row["item_id"] for row in body["results"]) == sorted(i.pk for i in items)
    assert {"brightness", "contrast", "blur", "entropy"} <= set(body["results"][0])
    listed = api(reviewer).get(f"/api/v1/versions/{version.pk}/pipelines/").json()
    assert [row["id"] for row in listed["results"]] == [started["run"]]


def test_an_unknown_pipeline_is_a_field_error(api, manager, version):
    _, version = version
    response = api(manager).post(
        f"/api/v1/versions/{version.pk}/pipelines/", {"pipeline": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "pipeline" in response.json()["errors"] or "pipeline" in str(response.json())


def test_sql_joins_items_shapes_and_features(api, manager, reviewer, version):
    items, version = version
    _run(api, manager, version)

    response = api(reviewer).post(
        f"/api/v1/versions/{version.pk}/sql/",
        {
            "sql": "SELECT i.item_id, count(s.shape_id) AS shapes, max(f.width) AS w "
            "FROM items i JOIN shapes s USING (item_id) JOIN image_stats f USING (item_id) "
            "GROUP BY i.item_id ORDER BY i.item_id"
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["columns"] == ["item_id", "shapes", "w"]
    assert body["rows"] == [[item.pk, 2, 64] for item in sorted(items, key=lambda i: i.pk)]
    assert body["truncated"] is False


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_parquet('/etc/passwd')",
        "SELECT * FROM read_csv('http://example.com/x.csv')",
        "SELECT * FROM read_parquet('{other}')",
        "ATTACH '/tmp/x.db' AS x",
        "SELECT 1; SELECT 2",
        "SELECT * FROM other_items",
    ],
)
def test_sql_cannot_reach_files_urls_or_another_projects_data(
    api, manager, reviewer, outsider, version, sql
):
    from django.core.files.storage import default_storage

    from pipelines.selectors import version_sql

    _, version = version
    other = project_with_members(manager=outsider)
    items_add(other, 1)
    other_version = version_made(other, outsider, source="submitted")
    version_sql(version=other_version, sql="SELECT 1")  # its tables exist in storage
    other_key = f"pipelines/sql/{other_version.pk}/items.parquet"
    try:
        other_path = default_storage.path(other_key)
    except NotImplementedError:  # an S3 bucket: its (signed) URL is what a query would try
        other_path = default_storage.url(other_key)

    response = api(reviewer).post(
        f"/api/v1/versions/{version.pk}/sql/", {"sql": sql.format(other=other_path)}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "rows" not in response.json()  # refused before or while running: no data back


def test_sql_rows_are_limited(api, reviewer, version):
    _, version = version
    response = api(reviewer).post(
        f"/api/v1/versions/{version.pk}/sql/",
        {"sql": "SELECT * FROM range(50)", "max_rows": 10},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert (len(response.json()["rows"]), response.json()["truncated"]) == (10, True)


def test_features_of_an_unknown_step_are_a_field_error(api, reviewer, version):
    _, version = version
    response = api(reviewer).get(f"/api/v1/versions/{version.pk}/features/?step=colour")
    assert response.status_code == 400
    fresh = api(reviewer).get(f"/api/v1/versions/{version.pk}/features/?step=phash")
    assert (fresh.status_code, fresh.json()["count"]) == (200, 0)  # not run yet


def test_a_feature_table_downloads_as_parquet_keyed_by_item(api, manager, reviewer, version):
    items, version = version
    url = f"/api/v1/versions/{version.pk}/features/?step=image_stats&as=parquet"
    before = api(reviewer).get(url)
    _run(api, manager, version)

    response = api(reviewer).get(url)

    assert before.status_code == 404
    assert response.status_code == 200
    assert ".parquet" in response["Content-Disposition"]
    table = pq.read_table(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(table.column("item_id").to_pylist()) == sorted(item.pk for item in items)
    assert {"blur", "brightness"} <= set(table.column_names)
    dataset_step = api(reviewer).get(url.replace("image_stats", "near_duplicates"))
    assert dataset_step.status_code == 400
