"""Random relabels recompute exactly what they affect, and an incremental run equals a fresh one."""

import functools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formats.canonical import content_hash
from pipelines.builtin.label_stats import label_stats
from pipelines.dag import Dag, build_dag
from pipelines.inputs import Item, ItemInputs
from pipelines.runner import MemoryStore, RunReport, run
from pipelines.steps import Registry, step
from tests.pipelines.helpers import png_bytes

Shapes = list[dict[str, Any]]


def _dag() -> Dag:
    registry = Registry()
    registry.register(label_stats)

    @step(name="size", version=1, inputs=("image",), registry=registry)
    def size(inputs: ItemInputs) -> list[int]:
        return list(inputs.image().size)

    @step(name="crowded", version=1, inputs=("label_stats",), registry=registry)
    def crowded(inputs: ItemInputs) -> bool:
        return bool(inputs.upstream("label_stats")["crowding"])

    @step(name="mixed", version=1, inputs=("size", "crowded"), registry=registry)
    def mixed(inputs: ItemInputs) -> list[Any]:
        return [*inputs.upstream("size"), inputs.upstream("crowded")]

    return build_dag(["mixed"], registry)


DAG = _dag()
ANNOTATION_STEPS = {"label_stats"}
IMAGE_ONLY_STEPS = {"size"}


@functools.cache
def _png(width: int) -> bytes:
    return png_bytes(width, 1)


boxes = st.lists(
    st.tuples(
        st.sampled_from(["car", "truck"]),
        st.integers(0, 3),
        st.integers(0, 3),
        st.integers(1, 3),
        st.integers(1, 3),
    ),
    max_size=4,
)


def _shapes(item_id: str, drawn: list[tuple[str, int, int, int, int]]) -> Shapes:
    # Shape ids carry the item id, as real uuids would: no two items share an annotation hash.
    return [
        {
            "id": f"{item_id}-{index}",
            "label": label,
            "kind": "box",
            "points": [x, y, x + width, y + height],
            "attributes": {},
            "occluded": False,
        }
        for index, (label, x, y, width, height) in enumerate(drawn)
    ]


def _items(annotations: dict[str, Shapes | None]) -> list[Item]:
    items = []
    for index, (item_id, shapes) in enumerate(sorted(annotations.items())):
        data = _png(index + 1)  # distinct images

        items.append(
            Item(
                item_id=item_id,
                image=content_hash(index),
                annotation=None if shapes is None else content_hash(shapes),
                load_image_bytes=functools.partial(lambda data: data, data),
                load_shapes=functools.partial(lambda shapes: shapes, shapes),
            )
        )
    return items


def _hash(shapes: Shapes | None) -> str | None:
    return None if shapes is None else content_hash(shapes)


def _computed(report: RunReport, step_name: str) -> set[str]:
    return {item for name, item in report.computed_units if name == step_name and item}


version_and_relabels = st.integers(1, 12).flatmap(
    lambda count: st.tuples(
        st.lists(st.one_of(st.none(), boxes), min_size=count, max_size=count),
        st.dictionaries(st.integers(0, count - 1), st.one_of(st.none(), boxes)),
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(version_and_relabels)
def test_relabels_recompute_exactly_the_affected_items(drawn: Any) -> None:
    initial, relabels = drawn
    before = {
        f"i{index:02d}": None if shapes is None else _shapes(f"i{index:02d}", shapes)
        for index, shapes in enumerate(initial)
    }
    after = dict(before)
    for index, shapes in relabels.items():
        after[f"i{index:02d}"] = None if shapes is None else _shapes(f"i{index:02d}", shapes)
    affected = {item_id for item_id in before if _hash(before[item_id]) != _hash(after[item_id])}
    # Every unlabeled item (None) and every empty document ([]) shares content, hence keys.
    shared_content = {item_id for item_id, shapes in after.items() if not shapes}
    store = MemoryStore()
    run(DAG, _items(before), store)
    keys_before = set(store.outputs)

    report = run(DAG, _items(after), store)

    for name in ANNOTATION_STEPS:
        # Exactly the affected items, except one whose new content another item already had.
        assert _computed(report, name) <= affected
        assert affected - _computed(report, name) <= shared_content
    assert all(not _computed(report, s) for s in IMAGE_ONLY_STEPS)
    for name in ("label_stats", "crowded", "mixed"):
        # Downstream, exactly the units whose key is new are computed: each new key once.
        first_item_per_new_key: dict[str, str] = {}
        for item_id, key in sorted(report.item_keys[name].items()):
            if key not in keys_before:
                first_item_per_new_key.setdefault(key, item_id)
        assert _computed(report, name) == set(first_item_per_new_key.values())
        assert _computed(report, name) <= affected
    # The incremental result is the from-scratch result.
    fresh_store = MemoryStore()
    fresh = run(DAG, _items(after), fresh_store)
    assert fresh.item_keys == report.item_keys
    for name, keys in report.item_keys.items():
        for key in keys.values():
            assert store.outputs[key] == fresh_store.outputs[key], name
    # Nothing changed: nothing is computed.
    rerun = run(DAG, _items(after), store)
    assert (rerun.computed, rerun.failed, rerun.skipped) == (0, 0, 0)
