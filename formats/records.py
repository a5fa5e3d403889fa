"""The neutral records every codec speaks: items with their shapes out, imported items in.

Shapes are Loupe Shape JSON dicts exactly as DESIGN.md defines them, so a codec never invents a
second shape model. Labels are the project's label-schema dicts (see projects/schema.py).
"""

from dataclasses import dataclass, field
from typing import Any

Label = dict[str, Any]
Shape = dict[str, Any]

SHAPE_KINDS = ("tag", "box", "polygon", "polyline", "keypoints", "cuboid", "mask")
SPLITS = ("train", "val", "test", "")


@dataclass(frozen=True)
class ItemRecord:
    item_id: int
    file_name: str
    sha256: str
    width: int
    height: int
    split: str = ""
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """The item as a JSON-ready dict, as JSONL lines and the Parquet items table hold it."""
        return {
            "item_id": self.item_id,
            "file_name": self.file_name,
            "sha256": self.sha256,
            "width": self.width,
            "height": self.height,
            "split": self.split,
            "tags": list(self.tags),
            "metadata": self.metadata,
        }


@dataclass(frozen=True)
class ItemShapes:
    """One item and its shapes; a shape may carry a float "score" beside its Shape JSON fields."""

    item: ItemRecord
    shapes: list[Shape]


@dataclass(frozen=True)
class ImportedItem:
    """An item read from a file: matched to a project item by file name (or sha256 when known)."""

    file_name: str
    sha256: str | None
    shapes: list[Shape]
    scores: dict[str, float] = field(default_factory=dict)


class FormatError(ValueError):
    """Malformed input, with where it was found (file, line or JSON path) for the import report."""

    def __init__(self, message: str, *, location: str) -> None:
        super().__init__(f"{location}: {message}")
        self.message = message
        self.location = location
