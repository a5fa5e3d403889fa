"""Fixed-window rate limits kept in the cache (Redis in production, shared by all workers)."""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def hit(*, scope: str, keys: list[str], limit: int, window_seconds: int) -> int | None:
    """Count one attempt under every key; return seconds to wait when any key is over its limit."""
    window = int(time.time() // window_seconds)
    retry_after = window_seconds - int(time.time() % window_seconds)
    over = False
    for key in keys:
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        cache_key = f"rl:{scope}:{window}:{digest}"
        # add() is atomic: the first attempt of a window creates the counter with its expiry.
        if not cache.add(cache_key, 1, timeout=window_seconds + 1):
            try:
                count = cache.incr(cache_key)
            except ValueError:
                cache.add(cache_key, 1, timeout=window_seconds + 1)
                count = 1
            over = over or count > limit
    return retry_after if over else None


def login_attempt(request: HttpRequest, username: str) -> int | None:
    return hit(
        scope="login",
        keys=[f"ip:{client_address(request)}", f"user:{username.strip().lower()}"],
        limit=settings.LOGIN_RATE_LIMIT,
        window_seconds=settings.LOGIN_RATE_WINDOW_SECONDS,
    )
