"""COCO: detection, polygon and RLE segmentation, keypoints with skeletons.

Export: category ids are 1-based positions in the label schema; boxes carry their (possibly
rotated) outline as a polygon so `annToMask` works on every annotation that has an area; masks are
compressed RLE. Tags, polylines and cuboids have no COCO form and are left out (JSONL and Parquet
keep them). Loupe attributes go in an `attributes` dict, and `iscrowd` is 1 when a shape has a
true "iscrowd" attribute.
"""

from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from formats import masks
from formats.geometry import (
    bounds,
    box_from_corners,
    is_rectangle,
    number,
    outline,
    shape_area,
)
from formats.importing import Schema, check_attributes, check_inside, make_shape, numbers, shape_id
from formats.jsontext import dumps, loads, string, write_array, write_encoded
from formats.records import FormatError, ImportedItem, ItemRecord, ItemShapes, Label, Shape
from formats.streams import (
    ItemSource,
    ShapeColumns,
    in_item_order,
    item_records,
    label_positions,
)

WRITTEN_KINDS = ("box", "polygon", "mask", "keypoints")
RUN_ITEMS = 500


def write_coco(
    out: BinaryIO,
    *,
    labels: list[Label],
    items: ItemSource,
    info: dict[str, Any] | None = None,
) -> None:
    """Stream a COCO dataset: images in one pass over `items`, annotations in a second."""
    out.write(b'{"info":' + dumps(info or {}) + b',"licenses":[],"categories":[')
    write_array(out, (_category(index, label) for index, label in enumerate(labels)))
    out.write(b'],"images":[')
    write_encoded(out, (_image_text(record) for record in item_records(items)))
    out.write(b'],"annotations":[')
    _write_annotations(out, labels, items)
    out.write(b"]}\n")


def _category(index: int, label: Label) -> dict[str, Any]:
    category: dict[str, Any] = {"id": index + 1, "name": label["name"], "supercategory": ""}
    if label["kind"] == "keypoints":
        category["keypoints"] = list(label["keypoints"])
        category["skeleton"] = [[i + 1, j + 1] for i, j in label.get("skeleton") or []]
    return category


def _image(item: ItemRecord) -> dict[str, Any]:
    return {
        "id": item.item_id,
        "file_name": item.file_name,
        "width": item.width,
        "height": item.height,
        "sha256": item.sha256,
        "split": item.split,
        "tags": list(item.tags),
        "metadata": item.metadata,
    }


def _image_text(item: ItemRecord) -> bytes:
    """`dumps(_image(item))` without building and encoding a dict per image (the encoder's
    cost per call was a tenth of a 100k-image export), for the usual field types."""
    plain = type(item.item_id) is int and type(item.width) is int and type(item.height) is int
    if not (plain and type(item.file_name) is str and type(item.sha256) is str):
        return dumps(_image(item))
    if type(item.split) is not str:
        return dumps(_image(item))
    return (
        f'{{"file_name":{string(item.file_name)},"height":{item.height},"id":{item.item_id},'
        f'"metadata":{_object(item.metadata)},"sha256":{string(item.sha256)},'
        f'"split":{string(item.split)},"tags":{_object(list(item.tags))},"width":{item.width}}}'
    ).encode()


def _object(value: Any) -> str:
    return "{}" if value == {} else "[]" if value == [] else dumps(value).decode("utf-8")


class _Annotations:
    """The annotations array's elements, numbered from 1 in item order, written as they come:
    an item's dicts one by one, or a run of plain boxes' text at once (formats.coco_boxes)."""

    def __init__(self, out: BinaryIO, labels: list[Label]) -> None:
        self.out = out
        self.category_ids = {name: index + 1 for name, index in label_positions(labels).items()}
        self.next_id = 1
        self.separator = b"\n"  # then ",\n", as write_array does

    def entry(self, entry: ItemShapes) -> None:
        for shape in entry.shapes:
            if shape["kind"] not in WRITTEN_KINDS:
                continue
            category_id = self.category_ids[shape["label"]]
            self.out.write(
                self.separator + dumps(_annotation(shape, entry, category_id, self.next_id))
            )
            self.separator = b",\n"
            self.next_id += 1

    def run(self, entries: list[ItemShapes], columns: ShapeColumns, first: int) -> None:
        """Entries that are items first.. of `columns`, in order; a few hundred at a time, as
        the columns' temporaries grow with the run (and the peak RSS with them)."""
        for offset in range(0, len(entries), RUN_ITEMS):
            self._run(entries[offset : offset + RUN_ITEMS], columns, first + offset)

    def _run(self, entries: list[ItemShapes], columns: ShapeColumns, first: int) -> None:
        import numpy as np

        from formats.coco_boxes import render_boxes

        rendered = render_boxes(
            columns,
            first,
            first + len(entries),
            item_ids=[entry.item.item_id for entry in entries],
            category_ids=np.array(list(self.category_ids.values()), dtype=np.int64),
            written_kinds=WRITTEN_KINDS,
            first_id=self.next_id,
        )
        start = 0  # of the text not yet written
        for index, entry in enumerate(entries):
            if rendered.plain[index]:
                continue
            self.text(rendered.text[start : rendered.ends[index - 1] if index else 0])
            start = int(rendered.ends[index])
            self.next_id = int(rendered.first_ids[index])
            self.entry(entry)
            if self.next_id != rendered.first_ids[index] + rendered.counts[index]:
                raise RuntimeError(f"Item {entry.item.item_id}: annotations miscounted.")
        self.text(rendered.text[start:])
        self.next_id = (
            int(rendered.first_ids[-1] + rendered.counts[-1]) if entries else self.next_id
        )

    def text(self, text: memoryview) -> None:
        """Annotations each led by ",\n"."""
        if not text:
            return
        if self.separator == b"\n":
            self.out.write(b"\n")
            text = text[2:]
        self.out.write(text)
        self.separator = b",\n"


def _write_annotations(out: BinaryIO, labels: list[Label], items: ItemSource) -> None:
    """Entries that offer their shapes as numbers (HasShapeColumns) go in runs, one per
    stretch of a ShapeColumns table; the rest one dict at a time."""
    annotations = _Annotations(out, labels)
    names = list(annotations.category_ids)
    run: list[ItemShapes] = []
    table: ShapeColumns | None = None
    first = 0

    def flush() -> None:
        if run and table is not None:
            annotations.run(run, table, first)
        run.clear()

    for entry in in_item_order(items):
        offered = getattr(entry, "shape_columns", None)
        found = offered(names) if offered is not None else None
        if found is None:
            flush()
            annotations.entry(entry)
            continue
        if run and (found[0] is not table or found[1] != first + len(run)):
            flush()
        if not run:
            table, first = found
        run.append(entry)
    flush()


def _annotation(
    shape: Shape, entry: ItemShapes, category_id: int, annotation_id: int
) -> dict[str, Any]:
    attributes = shape.get("attributes") or {}
    annotation: dict[str, Any] = {
        "id": annotation_id,
        "image_id": entry.item.item_id,
        "category_id": category_id,
        "iscrowd": 1 if attributes.get("iscrowd") is True else 0,
        "attributes": attributes,
        "occluded": bool(shape.get("occluded")),
    }
    if shape.get("score") is not None:
        annotation["score"] = float(shape["score"])
    annotation.update(_geometry(shape))
    return annotation


def _geometry(shape: Shape) -> dict[str, Any]:
    kind = shape["kind"]
    if kind == "box" and not shape.get("rotation"):
        # The common case, what the general path below computes for an unturned box.
        x1, y1, x2, y2 = (float(value) for value in shape["points"])
        left, top, right, bottom = number(x1), number(y1), number(x2), number(y2)
        return {
            "area": number((x2 - x1) * (y2 - y1)),
            "bbox": [left, top, number(x2 - x1), number(y2 - y1)],
            "segmentation": [[left, top, right, top, right, bottom, left, bottom]],
        }
    if kind == "mask":
        compressed = masks.compress(shape["rle"])
        area, box = masks.area_and_bounds(compressed)
        return {"segmentation": masks.to_json(compressed), "area": area, "bbox": _xywh(box)}
    geometry: dict[str, Any] = {"area": number(shape_area(shape)), "bbox": _xywh(bounds(shape))}
    if kind == "keypoints":
        points = [float(value) for value in shape["points"]]
        for index in range(0, len(points), 3):
            if not points[index + 2]:
                # COCO writes an unlabelled keypoint as 0,0,0 whatever the editor left behind.
                points[index : index + 2] = [0.0, 0.0]
        geometry["keypoints"] = [number(value) for value in points]
        geometry["num_keypoints"] = sum(1 for v in points[2::3] if v > 0)
        geometry["segmentation"] = []
    else:
        geometry["segmentation"] = [[number(value) for value in outline(shape)]]
    return geometry


def _xywh(box: tuple[float, float, float, float] | None) -> list[float | int]:
    if box is None:
        return [0, 0, 0, 0]
    x1, y1, x2, y2 = box
    return [number(x1), number(y1), number(x2 - x1), number(y2 - y1)]


def read_coco(fp: IO[bytes], *, labels: list[Label], name: str = "coco.json") -> list[ImportedItem]:
    """Read a COCO file into one ImportedItem per image; `score` on an annotation is kept.

    A whole COCO file is one JSON document, so it is parsed at once; imports are bounded by
    the upload size, unlike exports.
    """
    document = loads(fp.read(), location=name)
    if not isinstance(document, dict):
        raise FormatError("Expected a COCO object with images and annotations.", location=name)
    schema = Schema(labels)
    categories = _read_categories(_list(document, "categories", name), schema, name)
    images = _read_images(_list(document, "images", name), name)
    shapes: dict[int, list[Shape]] = {image_id: [] for image_id in images}
    scores: dict[int, dict[str, float]] = {image_id: {} for image_id in images}
    for index, annotation in enumerate(_list(document, "annotations", name)):
        location = f"{name}: annotations[{index}]"
        image_id, label, score = _annotation_head(annotation, images, categories, location)
        image = images[image_id]
        for shape in _read_geometry(annotation, label, image, len(shapes[image_id]), location):
            check_inside(shape, image.width, image.height, location=location)
            shapes[image_id].append(shape)
            if score is not None:
                scores[image_id][shape["id"]] = score
    return [
        ImportedItem(image.file_name, image.sha256, shapes[image_id], scores[image_id])
        for image_id, image in images.items()
    ]


@dataclass(frozen=True)
class _Image:
    file_name: str
    sha256: str | None
    width: int
    height: int


def _list(document: dict[str, Any], key: str, name: str) -> list[Any]:
    value = document.get(key, [])
    if not isinstance(value, list):
        raise FormatError(f"{key!r} must be a list.", location=f"{name}: {key}")
    return value


def _read_categories(value: list[Any], schema: Schema, name: str) -> dict[int, Label]:
    categories: dict[int, Label] = {}
    unknown: list[str] = []
    for index, category in enumerate(value):
        location = f"{name}: categories[{index}]"
        if not isinstance(category, dict) or not isinstance(category.get("id"), int):
            raise FormatError("A category needs an integer id and a name.", location=location)
        label = schema.by_name.get(str(category.get("name")))
        if label is None:
            unknown.append(str(category.get("name")))
        else:
            categories[category["id"]] = label
    if unknown:
        names = ", ".join(repr(n) for n in unknown)
        raise FormatError(f"Unknown categories {names}.", location=f"{name}: categories")
    return categories


def _read_images(value: list[Any], name: str) -> dict[int, _Image]:
    images: dict[int, _Image] = {}
    for index, image in enumerate(value):
        location = f"{name}: images[{index}]"
        ok = isinstance(image, dict) and isinstance(image.get("file_name"), str)
        ok = ok and _whole(image.get("id"), 0) and _whole(image.get("width"), 1)
        ok = ok and _whole(image.get("height"), 1)
        if not ok:
            raise FormatError("An image needs id, file_name, width and height.", location=location)
        sha256 = image.get("sha256") if isinstance(image.get("sha256"), str) else None
        images[image["id"]] = _Image(image["file_name"], sha256, image["width"], image["height"])
    return images


def _whole(value: Any, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _annotation_head(
    annotation: Any, images: dict[int, _Image], categories: dict[int, Label], location: str
) -> tuple[int, Label, float | None]:
    if not isinstance(annotation, dict):
        raise FormatError("An annotation must be an object.", location=location)
    if annotation.get("image_id") not in images:
        raise FormatError(f"No image {annotation.get('image_id')!r}.", location=location)
    if annotation.get("category_id") not in categories:
        raise FormatError(f"No category {annotation.get('category_id')!r}.", location=location)
    score = annotation.get("score")
    if score is not None:
        score = numbers([score], location=f"{location}.score")[0]
    return annotation["image_id"], categories[annotation["category_id"]], score


def _read_geometry(
    annotation: dict[str, Any], label: Label, image: _Image, first: int, location: str
) -> list[Shape]:
    """The Loupe shapes of one annotation: the label's kind says which COCO fields to read."""
    attributes = check_attributes(annotation.get("attributes"), label, location=location)
    occluded = annotation.get("occluded") is True
    parts: list[tuple[list[float], float, masks.Rle | None]] = []
    kind = label["kind"]
    if kind == "box":
        points, rotation = _read_box(annotation, location)
        parts.append((points, rotation, None))
    elif kind == "keypoints":
        count = 3 * len(label["keypoints"])
        points = numbers(annotation.get("keypoints"), location=f"{location}.keypoints", count=count)
        parts.append((points, 0.0, None))
    elif kind == "mask":
        rle = _read_mask(annotation.get("segmentation"), image, f"{location}.segmentation")
        parts.append((rle[1], 0.0, rle[0]))
    elif kind == "polygon":
        polygons = _read_polygons(annotation.get("segmentation"), f"{location}.segmentation")
        parts.extend((polygon, 0.0, None) for polygon in polygons)
    else:
        raise FormatError(
            f"COCO cannot carry {kind} shapes ({label['name']!r}).", location=location
        )
    return [
        make_shape(
            shape_id=shape_id(image.file_name, first + offset),
            label=label,
            points=points,
            attributes=attributes,
            occluded=occluded,
            rotation=rotation,
            rle=rle,
        )
        for offset, (points, rotation, rle) in enumerate(parts)
    ]


def _read_box(annotation: dict[str, Any], location: str) -> tuple[list[float], float]:
    """A box from its outline when that is a turned rectangle (our rotated boxes), else bbox."""
    segmentation = annotation.get("segmentation")
    if isinstance(segmentation, list) and len(segmentation) == 1:
        corners = numbers(segmentation[0], location=f"{location}.segmentation[0]")
        if is_rectangle(corners) and corners[1] != corners[3]:
            return box_from_corners(corners)
    x, y, w, h = numbers(annotation.get("bbox"), location=f"{location}.bbox", count=4)
    if w <= 0 or h <= 0:
        raise FormatError("A bbox needs a positive width and height.", location=f"{location}.bbox")
    return [x, y, x + w, y + h], 0.0


def _read_polygons(segmentation: Any, location: str) -> list[list[float]]:
    if not isinstance(segmentation, list) or not segmentation:
        raise FormatError("A polygon class needs polygon segmentation.", location=location)
    polygons = []
    for index, polygon in enumerate(segmentation):
        points = numbers(polygon, location=f"{location}[{index}]")
        if len(points) < 6 or len(points) % 2:
            raise FormatError("A polygon needs 3 or more [x, y] vertices.", location=location)
        polygons.append(points)
    return polygons


def _read_mask(segmentation: Any, image: _Image, location: str) -> tuple[masks.Rle, list[float]]:
    """Loupe's uncompressed counts and bbox for a mask given as RLE or polygons."""
    rle_ok = isinstance(segmentation, dict) and isinstance(segmentation.get("counts"), str | list)
    if not (rle_ok or (isinstance(segmentation, list) and segmentation)):
        raise FormatError("A mask class needs an RLE or polygon segmentation.", location=location)
    if rle_ok and segmentation.get("size") != [image.height, image.width]:
        raise FormatError(f"RLE size must be [{image.height}, {image.width}].", location=location)
    try:
        compressed = masks.from_segmentation(segmentation, image.height, image.width)
    except (TypeError, ValueError) as error:
        raise FormatError(f"Unreadable segmentation: {error}.", location=location) from None
    area, box = masks.area_and_bounds(compressed)
    if not area:
        raise FormatError("The mask is empty.", location=location)
    return masks.to_counts(compressed), list(box)
