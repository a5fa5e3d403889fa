"""Projects, label schema, members and items over the v1 REST API."""

import hashlib
import io
import re
from typing import Any

import pytest
from django.http import HttpResponse
from PIL import Image

from projects.models import Item, Membership, Project
from storage.models import Asset
from tests.objects import asset_copies
from tests.projects.factories import item_from_bytes, items_add, user_create
from tests.storage.factories import image_bytes, upload, zip_bytes

pytestmark = pytest.mark.django_db

PROJECTS = "/api/v1/projects/"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def body(response: HttpResponse) -> bytes:
    """The whole body of a plain or streaming response.

    Draining the stream lets the test client close the file; closing the response by hand would
    fire request_finished and drop the test's database connection."""
    if not response.streaming:
        return response.content
    return b"".join(response.streaming_content)


def assert_nothing_stored(*datas: bytes) -> None:
    for data in datas:
        assert not Asset.objects.filter(sha256=sha(data)).exists()
        assert asset_copies(sha(data)) == []


def project_state(project: Project) -> dict[str, Any]:
    project.refresh_from_db()
    return {
        "fields": (project.name, project.description, project.guidelines, project.overlap),
        "qc": (project.qc_threshold, project.qc_min_gold_items, project.gold_rate),
        "labels": project.labels,
        "members": sorted(project.memberships.values_list("user__username", "role")),
        "items": sorted(project.items.values_list("pk", flat=True)),
    }


# --- creating projects and the label schema -------------------------------------------------


def test_a_user_allowed_to_create_projects_creates_one_and_becomes_its_manager(manager, api):
    # given a user holding the add_project permission
    payload = {
        "name": "Street scenes",
        "description": "Cars and people",
        "guidelines": "# Draw tight boxes",
        "overlap": 2,
        "labels": [
            {"name": " car ", "kind": "box", "color": "#FF0000"},
            {
                "name": "person",
                "kind": "keypoints",
                "keypoints": ["head", "hand"],
                "skeleton": [[0, 1]],
                "attributes": [{"name": "pose", "type": "select", "values": ["up", "down"]}],
            },
        ],
    }

    # when they create a project
    response = api(manager).post(PROJECTS, payload, format="json")

    # then it exists with a normalised schema, and they manage it
    assert response.status_code == 201, response.json()
    data = response.json()
    project = Project.objects.get()
    assert data["id"] == project.pk
    assert data["my_role"] == "manager"
    assert (data["name"], data["description"], data["guidelines"], data["overlap"]) == (
        "Street scenes",
        "Cars and people",
        "# Draw tight boxes",
        2,
    )
    ids = [label.pop("id") for label in project.labels]
    assert [label["id"] for label in data["labels"]] == ids
    assert len(set(ids)) == 2 and all(re.fullmatch(r"[0-9a-f]{12}", i) for i in ids)
    assert (
        [{k: v for k, v in label.items() if k != "id"} for label in data["labels"]]
        == project.labels
        == [
            {
                "name": "car",
                "color": "#ff0000",
                "kind": "box",
                "attributes": [],
                "keypoints": [],
                "skeleton": [],
                "group": None,
                "group_choice": None,
            },
            {
                "name": "person",
                "color": "#3cb44b",
                "kind": "keypoints",
                "attributes": [
                    {"name": "pose", "type": "select", "values": ["up", "down"], "default": None}
                ],
                "keypoints": ["head", "hand"],
                "skeleton": [[0, 1]],
                "group": None,
                "group_choice": None,
            },
        ]
    )
    assert list(Membership.objects.values_list("project_id", "user_id", "role")) == [
        (project.pk, manager.pk, "manager")
    ]
    assert project.created_by == manager


def test_a_user_without_the_permission_cannot_create_a_project(annotator, api):
    response = api(annotator).post(PROJECTS, {"name": "Mine", "labels": []}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Your account may not create projects; ask an administrator."
    }
    assert Project.objects.count() == 0
    assert Membership.objects.count() == 0


UNKNOWN_KIND = (
    "Unknown kind 'blob'; use one of tag, box, polygon, polyline, keypoints, cuboid, mask."
)
LABEL_ERRORS = [
    pytest.param(
        [{"name": "car", "kind": "blob"}],
        {"0": {"kind": [UNKNOWN_KIND]}},
        id="unknown-kind",
    ),
    pytest.param(
        [{"name": "car", "color": "red"}], {"0": {"color": ["Use a #rrggbb colour."]}}, id="colour"
    ),
    pytest.param(
        [{"name": "car"}, {"name": "car", "kind": "polygon"}],
        {"1": {"name": ["Duplicate label name 'car'."]}},
        id="duplicate-names",
    ),
    pytest.param(
        [{"name": "pose", "kind": "keypoints"}],
        {"0": {"keypoints": ["A keypoints class needs its keypoint names."]}},
        id="keypoints-without-names",
    ),
    pytest.param(
        [{"name": "pose", "kind": "keypoints", "keypoints": ["a", "b"], "skeleton": [[0, 2]]}],
        {"0": {"skeleton": ["Expected pairs [i, j] of keypoint indexes."]}},
        id="skeleton-index-out-of-range",
    ),
    pytest.param(
        [{"name": "pose", "kind": "keypoints", "keypoints": ["a", "b"], "skeleton": [[0, 1, 1]]}],
        {"0": {"skeleton": ["Expected pairs [i, j] of keypoint indexes."]}},
        id="skeleton-not-pairs",
    ),
    pytest.param(
        [{"name": "car", "attributes": [{"name": "make", "type": "select", "values": []}]}],
        {"0": {"attributes": ["Attribute 'make': a select needs a list of string values."]}},
        id="select-without-values",
    ),
    pytest.param(
        [{"name": ""}],
        {"0": {"name": ["A non-empty name of at most 100 characters is required."]}},
        id="empty-name",
    ),
]


@pytest.mark.parametrize(("labels", "errors"), LABEL_ERRORS)
def test_an_invalid_label_schema_is_refused_with_errors_per_label(manager, api, labels, errors):
    response = api(manager).post(PROJECTS, {"name": "P", "labels": labels}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"labels": errors}
    assert Project.objects.count() == 0


def test_labels_that_are_not_a_list_are_refused(manager, api):
    response = api(manager).post(PROJECTS, {"name": "P", "labels": {"car": "box"}}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "labels: Expected a list of label classes.",
        "errors": {"labels": ["Expected a list of label classes."]},
    }
    assert Project.objects.count() == 0


def test_a_malformed_json_body_is_a_400_with_a_json_error(manager, api):
    response = api(manager).generic(
        "POST", PROJECTS, '{"name": "P", "labels": [', content_type="application/json"
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("JSON parse error - ")
    assert Project.objects.count() == 0


# --- changing a project ---------------------------------------------------------------------


def test_a_manager_patches_the_project(project, manager, api):
    response = api(manager).patch(
        f"{PROJECTS}{project.pk}/",
        {"name": "Renamed", "guidelines": "Be precise.", "labels": [{"name": "cat"}]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    project.refresh_from_db()
    assert (project.name, project.guidelines) == ("Renamed", "Be precise.")
    assert project.labels == [
        {
            "id": project.labels[0]["id"],
            "name": "cat",
            "color": "#e6194b",
            "kind": "box",
            "attributes": [],
            "keypoints": [],
            "skeleton": [],
            "group": None,
            "group_choice": None,
        }
    ]
    assert response.json()["labels"] == project.labels
    assert response.json()["my_role"] == "manager"


def test_a_new_project_has_the_default_qc_settings_and_a_manager_changes_them(
    project, manager, api
):
    url = f"{PROJECTS}{project.pk}/"
    defaults = api(manager).get(url).json()

    response = api(manager).patch(
        url, {"qc_threshold": 0.9, "qc_min_gold_items": 10, "gold_rate": 0.3}, format="json"
    )

    qc = ("qc_threshold", "qc_min_gold_items", "gold_rate")
    assert [defaults[name] for name in qc] == [0.8, 20, 0.1]
    assert response.status_code == 200
    assert [response.json()[name] for name in qc] == [0.9, 10, 0.3]
    project.refresh_from_db()
    assert (project.qc_threshold, project.qc_min_gold_items, project.gold_rate) == (0.9, 10, 0.3)


@pytest.mark.parametrize("role_fixture", ["reviewer", "annotator"])
def test_only_managers_patch_a_project(project, api, request, role_fixture):
    before = project_state(project)

    response = api(request.getfixturevalue(role_fixture)).patch(
        f"{PROJECTS}{project.pk}/", {"name": "Hijacked"}, format="json"
    )

    assert response.status_code == 403
    assert project_state(project) == before


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        (
            {"labels": [{"name": "x", "kind": "blob"}]},
            {"labels": {"0": {"kind": [UNKNOWN_KIND]}}},
        ),
        ({"overlap": 0}, {"overlap": ["Ensure this value is greater than or equal to 1."]}),
        ({"name": ""}, {"name": ["This field may not be blank."]}),
        (
            {"qc_threshold": 1.5},
            {"qc_threshold": ["Ensure this value is less than or equal to 1."]},
        ),
        ({"gold_rate": -0.1}, {"gold_rate": ["Ensure this value is greater than or equal to 0."]}),
        (
            {"qc_min_gold_items": 0},
            {"qc_min_gold_items": ["Ensure this value is greater than or equal to 1."]},
        ),
    ],
)
def test_an_invalid_patch_changes_nothing(project, manager, api, payload, errors):
    before = project_state(project)

    response = api(manager).patch(f"{PROJECTS}{project.pk}/", payload, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert project_state(project) == before


# --- members --------------------------------------------------------------------------------


def test_reviewers_list_the_members(project, manager, annotator, reviewer, api):
    response = api(reviewer).get(f"{PROJECTS}{project.pk}/members/")

    assert response.status_code == 200
    assert response.json() == [
        {"user_id": annotator.pk, "username": "bob_annotator", "role": "annotator", **ACTIVE},
        {"user_id": manager.pk, "username": "alice_manager", "role": "manager", **ACTIVE},
        {"user_id": reviewer.pk, "username": "rita_reviewer", "role": "reviewer", **ACTIVE},
    ]


ACTIVE = {"paused_at": None, "paused_reason": ""}


def test_a_manager_adds_a_member(project, manager, api):
    carl = user_create("carl")

    response = api(manager).post(
        f"{PROJECTS}{project.pk}/members/", {"username": "carl", "role": "reviewer"}, format="json"
    )

    assert response.status_code == 201
    assert response.json() == {
        "user_id": carl.pk,
        "username": "carl",
        "role": "reviewer",
        **ACTIVE,
    }
    assert Membership.objects.get(project=project, user=carl).role == "reviewer"


def test_adding_an_existing_member_changes_their_role(project, manager, annotator, api):
    response = api(manager).post(
        f"{PROJECTS}{project.pk}/members/",
        {"username": "bob_annotator", "role": "reviewer"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["role"] == "reviewer"
    assert list(
        Membership.objects.filter(project=project, user=annotator).values_list("role", flat=True)
    ) == ["reviewer"]


def test_adding_an_unknown_username_is_a_400_and_changes_nothing(project, manager, api):
    before = project_state(project)

    response = api(manager).post(
        f"{PROJECTS}{project.pk}/members/",
        {"username": "nobody", "role": "annotator"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "username: No user named 'nobody'.",
        "errors": {"username": ["No user named 'nobody'."]},
    }
    assert project_state(project) == before


def test_adding_a_member_with_an_unknown_role_is_a_400(project, manager, api):
    user_create("carl")
    before = project_state(project)

    response = api(manager).post(
        f"{PROJECTS}{project.pk}/members/", {"username": "carl", "role": "owner"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"role": ['"owner" is not a valid choice.']}
    assert project_state(project) == before


def test_a_manager_removes_a_member(project, manager, annotator, api):
    response = api(manager).delete(f"{PROJECTS}{project.pk}/members/{annotator.pk}/")

    assert response.status_code == 204
    assert not Membership.objects.filter(project=project, user=annotator).exists()
    assert api(annotator).get(f"{PROJECTS}{project.pk}/").status_code == 404


def test_a_manager_cannot_remove_themselves(project, manager, api):
    before = project_state(project)

    response = api(manager).delete(f"{PROJECTS}{project.pk}/members/{manager.pk}/")

    assert response.status_code == 400
    assert response.json()["errors"] == {"user_id": ["You cannot remove yourself from a project."]}
    assert project_state(project) == before


# --- uploading items ------------------------------------------------------------------------


def items_url(project: Project) -> str:
    return f"{PROJECTS}{project.pk}/items/"


def test_uploading_one_image_creates_one_item(project, manager, api):
    data = image_bytes(64, 48)

    response = api(manager).post(
        items_url(project), {"file": upload(data, "street.png")}, format="multipart"
    )

    assert response.status_code == 201, response.json()
    item = Item.objects.get()
    (created,) = response.json()["items"]
    assert response.json()["created"] == 1
    assert (response.json()["duplicates"], response.json()["refused"]) == (0, [])
    created.pop("created_at")
    assert created == {
        "id": item.pk,
        "project": project.pk,
        "name": "street.png",
        "role": "task",
        "split": "",
        "metadata": {},
        "asset": {
            "sha256": sha(data),
            "size": len(data),
            "mime": "image/png",
            "width": 64,
            "height": 48,
        },
        "image_url": f"/api/v1/items/{item.pk}/image/",
        "thumbnail_url": f"/api/v1/items/{item.pk}/thumbnail/",
    }
    assert asset_copies(sha(data)) == [sha(data)]


def test_uploading_many_images_creates_an_item_for_each(project, manager, api):
    datas = [image_bytes(fmt="PNG"), image_bytes(fmt="JPEG"), image_bytes(fmt="WEBP")]
    files = [upload(data, f"img{n}.bin") for n, data in enumerate(datas)]

    response = api(manager).post(
        items_url(project), {"file": files, "role": "gold", "split": "val"}, format="multipart"
    )

    assert response.status_code == 201, response.json()
    assert [(item["name"], item["asset"]["mime"]) for item in response.json()["items"]] == [
        ("img0.bin", "image/png"),
        ("img1.bin", "image/jpeg"),
        ("img2.bin", "image/webp"),
    ]
    assert [item["role"] for item in response.json()["items"]] == ["gold", "gold", "gold"]
    # Gold is a gold answer attached to the item, its shapes still to be given by a manager.
    assert sorted(
        project.items.values_list("asset__sha256", "split", "gold__purpose", "gold__shapes")
    ) == sorted((sha(data), "val", "hidden", None) for data in datas)


def test_a_zip_archive_adds_its_images_and_ignores_other_entries(project, manager, api):
    first, second = image_bytes(), image_bytes(fmt="JPEG")
    archive = zip_bytes(
        {
            "first.png": first,
            "nested/second.JPG": second,
            "README.txt": b"not an image",
            "labels.json": b"{}",
            "__MACOSX/._first.png": b"resource fork",
            ".hidden.png": b"dot file",
        }
    )

    response = api(manager).post(
        items_url(project),
        {"archive": upload(archive, "batch.zip", "application/zip")},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    assert [item["name"] for item in response.json()["items"]] == ["first.png", "second.JPG"]
    assert sorted(project.items.values_list("asset__sha256", flat=True)) == sorted(
        [sha(first), sha(second)]
    )


def test_a_file_over_the_upload_limit_is_refused_and_the_others_stored(
    project, manager, api, settings
):
    settings.UPLOAD_MAX_BYTES = 1000
    small, big = image_bytes(8, 8), image_bytes(256, 256, fmt="BMP")
    assert len(small) <= 1000 < len(big)

    response = api(manager).post(
        items_url(project),
        {"file": [upload(small, "small.png"), upload(big, "big.bmp")]},
        format="multipart",
    )

    assert response.status_code == 201
    assert response.json()["refused"] == [
        {"name": "big.bmp", "reason": "file is larger than the 1,000-byte limit."}
    ]
    assert list(project.items.values_list("name", flat=True)) == ["small.png"]
    assert_nothing_stored(big)


def test_an_upload_with_more_files_than_allowed_is_refused(project, manager, api, settings):
    settings.UPLOAD_MAX_FILES = 2
    datas = [image_bytes() for _ in range(3)]

    response = api(manager).post(
        items_url(project), {"file": [upload(data) for data in datas]}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["At most 2 files per upload."]}
    assert_nothing_stored(*datas)


def test_a_file_that_is_not_a_zip_is_refused_as_an_archive(project, manager, api):
    response = api(manager).post(
        items_url(project), {"archive": upload(b"PK not really", "x.zip")}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["The archive is not a valid zip file."]}
    assert Item.objects.count() == 0


def test_a_zip_without_images_is_refused(project, manager, api):
    archive = zip_bytes({"a.txt": b"a", "b.csv": b"b"})

    response = api(manager).post(
        items_url(project), {"archive": upload(archive, "x.zip")}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "file": ["The zip holds no images (jpg, png, webp, gif, bmp, tiff)."]
    }


def test_an_upload_without_files_is_refused(project, manager, api):
    response = api(manager).post(items_url(project), {"role": "task"}, format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "file": ["Send one or more images as `file`, or a zip as `archive`."]
    }


def test_an_empty_file_is_refused(project, manager, api):
    response = api(manager).post(
        items_url(project), {"file": upload(b"", "empty.png")}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"file": {"0": ["The submitted file is empty."]}}
    assert Item.objects.count() == 0


def test_uploading_the_same_image_again_returns_the_existing_item(project, manager, api):
    data = image_bytes()
    client = api(manager)
    first = client.post(items_url(project), {"file": upload(data, "a.png")}, format="multipart")

    second = client.post(items_url(project), {"file": upload(data, "b.png")}, format="multipart")

    assert second.status_code == 201
    assert (second.json()["created"], second.json()["duplicates"]) == (0, 1)
    assert second.json()["items"][0]["id"] == first.json()["items"][0]["id"]
    assert second.json()["items"][0]["name"] == "a.png"
    assert Item.objects.count() == 1
    assert asset_copies(sha(data)) == [sha(data)]


# --- reading items and their images ---------------------------------------------------------


def test_items_are_listed_page_by_page(project, manager, api):
    items = items_add(project, 3)

    response = api(manager).get(items_url(project), {"page_size": 2})

    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 3
    assert data["previous"] is None
    assert data["next"].endswith(f"/api/v1/projects/{project.pk}/items/?page=2&page_size=2")
    assert [item["id"] for item in data["results"]] == [items[0].pk, items[1].pk]


def test_the_item_list_filters_by_role(project, manager, api):
    items_add(project, 2)
    (gold,) = items_add(project, role="gold")

    response = api(manager).get(items_url(project), {"role": "gold"})

    assert [item["id"] for item in response.json()["results"]] == [gold.pk]


def test_an_item_shows_its_asset(project, annotator, api):
    (item,) = items_add(project, size=(40, 30))

    response = api(annotator).get(f"/api/v1/items/{item.pk}/")

    assert response.status_code == 200
    data = response.json()
    assert (data["id"], data["project"]) == (item.pk, project.pk)
    assert "role" not in data  # whether an item is gold is never an annotator's to know
    assert data["asset"] == {
        "sha256": item.asset.sha256,
        "size": item.asset.size,
        "mime": "image/png",
        "width": 40,
        "height": 30,
    }
    assert "gold" not in data


def test_the_image_endpoint_streams_the_exact_bytes_with_an_etag(project, annotator, api):
    data = image_bytes(fmt="JPEG")
    item = item_from_bytes(project, data)

    response = api(annotator).get(f"/api/v1/items/{item.pk}/image/")

    assert response.status_code == 200
    assert body(response) == data
    assert response["Content-Type"] == "image/jpeg"
    assert response["ETag"] == f'"{sha(data)}"'
    assert response["Cache-Control"] == "private, max-age=3600"


def test_the_image_endpoint_answers_304_to_a_matching_if_none_match(project, annotator, api):
    data = image_bytes()
    item = item_from_bytes(project, data)

    response = api(annotator).get(
        f"/api/v1/items/{item.pk}/image/", HTTP_IF_NONE_MATCH=f'"{sha(data)}"'
    )

    assert response.status_code == 304
    assert body(response) == b""
    assert response["ETag"] == f'"{sha(data)}"'


def test_the_image_endpoint_sends_the_bytes_for_a_stale_if_none_match(project, annotator, api):
    data = image_bytes()
    item = item_from_bytes(project, data)

    response = api(annotator).get(f"/api/v1/items/{item.pk}/image/", HTTP_IF_NONE_MATCH='"other"')

    assert response.status_code == 200
    assert body(response) == data


def test_the_thumbnail_endpoint_returns_a_webp(project, annotator, api):
    item = item_from_bytes(project, image_bytes(640, 320))
    client = api(annotator)

    response = client.get(f"/api/v1/items/{item.pk}/thumbnail/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["ETag"] == f'"t-{item.asset.sha256}"'
    with Image.open(io.BytesIO(body(response))) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("WEBP", (256, 128))
    again = client.get(
        f"/api/v1/items/{item.pk}/thumbnail/", HTTP_IF_NONE_MATCH=f'"t-{item.asset.sha256}"'
    )
    assert again.status_code == 304


def test_the_last_manager_cannot_be_demoted_or_removed(project, manager, api):
    client = api(manager)

    demoted = client.post(
        f"/api/v1/projects/{project.pk}/members/",
        {"username": manager.username, "role": "annotator"},
        format="json",
    )

    assert demoted.status_code == 400
    assert demoted.json()["detail"] == "role: A project keeps at least one manager."
    assert project.memberships.get(user=manager).role == "manager"


def test_a_manager_may_step_down_once_another_manager_exists(project, manager, reviewer, api):
    client = api(manager)
    promoted = client.post(
        f"/api/v1/projects/{project.pk}/members/",
        {"username": reviewer.username, "role": "manager"},
        format="json",
    )
    assert promoted.status_code == 201

    demoted = client.post(
        f"/api/v1/projects/{project.pk}/members/",
        {"username": manager.username, "role": "annotator"},
        format="json",
    )

    assert demoted.status_code == 201
    assert dict(project.memberships.values_list("user__username", "role")) == {
        "alice_manager": "annotator",
        "bob_annotator": "annotator",
        "rita_reviewer": "manager",
    }


def test_attribute_defaults_must_fit_their_type(manager, api):
    response = api(manager).post(
        "/api/v1/projects/",
        {
            "name": "defaults",
            "labels": [
                {
                    "name": "car",
                    "kind": "box",
                    "attributes": [
                        {"name": "colour", "type": "select", "values": ["red"], "default": "blue"}
                    ],
                }
            ],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"]["labels"]["0"]["attributes"] == [
        "Attribute 'colour': default 'blue' is not a valid select value."
    ]
