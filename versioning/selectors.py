"""Reads of the versioning app, filtered by what the caller may see. Versions and jobs need the
reviewer role: they carry gold items and everybody's work, which annotators may not see."""

from collections.abc import Iterator

from django.db.models import Prefetch, QuerySet

from common.errors import Invalid, NotFound
from projects.access import require_role
from projects.models import Project, Role
from projects.selectors import AnyUser, project_role
from versioning.diff import Diff, Rows, hashes_to_load, versions_diff
from versioning.exports import exporters
from versioning.filters import ItemFilters, rows_filtered
from versioning.models import (
    AnnotationBlob,
    DatasetVersion,
    ExportFile,
    Job,
    JobKind,
    JobStatus,
    VersionItem,
    VersionTag,
)
from versioning.rows import rows_that_differ


def versions_of(*, project: Project) -> QuerySet[DatasetVersion]:
    tags = Prefetch("tags", queryset=VersionTag.objects.order_by("name"))
    return (
        DatasetVersion.objects.filter(project=project)
        .select_related("author")
        .prefetch_related(tags)
        .order_by("-created_at", "pk")
    )


def version_for(user: AnyUser, version_id: str, *, needed: str) -> tuple[DatasetVersion, str]:
    """The version and the caller's role; NotFound for those who may not know it exists."""
    version = (
        DatasetVersion.objects.select_related("project", "author").filter(pk=version_id).first()
    )
    role = project_role(user=user, project_id=version.project_id) if version else None
    if version is None or role is None:
        raise NotFound("No such version.")
    require_role(role, needed)
    return version, role


def version_tag(*, project: Project, name: str) -> VersionTag:
    tag = VersionTag.objects.filter(project=project, name=name).first()
    if tag is None:
        raise NotFound("No such tag.")
    return tag


def job_for(user: AnyUser, job_id: int) -> Job:
    job = Job.objects.select_related("created_by").filter(pk=job_id).first()
    role = project_role(user=user, project_id=job.project_id) if job else None
    if job is None or role is None:
        raise NotFound("No such job.")
    require_role(role, Role.REVIEWER)
    return job


def job_export_file(*, job: Job) -> ExportFile:
    """The stored file of a finished export job; NotFound while it has none."""
    export = None
    if job.kind == JobKind.EXPORT and job.status == JobStatus.SUCCEEDED and job.result:
        export = ExportFile.objects.filter(
            version_id=job.result.get("version"), sha256=job.result.get("sha256")
        ).first()
    by_hash = job.params.get("filters") or job.params.get("features")
    if export is None and job.kind == JobKind.EXPORT and by_hash and job.result:
        export = _filtered_export_file(job)
    if export is None:
        raise NotFound("This job has no file to download (yet).")
    return export


def _filtered_export_file(job: Job) -> ExportFile | None:
    """A filtered export (a cut of the version) or one with feature tables has no row: its
    file is named by its job."""
    if job.status != JobStatus.SUCCEEDED:
        return None
    result: dict = job.result or {}
    exporter = exporters().get(result.get("format", ""))
    if exporter is None:
        return None
    key = f"exports/{result['version']}/{result['file_name']}"
    return ExportFile(
        version_id=result["version"],
        format=result["format"],
        sha256=result["sha256"],
        size=result["size"],
        storage_key=key,
        media_type=exporter.media_type,
    )


def version_rows(*, version: DatasetVersion) -> Rows:
    rows = VersionItem.objects.filter(version=version).values_list(
        "item_id", "asset_sha256", "annotation_hash", "split"
    )
    return {item_id: (asset, digest, split) for item_id, asset, digest, split in rows}


def version_diff(*, old: DatasetVersion, new: DatasetVersion) -> Diff:
    """Two row queries and one blob query: shapes only of the items whose annotation changed."""
    if old.project_id != new.project_id:
        raise Invalid({"against": ["Both versions must belong to the same project."]})
    old_rows, new_rows = rows_that_differ(old_id=old.pk, new_id=new.pk)
    compared, counted = hashes_to_load(old_rows, new_rows)
    shapes_of: dict[str, list[dict]] = {}
    class_counts_of: dict[str, dict[str, int]] = {}
    for batch in _chunks(sorted(compared)):
        blobs = AnnotationBlob.objects.filter(content_hash__in=batch)
        for digest, shapes, counts in blobs.values_list("content_hash", "shapes", "class_counts"):
            shapes_of[digest], class_counts_of[digest] = shapes, counts
    for batch in _chunks(sorted(counted - compared)):
        blobs = AnnotationBlob.objects.filter(content_hash__in=batch)
        class_counts_of.update(blobs.values_list("content_hash", "class_counts"))
    return versions_diff(old_rows, new_rows, shapes_of=shapes_of, class_counts_of=class_counts_of)


def _chunks(values: list[str], size: int = 5000) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def version_items_of(*, version: DatasetVersion, item_ids: list[int] | None) -> QuerySet:
    """The version's manifest rows with each item's name and image size, by item id."""
    rows = VersionItem.objects.filter(version=version).select_related("item", "item__asset")
    if item_ids is not None:
        rows = rows.filter(item_id__in=item_ids)
    return rows.order_by("item_id")


def version_item_shapes(*, rows: list[VersionItem]) -> dict[str, list[dict]]:
    """The shapes of a page of rows as they were snapshotted, by annotation hash (one query)."""
    hashes = {row.annotation_hash for row in rows if row.annotation_hash}
    blobs = AnnotationBlob.objects.filter(content_hash__in=hashes)
    return dict(blobs.values_list("content_hash", "shapes"))


# --- a version's items, cut by split and class (the client's index) ----------------------


def version_index(*, version: DatasetVersion, filters: ItemFilters) -> QuerySet[VersionItem]:
    """What a client pulls: each kept item's name, asset hash, size and split, by item id."""
    rows = VersionItem.objects.filter(version=version).select_related("item", "item__asset")
    return rows_filtered(rows, filters).order_by("item_id")
