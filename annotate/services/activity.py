"""What the writes of annotate leave behind them: the activity entry (which renews the lease on
an open or a save) and the caller's finished assignment."""

from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from annotate.leases import lease_touch
from annotate.models import ActivityEvent, ActivityVerb, Assignment, AssignmentState
from projects.models import Item


def activity_log(*, user: User, item: Item, verb: str, data: dict[str, Any] | None = None) -> None:
    ActivityEvent.objects.create(
        project_id=item.project_id, item=item, user=user, verb=verb, data=data or {}
    )
    if verb in (ActivityVerb.OPENED, ActivityVerb.SAVED):
        lease_touch(user=user, item=item)


def _assignment_finish(*, user: User, item: Item, state: str) -> int:
    return Assignment.objects.filter(user=user, item=item, state=AssignmentState.ACTIVE).update(
        state=state, finished_at=timezone.now()
    )
