"""Export requests and the export job: a version (or a cut of it) streamed through a codec into
a file stored under its hash."""

import hashlib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from django.contrib.auth.models import User
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction

from common.errors import Invalid, PermissionDenied
from projects.models import Role
from projects.selectors import project_role, role_at_least
from versioning.exports import exporters, version_items
from versioning.filters import ItemFilters
from versioning.jobs import job_create
from versioning.models import DatasetVersion, ExportFile, Job, JobKind
from versioning.services.manifest import ROW_BATCH, Progress
from versioning.version_features import version_features

FEATURES_FORMAT = "parquet"  # the one codec that carries feature tables


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
