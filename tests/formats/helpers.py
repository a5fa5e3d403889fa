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


def spoilt(draw: Any, shape: dict[str, Any], spoilers: dict[str, Any]) -> object:
    """A hypothesis shape with none, one or two fields replaced from `spoilers` or dropped;
    now and then not a shape object at all (for the fast-path property tests)."""
    from hypothesis import strategies as st

    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2]))):
        key = draw(st.sampled_from(sorted(spoilers)))
        if draw(st.integers(0, 4)):
            shape[key] = draw(spoilers[key])
        else:
            shape.pop(key, None)
    return shape if draw(st.integers(0, 30)) else draw(st.sampled_from(["a box", 3, None, []]))
