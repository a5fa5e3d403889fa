import io
import json
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from pycocotools.coco import COCO

from formats.coco import read_coco, write_coco
from formats.records import FormatError, ItemShapes
from tests.formats.helpers import close, export
from tests.formats.samples import LABELS, every_kind, mask_rle, shape


def load_with_pycocotools(data: bytes, tmp_path: Path) -> COCO:
    path = tmp_path / "coco.json"
    path.write_bytes(data)
    return COCO(str(path))


def test_pycocotools_loads_the_export_with_the_right_counts_and_boxes(tmp_path: Path) -> None:
    data = export(write_coco, [every_kind(1), every_kind(2)], labels=LABELS)

    coco = load_with_pycocotools(data, tmp_path)

    assert sorted(coco.getImgIds()) == [1, 2]
    assert sorted(coco.getCatIds()) == [1, 2, 3, 4, 5, 6, 7]
    # box, rotated box, keypoints, polygon, mask per image; tag/polyline/cuboid have no COCO form
    assert len(coco.getAnnIds(imgIds=[1])) == 5
    first = coco.loadAnns(coco.getAnnIds(imgIds=[1]))[0]
    assert first["bbox"] == [4, 5, 16, 10]
    assert first["area"] == 160
    assert first["attributes"] == {"colour": "blue"}
    person = coco.loadCats([2])[0]
    assert person["keypoints"] == ["head", "hip", "foot"]
    assert person["skeleton"] == [[1, 2], [2, 3]]


def test_annToMask_agrees_with_the_exported_areas(tmp_path: Path) -> None:
    coco = load_with_pycocotools(export(write_coco, [every_kind(1)], labels=LABELS), tmp_path)

    for annotation in coco.loadAnns(coco.getAnnIds(catIds=[1, 3, 4])):
        pixels = int(coco.annToMask(annotation).sum())
        # Rasterised polygons differ from exact geometry by about a pixel row along the outline.
        assert abs(pixels - annotation["area"]) <= 0.15 * annotation["area"], annotation


def test_mask_annotation_is_compressed_rle_of_the_same_pixels(tmp_path: Path) -> None:
    coco = load_with_pycocotools(export(write_coco, [every_kind(1)], labels=LABELS), tmp_path)

    [annotation] = coco.loadAnns(coco.getAnnIds(catIds=[4]))
    pixels = coco.annToMask(annotation)
    expected = np.zeros((48, 64), dtype=np.uint8)
    expected[25:40, 40:50] = 1
    assert (pixels == expected).all()
    assert annotation["bbox"] == [40, 25, 10, 15]
    assert annotation["area"] == 150


def test_rotated_box_is_its_turned_outline_with_the_axis_aligned_bbox() -> None:
    data = json.loads(export(write_coco, [every_kind(1)], labels=LABELS))

    rotated = data["annotations"][1]
    assert rotated["segmentation"] == [[33.84, 5.67, 51.16, 15.67, 46.16, 24.33, 28.84, 14.33]]
    assert rotated["bbox"] == [28.84, 5.67, 22.32, 18.66]
    assert rotated["area"] == 200
    assert rotated["occluded"] is True


def test_iscrowd_follows_the_iscrowd_attribute() -> None:
    crowd = shape(1, "car", "box", [1.0, 1.0, 5.0, 5.0], attributes={"iscrowd": True})
    entry = ItemShapes(item=every_kind(1).item, shapes=[crowd])

    [annotation] = json.loads(export(write_coco, [entry], labels=LABELS))["annotations"]

    assert annotation["iscrowd"] == 1


def test_export_is_byte_identical_and_ignores_dict_key_order() -> None:
    entries = [every_kind(1), every_kind(2)]
    shuffled = []
    for entry in entries:
        shapes = []
        for original in entry.shapes:
            keys = list(original)
            random.Random(7).shuffle(keys)
            shapes.append({key: original[key] for key in keys})
        metadata = dict(reversed(list(entry.item.metadata.items())))
        shuffled.append(ItemShapes(replace(entry.item, metadata=metadata), shapes))

    first = export(write_coco, entries, labels=LABELS, info={"version": "abc"})
    again = export(write_coco, entries, labels=LABELS, info={"version": "abc"})
    reordered = export(write_coco, shuffled, labels=LABELS, info={"version": "abc"})

    assert first == again == reordered


def test_items_out_of_id_order_are_refused() -> None:
    with pytest.raises(ValueError, match="sorted by item id"):
        export(write_coco, [every_kind(2), every_kind(1)], labels=LABELS)


def test_boxes_polygons_keypoints_and_masks_round_trip() -> None:
    entry = every_kind(1)
    data = export(write_coco, [entry], labels=LABELS)

    [imported] = read_coco(io.BytesIO(data), labels=LABELS)

    written = [s for s in entry.shapes if s["kind"] in ("box", "polygon", "keypoints", "mask")]
    assert imported.file_name == "img_1.jpg"
    assert imported.sha256 == entry.item.sha256
    assert [s["label"] for s in imported.shapes] == [s["label"] for s in written]
    for got, want in zip(imported.shapes, written, strict=True):
        assert close(got["points"], want["points"]), (got, want)
        assert got["attributes"] == want["attributes"]
        assert got["occluded"] == want["occluded"]
        assert close([got.get("rotation", 0.0)], [want.get("rotation", 0.0)])
    assert imported.shapes[4]["rle"] == mask_rle(48, 64, 40, 25, 50, 40)


def test_reimport_gives_the_same_shape_ids() -> None:
    data = export(write_coco, [every_kind(1)], labels=LABELS)

    first = read_coco(io.BytesIO(data), labels=LABELS)
    second = read_coco(io.BytesIO(data), labels=LABELS)

    assert [s["id"] for s in first[0].shapes] == [s["id"] for s in second[0].shapes]
    assert len({s["id"] for s in first[0].shapes}) == 5


def coco_file(**overrides: object) -> io.BytesIO:
    document: dict[str, object] = {
        "images": [{"id": 7, "file_name": "a.jpg", "width": 100, "height": 50}],
        "categories": [{"id": 1, "name": "car"}],
        "annotations": [{"id": 1, "image_id": 7, "category_id": 1, "bbox": [10, 10, 20, 20]}],
    }
    document.update(overrides)
    return io.BytesIO(json.dumps(document).encode())


def test_predictions_keep_their_scores_beside_the_shapes() -> None:
    annotation = {"id": 1, "image_id": 7, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.75}

    [imported] = read_coco(coco_file(annotations=[annotation]), labels=LABELS)

    [box] = imported.shapes
    assert box["points"] == [1.0, 2.0, 4.0, 6.0]
    assert imported.scores == {box["id"]: 0.75}
    assert imported.sha256 is None


def test_polygon_with_two_parts_becomes_two_polygons() -> None:
    segmentation = [[0, 0, 10, 0, 10, 10], [20, 20, 30, 20, 30, 30]]
    annotation = {"id": 1, "image_id": 7, "category_id": 1, "segmentation": segmentation}
    categories = [{"id": 1, "name": "road"}]

    [imported] = read_coco(
        coco_file(annotations=[annotation], categories=categories), labels=LABELS
    )

    assert [s["points"] for s in imported.shapes] == [
        [0.0, 0.0, 10.0, 0.0, 10.0, 10.0],
        [20.0, 20.0, 30.0, 20.0, 30.0, 30.0],
    ]


def test_malformed_json_is_refused_with_its_line() -> None:
    with pytest.raises(
        FormatError, match=r"^coco.json, line 2: Malformed JSON: Expecting value \(column 1\)\.$"
    ):
        read_coco(io.BytesIO(b'{"images": [\n,]}'), labels=LABELS)


def test_unknown_categories_are_named() -> None:
    categories = [{"id": 1, "name": "car"}, {"id": 2, "name": "tractor"}, {"id": 3, "name": "cow"}]

    with pytest.raises(FormatError) as error:
        read_coco(coco_file(categories=categories), labels=LABELS)

    assert str(error.value) == "coco.json: categories: Unknown categories 'tractor', 'cow'."


def test_box_outside_the_image_is_refused_with_its_annotation() -> None:
    annotation = {"id": 1, "image_id": 7, "category_id": 1, "bbox": [90, 10, 20, 20]}

    with pytest.raises(FormatError) as error:
        read_coco(coco_file(annotations=[annotation]), labels=LABELS)

    assert str(error.value) == "coco.json: annotations[0]: Coordinates outside the 100x50 image."


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"images": {"id": 1}}, "coco.json: images: 'images' must be a list."),
        (
            {"images": [{"id": 7}]},
            "coco.json: images[0]: An image needs id, file_name, width and height.",
        ),
        (
            {"annotations": [{"id": 1, "image_id": 8, "category_id": 1, "bbox": [1, 1, 2, 2]}]},
            "coco.json: annotations[0]: No image 8.",
        ),
        (
            {"annotations": [{"id": 1, "image_id": 7, "category_id": 1, "bbox": [1, "x", 2, 2]}]},
            "coco.json: annotations[0].bbox: Expected 4 numbers, got [1, 'x', 2, 2].",
        ),
        (
            {
                "annotations": [
                    {
                        "image_id": 7,
                        "category_id": 1,
                        "bbox": [1, 1, 2, 2],
                        "attributes": {"speed": 3},
                    }
                ]
            },
            "coco.json: annotations[0]: Class 'car' has no attribute speed.",
        ),
    ],
)
def test_wrong_values_are_refused_with_their_path(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(FormatError) as error:
        read_coco(coco_file(**overrides), labels=LABELS)

    assert str(error.value) == message


def test_a_mask_class_given_polygons_gets_their_pixels_as_rle() -> None:
    segmentation = [[10, 10, 30, 10, 30, 20, 10, 20]]
    annotation = {"id": 1, "image_id": 7, "category_id": 1, "segmentation": segmentation}

    [imported] = read_coco(
        coco_file(annotations=[annotation], categories=[{"id": 1, "name": "blob"}]), labels=LABELS
    )

    [mask] = imported.shapes
    assert mask["points"] == [10.0, 10.0, 30.0, 20.0]
    assert mask["rle"]["size"] == [50, 100]
    assert sum(mask["rle"]["counts"][1::2]) == 200


def test_an_unturned_box_takes_a_short_path_to_the_same_geometry():
    import random

    from formats.coco import _geometry, _xywh
    from formats.geometry import bounds, number, outline, shape_area

    generator = random.Random(5)
    for _ in range(2000):
        x, y = generator.uniform(0, 500), generator.choice([0, 7, 12.5, generator.uniform(0, 400)])
        points = [x, y, x + generator.choice([1, 40.5, generator.uniform(0.01, 90)]), y + 30.25]
        for rotation in ({}, {"rotation": 0}, {"rotation": 0.0}):
            shape = {"kind": "box", "points": points, **rotation}
            general = {
                "area": number(shape_area(shape)),
                "bbox": _xywh(bounds(shape)),
                "segmentation": [[number(value) for value in outline(shape)]],
            }
            assert repr(_geometry(shape)) == repr(general)
