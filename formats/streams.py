"""Helpers every exporter shares: item order, label lookups and file stems."""

import posixpath
from collections.abc import Callable, Iterable, Iterator

from formats.records import ItemRecord, ItemShapes, Label

ItemSource = Callable[[], Iterable[ItemShapes]]


def in_item_order(items: ItemSource) -> Iterator[ItemShapes]:
    """Iterate a fresh pass of `items`, refusing any that is not sorted by item id.

    Sorting here would need the whole dataset in memory; the caller (a query ordered by id)
    sorts for free, and checking keeps a careless caller from silently changing the bytes.
    """
    previous: int | None = None
    for entry in items():
        item_id = entry.item.item_id
        if previous is not None and item_id <= previous:
            raise ValueError(f"Items must come sorted by item id ({item_id} after {previous}).")
        previous = item_id
        yield entry


def item_records(items: ItemSource) -> Iterator[ItemRecord]:
    """A fresh pass over the items alone, in item order. A source may offer `records`, a
    callable giving the ItemRecords without reading shapes (an export reads the shapes of a
    version once, not once per pass); otherwise the records come from a pass over `items`."""
    records: Callable[[], Iterable[ItemRecord]] | None = getattr(items, "records", None)
    if records is None:
        yield from (entry.item for entry in in_item_order(items))
        return
    previous: int | None = None
    for record in records():
        if previous is not None and record.item_id <= previous:
            raise ValueError(
                f"Items must come sorted by item id ({record.item_id} after {previous})."
            )
        previous = record.item_id
        yield record


def label_positions(labels: list[Label]) -> dict[str, int]:
    """0-based position of each label name: the stable class index every format derives from."""
    return {label["name"]: index for index, label in enumerate(labels)}


def file_stem(file_name: str) -> str:
    """The file name without folders or extension: how YOLO and VOC pair labels with images."""
    base = posixpath.basename(file_name.replace("\\", "/"))
    stem, _ = posixpath.splitext(base)
    return stem or base
