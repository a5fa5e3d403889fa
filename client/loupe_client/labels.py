"""Labels on disk in the chosen format, cut down to the pulled items and classes.

The server exports a whole version; filters are applied here, format by format, so the labels
never name an image that was not pulled. Unfiltered, the export's bytes are kept as they are.
Layouts (relative to the pull directory):
- coco:  labels/coco.json
- jsonl: labels/items.jsonl
- voc:   labels/Annotations/<sha256>.xml
- yolo:  data.yaml and labels/<split>/<sha256>.txt (Ultralytics pairs them with images/<split>/)
"""

import json
import posixpath
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

from loupe_client.errors import IntegrityError

FORMATS = ("coco", "yolo", "voc", "jsonl")


@dataclass(frozen=True)
class Selection:
    item_ids: frozenset[int]
    stems: frozenset[str]
    classes: frozenset[str] | None  # None: every class
    class_names: tuple[str, ...]  # schema order: YOLO's class indexes
    filtered: bool  # False: every item and class, keep the export's bytes


def write_labels(format_name: str, export: Path, staging: Path, selection: Selection) -> None:
    writers = {"coco": _coco, "jsonl": _jsonl, "voc": _voc, "yolo": _yolo}
    writers[format_name](export, staging, selection)


def _jsonl(export: Path, staging: Path, selection: Selection) -> None:
    target = staging / "labels" / "items.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not selection.filtered:
        shutil.copyfile(export, target)
        return
    with open(export, "rb") as lines, open(target, "wb") as out:
        out.write(next(lines))  # the header: format, version, label schema
        for line in lines:
            if not line.strip():
                continue
            item = json.loads(line)
            if item["item_id"] not in selection.item_ids:
                continue
            if selection.classes is not None:
                item["shapes"] = [s for s in item["shapes"] if s["label"] in selection.classes]
                line = _dumps(item) + b"\n"
            out.write(line)


def _coco(export: Path, staging: Path, selection: Selection) -> None:
    target = staging / "labels" / "coco.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not selection.filtered:
        shutil.copyfile(export, target)
        return
    with open(export, "rb") as stream:
        dataset = json.load(stream)
    # Categories stay whole: their ids are schema positions, the same in every pull.
    category_ids = {category["name"]: category["id"] for category in dataset["categories"]}
    kept_categories = (
        set(category_ids.values())
        if selection.classes is None
        else {category_ids[name] for name in selection.classes if name in category_ids}
    )
    dataset["images"] = [image for image in dataset["images"] if image["id"] in selection.item_ids]
    dataset["annotations"] = [
        annotation
        for annotation in dataset["annotations"]
        if annotation["image_id"] in selection.item_ids
        and annotation["category_id"] in kept_categories
    ]
    target.write_bytes(_dumps(dataset) + b"\n")


def _voc(export: Path, staging: Path, selection: Selection) -> None:
    for name, data in _members(export):
        stem = posixpath.splitext(posixpath.basename(name))[0]
        if not name.startswith("Annotations/") or stem not in selection.stems:
            continue
        if selection.classes is not None:
            data = _voc_objects_kept(data, selection.classes)
        _write(staging / "labels", name, data)


def _voc_objects_kept(data: bytes, classes: frozenset[str]) -> bytes:
    root = ElementTree.fromstring(data)
    for element in root.findall("object"):
        if element.findtext("name") not in classes:
            root.remove(element)
    ElementTree.indent(root)
    text: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return text + b"\n"


def _yolo(export: Path, staging: Path, selection: Selection) -> None:
    indexes = (
        None
        if selection.classes is None
        else {
            str(index)
            for index, name in enumerate(selection.class_names)
            if name in selection.classes
        }
    )
    for name, data in _members(export):
        if name.startswith("labels/"):
            stem = posixpath.splitext(posixpath.basename(name))[0]
            if stem not in selection.stems:
                continue
            if indexes is not None:
                lines = data.decode("ascii").splitlines(keepends=True)
                data = "".join(line for line in lines if line.split(" ", 1)[0] in indexes).encode()
        _write(staging, name, data)


def _members(archive_path: Path) -> Iterator[tuple[str, bytes]]:
    with zipfile.ZipFile(archive_path) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = info.filename
            parts = PurePosixPath(name).parts
            if name.startswith("/") or "\\" in name or ".." in parts:
                raise IntegrityError(f"Refused the export: it holds an unsafe path {name!r}.")
            yield name, archive.read(info)


def _write(root: Path, name: str, data: bytes) -> None:
    target = root.joinpath(*PurePosixPath(name).parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _dumps(value: Any) -> bytes:
    # The server's JSON style: compact, sorted keys, UTF-8.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def label_paths(staging: Path) -> Iterator[Path]:
    """Every file the labels put in a pull directory, relative to the staging root."""
    for path in sorted(staging.rglob("*")):
        if path.is_file():
            yield path.relative_to(staging)
