"""Quality's side of a label-schema change: gold answers follow renames and forced deletions
(receivers of projects.events, connected in QualityConfig.ready)."""

from typing import Any

from annotate.schema_changes import shapes_relabelled, shapes_usage
from projects.events import LabelUsage
from quality.models import GoldAnswer


def label_usage(
    *, project_id: int, label_ids: set[str], names: dict[str, str], **_: Any
) -> dict[str, LabelUsage]:
    usage: dict[str, LabelUsage] = {}
    # An answer not given yet (shapes null) uses no class.
    answers = GoldAnswer.objects.filter(
        item__project_id=project_id, shapes__isnull=False
    ).values_list("shapes", flat=True)
    for shapes in answers.iterator(chunk_size=200):
        for label_id, count in shapes_usage(shapes or [], label_ids=label_ids, names=names).items():
            usage[label_id] = usage.get(label_id, LabelUsage()) + LabelUsage(count, 1)
    return usage


def labels_rewrite(
    *, project_id: int, renamed: dict[str, str], removed: set[str], names: dict[str, str], **_: Any
) -> None:
    answers = (
        GoldAnswer.objects.select_for_update(of=("self",))
        .filter(item__project_id=project_id, shapes__isnull=False)
        .order_by("pk")
    )
    for gold in answers:
        shapes = shapes_relabelled(gold.shapes or [], renamed=renamed, removed=removed, names=names)
        if shapes is not None:
            GoldAnswer.objects.filter(pk=gold.pk).update(shapes=shapes)
