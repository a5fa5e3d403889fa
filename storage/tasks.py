from celery import shared_task

from storage.models import Asset
from storage.services import asset_thumbnail_make


@shared_task(
    name="storage.asset_thumbnail",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=3,
    time_limit=120,
    soft_time_limit=100,
)
def asset_thumbnail(asset_id: int) -> str | None:
    asset = Asset.objects.filter(pk=asset_id).first()
    if asset is None:
        return None
    return asset_thumbnail_make(asset=asset)
