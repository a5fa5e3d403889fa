"""Step declarations: a named, versioned function of images, annotations and other steps' outputs.

A step's cache key covers its name, its version, a fingerprint of its code and its `config` (model
weights' hash, thresholds), so editing the function, bumping the version or swapping a model all
invalidate exactly that step's outputs and whatever depends on their values.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Granularity = Literal["item", "dataset"]
JsonValue = Any  # a JSON value: what RFC 8785 can canonicalise

#: Inputs every item carries: its asset's sha256, its accepted annotation's content hash, its split.
ITEM_SOURCES = frozenset({"image", "annotation", "split"})
#: Inputs the whole version carries (hashed once per run), e.g. the activity log.
DATASET_SOURCES = frozenset({"activity"})
SOURCES = ITEM_SOURCES | DATASET_SOURCES


class StepDeclarationError(ValueError):
    """A step or pipeline is declared wrongly (duplicate name, bad granularity, unknown input)."""


def code_fingerprint(function: Callable[..., Any]) -> str:
    """SHA-256 of the function's source; its qualified name when the source is unavailable.

    Only the step function's own text counts: a change in a helper it calls needs a version bump.
    """
    try:
        text = inspect.getsource(function)
    except (OSError, TypeError):
        module = getattr(function, "__module__", "")
        text = f"{module}.{getattr(function, '__qualname__', repr(function))}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Step:
    """One node of a pipeline. `compute` takes `ItemInputs` or `DatasetInputs` (see runner)."""

    name: str
    version: int
    inputs: tuple[str, ...]
    granularity: Granularity
    compute: Callable[..., JsonValue] = field(repr=False)
    config: JsonValue = None
    fingerprint: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.name or self.name in SOURCES:
            raise StepDeclarationError(f"A step may not be named {self.name!r}.")
        if self.granularity not in ("item", "dataset"):
            raise StepDeclarationError(
                f"Step {self.name!r}: granularity must be 'item' or 'dataset', "
                f"not {self.granularity!r}."
            )
        if len(set(self.inputs)) != len(self.inputs):
            raise StepDeclarationError(f"Step {self.name!r} lists an input twice: {self.inputs}.")
        if self.name in self.inputs:
            raise StepDeclarationError(f"Step {self.name!r} cannot take its own output as input.")
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", code_fingerprint(self.compute))

    def __hash__(self) -> int:
        # The generated hash would cover `config`, which may be an (unhashable) dict.
        return hash((self.name, self.version, self.fingerprint))

    def __call__(self, inputs: Any) -> JsonValue:
        return self.compute(inputs)

    @property
    def upstream(self) -> tuple[str, ...]:
        """The inputs that are other steps (not images, annotations, splits or the activity log)."""
        return tuple(name for name in self.inputs if name not in SOURCES)


class Registry:
    """Steps by name. `default_registry` holds the built-in steps; tests make their own."""

    def __init__(self) -> None:
        self._steps: dict[str, Step] = {}

    def register(self, new_step: Step) -> Step:
        existing = self._steps.get(new_step.name)
        if existing is not None and existing != new_step:
            raise StepDeclarationError(f"A different step named {new_step.name!r} is registered.")
        self._steps[new_step.name] = new_step
        return new_step

    def get(self, name: str) -> Step:
        try:
            return self._steps[name]
        except KeyError:
            raise StepDeclarationError(f"No step named {name!r} is registered.") from None

    def __contains__(self, name: object) -> bool:
        return name in self._steps

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._steps))

    def __len__(self) -> int:
        return len(self._steps)

    def as_mapping(self) -> Mapping[str, Step]:
        return dict(self._steps)


default_registry = Registry()


def step(
    *,
    name: str,
    version: int,
    inputs: tuple[str, ...],
    granularity: Granularity = "item",
    config: JsonValue = None,
    registry: Registry | None = None,
) -> Callable[[Callable[..., JsonValue]], Step]:
    """Declare and register a step; the decorated name becomes the `Step` (still callable)."""

    def register(compute: Callable[..., JsonValue]) -> Step:
        declared = Step(
            name=name,
            version=version,
            inputs=tuple(inputs),
            granularity=granularity,
            compute=compute,
            config=config,
        )
        return (registry if registry is not None else default_registry).register(declared)

    return register
