"""How a version's manifest rows are stored, and the rows of two versions that differ.

A version is stored in full (one VersionRow per item) or as a delta against a base, a version
stored in full: one VersionRow per item whose row differs from the base's, `removed` for an item
the base has and the version has not. A re-snapshot after a 1% relabel so writes 1% of the rows,
and the storage a version adds grows with what changed since its base. Every version's rows
read back through VersionItem, a view that fills a delta in from its base (migration 0004).

Deltas are taken against the base of the latest version (not chained), so a read is one level
deep. A delta only grows as changes pile up since its base; once it would pass DELTA_SHARE of
the version's rows, the version is stored in full and becomes the base of the next ones.

A diff of two versions on the same base reads only the items either stores (what changed),
not the dataset; others fall back to an anti-join both ways over VersionItem."""

from collections.abc import Iterable

from django.db import connection

from versioning.diff import Rows
from versioning.models import DatasetVersion, VersionItem, VersionRow

# Small versions are always stored as deltas (a read of them is cheap anyway); large ones
# while the delta stays under an eighth of their rows.
DELTA_MIN_ROWS = 64
DELTA_SHARE = 8
ROW_FIELDS = ("item_id", "asset_sha256", "annotation_hash", "split")
# item id, asset sha256, annotation hash or None, split
Row = tuple[int, str, str | None, str]
# Row + removed
StoredRow = tuple[int, str, str | None, str, bool]


def delta_fits(*, changed: int, rows: int) -> bool:
    """Whether a version of `rows` rows, `changed` of them differing from the base's
    (tombstones included), is stored as a delta rather than in full."""
    return changed <= max(DELTA_MIN_ROWS, rows // DELTA_SHARE)


def base_for(parent: DatasetVersion | None) -> str | None:
    """The version a new one may be stored against: its parent's base, or the parent itself
    when that is stored in full. None for a project's first version."""
    if parent is None:
        return None
    return parent.base_id or parent.pk


def stored_rows(version_id: str) -> Rows:
    """The rows a version stored in full holds (a base's rows), by item id."""
    rows = VersionRow.objects.filter(version_id=version_id, removed=False)
    return _rows_of(rows.values_list(*ROW_FIELDS))


def rows_delta(*, base: Rows, rows: Iterable[Row]) -> list[StoredRow]:
    """The rows a delta against `base` stores: each row `base` does not hold as it is, then a
    tombstone (the base's row, `removed`) for each base item the version lacks."""
    delta: list[StoredRow] = []
    seen: set[int] = set()
    for item_id, asset_sha256, annotation_hash, split in rows:
        seen.add(item_id)
        if base.get(item_id) != (asset_sha256, annotation_hash, split):
            delta.append((item_id, asset_sha256, annotation_hash, split, False))
    for item_id in sorted(base.keys() - seen):
        asset_sha256, annotation_hash, split = base[item_id]
        delta.append((item_id, asset_sha256, annotation_hash, split, True))
    return delta


def rows_that_differ(*, old_id: str, new_id: str) -> tuple[Rows, Rows]:
    """(old rows, new rows) of the items whose row is not the same in both versions: what
    versioning.diff.versions_diff needs, as it skips identical rows."""
    bases = dict(
        DatasetVersion.objects.filter(pk__in=[old_id, new_id]).values_list("pk", "base_id")
    )
    old_base, new_base = bases.get(old_id) or old_id, bases.get(new_id) or new_id
    if old_base != new_base:
        return _rows_that_differ_anywhere(old_id=old_id, new_id=new_id)
    # Same base: an item neither version stores a row of is the base's row in both.
    deltas = [version_id for version_id in (old_id, new_id) if bases.get(version_id)]
    touched = VersionRow.objects.filter(version_id__in=deltas).values("item_id")
    old_rows, new_rows = (
        _rows_of(
            VersionItem.objects.filter(version_id=version_id, item_id__in=touched).values_list(
                *ROW_FIELDS
            )
        )
        for version_id in (old_id, new_id)
    )
    same = [item_id for item_id, row in old_rows.items() if new_rows.get(item_id) == row]
    for item_id in same:
        del old_rows[item_id], new_rows[item_id]
    return old_rows, new_rows


def _rows_of(rows: Iterable[tuple[int, str, str | None, str]]) -> Rows:
    return {item_id: (asset, digest, split) for item_id, asset, digest, split in rows}


# Rows of the first version that the second lacks or holds otherwise.
_ONLY_IN_FIRST = (
    "SELECT o.item_id, o.asset_sha256, o.annotation_hash, o.split FROM {table} o"
    " WHERE o.version_id = %s AND NOT EXISTS (SELECT 1 FROM {table} n WHERE n.version_id = %s"
    " AND n.item_id = o.item_id AND n.asset_sha256 = o.asset_sha256 AND n.split = o.split"
    " AND (n.annotation_hash = o.annotation_hash"
    " OR (n.annotation_hash IS NULL AND o.annotation_hash IS NULL)))"
)


def _rows_that_differ_anywhere(*, old_id: str, new_id: str) -> tuple[Rows, Rows]:
    """Versions on different bases: an anti-join both ways, in the database."""
    query = _ONLY_IN_FIRST.format(table=VersionItem._meta.db_table)
    sides: list[Rows] = []
    with connection.cursor() as cursor:
        for first, second in ((old_id, new_id), (new_id, old_id)):
            cursor.execute(query, [first, second])
            sides.append(_rows_of(cursor.fetchall()))
    return sides[0], sides[1]
