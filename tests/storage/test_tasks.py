"""Storage tasks on a real Celery worker (a subprocess consuming a Redis queue)."""

import hashlib
import io
import time

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from tests.objects import read, thumbnail_copies
from tests.storage.factories import image_bytes, upload

WORKER_TIMEOUT_SECONDS = 30


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_makes_the_thumbnail_of_an_upload(celery_worker_process, project, manager, api):
    # given a fresh image that has no thumbnail yet
    data = image_bytes(300, 200)
    sha256 = hashlib.sha256(data).hexdigest()
    key = f"thumbs/{sha256[:2]}/{sha256}.webp"
    assert not default_storage.exists(key)

    # when it is uploaded through the API (the commit enqueues the thumbnail task)
    response = api(manager).post(
        f"/api/v1/projects/{project.pk}/items/", {"file": upload(data)}, format="multipart"
    )
    assert response.status_code == 201

    # then the worker process, not this one, writes the thumbnail
    deadline = time.monotonic() + WORKER_TIMEOUT_SECONDS
    while not default_storage.exists(key):
        assert time.monotonic() < deadline, f"no thumbnail after {WORKER_TIMEOUT_SECONDS} s"
        time.sleep(0.1)
    assert thumbnail_copies(sha256) == [f"{sha256}.webp"]
    with Image.open(io.BytesIO(read(key))) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("WEBP", (256, 171))
