import json

import pytest

from tests.annotate.factories import box
from tests.conftest import client_for
from tests.projects.factories import items_add, user_create
from tests.versioning.factories import document_accepted, version_made
from versioning.models import DatasetVersion, Job, VersionTag

pytestmark = pytest.mark.django_db


def test_a_snapshot_request_answers_202_and_the_job_reaches_succeeded(
    project, manager, annotator, reviewer, django_capture_on_commit_callbacks
):
    first, second = items_add(project, 2)
    document_accepted(first, annotator, reviewer, [box("car")])
    client = client_for(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/projects/{project.pk}/versions/", {"message": "v1"}, format="json"
        )

    assert response.status_code == 202
    job_id = response.json()["id"]
    assert response["Location"] == f"/api/v1/jobs/{job_id}/"
    assert response.json()["status"] == "queued"
    polled = client.get(f"/api/v1/jobs/{job_id}/").json()
    version = DatasetVersion.objects.get()
    assert (polled["status"], polled["kind"], polled["error"]) == ("succeeded", "snapshot", "")
    assert polled["result"] == {"version": version.pk, "created": True, "items": 2}
    assert polled["progress"] == {"done": 2, "total": 2}
    assert polled["params"] == {"message": "v1", "source": "accepted", "filters": {}}


def test_a_bad_snapshot_request_is_refused_and_creates_no_job(project, manager):
    client = client_for(manager)

    bad_source = client.post(
        f"/api/v1/projects/{project.pk}/versions/", {"source": "drafts"}, format="json"
    )
    bad_filter = client.post(
        f"/api/v1/projects/{project.pk}/versions/",
        {"filters": {"classes": ["car"]}},
        format="json",
    )

    assert bad_source.status_code == 400
    assert bad_source.json()["errors"] == {"source": ['"drafts" is not a valid choice.']}
    assert bad_filter.status_code == 400
    assert bad_filter.json() == {
        "detail": "filters: Unknown filter 'classes'.",
        "errors": {"filters": ["Unknown filter 'classes'."]},
    }
    assert Job.objects.count() == 0


def test_versions_are_listed_newest_first_with_stats_and_tags(project, manager, reviewer):
    items_add(project, 1)
    old = version_made(project, manager, message="one")
    items_add(project, 1)
    new = version_made(project, manager, message="two")
    VersionTag.objects.create(project=project, name="production", version=old)

    listing = client_for(reviewer).get(f"/api/v1/projects/{project.pk}/versions/").json()

    assert listing["count"] == 2
    assert [(v["id"], v["message"], v["tags"], v["parent"]) for v in listing["results"]] == [
        (new.pk, "two", [], old.pk),
        (old.pk, "one", ["production"], None),
    ]
    assert listing["results"][0]["stats"]["items"] == 2
    assert listing["results"][0]["author"] == "alice_manager"


def test_the_manifest_download_hashes_to_the_version_id(project, manager, reviewer):
    import hashlib

    items_add(project, 2)
    version = version_made(project, manager)

    response = client_for(reviewer).get(f"/api/v1/versions/{version.pk}/manifest/")

    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert hashlib.sha256(body).hexdigest() == version.pk
    assert [row[0] for row in json.loads(body)["items"]] == sorted(
        project.items.values_list("pk", flat=True)
    )


def test_a_tag_is_set_moved_and_deleted(project, manager):
    items_add(project, 1)
    old = version_made(project, manager)
    items_add(project, 1)
    new = version_made(project, manager)
    client = client_for(manager)
    url = f"/api/v1/projects/{project.pk}/version-tags/v1.2/"

    created = client.put(url, {"version": old.pk}, format="json")
    moved = client.put(url, {"version": new.pk}, format="json")

    assert (created.status_code, created.json()["version"]) == (200, old.pk)
    assert (moved.status_code, moved.json()["version"]) == (200, new.pk)
    assert client.get(url).json()["version"] == new.pk
    assert list(VersionTag.objects.values_list("name", "version_id")) == [("v1.2", new.pk)]
    assert client.get(f"/api/v1/versions/{new.pk}/").json()["tags"] == ["v1.2"]
    assert client.delete(url).status_code == 204
    assert client.delete(url).status_code == 404
    assert client.get(url).json() == {"detail": "No such tag."}
    assert VersionTag.objects.count() == 0


def test_a_tag_cannot_point_at_another_projects_version(project, manager, outsider):
    from tests.projects.factories import project_with_members

    other = project_with_members(manager=outsider)
    items_add(other, 1)
    foreign = version_made(other, outsider)

    response = client_for(manager).put(
        f"/api/v1/projects/{project.pk}/version-tags/prod/", {"version": foreign.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"version": ["No such version in this project."]}
    assert VersionTag.objects.count() == 0


def test_the_diff_endpoint_pages_rows_and_adds_the_summary(project, manager, annotator, reviewer):
    first, second = items_add(project, 2)
    document_accepted(first, annotator, reviewer, [box("car")])
    old = version_made(project, manager)
    carl = user_create("carl")
    project.memberships.create(user=carl, role="annotator")
    document_accepted(second, carl, reviewer, [box("person")])
    items_add(project, 1)  # an added item
    new = version_made(project, manager)

    body = (
        client_for(reviewer)
        .get(f"/api/v1/versions/{new.pk}/diff/", {"against": old.pk, "page_size": 1})
        .json()
    )

    assert body["count"] == 2
    assert body["next"] is not None
    assert [row["item"] for row in body["results"]] == [second.pk]
    assert body["results"][0]["shapes"][0]["change"] == "added"
    assert body["totals"] == {"items_added": 1, "items_removed": 0, "items_changed": 1}
    assert body["summary"]["person"]["added"] == 1


def test_the_diff_needs_a_version_to_compare_with(project, manager):
    items_add(project, 1)
    version = version_made(project, manager)

    response = client_for(manager).get(f"/api/v1/versions/{version.pk}/diff/")

    assert response.status_code == 400
    assert response.json()["errors"] == {"against": ["Name the version to compare with."]}


def test_an_unknown_version_and_job_are_404(manager):
    client = client_for(manager)

    assert client.get(f"/api/v1/versions/{'0' * 64}/").json() == {"detail": "No such version."}
    assert client.get("/api/v1/jobs/999999/").json() == {"detail": "No such job."}
