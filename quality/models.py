from django.conf import settings
from django.db import models

from projects.models import Item


class GoldAnswer(models.Model):
    """The known-correct shapes of an item. Managers only: never serialized to annotators."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="gold")
    shapes = models.JSONField(default=list)
    source = models.CharField(max_length=32, default="manual", help_text="manual | synthetic")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"gold of item {self.item_id}"
