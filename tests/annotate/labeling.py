"""Labeling over REST as an annotator's client does it, for tests that need submitted work."""

from typing import Any


def label_and_submit(client, item_id: int, shapes: list[dict[str, Any]]) -> int:
    """Saves the first version of the client's document on the item, submits it, and returns
    the document's id."""
    saved = client.put(
        f"/api/v1/items/{item_id}/annotation/",
        {"shapes": shapes},
        format="json",
        HTTP_IF_MATCH='"0"',
    )
    assert saved.status_code in (200, 201), saved.content
    submitted = client.post(f"/api/v1/items/{item_id}/annotation/submit/")
    assert submitted.status_code == 200, submitted.content
    return submitted.json()["id"]
