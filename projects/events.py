"""What projects announces after commit; annotate subscribes (projects never imports annotate).

member_removed(project_id, user_id)
"""

from common.events import Event, publish, subscribe

member_removed = Event("member_removed")

__all__ = ["member_removed", "publish", "subscribe"]
