"""The walk: keys and stored outputs level by level, up to the first level with work left."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from annotate.models import ActivityEvent
from pipelines.bulk import NewUnit
from pipelines.dag import Dag
from pipelines.inputs import DatasetSource, Item
from pipelines.keys import dataset_key, item_key, output_hash
from pipelines.models import PipelineRun, UnitState
from pipelines.steps import DATASET_SOURCES, Step
from pipelines.store import PostgresStore
from versioning.models import DatasetVersion, VersionItem


def activity_source(version: DatasetVersion) -> DatasetSource:
    """The project's activity on the version's items up to the snapshot (immutable, like it)."""
    events = (
        ActivityEvent.objects.filter(
            project_id=version.project_id,
            at__lte=version.created_at,
            item_id__in=VersionItem.objects.filter(version=version).values("item_id"),
        )
        .order_by("at", "pk")
        .values_list("user_id", "item_id", "verb", "at")
    )
    log = [
        {"user": str(user), "item": str(item), "verb": verb, "at": at.isoformat()}
        for user, item, verb, at in events
    ]
    return DatasetSource.of(log)


def _sources(dag: Dag, version: DatasetVersion) -> dict[str, DatasetSource]:
    needed = {name for step in dag.steps for name in step.inputs if name in DATASET_SOURCES}
    return {"activity": activity_source(version)} if "activity" in needed else {}


def _levels(dag: Dag) -> list[list[Step]]:
    depth: dict[str, int] = {}
    for step in dag.steps:
        depth[step.name] = 1 + max((depth[name] for name in step.upstream), default=-1)
    levels: list[list[Step]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for step in dag.steps:
        levels[depth[step.name]].append(step)
    return levels


@dataclass
class UnitSeen:
    state: str
    computed: bool
    step: str
    item_id: int | None
    error: str


@dataclass
class Walk:
    counts: dict[str, dict[str, int]]
    item_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    item_keys: dict[str, dict[str, str]] = field(default_factory=dict)
    item_hashes: dict[str, dict[str, str]] = field(default_factory=dict)
    dataset_outputs: dict[str, Any] = field(default_factory=dict)
    dataset_keys: dict[str, str] = field(default_factory=dict)
    dataset_hashes: dict[str, str] = field(default_factory=dict)
    new_units: dict[str, NewUnit] = field(default_factory=dict)
    waiting: bool = False


Planned = tuple[Step, str | None, str, dict[str, Any]]


def _plan_item_step(step: Step, items: Sequence[Item], walk: Walk, sources: Any) -> list[Planned]:
    planned: list[Planned] = []
    for item in items:
        hashes, keys = {}, {}
        for name in step.upstream:
            if name in walk.item_keys:
                if item.item_id not in walk.item_outputs[name]:
                    break
                hashes[name] = walk.item_hashes[name][item.item_id]
                keys[name] = walk.item_keys[name][item.item_id]
            else:
                if name not in walk.dataset_outputs:
                    break
                hashes[name], keys[name] = walk.dataset_hashes[name], walk.dataset_keys[name]
        else:
            key = item_key(step, item, hashes, sources)
            planned.append((step, item.item_id, key, {"upstream": keys}))
            continue
        walk.counts[step.name]["skipped"] += 1
    return planned


def _plan_dataset_step(
    step: Step, items: Sequence[Item], walk: Walk, sources: Any
) -> Planned | None:
    per_item = [name for name in step.upstream if name in walk.item_keys]
    members = [
        item for item in items if all(item.item_id in walk.item_outputs[n] for n in per_item)
    ]
    others = [name for name in step.upstream if name not in walk.item_keys]
    if any(name not in walk.dataset_outputs for name in others):
        walk.counts[step.name]["skipped"] += 1
        return None
    item_hashes = {
        n: {i.item_id: walk.item_hashes[n][i.item_id] for i in members} for n in per_item
    }
    dataset_hashes = {name: walk.dataset_hashes[name] for name in others}
    key = dataset_key(step, members, item_hashes, dataset_hashes, sources)
    inputs = {
        "items": [int(item.item_id) for item in members],
        "item_upstream": {
            n: {i.item_id: walk.item_keys[n][i.item_id] for i in members} for n in per_item
        },
        "dataset_upstream": {name: walk.dataset_keys[name] for name in others},
    }
    return (step, None, key, inputs)


def _walk(
    run: PipelineRun,
    dag: Dag,
    items: Sequence[Item],
    sources: Any,
    store: PostgresStore,
    units: dict[str, UnitSeen],
) -> Walk:
    """Keys and stored outputs level by level, up to the first level with work left."""
    walk = Walk(
        counts={
            s.name: dict.fromkeys(("computed", "reused", "failed", "skipped"), 0) for s in dag.steps
        }
    )
    counted: set[str] = set()
    hash_of: dict[str, str] = {}
    for level in _levels(dag):
        planned: list[Planned] = []
        for step in level:
            if step.granularity == "item":
                walk.item_outputs[step.name], walk.item_keys[step.name] = {}, {}
                walk.item_hashes[step.name] = {}
                planned.extend(_plan_item_step(step, items, walk, sources))
            elif (unit := _plan_dataset_step(step, items, walk, sources)) is not None:
                planned.append(unit)
        store.prefetch(key for _, _, key, _ in planned)
        for step, item_id, key, inputs in planned:
            counts = walk.counts[step.name]
            output = store.get(key)
            seen = units.get(key)
            if output is not None:
                if key not in hash_of:
                    hash_of[key] = store.output_hash(key) or output_hash(output)
                fresh = seen is not None and seen.computed and key not in counted
                counts["computed" if fresh else "reused"] += 1
                counted.add(key)
                if item_id is None:
                    walk.dataset_outputs[step.name] = output
                    walk.dataset_keys[step.name], walk.dataset_hashes[step.name] = key, hash_of[key]
                else:
                    walk.item_outputs[step.name][item_id] = output
                    walk.item_keys[step.name][item_id] = key
                    walk.item_hashes[step.name][item_id] = hash_of[key]
            elif seen is not None and seen.state == UnitState.FAILED:
                counts["failed"] += 1
            elif seen is not None:
                walk.waiting = True  # queued or claimed in this run
            elif key in walk.new_units:
                walk.new_units[key].item_ids.append(_int(item_id))
            else:
                walk.waiting = True
                walk.new_units[key] = NewUnit(
                    run_id=run.pk,
                    step=step.name,
                    item_id=_int(item_id),
                    item_ids=[] if item_id is None else [int(item_id)],
                    key=key,
                    inputs=inputs,
                )
        if walk.waiting:
            return walk
    return walk


def _int(item_id: str | None) -> int | None:
    return None if item_id is None else int(item_id)
