"""What a step reads: items of a version, dataset-wide sources, and the loader that fetches bytes.

A step sees only the inputs it declares: reading an undeclared one raises, because the cache key
would not cover it and its outputs would go stale silently.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from PIL import Image, ImageOps

from formats.canonical import content_hash
from pipelines.steps import JsonValue, Step

ItemId = str
Shape = dict[str, Any]


class UndeclaredInputError(LookupError):
    """A step read an input it does not declare."""


@dataclass(frozen=True)
class Item:
    """An item of a version as pipelines see it: content hashes plus ways to fetch the content."""

    item_id: ItemId
    image: str  # the asset's sha256
    annotation: str | None = None  # content hash of the accepted annotation, None when unlabeled
    split: str = ""
    load_image_bytes: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)
    load_shapes: Callable[[], list[Shape]] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_pair(cls, item_id: ItemId, spec: Mapping[str, Any]) -> Item:
        """From `(item_id, {"image": sha, "annotation": hash_or_None, "image_bytes_loader": ...})`;
        optional keys `split` and `shapes_loader` (or `shapes`, a ready list)."""
        shapes = spec.get("shapes")
        shapes_loader = spec.get("shapes_loader")
        if shapes_loader is None and shapes is not None:
            ready: list[Shape] = list(shapes)

            def shapes_loader() -> list[Shape]:
                return ready

        return cls(
            item_id=str(item_id),
            image=spec["image"],
            annotation=spec.get("annotation"),
            split=spec.get("split") or "",
            load_image_bytes=spec.get("image_bytes_loader"),
            load_shapes=shapes_loader,
        )


def as_items(items: Iterable[Item | tuple[ItemId, Mapping[str, Any]]]) -> list[Item]:
    """Items in a stable order (by id), refusing duplicate ids."""
    normalized = [
        entry if isinstance(entry, Item) else Item.from_pair(entry[0], entry[1]) for entry in items
    ]
    normalized.sort(key=lambda item: item.item_id)
    for before, after in zip(normalized, normalized[1:], strict=False):
        if before.item_id == after.item_id:
            raise ValueError(f"Item {before.item_id!r} is listed twice.")
    return normalized


@dataclass(frozen=True)
class DatasetSource:
    """A version-wide input (e.g. the activity log): its content hash and how to load it."""

    content_hash: str
    load: Callable[[], Any] = field(compare=False, repr=False)

    @classmethod
    def of(cls, value: JsonValue) -> DatasetSource:
        digest = content_hash(value)
        return cls(content_hash=digest, load=lambda: value)


class Loader(Protocol):
    """Fetches what items point at and keeps the blobs steps produce (thumbnails)."""

    def image(self, item: Item) -> Image.Image: ...

    def shapes(self, item: Item) -> list[Shape]: ...

    def put_blob(self, sha256: str, data: bytes, media_type: str) -> None: ...


BlobSink = Callable[[str, bytes, str], None]


class ItemLoader:
    """The reference loader: calls each item's own loaders and hands blobs to `blob_sink`.

    It keeps the last decoded image, so consecutive per-item steps decode an item once. Without a
    sink, blobs are kept in `self.blobs` (sha256 -> bytes).
    """

    def __init__(self, blob_sink: BlobSink | None = None) -> None:
        self._blob_sink = blob_sink
        self.blobs: dict[str, bytes] = {}
        self._last: tuple[str, Image.Image] | None = None

    def image(self, item: Item) -> Image.Image:
        if self._last is not None and self._last[0] == item.image:
            return self._last[1]
        if item.load_image_bytes is None:
            raise LookupError(f"Item {item.item_id!r} has no image loader.")
        decoded = decode_image(item.load_image_bytes())
        self._last = (item.image, decoded)
        return decoded

    def shapes(self, item: Item) -> list[Shape]:
        if item.load_shapes is None:
            raise LookupError(f"Item {item.item_id!r} has an annotation but no shapes loader.")
        return item.load_shapes()

    def put_blob(self, sha256: str, data: bytes, media_type: str) -> None:
        if self._blob_sink is not None:
            self._blob_sink(sha256, data, media_type)
        else:
            self.blobs[sha256] = data


def decode_image(data: bytes) -> Image.Image:
    """Decode fully and apply the EXIF orientation, so every step sees the image as shown."""
    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        return ImageOps.exif_transpose(opened)


class _Declared:
    def __init__(self, step: Step, loader: Loader, sources: Mapping[str, DatasetSource]) -> None:
        self.step = step
        self.loader = loader
        self._sources = sources

    def _require(self, input_name: str) -> None:
        if input_name not in self.step.inputs:
            raise UndeclaredInputError(
                f"Step {self.step.name!r} reads {input_name!r} without declaring it as an input."
            )

    def source(self, name: str) -> Any:
        """A version-wide input such as `activity`."""
        self._require(name)
        try:
            return self._sources[name].load()
        except KeyError:
            raise LookupError(f"The run was given no {name!r} source.") from None


class ItemInputs(_Declared):
    """What a per-item step's `compute` receives."""

    def __init__(
        self,
        step: Step,
        item: Item,
        upstream: Mapping[str, JsonValue],
        loader: Loader,
        sources: Mapping[str, DatasetSource],
    ) -> None:
        super().__init__(step, loader, sources)
        self.item = item
        self._upstream = upstream

    def image(self) -> Image.Image:
        """The decoded image (shared between steps: copy before changing it)."""
        self._require("image")
        return self.loader.image(self.item)

    def shapes(self) -> list[Shape]:
        """The accepted annotation's shapes; empty when the item has none."""
        self._require("annotation")
        return [] if self.item.annotation is None else self.loader.shapes(self.item)

    @property
    def split(self) -> str:
        self._require("split")
        return self.item.split

    def upstream(self, name: str) -> JsonValue:
        self._require(name)
        return self._upstream[name]

    def put_blob(self, data: bytes, media_type: str) -> str:
        """Hand bytes (a thumbnail) to the blob store; returns their sha256."""
        sha256 = hashlib.sha256(data).hexdigest()
        self.loader.put_blob(sha256, data, media_type)
        return sha256


class DatasetInputs(_Declared):
    """What a dataset step's `compute` receives: every item, per-item upstream outputs by id."""

    def __init__(
        self,
        step: Step,
        items: Sequence[Item],
        upstream: Mapping[str, Any],
        loader: Loader,
        sources: Mapping[str, DatasetSource],
    ) -> None:
        super().__init__(step, loader, sources)
        self.items = tuple(items)
        self._upstream = upstream

    def upstream(self, name: str) -> Any:
        """For a per-item step: {item_id: output}; for a dataset step: its output."""
        self._require(name)
        return self._upstream[name]

    def shapes(self, item: Item) -> list[Shape]:
        self._require("annotation")
        return [] if item.annotation is None else self.loader.shapes(item)

    def split(self, item: Item) -> str:
        self._require("split")
        return item.split
