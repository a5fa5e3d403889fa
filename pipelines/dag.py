"""A pipeline's steps as a DAG: resolved from names, checked, in one deterministic order."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pipelines.steps import SOURCES, Registry, Step, StepDeclarationError, default_registry


class PipelineError(StepDeclarationError):
    """The pipeline cannot run: an unknown step or input, or a cycle."""


@dataclass(frozen=True)
class Dag:
    """Steps in topological order; `downstream[name]` lists the steps that read `name`."""

    steps: tuple[Step, ...]
    downstream: Mapping[str, tuple[str, ...]]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(step.name for step in self.steps)

    def step(self, name: str) -> Step:
        for candidate in self.steps:
            if candidate.name == name:
                return candidate
        raise PipelineError(f"Step {name!r} is not in this pipeline.")


def build_dag(step_names: Iterable[str], registry: Registry | None = None) -> Dag:
    """Resolve `step_names` and every step they read from, then order them.

    Steps a listed step reads from are pulled in even when the pipeline does not name them, so a
    pipeline is the set of outputs wanted, not a build script. Ties in the order go to per-item
    steps first (so consecutive per-item steps share one image decode), then by name.
    """
    steps = _resolve(list(step_names), registry if registry is not None else default_registry)
    order = _topological_order(steps)
    downstream: dict[str, list[str]] = {name: [] for name in steps}
    for step in order:
        for upstream in step.upstream:
            downstream[upstream].append(step.name)
    return Dag(
        steps=tuple(order),
        downstream={name: tuple(readers) for name, readers in downstream.items()},
    )


def _resolve(step_names: list[str], registry: Registry) -> dict[str, Step]:
    if not step_names:
        raise PipelineError("A pipeline needs at least one step.")
    resolved: dict[str, Step] = {}
    pending = list(step_names)
    while pending:
        name = pending.pop()
        if name in resolved:
            continue
        if name not in registry:
            raise PipelineError(f"Unknown step {name!r}.")
        step = registry.get(name)
        for input_name in step.inputs:
            if input_name in SOURCES:
                continue
            if input_name not in registry:
                known = ", ".join(sorted(SOURCES))
                raise PipelineError(
                    f"Step {name!r} reads unknown input {input_name!r}: "
                    f"an input is one of {known} or a registered step."
                )
            pending.append(input_name)
        resolved[name] = step
    return resolved


def _topological_order(steps: Mapping[str, Step]) -> list[Step]:
    waiting = {name: set(step.upstream) for name, step in steps.items()}
    ready = [_rank(steps[name]) for name, needs in waiting.items() if not needs]
    heapq.heapify(ready)
    order: list[Step] = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(steps[name])
        for other, needs in waiting.items():
            if name in needs:
                needs.discard(name)
                if not needs:
                    heapq.heappush(ready, _rank(steps[other]))
    if len(order) < len(steps):
        raise PipelineError(f"The steps form a cycle: {' -> '.join(_find_cycle(steps))}.")
    return order


def _rank(step: Step) -> tuple[int, str]:
    return (0 if step.granularity == "item" else 1, step.name)


def _find_cycle(steps: Mapping[str, Step]) -> list[str]:
    """One cycle, as names, starting and ending at its alphabetically first member."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for upstream in sorted(steps[name].upstream):
            if state.get(upstream) == 1:
                cycle = path[path.index(upstream) :]
                start = cycle.index(min(cycle))
                rotated = cycle[start:] + cycle[:start]
                return [*rotated, rotated[0]]
            if upstream not in state:
                found = visit(upstream)
                if found:
                    return found
        path.pop()
        state[name] = 2
        return None

    for name in sorted(steps):
        if name not in state:
            found = visit(name)
            if found:
                return found
    return []
