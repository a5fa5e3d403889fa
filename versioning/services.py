"""Every write of the versioning app: snapshot requests and the snapshot itself, version tags,
export requests. Job lifecycle lives in versioning.jobs."""

import hashlib
import json
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from types import NoneType
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Case, Exists, F, JSONField, OuterRef, Subquery, Value, When

from annotate.models import AnnotationDocument, DocumentKind, DocumentStatus
from common.errors import Invalid, NotFound, PermissionDenied
from formats.canonical import canonical_json, content_hash
from projects.item_roles import ROLE_FIELD, item_roles
from projects.models import Item, Project, Role
from projects.selectors import project_role, role_at_least
from versioning.exports import exporters, version_items
from versioning.filters import ItemFilters
from versioning.jobs import job_create
from versioning.models import (
    AnnotationBlob,
    DatasetVersion,
    ExportFile,
    Job,
    JobKind,
    VersionRow,
    VersionTag,
)
from versioning.rows import Row, StoredRow, base_for, delta_fits, rows_delta, stored_rows
from versioning.version_features import version_features

SOURCES = ("accepted", "submitted")
ROW_BATCH = 5000
BLOB_BATCH = 500
TAG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
FEATURES_FORMAT = "parquet"  # the one codec that carries feature tables
# Which accepted document stands for an item when several are: consensus over review over an
# annotator's, then the most recently changed.
KIND_RANK: dict[str, int] = {
    DocumentKind.CONSENSUS: 2,
    DocumentKind.REVIEW: 1,
    DocumentKind.ANNOTATOR: 0,
}
Progress = Callable[[int, int | None], None]


def _require_manager(*, user: User, project: Project) -> None:
    if not role_at_least(project_role(user=user, project_id=project.pk), Role.MANAGER):
        raise PermissionDenied("Snapshotting and tagging versions needs the manager role.")


def snapshot_filters_clean(filters: dict[str, Any]) -> dict[str, Any]:
    """The canonical form of snapshot filters (part of the manifest, so part of the id)."""
    unknown = set(filters) - {"splits", "items", "roles"}
    if unknown:
        raise Invalid({"filters": [f"Unknown filter {sorted(unknown)[0]!r}."]})
    clean: dict[str, Any] = {}
    for name, kind in (("splits", str), ("items", int), ("roles", str)):
        values = filters.get(name)
        if values in (None, []):
            continue
        if not isinstance(values, list) or not all(
            isinstance(value, kind) and not isinstance(value, bool) for value in values
        ):
            raise Invalid({"filters": {name: [f"Expected a list of {kind.__name__} values."]}})
        clean[name] = sorted(set(values))
    return clean


@transaction.atomic
def version_snapshot_request(
    *, project: Project, user: User, message: str, source: str, filters: dict[str, Any]
) -> Job:
    _require_manager(user=user, project=project)
    if source not in SOURCES:
        raise Invalid({"source": [f"Use one of {', '.join(SOURCES)}."]})
    params = {"message": message, "source": source, "filters": snapshot_filters_clean(filters)}
    return job_create(kind=JobKind.SNAPSHOT, project=project, user=user, params=params)


@dataclass
class ChosenDocument:
    content_hash: str
    annotator_id: int
    class_counts: dict[str, int] | None  # None: no blob yet, `shapes` holds the shapes
    shapes: list[dict[str, Any]] | None


def _documents_chosen(*, project: Project, source: str) -> dict[int, ChosenDocument]:
    """The document standing for each item, in one query. Shapes come along only for content
    hashes that have no blob yet, so a re-snapshot reads what changed, not the dataset; and in
    the same statement as the hash, so a save racing the snapshot cannot pair a hash with
    other shapes."""
    statuses = [DocumentStatus.ACCEPTED]
    if source == "submitted":
        statuses.append(DocumentStatus.SUBMITTED)
    blobs = AnnotationBlob.objects.filter(content_hash=OuterRef("content_hash"))
    rows = (
        AnnotationDocument.objects.filter(item__project=project, status__in=statuses)
        .annotate(
            blob_counts=Subquery(blobs.values("class_counts")[:1], output_field=JSONField()),
            has_blob=Exists(blobs),
        )
        .annotate(
            new_shapes=Case(
                When(has_blob=False, then=F("shapes")),
                default=Value(None),
                output_field=JSONField(),
            )
        )
        .values_list(
            "item_id",
            "kind",
            "updated_at",
            "submitted_at",
            "pk",
            "content_hash",
            "annotator_id",
            "blob_counts",
            "has_blob",
            "new_shapes",
        )
    )
    best: dict[int, tuple[Any, ChosenDocument]] = {}
    for item_id, kind, updated_at, submitted_at, pk, digest, annotator, *blob in rows:
        counts, has_blob, shapes = blob
        if source == "accepted":
            rank: tuple[Any, ...] = (KIND_RANK.get(kind, 0), updated_at, pk)
        else:
            rank = (submitted_at or updated_at, pk)
        if item_id not in best or rank > best[item_id][0]:
            chosen = ChosenDocument(
                content_hash=digest,
                annotator_id=annotator,
                class_counts=counts if has_blob else None,
                shapes=None if has_blob else shapes,
            )
            best[item_id] = (rank, chosen)
    return {item_id: chosen for item_id, (_, chosen) in best.items()}


def _items_selected(*, project: Project, filters: dict[str, Any]) -> list[tuple[int, str, str]]:
    items = Item.objects.filter(project=project)
    if "splits" in filters:
        items = items.filter(split__in=filters["splits"])
    if "roles" in filters:
        # Gold and training are quality's business, asked through the projects seam.
        items = item_roles().with_role(items).filter(**{f"{ROLE_FIELD}__in": filters["roles"]})
    rows = list(items.order_by("pk").values_list("pk", "asset__sha256", "split"))
    if "items" in filters:
        wanted = set(filters["items"])
        rows = [row for row in rows if row[0] in wanted]
    return rows


def class_counts_of(shapes: list[dict[str, Any]]) -> dict[str, int]:
    return dict(Counter(str(shape.get("label", "")) for shape in shapes))


@dataclass
class Manifested:
    """A snapshot's manifest, its canonical bytes and the version id they give."""

    manifest: dict[str, Any]
    canonical: bytes = field(init=False, default=b"")

    def __post_init__(self) -> None:
        self.canonical = manifest_canonical(self.manifest)

    @property
    def version_id(self) -> str:
        """content_hash(manifest): SHA-256 over its RFC 8785 bytes."""
        return hashlib.sha256(self.canonical).hexdigest()


@dataclass
class RowsPlan:
    """How a new version's rows are stored: against `base_id` (a delta) or in full (None)."""

    base_id: str | None = None
    delta: list[StoredRow] = field(default_factory=list)  # the rows of a delta, when in Python


@dataclass
class Snapshot(Manifested):
    chosen: dict[int, ChosenDocument] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)

    def plan(self, *, base_id: str | None) -> RowsPlan:
        if base_id is None:
            return RowsPlan()
        delta = rows_delta(base=stored_rows(base_id), rows=self.rows)
        if not delta_fits(changed=len(delta), rows=len(self.rows)):
            return RowsPlan()
        return RowsPlan(base_id=base_id, delta=delta)

    def stats(self, plan: RowsPlan) -> dict[str, Any]:
        return _stats(self)

    def rows_write(
        self, *, version_id: str, plan: RowsPlan, progress: Progress | None = None
    ) -> None:
        """Only in the transaction that created the version row: none can exist yet."""
        if plan.base_id is None:
            rows: list[StoredRow] = [(*row, False) for row in self.rows]
        else:
            rows = plan.delta
        done = 0
        for batch in _batches(rows, ROW_BATCH):
            VersionRow.objects.bulk_create(
                [
                    VersionRow(
                        version_id=version_id,
                        item_id=item_id,
                        asset_sha256=asset_sha256,
                        annotation_hash=annotation_hash,
                        split=split,
                        removed=removed,
                    )
                    for item_id, asset_sha256, annotation_hash, split, removed in batch
                ]
            )
            done += len(batch)
            if progress:
                progress(done, None)


MANIFEST_KEYS = ["filters", "items", "schema_hash"]  # sorted, as RFC 8785 orders them
_SAFE_INTEGER = 2**53


def manifest_canonical(manifest: dict[str, Any]) -> bytes:
    """canonical_json(manifest), the items written by one json.dumps: their rows hold only
    integer ids, strings and nulls, which json.dumps writes as RFC 8785 does (no float to
    reformat, no key to sort), so the per-value walk of the general fast path is skipped."""
    items = manifest.get("items")
    plain = sorted(manifest) == MANIFEST_KEYS and isinstance(items, list)
    if plain and items:
        ids = [row[0] for row in items]
        plain = {type(item_id) for item_id in ids} == {int}
        plain = plain and min(ids) > -_SAFE_INTEGER and max(ids) < _SAFE_INTEGER
        plain = plain and {type(value) for row in items for value in row[1:]} <= {str, NoneType}
    if not plain:
        return canonical_json(manifest)
    text = json.dumps(items, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return b"".join(
        (
            b'{"filters":',
            canonical_json(manifest["filters"]),
            b',"items":',
            text.encode("utf-8"),
            b',"schema_hash":',
            canonical_json(manifest["schema_hash"]),
            b"}",
        )
    )


def snapshot_build(*, project: Project, source: str, filters: dict[str, Any]) -> Snapshot:
    """The manifest of the project's current content: {"schema_hash", "filters", "items":
    [[item_id, asset_sha256, annotation_hash or null, split], ...] by item id}."""
    chosen = _documents_chosen(project=project, source=source)
    rows = []
    for item_id, asset_sha256, split in _items_selected(project=project, filters=filters):
        document = chosen.get(item_id)
        rows.append((item_id, asset_sha256, document.content_hash if document else None, split))
    manifest = {
        "schema_hash": content_hash(project.labels),
        "filters": filters,
        "items": [list(row) for row in rows],
    }
    included = {row[0] for row in rows}
    return Snapshot(
        manifest=manifest,
        chosen={item_id: doc for item_id, doc in chosen.items() if item_id in included},
        rows=rows,
    )


def _stats(snapshot: Snapshot) -> dict[str, Any]:
    per_class: Counter[str] = Counter()
    per_annotator: Counter[int] = Counter()
    for document in snapshot.chosen.values():
        counts = document.class_counts
        if counts is None:
            counts = class_counts_of(document.shapes or [])
        per_class.update(counts)
        per_annotator[document.annotator_id] += 1
    return _stats_of(
        rows=snapshot.rows,
        annotated=len(snapshot.chosen),
        per_class=per_class,
        per_annotator=per_annotator,
    )


def _stats_of(
    *,
    rows: list[Row],
    annotated: int,
    per_class: dict[str, int],
    per_annotator: dict[int, int],
) -> dict[str, Any]:
    names = dict(
        get_user_model().objects.filter(pk__in=list(per_annotator)).values_list("pk", "username")
    )
    splits = Counter(split for *_, split in rows)
    return {
        "items": len(rows),
        "splits": dict(sorted(splits.items())),
        "annotated_items": annotated,
        "shapes": sum(per_class.values()),
        "shapes_per_class": dict(sorted(per_class.items())),
        "annotators": {names[pk]: count for pk, count in sorted(per_annotator.items())},
    }


def _batches(iterable: Any, size: int) -> Iterator[list[Any]]:
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def _blobs_write(snapshot: Snapshot) -> None:
    new = {
        document.content_hash: document.shapes
        for document in snapshot.chosen.values()
        if document.class_counts is None and document.shapes is not None
    }
    if not new:
        return
    blobs = (
        AnnotationBlob(content_hash=digest, shapes=shapes, class_counts=class_counts_of(shapes))
        for digest, shapes in new.items()
    )
    for batch in _batches(blobs, BLOB_BATCH):
        AnnotationBlob.objects.bulk_create(batch, ignore_conflicts=True)


def manifest_store(*, version_id: str, canonical: bytes) -> str:
    """Content-addressed: an existing key already holds these bytes."""
    key = f"manifests/{version_id}.json"
    if not default_storage.exists(key):
        default_storage.save(key, ContentFile(canonical, name=key))
    return key


def version_snapshot(*, job: Job, progress: Progress | None = None) -> dict[str, Any]:
    """The work of a snapshot job. Idempotent: the id is the manifest's hash, the version row
    is created under its primary key, rows and blobs under unique keys."""
    params = job.params
    project = job.project
    with transaction.atomic():
        if connection.vendor == "postgresql":
            built: Snapshot | DatabaseSnapshot = DatabaseSnapshot.build(
                project=project, source=params["source"], filters=params["filters"]
            )
        else:
            built = snapshot_build(
                project=project, source=params["source"], filters=params["filters"]
            )
            _blobs_write(built)
        version_id = built.version_id
        total = len(built.rows)
        if progress:
            progress(0, total)
        key = manifest_store(version_id=version_id, canonical=built.canonical)
        if DatasetVersion.objects.filter(pk=version_id).exists():
            return {"version": version_id, "created": False, "items": total}
        parent = (
            DatasetVersion.objects.filter(project=project)
            .exclude(pk=version_id)
            .order_by("-created_at", "pk")
            .first()
        )
        plan = built.plan(base_id=base_for(parent))
        version, created = DatasetVersion.objects.get_or_create(
            pk=version_id,
            defaults={
                "project": project,
                "message": params.get("message", ""),
                "author_id": job.created_by_id,
                "parent": parent,
                "base_id": plan.base_id,
                "schema_hash": built.manifest["schema_hash"],
                "labels": project.labels,
                "source": params["source"],
                "filters": params["filters"],
                "stats": built.stats(plan),
                "manifest_key": key,
            },
        )
        if created:
            built.rows_write(version_id=version_id, plan=plan, progress=progress)
    return {"version": version.pk, "created": created, "items": total}


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


@transaction.atomic
def version_tag_set(*, project: Project, user: User, name: str, version_id: str) -> VersionTag:
    """Create the tag or move it to another version of the same project."""
    _require_manager(user=user, project=project)
    if not TAG_NAME.match(name):
        raise Invalid({"name": ["Use letters, digits, '.', '_' or '-' (at most 100)."]})
    version = DatasetVersion.objects.filter(pk=version_id, project=project).first()
    if version is None:
        raise Invalid({"version": ["No such version in this project."]})
    tag, _ = VersionTag.objects.update_or_create(
        project=project, name=name, defaults={"version": version, "updated_by": user}
    )
    return tag


@transaction.atomic
def version_tag_delete(*, project: Project, user: User, name: str) -> None:
    _require_manager(user=user, project=project)
    deleted, _ = VersionTag.objects.filter(project=project, name=name).delete()
    if not deleted:
        raise NotFound("No such tag.")


@transaction.atomic
def version_export_request(
    *,
    version: DatasetVersion,
    user: User,
    format: str,
    filters: ItemFilters | None = None,
    features: bool = False,
) -> Job:
    """Reviewers and managers export (read-only for the project); the job writes the file.
    With `features` (Parquet only), the version's feature tables go in too."""
    if not role_at_least(project_role(user=user, project_id=version.project_id), Role.REVIEWER):
        raise PermissionDenied("Exporting needs the reviewer or manager role.")
    available = sorted(exporters())
    if format not in available:
        choices = ", ".join(available) or "none installed"
        raise Invalid({"format": [f"Unknown format {format!r}; use one of: {choices}."]})
    if features and format != FEATURES_FORMAT:
        raise Invalid(
            {"features": [f"Feature tables export only with the {FEATURES_FORMAT} format."]}
        )
    params: dict[str, Any] = {"version": version.pk, "format": format}
    if filters:
        params["filters"] = filters.as_params()
    if features:
        params["features"] = True
    return job_create(kind=JobKind.EXPORT, project=version.project, user=user, params=params)


def export_result(export: ExportFile, *, job: Job, reused: bool) -> dict[str, Any]:
    return {
        "version": export.version_id,
        "format": export.format,
        "sha256": export.sha256,
        "size": export.size,
        "file_name": export.storage_key.rsplit("/", 1)[-1],
        "download": f"/api/v1/jobs/{job.pk}/download/",
        "reused": reused,
    }


def version_export(*, job: Job, progress: Progress | None = None) -> dict[str, Any]:
    """The work of an export job: stream the codec into a temporary file, store it under its
    hash, record it once per (version, format). A stored export is reused, so every download
    of a version in a format has the same bytes."""
    version = DatasetVersion.objects.get(pk=job.params["version"])
    name = job.params["format"]
    # A cut of the version (by split or class), or one with the feature tables (which change
    # with each pipeline run), is stored by hash, not as the version's export.
    filters = ItemFilters.from_params(job.params.get("filters"))
    with_features = bool(job.params.get("features"))
    by_hash = bool(filters) or with_features
    stored = None if by_hash else ExportFile.objects.filter(version=version, format=name).first()
    if stored is not None:
        return export_result(stored, job=job, reused=True)
    exporter = exporters().get(name)
    if exporter is None:
        raise Invalid({"format": [f"The {name} codec is not installed."]})
    extension = exporter.extension.lstrip(".")
    options: dict[str, Any] = {}
    if with_features:
        options["features"] = version_features().tables(version)
    total = version.stats.get("items", 0)
    if progress:
        progress(0, total)
    with tempfile.TemporaryFile() as spool:
        items = _reporting(version_items(version, filters), progress)
        exporter.write(spool, labels=version.labels, items=items, **options)
        size, sha256 = _file_digest(spool)
        key = f"exports/{version.pk}/{name}-{sha256}.{extension}"
        if not default_storage.exists(key):
            spool.seek(0)
            default_storage.save(key, File(spool, name=key))
    fields = {"sha256": sha256, "size": size, "storage_key": key, "media_type": exporter.media_type}
    if by_hash:
        result = export_result(
            ExportFile(version=version, format=name, **fields), job=job, reused=False
        )
        if with_features:
            result["features"] = sorted(options["features"])
            if not options["features"]:
                result["note"] = "No finished pipeline run over this version: no feature tables."
        return result
    export, created = ExportFile.objects.get_or_create(
        version=version, format=name, defaults=fields
    )
    return export_result(export, job=job, reused=not created)


def _reporting(
    items: Callable[[], Iterable[Any]], progress: Progress | None
) -> Callable[[], Iterator[Any]]:
    """The same stream, reporting progress (which renews the job's lease) every page; its
    records-only pass (VersionItems.records) passes through."""

    def counted() -> Iterator[Any]:
        for done, entry in enumerate(items(), start=1):
            if progress and done % ROW_BATCH == 0:
                progress(done, None)
            yield entry

    if hasattr(items, "records"):
        counted.records = items.records  # type: ignore[attr-defined]
    return counted


def _file_digest(spool: IO[bytes]) -> tuple[int, str]:
    spool.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := spool.read(1024 * 1024):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()
