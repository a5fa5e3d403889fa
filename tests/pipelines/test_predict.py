import uuid

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from pipelines.builtin.predict import OnnxDetector, decode_yolo, nms, predictor_step
from pipelines.dag import build_dag
from pipelines.runner import MemoryStore, run
from pipelines.steps import Registry
from tests.pipelines.helpers import image_item, png_bytes

LABELS = [{"name": "car", "kind": "box"}, {"name": "truck", "kind": "box"}]
# cx, cy, w, h (model pixels, 64 x 64), car score, truck score; row 0's car score is the image's
# mean brightness in [0, 1], so the input really flows through the model.
ROWS = [
    [16, 16, 8, 8, 0.0, 0.1],
    [17, 16, 8, 8, 0.6, 0.0],  # overlaps row 0 (IoU 0.78)
    [48, 48, 16, 16, 0.05, 0.9],
    [50, 48, 16, 16, 0.0, 0.3],  # overlaps row 2, same class
    [60, 4, 20, 20, 0.3, 0.1],  # spills over the right and top edges
    [30, 40, 4, 4, 0.1, 0.2],  # below the threshold
    [5, 5, 2, 2, 0.0, 0.0],  # seven rows, so [1, 7, 6] and its transpose cannot be confused
]


def _model(transposed: bool = False, truck_bias: float = 0.0) -> bytes:
    base = np.array([ROWS], dtype=np.float32)
    base[0, :, 5] += truck_bias
    mask = np.zeros_like(base)
    mask[0, 0, 4] = 1.0
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
        helper.make_node("Mul", ["mean", "mask"], ["scaled"]),
        helper.make_node("Add", ["scaled", "base"], ["rows" if transposed else "output"]),
    ]
    if transposed:
        nodes.append(helper.make_node("Transpose", ["rows"], ["output"], perm=[0, 2, 1]))
    out_shape = [1, 6, len(ROWS)] if transposed else [1, len(ROWS), 6]
    graph = helper.make_graph(
        nodes,
        "tiny_yolo",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 64, 64])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, out_shape)],
        initializer=[numpy_helper.from_array(base, "base"), numpy_helper.from_array(mask, "mask")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _boxes(predictions: list[tuple[dict, float]]) -> list[tuple[str, list[float], float]]:
    return [(shape["label"], shape["points"], score) for shape, score in predictions]


@pytest.mark.parametrize("transposed", [False, True])
def test_white_image_decodes_to_scaled_clipped_boxes_after_nms(transposed: bool) -> None:
    detector = OnnxDetector(_model(transposed), ["car", "truck"])

    predictions = detector.predict(Image.new("RGB", (128, 64), "white"), LABELS)

    # x scales by 128 / 64 = 2, y by 1; rows 1 and 3 are suppressed, row 5 is under 0.25.
    assert _boxes(predictions) == [
        ("car", [24.0, 12.0, 40.0, 20.0], 1.0),
        ("truck", [80.0, 40.0, 112.0, 56.0], 0.9),
        ("car", [100.0, 0.0, 128.0, 14.0], 0.3),
    ]
    shape = predictions[0][0]
    assert uuid.UUID(shape["id"])
    assert {key: shape[key] for key in ("kind", "attributes", "occluded")} == {
        "kind": "box",
        "attributes": {},
        "occluded": False,
    }


def test_black_image_drops_row_zero_and_keeps_what_it_suppressed() -> None:
    detector = OnnxDetector(_model(), ["car", "truck"])

    predictions = detector.predict(Image.new("RGB", (128, 64), "black"), LABELS)

    assert _boxes(predictions) == [
        ("truck", [80.0, 40.0, 112.0, 56.0], 0.9),
        ("car", [26.0, 12.0, 42.0, 20.0], 0.6),
        ("car", [100.0, 0.0, 128.0, 14.0], 0.3),
    ]


def test_classes_the_schema_lacks_as_boxes_are_dropped_and_ids_are_stable() -> None:
    detector = OnnxDetector(_model(), ["car", "truck"])
    image = Image.new("RGB", (128, 64), "white")
    schema = [{"name": "car", "kind": "box"}, {"name": "truck", "kind": "tag"}]

    first = detector.predict(image, schema)

    assert [shape["label"] for shape, _ in first] == ["car", "car"]
    assert first == detector.predict(image, schema)


def test_predictions_step_outputs_features_and_recomputes_for_new_weights() -> None:
    registry = Registry()
    item = image_item("a", png_bytes(128, 64, (255, 255, 255)))
    store = MemoryStore()
    predictor_step(OnnxDetector(_model(), ["car", "truck"]), labels=LABELS, registry=registry)

    report = run(build_dag(["predictions"], registry), [item], store)
    rerun = run(build_dag(["predictions"], registry), [item], store)

    output = store.outputs[report.item_keys["predictions"]["a"]]
    assert [entry["score"] for entry in output["predictions"]] == [1.0, 0.9, 0.3]
    assert output["predictions"][1]["shape"]["points"] == [80.0, 40.0, 112.0, 56.0]
    assert {key: output[key] for key in ("count", "max_score", "mean_score", "uncertainty")} == {
        "count": 3,
        "max_score": 1.0,
        "mean_score": 0.733333,
        "uncertainty": 0.6,
    }
    assert rerun.computed == 0

    retrained = Registry()
    predictor_step(
        OnnxDetector(_model(truck_bias=0.05), ["car", "truck"]), labels=LABELS, registry=retrained
    )
    assert run(build_dag(["predictions"], retrained), [item], store).computed == 1


def test_nms_keeps_the_best_of_each_overlapping_cluster_ties_to_the_lower_index() -> None:
    boxes = np.array(
        [[0, 0, 10, 10], [0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], dtype=np.float32
    )
    scores = np.array([0.5, 0.5, 0.9, 0.1], dtype=np.float32)

    assert nms(boxes, scores, 0.5) == [2, 3]
    assert nms(boxes, scores, 0.99) == [2, 0, 3]


def test_output_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(ValueError, match=r"rows of 4 \+ 3 values"):
        decode_yolo(
            np.zeros((1, 5, 6), dtype=np.float32),
            3,
            scale=(1, 1),
            image_size=(1, 1),
            score_threshold=0.25,
            iou_threshold=0.45,
            max_detections=10,
        )
