"""Every write of the projects app."""

from collections.abc import Iterable
from itertools import chain
from typing import Any, BinaryIO

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.errors import Invalid
from projects.events import member_removed, publish
from projects.item_roles import item_roles
from projects.models import Item, ItemRole, Membership, Project, Role
from projects.schema import validate_labels
from storage.services import asset_store
from storage.tasks import asset_thumbnail
from storage.uploads import validate_uploads, zip_members
from storage.validation import ValidatedImage


@transaction.atomic
def project_create(
    *,
    creator: User,
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
        raise Invalid({"role": ["A project keeps at least one manager."]})


@transaction.atomic
def member_set(*, project: Project, username: str, role: str) -> Membership:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise Invalid({"username": [f"No user named {username!r}."]})
    if role != Role.MANAGER:
        _keep_a_manager(project=project, losing_user_id=user.pk)
    # Backed by the (project, user) unique constraint. Setting a role again lifts a QC pause:
    # the manager has seen why (the quality report) and sends the member back to work.
    membership, _ = Membership.objects.update_or_create(
        project=project, user=user, defaults={"role": role, "paused_at": None, "paused_reason": ""}
    )
    return membership


@transaction.atomic
def member_pause(*, project_id: int, user_id: int, reason: str) -> bool:
    """Pause an annotator (quality decides when); True if this call paused them."""
    return bool(
        Membership.objects.filter(project_id=project_id, user_id=user_id, paused_at=None).update(
            paused_at=timezone.now(), paused_reason=reason
        )
    )


@transaction.atomic
def member_remove(*, project: Project, user_id: int, by: User) -> int:
    if user_id == by.pk:
        raise Invalid({"user_id": ["You cannot remove yourself from a project."]})
    _keep_a_manager(project=project, losing_user_id=user_id)
    deleted, _ = Membership.objects.filter(project=project, user_id=user_id).delete()
    if deleted:
        # annotate releases the member's claims (projects may not import annotate).
        publish(member_removed, project_id=project.pk, user_id=user_id)
    return deleted


def items_create(
    *,
    project: Project,
    images: list[ValidatedImage],
    role: str = ItemRole.TASK,
    split: str = "",
) -> list[Item]:
    """Store the images and place them in the project; an image already there is reused."""
    items: list[Item] = []
    try:
        with transaction.atomic():
            for image in images:
                asset = asset_store(image=image)
                try:
                    with transaction.atomic():
                        item, _ = Item.objects.get_or_create(
                            project=project,
                            asset=asset,
                            defaults={"name": image.name[:255], "split": split},
                        )
                except IntegrityError:
                    item = Item.objects.get(project=project, asset=asset)
                items.append(item)
                asset_id = asset.pk
                transaction.on_commit(lambda asset_id=asset_id: asset_thumbnail.delay(asset_id))
            if role != ItemRole.TASK:
                item_roles().designate(items=items, role=role)
    finally:
        for image in images:
            image.spooled.close()
    return items


def items_upload(
    *,
    project: Project,
    files: Iterable[tuple[str, BinaryIO]],
    archive: BinaryIO | None = None,
    role: str = ItemRole.TASK,
    split: str = "",
) -> list[Item]:
    """Validate every uploaded file (and every image of a zip), then store them all or none."""
    files = list(files)
    if not files and archive is None:
        raise Invalid("Send one or more images as `file`, or a zip as `archive`.", field="file")
    # Lazily: each zip entry must be read while zip_members still holds it open.
    images = validate_uploads(chain(files, zip_members(archive) if archive is not None else []))
    return items_create(project=project, images=images, role=role, split=split)
