from django.db import models


class Asset(models.Model):
    """An image's bytes, stored once under a key derived from their SHA-256."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.BigIntegerField()
    mime = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gt=0), name="asset_size_positive"),
            models.CheckConstraint(
                condition=models.Q(width__gt=0, height__gt=0), name="asset_dimensions_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sha256[:12]} {self.width}x{self.height}"

    @property
    def storage_key(self) -> str:
        return object_key(self.sha256)

    @property
    def thumbnail_key(self) -> str:
        return f"thumbs/{self.sha256[:2]}/{self.sha256}.webp"


def object_key(sha256: str) -> str:
    return f"assets/{sha256[:2]}/{sha256[2:4]}/{sha256}"
