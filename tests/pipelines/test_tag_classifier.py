from typing import Any

import pipelines.builtin  # noqa: F401 - registers the built-in steps
from pipelines.builtin.tag_classifier import classify_tags
from pipelines.dag import build_dag
from pipelines.inputs import Item
from pipelines.runner import MemoryStore, run
from tests.pipelines.helpers import box, image_item, png_bytes, tag


def _item(item_id: str, gray: int, tags: list[str] | None) -> Item:
    shapes = None if tags is None else [tag(name, f"{item_id}-{name}") for name in tags]
    return image_item(item_id, png_bytes(4, 4, (gray, gray, gray)), shapes)


def _version(extra_tags: dict[str, list[str]] | None = None) -> list[Item]:
    tags = {
        **{f"d{gray}": ["day", "outdoor"] for gray in (200, 210, 220, 230, 240, 250)},
        **{f"n{gray}": ["night", "outdoor"] for gray in (10, 20, 30, 40, 50, 60)},
        **(extra_tags or {}),
    }
    items = [_item(item_id, int(item_id[1:]), item_tags) for item_id, item_tags in tags.items()]
    items.append(_item("q235", 235, None))  # unlabeled
    items.append(image_item("q025", png_bytes(4, 4, (25, 25, 25)), [box("car", [0, 0, 1, 1])]))
    return items


def _output(store: MemoryStore, report: Any) -> Any:
    return store.outputs[report.dataset_keys["tag_classifier"]]


def test_untagged_items_get_probabilities_learned_from_tagged_ones() -> None:
    store = MemoryStore()

    output = _output(store, run(build_dag(["tag_classifier"]), _version(), store))

    assert (output["tags"], output["trained_on"]) == (["day", "night", "outdoor"], 12)
    assert output["features"] == ["brightness", "contrast", "blur", "entropy"]
    assert sorted(output["predictions"]) == ["q025", "q235"]
    bright, dark = output["predictions"]["q235"], output["predictions"]["q025"]
    assert bright["probabilities"]["day"] > 0.8 > 0.2 > bright["probabilities"]["night"]
    assert dark["probabilities"]["night"] > 0.8 > 0.2 > dark["probabilities"]["day"]
    # Every tagged item is outdoor: nothing to learn, the frequency (1) is the answer.
    assert bright["probabilities"]["outdoor"] == dark["probabilities"]["outdoor"] == 1.0
    assert (bright["top"], dark["top"]) == ("outdoor", "outdoor")


def test_same_version_gives_identical_probabilities() -> None:
    first_store, second_store = MemoryStore(), MemoryStore()

    first = _output(first_store, run(build_dag(["tag_classifier"]), _version(), first_store))
    second = _output(second_store, run(build_dag(["tag_classifier"]), _version(), second_store))

    assert first == second


def test_retagging_retrains_without_recomputing_image_statistics() -> None:
    store = MemoryStore()
    dag = build_dag(["tag_classifier"])
    run(dag, _version(), store)

    report = run(dag, _version({"d250": ["night", "outdoor"]}), store)

    assert report.computed_units == [("tag_classifier", None)]


def test_too_few_tagged_items_predict_nothing() -> None:
    assert classify_tags({"a": [1.0] * 4, "b": [2.0] * 4}, {"a": ["day"]}, ["b"]) == {
        "tags": ["day"],
        "features": ["brightness", "contrast", "blur", "entropy"],
        "trained_on": 1,
        "predictions": {},
    }
