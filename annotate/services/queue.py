"""The annotation queue: the caller's next item (a claim by conditional UPDATE, hidden gold at
the project's rate, training and exam first), and a skip that gives it back."""

import random
import time

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from annotate.leases import leases_expire
from annotate.models import ActivityVerb, Assignment, AssignmentState
from annotate.services.activity import _assignment_finish, activity_log
from annotate.training import exam_gold_unseen, queue_gate
from common.errors import PermissionDenied
from projects.item_roles import item_roles
from projects.models import Item, Membership, Project

CLAIM_ATTEMPTS = 8


def _refuse_if_paused(*, user: User, project: Project) -> None:
    reason = (
        Membership.objects.filter(project=project, user=user, paused_at__isnull=False)
        .values_list("paused_reason", flat=True)
        .first()
    )
    if reason is not None:
        raise PermissionDenied(
            f"You are paused in this project ({reason}). Ask a manager to review your work."
        )


def item_assign_next(*, user: User, project: Project) -> Item | None:
    """The caller's unfinished item, else claim a new one; None when the queue is empty.

    The claim is one conditional UPDATE on the item row (assigned_count < overlap), taken on a
    row locked with SKIP LOCKED where the database has it, so concurrent annotators never get
    the same item beyond the project's overlap, and never wait on each other's rows. Leases idle
    past LOUPE_LEASE_MINUTES are released first; at the project's gold rate a hidden gold item
    the caller has never had is claimed instead of a task item (at the project's initial rate
    for the caller's first items). An annotator who has not finished training or, where the
    exam is on, not qualified gets their next training or exam item instead (annotate.training).
    """
    _refuse_if_paused(user=user, project=project)
    leases_expire(project=project)
    gated = queue_gate(user=user, project=project)
    if gated is not None:
        return gated
    active = (
        Assignment.objects.filter(user=user, item__project=project, state=AssignmentState.ACTIVE)
        .select_related("item__asset")
        .order_by("created_at", "id")
        .first()
    )
    if active is not None:
        return active.item
    rate = gold_rate_for(user=user, project=project)
    with_gold = rate > 0 and random.random() < rate
    for attempt in range(CLAIM_ATTEMPTS):
        try:
            gold = _claim_gold(user=user, project=project) if with_gold else None
            item = gold or _claim_one(user=user, project=project)
        except IntegrityError:
            continue  # the same user claimed it from another tab; look again
        if item is None or isinstance(item, Item):
            return item
        time.sleep(0.002 * attempt)  # other claims hold the rows for milliseconds
    return None


def gold_rate_for(*, user: User, project: Project) -> float:
    """The chance that the caller's next claim is hidden gold: `gold_rate_initial` for their
    first `gold_initial_items` claims in the project (never below `gold_rate`), then
    `gold_rate`. A gold rate of 0 turns hidden gold off altogether."""
    if project.gold_rate <= 0:
        return 0.0
    if project.gold_initial_items and project.gold_rate_initial > project.gold_rate:
        claims = Assignment.objects.filter(user=user, item__project=project).count()
        if claims < project.gold_initial_items:
            return project.gold_rate_initial
    return project.gold_rate


@transaction.atomic
def _claim_one(*, user: User, project: Project) -> Item | None | bool:
    """Claim one item: the Item, None when nothing is left, False to look again."""
    # Ordered like the item_queue_order index (a manager's priority rank first, then id), so
    # Postgres stops at the first free row instead of sorting every unclaimed item.
    candidates = (
        Item.objects.filter(project=project, assigned_count__lt=project.overlap)
        .exclude(pk__in=item_roles().gold_item_ids(project_id=project.pk))
        .exclude(assignments__user=user)
        .order_by("assigned_count", F("priority").asc(nulls_last=True), "id")
    )
    skip_locked = connection.features.has_select_for_update_skip_locked
    locked = (
        candidates.select_for_update(skip_locked=True, of=("self",)) if skip_locked else candidates
    )
    item = locked.select_related("asset").first()
    if item is None:
        # Every candidate may be locked by another annotator's claim that can still roll back:
        # "empty" is only the answer when no candidate exists at all.
        return False if skip_locked and candidates.exists() else None
    claimed = Item.objects.filter(pk=item.pk, assigned_count__lt=project.overlap).update(
        assigned_count=F("assigned_count") + 1
    )
    if not claimed:
        return False
    Assignment.objects.create(item=item, user=user)
    activity_log(user=user, item=item, verb=ActivityVerb.ASSIGNED)
    return item


@transaction.atomic
def _claim_gold(*, user: User, project: Project) -> Item | None:
    """Claim a hidden gold item the caller never had nor labelled (the (item, user) constraint
    makes that hold under races too); None when none is left. Gold has no overlap limit: every
    annotator labels it, so its count only records claims."""
    # Never had: not claimed, not labelled (e.g. opened from the item list), not in an exam.
    item = (
        exam_gold_unseen(user=user, project=project)
        .select_related("asset")
        .order_by("assigned_count", "id")
        .first()
    )
    if item is None:
        return None
    Assignment.objects.create(item=item, user=user)
    Item.objects.filter(pk=item.pk).update(assigned_count=F("assigned_count") + 1)
    activity_log(user=user, item=item, verb=ActivityVerb.ASSIGNED)
    return item


@transaction.atomic
def item_skip(*, user: User, item: Item) -> None:
    """Give the item back to the queue for someone else; the caller will not get it again."""
    if _assignment_finish(user=user, item=item, state=AssignmentState.SKIPPED):
        Item.objects.filter(pk=item.pk, assigned_count__gt=0).update(
            assigned_count=F("assigned_count") - 1
        )
    activity_log(user=user, item=item, verb=ActivityVerb.SKIPPED)
