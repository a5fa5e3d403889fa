"""Loupe JSONL: lossless for every shape kind and attribute.

Line 1 is a header {"format": "loupe-jsonl", "version": 1, "labels": [...]}; every further
line is one item {item_id, file_name, sha256, width, height, split, tags, metadata, shapes}
with keys sorted, so the same version always gives the same bytes.
"""

from collections.abc import Iterator
from typing import IO, Any, BinaryIO

from formats.importing import Schema, check_shapes
from formats.jsontext import dumps, loads
from formats.records import FormatError, ImportedItem, ItemShapes, Label
from formats.streams import ItemSource, in_item_order

FORMAT = "loupe-jsonl"
VERSION = 1


def write_jsonl(out: BinaryIO, *, labels: list[Label], items: ItemSource) -> None:
    """Stream the header line, then one line per item in item-id order."""
    out.write(dumps({"format": FORMAT, "version": VERSION, "labels": labels}) + b"\n")
    for entry in in_item_order(items):
        out.write(dumps(_item_line(entry)) + b"\n")


def _item_line(entry: ItemShapes) -> dict[str, Any]:
    return {**entry.item.fields(), "shapes": entry.shapes}


def read_jsonl(
    fp: IO[bytes], *, labels: list[Label], name: str = "items.jsonl"
) -> Iterator[ImportedItem]:
    """Yield the items line by line; shapes keep their ids, scores move beside them.

    Lazy so a large file imports in flat memory; a FormatError can come at any line, so a job
    that must not half-import checks everything before it writes.
    """
    schema = Schema(labels)
    lines = iter(fp)
    _read_header(next(lines, b""), name)
    for number, line in enumerate(lines, start=2):
        if line.strip():
            yield _read_item(loads(line, location=name, first_line=number), schema, name, number)


def _read_header(line: bytes, name: str) -> None:
    location = f"{name}, line 1"
    header = loads(line, location=location) if line.strip() else None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise FormatError(f'Expected a {{"format": "{FORMAT}"}} header.', location=location)
    if header.get("version") != VERSION:
        raise FormatError(f"Unsupported version {header.get('version')!r}.", location=location)


def _read_item(line: Any, schema: Schema, name: str, number: int) -> ImportedItem:
    location = f"{name}, line {number}"
    if not isinstance(line, dict) or not isinstance(line.get("file_name"), str):
        raise FormatError("Expected an item object with a file_name.", location=location)
    width, height, shapes = line.get("width"), line.get("height"), line.get("shapes")
    if not (isinstance(width, int) and isinstance(height, int) and isinstance(shapes, list)):
        raise FormatError(
            "An item needs integer width, height and a shapes list.", location=location
        )
    sha256 = line.get("sha256") if isinstance(line.get("sha256"), str) else None
    clean, scores = check_shapes(shapes, schema, width, height, location=location)
    return ImportedItem(line["file_name"], sha256, clean, scores)
