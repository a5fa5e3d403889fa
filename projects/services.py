"""Every write of the projects app."""

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import partial
from itertools import chain
from typing import Any, BinaryIO, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.errors import Conflict, Invalid
from projects.events import (
    LabelUsage,
    label_usage_requested,
    labels_changed,
    member_removed,
    publish,
)
from projects.item_roles import item_roles
from projects.models import Item, ItemRole, Membership, Project, Role
from projects.schema import validate_labels
from storage.services import asset_store
from storage.tasks import asset_thumbnail
from storage.uploads import Judged, Refusal, validate_uploads, zip_members
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
def project_update(
    *, project: Project, by: User | None = None, delete_in_use: bool = False, **fields: Any
) -> Project:
    """Change the project; a new label schema carries every stored shape along.

    Classes are matched by id: a renamed class keeps its shapes (their names are rewritten); a
    removed class that still has shapes is refused with a Conflict that says how many, unless
    `delete_in_use`, when its shapes are removed from every document and gold answer.
    """
    if "labels" in fields:
        # Locked: of two managers editing the schema at once, the second diffs against the first.
        previous = Project.objects.select_for_update().only("labels").get(pk=project.pk).labels
        fields["labels"] = validate_labels(fields["labels"], previous=previous)
        _labels_carry_shapes(
            project=project,
            previous=previous,
            labels=fields["labels"],
            by=by,
            delete_in_use=delete_in_use,
        )
    for name, value in fields.items():
        setattr(project, name, value)
    project.save(update_fields=[*fields, "updated_at"])
    return project


def _labels_carry_shapes(
    *,
    project: Project,
    previous: list[dict[str, Any]],
    labels: list[dict[str, Any]],
    by: User | None,
    delete_in_use: bool,
) -> None:
    names = {old["id"]: old["name"] for old in previous if old.get("id")}
    kinds = {old["id"]: old["kind"] for old in previous if old.get("id")}
    now = {label["id"]: label for label in labels}
    renamed = {i: now[i]["name"] for i in names if i in now and now[i]["name"] != names[i]}
    removed = {i for i in names if i not in now}
    rekinded = {i for i in names if i in now and now[i]["kind"] != kinds[i]}
    if not (renamed or removed or rekinded):
        return
    if removed or rekinded:
        usage = label_usage(project_id=project.pk, label_ids=removed | rekinded, names=names)
        in_kind = {i: usage[i] for i in rekinded if usage[i].shapes}
        if in_kind:
            raise Conflict(
                _usage_message(in_kind, names, "cannot change kind: its shapes would not fit"),
                labels_in_use=_usage_rows(in_kind, names),
            )
        in_use = {i: usage[i] for i in removed if usage[i].shapes}
        if in_use and not delete_in_use:
            raise Conflict(
                _usage_message(in_use, names, "is in use")
                + " Send delete_in_use: true (or ?force=1) to delete it and remove those shapes.",
                labels_in_use=_usage_rows(in_use, names),
            )
    if renamed or removed:
        labels_changed.send(
            sender=Project,
            project_id=project.pk,
            renamed=renamed,
            removed=removed,
            names=names,
            by=by,
        )


def label_usage(
    *, project_id: int, label_ids: set[str], names: dict[str, str]
) -> dict[str, LabelUsage]:
    """How many stored shapes (and documents holding them) each class has, over every app."""
    usage = {label_id: LabelUsage() for label_id in label_ids}
    for _, counts in label_usage_requested.send(
        sender=Project, project_id=project_id, label_ids=label_ids, names=names
    ):
        found = cast(dict[str, LabelUsage], counts)
        for label_id, count in found.items():
            usage[label_id] += count
    return usage


def _usage_message(usage: dict[str, LabelUsage], names: dict[str, str], problem: str) -> str:
    return " ".join(
        f"Class {names[i]!r} {problem}: {count.shapes} shape(s) in {count.documents} "
        "document(s) use it."
        for i, count in usage.items()
    )


def _usage_rows(usage: dict[str, LabelUsage], names: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"id": i, "name": names[i], "shapes": count.shapes, "documents": count.documents}
        for i, count in usage.items()
    ]


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


@dataclass
class UploadReport:
    """What an upload did: its items (new and already present), how many of them are new, and
    each refused file with its reason."""

    items: list[Item]
    created: int
    duplicates: int
    refused: list[Refusal]


def items_create(
    *,
    project: Project,
    images: list[ValidatedImage],
    role: str = ItemRole.TASK,
    split: str = "",
) -> list[tuple[Item, bool]]:
    """Store the images and place them in the project; an image already there is reused.

    Each item comes with whether it is new. Every image is stored whole (object, then its row)
    or, if the transaction rolls back, leaves at most an object its next upload reuses."""
    placed: list[tuple[Item, bool]] = []
    try:
        with transaction.atomic():
            for image in images:
                asset = asset_store(image=image)
                try:
                    with transaction.atomic():
                        item, created = Item.objects.get_or_create(
                            project=project,
                            asset=asset,
                            defaults={"name": image.name[:255], "split": split},
                        )
                except IntegrityError:
                    item, created = Item.objects.get(project=project, asset=asset), False
                placed.append((item, created))
                asset_id = asset.pk
                transaction.on_commit(partial(asset_thumbnail.delay, asset_id))
            if role != ItemRole.TASK:
                item_roles().designate(items=[item for item, _ in placed], role=role)
    finally:
        for image in images:
            image.spooled.close()
    return placed


def items_upload_report(
    *,
    project: Project,
    files: Iterable[tuple[str, BinaryIO]],
    archive: BinaryIO | None = None,
    role: str = ItemRole.TASK,
    split: str = "",
) -> UploadReport:
    """Store every good file (and every good image of a zip) and refuse each bad one with its
    reason. Invalid when nothing could be stored: every file was refused."""
    judged = _judge_uploads(files, archive)
    if not judged.images:
        error = Invalid({"file": [refusal.message for refusal in judged.refused]})
        error.extra["refused"] = [asdict(refusal) for refusal in judged.refused]
        raise error
    placed = items_create(project=project, images=judged.images, role=role, split=split)
    items = list({item.pk: item for item, _ in placed}.values())
    created = sum(1 for _, new in placed if new)
    return UploadReport(
        items=items, created=created, duplicates=len(placed) - created, refused=judged.refused
    )


def items_upload(
    *,
    project: Project,
    files: Iterable[tuple[str, BinaryIO]],
    archive: BinaryIO | None = None,
    role: str = ItemRole.TASK,
    split: str = "",
) -> list[Item]:
    """All or nothing, for scripts and imports: one bad file refuses the lot, storing none."""
    judged = _judge_uploads(files, archive)
    if judged.refused:
        judged.close()
        raise Invalid({"file": [refusal.message for refusal in judged.refused]})
    placed = items_create(project=project, images=judged.images, role=role, split=split)
    return [item for item, _ in placed]


def _judge_uploads(files: Iterable[tuple[str, BinaryIO]], archive: BinaryIO | None) -> Judged:
    files = list(files)
    if not files and archive is None:
        raise Invalid("Send one or more images as `file`, or a zip as `archive`.", field="file")
    # Lazily: each zip entry must be read while zip_members still holds it open.
    return validate_uploads(chain(files, zip_members(archive) if archive is not None else []))
