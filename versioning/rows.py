"""Manifest rows of two versions that differ, found in the database: a diff of two 100k-item
versions that share 99% of their rows reads the 1% (an anti-join both ways over the
(version, item) index), not 200k rows into Python."""

from django.db import connection

from versioning.diff import Rows
from versioning.models import VersionItem

_ONLY_IN_FIRST = (
    "SELECT o.item_id, o.asset_sha256, o.annotation_hash, o.split FROM {table} o"
    " WHERE o.version_id = %s AND NOT EXISTS (SELECT 1 FROM {table} n WHERE n.version_id = %s"
    " AND n.item_id = o.item_id AND n.asset_sha256 = o.asset_sha256 AND n.split = o.split"
    " AND (n.annotation_hash = o.annotation_hash"
    " OR (n.annotation_hash IS NULL AND o.annotation_hash IS NULL)))"
)


def rows_that_differ(*, old_id: str, new_id: str) -> tuple[Rows, Rows]:
    """(old rows, new rows) of the items whose row is not the same in both versions: what
    versioning.diff.versions_diff needs, as it skips identical rows."""
    query = _ONLY_IN_FIRST.format(table=VersionItem._meta.db_table)
    sides: list[Rows] = []
    with connection.cursor() as cursor:
        for first, second in ((old_id, new_id), (new_id, old_id)):
            cursor.execute(query, [first, second])
            sides.append(
                {item_id: (asset, digest, split) for item_id, asset, digest, split in cursor}
            )
    return sides[0], sides[1]
