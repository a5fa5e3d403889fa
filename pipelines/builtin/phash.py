"""Perceptual hashes per item and near-duplicate groups over the version (leakage across splits)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import imagehash

from pipelines.inputs import DatasetInputs, ItemInputs
from pipelines.steps import step

#: Hashes at most this many bits apart (of 64) are near-duplicates.
MAX_DISTANCE = 6
# Pigeonhole: split the 64 bits into MAX_DISTANCE + 1 bands; two hashes within MAX_DISTANCE bits
# agree exactly on at least one band, so only hashes sharing a band value are ever compared.
_BANDS = ((0, 10), (10, 19), (19, 28), (28, 37), (37, 46), (46, 55), (55, 64))


@step(name="phash", version=1, inputs=("image",))
def phash(inputs: ItemInputs) -> dict[str, str]:
    return {"phash": str(imagehash.phash(inputs.image()))}


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, index: int) -> int:
        while self.parent[index] != index:
            self.parent[index] = self.parent[self.parent[index]]
            index = self.parent[index]
        return index

    def union(self, first: int, second: int) -> None:
        root_first, root_second = self.find(first), self.find(second)
        if root_first != root_second:
            self.parent[max(root_first, root_second)] = min(root_first, root_second)


def near_duplicate_groups(
    hashes: dict[str, str], splits: dict[str, str], max_distance: int = MAX_DISTANCE
) -> dict[str, Any]:
    """Group item ids whose 64-bit hex hashes are within `max_distance` bits (transitively)."""
    if max_distance >= len(_BANDS):
        raise ValueError(f"max_distance must be below {len(_BANDS)} for the banded search.")
    item_ids = sorted(hashes)
    values = [int(hashes[item_id], 16) for item_id in item_ids]
    groups = _UnionFind(len(item_ids))
    for start, end in _BANDS:
        mask = (1 << (end - start)) - 1
        buckets: dict[int, list[int]] = defaultdict(list)
        for index, value in enumerate(values):
            buckets[(value >> start) & mask].append(index)
        for members in buckets.values():
            for position, first in enumerate(members):
                for second in members[position + 1 :]:
                    if groups.find(first) == groups.find(second):
                        continue  # already together: also skips pairs met in an earlier band
                    if (values[first] ^ values[second]).bit_count() <= max_distance:
                        groups.union(first, second)
    by_root: dict[int, list[str]] = defaultdict(list)
    for index, item_id in enumerate(item_ids):
        by_root[groups.find(index)].append(item_id)
    listed = []
    for members_ids in sorted(by_root.values()):
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


@step(name="near_duplicates", version=1, inputs=("phash", "split"), granularity="dataset")
def near_duplicates(inputs: DatasetInputs) -> dict[str, Any]:
    hashes = inputs.upstream("phash")
    return near_duplicate_groups(
        {item_id: output["phash"] for item_id, output in hashes.items()},
        {item.item_id: inputs.split(item) for item in inputs.items},
    )
