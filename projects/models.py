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
    # A new annotator's first `gold_initial_items` real items carry hidden gold at this rate.
    gold_rate_initial = models.FloatField(default=0.3)
    gold_initial_items = models.PositiveIntegerField(default=20)
    # The qualification exam (annotate.training): on where the project has training items and
    # hidden gold; `exam_items` hidden gold items scored blind, passed at a mean accuracy of
    # `exam_pass_accuracy`; after a failure the next attempt waits `exam_retry_minutes`.
    exam_enabled = models.BooleanField(default=True)
    exam_items = models.PositiveSmallIntegerField(default=10)
    exam_pass_accuracy = models.FloatField(default=0.8)
    exam_retry_minutes = models.PositiveIntegerField(default=60)
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
            models.CheckConstraint(
                condition=models.Q(gold_rate_initial__gte=0, gold_rate_initial__lte=1),
                name="project_gold_rate_initial_range",
            ),
            models.CheckConstraint(
                condition=models.Q(exam_pass_accuracy__gte=0, exam_pass_accuracy__lte=1),
                name="project_exam_pass_accuracy_range",
            ),
            models.CheckConstraint(
                condition=models.Q(exam_items__gte=1), name="project_exam_items_positive"
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
    # Training and qualification (annotate.training gates the queue on them; quality grades).
    training_completed_at = models.DateTimeField(null=True, blank=True)
    qualified_at = models.DateTimeField(null=True, blank=True)
    # After a failed exam: the earliest time of the next attempt.
    exam_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} of {self.project}"


class ExamAttempt(models.Model):
    """One sitting of a project's qualification exam: the hidden gold items it hands out (in
    order), and once every one is submitted and scored, the mean accuracy and the verdict."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="exam_attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_attempts"
    )
    item_ids = models.JSONField(default=list)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    accuracy = models.FloatField(null=True, blank=True)
    passed = models.BooleanField(null=True)

    class Meta:
        constraints = [
            # At most one open attempt per annotator and project.
            models.UniqueConstraint(
                fields=["project", "user"],
                condition=models.Q(finished_at__isnull=True),
                name="exam_attempt_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"exam of {self.user} in {self.project}"


class Invite(models.Model):
    """A one-time link that lets a person choose a username and password and join the project
    as an annotator. Only the SHA-256 of its token is stored."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invites")
    token_hash = models.CharField(max_length=64, unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"invite to {self.project}"


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
