import pipelines.builtin
from pipelines.dag import build_dag
from pipelines.inputs import DatasetSource, Item, ItemLoader
from pipelines.runner import MemoryStore, plan, run
from tests.pipelines.helpers import box, image_item, png_bytes, tag

EVENTS = [
    {"user": 1, "item": "a", "verb": "opened", "at": "2026-11-01T09:00:00Z"},
    {"user": 1, "item": "a", "verb": "saved", "at": "2026-11-01T09:00:40Z"},
]


def _version(b_shapes: list[dict] | None = None) -> list[Item]:
    shapes = {
        "a": [tag("day", "a1"), box("car", [0, 0, 4, 4], "a2")],
        "b": b_shapes if b_shapes is not None else [tag("night", "b1")],
        "c": [tag("day", "c1")],
        "d": [tag("night", "d1")],
    }
    grays = {"a": 220, "b": 30, "c": 230, "d": 20, "e": 225}
    return [
        image_item(item_id, png_bytes(32, 24, (gray, gray, gray)), shapes.get(item_id), "train")
        for item_id, gray in grays.items()
    ]


def test_default_pipeline_runs_once_reuses_everything_then_follows_a_relabel() -> None:
    dag = build_dag(pipelines.builtin.PIPELINES["default"])
    store = MemoryStore()
    sources = {"activity": DatasetSource.of(EVENTS)}
    blobs = ItemLoader()

    first = run(dag, _version(), store, blobs, sources)
    second = run(dag, _version(), store, ItemLoader(), sources)
    relabeled = run(
        dag,
        _version([tag("night", "b1"), box("car", [1, 1, 3, 3], "b2")]),
        store,
        ItemLoader(),
        sources,
    )

    assert first.as_result() == {
        "computed": 23,
        "reused": 0,
        "failed": 0,
        "skipped": 0,
        "steps": {
            "image_stats": {"computed": 5, "reused": 0, "failed": 0, "skipped": 0},
            "label_stats": {"computed": 5, "reused": 0, "failed": 0, "skipped": 0},
            "phash": {"computed": 5, "reused": 0, "failed": 0, "skipped": 0},
            "thumbnail": {"computed": 5, "reused": 0, "failed": 0, "skipped": 0},
            "annotator_activity": {"computed": 1, "reused": 0, "failed": 0, "skipped": 0},
            "near_duplicates": {"computed": 1, "reused": 0, "failed": 0, "skipped": 0},
            "tag_classifier": {"computed": 1, "reused": 0, "failed": 0, "skipped": 0},
        },
        "quarantined": [],
    }
    assert len(blobs.blobs) == 5
    assert (second.computed, second.reused) == (0, 23)
    assert relabeled.computed_units == [("label_stats", "b"), ("tag_classifier", None)]
    assert plan(
        dag, _version(), store, sources
    ).is_empty  # the old labels' outputs are still stored
    # Uniform images all share one perceptual hash: one group, all in train.
    assert store.outputs[first.dataset_keys["near_duplicates"]]["groups"] == [
        {"items": ["a", "b", "c", "d", "e"], "splits": ["train"], "leakage": False}
    ]
    predicted = store.outputs[first.dataset_keys["tag_classifier"]]["predictions"]
    assert list(predicted) == ["e"] and predicted["e"]["top"] == "day"
