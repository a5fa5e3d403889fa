"""Filtering and sorting a project's items by derived features (blur, near-duplicates, a
model's uncertainty) is the pipelines app's business: it computes them. The item list asks
through this seam, which pipelines fills in its `AppConfig.ready` (projects never imports
pipelines). Without it there are no features and asking for one is a clear error.

Query parameters of the manager's item list: `feature` (e.g. `image_stats.blur`), `min` and
`max` (inclusive bounds on it), `order` (`asc` | `desc`, default `desc`). With `feature`, only
items that have it are listed, each with its value as `feature`.
"""

from collections.abc import Mapping
from typing import Protocol

from django.db.models import QuerySet

from common.errors import Invalid
from projects.models import Item

FEATURE_FIELD = "feature_value"
PARAMETERS = ("feature", "min", "max", "order")


class ItemFeatures(Protocol):
    def apply(
        self, items: QuerySet[Item], *, project_id: int, params: Mapping[str, str]
    ) -> QuerySet[Item]:
        """`items` filtered by `params` and ordered by the feature, annotated with
        `feature_value`; `Invalid` for an unknown feature or a bad bound."""
        ...


class NoFeatures:
    def apply(
        self, items: QuerySet[Item], *, project_id: int, params: Mapping[str, str]
    ) -> QuerySet[Item]:
        raise Invalid({"feature": ["Features need the pipelines app."]})


_provider: list[ItemFeatures] = [NoFeatures()]


def register(provider: ItemFeatures) -> None:
    _provider[0] = provider


def item_features() -> ItemFeatures:
    return _provider[0]
