import io
import zipfile

import pytest
import yaml

from formats.records import FormatError, ItemShapes
from formats.yolo import read_yolo, write_yolo
from tests.formats.helpers import close, export
from tests.formats.samples import LABELS, every_kind, item, shape

CAR, PERSON, ROAD = LABELS[0], LABELS[1], LABELS[2]
SIZES = {f"img_{n}": (64, 48) for n in range(1, 10)}


def unzip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def boxes_item(item_id: int, split: str = "train") -> ItemShapes:
    return ItemShapes(
        item(item_id, split=split),
        [
            shape(1, "car", "box", [8.0, 12.0, 24.0, 36.0], attributes={"colour": "red"}),
            shape(2, "car", "box", [30.0, 10.0, 50.0, 20.0], rotation=30.0),
        ],
    )


def test_detect_export_has_the_ultralytics_layout_and_normalised_lines() -> None:
    data = export(write_yolo, [boxes_item(1), boxes_item(2, split="val")], labels=[CAR])

    files = unzip(data)

    assert list(files) == ["data.yaml", "labels/train/img_1.txt", "labels/val/img_2.txt"]
    assert yaml.safe_load(files["data.yaml"]) == {
        "train": "images/train",
        "val": "images/val",
        "test": "images/test",
        "names": {0: "car"},
    }
    first, rotated = files["labels/train/img_1.txt"].splitlines()
    assert first == "0 0.250000 0.500000 0.250000 0.500000"
    # the axis-aligned bounds of the turned box
    assert rotated == "0 0.625000 0.312500 0.348758 0.388755"


def test_pose_export_writes_kpt_shape_and_keypoint_triplets() -> None:
    data = export(write_yolo, [every_kind(1)], labels=[PERSON, CAR])

    files = unzip(data)

    assert yaml.safe_load(files["data.yaml"])["kpt_shape"] == [3, 3]
    lines = files["labels/val/img_1.txt"].splitlines()
    # car boxes (class 1) carry three absent keypoints so every line has the pose layout
    assert lines[0] == "1 0.187500 0.208333 0.250000 0.208333 " + " ".join(
        ["0.000000 0.000000 0"] * 3
    )
    assert lines[2] == (
        "0 0.171875 0.312500 0.031250 0.208333 "
        "0.156250 0.208333 2 0.187500 0.416667 1 0.000000 0.000000 0"
    )


def test_segment_export_writes_polygons_and_box_corners() -> None:
    data = export(write_yolo, [every_kind(3)], labels=[CAR, ROAD])

    lines = unzip(data)["labels/train/img_3.txt"].splitlines()

    assert len(lines) == 3
    assert lines[0] == "0 0.062500 0.104167 0.312500 0.104167 0.312500 0.312500 0.062500 0.312500"
    assert lines[2] == "1 0.000000 0.625000 0.312500 0.625000 0.390625 0.947917 0.000000 0.979167"


def test_export_twice_gives_the_same_bytes() -> None:
    entries = [every_kind(n) for n in range(1, 5)]

    assert export(write_yolo, entries, labels=LABELS[:3]) == export(
        write_yolo, entries, labels=LABELS[:3]
    )


@pytest.mark.parametrize(
    ("labels", "kinds"),
    [
        ([CAR], ["box", "box"]),
        ([CAR, ROAD], ["box", "box", "polygon"]),
        ([PERSON, CAR], ["box", "box", "keypoints"]),
    ],
    ids=["detect", "segment", "pose"],
)
def test_round_trip_within_a_thousandth(labels: list[dict[str, object]], kinds: list[str]) -> None:
    entry = every_kind(1)
    names = {label["name"] for label in labels}
    entry = ItemShapes(entry.item, [s for s in entry.shapes if s["label"] in names])
    data = export(write_yolo, [entry], labels=labels)

    [imported] = read_yolo(io.BytesIO(data), labels=LABELS, image_sizes=SIZES)

    assert imported.file_name == "img_1"
    assert [s["kind"] for s in imported.shapes] == kinds
    expected = [s for s in entry.shapes if s["kind"] in kinds]
    for got, want in zip(imported.shapes, expected, strict=True):
        if want.get("rotation") and kinds.count("polygon") == 0:
            continue  # detect and pose keep only the bounds of a turned box
        assert close(got["points"], want["points"], abs_=1e-3), (got, want)
        assert close([got.get("rotation", 0.0)], [want.get("rotation", 0.0)], abs_=1e-2)


def test_trailing_confidence_becomes_the_score_and_yaml_names_map_classes() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as writer:
        writer.writestr("data.yaml", "names: [road, car]\n")
        writer.writestr("labels/img_1.txt", "1 0.5 0.5 0.25 0.5 0.9\n")

    [imported] = read_yolo(archive, labels=LABELS, image_sizes=SIZES)

    [box] = imported.shapes
    assert box["label"] == "car"
    assert box["points"] == [24.0, 12.0, 40.0, 36.0]
    assert imported.scores == {box["id"]: 0.9}


def yolo_zip(lines: str, names: str = "names: [car]\n") -> io.BytesIO:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as writer:
        writer.writestr("data.yaml", names)
        writer.writestr("labels/train/img_1.txt", lines)
    return archive


@pytest.mark.parametrize(
    ("archive", "message"),
    [
        (io.BytesIO(b"not a zip"), "upload: Not a zip archive."),
        (
            yolo_zip("", "names: [car, tractor]\n"),
            "data.yaml: names: Unknown categories 'tractor'.",
        ),
        (yolo_zip("", "names: [car\n"), "data.yaml: Malformed YAML"),
        (
            yolo_zip("0 0.5 0.5 x 0.1\n"),
            "labels/train/img_1.txt, line 1: Expected a class index and numbers.",
        ),
        (
            yolo_zip("3 0.5 0.5 0.1 0.1\n"),
            "labels/train/img_1.txt, line 1: Expected a class index and numbers.",
        ),
        (
            yolo_zip("0 0.5 0.5 0.1\n"),
            "labels/train/img_1.txt, line 1: Expected 4 box numbers or 3+ polygon vertices.",
        ),
        (
            yolo_zip("0 0.95 0.5 0.2 0.1\n"),
            "labels/train/img_1.txt, line 1: Coordinates outside the 64x48 image.",
        ),
    ],
)
def test_malformed_archives_are_refused_with_their_line(archive: io.BytesIO, message: str) -> None:
    with pytest.raises(FormatError) as error:
        read_yolo(archive, labels=LABELS, image_sizes=SIZES)

    assert str(error.value).startswith(message)


def test_a_label_file_without_its_image_is_refused() -> None:
    with pytest.raises(FormatError) as error:
        read_yolo(yolo_zip("0 0.5 0.5 0.1 0.1\n"), labels=LABELS, image_sizes={})

    assert str(error.value) == "labels/train/img_1.txt: No image 'img_1' in the project."


def test_a_segment_line_for_a_mask_class_is_rasterised_into_its_rle() -> None:
    archive = yolo_zip("0 0.25 0.25 0.5 0.25 0.5 0.5 0.25 0.5\n", names="names: [blob]\n")

    [imported] = read_yolo(archive, labels=LABELS, image_sizes=SIZES)

    [mask] = imported.shapes
    assert mask["kind"] == "mask"
    assert mask["points"] == [16.0, 12.0, 32.0, 24.0]
    assert mask["rle"]["size"] == [48, 64]
    assert sum(mask["rle"]["counts"][1::2]) == 16 * 12


def test_pose_visibility_other_than_0_1_2_is_refused() -> None:
    archive = yolo_zip(
        "0 0.5 0.5 0.1 0.1 0.5 0.5 2 0.5 0.5 7 0 0 0\n",
        names="names: [person]\nkpt_shape: [3, 3]\n",
    )

    with pytest.raises(FormatError) as error:
        read_yolo(archive, labels=LABELS, image_sizes=SIZES)

    assert str(error.value) == "labels/train/img_1.txt, line 1: Keypoint visibility is 0, 1 or 2."
