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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(overlap__gte=1, overlap__lte=50), name="project_overlap_range"
            )
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
    TASK = "task"
    GOLD = "gold"
    TRAINING = "training"


class Item(models.Model):
    """An asset placed in a project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="items")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="items")
    name = models.CharField(max_length=255, blank=True)
    role = models.CharField(max_length=16, choices=ItemRole.choices, default=ItemRole.TASK)
    split = models.CharField(max_length=32, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Claims handed out by the queue; compared with project.overlap inside the claiming UPDATE.
    assigned_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "asset"], name="item_asset_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=ItemRole.values), name="item_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["project", "role", "assigned_count", "id"])]

    def __str__(self) -> str:
        return f"item {self.pk} of project {self.project_id}"
