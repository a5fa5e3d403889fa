"""Response headers every page carries. The frontend is written for a CSP without inline code."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def content_security_policy() -> str:
    img_sources = ["'self'", "data:", "blob:"]
    connect_sources = ["'self'"]
    if settings.S3_REDIRECT and settings.S3_ENDPOINT_URL:
        # Signed-URL redirects send the browser to the object store itself: the studio fetches
        # image bytes to decode them off the main thread (it falls back to an <img> when the
        # bucket does not allow the app's origin by CORS).
        img_sources.append(settings.S3_ENDPOINT_URL.rstrip("/"))
        connect_sources.append(settings.S3_ENDPOINT_URL.rstrip("/"))
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": img_sources,
        "connect-src": connect_sources,
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.policy)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
