"""Pure Python dataset codecs (no Django): COCO, Pascal VOC, YOLO, JSONL and Parquet.

Every exporter is `write_<format>(out, *, labels, items)`: `out` a binary stream, `labels` the
project's label schema, `items` a callable returning a fresh iterable of ItemShapes sorted by
item id (codecs may pass over it more than once and never hold the whole dataset).
"""

from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from formats.coco import read_coco, write_coco
from formats.jsonl import read_jsonl, write_jsonl
from formats.parquet import write_parquet
from formats.records import FormatError, ImportedItem, ItemRecord, ItemShapes, Label
from formats.streams import ItemSource
from formats.voc import read_voc, write_voc
from formats.yolo import read_yolo, write_yolo


class Writer(Protocol):
    def __call__(self, out: BinaryIO, *, labels: list[Label], items: ItemSource) -> Any: ...


@dataclass(frozen=True)
class Exporter:
    write: Writer
    extension: str
    media_type: str


EXPORTERS: dict[str, Exporter] = {
    "coco": Exporter(write_coco, ".json", "application/json"),
    "voc": Exporter(write_voc, ".zip", "application/zip"),
    "yolo": Exporter(write_yolo, ".zip", "application/zip"),
    "jsonl": Exporter(write_jsonl, ".jsonl", "application/jsonl"),
    "parquet": Exporter(write_parquet, ".zip", "application/zip"),
}

__all__ = [
    "EXPORTERS",
    "Exporter",
    "FormatError",
    "ImportedItem",
    "ItemRecord",
    "ItemShapes",
    "read_coco",
    "read_jsonl",
    "read_voc",
    "read_yolo",
    "write_coco",
    "write_jsonl",
    "write_parquet",
    "write_voc",
    "write_yolo",
]
