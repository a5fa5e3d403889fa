"""Pure Python dataset codecs (no Django): COCO, Pascal VOC, YOLO, JSONL and Parquet.

Every exporter is `write_<format>(out, *, labels, items)`: `out` a binary stream, `labels` the
project's label schema, `items` a callable returning a fresh iterable of ItemShapes sorted by
item id (codecs may pass over it more than once and never hold the whole dataset).

The registry imports a codec only when it is used: `import formats.canonical` on the annotation
save path must not drag pyarrow and pycocotools into every web process.
"""

import importlib
from dataclasses import dataclass
from typing import Any, BinaryIO

from formats.records import Label
from formats.streams import ItemSource


@dataclass(frozen=True)
class Exporter:
    name: str
    extension: str
    media_type: str

    def write(
        self, out: BinaryIO, *, labels: list[Label], items: ItemSource, **options: Any
    ) -> None:
        """Call `formats.<name>.write_<name>` (options such as COCO's `info` pass through)."""
        module = importlib.import_module(f"formats.{self.name}")
        writer: Any = getattr(module, f"write_{self.name}")
        writer(out, labels=labels, items=items, **options)


EXPORTERS: dict[str, Exporter] = {
    exporter.name: exporter
    for exporter in (
        Exporter("coco", ".json", "application/json"),
        Exporter("voc", ".zip", "application/zip"),
        Exporter("yolo", ".zip", "application/zip"),
        Exporter("jsonl", ".jsonl", "application/jsonl"),
        Exporter("parquet", ".zip", "application/zip"),
    )
}
