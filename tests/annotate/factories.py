"""Builders for shapes and annotation documents. They call the real services."""

import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from annotate.models import AnnotationDocument
from annotate.services import annotation_save, annotation_submit
from projects.models import Item


def box(label: str = "car", points=(1, 2, 30, 40), **extra: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "label": label, "kind": "box", "points": list(points), **extra}


def tag(label: str = "night", **extra: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "label": label, "kind": "tag", **extra}


def document_saved(
    item: Item, user: AbstractBaseUser, shapes: list[dict[str, Any]] | None = None
) -> AnnotationDocument:
    """The user's document for the item at version 1."""
    return annotation_save(
        user=user, item=item, shapes=[box()] if shapes is None else shapes, expected_version=0
    )


def document_submitted(
    item: Item, user: AbstractBaseUser, shapes: list[dict[str, Any]] | None = None
) -> AnnotationDocument:
    document_saved(item, user, shapes)
    return annotation_submit(user=user, item=item)
