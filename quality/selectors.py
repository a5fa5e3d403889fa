"""Reads of the quality app: the gold scores that count, pooled per annotator and per class."""

from collections import Counter, defaultdict
from typing import Any

from django.db.models import F, QuerySet

from annotate.models import DocumentKind, DocumentStatus
from projects.models import Project
from quality.models import GoldPurpose, GoldScore
from quality.stats import PAUSE_CONFIDENCE, PooledScore


def gold_scores_counted(*, project_id: int) -> QuerySet[GoldScore]:
    """Scores that count toward accuracy: submitted (or reviewed) annotator documents on hidden
    gold, against the gold answer as it is now (a score of an older gold version is history)."""
    return (
        GoldScore.objects.filter(
            document__item__project_id=project_id,
            document__kind=DocumentKind.ANNOTATOR,
            document__item__gold__purpose=GoldPurpose.HIDDEN,
            document__item__gold__content_hash=F("gold_hash"),
        )
        .exclude(document__status=DocumentStatus.DRAFT)
        .select_related("document__annotator")
        .order_by("document_id")
    )


def _pool(rows: list[GoldScore]) -> PooledScore:
    return PooledScore(
        tp=sum(row.tp for row in rows),
        fp=sum(row.fp for row in rows),
        fn=sum(row.fn for row in rows),
        class_errors=sum(row.class_errors for row in rows),
        items=len(rows),
    )


def annotator_pooled_score(*, project_id: int, user_id: int) -> PooledScore:
    rows = list(gold_scores_counted(project_id=project_id).filter(document__annotator_id=user_id))
    return _pool(rows)


def current_gold_score(*, document_id: int) -> GoldScore | None:
    """The document's score against its item's current gold answer, if computed."""
    return (
        GoldScore.objects.filter(
            document_id=document_id, gold_hash=F("document__item__gold__content_hash")
        )
        .order_by("-scored_at")
        .first()
    )


def project_quality_report(*, project: Project) -> dict[str, Any]:
    """Per annotator: pooled counts, accuracy with its 95% interval, P(a < threshold), status,
    and the documents behind them; per class: outcomes and confusions against gold."""
    by_annotator: dict[int, list[GoldScore]] = defaultdict(list)
    classes: dict[str, Counter] = defaultdict(Counter)
    confusion: dict[str, Counter] = defaultdict(Counter)
    class_documents: dict[str, set[int]] = defaultdict(set)
    for row in gold_scores_counted(project_id=project.pk):
        by_annotator[row.document.annotator_id].append(row)
        for match in row.matches:
            label = _count_match(match, classes, confusion)
            class_documents[label].add(row.document_id)
    paused = dict(
        project.memberships.filter(paused_at__isnull=False).values_list("user_id", "paused_reason")
    )
    annotators = [
        _annotator_figures(rows, project=project, paused_reason=paused.get(user_id))
        for user_id, rows in sorted(
            by_annotator.items(), key=lambda entry: entry[1][0].document.annotator.username
        )
    ]
    return {
        "project": project.pk,
        "threshold": project.qc_threshold,
        "min_gold_items": project.qc_min_gold_items,
        "pause_confidence": PAUSE_CONFIDENCE,
        "annotators": annotators,
        "classes": [
            {
                "label": label,
                **_class_counts(classes[label]),
                "confused_with": dict(confusion[label]),
                "documents": sorted(class_documents[label]),
            }
            for label in sorted(classes)
        ],
    }


def _count_match(match: dict[str, Any], classes: dict, confusion: dict) -> str:
    """Count one outcome under its gold class (an FP under the class it was drawn as)."""
    outcome = match["outcome"]
    if outcome == "fp":
        classes[match["candidate_label"]]["fp"] += 1
        return str(match["candidate_label"])
    classes[match["gold_label"]][outcome] += 1
    if outcome == "class_error":
        confusion[match["gold_label"]][match["candidate_label"]] += 1
    return str(match["gold_label"])


def _class_counts(counts: Counter) -> dict[str, int]:
    return {name: counts[name] for name in ("tp", "class_error", "fn", "fp")}


def _annotator_figures(
    rows: list[GoldScore], *, project: Project, paused_reason: str | None
) -> dict[str, Any]:
    pooled = _pool(rows)
    posterior = pooled.posterior
    low, high = posterior.interval()
    annotator = rows[0].document.annotator
    return {
        "user_id": annotator.pk,
        "username": annotator.username,
        "gold_items": pooled.items,
        "tp": pooled.tp,
        "class_errors": pooled.class_errors,
        "fp": pooled.fp,
        "fn": pooled.fn,
        "accuracy": pooled.accuracy,
        "accuracy_mean": posterior.mean,
        "accuracy_interval": [low, high],
        "prob_below_threshold": posterior.prob_below(project.qc_threshold),
        "status": "paused" if paused_reason is not None else "ok",
        "paused_reason": paused_reason or "",
        "documents": [row.document_id for row in rows],
        "items": [row.document.item_id for row in rows],
    }
