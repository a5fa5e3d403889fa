"""Events the projects app publishes to the apps on its right (which it may not import).

Two kinds, for two needs:
- In the transaction, with answers: label classes are defined here, but their shapes live in
  annotate (documents) and quality (gold answers). A schema change that renames or removes
  classes in use asks those apps through Django signals how much uses them and has them rewrite
  it inside the same transaction, so the schema and every stored shape change together or not
  at all. Receivers are connected in each app's AppConfig.ready.
- After commit, fire and forget (common.events): member_removed(project_id, user_id), on which
  annotate releases the member's claims.
"""

from dataclasses import dataclass

from django.dispatch import Signal

from common.events import Event, publish, subscribe

# kwargs: project_id: int, label_ids: set[str], names: dict[str, str] (id -> name, for shapes
# stored before classes had ids). Each receiver returns dict[label_id, LabelUsage].
label_usage_requested = Signal()

# kwargs: project_id: int, renamed: dict[id, new name], removed: set[id], names: dict[str, str]
# (id -> the name before the change), by: the user making it. Sent inside the transaction.
labels_changed = Signal()

member_removed = Event("member_removed")


@dataclass(frozen=True)
class LabelUsage:
    shapes: int = 0
    documents: int = 0

    def __add__(self, other: "LabelUsage") -> "LabelUsage":
        return LabelUsage(self.shapes + other.shapes, self.documents + other.documents)


__all__ = [
    "LabelUsage",
    "label_usage_requested",
    "labels_changed",
    "member_removed",
    "publish",
    "subscribe",
]
