"""Cache keys: a step's result is stored under the hash of everything that determines it.

    key = content_hash({
        "step": name, "version": version, "code": code fingerprint, "config": step config,
        "inputs": {"image": asset sha256, "annotation": annotation hash, "split": split, ...},
        "upstream": {upstream step: content_hash(its output)},
    })

for the inputs the step declares, and nothing else: no dates, no item ids for per-item steps (the
same content in two items is computed once). Upstream outputs enter by the hash of their value,
so an upstream step that recomputes to the same value leaves every downstream key unchanged and
the cascade stops there. A dataset step's key lists, for every item in id order, the item's
declared inputs and per-item upstream hashes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from formats.canonical import canonical_json, content_hash
from pipelines.inputs import DatasetSource, Item, ItemId
from pipelines.steps import DATASET_SOURCES, ITEM_SOURCES, JsonValue, Step

#: Bump when the key formula changes: every cached output becomes a miss, never a wrong hit.
KEY_SCHEMA = 1


def output_hash(output: JsonValue) -> str:
    return content_hash(output)


def _step_identity(step: Step) -> dict[str, Any]:
    return {
        "schema": KEY_SCHEMA,
        "step": step.name,
        "version": step.version,
        "code": step.fingerprint,
        "config": step.config,
    }


def _item_sources(step: Step, item: Item) -> dict[str, str | None]:
    values: dict[str, str | None] = {
        "image": item.image,
        "annotation": item.annotation,
        "split": item.split,
    }
    return {name: values[name] for name in step.inputs if name in ITEM_SOURCES}


def _dataset_sources(step: Step, sources: Mapping[str, DatasetSource]) -> dict[str, str]:
    wanted = [name for name in step.inputs if name in DATASET_SOURCES]
    missing = [name for name in wanted if name not in sources]
    if missing:
        raise LookupError(f"Step {step.name!r} needs the {missing[0]!r} source for this run.")
    return {name: sources[name].content_hash for name in wanted}


def item_key(
    step: Step,
    item: Item,
    upstream_hashes: Mapping[str, str],
    sources: Mapping[str, DatasetSource] | None = None,
) -> str:
    """Key of one per-item unit; `upstream_hashes` maps each upstream step to its output's hash
    (for this item when that step is per-item, the dataset output's hash otherwise).

    The hash of `item_key_material(...)`'s canonical JSON, assembled from the step's identity
    serialised once per step (a planner computes a key per item and step: 100k items, 300k
    keys), so only the item's inputs and upstream hashes are serialised per call."""
    head, middle, tail, upstream_names = _identity_parts(step)
    inputs = {**_item_sources(step, item), **_dataset_sources(step, sources or {})}
    upstream = {name: upstream_hashes[name] for name in upstream_names}
    text = head + _flat_json(inputs) + middle + _flat_json(upstream) + tail
    return hashlib.sha256(text).hexdigest()


def _plain(values: Mapping[str, Any]) -> bool:
    return all(name.isascii() and _is_text(value) for name, value in values.items())


def _is_text(value: Any) -> bool:
    return value is None or type(value) is str


# One encoder: json.dumps builds a new one per call when given options (a third of a key's cost).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _dumps(value: Any) -> bytes:
    return _ENCODER.encode(value).encode()


def _flat_json(values: Mapping[str, str | None]) -> bytes:
    """`canonical_json` of {ASCII name: text or null} without its general walk: for strings and
    ASCII keys the standard library's sorted compact dump is exactly the RFC 8785 text."""
    if _plain(values):
        try:
            return _dumps(values)
        except UnicodeEncodeError:  # a lone surrogate: the general encoder decides
            pass
    return canonical_json(values)


def item_key_material(
    step: Step,
    item: Item,
    upstream_hashes: Mapping[str, str],
    sources: Mapping[str, DatasetSource] | None = None,
) -> dict[str, Any]:
    """What an item key hashes (the reference form of `item_key`)."""
    return {
        **_step_identity(step),
        "inputs": {**_item_sources(step, item), **_dataset_sources(step, sources or {})},
        "upstream": {name: upstream_hashes[name] for name in step.upstream},
    }


Parts = tuple[bytes, bytes, bytes, tuple[str, ...]]
_PARTS: dict[tuple[str, int, str, str], tuple[bytes, bytes, bytes]] = {}
# Per step object (steps are frozen and declared once): the planner asks 200k times per walk,
# and serialising `config` for the lookup cost as much as the key itself.
_PARTS_OF: dict[int, tuple[Step, Parts]] = {}


def _identity_parts(step: Step) -> Parts:
    """The canonical JSON of the key material around its `inputs` and `upstream` values:
    its keys sort as code, config, inputs, schema, step, upstream, version (RFC 8785 sorts
    ASCII keys as Python does), so the bytes are exactly `canonical_json` of the whole; and
    the step's upstream names."""
    known = _PARTS_OF.get(id(step))
    if known is not None and known[0] is step:
        return known[1]
    cache_key = (step.name, step.version, step.fingerprint, canonical_json(step.config).decode())
    parts = _PARTS.get(cache_key)
    if parts is None:
        identity = _step_identity(step)
        assert sorted([*identity, "inputs", "upstream"]) == list(_KEY_ORDER)
        field = {name: canonical_json(value) for name, value in identity.items()}
        head = b'{"code":' + field["code"] + b',"config":' + field["config"] + b',"inputs":'
        middle = b',"schema":' + field["schema"] + b',"step":' + field["step"] + b',"upstream":'
        tail = b',"version":' + field["version"] + b"}"
        parts = _PARTS.setdefault(cache_key, (head, middle, tail))
    if len(_PARTS_OF) > 10_000:
        _PARTS_OF.clear()
    _PARTS_OF[id(step)] = (step, (*parts, step.upstream))
    return _PARTS_OF[id(step)][1]


_KEY_ORDER = ("code", "config", "inputs", "schema", "step", "upstream", "version")


def dataset_key(
    step: Step,
    items: Sequence[Item],
    item_upstream_hashes: Mapping[str, Mapping[ItemId, str]],
    dataset_upstream_hashes: Mapping[str, str],
    sources: Mapping[str, DatasetSource] | None = None,
) -> str:
    """Key of a dataset step's single unit: the hash of `dataset_key_material(...)`.

    `item_upstream_hashes[step][item_id]` holds per-item upstream output hashes for the items the
    step runs over (`items`); `dataset_upstream_hashes` the hashes of dataset upstream outputs.
    """
    material = dataset_key_material(
        step, items, item_upstream_hashes, dataset_upstream_hashes, sources
    )
    per_item = material.pop("items")
    # The canonical JSON of the whole (keys sort: code, config, inputs, items, schema, ...), with
    # its list of 100k items written by one plain dump when it holds only text.
    before = canonical_json({name: v for name, v in material.items() if name < "items"})
    after = canonical_json({name: v for name, v in material.items() if name > "items"})
    text = before[:-1] + b',"items":' + _items_json(per_item) + b"," + after[1:]
    return hashlib.sha256(text).hexdigest()


def _items_json(per_item: list[list[Any]] | None) -> bytes:
    if per_item is not None and all(
        type(item_id) is str and _plain(inputs) and _plain(hashes)
        for item_id, inputs, hashes in per_item
    ):
        try:
            return _dumps(per_item)
        except UnicodeEncodeError:
            pass
    return canonical_json(per_item)


def dataset_key_material(
    step: Step,
    items: Sequence[Item],
    item_upstream_hashes: Mapping[str, Mapping[ItemId, str]],
    dataset_upstream_hashes: Mapping[str, str],
    sources: Mapping[str, DatasetSource] | None = None,
) -> dict[str, Any]:
    """What a dataset key hashes (the reference form of `dataset_key`)."""
    item_upstream = [name for name in step.upstream if name in item_upstream_hashes]
    reads_items = bool(item_upstream) or any(name in ITEM_SOURCES for name in step.inputs)
    return {
        **_step_identity(step),
        "inputs": _dataset_sources(step, sources or {}),
        "upstream": {
            name: dataset_upstream_hashes[name]
            for name in step.upstream
            if name not in item_upstream_hashes
        },
        "items": [
            [
                item.item_id,
                _item_sources(step, item),
                {name: item_upstream_hashes[name][item.item_id] for name in item_upstream},
            ]
            for item in sorted(items, key=lambda entry: entry.item_id)
        ]
        if reads_items
        else None,
    }
