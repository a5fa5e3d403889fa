"""Assets are stored once under their hash; thumbnails are derived under deterministic keys."""

import hashlib
import io
import threading

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from PIL import Image

from projects.models import Item
from projects.services import items_upload
from storage.models import Asset, object_key
from storage.services import asset_store
from storage.tasks import asset_thumbnail
from storage.validation import ValidatedImage, validate_image
from tests.objects import asset_copies, read, thumbnail_copies
from tests.projects.factories import items_add, project_with_members, user_create
from tests.storage.factories import image_bytes

pytestmark = pytest.mark.django_db


def validated(data: bytes, name: str = "photo.png") -> ValidatedImage:
    return validate_image(
        io.BytesIO(data), name=name, max_bytes=10 * 1024 * 1024, max_pixels=10_000_000
    )


def test_stored_bytes_land_under_their_hash_key() -> None:
    # given validated JPEG bytes
    data = image_bytes(80, 60, fmt="JPEG")
    sha256 = hashlib.sha256(data).hexdigest()

    # when they are stored
    asset = asset_store(image=validated(data, "photo.jpg"))

    # then one row describes them and one object holds exactly them under assets/aa/bb/<sha>
    assert (asset.sha256, asset.size, asset.mime, asset.width, asset.height) == (
        sha256,
        len(data),
        "image/jpeg",
        80,
        60,
    )
    assert asset.storage_key == f"assets/{sha256[:2]}/{sha256[2:4]}/{sha256}"
    assert read(asset.storage_key) == data
    assert asset_copies(sha256) == [sha256]


def test_the_same_bytes_stored_twice_make_one_row_and_one_object() -> None:
    data = image_bytes()
    sha256 = hashlib.sha256(data).hexdigest()

    first = asset_store(image=validated(data))
    second = asset_store(image=validated(data, "renamed.png"))

    assert first.pk == second.pk
    assert Asset.objects.filter(sha256=sha256).count() == 1
    assert Asset.objects.count() == 1
    assert asset_copies(sha256) == [sha256]


def test_the_same_image_in_two_projects_is_two_items_over_one_asset() -> None:
    # given two projects and one image
    manager = user_create(can_create_projects=True)
    first_project = project_with_members(manager=manager)
    second_project = project_with_members(manager=manager)
    data = image_bytes()

    # when it is uploaded to both, and once more to the first
    (first,) = items_upload(project=first_project, files=[("a.png", io.BytesIO(data))])
    (second,) = items_upload(project=second_project, files=[("b.png", io.BytesIO(data))])
    (again,) = items_upload(project=first_project, files=[("c.png", io.BytesIO(data))])

    # then each project holds it once, both over the one asset and one object
    assert again.pk == first.pk
    assert first.asset_id == second.asset_id
    assert Item.objects.count() == 2
    assert Asset.objects.count() == 1
    assert asset_copies(first.asset.sha256) == [first.asset.sha256]


def test_the_thumbnail_task_writes_a_bounded_webp_and_running_it_twice_changes_nothing() -> None:
    # given a stored 640x480 image
    (item,) = items_add(project_with_members(manager=user_create()), size=(640, 480))
    asset = item.asset

    # when the thumbnail task runs twice
    first_key = asset_thumbnail.apply(args=[asset.pk]).get()
    first_bytes = read(first_key)
    second_key = asset_thumbnail.apply(args=[asset.pk]).get()

    # then both runs name the same key, one object exists, and it is a 256x192 WebP
    assert first_key == second_key == f"thumbs/{asset.sha256[:2]}/{asset.sha256}.webp"
    assert thumbnail_copies(asset.sha256) == [f"{asset.sha256}.webp"]
    assert read(second_key) == first_bytes
    with Image.open(io.BytesIO(first_bytes)) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("WEBP", (256, 192))


def test_a_palette_gif_gets_an_rgb_thumbnail() -> None:
    buffer = io.BytesIO()
    Image.new("P", (300, 100), 7).save(buffer, format="GIF")
    asset = asset_store(image=validated(buffer.getvalue(), "palette.gif"))

    key = asset_thumbnail.apply(args=[asset.pk]).get()

    with Image.open(io.BytesIO(read(key))) as thumbnail:
        assert (thumbnail.format, thumbnail.mode, thumbnail.size) == ("WEBP", "RGB", (256, 85))


def test_the_thumbnail_task_for_a_deleted_asset_does_nothing() -> None:
    assert asset_thumbnail.apply(args=[987654321]).get() is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_of_the_same_bytes_store_one_asset_one_item_and_one_object() -> None:
    # given one project and eight uploaders holding identical bytes
    project = project_with_members(manager=user_create())
    data = image_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    start = threading.Barrier(8)
    item_ids: list[int] = []
    errors: list[BaseException] = []

    def upload() -> None:
        try:
            start.wait(timeout=10)
            item_ids.extend(
                item.pk
                for item in items_upload(project=project, files=[("same.png", io.BytesIO(data))])
            )
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    # when they all upload at once
    threads = [threading.Thread(target=upload) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then everyone got the one item over the one asset, and one object holds the bytes
    assert errors == []
    assert len(item_ids) == 8
    assert set(item_ids) == set(Item.objects.values_list("pk", flat=True))
    assert Item.objects.count() == 1
    assert Asset.objects.filter(sha256=sha256).count() == 1
    assert asset_copies(sha256) == [sha256]
    assert default_storage.exists(object_key(sha256))
