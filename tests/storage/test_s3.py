"""Objects in a real S3 API (moto's standalone server in CI): keys, streaming, signed redirects.

These run when S3_BUCKET names a bucket; the embedded default stores objects in a directory.
"""

import hashlib
import os
import time
import urllib.request

import pytest
from django.conf import settings as django_settings

from storage.models import object_key
from tests.storage.factories import image_bytes, upload

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not django_settings.S3_BUCKET, reason="S3_BUCKET is not set"),
]


@pytest.fixture
def bucket():
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=django_settings.S3_ENDPOINT_URL or None,
        aws_access_key_id=os.environ.get("S3_ACCESS_KEY_ID"),
        aws_secret_access_key=os.environ.get("S3_SECRET_ACCESS_KEY"),
        region_name=os.environ.get("S3_REGION", "us-east-1"),
    )
    prefix = os.environ.get("S3_PREFIX", "").strip("/")

    def keys(key_prefix: str) -> list[str]:
        full = f"{prefix}/{key_prefix}" if prefix else key_prefix
        listing = client.list_objects_v2(Bucket=django_settings.S3_BUCKET, Prefix=full)
        return sorted(entry["Key"] for entry in listing.get("Contents", []))

    def read(key: str) -> bytes:
        full = f"{prefix}/{key}" if prefix else key
        return client.get_object(Bucket=django_settings.S3_BUCKET, Key=full)["Body"].read()

    return keys, read, prefix


def uploaded(project, manager, api, data: bytes) -> dict:
    response = api(manager).post(
        f"/api/v1/projects/{project.pk}/items/", {"file": upload(data)}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    return response.json()["items"][0]


def test_an_upload_lands_in_the_bucket_under_its_hash_key(project, manager, api, bucket):
    keys, read, prefix = bucket
    data = image_bytes(fmt="JPEG")
    sha256 = hashlib.sha256(data).hexdigest()

    uploaded(project, manager, api, data)

    expected = f"assets/{sha256[:2]}/{sha256[2:4]}/{sha256}"
    assert object_key(sha256) == expected
    assert keys(f"assets/{sha256[:2]}/{sha256[2:4]}/") == [
        f"{prefix}/{expected}" if prefix else expected
    ]
    assert read(expected) == data


def test_a_refused_file_leaves_nothing_in_the_bucket_beside_the_stored_one(
    project, manager, api, bucket
):
    keys, read, _ = bucket
    good, bad = image_bytes(), b"not an image %d" % time.time_ns()
    good_sha, bad_sha = (hashlib.sha256(data).hexdigest() for data in (good, bad))

    response = api(manager).post(
        f"/api/v1/projects/{project.pk}/items/",
        {"file": [upload(good), upload(bad, "bad.png")]},
        format="multipart",
    )

    assert response.status_code == 201
    assert [refused["name"] for refused in response.json()["refused"]] == ["bad.png"]
    assert read(object_key(good_sha)) == good
    assert keys(f"assets/{bad_sha[:2]}/{bad_sha[2:4]}/{bad_sha}") == []


def test_the_image_endpoint_streams_the_object(project, manager, annotator, api):
    data = image_bytes(fmt="WEBP")
    item = uploaded(project, manager, api, data)

    response = api(annotator).get(f"/api/v1/items/{item['id']}/image/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert b"".join(response.streaming_content) == data


def test_with_s3_redirect_images_redirect_to_a_signed_url_serving_the_bytes(
    project, manager, annotator, api, settings
):
    # given redirects to signed URLs
    settings.S3_REDIRECT = True
    data = image_bytes(fmt="PNG")
    item = uploaded(project, manager, api, data)

    # when an annotator asks for the image
    response = api(annotator).get(f"/api/v1/items/{item['id']}/image/")

    # then they are sent to a short-lived signed URL of the object store that serves the bytes
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{django_settings.S3_ENDPOINT_URL.rstrip('/')}/")
    assert "X-Amz-Signature=" in location
    assert f"X-Amz-Expires={django_settings.S3_SIGNED_URL_SECONDS}" in location
    assert response["Cache-Control"] == "private, no-store"
    with urllib.request.urlopen(location, timeout=10) as fetched:  # loopback: the moto server
        assert fetched.status == 200
        assert fetched.read() == data


def test_with_s3_redirect_a_matching_etag_is_still_a_304(
    project, manager, annotator, api, settings
):
    settings.S3_REDIRECT = True
    data = image_bytes()
    item = uploaded(project, manager, api, data)

    response = api(annotator).get(
        f"/api/v1/items/{item['id']}/image/",
        HTTP_IF_NONE_MATCH=f'"{hashlib.sha256(data).hexdigest()}"',
    )

    assert response.status_code == 304


def test_with_s3_redirect_the_thumbnail_redirects_to_a_webp(
    project, manager, annotator, api, settings
):
    settings.S3_REDIRECT = True
    item = uploaded(project, manager, api, image_bytes(512, 256))

    response = api(annotator).get(f"/api/v1/items/{item['id']}/thumbnail/")

    assert response.status_code == 302
    with urllib.request.urlopen(response["Location"], timeout=10) as fetched:
        assert fetched.read()[:4] == b"RIFF"


def test_with_s3_redirect_pages_allow_images_and_image_bytes_from_the_store(annotator, settings):
    from django.test import Client

    settings.S3_REDIRECT = True
    client = Client()  # a new client builds the middleware, and so the policy, afresh
    client.force_login(annotator)

    response = client.get("/")

    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in response["Content-Security-Policy"].split(";")
    }
    # The studio shows the images and fetches their bytes to decode them off the main thread.
    assert django_settings.S3_ENDPOINT_URL.rstrip("/") in policy["img-src"]
    assert django_settings.S3_ENDPOINT_URL.rstrip("/") in policy["connect-src"]
