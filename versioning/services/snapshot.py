"""Snapshot requests and the snapshot job: which document stands for each item, the manifest
built in Python (SQLite), its new blobs and rows. Postgres builds it in the database
(versioning.services.snapshot_postgres)."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Case, Exists, F, JSONField, OuterRef, Subquery, Value, When

from annotate.models import AnnotationDocument, DocumentKind, DocumentStatus
from common.errors import Invalid
from formats.canonical import content_hash
from projects.item_roles import ROLE_FIELD, item_roles
from projects.models import Item, Project
from versioning.jobs import job_create
from versioning.models import AnnotationBlob, DatasetVersion, Job, JobKind, VersionRow
from versioning.rows import Row, StoredRow, base_for, delta_fits, rows_delta, stored_rows
from versioning.services.manifest import (
    ROW_BATCH,
    Manifested,
    Progress,
    RowsPlan,
    _batches,
    _stats_of,
    class_counts_of,
    manifest_store,
)
from versioning.services.snapshot_postgres import DatabaseSnapshot
from versioning.services.tags import _require_manager

SOURCES = ("accepted", "submitted")
BLOB_BATCH = 500
# Which accepted document stands for an item when several are: consensus over review over an
# annotator's, then the most recently changed.
KIND_RANK: dict[str, int] = {
    DocumentKind.CONSENSUS: 2,
    DocumentKind.REVIEW: 1,
    DocumentKind.ANNOTATOR: 0,
}


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
