"""The snapshot computed in Postgres (DatabaseSnapshot): the same manifest, blobs, rows and stats
as the Python path of versioning.services.snapshot, without reading a shape into Python."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import F

from annotate.models import AnnotationDocument, DocumentKind, DocumentStatus
from formats.canonical import content_hash
from projects.item_roles import ROLE_FIELD, item_roles
from projects.models import Item, Project
from versioning.models import AnnotationBlob, DatasetVersion, VersionRow
from versioning.rows import Row, delta_fits
from versioning.services.manifest import Manifested, Progress, RowsPlan, _stats_of

# Which document stands for an item, as SQL (the same order as KIND_RANK and the Python rank).
_ORDER_ACCEPTED = (
    "CASE d.kind WHEN %s THEN 2 WHEN %s THEN 1 ELSE 0 END DESC, d.updated_at DESC, d.id DESC"
)
_ORDER_SUBMITTED = "COALESCE(d.submitted_at, d.updated_at) DESC, d.id DESC"


@dataclass
class DatabaseSnapshot(Manifested):
    """A snapshot computed in Postgres: the chosen documents, their new blobs and the manifest
    rows are written server-side (the rows into a temporary table of the snapshot's
    transaction), so no shape crosses into Python. Only the manifest rows (4 short columns per
    item) are read, to hash them; the delta against the base, the stats and the version rows
    come from the same temporary table, so they describe exactly the manifest that was
    hashed."""

    rows: list[Row] = field(default_factory=list)

    @classmethod
    def build(cls, *, project: Project, source: str, filters: dict[str, Any]) -> "DatabaseSnapshot":
        statuses = [DocumentStatus.ACCEPTED.value]
        if source == "submitted":
            statuses.append(DocumentStatus.SUBMITTED.value)
        order, order_params = _ORDER_SUBMITTED, []
        if source == "accepted":
            order = _ORDER_ACCEPTED
            order_params = [DocumentKind.CONSENSUS.value, DocumentKind.REVIEW.value]
        documents = AnnotationDocument._meta.db_table
        blobs = AnnotationBlob._meta.db_table
        items_sql, items_params = _items_query(project=project, filters=filters)
        with connection.cursor() as cursor:
            # The choice of documents sorts every document of the project: in memory, not
            # in a spill file (at the default 4 MB, 100k items' sort spilled 11 MB to disk).
            cursor.execute("SET LOCAL work_mem = '64MB'")
            # No index: every read of it is a whole scan (a hash join, a sort, a count).
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS snapshot_rows (item_id bigint,"
                " asset_sha256 varchar(64), annotation_hash varchar(64), split varchar(32),"
                " annotator_id bigint, chosen boolean) ON COMMIT DROP"
            )
            cursor.execute("TRUNCATE snapshot_rows")
            # One statement, so one MVCC snapshot: a blob holds the shapes of the very row
            # whose hash the manifest names, even under a racing save.
            cursor.execute(
                f"WITH chosen AS MATERIALIZED (SELECT DISTINCT ON (d.item_id) d.item_id, d.id,"
                f" d.content_hash, d.annotator_id FROM {documents} d JOIN projects_item i"
                f" ON i.id = d.item_id WHERE i.project_id = %s AND d.status = ANY(%s)"
                f" ORDER BY d.item_id, {order}),"
                # One document per content hash that has no blob yet.
                " new AS MATERIALIZED (SELECT DISTINCT ON (c.content_hash) c.id, c.content_hash"
                f" FROM chosen c WHERE NOT EXISTS (SELECT 1 FROM {blobs} b"
                " WHERE b.content_hash = c.content_hash) ORDER BY c.content_hash, c.id),"
                # Their class counts in one aggregate (a subquery per row costs 3x more).
                " counts AS (SELECT s.content_hash, jsonb_object_agg(s.label, s.n) AS counts"
                " FROM (SELECT d.content_hash, COALESCE(e->>'label', '') AS label,"
                f" count(*) AS n FROM new JOIN {documents} d ON d.id = new.id"
                " CROSS JOIN LATERAL jsonb_array_elements(d.shapes) e GROUP BY 1, 2) s"
                " GROUP BY 1),"
                f" fresh AS (INSERT INTO {blobs} (content_hash, shapes, class_counts, created_at)"
                " SELECT d.content_hash, d.shapes, COALESCE(k.counts, '{}'), now() FROM new"
                f" JOIN {documents} d ON d.id = new.id LEFT JOIN counts k"
                " ON k.content_hash = new.content_hash ON CONFLICT (content_hash) DO NOTHING),"
                " ins AS (INSERT INTO snapshot_rows SELECT q.v_item, q.v_sha256,"
                " c.content_hash, q.v_split, c.annotator_id, c.item_id IS NOT NULL"
                f" FROM ({items_sql}) q LEFT JOIN chosen c ON c.item_id = q.v_item"
                " RETURNING item_id, asset_sha256, annotation_hash, split)"
                " SELECT * FROM ins ORDER BY item_id",
                [project.pk, statuses, *order_params, *items_params],
            )
            rows = cursor.fetchall()
        manifest = {
            "schema_hash": content_hash(project.labels),
            "filters": filters,
            "items": rows,  # tuples: manifest_canonical writes them as arrays
        }
        return cls(manifest=manifest, rows=rows)

    def plan(self, *, base_id: str | None) -> RowsPlan:
        """Stored against the base when few rows differ: the delta goes to a temporary table
        (snapshot_delta), found by one join of the manifest rows with the base's."""
        if base_id is None:
            return RowsPlan()
        stored = VersionRow._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS snapshot_delta (item_id bigint,"
                " asset_sha256 varchar(64), annotation_hash varchar(64), split varchar(32),"
                " removed boolean, base_hash varchar(64)) ON COMMIT DROP"
            )
            cursor.execute("TRUNCATE snapshot_delta")
            # One pass over both sides: changed and added rows, and a tombstone (the base's
            # row, removed) for each base item left out; with the base's annotation hash, for
            # the stats.
            cursor.execute(
                "INSERT INTO snapshot_delta SELECT COALESCE(s.item_id, b.item_id),"
                " COALESCE(s.asset_sha256, b.asset_sha256), CASE WHEN s.item_id IS NULL"
                " THEN b.annotation_hash ELSE s.annotation_hash END, COALESCE(s.split, b.split),"
                " s.item_id IS NULL, b.annotation_hash FROM snapshot_rows s FULL JOIN"
                f" (SELECT * FROM {stored} WHERE version_id = %s) b ON b.item_id = s.item_id"
                " WHERE s.item_id IS NULL OR b.item_id IS NULL"
                " OR b.asset_sha256 <> s.asset_sha256 OR b.split <> s.split"
                " OR b.annotation_hash IS DISTINCT FROM s.annotation_hash",
                [base_id],
            )
            changed = cursor.rowcount
        if not delta_fits(changed=changed, rows=len(self.rows)):
            return RowsPlan()
        return RowsPlan(base_id=base_id)

    def stats(self, plan: RowsPlan) -> dict[str, Any]:
        """What _stats computes, summed in the database from the blobs' class counts: over
        every row for a version stored in full, over its delta for a delta version."""
        with connection.cursor() as cursor:
            if plan.base_id is None:
                cursor.execute(
                    "SELECT e.key, sum(e.value::bigint) FROM snapshot_rows r"
                    f" JOIN {AnnotationBlob._meta.db_table} b"
                    " ON b.content_hash = r.annotation_hash"
                    " CROSS JOIN LATERAL jsonb_each_text(b.class_counts) e WHERE r.chosen"
                    " GROUP BY e.key"
                )
                per_class = {label: int(count) for label, count in cursor.fetchall()}
            else:
                per_class = _classes_after_delta(cursor, base_id=plan.base_id)
            cursor.execute(
                "SELECT annotator_id, count(*) FROM snapshot_rows WHERE chosen GROUP BY 1"
            )
            per_annotator = dict(cursor.fetchall())
        return _stats_of(
            rows=self.rows,
            annotated=sum(per_annotator.values()),
            per_class=per_class,
            per_annotator=per_annotator,
        )

    def rows_write(
        self, *, version_id: str, plan: RowsPlan, progress: Progress | None = None
    ) -> None:
        """Only in the transaction that created the version row: none can exist yet."""
        source = "snapshot_rows" if plan.base_id is None else "snapshot_delta"
        removed = "false" if plan.base_id is None else "removed"
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {VersionRow._meta.db_table}"
                " (version_id, item_id, asset_sha256, annotation_hash, split, removed)"
                f" SELECT %s, item_id, asset_sha256, annotation_hash, split, {removed}"
                f" FROM {source}",
                [version_id],
            )
        if progress:
            progress(len(self.rows), None)


def _classes_after_delta(cursor: Any, *, base_id: str) -> dict[str, int]:
    """Shapes per class of a delta version: its base's, less those of the base rows its delta
    replaces, plus those of its delta's rows (a row with an annotation hash is an annotated
    item; blobs' class counts never change)."""
    base_stats = DatasetVersion.objects.values_list("stats", flat=True).get(pk=base_id)
    per_class: Counter[str] = Counter(base_stats.get("shapes_per_class", {}))
    cursor.execute(
        "SELECT e.key, sum(x.sign * e.value::bigint) FROM (SELECT annotation_hash AS digest,"
        " 1 AS sign FROM snapshot_delta WHERE NOT removed UNION ALL SELECT base_hash, -1"
        f" FROM snapshot_delta) x JOIN {AnnotationBlob._meta.db_table} blob"
        " ON blob.content_hash = x.digest"
        " CROSS JOIN LATERAL jsonb_each_text(blob.class_counts) e GROUP BY e.key"
    )
    for label, change in cursor.fetchall():
        per_class[label] += int(change)
    return {label: count for label, count in per_class.items() if count}


def _items_query(*, project: Project, filters: dict[str, Any]) -> tuple[str, Any]:
    """The SQL of the selected items (v_item, v_sha256, v_split), as _items_selected picks."""
    items = Item.objects.filter(project=project)
    if "splits" in filters:
        items = items.filter(split__in=filters["splits"])
    if "roles" in filters:
        items = item_roles().with_role(items).filter(**{f"{ROLE_FIELD}__in": filters["roles"]})
    if "items" in filters:
        items = items.filter(pk__in=filters["items"])
    columns = items.order_by().values(
        v_item=F("pk"), v_sha256=F("asset__sha256"), v_split=F("split")
    )
    return columns.query.sql_with_params()
