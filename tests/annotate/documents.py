"""Helpers the annotation API tests share: request builders and the state a refusal keeps."""

from typing import Any

from annotate.models import ActivityEvent, AnnotationDocument, Assignment, Revision
from projects.models import Item

ID = "6f1c1c0e-5a0e-4c57-9d3b-2d7f5b1e0a11"


def url(item: Item, suffix: str = "") -> str:
    return f"/api/v1/items/{item.pk}/annotation/{suffix}"


def put(client, item: Item, shapes: Any, version: int | str | None, **kwargs: Any):
    headers = {} if version is None else {"HTTP_IF_MATCH": f'"{version}"'}
    return client.put(url(item), {"shapes": shapes}, format="json", **headers, **kwargs)


def state(item: Item) -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    return {
        "documents": sorted(
            AnnotationDocument.objects.filter(item=item).values_list(
                "pk", "annotator_id", "version", "status", "shapes"
            )
        ),
        "revisions": sorted(Revision.objects.values_list("document_id", "version")),
        "saved_events": ActivityEvent.objects.filter(verb="saved").count(),
        "assignments": sorted(Assignment.objects.values_list("item_id", "user_id", "state")),
    }
