"""Small helpers the codec tests share."""

import io
import math
from collections.abc import Callable
from typing import Any

from formats.records import ItemShapes


def export(writer: Callable[..., None], entries: list[ItemShapes], **options: Any) -> bytes:
    out = io.BytesIO()
    writer(out, items=lambda: iter(entries), **options)
    return out.getvalue()


def close(
    actual: list[float], expected: list[float], rel: float = 1e-3, abs_: float = 0.02
) -> bool:
    """Numbers equal within export rounding (2 decimals) or a relative tolerance."""
    return len(actual) == len(expected) and all(
        math.isclose(a, e, rel_tol=rel, abs_tol=abs_) for a, e in zip(actual, expected, strict=True)
    )


def without_ids(shapes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in shape.items() if key != "id"} for shape in shapes]
