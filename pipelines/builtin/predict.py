"""Model predictions: a pluggable predictor turned into features and pre-annotations.

`Predictor` is the interface (image + label schema -> shapes with scores); `OnnxDetector` runs a
YOLO-style detector exported to ONNX with onnxruntime. `predictor_step` registers a per-item step
whose key covers the predictor's fingerprint (the model's sha256 and its settings), so new
weights recompute every item and the same weights never do.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from formats.canonical import content_hash
from pipelines.inputs import ItemInputs, Shape
from pipelines.steps import JsonValue, Registry, Step, default_registry

DECIMALS = 6
# Shape ids are derived from the detection itself, so the same prediction always has the same id.
_SHAPE_NAMESPACE = uuid.UUID("6f1d7f7e-4b43-4c36-9c71-2d1c1b0a5e11")
FloatArray = np.ndarray[Any, np.dtype[np.float32]]


class Predictor(Protocol):
    #: JSON describing the model and its settings; it enters the step's cache key.
    fingerprint: JsonValue

    def predict(
        self, image: Image.Image, labels: list[dict[str, Any]]
    ) -> list[tuple[Shape, float]]:
        """Shapes (Loupe Shape JSON, labels from `labels`) with scores in [0, 1]."""
        ...


def nms(boxes: FloatArray, scores: FloatArray, iou_threshold: float) -> list[int]:
    """Indices kept by greedy non-maximum suppression, best score first (ties: lower index)."""
    order = list(np.argsort(-scores, kind="stable"))
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    kept: list[int] = []
    while order:
        best, rest = order[0], np.array(order[1:], dtype=np.int64)
        kept.append(int(best))
        if not len(rest):
            break
        width = np.minimum(boxes[best, 2], boxes[rest, 2]) - np.maximum(
            boxes[best, 0], boxes[rest, 0]
        )
        height = np.minimum(boxes[best, 3], boxes[rest, 3]) - np.maximum(
            boxes[best, 1], boxes[rest, 1]
        )
        overlap = np.clip(width, 0, None) * np.clip(height, 0, None)
        union = areas[best] + areas[rest] - overlap
        iou = np.where(union > 0, overlap / np.where(union > 0, union, 1), 0.0)
        order = [int(index) for index in rest[iou <= iou_threshold]]
    return kept


def decode_yolo(
    output: FloatArray,
    class_count: int,
    *,
    scale: tuple[float, float],
    image_size: tuple[int, int],
    score_threshold: float,
    iou_threshold: float,
    max_detections: int,
) -> list[tuple[int, float, list[float]]]:
    """(class index, score, [x1, y1, x2, y2] in image pixels) from rows of cx, cy, w, h, scores.

    Accepts [N, 4+C], [1, N, 4+C] and the transposed [1, 4+C, N] that Ultralytics exports (when
    N = 4+C the layout is ambiguous and read as [N, 4+C]).
    Suppression is per class, detections ordered by score.
    """
    rows = np.asarray(output, dtype=np.float32)
    if rows.ndim == 3:
        if rows.shape[0] != 1:
            raise ValueError(f"Expected a batch of one, got output shape {rows.shape}.")
        rows = rows[0]
    width = 4 + class_count
    if rows.ndim != 2 or width not in rows.shape:
        raise ValueError(f"Expected rows of 4 + {class_count} values, got shape {output.shape}.")
    if rows.shape[1] != width:
        rows = rows.T
    class_scores = rows[:, 4:]
    classes = np.argmax(class_scores, axis=1)
    scores = class_scores[np.arange(len(rows)), classes]
    keep = scores >= score_threshold
    rows, classes, scores = rows[keep], classes[keep], scores[keep]
    scale_x, scale_y = scale
    centre_x, centre_y, box_w, box_h = (rows[:, index] for index in range(4))
    boxes = np.stack(
        [
            np.clip((centre_x - box_w / 2) * scale_x, 0, image_size[0]),
            np.clip((centre_y - box_h / 2) * scale_y, 0, image_size[1]),
            np.clip((centre_x + box_w / 2) * scale_x, 0, image_size[0]),
            np.clip((centre_y + box_h / 2) * scale_y, 0, image_size[1]),
        ],
        axis=1,
    )
    detections: list[tuple[int, float, list[float]]] = []
    for class_index in sorted(set(classes.tolist())):
        members = np.flatnonzero(classes == class_index)
        for kept in nms(boxes[members], scores[members], iou_threshold):
            index = members[kept]
            detections.append((int(class_index), float(scores[index]), boxes[index].tolist()))
    detections.sort(key=lambda detection: (-detection[1], detection[0], detection[2]))
    return detections[:max_detections]


def box_shape(label: str, points: Sequence[float]) -> Shape:
    rounded = [round(float(value), DECIMALS) for value in points]
    shape_id = uuid.uuid5(_SHAPE_NAMESPACE, content_hash([label, rounded]))
    return {
        "id": str(shape_id),
        "label": label,
        "kind": "box",
        "points": rounded,
        "attributes": {},
        "occluded": False,
    }


class OnnxDetector:
    """A YOLO-style ONNX detector: input [1, 3, H, W] RGB in [0, 1], output boxes + class scores.

    The image is resized to the model's input (no letterbox) and boxes scaled back. `class_labels`
    names the label of each class index; classes whose label is not a box label of the schema
    passed to `predict` are dropped.
    """

    def __init__(
        self,
        model: bytes | str | Path,
        class_labels: Sequence[str],
        *,
        input_size: tuple[int, int] | None = None,
        score_threshold: float = 0.25,
        iou_threshold: float = 0.45,
        max_detections: int = 300,
    ) -> None:
        import onnxruntime

        model_bytes = model if isinstance(model, bytes) else Path(model).read_bytes()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # Celery workers are the unit of parallelism
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            model_bytes, sess_options=options, providers=["CPUExecutionProvider"]
        )
        model_input = self._session.get_inputs()[0]
        self._input_name: str = model_input.name
        self.input_size = input_size or self._static_size(model_input.shape)
        self.class_labels = list(class_labels)
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold
        self.max_detections = max_detections
        self.fingerprint: JsonValue = {
            "model": hashlib.sha256(model_bytes).hexdigest(),
            "classes": self.class_labels,
            "input_size": list(self.input_size),
            "score_threshold": score_threshold,
            "iou_threshold": iou_threshold,
            "max_detections": max_detections,
        }

    @staticmethod
    def _static_size(shape: Sequence[Any]) -> tuple[int, int]:
        height, width = shape[2], shape[3]
        if not isinstance(width, int) or not isinstance(height, int):
            raise ValueError("The model's input size is dynamic: pass input_size=(width, height).")
        return width, height

    def predict(
        self, image: Image.Image, labels: list[dict[str, Any]]
    ) -> list[tuple[Shape, float]]:
        width, height = self.input_size
        resized = image.convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
        tensor = np.asarray(resized, dtype=np.float32).transpose(2, 0, 1)[np.newaxis] / 255.0
        output = self._session.run(None, {self._input_name: tensor})[0]
        detections = decode_yolo(
            output,
            len(self.class_labels),
            scale=(image.width / width, image.height / height),
            image_size=(image.width, image.height),
            score_threshold=self.score_threshold,
            iou_threshold=self.iou_threshold,
            max_detections=self.max_detections,
        )
        box_labels = {label["name"] for label in labels if label.get("kind") == "box"}
        return [
            (box_shape(self.class_labels[class_index], points), round(score, DECIMALS))
            for class_index, score, points in detections
            if not labels or self.class_labels[class_index] in box_labels
        ]


def prediction_features(predictions: Sequence[tuple[Shape, float]]) -> dict[str, Any]:
    """Pre-annotations plus features for sorting the queue (most uncertain first).

    uncertainty = max over detections of 1 - |2 score - 1|: 1 when some score is 0.5, 0 when all
    are 0 or 1 (or there is none).
    """
    scores = [score for _, score in predictions]
    return {
        "predictions": [{"shape": shape, "score": score} for shape, score in predictions],
        "count": len(predictions),
        "max_score": max(scores, default=0.0),
        "mean_score": round(sum(scores) / len(scores), DECIMALS) if scores else 0.0,
        "uncertainty": round(max((1 - abs(2 * s - 1) for s in scores), default=0.0), DECIMALS),
    }


def predictor_step(
    predictor: Predictor,
    *,
    labels: list[dict[str, Any]],
    name: str = "predictions",
    version: int = 1,
    registry: Registry | None = None,
) -> Step:
    """Register a per-item step running `predictor` against the label schema `labels`."""
    if predictor.fingerprint is None:
        raise ValueError("A predictor needs a fingerprint (its weights' hash and settings).")
    schema = list(labels)

    def predictions(inputs: ItemInputs) -> dict[str, Any]:
        return prediction_features(predictor.predict(inputs.image(), schema))

    declared = Step(
        name=name,
        version=version,
        inputs=("image",),
        granularity="item",
        compute=predictions,
        config={"predictor": predictor.fingerprint, "labels": schema},
    )
    return (registry if registry is not None else default_registry).register(declared)
