from django.conf import settings
from django.db import models

from storage.models import Asset


class Role(models.TextChoices):
    MANAGER = "manager"
    REVIEWER = "reviewer"
    ANNOTATOR = "annotator"


class Project(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    guidelines = models.TextField(blank=True, help_text="Markdown shown to annotators.")
    labels = models.JSONField(default=list, help_text="The label schema, see projects.schema.")
    # How many different annotators label each task item (1 = each item goes to one person).
    overlap = models.PositiveSmallIntegerField(default=1)
    # Quality control (quality/ reads these): an annotator is paused once P(accuracy <
    # qc_threshold) > 0.95 over at least qc_min_gold_items scored hidden-gold items.
    qc_threshold = models.FloatField(default=0.8)
    qc_min_gold_items = models.PositiveIntegerField(default=20)
    # Chance that a claim hands out a hidden gold item (when one is left for the annotator).
    gold_rate = models.FloatField(default=0.1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(overlap__gte=1, overlap__lte=50), name="project_overlap_range"
            ),
            models.CheckConstraint(
                condition=models.Q(qc_threshold__gte=0, qc_threshold__lte=1),
                name="project_qc_threshold_range",
            ),
            models.CheckConstraint(
                condition=models.Q(gold_rate__gte=0, gold_rate__lte=1),
                name="project_gold_rate_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def label(self, name: str) -> dict | None:
        return next((label for label in self.labels if label["name"] == name), None)


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by quality when the member's gold accuracy falls below the project threshold; the
    # queue refuses them until a manager sets their role again.
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} of {self.project}"


class ItemRole(models.TextChoices):
    """The manager-facing vocabulary of the upload option and the item list filter. Not a field:
    gold and training are quality's gold answers attached to an item (see projects.item_roles)."""

    TASK = "task"
    GOLD = "gold"
    TRAINING = "training"


class Item(models.Model):
    """An asset placed in a project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="items")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="items")
    name = models.CharField(max_length=255, blank=True)
    split = models.CharField(max_length=32, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Claims handed out by the queue; compared with project.overlap inside the claiming UPDATE.
    assigned_count = models.PositiveIntegerField(default=0)
    # Queue rank: the queue hands out lower first, like P1 before P2 (null: after every ranked
    # item, by id); set by a manager's "prioritise the queue by feature X" (pipelines).
    priority = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "asset"], name="item_asset_unique"),
        ]
        indexes = [
            models.Index(fields=["project", "assigned_count", "id"]),
            # the queue's claim order (annotate._claim_one); Postgres puts nulls last ascending
            models.Index(
                fields=["project", "assigned_count", "priority", "id"], name="item_queue_order"
            ),
        ]

    def __str__(self) -> str:
        return f"item {self.pk} of project {self.project_id}"
