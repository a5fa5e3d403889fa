"""The pieces a worker runs per claimed unit give what the reference runner gives."""

from typing import Any

from pipelines.dag import Dag, build_dag
from pipelines.inputs import DatasetInputs, Item, ItemInputs, ItemLoader
from pipelines.runner import MemoryStore, resolve_dataset_unit, resolve_item_unit, run
from pipelines.steps import Registry, step
from tests.pipelines.helpers import box, image_item, png_bytes


def _dag() -> Dag:
    registry = Registry()

    @step(name="area", version=1, inputs=("image",), registry=registry)
    def area(inputs: ItemInputs) -> int:
        width, height = inputs.image().size
        return width * height

    @step(name="boxes", version=1, inputs=("annotation",), registry=registry)
    def boxes(inputs: ItemInputs) -> int:
        return len(inputs.shapes())

    @step(
        name="total", version=1, inputs=("area", "boxes"), granularity="dataset", registry=registry
    )
    def total(inputs: DatasetInputs) -> int:
        areas, counts = inputs.upstream("area"), inputs.upstream("boxes")
        return sum(areas[item.item_id] * counts[item.item_id] for item in inputs.items)

    @step(name="share", version=1, inputs=("area", "total"), registry=registry)
    def share(inputs: ItemInputs) -> float:
        return round(inputs.upstream("area") / max(inputs.upstream("total"), 1), 6)

    return build_dag(["share"], registry)


def _items() -> list[Item]:
    return [
        image_item(str(index), png_bytes(index + 1, 2), [box("car", [0, 0, 1, 1])] * index)
        for index in range(4)
    ]


def _worker(dag: Dag, items: list[Item], store: MemoryStore) -> tuple[dict[str, Any], int]:
    """Step by step, unit by unit, as Celery workers would after claiming each batch."""
    outputs: dict[str, Any] = {}
    computed = 0
    for current in dag.steps:
        item_upstream = {n: outputs[n] for n in current.upstream if isinstance(outputs[n], dict)}
        dataset_upstream = {n: outputs[n] for n in current.upstream if n not in item_upstream}
        if current.granularity == "dataset":
            result = resolve_dataset_unit(
                current, items, item_upstream, dataset_upstream, store, ItemLoader()
            )
            outputs[current.name], computed = result.output, computed + result.computed
            continue
        outputs[current.name] = {}
        for item in items:
            upstream = {
                **{name: values[item.item_id] for name, values in item_upstream.items()},
                **dataset_upstream,
            }
            result = resolve_item_unit(current, item, upstream, store, ItemLoader())
            outputs[current.name][item.item_id] = result.output
            computed += result.computed
    return outputs, computed


def test_worker_units_write_the_keys_and_outputs_the_runner_writes() -> None:
    dag, items = _dag(), _items()
    worker_store, runner_store = MemoryStore(), MemoryStore()

    outputs, computed = _worker(dag, items, worker_store)
    report = run(dag, items, runner_store)

    assert worker_store.outputs == runner_store.outputs
    assert computed == report.computed == 4 + 4 + 1 + 4
    assert outputs["total"] == 4 * 1 + 6 * 2 + 8 * 3 == 40  # areas 2, 4, 6, 8; boxes 0 to 3
    assert outputs["share"] == {"0": 0.05, "1": 0.1, "2": 0.15, "3": 0.2}


def test_a_unit_run_twice_or_raced_is_computed_once_and_keeps_the_first_value() -> None:
    dag, items = _dag(), _items()
    store = MemoryStore()
    area = dag.step("area")

    first = resolve_item_unit(area, items[1], {}, store, ItemLoader())
    again = resolve_item_unit(area, items[1], {}, store, ItemLoader())
    store.put(first.key, 999)  # a late racer's put does not replace the stored output

    assert (first.output, first.computed, again.output, again.computed) == (4, True, 4, False)
    assert store.outputs == {first.key: 4}
    assert _worker(dag, items, store)[0]["area"]["1"] == 4
