from django.conf import settings
from django.db import models

from annotate.models import AnnotationDocument
from projects.models import Item


class GoldPurpose(models.TextChoices):
    # Mixed into annotators' real work, scored, never shown (DESIGN.md).
    HIDDEN = "hidden"
    # Practice with feedback: the answer is shown to an annotator after they submit the item.
    TRAINING = "training"


class GoldAnswer(models.Model):
    """What makes an item gold: its known-correct shapes. The one representation of gold and
    training items. Managers only: never serialized to annotators except as training feedback.

    `shapes` is null while the item is designated gold but its answer is not given yet; such an
    item is neither queued as gold nor scored.
    """

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="gold")
    purpose = models.CharField(
        max_length=16, choices=GoldPurpose.choices, default=GoldPurpose.HIDDEN
    )
    shapes = models.JSONField(null=True, blank=True)
    # SHA-256 of the shapes' canonical JSON: the gold version a score was computed against.
    content_hash = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=32, default="manual", help_text="manual | synthetic")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose__in=GoldPurpose.values), name="gold_purpose_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} gold of item {self.item_id}"


class GoldScore(models.Model):
    """One document compared with one version of its item's gold answer (quality.scoring).

    Unique per (document, gold version): scoring again (a retried task, a second submit) rewrites
    the one row. `document_hash` tells which shapes were scored.
    """

    document = models.ForeignKey(
        AnnotationDocument, on_delete=models.CASCADE, related_name="gold_scores"
    )
    gold_hash = models.CharField(max_length=64)
    document_hash = models.CharField(max_length=64)
    tp = models.PositiveIntegerField()
    fp = models.PositiveIntegerField()
    fn = models.PositiveIntegerField()
    class_errors = models.PositiveIntegerField()
    mean_iou = models.FloatField(null=True)
    accuracy = models.FloatField()
    matches = models.JSONField(default=list)
    scored_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["document", "gold_hash"], name="gold_score_unique_per_gold_version"
            )
        ]

    def __str__(self) -> str:
        return f"score of document {self.document_id}: {self.accuracy:.3f}"
