"""Every write of the projects app."""

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from projects.models import Item, ItemRole, Membership, Project, Role
from projects.schema import validate_labels
from storage.services import asset_store
from storage.tasks import asset_thumbnail
from storage.validation import UploadRejected, ValidatedImage, validate_image

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}


@transaction.atomic
def project_create(
    *,
    creator: AbstractBaseUser,
    name: str,
    labels: list[dict[str, Any]],
    description: str = "",
    guidelines: str = "",
    overlap: int = 1,
) -> Project:
    project = Project.objects.create(
        name=name,
        labels=validate_labels(labels),
        description=description,
        guidelines=guidelines,
        overlap=overlap,
        created_by=creator,
    )
    Membership.objects.create(project=project, user=creator, role=Role.MANAGER)
    return project


@transaction.atomic
def project_update(*, project: Project, **fields: Any) -> Project:
    if "labels" in fields:
        fields["labels"] = validate_labels(fields["labels"])
    for name, value in fields.items():
        setattr(project, name, value)
    project.save(update_fields=[*fields, "updated_at"])
    return project


def _keep_a_manager(*, project: Project, losing_user_id: int) -> None:
    """Refuse a change that would leave the project without any manager.

    The managers' rows are locked (in pk order) so two concurrent demotions cannot both pass.
    """
    managers = list(
        Membership.objects.select_for_update()
        .filter(project=project, role=Role.MANAGER)
        .order_by("pk")
        .values_list("user_id", flat=True)
    )
    if managers and set(managers) <= {losing_user_id}:
        raise ValidationError({"role": ["A project keeps at least one manager."]})


@transaction.atomic
def member_set(*, project: Project, username: str, role: str) -> Membership:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValidationError({"username": [f"No user named {username!r}."]})
    if role != Role.MANAGER:
        _keep_a_manager(project=project, losing_user_id=user.pk)
    # Backed by the (project, user) unique constraint.
    membership, _ = Membership.objects.update_or_create(
        project=project, user=user, defaults={"role": role}
    )
    return membership


@transaction.atomic
def member_remove(*, project: Project, user_id: int) -> int:
    _keep_a_manager(project=project, losing_user_id=user_id)
    deleted, _ = Membership.objects.filter(project=project, user_id=user_id).delete()
    return deleted


def validate_uploads(files: Iterable[tuple[str, BinaryIO]]) -> list[ValidatedImage]:
    """Validate every file before storing any, so one bad file in a batch stores nothing."""
    validated: list[ValidatedImage] = []
    try:
        for name, handle in files:
            if len(validated) >= settings.UPLOAD_MAX_FILES:
                raise UploadRejected(f"At most {settings.UPLOAD_MAX_FILES} files per upload.")
            validated.append(
                validate_image(
                    handle,
                    name=name,
                    max_bytes=settings.UPLOAD_MAX_BYTES,
                    max_pixels=settings.UPLOAD_MAX_PIXELS,
                )
            )
    except UploadRejected:
        for image in validated:
            image.spooled.close()
        raise
    return validated


def items_create(
    *,
    project: Project,
    images: list[ValidatedImage],
    role: str = ItemRole.TASK,
    split: str = "",
) -> list[Item]:
    """Store the images and place them in the project; an image already there is reused."""
    items = []
    try:
        with transaction.atomic():
            for image in images:
                asset = asset_store(image=image)
                try:
                    with transaction.atomic():
                        item, _ = Item.objects.get_or_create(
                            project=project,
                            asset=asset,
                            defaults={"name": image.name[:255], "role": role, "split": split},
                        )
                except IntegrityError:
                    item = Item.objects.get(project=project, asset=asset)
                items.append(item)
                asset_id = asset.pk
                transaction.on_commit(lambda asset_id=asset_id: asset_thumbnail.delay(asset_id))
    finally:
        for image in images:
            image.spooled.close()
    return items


def zip_members(archive: BinaryIO) -> Iterator[tuple[str, BinaryIO]]:
    """Image entries of a zip, refusing archives whose declared sizes exceed the limits."""
    try:
        bundle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadRejected("The archive is not a valid zip file.") from exc
    entries = [
        info
        for info in bundle.infolist()
        if not info.is_dir()
        and PurePosixPath(info.filename).suffix.lower() in IMAGE_SUFFIXES
        and not PurePosixPath(info.filename).name.startswith(".")
        and "__MACOSX" not in info.filename
    ]
    if not entries:
        raise UploadRejected("The zip holds no images (jpg, png, webp, gif, bmp, tiff).")
    if len(entries) > settings.UPLOAD_MAX_FILES:
        raise UploadRejected(
            f"The zip holds {len(entries)} images; at most {settings.UPLOAD_MAX_FILES}."
        )
    total = sum(info.file_size for info in entries)
    if total > settings.ZIP_MAX_BYTES:
        raise UploadRejected("The zip expands past the size limit (possible zip bomb).")
    for info in entries:
        # validate_image re-checks the real size while reading, whatever the header declared.
        with bundle.open(info) as handle:
            yield PurePosixPath(info.filename).name, handle  # type: ignore[misc]
