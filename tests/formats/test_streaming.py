"""Exports stream: peak memory stays flat however many items pass through."""

import hashlib
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from formats.coco import write_coco
from formats.jsonl import write_jsonl
from formats.records import ItemRecord, ItemShapes
from tests.formats.samples import LABELS, shape

ITEMS = 5_000
# Measured peaks are ~12 KB; the outputs run past 1.6 MB, so holding them (or every
# annotation) would break this bound by far.
PEAK_BYTES = 100_000


class Digest:
    """A sink that keeps only a hash and a count of what was written."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass


def generated() -> Iterator[ItemShapes]:
    for item_id in range(1, ITEMS + 1):
        yield ItemShapes(
            ItemRecord(item_id, f"{item_id}.jpg", f"{item_id:064x}", 640, 480),
            [shape(item_id, "road", "polygon", [0.0, 0.0, 10.5, 0.0, 5.0, 8.25, 1.0, 7.0])],
        )


@pytest.mark.parametrize("writer", [write_coco, write_jsonl], ids=["coco", "jsonl"])
def test_export_of_5000_items_keeps_memory_flat(writer: Callable[..., Any]) -> None:
    sink = Digest()
    tracemalloc.start()
    try:
        writer(sink, labels=LABELS, items=generated)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert sink.size > 10 * PEAK_BYTES
    assert peak < PEAK_BYTES, f"peak {peak} bytes for {sink.size} bytes written"
