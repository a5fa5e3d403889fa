"""Writes to object storage and the asset table."""

import io

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from PIL import Image, ImageOps

from storage.models import Asset
from storage.validation import ValidatedImage


def asset_store(*, image: ValidatedImage) -> Asset:
    """Store validated bytes once under their hash and return the one Asset row for them.

    The object is written before the row commits; the key is the content hash, so a rolled-back
    transaction leaves at worst an object that the next upload of the same bytes reuses.
    """
    key = Asset(sha256=image.sha256).storage_key
    if not default_storage.exists(key):
        image.spooled.seek(0)
        default_storage.save(key, File(image.spooled, name=key))
    try:
        with transaction.atomic():
            asset, _ = Asset.objects.get_or_create(
                sha256=image.sha256,
                defaults={
                    "size": image.size,
                    "mime": image.mime,
                    "width": image.width,
                    "height": image.height,
                },
            )
    except IntegrityError:
        # Another request stored the same bytes between our lookup and insert.
        asset = Asset.objects.get(sha256=image.sha256)
    return asset


def asset_thumbnail_make(*, asset: Asset) -> str:
    """Write the asset's thumbnail (idempotent: same bytes, same key) and return its key."""
    key = asset.thumbnail_key
    if default_storage.exists(key):
        return key
    with default_storage.open(asset.storage_key, "rb") as handle, Image.open(handle) as source:
        image = ImageOps.exif_transpose(source)
        image.thumbnail((settings.THUMBNAIL_SIZE, settings.THUMBNAIL_SIZE))
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="WEBP", quality=80)
    buffer.seek(0)
    default_storage.save(key, File(buffer, name=key))
    return key
