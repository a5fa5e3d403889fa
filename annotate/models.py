from django.conf import settings
from django.db import models
from django.utils import timezone

from formats.canonical import content_hash
from projects.models import Item, Project

EMPTY_SHAPES_HASH = content_hash([])


class DocumentKind(models.TextChoices):
    ANNOTATOR = "annotator"
    REVIEW = "review"
    CONSENSUS = "consensus"


class DocumentStatus(models.TextChoices):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class AnnotationDocument(models.Model):
    """One annotator's shapes for one item. `version` guards every write (optimistic locking)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="documents")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(max_length=16, choices=DocumentKind.choices, default="annotator")
    shapes = models.JSONField(default=list)
    # SHA-256 of the shapes' RFC 8785 canonical JSON (formats.canonical), set on every save.
    content_hash = models.CharField(max_length=64, default=EMPTY_SHAPES_HASH)
    version = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=DocumentStatus.choices, default="draft")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "annotator", "kind"], name="document_unique_per_annotator"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=DocumentStatus.values), name="document_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "item"])]

    def __str__(self) -> str:
        return f"document {self.pk} v{self.version} ({self.status})"


class Revision(models.Model):
    """Append-only: every accepted save of a document, as it was written.

    A checkpoint holds the version's full `shapes`: the first version, every submission and
    review, and every REVISION_CHECKPOINT_EVERY-th version. Any other revision holds only
    `changes`, the change set (annotate.changes) that turns the previous version into this one,
    so an autosave adds what it changed, not the document. annotate.revisions rebuilds any
    version from the nearest checkpoint at or before it.
    """

    document = models.ForeignKey(
        AnnotationDocument, on_delete=models.CASCADE, related_name="revisions"
    )
    version = models.PositiveIntegerField()
    checkpoint = models.BooleanField(default=True)
    shapes = models.JSONField(null=True, blank=True)  # a checkpoint's full shapes
    changes = models.JSONField(null=True, blank=True)  # otherwise, the change set from v-1
    status = models.CharField(max_length=16)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "version"], name="revision_unique_version"),
            models.CheckConstraint(
                condition=models.Q(checkpoint=True, shapes__isnull=False)
                | models.Q(checkpoint=False, changes__isnull=False),
                name="revision_checkpoint_or_changes",
            ),
        ]

    def __str__(self) -> str:
        return f"revision v{self.version} of document {self.document_id}"


class AssignmentState(models.TextChoices):
    ACTIVE = "active"
    DONE = "done"
    SKIPPED = "skipped"
    # The lease lapsed (idle past LOUPE_LEASE_MINUTES) or the member was removed or paused.
    RELEASED = "released"


class Assignment(models.Model):
    """The queue's lease on an item for one annotator: active until submitted, skipped, or
    released (idle too long, member removed or paused). The item never returns to this user."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    state = models.CharField(max_length=16, choices=AssignmentState.choices, default="active")
    created_at = models.DateTimeField(auto_now_add=True)
    # Last sign of life (claim, open, save): the lease lapses LOUPE_LEASE_MINUTES after it.
    touched_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "user"], name="assignment_unique_per_user")
        ]
        indexes = [
            models.Index(fields=["user", "state", "created_at"]),
            models.Index(fields=["state", "touched_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} -> item {self.item_id} ({self.state})"


class ActivityVerb(models.TextChoices):
    ASSIGNED = "assigned"
    OPENED = "opened"
    SAVED = "saved"
    SUBMITTED = "submitted"
    SKIPPED = "skipped"
    REVIEWED = "reviewed"


class ActivityEvent(models.Model):
    """Append-only log: raw material for throughput figures and derived features."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    item = models.ForeignKey(Item, null=True, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verb = models.CharField(max_length=16, choices=ActivityVerb.choices)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "user", "at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.verb} item {self.item_id} at {self.at:%Y-%m-%d %H:%M:%S}"


class ReviewComment(models.Model):
    """A reviewer's note on a document, pinned to a shape (`shape_id`) or to a region of the
    image (`region`: {"x", "y"} a point, or {"x", "y", "w", "h"} a box, in image pixels), or to
    neither (the whole document). Resolved when a later review round supersedes it."""

    document = models.ForeignKey(
        AnnotationDocument, on_delete=models.CASCADE, related_name="review_comments"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    shape_id = models.CharField(max_length=64, null=True, blank=True)
    region = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["document", "resolved_at"])]

    def __str__(self) -> str:
        return f"comment {self.pk} on document {self.document_id}"
