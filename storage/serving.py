"""Hand object bytes to a browser that may see them: stream, or redirect to a signed URL."""

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase

from storage.models import Asset
from storage.services import asset_thumbnail_make


def object_response(request: HttpRequest, *, key: str, etag: str, mime: str) -> HttpResponseBase:
    response: HttpResponseBase
    if request.headers.get("If-None-Match") == f'"{etag}"':
        response = HttpResponse(status=304)
    elif settings.S3_REDIRECT and settings.S3_BUCKET:
        # The signed URL expires quickly; the redirect itself must never be cached.
        response = HttpResponseRedirect(default_storage.url(key))
        response["Cache-Control"] = "private, no-store"
        return response
    else:
        response = FileResponse(default_storage.open(key, "rb"), content_type=mime)
    # Content never changes under a hash-derived key, but access may be revoked: private cache.
    response["ETag"] = f'"{etag}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


def asset_image_response(request: HttpRequest, *, asset: Asset) -> HttpResponseBase:
    return object_response(request, key=asset.storage_key, etag=asset.sha256, mime=asset.mime)


def asset_thumbnail_response(request: HttpRequest, *, asset: Asset) -> HttpResponseBase:
    key = asset_thumbnail_make(asset=asset)  # a no-op when the worker already made it
    return object_response(request, key=key, etag=f"t-{asset.sha256}", mime="image/webp")
