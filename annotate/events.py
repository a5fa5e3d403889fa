"""What annotate announces after commit. quality subscribes (annotate never imports quality).

annotation_submitted(document_id, item_id, user_id)
annotation_reviewed(document_id, item_id, user_id, reviewer_id, decision)
"""

from common.events import Event, publish, subscribe

annotation_submitted = Event("annotation_submitted")
annotation_reviewed = Event("annotation_reviewed")

__all__ = ["annotation_reviewed", "annotation_submitted", "publish", "subscribe"]
