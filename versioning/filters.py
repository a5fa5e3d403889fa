"""A version's items cut by split and class: what `loupe pull --split/--class` asks for, in the
item index and in filtered exports (which keep only the chosen classes' shapes)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from common.errors import Invalid
from versioning.models import AnnotationBlob, DatasetVersion, VersionItem

UNASSIGNED = "unassigned"  # how the API names the empty split


@dataclass(frozen=True)
class ItemFilters:
    """Items in one of `splits` (stored names: "" for unassigned) holding a shape of one of
    `classes`; an empty tuple does not filter. Exports keep only those classes' shapes."""

    splits: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, params: dict[str, list[str]] | None) -> "ItemFilters":
        params = params or {}
        return cls(tuple(params.get("splits", ())), tuple(params.get("classes", ())))

    def as_params(self) -> dict[str, list[str]]:
        return {"splits": list(self.splits), "classes": list(self.classes)} if self else {}

    def __bool__(self) -> bool:
        return bool(self.splits or self.classes)


def item_filters(
    *, version: DatasetVersion, splits: Iterable[str] = (), classes: Iterable[str] = ()
) -> ItemFilters:
    """Filters checked against the version: a class must be one of its schema's."""
    names = [str(label.get("name")) for label in version.labels]
    classes = sorted(set(classes))
    unknown = [name for name in classes if name not in names]
    if unknown:
        raise Invalid(
            {
                "classes": [
                    f"This version has no class {unknown[0]!r}; its classes: {', '.join(names)}."
                ]
            }
        )
    stored = sorted({"" if split == UNASSIGNED else split for split in splits})
    if any(len(split) > 32 for split in stored):
        raise Invalid({"splits": ["A split name has at most 32 characters."]})
    return ItemFilters(splits=tuple(stored), classes=tuple(classes))


def rows_filtered(rows: QuerySet[VersionItem], filters: ItemFilters) -> QuerySet[VersionItem]:
    """Version rows kept by the filters: one subquery over blobs' class counts for classes."""
    if filters.splits:
        rows = rows.filter(split__in=filters.splits)
    if filters.classes:
        holding = Q()
        for name in filters.classes:
            holding |= Q(class_counts__has_key=name)
        blobs = AnnotationBlob.objects.filter(holding).values("content_hash")
        rows = rows.filter(annotation_hash__in=blobs)
    return rows
