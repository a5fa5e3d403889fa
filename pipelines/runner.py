"""The reference planner and executor: compute exactly the units whose keys are missing.

A unit is one (step, item) pair, or one dataset step. `run` walks the DAG in order; per-item steps
that follow one another run item by item (one image decode serves them all), a dataset step waits
for everything before it. A unit that raises is quarantined with its error and the run goes on;
units downstream of it are skipped. Within a run a key is never computed twice, and `Store.put`
must be idempotent, so running the same pipeline twice (or two workers racing on one key) is safe.

`execute_unit` and `execute_dataset_unit` are the pure pieces a Celery worker calls for a batch of
claimed units, given the upstream outputs it read from the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pipelines.dag import Dag, PipelineError
from pipelines.inputs import (
    DatasetInputs,
    DatasetSource,
    Item,
    ItemId,
    ItemInputs,
    ItemLoader,
    Loader,
    as_items,
)
from pipelines.keys import dataset_key, item_key, output_hash
from pipelines.steps import DATASET_SOURCES, JsonValue, Step


class Store(Protocol):
    """Outputs by key. `put` of a key already present must keep the stored value (first wins)."""

    def get(self, key: str) -> JsonValue | None: ...

    def put(self, key: str, output: JsonValue) -> None: ...


class MemoryStore:
    """A dict-backed `Store` (tests, the embedded profile's reference)."""

    def __init__(self) -> None:
        self.outputs: dict[str, JsonValue] = {}
        self.puts = 0

    def get(self, key: str) -> JsonValue | None:
        return self.outputs.get(key)

    def put(self, key: str, output: JsonValue) -> None:
        self.puts += 1
        self.outputs.setdefault(key, output)


class StepOutputError(TypeError):
    """A step returned null or something that is not JSON."""


def execute_unit(
    step: Step,
    item: Item,
    upstream_outputs: Mapping[str, JsonValue],
    loader: Loader,
    sources: Mapping[str, DatasetSource] | None = None,
) -> JsonValue:
    """Compute one per-item unit. Pure apart from `loader.put_blob`; raises what the step raises."""
    inputs = ItemInputs(step, item, upstream_outputs, loader, sources or {})
    return _checked(step, step.compute(inputs))


def execute_dataset_unit(
    step: Step,
    items: Sequence[Item],
    upstream_outputs: Mapping[str, Any],
    loader: Loader,
    sources: Mapping[str, DatasetSource] | None = None,
) -> JsonValue:
    """Compute a dataset step over `items`; per-item upstreams map as {step: {item_id: output}}."""
    inputs = DatasetInputs(step, items, upstream_outputs, loader, sources or {})
    return _checked(step, step.compute(inputs))


def _checked(step: Step, output: JsonValue) -> JsonValue:
    if output is None:
        raise StepOutputError(f"Step {step.name!r} returned null; return a JSON value.")
    return output


@dataclass(frozen=True)
class UnitResult:
    key: str
    output: JsonValue
    output_hash: str
    computed: bool  # False: the store already held the key


def resolve_item_unit(
    step: Step,
    item: Item,
    upstream_outputs: Mapping[str, JsonValue],
    store: Store,
    loader: Loader,
    sources: Mapping[str, DatasetSource] | None = None,
) -> UnitResult:
    """Get-or-compute one per-item unit: what a worker does for each unit it claimed.

    Safe to run twice and to race: the key is a pure function of the inputs and `Store.put` keeps
    the first value, so a second worker at worst recomputes an identical output.
    """
    upstream_hashes = {name: output_hash(upstream_outputs[name]) for name in step.upstream}
    key = item_key(step, item, upstream_hashes, sources)
    return _get_or_compute(
        key, store, lambda: execute_unit(step, item, upstream_outputs, loader, sources)
    )


def resolve_dataset_unit(
    step: Step,
    items: Sequence[Item],
    item_upstream: Mapping[str, Mapping[ItemId, JsonValue]],
    dataset_upstream: Mapping[str, JsonValue],
    store: Store,
    loader: Loader,
    sources: Mapping[str, DatasetSource] | None = None,
) -> UnitResult:
    """Get-or-compute a dataset step over `items` (those whose per-item upstreams succeeded).

    `item_upstream[step][item_id]` holds per-item upstream outputs, `dataset_upstream[step]` the
    outputs of upstream dataset steps.
    """
    item_hashes = {
        name: {item.item_id: output_hash(outputs[item.item_id]) for item in items}
        for name, outputs in item_upstream.items()
    }
    dataset_hashes = {name: output_hash(output) for name, output in dataset_upstream.items()}
    key = dataset_key(step, items, item_hashes, dataset_hashes, sources)
    upstream = {
        **{
            name: {item.item_id: outputs[item.item_id] for item in items}
            for name, outputs in item_upstream.items()
        },
        **dataset_upstream,
    }
    return _get_or_compute(
        key, store, lambda: execute_dataset_unit(step, items, upstream, loader, sources)
    )


def _get_or_compute(key: str, store: Store, compute: Callable[[], JsonValue]) -> UnitResult:
    stored = store.get(key)
    if stored is not None:
        return UnitResult(key, stored, output_hash(stored), computed=False)
    output = compute()
    digest = output_hash(output)
    store.put(key, output)
    return UnitResult(key, output, digest, computed=True)


@dataclass(frozen=True)
class Failure:
    step: str
    item_id: ItemId | None  # None for a dataset step
    error: str


@dataclass
class StepCounts:
    computed: int = 0
    reused: int = 0
    failed: int = 0
    skipped: int = 0  # an upstream unit of the same item failed


@dataclass
class RunReport:
    per_step: dict[str, StepCounts]
    quarantined: list[Failure] = field(default_factory=list)
    computed_units: list[tuple[str, ItemId | None]] = field(default_factory=list)
    item_keys: dict[str, dict[ItemId, str]] = field(default_factory=dict)
    dataset_keys: dict[str, str] = field(default_factory=dict)

    def _total(self, name: str) -> int:
        return sum(getattr(counts, name) for counts in self.per_step.values())

    @property
    def computed(self) -> int:
        return self._total("computed")

    @property
    def reused(self) -> int:
        return self._total("reused")

    @property
    def failed(self) -> int:
        return self._total("failed")

    @property
    def skipped(self) -> int:
        return self._total("skipped")

    def as_result(self) -> dict[str, Any]:
        """The job's result: totals, counts per step and the quarantined units."""
        return {
            "computed": self.computed,
            "reused": self.reused,
            "failed": self.failed,
            "skipped": self.skipped,
            "steps": {name: vars(counts).copy() for name, counts in self.per_step.items()},
            "quarantined": [vars(failure).copy() for failure in self.quarantined],
        }


@dataclass
class Plan:
    """What a run would do now. `missing[step][key]` lists the items that share that key;
    `pending[step]` the items whose key depends on an upstream output not computed yet."""

    missing: dict[str, dict[str, list[ItemId | None]]]
    reusable: dict[str, int]
    pending: dict[str, list[ItemId | None]]

    @property
    def is_empty(self) -> bool:
        return not any(self.missing.values()) and not any(self.pending.values())

    def missing_keys(self, step_name: str) -> set[str]:
        return set(self.missing.get(step_name, {}))


def plan(
    dag: Dag,
    items: Iterable[Item | tuple[ItemId, Mapping[str, Any]]],
    store: Store,
    sources: Mapping[str, DatasetSource] | None = None,
) -> Plan:
    walk = _Walk(dag, as_items(items), store, None, sources or {})
    walk.go()
    return Plan(missing=walk.missing, reusable=walk.reusable, pending=walk.pending)


def run(
    dag: Dag,
    items: Iterable[Item | tuple[ItemId, Mapping[str, Any]]],
    store: Store,
    loader: Loader | None = None,
    sources: Mapping[str, DatasetSource] | None = None,
) -> RunReport:
    walk = _Walk(dag, as_items(items), store, loader or ItemLoader(), sources or {})
    walk.go()
    return walk.report


class _Walk:
    """One pass over the DAG; computes when given a loader, only plans without one."""

    def __init__(
        self,
        dag: Dag,
        items: list[Item],
        store: Store,
        loader: Loader | None,
        sources: Mapping[str, DatasetSource],
    ) -> None:
        needed = sorted({name for s in dag.steps for name in s.inputs if name in DATASET_SOURCES})
        missing = [name for name in needed if name not in sources]
        if missing:
            raise PipelineError(f"This pipeline needs the {', '.join(missing)} source(s) to run.")
        self.dag = dag
        self.items = items
        self.store = store
        self.loader = loader  # None: plan only
        self.sources = sources
        self.outputs: dict[str, dict[ItemId, JsonValue]] = {}
        self.hashes: dict[str, dict[ItemId, str]] = {}
        self.dataset_outputs: dict[str, JsonValue] = {}
        self.dataset_hashes: dict[str, str] = {}
        self.memo: dict[str, tuple[JsonValue, str]] = {}
        self.failed_keys: dict[str, str] = {}
        self.report = RunReport(per_step={step.name: StepCounts() for step in dag.steps})
        self.missing: dict[str, dict[str, list[ItemId | None]]] = {s.name: {} for s in dag.steps}
        self.reusable: dict[str, int] = {step.name: 0 for step in dag.steps}
        self.pending: dict[str, list[ItemId | None]] = {step.name: [] for step in dag.steps}

    def go(self) -> None:
        stage: list[Step] = []
        for step in self.dag.steps:
            if step.granularity == "item":
                self.outputs[step.name], self.hashes[step.name] = {}, {}
                self.report.item_keys[step.name] = {}
                stage.append(step)
                continue
            self._item_stage(stage)
            stage = []
            self._dataset_unit(step)
        self._item_stage(stage)

    def _item_stage(self, stage: list[Step]) -> None:
        if not stage:
            return
        for item in self.items:
            for step in stage:
                self._item_unit(step, item)

    def _item_unit(self, step: Step, item: Item) -> None:
        upstream: dict[str, JsonValue] = {}
        upstream_hashes: dict[str, str] = {}
        for name in step.upstream:
            if name in self.outputs:
                if item.item_id not in self.outputs[name]:
                    return self._blocked(step, item.item_id)
                upstream[name] = self.outputs[name][item.item_id]
                upstream_hashes[name] = self.hashes[name][item.item_id]
            else:
                if name not in self.dataset_outputs:
                    return self._blocked(step, item.item_id)
                upstream[name] = self.dataset_outputs[name]
                upstream_hashes[name] = self.dataset_hashes[name]
        key = item_key(step, item, upstream_hashes, self.sources)
        self.report.item_keys[step.name][item.item_id] = key
        resolved = self._resolve(
            step,
            item.item_id,
            key,
            lambda loader: execute_unit(step, item, upstream, loader, self.sources),
        )
        if resolved is not None:
            self.outputs[step.name][item.item_id], self.hashes[step.name][item.item_id] = resolved
        return None

    def _dataset_unit(self, step: Step) -> None:
        members = self.items
        upstream: dict[str, Any] = {}
        item_hashes: dict[str, Mapping[ItemId, str]] = {}
        dataset_hashes: dict[str, str] = {}
        for name in step.upstream:
            if name in self.outputs:
                # Items whose upstream unit failed stay out; they were quarantined upstream. A plan
                # cannot know the key until every member's upstream output exists.
                kept = [item for item in members if item.item_id in self.outputs[name]]
                if self.loader is None and len(kept) < len(members):
                    return self._blocked(step, None)
                members = kept
            elif name not in self.dataset_outputs:
                return self._blocked(step, None)
        for name in step.upstream:
            if name in self.outputs:
                outputs = self.outputs[name]
                upstream[name] = {item.item_id: outputs[item.item_id] for item in members}
                item_hashes[name] = self.hashes[name]
            else:
                upstream[name] = self.dataset_outputs[name]
                dataset_hashes[name] = self.dataset_hashes[name]
        key = dataset_key(step, members, item_hashes, dataset_hashes, self.sources)
        self.report.dataset_keys[step.name] = key
        resolved = self._resolve(
            step,
            None,
            key,
            lambda loader: execute_dataset_unit(step, members, upstream, loader, self.sources),
        )
        if resolved is not None:
            self.dataset_outputs[step.name], self.dataset_hashes[step.name] = resolved
        return None

    def _blocked(self, step: Step, item_id: ItemId | None) -> None:
        if self.loader is None:
            self.pending[step.name].append(item_id)
        else:
            self.report.per_step[step.name].skipped += 1

    def _resolve(
        self,
        step: Step,
        item_id: ItemId | None,
        key: str,
        compute: Callable[[Loader], JsonValue],
    ) -> tuple[JsonValue, str] | None:
        counts = self.report.per_step[step.name]
        if key in self.memo:
            counts.reused += 1
            self.reusable[step.name] += 1
            return self.memo[key]
        if key in self.failed_keys:
            counts.failed += 1
            self.report.quarantined.append(Failure(step.name, item_id, self.failed_keys[key]))
            return None
        stored = self.store.get(key)
        if stored is not None:
            counts.reused += 1
            self.reusable[step.name] += 1
            self.memo[key] = (stored, output_hash(stored))
            return self.memo[key]
        if self.loader is None:
            self.missing[step.name].setdefault(key, []).append(item_id)
            return None
        try:
            output = compute(self.loader)
            digest = output_hash(output)  # refuses what is not JSON before anything is stored
        except Exception as error:  # quarantine: one unit's failure ends only that unit
            message = f"{type(error).__name__}: {error}"
            self.failed_keys[key] = message
            counts.failed += 1
            self.report.quarantined.append(Failure(step.name, item_id, message))
            return None
        self.store.put(key, output)
        counts.computed += 1
        self.report.computed_units.append((step.name, item_id))
        self.memo[key] = (output, digest)
        return self.memo[key]
