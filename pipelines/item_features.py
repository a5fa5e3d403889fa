"""Features where users work: the numeric fields of a finished run's per-item outputs become
`ItemFeature` rows (`step.field`, e.g. `image_stats.blur`, `predictions.uncertainty`, and
`near_duplicates.duplicates`: how many near-duplicates an item has), which the manager's item
list filters and sorts by (through `projects.item_features`) and which can order the
annotators' queue (`Item.priority`, read by annotate's claim).

Only the latest finished run's features are kept per project and step; a run whose feature
table is the one already indexed (nothing changed) writes nothing.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import F, FloatField, OuterRef, QuerySet, Subquery, Value

from common.errors import Invalid, PermissionDenied
from pipelines.models import FeatureSource, ItemFeature, QueueOrder, QueuePriority
from projects.item_features import FEATURE_FIELD
from projects.models import Item, Project, Role
from projects.selectors import project_role, role_at_least
from versioning.models import DatasetVersion

BATCH = 5000
DUPLICATES = "near_duplicates.duplicates"


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def feature_values(step: str, output: Any) -> dict[str, float]:
    """`step.field` -> value for each numeric field of a per-item output (`step` for a number)."""
    if _numeric(output):
        return {step: float(output)}
    if not isinstance(output, dict):
        return {}
    return {f"{step}.{name}": float(v) for name, v in output.items() if _numeric(v)}


def duplicate_counts(output: Any, item_ids: Iterable[str]) -> dict[str, float]:
    """How many near-duplicates each item has, from `near_duplicates`' groups (0: none)."""
    counts = dict.fromkeys(item_ids, 0.0)
    for group in output.get("groups", []) if isinstance(output, dict) else []:
        for item_id in group.get("items", []):
            counts[str(item_id)] = float(len(group["items"]) - 1)
    return counts


def features_index(
    *,
    version: DatasetVersion,
    item_outputs: Mapping[str, Mapping[str, Any]],
    dataset_outputs: Mapping[str, Any],
    sources: Mapping[str, str],
) -> list[str]:
    """Replace the project's features of each step whose source (feature table or dataset key)
    changed by this run's; then re-apply the queue priority if its feature changed. Returns
    the steps rewritten. Runs in the caller's transaction."""
    project_id = version.project_id
    steps = [*item_outputs, *(["near_duplicates"] if "near_duplicates" in dataset_outputs else [])]
    changed = features_changed(project_id=project_id, steps=steps, sources=sources)
    if not changed:
        return []  # a rerun with nothing changed reads and writes nothing more
    per_step: dict[str, dict[str, dict[str, float]]] = {}  # step -> item -> name -> value
    for step in changed:
        if step in item_outputs:
            outputs = item_outputs[step]
            per_step[step] = {i: feature_values(step, out) for i, out in outputs.items()}
        else:
            item_ids = {item_id for outputs in item_outputs.values() for item_id in outputs}
            counts = duplicate_counts(dataset_outputs["near_duplicates"], item_ids)
            per_step[step] = {i: {DUPLICATES: n} for i, n in counts.items()}
    present = set(Item.objects.filter(project_id=project_id).values_list("pk", flat=True))
    rewritten = []
    for step, values in per_step.items():
        source = sources.get(step, "")
        ItemFeature.objects.filter(project_id=project_id, name__startswith=f"{step}.").delete()
        ItemFeature.objects.filter(project_id=project_id, name=step).delete()
        rows = (
            (int(item_id), project_id, name, value)
            for item_id, fields in values.items()
            if int(item_id) in present  # an item deleted since the snapshot has none
            for name, value in fields.items()
        )
        _insert(rows)
        FeatureSource.objects.update_or_create(
            project_id=project_id, step=step, defaults={"table": source, "version": version}
        )
        rewritten.append(step)
    chosen = QueuePriority.objects.filter(project_id=project_id).first()
    if chosen is not None and any(_step_of(chosen.feature) == step for step in rewritten):
        _priority_apply(project_id, chosen.feature, chosen.order)
    return rewritten


def features_changed(
    *, project_id: int, steps: Iterable[str], sources: Mapping[str, str]
) -> list[str]:
    """The steps whose features the project holds from another source than `sources`."""
    known = dict(FeatureSource.objects.filter(project_id=project_id).values_list("step", "table"))
    return [step for step in steps if known.get(step) != sources.get(step, "")]


def _insert(rows: Iterable[tuple[int, int, str, float]]) -> None:
    """(item_id, project_id, name, value) rows: COPY on Postgres (a first run over 100k items
    writes 700k features; multi-row INSERTs took minutes of the run's serial tail), else bulk."""
    if connection.vendor == "postgresql":
        table = ItemFeature._meta.db_table
        statement = f"COPY {table} (item_id, project_id, name, value) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    chunk: list[ItemFeature] = []
    for item_id, project_id, name, value in rows:
        chunk.append(ItemFeature(item_id=item_id, project_id=project_id, name=name, value=value))
        if len(chunk) >= BATCH:
            ItemFeature.objects.bulk_create(chunk)
            chunk = []
    if chunk:
        ItemFeature.objects.bulk_create(chunk)


def _step_of(feature: str) -> str:
    return feature.split(".", 1)[0]


def feature_names(*, project_id: int) -> list[str]:
    return sorted(
        ItemFeature.objects.filter(project_id=project_id)
        .values_list("name", flat=True)
        .distinct()
        .order_by()
    )


def _feature_value(name: str) -> Subquery:
    values = ItemFeature.objects.filter(item=OuterRef("pk"), name=name).values("value")[:1]
    return Subquery(values, output_field=FloatField())


def _known(project_id: int, name: str) -> None:
    if not ItemFeature.objects.filter(project_id=project_id, name=name).exists():
        known = ", ".join(feature_names(project_id=project_id)) or "none yet: run a pipeline"
        raise Invalid({"feature": [f"Unknown feature {name!r}. Features: {known}."]})


def _bound(params: Mapping[str, str], name: str) -> float | None:
    text = (params.get(name) or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise Invalid({name: [f"{name} must be a number, not {text!r}."]}) from None


class PipelineFeatures:
    """The item list's feature filter and sort (installed into projects by `PipelinesConfig`)."""

    def apply(
        self, items: QuerySet[Item], *, project_id: int, params: Mapping[str, str]
    ) -> QuerySet[Item]:
        name = params.get("feature", "")
        _known(project_id, name)
        order = params.get("order") or QueueOrder.DESC
        if order not in QueueOrder.values:
            raise Invalid({"order": ["order is asc or desc."]})
        low, high = _bound(params, "min"), _bound(params, "max")
        items = items.annotate(**{FEATURE_FIELD: _feature_value(name)})
        items = items.filter(**{f"{FEATURE_FIELD}__isnull": False})
        if low is not None:
            items = items.filter(**{f"{FEATURE_FIELD}__gte": low})
        if high is not None:
            items = items.filter(**{f"{FEATURE_FIELD}__lte": high})
        value = F(FEATURE_FIELD)
        return items.order_by(value.desc() if order == QueueOrder.DESC else value.asc(), "pk")


# --- the queue -----------------------------------------------------------------------------


def _priority_apply(project_id: int, feature: str | None, order: str) -> int:
    """Set every item's queue rank (lower first) from the feature: its negation for `desc`,
    the value for `asc`; items without it, or every item when `feature` is None, get null."""
    items = Item.objects.filter(project_id=project_id)
    if feature is None:
        return items.exclude(priority=None).update(priority=None)
    value = _feature_value(feature)
    return items.update(priority=value * Value(-1.0) if order == QueueOrder.DESC else value)


@transaction.atomic
def queue_priority_set(
    *, project: Project, user: User, feature: str | None, order: str = QueueOrder.DESC
) -> QueuePriority | None:
    """Hand out the project's items by `feature` first (`desc`: highest first), or, with
    None, in the default order again. Kept and re-applied when the features change."""
    if not role_at_least(project_role(user=user, project_id=project.pk), Role.MANAGER):
        raise PermissionDenied("Ordering the queue needs the manager role.")
    if order not in QueueOrder.values:
        raise Invalid({"order": ["order is asc or desc."]})
    if feature is None:
        QueuePriority.objects.filter(project=project).delete()
        _priority_apply(project.pk, None, order)
        return None
    _known(project.pk, feature)
    chosen, _ = QueuePriority.objects.update_or_create(
        project=project, defaults={"feature": feature, "order": order}
    )
    _priority_apply(project.pk, feature, order)
    return chosen


def queue_priority_of(*, project: Project) -> QueuePriority | None:
    return QueuePriority.objects.filter(project=project).first()
