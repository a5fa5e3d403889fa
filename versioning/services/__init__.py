"""Every write of the versioning app: snapshot requests and the snapshot itself, version tags,
export requests. Job lifecycle lives in versioning.jobs.

A package by concern (manifest, snapshot, snapshot_postgres, tags, exporting); its public names
stay importable from here."""

from versioning.services.exporting import (
    FEATURES_FORMAT,
    export_result,
    version_export,
    version_export_request,
)
from versioning.services.manifest import (
    MANIFEST_KEYS,
    ROW_BATCH,
    Manifested,
    Progress,
    RowsPlan,
    class_counts_of,
    manifest_canonical,
    manifest_store,
)
from versioning.services.snapshot import (
    BLOB_BATCH,
    KIND_RANK,
    SOURCES,
    ChosenDocument,
    Snapshot,
    snapshot_build,
    snapshot_filters_clean,
    version_snapshot,
    version_snapshot_request,
)
from versioning.services.snapshot_postgres import DatabaseSnapshot
from versioning.services.tags import TAG_NAME, version_tag_delete, version_tag_set

__all__ = [
    "BLOB_BATCH",
    "FEATURES_FORMAT",
    "KIND_RANK",
    "MANIFEST_KEYS",
    "ROW_BATCH",
    "SOURCES",
    "TAG_NAME",
    "ChosenDocument",
    "DatabaseSnapshot",
    "Manifested",
    "Progress",
    "RowsPlan",
    "Snapshot",
    "class_counts_of",
    "export_result",
    "manifest_canonical",
    "manifest_store",
    "snapshot_build",
    "snapshot_filters_clean",
    "version_export",
    "version_export_request",
    "version_snapshot",
    "version_snapshot_request",
    "version_tag_delete",
    "version_tag_set",
]
