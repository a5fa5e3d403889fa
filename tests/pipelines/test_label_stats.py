from typing import Any

import pipelines.builtin  # noqa: F401 - registers the built-in steps
from pipelines.builtin.label_stats import crowding, label_statistics
from pipelines.dag import build_dag
from pipelines.runner import MemoryStore, run
from tests.pipelines.helpers import box, image_item, png_bytes, tag


def _shape(label: str, kind: str, points: list[float], **extra: Any) -> dict[str, Any]:
    return {"id": label, "label": label, "kind": kind, "points": points, "attributes": {}, **extra}


def test_counts_areas_and_crowding_per_class() -> None:
    shapes = [
        box("car", [0, 0, 10, 20], "1"),
        box("car", [5, 5, 15, 15], "2"),
        box("truck", [8, 8, 9, 9], "3"),
        box("truck", [40, 0, 50, 10], "4", rotation=30.0),  # rotation keeps the area
        _shape("person", "polygon", [0, 0, 4, 0, 0, 3]),
        _shape("person", "polygon", [10, 10, 10, 12, 12, 12, 12, 10]),  # clockwise: still 4
        _shape("road", "mask", [0, 0, 3, 3], rle={"size": [3, 3], "counts": [1, 3, 2, 2, 1]}),
        _shape("pose", "keypoints", [1, 1, 2]),
        tag("day"),
    ]

    assert label_statistics(shapes) == {
        "shapes": 9,
        "counts": {"car": 2, "day": 1, "person": 2, "pose": 1, "road": 1, "truck": 2},
        "areas": {"car": 300.0, "person": 10.0, "road": 5.0, "truck": 101.0},
        "crowding": 2,  # box 3 lies inside boxes 1 and 2
    }


def test_boxes_that_only_touch_do_not_crowd() -> None:
    assert crowding([box("a", [0, 0, 10, 10]), box("a", [10, 0, 20, 10])]) == 0
    assert crowding([box("a", [0, 0, 10, 10])]) == 0
    assert crowding([]) == 0


def test_a_rotated_box_crowds_by_its_turned_bounds() -> None:
    other = box("a", [11, 11, 20, 20])

    assert crowding([box("a", [0, 0, 10, 10]), other]) == 0
    # Turned 45 degrees about (5, 5), the square reaches 5 + 5 * sqrt(2) = 12.07.
    assert crowding([box("a", [0, 0, 10, 10], rotation=45), other]) == 1


def test_unlabeled_item_has_empty_statistics() -> None:
    store = MemoryStore()

    report = run(build_dag(["label_stats"]), [image_item("a", png_bytes())], store)

    assert store.outputs[report.item_keys["label_stats"]["a"]] == {
        "shapes": 0,
        "counts": {},
        "areas": {},
        "crowding": 0,
    }
