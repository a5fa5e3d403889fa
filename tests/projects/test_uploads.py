"""Upload batches keep the good files: each bad file is refused with its reason, the rest stored
whole (row and object), and only a batch with nothing good is refused (400)."""

import hashlib
import io
import struct
import zipfile
import zlib

import pytest

from projects.models import Item, Project
from storage.models import Asset
from tests.objects import asset_copies
from tests.storage.factories import image_bytes, upload, zip_bytes

pytestmark = pytest.mark.django_db


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def items_url(project: Project) -> str:
    return f"/api/v1/projects/{project.pk}/items/"


def assert_stored_whole(*datas: bytes) -> None:
    """Each file has its row and its object: never one without the other."""
    for data in datas:
        assert Asset.objects.filter(sha256=sha(data)).exists()
        assert asset_copies(sha(data)) == [sha(data)]


def assert_nothing_stored(*datas: bytes) -> None:
    for data in datas:
        assert not Asset.objects.filter(sha256=sha(data)).exists()
        assert asset_copies(sha(data)) == []


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height: a decompression bomb."""
    data = image_bytes(4, 4)
    start = 8 + 4
    ihdr = bytearray(data[start : start + 4 + 13])
    ihdr[4:12] = struct.pack(">II", width, height)
    crc = struct.pack(">I", zlib.crc32(bytes(ihdr)) & 0xFFFFFFFF)
    return data[:start] + bytes(ihdr) + crc + data[start + 4 + 13 + 4 :]


def corrupt_member(archive: bytes, name: str) -> bytes:
    """The zip with the compressed bytes of `name` flipped, so reading it fails its CRC."""
    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        info = bundle.getinfo(name)
    data = bytearray(archive)
    header = info.header_offset
    name_length, extra_length = struct.unpack("<HH", data[header + 26 : header + 30])
    payload = header + 30 + name_length + extra_length
    for offset in range(payload, payload + info.compress_size):
        data[offset] ^= 0x55
    return bytes(data)


def test_a_bad_file_among_good_ones_is_refused_and_the_good_ones_stored(project, manager, api):
    # given nine images and one text file dressed as a png
    goods = [image_bytes() for _ in range(9)]
    fake = b"these are meeting notes, not pixels"
    files = [upload(data, f"photo{n}.png") for n, data in enumerate(goods)]
    files.insert(4, upload(fake, "fake.png"))

    # when the batch is uploaded
    response = api(manager).post(items_url(project), {"file": files}, format="multipart")

    # then the nine are stored, whole, and fake.png alone is refused with its reason
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert (answer["created"], answer["duplicates"]) == (9, 0)
    assert answer["refused"] == [{"name": "fake.png", "reason": "not an image Loupe can read."}]
    assert [item["name"] for item in answer["items"]] == [f"photo{n}.png" for n in range(9)]
    assert sorted(project.items.values_list("asset__sha256", flat=True)) == sorted(map(sha, goods))
    assert_stored_whole(*goods)
    assert_nothing_stored(fake)


def test_a_zip_refuses_its_bad_members_one_by_one_and_stores_the_rest(project, manager, api):
    # given a zip with two good images, a truncated one, a text file named .jpg and a member
    # whose compressed bytes are damaged, sent beside a good loose file
    good, also_good, loose = image_bytes(), image_bytes(fmt="JPEG"), image_bytes()
    truncated = image_bytes(256, 256)[:200]
    damaged = image_bytes(96, 96)
    archive = zip_bytes(
        {
            "good.png": good,
            "sub/truncated.png": truncated,
            "notes.jpg": b"not a jpeg",
            "damaged.png": damaged,
            "also_good.jpg": also_good,
        }
    )
    archive = corrupt_member(archive, "damaged.png")

    response = api(manager).post(
        items_url(project),
        {"file": upload(loose, "loose.png"), "archive": upload(archive, "batch.zip")},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    answer = response.json()
    assert [item["name"] for item in answer["items"]] == ["loose.png", "good.png", "also_good.jpg"]
    assert answer["created"] == 3
    refused = {row["name"]: row["reason"] for row in answer["refused"]}
    assert list(refused) == ["truncated.png", "notes.jpg", "damaged.png"]
    assert refused["truncated.png"].startswith("image data is truncated or corrupt")
    assert refused["notes.jpg"] == "not an image Loupe can read."
    assert refused["damaged.png"].startswith("the zip entry is corrupt")
    assert_stored_whole(good, also_good, loose)
    assert_nothing_stored(truncated, damaged)
    assert Item.objects.filter(project=project).count() == 3


def test_a_decompression_bomb_among_good_images_is_refused_alone(project, manager, api):
    goods = [image_bytes(), image_bytes()]
    bomb = png_declaring(30_000, 30_000)

    response = api(manager).post(
        items_url(project),
        {"file": [upload(goods[0], "a.png"), upload(bomb, "bomb.png"), upload(goods[1], "b.png")]},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    (refused,) = response.json()["refused"]
    assert refused["name"] == "bomb.png"
    assert refused["reason"].startswith("image is too large to decode safely")
    assert_stored_whole(*goods)
    assert_nothing_stored(bomb)


def test_a_zip_bomb_is_refused_whole_even_with_good_members(project, manager, api, settings):
    # given a zip whose members expand past the zip limit (one good image among them)
    settings.ZIP_MAX_BYTES = 200_000
    good = image_bytes()
    archive = zip_bytes({"good.png": good, "zeros.png": bytes(300_000)})

    response = api(manager).post(
        items_url(project), {"archive": upload(archive, "bomb.zip")}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "file": ["The zip expands past the size limit (possible zip bomb)."]
    }
    assert_nothing_stored(good)


def test_a_batch_where_every_file_is_bad_is_refused_and_stores_nothing(project, manager, api):
    fake, broken = b"plain text", image_bytes(128, 128)[:150]

    response = api(manager).post(
        items_url(project),
        {"file": [upload(fake, "fake.png"), upload(broken, "broken.png")]},
        format="multipart",
    )

    assert response.status_code == 400
    answer = response.json()
    assert answer["detail"] == "file: fake.png: not an image Loupe can read."
    assert answer["errors"]["file"][0] == "fake.png: not an image Loupe can read."
    assert answer["errors"]["file"][1].startswith("broken.png: image data is truncated")
    assert [row["name"] for row in answer["refused"]] == ["fake.png", "broken.png"]
    assert Item.objects.count() == 0
    assert_nothing_stored(fake, broken)


def test_a_zip_of_only_bad_images_is_refused_and_stores_nothing(project, manager, api):
    archive = zip_bytes({"a.png": b"not a png", "b.jpg": b"nor a jpeg"})

    response = api(manager).post(
        items_url(project), {"archive": upload(archive, "bad.zip")}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["refused"] == [
        {"name": "a.png", "reason": "not an image Loupe can read."},
        {"name": "b.jpg", "reason": "not an image Loupe can read."},
    ]
    assert Item.objects.count() == 0


def test_images_already_present_are_reported_as_duplicates_not_as_new(project, manager, api):
    # given one image already in the project
    old, new = image_bytes(), image_bytes()
    client = api(manager)
    first = client.post(items_url(project), {"file": upload(old, "old.png")}, format="multipart")
    assert first.status_code == 201

    # when it is sent again beside a new one, and the new one twice
    response = client.post(
        items_url(project),
        {"file": [upload(old, "again.png"), upload(new, "new.png"), upload(new, "new-copy.png")]},
        format="multipart",
    )

    # then only the new one counts as created; the other two are already present
    assert response.status_code == 201
    answer = response.json()
    assert (answer["created"], answer["duplicates"], answer["refused"]) == (1, 2, [])
    assert [item["name"] for item in answer["items"]] == ["old.png", "new.png"]
    assert answer["items"][0]["id"] == first.json()["items"][0]["id"]
    assert Item.objects.filter(project=project).count() == 2
