"""A version's item index and filtered exports: what `loupe pull --split --class` downloads."""

import json

import pytest

from tests.conftest import client_for
from tests.versioning.factories import version_made
from tests.versioning.stories import labeled_over_splits
from versioning.models import ExportFile, Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(project, manager, annotator, reviewer):
    """car_train, person_train, car_night_val, empty_test: accepted shapes, one version."""
    items = labeled_over_splits(project, annotator, reviewer, extra=(("loose", ""),))
    return items, version_made(project, manager)


def index(client, version, **params):
    response = client.get(f"/api/v1/versions/{version.pk}/index/", params)
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_index_lists_every_item_with_what_a_download_needs(story, reviewer):
    items, version = story
    car = items["car_train"]

    page = index(client_for(reviewer), version)

    assert page["count"] == 5
    assert [row["item"] for row in page["results"]] == sorted(item.pk for item in items.values())
    assert page["results"][0] == {
        "item": car.pk,
        "name": "car_train.png",
        "file_name": f"{car.asset.sha256}.png",
        "asset_sha256": car.asset.sha256,
        "mime": "image/png",
        "size": car.asset.size,
        "width": 64,
        "height": 48,
        "split": "train",
        "image_url": f"/api/v1/items/{car.pk}/image/",
    }
    download = client_for(reviewer).get(page["results"][0]["image_url"])
    assert download.status_code == 200


def test_the_index_is_cut_by_split_and_class_on_the_server(story, reviewer):
    items, version = story
    client = client_for(reviewer)

    def names(**params):
        return [row["name"] for row in index(client, version, **params)["results"]]

    assert names(split="train") == ["car_train.png", "person_train.png"]
    assert names(split=["val", "test"]) == ["car_night_val.png", "empty_test.png"]
    assert names(split="unassigned") == ["loose.png"]
    assert names(**{"class": "car"}) == ["car_train.png", "car_night_val.png"]
    assert names(**{"class": ["night", "person"]}) == ["person_train.png", "car_night_val.png"]
    assert names(split="train", **{"class": "car"}) == ["car_train.png"]
    assert names(split="test", **{"class": "car"}) == []
    paged = index(client, version, page_size=2, page=2)
    assert (paged["count"], len(paged["results"])) == (5, 2)


def test_an_unknown_class_is_refused_naming_the_versions_classes(story, reviewer):
    _, version = story

    response = client_for(reviewer).get(f"/api/v1/versions/{version.pk}/index/", {"class": "dog"})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "classes": ["This version has no class 'dog'; its classes: car, person, night."]
    }


def exported(client, version, body, django_capture_on_commit_callbacks) -> tuple[Job, bytes]:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/versions/{version.pk}/exports/", body, format="json")
    assert response.status_code == 202, response.json()
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded", job.error
    download = client.get(job.result["download"])
    assert download.status_code == 200
    return job, b"".join(download.streaming_content)


def test_a_filtered_export_holds_only_the_kept_items_and_classes(
    story, reviewer, django_capture_on_commit_callbacks
):
    items, version = story
    client = client_for(reviewer)
    body = {"format": "jsonl", "splits": ["train", "val"], "classes": ["car"]}

    job, data = exported(client, version, body, django_capture_on_commit_callbacks)

    header, *lines = [json.loads(line) for line in data.splitlines()]
    assert [label["name"] for label in header["labels"]] == ["car", "person", "night"]
    assert [(line["item_id"], [s["label"] for s in line["shapes"]]) for line in lines] == [
        (items["car_train"].pk, ["car"]),
        (items["car_night_val"].pk, ["car"]),  # the night tag is cut away
    ]
    assert job.params["filters"] == {"splits": ["train", "val"], "classes": ["car"]}
    # A cut is not the version's export: the whole one is still made (and reused) apart.
    assert ExportFile.objects.filter(version=version).count() == 0
    again, same = exported(client, version, body, django_capture_on_commit_callbacks)
    assert (again.result["sha256"], same) == (job.result["sha256"], data)
    whole_job, whole = exported(
        client, version, {"format": "jsonl"}, django_capture_on_commit_callbacks
    )
    assert len(whole.splitlines()) == 1 + len(items)
    assert whole_job.result["sha256"] != job.result["sha256"]
    assert ExportFile.objects.get(version=version).sha256 == whole_job.result["sha256"]


def test_a_filtered_export_of_an_unknown_class_creates_no_job(story, reviewer):
    _, version = story
    before = Job.objects.count()

    response = client_for(reviewer).post(
        f"/api/v1/versions/{version.pk}/exports/",
        {"format": "coco", "classes": ["dog"]},
        format="json",
    )

    assert response.status_code == 400
    assert "no class 'dog'" in response.json()["detail"]
    assert Job.objects.count() == before
