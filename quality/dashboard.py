"""The Quality tab's reads: per annotator gold scored, accuracy with its 95% interval, status and
items per hour; per class the confusion against gold; every figure with the documents behind it.

Built on project_quality_report (quality.selectors) and the activity log. Each annotator also
gets a per-day series (`daily`) so charts over time can be drawn from the same payload later.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User

from annotate.models import ActivityEvent, ActivityVerb, AnnotationDocument, DocumentKind
from annotate.training import exam_required
from projects.item_roles import item_roles
from projects.models import Membership, Project, Role
from quality.selectors import gold_scores_counted, project_quality_report

# Two events of one annotator further apart than this are two work sessions: the gap is not
# counted as working time (items per hour is items over time spent working).
SESSION_GAP = timedelta(minutes=10)
# Below this much working time a rate means nothing (two clicks a second apart): none is given.
MIN_MEASURED = timedelta(minutes=1)
OUTCOMES = ("tp", "class_error", "fn", "fp")
WORK_VERBS = (
    ActivityVerb.ASSIGNED,
    ActivityVerb.OPENED,
    ActivityVerb.SAVED,
    ActivityVerb.SUBMITTED,
    ActivityVerb.SKIPPED,
)


def member_status(
    membership: Membership | None, *, has_training: bool, exam_on: bool
) -> tuple[str, str]:
    """(status, reason): paused; training while the course or, where the project requires it,
    the qualification exam is still ahead (annotate.training); else qualified."""
    if membership is None or membership.role != Role.ANNOTATOR:
        return "qualified", ""
    if membership.paused_at is not None:
        return "paused", membership.paused_reason
    if membership.qualified_at is not None:
        return "qualified", ""
    if has_training and membership.training_completed_at is None:
        return "training", "training items left"
    if exam_on:
        return "training", "qualification exam not passed yet"
    return "qualified", ""


def work_time(moments: list[datetime]) -> timedelta:
    """Time spent working: the sum of gaps between consecutive events no longer than
    SESSION_GAP (sorted input)."""
    total = timedelta()
    for before, after in zip(moments, moments[1:], strict=False):
        gap = after - before
        if gap <= SESSION_GAP:
            total += gap
    return total


def _activity(project: Project) -> dict[int, dict[str, Any]]:
    """Per user: working time, distinct items submitted, and submissions per day."""
    events = (
        ActivityEvent.objects.filter(project=project, verb__in=WORK_VERBS)
        .order_by("user_id", "at")
        .values_list("user_id", "verb", "at", "item_id")
    )
    moments: dict[int, list[datetime]] = defaultdict(list)
    submitted: dict[int, set[int]] = defaultdict(set)
    per_day: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for user_id, verb, at, item_id in events:
        moments[user_id].append(at)
        if verb == ActivityVerb.SUBMITTED:
            submitted[user_id].add(item_id)
            per_day[user_id][at.date()] += 1
    activity = {}
    for user_id, times in moments.items():
        worked = work_time(times)
        hours = worked.total_seconds() / 3600
        count = len(submitted[user_id])
        activity[user_id] = {
            "submitted": count,
            "work_hours": round(hours, 4),
            "items_per_hour": round(count / hours, 2) if worked >= MIN_MEASURED else None,
            "per_day": per_day[user_id],
        }
    return activity


def _daily(per_day: dict[date, int], scores: dict[date, dict[str, int]]) -> list[dict[str, Any]]:
    days = sorted(set(per_day) | set(scores))
    return [
        {
            "date": day.isoformat(),
            "submitted": per_day.get(day, 0),
            **{key: scores.get(day, {}).get(key, 0) for key in ("gold_items", *OUTCOMES)},
        }
        for day in days
    ]


def _scored(project: Project) -> tuple[dict, dict, dict]:
    """One pass over the counted gold scores: the scored documents (for links), per annotator
    per day counts, and per class the documents behind each outcome and each confusion."""
    documents: dict[int, dict[str, Any]] = {}
    daily: dict[int, dict[date, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int))
    )
    by_class: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"outcomes": defaultdict(set), "confused": defaultdict(set)}
    )
    rows = gold_scores_counted(project_id=project.pk).select_related("document__item")
    for row in rows:
        document = row.document
        documents[document.pk] = {
            "document": document.pk,
            "item": document.item_id,
            "item_name": document.item.name,
            "annotator": document.annotator.username,
            "accuracy": row.accuracy,
            "tp": row.tp,
            "class_errors": row.class_errors,
            "fp": row.fp,
            "fn": row.fn,
            "scored_at": row.scored_at.isoformat(),
        }
        day = daily[document.annotator_id][row.scored_at.date()]
        day["gold_items"] += 1
        for match in row.matches:
            outcome = match["outcome"]
            day[outcome] += 1
            label = match["candidate_label"] if outcome == "fp" else match["gold_label"]
            by_class[label]["outcomes"][outcome].add(document.pk)
            if outcome == "class_error":
                by_class[label]["confused"][match["candidate_label"]].add(document.pk)
    return documents, daily, by_class


def quality_dashboard(*, project: Project) -> dict[str, Any]:
    report = project_quality_report(project=project)
    documents, daily, by_class = _scored(project)
    activity = _activity(project)
    scored = {row["user_id"]: row for row in report["annotators"]}
    memberships = {
        membership.user_id: membership
        for membership in project.memberships.select_related("user").order_by("user__username")
    }
    # Annotators, and anyone else who labelled in this project (a reviewer, a removed member).
    labelled = set(
        AnnotationDocument.objects.filter(item__project=project, kind=DocumentKind.ANNOTATOR)
        .values_list("annotator_id", flat=True)
        .distinct()
    )
    user_ids = [
        user_id
        for user_id, membership in memberships.items()
        if membership.role == Role.ANNOTATOR or user_id in labelled or user_id in scored
    ]
    user_ids += sorted((labelled | set(scored)) - set(user_ids))
    names = _usernames(user_ids, memberships, scored)
    has_training = item_roles().training_items(project_id=project.pk).exists()
    exam_on = exam_required(project)
    annotators = []
    for user_id in sorted(user_ids, key=lambda pk: names.get(pk, "")):
        membership = memberships.get(user_id)
        status, reason = member_status(membership, has_training=has_training, exam_on=exam_on)
        figures = scored.get(user_id)
        work = activity.get(user_id, {"submitted": 0, "work_hours": 0, "items_per_hour": None})
        annotators.append(
            {
                "user_id": user_id,
                "username": names.get(user_id, ""),
                "role": membership.role if membership else None,
                "status": status,
                "status_reason": reason,
                "gold_items": figures["gold_items"] if figures else 0,
                "accuracy": figures["accuracy"] if figures else None,
                "accuracy_interval": figures["accuracy_interval"] if figures else None,
                "prob_below_threshold": figures["prob_below_threshold"] if figures else None,
                **{
                    key: figures[key] if figures else 0
                    for key in ("tp", "class_errors", "fp", "fn")
                },
                "submitted": work["submitted"],
                "work_hours": work["work_hours"],
                "items_per_hour": work["items_per_hour"],
                "documents": figures["documents"] if figures else [],
                "daily": _daily(work.get("per_day", {}), daily.get(user_id, {})),
            }
        )
    classes = []
    for row in report["classes"]:
        behind = by_class[row["label"]]
        classes.append(
            {
                **row,
                "outcome_documents": {
                    outcome: sorted(behind["outcomes"][outcome]) for outcome in OUTCOMES
                },
                "confused_documents": {
                    label: sorted(ids) for label, ids in sorted(behind["confused"].items())
                },
            }
        )
    return {
        "project": project.pk,
        "threshold": report["threshold"],
        "min_gold_items": report["min_gold_items"],
        "pause_confidence": report["pause_confidence"],
        "session_gap_minutes": SESSION_GAP.total_seconds() / 60,
        "annotators": annotators,
        "classes": classes,
        "documents": {str(pk): row for pk, row in documents.items()},
    }


def _usernames(user_ids: list[int], memberships: dict, scored: dict) -> dict[int, str]:
    names = {pk: membership.user.username for pk, membership in memberships.items()}
    names |= {pk: row["username"] for pk, row in scored.items()}
    missing = [pk for pk in user_ids if pk not in names]
    names |= dict(User.objects.filter(pk__in=missing).values_list("pk", "username"))
    return names
