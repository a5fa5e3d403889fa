"""Builders for accounts, projects and items. They call the real services."""

import io
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Permission

from projects.models import Item, Project
from projects.services import items_upload, member_set, project_create
from tests.storage.factories import image_bytes, sequence

PASSWORD = "correct-horse-battery-staple"

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
        username=username or f"user{next(sequence)}", password=PASSWORD
    )
    if can_create_projects:
        user.user_permissions.add(Permission.objects.get(codename="add_project"))
    return user


def project_with_members(
    *, manager: AbstractBaseUser, labels: list[dict] | None = None, overlap: int = 1, **members: str
) -> Project:
    """members: username=role for users that exist already."""
    project = project_create(
        creator=manager,
        name=f"project {next(sequence)}",
        labels=BOX_AND_TAG_LABELS if labels is None else labels,
        overlap=overlap,
    )
    for username, role in members.items():
        member_set(project=project, username=username, role=role)
    return project


def items_add(project: Project, count: int = 1, *, role: str = "task", size=(64, 48)) -> list[Item]:
    files = [(f"img{n}.png", io.BytesIO(image_bytes(*size))) for n in range(count)]
    return items_upload(project=project, files=files, role=role)


def item_from_bytes(
    project: Project, data: bytes, *, name: str = "image", role: str = "task"
) -> Item:
    (item,) = items_upload(project=project, files=[(name, io.BytesIO(data))], role=role)
    return item
