"""Builders for test data. They call the real services, so tests exercise the real write paths."""

import io
import itertools
import os
import uuid
import zipfile
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from annotate.models import AnnotationDocument
from annotate.services import annotation_save, annotation_submit
from projects.models import Item, Project
from projects.services import items_upload, member_set, project_create
from quality.models import GoldAnswer
from quality.services import gold_set

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
    """A small image. Without a colour its bytes are unique, even across test runs, because
    object storage (a moto bucket) can outlive one run and "nothing was stored" must hold."""
    image = Image.new("RGB", (width, height), color or (next(_sequence) % 256, 120, 99))
    if color is None:
        noise = os.urandom(3 * min(width, 8))  # a random strip: distinct bytes, tiny files
        strip = Image.frombytes("RGB", (min(width, 8), 1), noise).resize((min(width, 8), height))
        image.paste(strip, (0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def upload(data: bytes, name: str | None = None, content_type: str = "image/png") -> Any:
    """A file for a multipart request."""
    return SimpleUploadedFile(name or f"upload-{uuid.uuid4().hex[:8]}.png", data, content_type)


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
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
    files = [(f"img{n}.png", io.BytesIO(image_bytes(*size))) for n in range(count)]
    return items_upload(project=project, files=files, role=role)


def item_from_bytes(
    project: Project, data: bytes, *, name: str = "image", role: str = "task"
) -> Item:
    (item,) = items_upload(project=project, files=[(name, io.BytesIO(data))], role=role)
    return item


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


def gold_add(item: Item, author: AbstractBaseUser, shapes: list[dict] | None = None) -> GoldAnswer:
    return gold_set(item=item, shapes=[box()] if shapes is None else shapes, author=author)
