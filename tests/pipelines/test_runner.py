from typing import Any

import pytest

from formats.canonical import content_hash
from pipelines.dag import PipelineError, build_dag
from pipelines.inputs import DatasetInputs, DatasetSource, Item, ItemInputs, ItemLoader
from pipelines.keys import item_key, output_hash
from pipelines.runner import MemoryStore, execute_unit, plan, run
from pipelines.steps import Registry, Step, step
from tests.pipelines.helpers import box, image_item, png_bytes


def _registry() -> Registry:
    registry = Registry()

    @step(name="size", version=1, inputs=("image",), registry=registry)
    def size(inputs: ItemInputs) -> list[int]:
        return list(inputs.image().size)

    @step(name="count", version=1, inputs=("annotation",), registry=registry)
    def count(inputs: ItemInputs) -> int:
        return len(inputs.shapes())

    @step(name="parity", version=1, inputs=("count",), registry=registry)
    def parity(inputs: ItemInputs) -> int:
        return int(inputs.upstream("count")) % 2

    @step(
        name="report",
        version=1,
        inputs=("parity", "split"),
        granularity="dataset",
        registry=registry,
    )
    def report(inputs: DatasetInputs) -> dict[str, Any]:
        parities = inputs.upstream("parity")
        return {item.item_id: [inputs.split(item), parities[item.item_id]] for item in inputs.items}

    return registry


def _items(shape_counts: dict[str, int]) -> list[Item]:
    return [
        image_item(
            item_id,
            png_bytes(index + 1, 1),
            [box("car", [0, 0, 1, 1], f"{item_id}-{n}") for n in range(count)],
        )
        for index, (item_id, count) in enumerate(sorted(shape_counts.items()))
    ]


def test_first_run_computes_every_unit_and_rerun_computes_nothing() -> None:
    dag = build_dag(["report", "size"], _registry())
    store = MemoryStore()
    items = _items({"a": 1, "b": 2, "c": 3})

    first = run(dag, items, store)
    second = run(dag, items, store)

    assert (first.computed, first.reused, first.failed) == (10, 0, 0)
    assert (second.computed, second.reused, second.failed) == (0, 10, 0)
    assert second.item_keys == first.item_keys
    assert second.dataset_keys == first.dataset_keys
    assert store.outputs[first.dataset_keys["report"]] == {
        "a": ["train", 1],
        "b": ["train", 0],
        "c": ["train", 1],
    }
    assert store.outputs[first.item_keys["size"]["b"]] == [2, 1]
    assert plan(dag, items, store).is_empty


def test_relabel_recomputes_that_item_only_and_unchanged_parity_stops_the_cascade() -> None:
    dag = build_dag(["report", "size"], _registry())
    store = MemoryStore()
    run(dag, _items({"a": 1, "b": 2, "c": 3}), store)

    # b: 2 -> 4 shapes changes its count but not its parity.
    report = run(dag, _items({"a": 1, "b": 4, "c": 3}), store)

    assert report.computed_units == [("count", "b"), ("parity", "b")]
    assert report.per_step["parity"].reused == 2
    assert report.per_step["report"].reused == 1


def test_relabel_that_changes_parity_reaches_the_dataset_step() -> None:
    dag = build_dag(["report", "size"], _registry())
    store = MemoryStore()
    run(dag, _items({"a": 1, "b": 2, "c": 3}), store)

    report = run(dag, _items({"a": 1, "b": 5, "c": 3}), store)

    assert report.computed_units == [("count", "b"), ("parity", "b"), ("report", None)]


def test_plan_lists_missing_keys_and_defers_those_behind_missing_outputs() -> None:
    dag = build_dag(["report", "size"], _registry())
    store = MemoryStore()
    items = _items({"a": 1, "b": 2})
    run(dag, items, store)
    relabeled = _items({"a": 1, "b": 3})

    pending_plan = plan(dag, relabeled, store)

    count_key = item_key(dag.step("count"), relabeled[1], {})
    assert pending_plan.missing["count"] == {count_key: ["b"]}
    assert pending_plan.missing["size"] == {}
    assert pending_plan.pending == {"size": [], "count": [], "parity": ["b"], "report": [None]}
    assert pending_plan.reusable == {"size": 2, "count": 1, "parity": 1, "report": 0}


def test_identical_content_in_two_items_is_computed_once() -> None:
    dag = build_dag(["size"], _registry())
    data = png_bytes(3, 2)
    store = MemoryStore()

    report = run(dag, [image_item("a", data), image_item("b", data)], store)

    assert (report.computed, report.reused) == (1, 1)
    assert store.puts == 1
    assert report.item_keys["size"]["a"] == report.item_keys["size"]["b"]


def test_failing_item_is_quarantined_downstream_skipped_and_the_run_goes_on() -> None:
    registry = _registry()

    @step(name="fragile", version=1, inputs=("count",), registry=registry)
    def fragile(inputs: ItemInputs) -> int:
        if inputs.upstream("count") == 2:
            raise ValueError("two is not allowed")
        return 1

    @step(name="after", version=1, inputs=("fragile",), granularity="dataset", registry=registry)
    def after(inputs: DatasetInputs) -> list[str]:
        return sorted(inputs.upstream("fragile"))

    dag = build_dag(["after"], registry)
    store = MemoryStore()

    report = run(dag, _items({"a": 1, "b": 2, "c": 3}), store)

    assert [(f.step, f.item_id, f.error) for f in report.quarantined] == [
        ("fragile", "b", "ValueError: two is not allowed")
    ]
    assert (report.computed, report.failed, report.skipped) == (6, 1, 0)
    assert store.outputs[report.dataset_keys["after"]] == ["a", "c"]
    assert report.as_result()["quarantined"] == [
        {"step": "fragile", "item_id": "b", "error": "ValueError: two is not allowed"}
    ]
    # The failed unit is not stored, so the next run tries it again (and only it).
    again = run(dag, _items({"a": 1, "b": 2, "c": 3}), store)
    assert (again.computed, again.failed, again.reused) == (0, 1, 6)


def test_downstream_of_a_failed_item_unit_is_skipped() -> None:
    registry = Registry()

    @step(name="boom", version=1, inputs=("image",), registry=registry)
    def boom(inputs: ItemInputs) -> int:
        raise RuntimeError("no")

    @step(name="next", version=1, inputs=("boom",), registry=registry)
    def after_boom(inputs: ItemInputs) -> int:
        return 1

    report = run(build_dag(["next"], registry), _items({"a": 0}), MemoryStore())

    assert (report.per_step["boom"].failed, report.per_step["next"].skipped) == (1, 1)


@pytest.mark.parametrize(
    ("result", "error"),
    [(None, "StepOutputError: Step 'bad' returned null"), ({1, 2}, "CanonicalizationError")],
)
def test_null_or_non_json_output_is_quarantined_and_not_stored(result: Any, error: str) -> None:
    registry = Registry()
    registry.register(
        Step(name="bad", version=1, inputs=("image",), granularity="item", compute=lambda _: result)
    )
    store = MemoryStore()

    report = run(build_dag(["bad"], registry), _items({"a": 0}), store)

    assert report.quarantined[0].error.startswith(error)
    assert store.outputs == {}


def test_reading_an_undeclared_input_fails_the_unit() -> None:
    registry = Registry()

    @step(name="sneaky", version=1, inputs=("image",), registry=registry)
    def sneaky(inputs: ItemInputs) -> int:
        return len(inputs.shapes())

    report = run(build_dag(["sneaky"], registry), _items({"a": 1}), MemoryStore())

    assert report.quarantined[0].error == (
        "UndeclaredInputError: Step 'sneaky' reads 'annotation' without declaring it as an input."
    )


def test_key_changes_with_version_code_config_and_each_declared_input() -> None:
    def compute(inputs: ItemInputs) -> int:
        return 1

    def edited(inputs: ItemInputs) -> int:
        return 2

    base = Step(
        name="s",
        version=1,
        inputs=("image", "annotation", "t"),
        granularity="item",
        compute=compute,
    )
    item = Item(item_id="1", image="aa", annotation="bb", split="train")
    upstream = {"t": output_hash(5)}
    key = item_key(base, item, upstream)

    variants = [
        item_key(Step(**{**vars(base), "version": 2, "fingerprint": ""}), item, upstream),
        item_key(Step(**{**vars(base), "compute": edited, "fingerprint": ""}), item, upstream),
        item_key(Step(**{**vars(base), "config": {"threshold": 0.5}}), item, upstream),
        item_key(base, Item(item_id="1", image="ab", annotation="bb"), upstream),
        item_key(base, Item(item_id="1", image="aa", annotation=None), upstream),
        item_key(base, item, {"t": output_hash(6)}),
    ]

    assert len({key, *variants}) == 7
    # Neither the item id nor an undeclared input (the split) enters the key.
    assert (
        item_key(base, Item(item_id="2", image="aa", annotation="bb", split="val"), upstream) == key
    )
    assert key == content_hash(
        {
            "schema": 1,
            "step": "s",
            "version": 1,
            "code": base.fingerprint,
            "config": None,
            "inputs": {"image": "aa", "annotation": "bb"},
            "upstream": {"t": output_hash(5)},
        }
    )


def test_dataset_source_enters_the_key() -> None:
    registry = Registry()

    @step(name="events", version=1, inputs=("activity",), granularity="dataset", registry=registry)
    def events(inputs: DatasetInputs) -> int:
        return len(inputs.source("activity"))

    dag = build_dag(["events"], registry)
    store = MemoryStore()
    one = run(dag, [], store, sources={"activity": DatasetSource.of([{"verb": "opened"}])})
    same = run(dag, [], store, sources={"activity": DatasetSource.of([{"verb": "opened"}])})
    more = run(dag, [], store, sources={"activity": DatasetSource.of([{"verb": "opened"}] * 2)})

    assert (one.computed, same.computed, more.computed) == (1, 0, 1)
    assert store.outputs[more.dataset_keys["events"]] == 2


def test_a_missing_source_is_refused_before_any_work() -> None:
    registry = Registry()

    @step(name="events", version=1, inputs=("activity",), granularity="dataset", registry=registry)
    def events(inputs: DatasetInputs) -> int:
        return len(inputs.source("activity"))

    store = MemoryStore()
    with pytest.raises(PipelineError, match="needs the activity source"):
        run(build_dag(["events"], registry), [], store)
    assert store.puts == 0


def test_execute_unit_is_the_bare_computation_a_worker_calls() -> None:
    registry = _registry()
    item = _items({"a": 2})[0]

    assert execute_unit(registry.get("parity"), item, {"count": 3}, ItemLoader()) == 1
    assert execute_unit(registry.get("size"), item, {}, ItemLoader()) == [1, 1]


def test_tuple_items_are_accepted() -> None:
    data = png_bytes(4, 3)
    items = [("7", {"image": "sha", "annotation": None, "image_bytes_loader": lambda: data})]

    report = run(build_dag(["size"], _registry()), items, MemoryStore())

    assert report.computed_units == [("size", "7")]


def test_parity_shared_with_another_item_is_reused_not_recomputed() -> None:
    dag = build_dag(["report", "size"], _registry())
    store = MemoryStore()
    run(dag, _items({"a": 1, "b": 2, "c": 3}), store)

    # b's new count (3) equals c's: the parity unit for count 3 is already stored.
    report = run(dag, _items({"a": 1, "b": 3, "c": 3}), store)

    assert report.computed_units == [("count", "b"), ("report", None)]
