"""Scoring one item against gold: every similarity and outcome checked against a hand computation,
pycocotools, or an invariant. Pure functions: no database."""

import math
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools import mask as coco_mask
from pycocotools.cocoeval import COCOeval

from quality.geometry import box_corners, shape_similarity, similarity_matrix
from quality.scoring import ItemScore, score_item

LABELS: list[dict[str, Any]] = [
    {"name": "cat", "kind": "box", "attributes": []},
    {"name": "dog", "kind": "box", "attributes": []},
    {"name": "wall", "kind": "polygon", "attributes": []},
    {"name": "lane", "kind": "polyline", "attributes": []},
    {"name": "crate", "kind": "cuboid", "attributes": []},
    {"name": "road", "kind": "mask", "attributes": []},
    {"name": "day", "kind": "tag", "attributes": []},
    {"name": "night", "kind": "tag", "attributes": []},
    {"name": "outdoor", "kind": "tag", "attributes": []},
    {"name": "person", "kind": "keypoints", "keypoints": ["head", "hand", "foot"], "skeleton": []},
]


def shape(kind: str, label: str, points: Sequence[float], **extra: Any) -> dict[str, Any]:
    return {
        "id": extra.pop("id", str(uuid.uuid4())),
        "label": label,
        "kind": kind,
        "points": points,
        "attributes": extra.pop("attributes", {}),
        "occluded": False,
        **extra,
    }


def box(label: str, x1: float, y1: float, x2: float, y2: float, **extra: Any) -> dict[str, Any]:
    return shape("box", label, [x1, y1, x2, y2], **extra)


def mask(label: str, counts: list[int], size: tuple[int, int] = (2, 3)) -> dict[str, Any]:
    return shape(
        "mask", label, [0, 0, size[1], size[0]], rle={"size": list(size), "counts": counts}
    )


def outcomes(score: ItemScore) -> list[tuple[str | None, str | None, str]]:
    return [(match.gold_id, match.candidate_id, match.outcome) for match in score.matches]


# --- boxes ----------------------------------------------------------------------------------------


def test_identical_box_is_a_true_positive_with_perfect_scores() -> None:
    gold = [box("cat", 0, 0, 10, 10, id="g")]
    candidate = [box("cat", 0, 0, 10, 10, id="c")]

    score = score_item(gold, candidate, labels=LABELS)

    assert (score.tp, score.fp, score.fn, score.class_errors) == (1, 0, 0, 0)
    assert (score.precision, score.recall, score.accuracy, score.mean_iou) == (1.0, 1.0, 1.0, 1.0)
    assert outcomes(score) == [("g", "c", "tp")]


def test_shifted_box_scores_its_intersection_over_union() -> None:
    # Overlap [2, 10] x [0, 10] = 80; union 100 + 100 - 80 = 120.
    score = score_item([box("cat", 0, 0, 10, 10)], [box("cat", 2, 0, 12, 10)], labels=LABELS)

    assert score.tp == 1
    assert score.mean_iou == pytest.approx(80 / 120, abs=1e-15)


def test_box_overlapping_below_threshold_is_a_miss_and_an_extra() -> None:
    # Overlap 5 x 5 = 25; union 175; IoU 1/7 < 0.5.
    score = score_item(
        [box("cat", 0, 0, 10, 10, id="g")], [box("cat", 5, 5, 15, 15, id="c")], labels=LABELS
    )

    assert (score.tp, score.fp, score.fn, score.class_errors) == (0, 1, 1, 0)
    assert outcomes(score) == [("g", None, "fn"), (None, "c", "fp")]
    assert score.mean_iou is None
    assert score.accuracy == 0.0


def test_axis_aligned_box_iou_agrees_with_pycocotools() -> None:
    rng = np.random.default_rng(7)
    corners = rng.uniform(0, 100, size=(2, 40, 2))
    sizes = rng.uniform(1, 60, size=(2, 40, 2))
    gold, candidates = (
        [box("cat", *corner, *(corner + size)) for corner, size in zip(*pair, strict=True)]
        for pair in zip(corners, sizes, strict=True)
    )

    ours = similarity_matrix("box", gold, candidates, gold_labels=[None] * len(gold))

    def xywh(shapes: list[dict[str, Any]]) -> list[list[float]]:
        return [[x1, y1, x2 - x1, y2 - y1] for x1, y1, x2, y2 in (s["points"] for s in shapes)]

    reference = coco_mask.iou(xywh(gold), xywh(candidates), [0] * len(candidates))
    assert np.abs(ours - reference).max() < 1e-12
    assert (ours > 0).sum() > 100  # the case really exercises overlaps


def test_box_iou_through_polygons_agrees_with_the_axis_aligned_path() -> None:
    rng = np.random.default_rng(11)
    points = np.sort(rng.uniform(0, 50, size=(30, 2, 2)), axis=1)
    boxes = [box("cat", x1, y1, x2, y2) for (x1, x2), (y1, y2) in points.transpose(0, 2, 1)]
    # A full turn is the same box, yet it leaves the axis-aligned path for shapely.
    turned = [{**b, "rotation": 360.0 - 1e-13} for b in boxes]

    aligned = similarity_matrix("box", boxes, boxes, gold_labels=[None] * 30)
    through_polygons = similarity_matrix("box", turned, boxes, gold_labels=[None] * 30)

    assert np.abs(aligned - through_polygons).max() < 1e-9


def test_positive_rotation_turns_a_box_clockwise_on_screen() -> None:
    # y points down: the top-right corner (4, 0) of [0, 0, 4, 2] goes to the bottom right.
    corners = box_corners(box("cat", 0, 0, 4, 2, rotation=90))

    assert np.array(corners) == pytest.approx(
        np.array([[3, -1], [3, 3], [1, 3], [1, -1]]), abs=1e-12
    )


def test_box_rotated_90_degrees_about_its_centre_swaps_width_and_height() -> None:
    upright = box("cat", 0, 0, 4, 2, rotation=90)

    assert shape_similarity(upright, box("cat", 1, -1, 3, 3)) == 1.0
    # Against itself unturned: overlap [1, 3] x [0, 2] = 4; union 8 + 8 - 4 = 12.
    assert shape_similarity(upright, box("cat", 0, 0, 4, 2)) == pytest.approx(1 / 3, abs=1e-15)


def test_square_rotated_by_right_angles_is_the_same_square() -> None:
    square = box("cat", 0, 0, 2, 2)

    for rotation in (90, 180, 270, -90):
        assert shape_similarity(square, {**square, "rotation": rotation}) == 1.0
    # Also when another box in the set is turned and the whole kind goes through shapely.
    turned = [{**square, "rotation": 90}, {**square, "rotation": 30}]
    assert similarity_matrix("box", [square], turned, gold_labels=[None])[0, 0] == 1.0


def test_square_rotated_45_degrees_overlaps_itself_by_one_over_root_two() -> None:
    # The diamond cuts four corner triangles of legs 2 - sqrt(2) from the 2 x 2 square:
    # overlap 4 - 2 (2 - sqrt 2)^2 = 8 sqrt 2 - 8, union 8 - overlap, IoU 1 / sqrt 2.
    square = box("cat", 0, 0, 2, 2)
    diamond = {**square, "rotation": 45}

    assert shape_similarity(square, diamond) == pytest.approx(1 / math.sqrt(2), abs=1e-12)
    assert shape_similarity(diamond, {**square, "rotation": 45 + 360}) == pytest.approx(1.0)


def centred_box(cx: float, cy: float, w: float, h: float, rotation: float) -> dict[str, Any]:
    return box("cat", cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, rotation=rotation)


box_pose = st.tuples(
    st.floats(-20, 20), st.floats(-20, 20), st.floats(1, 30), st.floats(1, 30), st.floats(0, 360)
)


@settings(max_examples=80, deadline=None)
@given(box_pose, box_pose, st.floats(0, 360))
def test_turning_the_whole_scene_keeps_rotated_box_iou(
    first: tuple[float, ...], second: tuple[float, ...], turn: float
) -> None:
    # Turning both centres about the origin and adding the turn to both rotations moves the pair
    # rigidly; this only holds if box_corners turns the way the rotation matrix does.
    cos, sin = math.cos(math.radians(turn)), math.sin(math.radians(turn))

    def turned(cx: float, cy: float, w: float, h: float, rotation: float) -> dict[str, Any]:
        return centred_box(cx * cos - cy * sin, cx * sin + cy * cos, w, h, rotation + turn)

    before = shape_similarity(centred_box(*first), centred_box(*second))
    after = shape_similarity(turned(*first), turned(*second))

    assert after == pytest.approx(before, abs=1e-9)
    assert shape_similarity(centred_box(*second), centred_box(*first)) == pytest.approx(before)


# --- polygons, cuboids, polylines -----------------------------------------------------------------


def test_polygon_iou_is_area_overlap_over_area_union() -> None:
    square = shape("polygon", "wall", [0, 0, 2, 0, 2, 2, 0, 2])
    triangle = shape("polygon", "wall", [0, 0, 2, 0, 0, 2])

    assert shape_similarity(square, triangle) == pytest.approx(2 / 4, abs=1e-15)


def test_self_intersecting_polygon_is_repaired_into_its_two_lobes() -> None:
    # The bow-tie crosses itself at (1, 1): two triangles of area 1, both inside the square.
    bow_tie = shape("polygon", "wall", [0, 0, 2, 2, 2, 0, 0, 2])
    square = shape("polygon", "wall", [0, 0, 2, 0, 2, 2, 0, 2])

    assert shape_similarity(bow_tie, square) == pytest.approx(2 / 4, abs=1e-15)
    assert shape_similarity(bow_tie, bow_tie) == pytest.approx(1.0, abs=1e-15)


def test_zero_area_polygon_matches_nothing_and_yields_no_nan() -> None:
    collinear = shape("polygon", "wall", [0, 0, 1, 1, 2, 2])

    score = score_item([collinear], [dict(collinear)], labels=LABELS)

    assert shape_similarity(collinear, collinear) == 0.0
    assert (score.tp, score.fp, score.fn) == (0, 1, 1)
    assert score.mean_iou is None


def test_cuboid_similarity_is_iou_of_the_convex_hulls_of_its_vertices() -> None:
    # Front face [0, 2]^2, back face [1, 3]^2: the hull is the 3 x 3 square less two corner
    # triangles of area 1/2, so 8; against the 3 x 3 square that is 8 / 9.
    cuboid = shape("cuboid", "crate", [0, 0, 2, 0, 2, 2, 0, 2, 1, 1, 3, 1, 3, 3, 1, 3])
    flat = shape("cuboid", "crate", [0, 0, 3, 0, 3, 3, 0, 3] * 2)

    assert shape_similarity(cuboid, flat) == pytest.approx(8 / 9, abs=1e-15)


def test_polyline_similarity_is_iou_of_bands_at_the_tolerance() -> None:
    # Parallel lines of length 10, 2 px apart, bands of half-width t: IoU (2t - 2) / (2t + 2).
    lane = shape("polyline", "lane", [0, 10, 10, 10])
    beside = shape("polyline", "lane", [0, 12, 10, 12])

    assert shape_similarity(lane, beside) == pytest.approx(6 / 10, abs=1e-12)
    assert shape_similarity(lane, beside, polyline_tolerance=2) == pytest.approx(2 / 6, abs=1e-12)
    assert shape_similarity(lane, beside, label={"tolerance": 2}) == pytest.approx(2 / 6)
    assert shape_similarity(lane, shape("polyline", "lane", [0, 30, 10, 30])) == 0.0


def test_polyline_tolerance_comes_from_each_gold_label() -> None:
    lanes = [shape("polyline", "lane", [0, 10, 10, 10]), shape("polyline", "kerb", [0, 50, 9, 50])]
    beside = [shape("polyline", "lane", [0, 12, 10, 12]), shape("polyline", "kerb", [0, 52, 9, 52])]

    matrix = similarity_matrix(
        "polyline", lanes, beside, gold_labels=[{"tolerance": 4}, {"tolerance": 2}]
    )

    assert matrix == pytest.approx(np.array([[6 / 10, 0], [0, 2 / 6]]), abs=1e-12)


# --- keypoints ------------------------------------------------------------------------------------

PERSON = [0, 0, 2, 10, 0, 2, 0, 20, 1]  # bbox 10 x 20 = area 200


def test_oks_matches_a_hand_computation() -> None:
    # k = 2 * 0.05, so d^2 / (2 * 200 * 0.01) = d^2 / 4 for each keypoint.
    moved = [1, 0, 2, 10, 0, 2, 0, 22, 2]  # d^2 = 1, 0, 4
    expected = (math.exp(-1 / 4) + 1 + math.exp(-4 / 4)) / 3

    similarity = shape_similarity(
        shape("keypoints", "person", PERSON), shape("keypoints", "person", moved)
    )

    assert similarity == pytest.approx(expected, abs=1e-15)


def test_oks_uses_the_labels_sigmas_and_skips_gold_keypoints_marked_absent() -> None:
    gold = shape("keypoints", "person", [0, 0, 2, 10, 0, 2, 0, 20, 1, 99, 99, 0])
    moved = shape("keypoints", "person", [2, 0, 2, 10, 0, 2, 0, 20, 2, 0, 0, 2])
    label = {"name": "person", "sigmas": [0.1, 0.05, 0.05, 0.05]}
    # Head: d^2 = 4 over 2 * 200 * 0.2^2 = 16; the fourth keypoint is absent in gold.
    expected = (math.exp(-4 / 16) + 1 + 1) / 3

    assert shape_similarity(gold, moved, label=label) == pytest.approx(expected, abs=1e-15)


def test_oks_counts_a_keypoint_the_candidate_marks_absent_as_zero() -> None:
    missing_head = [0, 0, 0, 10, 0, 2, 0, 20, 2]

    similarity = shape_similarity(
        shape("keypoints", "person", PERSON), shape("keypoints", "person", missing_head)
    )

    assert similarity == pytest.approx(2 / 3, abs=1e-15)


def test_oks_agrees_with_pycocotools_on_random_poses() -> None:
    rng = np.random.default_rng(3)
    evaluator = COCOeval(iouType="keypoints")
    evaluator.params.kpt_oks_sigmas = rng.uniform(0.02, 0.1, size=5)
    label = {"name": "person", "sigmas": evaluator.params.kpt_oks_sigmas.tolist()}
    for _ in range(50):
        gold = np.column_stack([rng.uniform(0, 100, (5, 2)), rng.integers(0, 3, 5)])
        gold[0, 2] = 2  # at least one labelled keypoint, as COCO's formula needs
        moved = np.column_stack([gold[:, :2] + rng.normal(0, 5, (5, 2)), np.full(5, 2)])
        labelled = gold[gold[:, 2] > 0]
        area = float(np.ptp(labelled[:, 0]) * np.ptp(labelled[:, 1])) or 1.0
        evaluator._gts = {
            (1, 1): [{"keypoints": gold.ravel().tolist(), "bbox": [0, 0, 1, 1], "area": area}]
        }
        evaluator._dts = {(1, 1): [{"keypoints": moved.ravel().tolist(), "score": 1.0}]}

        ours = shape_similarity(
            shape("keypoints", "person", gold.ravel().tolist()),
            shape("keypoints", "person", moved.ravel().tolist()),
            label=label,
        )

        assert ours == pytest.approx(evaluator.computeOks(1, 1)[0, 0], abs=1e-6)


def test_keypoints_of_another_skeleton_have_no_similarity() -> None:
    three = shape("keypoints", "person", PERSON)
    two = shape("keypoints", "hand", [0, 0, 2, 10, 0, 2])

    assert shape_similarity(three, two) == 0.0


def test_gold_pose_with_no_keypoint_present_only_agrees_with_an_empty_pose() -> None:
    nothing = shape("keypoints", "person", [0, 0, 0] * 3)

    assert shape_similarity(nothing, dict(nothing)) == 1.0
    assert shape_similarity(nothing, shape("keypoints", "person", PERSON)) == 0.0


# --- masks ----------------------------------------------------------------------------------------


def test_mask_iou_counts_pixels_of_the_column_major_rle() -> None:
    # 2 x 3 image read column by column: gold is column 0, the candidate columns 0 and 1.
    score = score_item([mask("road", [0, 2, 4])], [mask("road", [0, 4, 2])], labels=LABELS)

    assert score.tp == 1
    assert score.mean_iou == pytest.approx(2 / 4, abs=1e-15)


def test_empty_masks_overlap_nothing() -> None:
    empty = mask("road", [6])

    assert shape_similarity(empty, dict(empty)) == 0.0
    assert shape_similarity(empty, mask("road", [0, 2, 4])) == 0.0


def test_masks_of_different_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="share one size"):
        score_item([mask("road", [0, 2, 4])], [mask("road", [0, 4], size=(2, 2))], labels=LABELS)


# --- matching -------------------------------------------------------------------------------------


def test_right_place_wrong_class_is_one_class_error_not_a_miss_and_an_extra() -> None:
    score = score_item(
        [box("cat", 0, 0, 10, 10, id="g")], [box("dog", 0, 0, 10, 10, id="c")], labels=LABELS
    )

    assert (score.tp, score.fp, score.fn, score.class_errors) == (0, 0, 0, 1)
    assert score.as_dict()["matches"] == [
        {
            "gold_id": "g",
            "candidate_id": "c",
            "gold_label": "cat",
            "candidate_label": "dog",
            "kind": "box",
            "similarity": 1.0,
            "outcome": "class_error",
            "differing_attributes": [],
            "attributes_compared": 0,
        }
    ]
    assert score.mean_iou == 1.0
    assert (score.precision, score.recall, score.accuracy) == (0.0, 0.0, 0.0)


def test_same_class_pair_is_preferred_over_a_closer_wrong_class() -> None:
    gold = [box("cat", 0, 0, 10, 10, id="g")]
    candidates = [box("dog", 0, 0, 10, 10, id="dog"), box("cat", 2, 0, 12, 10, id="cat")]

    score = score_item(gold, candidates, labels=LABELS)

    assert outcomes(score) == [("g", "cat", "tp"), (None, "dog", "fp")]


def test_optimal_matching_finds_more_pairs_than_greedy() -> None:
    # Greedy takes the best pair first (c1-B, IoU 90/110) and leaves A with c2 (IoU 40/160);
    # the optimum pairs c1-A (70/130) and c2-B (80/120), both above 0.5.
    gold = [box("cat", 0, 0, 10, 10, id="A"), box("cat", 4, 0, 14, 10, id="B")]
    candidates = [box("cat", 3, 0, 13, 10, id="c1"), box("cat", 6, 0, 16, 10, id="c2")]

    score = score_item(gold, candidates, labels=LABELS)

    assert outcomes(score) == [("A", "c1", "tp"), ("B", "c2", "tp")]
    assert score.mean_iou == pytest.approx((70 / 130 + 80 / 120) / 2, abs=1e-15)


def test_unmatched_candidates_are_extras_and_unmatched_gold_are_misses() -> None:
    gold = [box("cat", 0, 0, 10, 10, id="g1"), box("cat", 50, 50, 60, 60, id="g2")]
    candidates = [box("cat", 0, 0, 10, 10, id="c1"), box("dog", 80, 0, 90, 9, id="c2")]

    score = score_item(gold, candidates, labels=LABELS)

    assert outcomes(score) == [("g1", "c1", "tp"), ("g2", None, "fn"), (None, "c2", "fp")]
    assert (score.precision, score.recall, score.accuracy) == (0.5, 0.5, 1 / 3)


def test_threshold_comes_from_the_gold_label_then_the_kind_default() -> None:
    strict = [{**LABELS[0], "threshold": 0.9}, LABELS[1]]
    gold = [box("cat", 0, 0, 10, 10), box("dog", 100, 0, 110, 10)]
    candidates = [box("cat", 1, 0, 11, 10), box("dog", 101, 0, 111, 10)]  # IoU 90/110 each

    by_label = score_item(gold, candidates, labels=strict)
    by_kind = score_item(gold, candidates, labels=LABELS, default_thresholds={"box": 0.85})
    lenient = score_item(gold, candidates, labels=strict, default_thresholds={"box": 0.1})

    assert (by_label.tp, by_label.fn, by_label.fp) == (1, 1, 1)
    assert (by_kind.tp, by_kind.fn, by_kind.fp) == (0, 2, 2)
    assert (lenient.tp, lenient.fn, lenient.fp) == (1, 1, 1)


def test_label_missing_from_the_schema_takes_the_kind_default_threshold() -> None:
    gold = [box("ghost", 0, 0, 10, 10)]

    at_default = score_item(gold, [box("ghost", 2, 0, 12, 10)], labels=LABELS)
    raised = score_item(
        gold, [box("ghost", 2, 0, 12, 10)], labels=LABELS, default_thresholds={"box": 0.7}
    )

    assert at_default.tp == 1  # 80 / 120 >= 0.5
    assert (raised.tp, raised.fn, raised.fp) == (0, 1, 1)


def test_shapes_of_different_kinds_are_never_paired() -> None:
    gold = [box("cat", 0, 0, 2, 2)]
    candidate = [shape("polygon", "cat", [0, 0, 2, 0, 2, 2, 0, 2])]

    score = score_item(gold, candidate, labels=LABELS)

    assert (score.tp, score.class_errors, score.fn, score.fp) == (0, 0, 1, 1)


def test_empty_against_empty_is_a_perfect_score() -> None:
    score = score_item([], [], labels=LABELS)

    assert score.as_dict() == {
        "tp": 0,
        "fp": 0,
        "fn": 0,
        "class_errors": 0,
        "precision": 1.0,
        "recall": 1.0,
        "accuracy": 1.0,
        "mean_iou": None,
        "matches": [],
        "attribute_errors": 0,
    }


def test_nothing_drawn_on_a_gold_item_misses_everything() -> None:
    score = score_item([box("cat", 0, 0, 1, 1), box("dog", 5, 5, 6, 6)], [], labels=LABELS)

    assert (score.fn, score.precision, score.recall, score.accuracy) == (2, 1.0, 0.0, 0.0)


def test_tags_compare_as_sets_of_names_without_class_errors() -> None:
    gold = [shape("tag", "day", [], id="g1"), shape("tag", "outdoor", [], id="g2")]
    candidates = [shape("tag", "night", [], id="c1"), shape("tag", "day", [], id="c2")]

    score = score_item(gold, candidates, labels=LABELS)

    assert outcomes(score) == [("g1", "c2", "tp"), ("g2", None, "fn"), (None, "c1", "fp")]
    assert score.class_errors == 0
    assert score.mean_iou is None  # tags have no geometry to average


def test_attributes_are_judged_on_true_positives_against_label_defaults() -> None:
    labels = [
        {
            "name": "cat",
            "kind": "box",
            "attributes": [
                {
                    "name": "colour",
                    "type": "select",
                    "values": ["black", "white"],
                    "default": "black",
                },
                {"name": "asleep", "type": "checkbox", "values": [], "default": False},
            ],
        }
    ]
    gold = [box("cat", 0, 0, 10, 10, attributes={"colour": "white"})]
    candidate = [box("cat", 0, 0, 10, 10, attributes={"asleep": False})]

    score = score_item(gold, candidate, labels=labels)

    assert score.matches[0].differing_attributes == ("colour",)
    assert (score.attribute_errors, score.attributes_compared) == (1, 2)
    assert score.attribute_accuracy == 0.5
    assert score.accuracy == 1.0  # attributes do not count against accuracy


def test_every_shape_appears_in_exactly_one_match() -> None:
    gold = [box("cat", i * 20, 0, i * 20 + 10, 10, id=f"g{i}") for i in range(5)]
    candidates = [
        box("dog" if i % 2 else "cat", i * 20 + 3, 0, i * 20 + 13, 10, id=f"c{i}") for i in range(7)
    ]

    score = score_item(gold, candidates, labels=LABELS)

    assert sorted(m.gold_id for m in score.matches if m.gold_id) == [f"g{i}" for i in range(5)]
    assert sorted(m.candidate_id for m in score.matches if m.candidate_id) == [
        f"c{i}" for i in range(7)
    ]
    assert score.tp + score.class_errors + score.fn == 5
    assert score.tp + score.class_errors + score.fp == 7


grid_boxes = st.lists(
    st.tuples(
        st.sampled_from(["cat", "dog"]),
        st.integers(0, 6),
        st.integers(0, 6),
        st.integers(1, 4),
        st.integers(1, 4),
    ),
    max_size=7,
)


def as_boxes(specs: list[tuple[str, int, int, int, int]], prefix: str) -> list[dict[str, Any]]:
    # A coarse grid makes equal similarities, so ties must break the same way every time.
    return [
        box(label, x, y, x + w, y + h, id=f"{prefix}{i}")
        for i, (label, x, y, w, h) in enumerate(specs)
    ]


@settings(max_examples=60, deadline=None)
@given(grid_boxes, grid_boxes, st.randoms(use_true_random=False))
def test_permuting_either_list_never_changes_the_result(
    gold_specs: list[tuple[str, int, int, int, int]],
    candidate_specs: list[tuple[str, int, int, int, int]],
    random: Any,
) -> None:
    gold, candidates = as_boxes(gold_specs, "g"), as_boxes(candidate_specs, "c")
    score = score_item(gold, candidates, labels=LABELS)
    random.shuffle(gold)
    random.shuffle(candidates)

    shuffled = score_item(gold, candidates, labels=LABELS)

    assert shuffled == score
    assert all(m.similarity is None or 0.0 <= m.similarity <= 1.0 for m in score.matches)


def test_two_hundred_boxes_against_two_hundred_are_all_found() -> None:
    rng = np.random.default_rng(5)
    cells = [(col * 30.0, row * 30.0) for row in range(10) for col in range(20)]
    gold = [box("cat", x, y, x + 20, y + 20) for x, y in cells]
    candidates = [
        box("cat", x + dx, y + dy, x + 20, y + 20)
        for (x, y), (dx, dy) in zip(cells, rng.uniform(0, 2, (200, 2)), strict=True)
    ]

    score = score_item(gold, candidates, labels=LABELS)

    assert (score.tp, score.fp, score.fn, score.class_errors) == (200, 0, 0, 0)
    assert score.mean_iou is not None and 0.8 < score.mean_iou < 1.0
