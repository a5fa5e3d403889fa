"""YOLO in the Ultralytics layout: data.yaml plus labels/<split>/<stem>.txt, in a zip.

One export is one Ultralytics task, chosen from the schema: "pose" when a class has keypoints,
else "segment" when a class is a polygon, else "detect". Every line of the export then has that
task's layout, since Ultralytics reads a whole dataset one way:
- detect:  class cx cy w h               (boxes, and the bounds of polygons, masks, cuboids)
- segment: class x1 y1 x2 y2 ...         (polygons; boxes as their (rotated) corners)
- pose:    class cx cy w h px py v ...   (keypoints; boxes with every keypoint absent)
Coordinates are normalised to [0, 1] with 6 decimals. Tags and polylines have no YOLO form;
masks are left out of segment exports (tracing outlines needs an image library). Class indexes
are 0-based positions in the label schema, so they match across versions.
"""

import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

import yaml

from formats import masks
from formats.geometry import Bounds, bounds, box_from_corners, is_rectangle, outline
from formats.importing import Schema, check_inside, make_shape, shape_id
from formats.records import FormatError, ImportedItem, ItemShapes, Label, Shape
from formats.streams import ItemSource, file_stem, in_item_order, label_positions
from formats.zipstream import ZipStream

SPLIT_FOLDERS = {"train": "train", "val": "val", "test": "test", "": "train"}


def yolo_task(labels: list[Label]) -> str:
    kinds = {label["kind"] for label in labels}
    if "keypoints" in kinds:
        return "pose"
    return "segment" if "polygon" in kinds else "detect"


def write_yolo(out: BinaryIO, *, labels: list[Label], items: ItemSource) -> None:
    """Stream data.yaml, then one label file per item (empty when it has no objects)."""
    task = yolo_task(labels)
    classes = label_positions(labels)
    keypoint_count = _keypoint_count(labels) if task == "pose" else 0
    with ZipStream(out) as archive:
        archive.write("data.yaml", _data_yaml(labels, keypoint_count))
        for entry in in_item_order(items):
            # Unassigned items train: Ultralytics has no place for them otherwise.
            folder = SPLIT_FOLDERS[entry.item.split]
            lines = _label_lines(entry, task, classes, keypoint_count)
            archive.write(f"labels/{folder}/{file_stem(entry.item.file_name)}.txt", lines)


def _keypoint_count(labels: list[Label]) -> int:
    counts = {len(label["keypoints"]) for label in labels if label["kind"] == "keypoints"}
    if len(counts) != 1:
        raise ValueError("YOLO pose needs every keypoints class to have as many keypoints.")
    return counts.pop()


def _data_yaml(labels: list[Label], keypoint_count: int) -> bytes:
    # No "path": Ultralytics then resolves the folders beside data.yaml, wherever it is pulled.
    document: dict[str, Any] = {"train": "images/train", "val": "images/val", "test": "images/test"}
    if keypoint_count:
        document["kpt_shape"] = [keypoint_count, 3]
    document["names"] = {index: label["name"] for index, label in enumerate(labels)}
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return text.encode("utf-8")


def _label_lines(entry: ItemShapes, task: str, classes: dict[str, int], count: int) -> bytes:
    width, height = entry.item.width, entry.item.height
    lines = []
    for shape in entry.shapes:
        values = _values(shape, task, width, height, count)
        if values is not None:
            lines.append(" ".join([str(classes[shape["label"]]), *values]) + "\n")
    return "".join(lines).encode("ascii")


def _values(shape: Shape, task: str, width: int, height: int, count: int) -> list[str] | None:
    kind = shape["kind"]
    if task == "segment":
        if kind not in ("box", "polygon"):
            return None
        return _normalised(outline(shape), width, height)
    if task == "pose" and kind not in ("box", "keypoints"):
        return None
    if kind in ("tag", "polyline"):
        return None
    box = bounds(shape)
    if box is None:
        return None
    values = _box_values(box, width, height)
    if task == "pose":
        values += _keypoint_values(shape, width, height, count)
    return values


def _box_values(box: Bounds, width: int, height: int) -> list[str]:
    x1, y1, x2, y2 = _clamped(box, width, height)
    return [_fixed(v) for v in ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1)]


def _keypoint_values(shape: Shape, width: int, height: int, count: int) -> list[str]:
    if shape["kind"] != "keypoints":
        return ["0.000000", "0.000000", "0"] * count
    points = shape["points"]
    values: list[str] = []
    for index in range(0, len(points), 3):
        visibility = int(points[index + 2])
        if visibility:
            values += _normalised(points[index : index + 2], width, height) + [str(visibility)]
        else:
            values += ["0.000000", "0.000000", "0"]
    return values


def _normalised(points: Sequence[float], width: int, height: int) -> list[str]:
    """x/width, y/height clamped into the image (a turned box may poke out; YOLO cannot)."""
    scale = (width, height)
    return [_fixed(min(max(float(v) / scale[i % 2], 0.0), 1.0)) for i, v in enumerate(points)]


def _clamped(box: Bounds, width: int, height: int) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = box
    return (
        min(max(x1, 0.0), width) / width,
        min(max(y1, 0.0), height) / height,
        min(max(x2, 0.0), width) / width,
        min(max(y2, 0.0), height) / height,
    )


def _fixed(value: float) -> str:
    return f"{value:.6f}"


def read_yolo(
    fp: IO[bytes], *, labels: list[Label], image_sizes: Mapping[str, tuple[int, int]]
) -> list[ImportedItem]:
    """Read an Ultralytics zip; `image_sizes` maps each image stem to (width, height).

    Classes go through data.yaml's names when the zip has one (a vendor's own class order),
    else straight to the schema's positions. A trailing confidence becomes the shape's score.
    ImportedItem.file_name is the stem: YOLO never names the image file itself. `fp` must be
    seekable, as every zip reader needs.
    """
    try:
        archive = zipfile.ZipFile(fp)
    except zipfile.BadZipFile:
        raise FormatError("Not a zip archive.", location="upload") from None
    with archive:
        names = sorted(archive.namelist())
        yaml_name = next((n for n in names if n.rsplit("/", 1)[-1] in _YAML_NAMES), None)
        layout = _read_layout(archive, yaml_name, Schema(labels))
        text_files = [n for n in names if n.endswith(".txt") and "labels/" in f"/{n}"]
        return [_read_label_file(archive, name, layout, image_sizes) for name in text_files]


_YAML_NAMES = ("data.yaml", "dataset.yaml")


@dataclass(frozen=True)
class _Layout:
    """How to read the lines: class index -> label, and the pose keypoint layout if any."""

    classes: list[Label]
    keypoint_count: int = 0
    keypoint_dims: int = 3


def _read_layout(archive: zipfile.ZipFile, yaml_name: str | None, schema: Schema) -> _Layout:
    if yaml_name is None:
        pose = yolo_task(schema.labels) == "pose"
        return _Layout(schema.labels, _keypoint_count(schema.labels) if pose else 0)
    try:
        document = yaml.safe_load(archive.read(yaml_name))
    except yaml.YAMLError as error:
        raise FormatError(f"Malformed YAML: {error}", location=yaml_name) from None
    names = document.get("names") if isinstance(document, dict) else None
    if isinstance(names, dict):
        names = [names[key] for key in sorted(names)]
    if not isinstance(names, list):
        raise FormatError("data.yaml needs its class names.", location=f"{yaml_name}: names")
    unknown = [repr(name) for name in names if name not in schema.by_name]
    if unknown:
        message = f"Unknown categories {', '.join(unknown)}."
        raise FormatError(message, location=f"{yaml_name}: names")
    kpt_shape = document.get("kpt_shape") or [0, 3]
    if not (isinstance(kpt_shape, list) and len(kpt_shape) == 2 and kpt_shape[1] in (2, 3)):
        raise FormatError("kpt_shape must be [count, 2 or 3].", location=f"{yaml_name}: kpt_shape")
    classes = [schema.by_name[name] for name in names]
    return _Layout(classes, int(kpt_shape[0]), int(kpt_shape[1]))


def _read_label_file(
    archive: zipfile.ZipFile, name: str, layout: _Layout, sizes: Mapping[str, tuple[int, int]]
) -> ImportedItem:
    stem = file_stem(name)
    if stem not in sizes:
        raise FormatError(f"No image {stem!r} in the project.", location=name)
    width, height = sizes[stem]
    try:
        text = archive.read(name).decode("ascii")
    except UnicodeDecodeError:
        raise FormatError("Label files are ASCII numbers.", location=name) from None
    shapes: list[Shape] = []
    scores: dict[str, float] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            location = f"{name}, line {number}"
            shape, score = _read_line(
                line, layout, (width, height), shape_id(stem, len(shapes)), location
            )
            check_inside(shape, width, height, location=location)
            shapes.append(shape)
            if score is not None:
                scores[shape["id"]] = score
    return ImportedItem(stem, None, shapes, scores)


def _read_line(
    line: str, layout: _Layout, size: tuple[int, int], new_id: str, location: str
) -> tuple[Shape, float | None]:
    fields = line.split()
    try:
        label = layout.classes[int(fields[0])] if int(fields[0]) >= 0 else None
        values = [float(field) for field in fields[1:]]
    except (ValueError, IndexError):
        label, values = None, []
    if label is None:
        raise FormatError("Expected a class index and numbers.", location=location)
    box, polygon, keypoints, score = _split_values(values, layout, location)
    width, height = size
    kind = label["kind"]
    if kind == "keypoints":
        if keypoints is None or len(keypoints) != 3 * len(label["keypoints"]):
            raise FormatError(f"Expected a pose line for {label['name']!r}.", location=location)
        return make_shape(shape_id=new_id, label=label, points=_pixels(keypoints, size, 3)), score
    if polygon is None:
        polygon = _corners(box or [])
    pixels = _pixels(polygon, size, 2)
    if kind == "box":
        points, rotation = _box_from_polygon(pixels)
        return make_shape(shape_id=new_id, label=label, points=points, rotation=rotation), score
    if kind == "polygon":
        return make_shape(shape_id=new_id, label=label, points=pixels), score
    if kind == "mask":
        rle = masks.from_segmentation([pixels], height, width)
        _, mask_box = masks.area_and_bounds(rle)
        points = list(mask_box)
        return make_shape(
            shape_id=new_id, label=label, points=points, rle=masks.to_counts(rle)
        ), score
    raise FormatError(f"YOLO cannot carry {kind} shapes ({label['name']!r}).", location=location)


def _split_values(
    values: list[float], layout: _Layout, location: str
) -> tuple[list[float] | None, list[float] | None, list[float] | None, float | None]:
    """(box cx cy w h, polygon, keypoints [x y v]*K, score) as the line's length says."""
    if layout.keypoint_count:
        expected = 4 + layout.keypoint_count * layout.keypoint_dims
        if len(values) not in (expected, expected + 1):
            raise FormatError(
                f"A pose line has {expected} numbers after the class.", location=location
            )
        score = values[expected] if len(values) > expected else None
        raw = values[4:expected]
        keypoints = (
            raw
            if layout.keypoint_dims == 3
            else [v for i in range(0, len(raw), 2) for v in (raw[i], raw[i + 1], 2.0)]
        )
        if any(v not in (0.0, 1.0, 2.0) for v in keypoints[2::3]):
            raise FormatError("Keypoint visibility is 0, 1 or 2.", location=location)
        return values[:4], None, keypoints, score
    if len(values) in (4, 5):
        return values[:4], None, None, values[4] if len(values) == 5 else None
    if len(values) < 6:
        raise FormatError("Expected 4 box numbers or 3+ polygon vertices.", location=location)
    score = values[-1] if len(values) % 2 else None
    return None, values[: len(values) // 2 * 2], None, score


def _corners(box: list[float]) -> list[float]:
    cx, cy, w, h = box
    x1, y1, x2, y2 = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
    return [x1, y1, x2, y1, x2, y2, x1, y2]


def _pixels(values: Sequence[float], size: tuple[int, int], stride: int) -> list[float]:
    """Normalised [x, y, (v)] back to pixels; a pose visibility stays as it is."""
    width, height = size
    scale = (width, height, 1.0)[:stride]
    return [v * scale[i % stride] for i, v in enumerate(values)]


def _box_from_polygon(polygon: list[float]) -> tuple[list[float], float]:
    if is_rectangle(polygon) and polygon[1] != polygon[3] and polygon[0] != polygon[2]:
        return box_from_corners(polygon)
    xs, ys = polygon[0::2], polygon[1::2]
    return [min(xs), min(ys), max(xs), max(ys)], 0.0
