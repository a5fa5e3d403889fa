"""Perceptual hashes per item and near-duplicate groups over the version (leakage across splits)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import imagehash
import numpy as np
from numpy.typing import NDArray

from pipelines.inputs import DatasetInputs, ItemInputs
from pipelines.steps import step

#: Hashes at most this many bits apart (of 64) are near-duplicates.
MAX_DISTANCE = 6
# Pigeonhole: split the 64 bits into MAX_DISTANCE + 1 bands; two hashes within MAX_DISTANCE bits
# agree exactly on at least one band, so only hashes sharing a band value are ever compared.
_BANDS = ((0, 10), (10, 19), (19, 28), (28, 37), (37, 46), (46, 55), (55, 64))
# XOR-popcount comparisons per numpy block: a bucket of m hashes is compared in blocks of rows,
# which bounds memory, not results.
_BLOCK = 1 << 20

Indices = NDArray[np.intp]


@step(name="phash", version=1, inputs=("image",))
def phash(inputs: ItemInputs) -> dict[str, str]:
    return {"phash": str(imagehash.phash(inputs.image()))}


def near_duplicate_groups(
    hashes: dict[str, str], splits: dict[str, str], max_distance: int = MAX_DISTANCE
) -> dict[str, Any]:
    """Group item ids whose 64-bit hex hashes are within `max_distance` bits (transitively)."""
    if max_distance >= len(_BANDS):
        raise ValueError(f"max_distance must be below {len(_BANDS)} for the banded search.")
    item_ids = sorted(hashes)
    # Identical hashes are one node: synthetic or re-encoded images share hashes by the thousand,
    # and comparing copies pairwise is what made the search quadratic in the copies.
    values = np.fromiter((int(hashes[i], 16) for i in item_ids), np.uint64, len(item_ids))
    distinct, of_item = np.unique(values, return_inverse=True)
    labels = _components(distinct, max_distance)
    by_label: dict[int, list[str]] = defaultdict(list)
    for item_id, label in zip(item_ids, labels[of_item].tolist(), strict=True):
        by_label[label].append(item_id)
    listed = []
    for members_ids in sorted(by_label.values()):
        if len(members_ids) < 2:
            continue
        group_splits = sorted({splits.get(item_id, "") for item_id in members_ids})
        listed.append(
            {"items": members_ids, "splits": group_splits, "leakage": len(group_splits) > 1}
        )
    return {
        "max_distance": max_distance,
        "groups": listed,
        "leakage_warnings": sum(1 for group in listed if group["leakage"]),
    }


def _components(distinct: NDArray[np.uint64], max_distance: int) -> Indices:
    """A component label per distinct hash: linked when within `max_distance` bits, transitively."""
    parent = np.arange(len(distinct))
    for members in _band_buckets(distinct):
        values = distinct[members]
        rows_per_block = max(1, _BLOCK // len(members))
        for row_start in range(0, len(members), rows_per_block):
            rows = slice(row_start, row_start + rows_per_block)
            roots = _find(parent, members)
            # Pairs already linked (this band or an earlier one) are not linked again: a dense
            # cluster costs its comparisons, not millions of union operations.
            close = np.bitwise_count(values[rows, None] ^ values[None, :]) <= max_distance
            close &= roots[rows, None] != roots[None, :]
            row, column = np.nonzero(close)
            if len(row):
                _union(parent, roots[row + row_start], roots[column])
        parent[members] = _find(parent, members)
    return _find(parent, np.arange(len(distinct)))


def _band_buckets(distinct: NDArray[np.uint64]) -> Iterator[Indices]:
    """Indices of the hashes sharing one band value, for every band and value shared by two."""
    for start, end in _BANDS:
        band = (distinct >> np.uint64(start)) & np.uint64((1 << (end - start)) - 1)
        order = np.argsort(band, kind="stable")
        bounds = np.flatnonzero(np.diff(band[order])) + 1
        starts = np.concatenate(([0], bounds))
        ends = np.concatenate((bounds, [len(order)]))
        for bucket_start, bucket_end in zip(starts.tolist(), ends.tolist(), strict=True):
            if bucket_end - bucket_start > 1:
                yield order[bucket_start:bucket_end]


def _find(parent: Indices, nodes: Indices) -> Indices:
    roots = parent[nodes]
    while True:
        above = parent[roots]
        if np.array_equal(above, roots):
            return roots
        roots = above


def _union(parent: Indices, first: Indices, second: Indices) -> None:
    """Link each pair's components; a root always points to a lower index, so no cycle forms."""
    span = len(parent)
    pairs = np.unique(np.minimum(first, second) * span + np.maximum(first, second))
    low, high = pairs // span, pairs % span
    while len(low):
        np.minimum.at(parent, high, low)  # several pairs may share a root: the lowest wins now
        low, high = _find(parent, low), _find(parent, high)
        apart = low != high
        low, high = np.minimum(low, high)[apart], np.maximum(low, high)[apart]


@step(name="near_duplicates", version=1, inputs=("phash", "split"), granularity="dataset")
def near_duplicates(inputs: DatasetInputs) -> dict[str, Any]:
    hashes = inputs.upstream("phash")
    return near_duplicate_groups(
        {item_id: output["phash"] for item_id, output in hashes.items()},
        {item.item_id: inputs.split(item) for item in inputs.items},
    )
