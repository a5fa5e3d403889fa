"""A version's feature tables for its Parquet export (`features: true`): computing them is the
pipelines app's business, so the export asks through this seam, which pipelines fills in its
`AppConfig.ready` (versioning never imports pipelines). Without it a version has no features.

`tables(version)` returns {step: Arrow table} for each per-item step of the latest finished
pipeline run over the version: `item_id` (int64, joins the export's items table) then the
columns the step outputs. Empty when no run has finished.
"""

from typing import Any, Protocol

from versioning.models import DatasetVersion


class VersionFeatures(Protocol):
    def tables(self, version: DatasetVersion) -> dict[str, Any]: ...


class NoFeatures:
    def tables(self, version: DatasetVersion) -> dict[str, Any]:
        return {}


_provider: list[VersionFeatures] = [NoFeatures()]


def register(provider: VersionFeatures) -> None:
    _provider[0] = provider


def version_features() -> VersionFeatures:
    return _provider[0]
