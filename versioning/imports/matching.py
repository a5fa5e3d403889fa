"""What every import target shares: the project's items indexed to match a file's entries
(by sha256, else by name), the tally of what was matched and written, the checked shapes."""

import posixpath
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from typing import Any, NamedTuple

from annotate.shapes import ShapeSchema
from common.errors import Invalid
from formats.importing import canonical_uuid
from formats.records import ImportedItem
from formats.streams import file_stem
from projects.models import Item, Project

BATCH = 2000
# The result lists this many unmatched names (and counts them all).
UNMATCHED_LISTED = 1000
Progress = Callable[[int, int | None], None]


class ProjectItem(NamedTuple):
    # A tuple of ints: the garbage collector stops tracking it, so an index of 100k items
    # costs a collection nothing.
    pk: int
    width: int
    height: int


class ItemIndex:
    """The project's items by asset hash, and (built on first use: a file that gives every
    item's sha256 never needs it) by name, by base name and by stem (YOLO)."""

    def __init__(self, rows: list[tuple[int, str, str, int, int]]) -> None:
        self.rows = rows
        self.by_sha256 = {row[2]: ProjectItem(row[0], row[3], row[4]) for row in rows}

    @classmethod
    def of(cls, project: Project) -> "ItemIndex":
        rows = Item.objects.filter(project=project).order_by("pk")
        return cls(
            list(rows.values_list("pk", "name", "asset__sha256", "asset__width", "asset__height"))
        )

    @cached_property
    def by_name(self) -> dict[str, list[ProjectItem]]:
        by_name: dict[str, list[ProjectItem]] = {}
        for pk, name, _sha256, width, height in self.rows:
            item = ProjectItem(pk, width, height)
            names = {name, posixpath.basename(name), file_stem(name)} if name else set()
            for key in names:
                by_name.setdefault(key, []).append(item)
        return by_name

    def match(self, entry: ImportedItem) -> ProjectItem | None:
        """By sha256 when given; else by name, base name or stem (a Loupe export names images
        `<sha256>.<ext>`, YOLO gives stems only). A name shared by two items matches none."""
        if entry.sha256:
            return self.by_sha256.get(entry.sha256.lower())
        for key in (
            entry.file_name,
            posixpath.basename(entry.file_name),
            file_stem(entry.file_name),
        ):
            if key in self.by_sha256:
                return self.by_sha256[key]
            candidates = self.by_name.get(key, [])
            if candidates:
                return candidates[0] if len(candidates) == 1 else None
        return None


class _AnySize(Mapping[str, tuple[int, int]]):
    """YOLO's reader wants every image's size by stem. An unknown stem gets a unit size, so
    its normalised coordinates are still checked (0..1) and its file is reported as unmatched
    instead of refused; small, so a mask line of an unknown image rasterises nothing big."""

    UNKNOWN = (1, 1)

    def __init__(self, index: ItemIndex) -> None:
        self.index = index

    def __getitem__(self, stem: str) -> tuple[int, int]:
        item = self.index.match(ImportedItem(stem, None, []))
        return (item.width, item.height) if item else self.UNKNOWN

    def __contains__(self, stem: object) -> bool:
        return isinstance(stem, str)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


@dataclass
class Matched:
    item: ProjectItem
    file_name: str
    shapes: list[dict[str, Any]]
    scores: dict[str, float]


@dataclass
class Tally:
    items: int = 0
    matched: int = 0
    written: int = 0
    unchanged: int = 0
    shapes: int = 0
    unmatched: list[str] = field(default_factory=list)
    unmatched_count: int = 0
    seen: set[int] = field(default_factory=set)

    def result(self, params: dict[str, Any]) -> dict[str, Any]:
        result = {
            "format": params["format"],
            "target": params["target"],
            "file_name": params["file_name"],
            "sha256": params["sha256"],
            "items": self.items,
            "matched": self.matched,
            "written": self.written,
            "unchanged": self.unchanged,
            "shapes": self.shapes,
            "unmatched": self.unmatched,
            "unmatched_count": self.unmatched_count,
        }
        for name in ("source", "annotator"):
            if name in params:
                result[name] = params[name]
        return result


def _batches(entries: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(entries)
    while batch := list(islice(iterator, size)):
        yield batch


def _matched(batch: list[ImportedItem], index: ItemIndex, tally: Tally) -> list[Matched]:
    return [matched for entry in batch if (matched := _match(entry, index, tally))]


def _match(entry: ImportedItem, index: ItemIndex, tally: Tally) -> Matched | None:
    """Pair an entry with its item (None and counted when it has none)."""
    tally.items += 1
    item = index.match(entry)
    if item is None:
        tally.unmatched_count += 1
        if len(tally.unmatched) < UNMATCHED_LISTED:
            tally.unmatched.append(entry.file_name)
        return None
    if item.pk in tally.seen:
        raise Invalid(f"{entry.file_name}: a second entry for the same item.")
    tally.seen.add(item.pk)
    tally.matched += 1
    return Matched(item, entry.file_name, entry.shapes, _scores(entry.scores))


def _scores(scores: dict[str, float]) -> dict[str, float]:
    # Keyed as validate_shapes stores ids (lowercase, hyphenated).
    return {canonical_uuid(shape_id): score for shape_id, score in scores.items()}


def _clean(entry: Matched, schema: ShapeSchema) -> list[dict[str, Any]]:
    """The shapes as annotate stores them, or Invalid naming the entry, shape and field."""
    try:
        return schema.validate(entry.shapes, width=entry.item.width, height=entry.item.height)
    except Invalid as error:
        raise Invalid(f"{entry.file_name}: {error.message}") from None
