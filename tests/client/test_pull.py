"""`loupe pull` against the live server: layout, verification, resume, filters and the lock."""

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
import yaml
from django.core.files.storage import default_storage

from projects.services import items_upload
from tests.annotate.factories import box
from tests.client.conftest import Dataset, Wire, main
from tests.projects.factories import user_create
from tests.storage.factories import image_bytes
from tests.versioning.factories import document_accepted, version_made
from versioning.models import ExportFile, Job
from versioning.services import version_tag_set

pytestmark = pytest.mark.django_db(transaction=True)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def image_name(dataset: Dataset, role: str) -> str:
    return f"{dataset.items[role].asset.sha256}.png"


def files_under(root: Path) -> list[str]:
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and ".loupe" not in path.relative_to(root).parts
    )


def pull(dataset: Dataset, target: Path, *extra: str, wire: Wire | None = None) -> int:
    argv = ["pull", str(dataset.project.pk), str(target), "--version", dataset.version]
    return main([*argv, "--no-progress", "--jobs", "3", *extra], transport=wire)


def export_bytes(dataset: Dataset, format_name: str) -> bytes:
    export = ExportFile.objects.get(version_id=dataset.version, format=format_name)
    with default_storage.open(export.storage_key, "rb") as stream:
        return stream.read()


def test_pull_as_coco_writes_images_by_content_hash_the_labels_and_the_lock(logged_in, tmp_path):
    target = tmp_path / "data"

    assert pull(logged_in, target, "--format", "coco") == 0

    names = sorted(image_name(logged_in, role) for role in logged_in.items)
    assert files_under(target) == sorted(
        [*(f"images/{name}" for name in names), "labels/coco.json", "loupe.lock"]
    )
    for role, item in logged_in.items.items():
        data = (target / "images" / image_name(logged_in, role)).read_bytes()
        assert sha(data) == item.asset.sha256
    coco_bytes = (target / "labels" / "coco.json").read_bytes()
    assert coco_bytes == export_bytes(logged_in, "coco")  # unfiltered: the export's own bytes
    coco = json.loads(coco_bytes)
    assert sorted(image["file_name"] for image in coco["images"]) == names
    assert [annotation["bbox"] for annotation in coco["annotations"]] == [
        [1, 2, 29, 38],
        [5, 5, 15, 15],
        [10, 10, 40, 30],
    ]
    lock = json.loads((target / "loupe.lock").read_text())
    listing = [
        [item.asset.sha256, f"images/{item.asset.sha256}.png"] for item in logged_in.items.values()
    ]
    listing.append([sha(coco_bytes), "labels/coco.json"])
    assert lock["files"] == sorted(listing)
    assert lock["files_sha256"] == sha(json.dumps(sorted(listing), separators=(",", ":")).encode())
    assert (lock["server"], lock["project"], lock["version"], lock["format"]) == (
        logged_in.url,
        logged_in.project.pk,
        logged_in.version,
        "coco",
    )
    assert lock["filters"] == {"classes": [], "splits": []}
    assert lock["export"]["sha256"] == sha(coco_bytes)
    index = sorted(
        [item.pk, item.asset.sha256, item.split, f"{item.asset.sha256}.png"]
        for item in logged_in.items.values()
    )
    assert lock["index"] == {
        "format": "items",
        "sha256": sha(json.dumps(index, separators=(",", ":")).encode()),
    }


def test_pull_as_yolo_puts_images_beside_their_labels_by_split(logged_in, tmp_path):
    target = tmp_path / "data"

    assert pull(logged_in, target, "--format", "yolo") == 0

    def stem(role: str) -> str:
        return logged_in.items[role].asset.sha256

    expected_images = {
        f"images/train/{stem('car_train')}.png",
        f"images/train/{stem('person_train')}.png",
        f"images/val/{stem('car_night_val')}.png",
        f"images/test/{stem('empty_test')}.png",
    }
    expected_labels = {
        path.replace("images/", "labels/").replace(".png", ".txt") for path in expected_images
    }
    assert set(files_under(target)) == expected_images | expected_labels | {
        "data.yaml",
        "loupe.lock",
    }
    data_yaml = yaml.safe_load((target / "data.yaml").read_text())
    assert data_yaml["train"] == "images/train"
    assert data_yaml["names"] == {0: "car", 1: "person", 2: "night"}
    assert (target / f"labels/train/{stem('car_train')}.txt").read_text().startswith("0 ")
    assert (target / f"labels/train/{stem('person_train')}.txt").read_text().startswith("1 ")
    assert (target / f"labels/test/{stem('empty_test')}.txt").read_text() == ""


def test_pull_as_voc_unzips_one_xml_per_image(logged_in, tmp_path):
    target = tmp_path / "data"

    assert pull(logged_in, target, "--format", "voc") == 0

    with zipfile.ZipFile(io.BytesIO(export_bytes(logged_in, "voc"))) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    assert len(members) == 4
    for name, data in members.items():
        assert (target / "labels" / name).read_bytes() == data
    car = target / "labels/Annotations" / f"{logged_in.items['car_train'].asset.sha256}.xml"
    assert b"<name>car</name>" in car.read_bytes()
    assert len(list((target / "images").iterdir())) == 4


def test_pull_as_jsonl_keeps_the_lossless_export(logged_in, tmp_path):
    target = tmp_path / "data"

    assert pull(logged_in, target, "--format", "jsonl") == 0

    lines = (target / "labels/items.jsonl").read_bytes()
    assert lines == export_bytes(logged_in, "jsonl")
    items = [json.loads(line) for line in lines.splitlines()[1:]]
    assert [item["split"] for item in items] == ["train", "train", "val", "test"]
    assert [shape["label"] for shape in items[2]["shapes"]] == ["car", "night"]


def test_a_second_pull_downloads_nothing(logged_in, tmp_path, capsys):
    target = tmp_path / "data"
    assert pull(logged_in, target, "--format", "coco") == 0
    first_lock = (target / "loupe.lock").read_bytes()
    wire = Wire()

    assert pull(logged_in, target, "--format", "coco", wire=wire) == 0

    assert wire.image_requests() == []
    assert not any("/download/" in path for path in wire.paths)  # exports come from the cache
    assert (target / "loupe.lock").read_bytes() == first_lock
    assert "4 images (0 downloaded, 4 already present)" in capsys.readouterr().out


def test_an_interrupted_pull_resumes_with_only_the_missing_images(logged_in, tmp_path, capsys):
    target = tmp_path / "data"
    cut = Wire(cut_after=2)

    code = pull(logged_in, target, "--format", "coco", "--jobs", "1", "--retries", "1", wire=cut)

    assert code == 6
    error = capsys.readouterr().err
    assert "connection reset by peer" in error
    assert "2 of 4 missing images arrived; run the same command again to resume" in error
    kept = sorted(path.name for path in (target / "images").iterdir())
    assert len(kept) == 2 and not any(name.endswith(".part") for name in kept)
    assert not (target / "loupe.lock").exists()
    for name in kept:
        assert sha((target / "images" / name).read_bytes()) == name.split(".")[0]

    wire = Wire()
    assert pull(logged_in, target, "--format", "coco", wire=wire) == 0

    assert len(wire.image_requests()) == 2
    assert sorted(files_under(target / "images")) == sorted(
        image_name(logged_in, role) for role in logged_in.items
    )
    assert (target / "loupe.lock").exists()


def test_a_corrupted_file_on_disk_is_refused_and_downloaded_again(logged_in, tmp_path, capsys):
    target = tmp_path / "data"
    assert pull(logged_in, target, "--format", "jsonl") == 0
    victim = target / "images" / image_name(logged_in, "person_train")
    good = victim.read_bytes()
    victim.write_bytes(b"\x89PNG not what the hash says")
    wire = Wire()

    assert pull(logged_in, target, "--format", "jsonl", wire=wire) == 0

    assert victim.read_bytes() == good
    item = logged_in.items["person_train"]
    assert wire.image_requests() == [f"GET /api/v1/items/{item.pk}/image/"]
    assert "1 downloaded, 3 already present, 1 corrupted refused" in capsys.readouterr().out


def test_a_planted_file_is_never_kept_even_before_the_first_pull(logged_in, tmp_path):
    target = tmp_path / "data"
    planted = target / "images" / image_name(logged_in, "car_train")
    planted.parent.mkdir(parents=True)
    planted.write_bytes(b"planted")

    assert pull(logged_in, target, "--format", "jsonl") == 0

    assert sha(planted.read_bytes()) == logged_in.items["car_train"].asset.sha256


def test_bytes_from_the_wire_that_do_not_match_their_hash_are_refused(logged_in, tmp_path, capsys):
    target = tmp_path / "data"
    tampering = Wire(cut_after=0, tamper=True)

    code = pull(logged_in, target, "--format", "coco", "--retries", "0", wire=tampering)

    assert code == 5
    assert "Refused" in capsys.readouterr().err
    assert not (target / "images").exists() or files_under(target / "images") == []
    assert not (target / "loupe.lock").exists()


def test_split_and_class_filters_pull_only_matching_items_and_shapes(logged_in, tmp_path):
    target = tmp_path / "data"

    code = pull(
        logged_in,
        target,
        "--format",
        "coco",
        "--split",
        "train",
        "--split",
        "val",
        "--class",
        "car",
    )

    assert code == 0
    wanted = sorted(image_name(logged_in, role) for role in ("car_train", "car_night_val"))
    assert files_under(target / "images") == wanted
    coco = json.loads((target / "labels/coco.json").read_text())
    assert sorted(image["file_name"] for image in coco["images"]) == wanted
    assert [annotation["category_id"] for annotation in coco["annotations"]] == [1, 1]
    assert [category["name"] for category in coco["categories"]] == ["car", "person", "night"]
    lock = json.loads((target / "loupe.lock").read_text())
    assert lock["filters"] == {"classes": ["car"], "splits": ["train", "val"]}


def test_a_filter_applies_to_yolo_lines_and_a_narrower_pull_prunes_the_rest(logged_in, tmp_path):
    target = tmp_path / "data"
    assert pull(logged_in, target, "--format", "yolo") == 0

    assert pull(logged_in, target, "--format", "yolo", "--class", "person") == 0

    person = logged_in.items["person_train"].asset.sha256
    assert files_under(target) == sorted(
        [f"images/train/{person}.png", f"labels/train/{person}.txt", "data.yaml", "loupe.lock"]
    )
    assert (target / f"labels/train/{person}.txt").read_text().split(" ")[0] == "1"


def test_an_unknown_class_is_refused_naming_the_classes(logged_in, tmp_path, capsys):
    code = pull(logged_in, tmp_path / "data", "--format", "coco", "--class", "truck")

    assert code == 1
    assert "no class 'truck'; its classes: car, person, night" in capsys.readouterr().err
    assert not (tmp_path / "data" / "images").exists()


def test_locked_pull_reproduces_the_pinned_version_after_the_tag_moved(logged_in, tmp_path):
    dataset = logged_in
    version_tag_set(
        project=dataset.project, user=dataset.manager, name="production", version_id=dataset.version
    )
    target = tmp_path / "data"
    argv = ["pull", str(dataset.project.pk), str(target), "--version", "production"]
    assert main([*argv, "--format", "voc", "--split", "train", "--no-progress"]) == 0
    lock_bytes = (target / "loupe.lock").read_bytes()
    pinned = files_under(target)
    # The project moves on: a new item, a new version, the tag follows it.
    (new_item,) = items_upload(
        project=dataset.project,
        files=[("late.png", io.BytesIO(image_bytes()))],
        split="train",
    )
    carl = user_create("carl_annotator")
    dataset.project.memberships.create(user=carl, role="annotator")
    document_accepted(new_item, carl, dataset.reviewer, [box("car")])
    newer = version_made(dataset.project, dataset.manager)
    version_tag_set(
        project=dataset.project, user=dataset.manager, name="production", version_id=newer.pk
    )
    clone = tmp_path / "clone"
    clone.mkdir()
    (clone / "loupe.lock").write_bytes(lock_bytes)

    assert main(["pull", "--locked", str(clone), "--no-progress"]) == 0

    assert files_under(clone) == pinned
    assert (clone / "loupe.lock").read_bytes() == lock_bytes
    for path in pinned:
        assert (clone / path).read_bytes() == (target / path).read_bytes()


def test_locked_refuses_arguments_that_disagree_with_the_lock(logged_in, tmp_path, capsys):
    target = tmp_path / "data"
    assert pull(logged_in, target, "--format", "coco") == 0

    code = main(["pull", "--locked", str(target), "--format", "yolo"])

    assert code == 1
    assert "--format yolo (lock: coco)" in capsys.readouterr().err


def test_locked_refuses_a_lock_whose_files_the_server_no_longer_gives(logged_in, tmp_path, capsys):
    target = tmp_path / "data"
    assert pull(logged_in, target, "--format", "coco") == 0
    lock = json.loads((target / "loupe.lock").read_text())
    lock["files_sha256"] = "0" * 64
    (target / "loupe.lock").write_text(json.dumps(lock))

    code = main(["pull", "--locked", str(target), "--no-progress"])

    assert code == 5
    assert "does not reproduce loupe.lock" in capsys.readouterr().err


def test_the_issue_s_argument_order_works(logged_in, tmp_path):
    target = tmp_path / "data"
    argv = ["pull", str(logged_in.project.pk), "--version", logged_in.version[:8]]

    assert main([*argv, "--format", "jsonl", str(target), "--no-progress"]) == 0

    assert json.loads((target / "loupe.lock").read_text())["version"] == logged_in.version


def test_a_second_pull_into_a_directory_being_pulled_is_refused(logged_in, tmp_path, capsys):
    import fcntl

    target = tmp_path / "data"
    (target / ".loupe" / "exports").mkdir(parents=True)
    with open(target / ".loupe" / "pull.lock", "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)

        code = pull(logged_in, target, "--format", "coco")

    assert code == 1
    assert f"Another loupe pull is writing {target}" in capsys.readouterr().err
    assert not (target / "images").exists()


def test_filters_that_keep_nothing_give_empty_labels_and_no_images(logged_in, tmp_path):
    target = tmp_path / "data"

    assert pull(logged_in, target, "--format", "voc", "--split", "test", "--class", "car") == 0

    assert files_under(target) == ["loupe.lock"]
    lock = json.loads((target / "loupe.lock").read_text())
    assert lock["files"] == []


def test_locked_refuses_exports_that_no_longer_hash_to_the_lock(logged_in, tmp_path, capsys):
    target = tmp_path / "data"
    assert pull(logged_in, target, "--format", "yolo") == 0
    lock = json.loads((target / "loupe.lock").read_text())
    lock["export"]["sha256"] = "0" * 64
    (target / "loupe.lock").write_text(json.dumps(lock))
    before = {path: (target / path).read_bytes() for path in files_under(target)}

    code = main(["pull", "--locked", str(target), "--no-progress"])

    assert code == 5
    assert "no longer match loupe.lock" in capsys.readouterr().err
    assert {path: (target / path).read_bytes() for path in files_under(target)} == before


def test_a_filtered_pull_downloads_only_the_server_s_cut(logged_in, tmp_path):
    # given a pull of the train split's cars, over a wire that records every request
    target = tmp_path / "data"
    wire = Wire()

    assert (
        pull(logged_in, target, "--format", "coco", "--split", "train", "--class", "car", wire=wire)
        == 0
    )

    # then one image and one export came down: no index export, no image of another split
    car = logged_in.items["car_train"]
    assert wire.image_requests() == [f"GET /api/v1/items/{car.pk}/image/"]
    assert len([path for path in wire.paths if path.endswith("/download/")]) == 1
    assert f"GET /api/v1/versions/{logged_in.version}/index/" in wire.paths
    # and the labels are the server's filtered export, byte for byte
    job = Job.objects.filter(kind="export", params__format="coco").latest("pk")
    assert job.params["filters"] == {"splits": ["train"], "classes": ["car"]}
    download = default_storage.open(f"exports/{logged_in.version}/{job.result['file_name']}", "rb")
    with download:
        assert (target / "labels/coco.json").read_bytes() == download.read()
    coco = json.loads((target / "labels/coco.json").read_text())
    assert [image["id"] for image in coco["images"]] == [car.pk]
    assert files_under(target) == sorted(
        [f"images/{car.asset.sha256}.png", "labels/coco.json", "loupe.lock"]
    )


def test_a_lock_of_the_older_format_is_refused_with_what_to_do(logged_in, tmp_path, capsys):
    target = tmp_path / "data"
    assert pull(logged_in, target, "--format", "coco") == 0
    lock = json.loads((target / "loupe.lock").read_text())
    lock["lock_format"] = 1
    (target / "loupe.lock").write_text(json.dumps(lock))

    assert main(["pull", "--locked", str(target), "--no-progress"]) == 1

    assert "older loupe (lock format 1)" in capsys.readouterr().err
