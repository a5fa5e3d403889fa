"""Claims are leases (DESIGN.md, "Assignment"): one lapses LOUPE_LEASE_MINUTES after its last
sign of life and ends when its member is removed or paused. A released item goes back to the
queue for others, never to the same annotator (the (item, user) constraint)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from annotate.models import AnnotationDocument, Assignment, AssignmentState, DocumentStatus
from projects.models import Item, Project


def lease_touch(*, user: User, item: Item) -> None:
    """Working on a claimed item keeps its lease alive."""
    Assignment.objects.filter(user=user, item=item, state=AssignmentState.ACTIVE).update(
        touched_at=timezone.now()
    )


def lease_cutoff() -> datetime:
    return timezone.now() - timedelta(minutes=settings.LOUPE_LEASE_MINUTES)


def assignment_release(*, assignment_id: int, item_id: int) -> bool:
    """End an active lease and give its place back to the queue, exactly once.

    The state change is a conditional UPDATE: of two concurrent releases (an expiry seen by two
    claims, a removal racing an expiry) one changes the row and only that one decrements.
    """
    with transaction.atomic():
        released = Assignment.objects.filter(pk=assignment_id, state=AssignmentState.ACTIVE).update(
            state=AssignmentState.RELEASED, finished_at=timezone.now()
        )
        if released:
            Item.objects.filter(pk=item_id, assigned_count__gt=0).update(
                assigned_count=F("assigned_count") - 1
            )
    return bool(released)


def leases_expire(*, project: Project, limit: int = 100) -> int:
    """Release the project's leases idle for longer than LOUPE_LEASE_MINUTES."""
    # A rejected item waits for its own annotator (annotate.review): that claim does not lapse.
    sent_back = AnnotationDocument.objects.filter(
        item=OuterRef("item"), annotator=OuterRef("user"), status=DocumentStatus.REJECTED
    )
    idle = (
        Assignment.objects.filter(
            item__project=project, state=AssignmentState.ACTIVE, touched_at__lt=lease_cutoff()
        )
        .exclude(Exists(sent_back))
        .values_list("pk", "item_id")[:limit]
    )
    return sum(assignment_release(assignment_id=pk, item_id=item_id) for pk, item_id in idle)


def member_claims_release(*, project_id: int, user_id: int) -> int:
    """Release every active lease of a member (removed from the project, or paused)."""
    active = Assignment.objects.filter(
        item__project_id=project_id, user_id=user_id, state=AssignmentState.ACTIVE
    ).values_list("pk", "item_id")
    return sum(assignment_release(assignment_id=pk, item_id=item_id) for pk, item_id in active)
