"""COCO annotations of plain boxes written column by column from ShapeColumns (numpy for the
numbers, Arrow for the text), byte for byte what formats.coco writes one dict at a time.

Numbers follow formats.geometry.number: rounded half-even to cents, integral values without a
fraction. Whole cents are exact in a float below 2**52 / 100, so `rint(v * 100)` gives
`round(v, 2)` in cents except where v * 100 rounds onto a half cent that v itself is not (then
only Python's exact decimal rounding knows the side): such items, and any item with a shape the
columns do not fully describe, are left to the caller's dict path.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formats.records import SHAPE_KINDS
from formats.streams import DETAILED, NO_KIND, OCCLUDED, ShapeColumns

BOX = SHAPE_KINDS.index("box")
# Beyond this a cent is no longer exact in a float (and Python would write the integral
# values of a large area without an exponent, where Arrow's shortest form would not matter).
LIMIT = 1e12
_FRACTIONS = [""] + [f".{c:02d}".rstrip("0") for c in range(1, 100)]


@dataclass(frozen=True)
class RenderedBoxes:
    """A run of items: `plain[i]` when item i's annotations are in `text` (its bytes between
    `ends[i - 1]` and `ends[i]`, each annotation led by ",\\n"); `counts[i]` annotations in any
    case, the first numbered `first_ids[i]`."""

    plain: NDArray[np.bool_]
    counts: NDArray[np.int64]
    first_ids: NDArray[np.int64]
    ends: NDArray[np.int64]
    text: memoryview


def render_boxes(
    columns: ShapeColumns,
    first: int,
    stop: int,
    *,
    item_ids: Sequence[int],
    category_ids: NDArray[np.int64],
    written_kinds: Sequence[str],
    first_id: int,
) -> RenderedBoxes:
    """Items first..stop-1 of `columns`; `category_ids[label]` is a label position's id."""
    begin, end = int(columns.starts[first]), int(columns.starts[stop])
    sizes = np.diff(columns.starts[first : stop + 1])
    item_of_row = np.repeat(np.arange(stop - first), sizes)
    kind, flags, label = (c[begin:end] for c in (columns.kind, columns.flags, columns.label))
    written = np.isin(kind, [SHAPE_KINDS.index(name) for name in written_kinds])
    x1, y1, x2, y2 = (c[begin:end] for c in (columns.x1, columns.y1, columns.x2, columns.y2))
    with np.errstate(all="ignore"):
        values = np.stack([(x2 - x1) * (y2 - y1), x1, y1, x2 - x1, y2 - y1, x2, y2])
        cents = np.rint(values * 100)
        undecided = (np.abs(values * 100 - cents) == 0.5) & (values * 8 != np.trunc(values * 8))
        outside = ~(np.abs(values) < LIMIT)
    odd = (kind != BOX) | (flags & DETAILED != 0) | (label < 0) | undecided.any(0) | outside.any(0)
    bad = (kind == NO_KIND) | (written & odd)
    plain = np.bincount(item_of_row, weights=bad, minlength=stop - first) == 0
    counts = np.bincount(item_of_row, weights=written, minlength=stop - first).astype(np.int64)
    first_ids = first_id + np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    kept = written & plain[item_of_row]
    ids = (first_id + np.cumsum(written) - 1)[kept]
    images = np.asarray(item_ids, dtype=np.int64)[item_of_row[kept]]
    text = _lines(
        cents[:, kept].astype(np.int64),
        category_ids[label[kept]],
        ids,
        images,
        (flags[kept] & OCCLUDED) != 0,
    )
    per_item = np.bincount(item_of_row[kept], minlength=stop - first).astype(np.int64)
    offsets = _offsets(text)
    ends = offsets[np.cumsum(per_item)] - offsets[0]
    return RenderedBoxes(plain, counts, first_ids, ends, _data(text, offsets))


def _lines(
    cents: NDArray[np.int64],
    categories: NDArray[np.int64],
    ids: NDArray[np.int64],
    images: NDArray[np.int64],
    occluded: NDArray[np.bool_],
) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    count = cents.shape[1]
    if not count:
        return pa.array([], pa.string())
    # Literal pieces cost the join more than array pieces: the lists are joined by their
    # separator first, so the last join has few literals.
    numbers = _numbers(cents.ravel())
    area, left, top, width, height, right, bottom = (
        numbers.slice(index * count, count) for index in range(7)
    )

    def whole(values: NDArray[np.int64]) -> Any:
        return pc.cast(pa.array(values), pa.string(), memory_pool=_pool())

    flags = pc.take(
        pa.array(["false", "true"]), pa.array(occluded.astype(np.int8)), memory_pool=_pool()
    )
    bbox = pc.binary_join_element_wise(left, top, width, height, ",", memory_pool=_pool())
    outline = pc.binary_join_element_wise(
        left, top, right, top, right, bottom, left, bottom, ",", memory_pool=_pool()
    )
    pieces = [
        ',\n{"area":', area, ',"attributes":{},"bbox":[', bbox,
        '],"category_id":', whole(categories), ',"id":', whole(ids),
        ',"image_id":', whole(images), ',"iscrowd":0,"occluded":', flags,
        ',"segmentation":[[', outline, "]]}",
    ]  # fmt: skip
    return pc.binary_join_element_wise(*pieces, "", memory_pool=_pool())


def _numbers(cents: NDArray[np.int64]) -> Any:
    """Cents as formats.geometry.number writes their value: "12", "12.5", "-0.05"."""
    import pyarrow as pa
    import pyarrow.compute as pc

    magnitude = np.abs(cents)
    pieces = [
        pc.cast(pa.array(magnitude // 100), pa.string(), memory_pool=_pool()),
        pc.take(pa.array(_FRACTIONS), pa.array(magnitude % 100), memory_pool=_pool()),
    ]
    if (cents < 0).any():
        signs = pa.array((cents < 0).astype(np.int8))
        pieces.insert(0, pc.take(pa.array(["", "-"]), signs, memory_pool=_pool()))
    return pc.binary_join_element_wise(*pieces, "", memory_pool=_pool())


def _pool() -> Any:
    """malloc's pool, not Arrow's default (mimalloc), which kept ~15 MB of a 100k-item
    export's freed strings resident: the export's peak RSS is held to a budget."""
    import pyarrow as pa

    return pa.system_memory_pool()


def _offsets(text: Any) -> NDArray[np.int64]:
    buffer = text.buffers()[1]
    offsets = np.frombuffer(buffer, dtype=np.int32, count=len(text) + 1, offset=4 * text.offset)
    return offsets.astype(np.int64)


def _data(text: Any, offsets: NDArray[np.int64]) -> memoryview:
    if not len(text):
        return memoryview(b"")
    return memoryview(text.buffers()[2])[int(offsets[0]) : int(offsets[-1])]
