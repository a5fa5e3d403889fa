"""Builders for test data. They call the real services, so tests exercise the real write paths."""

import io
import itertools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Permission
from PIL import Image

from projects.models import Item, Project
from projects.services import items_create, member_set, project_create, validate_uploads

PASSWORD = "correct-horse-battery-staple"
_sequence = itertools.count(1)

BOX_AND_TAG_LABELS: list[dict[str, Any]] = [
    {"name": "car", "color": "#ff0000", "kind": "box"},
    {
        "name": "person",
        "color": "#00ff00",
        "kind": "box",
        "attributes": [{"name": "pose", "type": "select", "values": ["standing", "sitting"]}],
    },
    {"name": "night", "color": "#000080", "kind": "tag"},
]


def user_create(
    username: str | None = None, *, can_create_projects: bool = False
) -> AbstractBaseUser:
    user = get_user_model().objects.create_user(
        username=username or f"user{next(_sequence)}", password=PASSWORD
    )
    if can_create_projects:
        user.user_permissions.add(Permission.objects.get(codename="add_project"))
    return user


def image_bytes(
    width: int = 64,
    height: int = 48,
    *,
    fmt: str = "PNG",
    color: tuple[int, int, int] | None = None,
) -> bytes:
    """A small image whose bytes differ per call unless a colour is given."""
    fill = color or (next(_sequence) % 256, (next(_sequence) * 7) % 256, 99)
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), fill).save(buffer, format=fmt)
    return buffer.getvalue()


def project_with_members(
    *, manager: AbstractBaseUser, labels: list[dict] | None = None, overlap: int = 1, **members: str
) -> Project:
    """members: username=role for users that exist already."""
    project = project_create(
        creator=manager,
        name=f"project {next(_sequence)}",
        labels=BOX_AND_TAG_LABELS if labels is None else labels,
        overlap=overlap,
    )
    for username, role in members.items():
        member_set(project=project, username=username, role=role)
    return project


def items_add(project: Project, count: int = 1, *, role: str = "task", size=(64, 48)) -> list[Item]:
    images = validate_uploads(
        [(f"img{n}.png", io.BytesIO(image_bytes(*size))) for n in range(count)]
    )
    return items_create(project=project, images=images, role=role)


def box(label: str = "car", points=(1, 2, 30, 40), **extra: Any) -> dict[str, Any]:
    import uuid

    return {"id": str(uuid.uuid4()), "label": label, "kind": "box", "points": list(points), **extra}
