"""Every write of the projects app."""

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import timedelta
from functools import partial
from itertools import chain
from typing import Any, BinaryIO, cast

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import User
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
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
from projects.models import ExamAttempt, Invite, Item, ItemRole, Membership, Project, Role
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
    """Pause an annotator (quality decides when); True if this call paused them.

    A pause sends them back to the course: their qualification is withdrawn, so once a manager
    lets them work again (member_set) the queue first hands them the qualification exam."""
    return bool(
        Membership.objects.filter(project_id=project_id, user_id=user_id, paused_at=None).update(
            paused_at=timezone.now(), paused_reason=reason, qualified_at=None, exam_retry_at=None
        )
    )


def member_training_complete(*, project_id: int, user_id: int) -> bool:
    """Record that the member went through every training item; True if this call did."""
    return bool(
        Membership.objects.filter(
            project_id=project_id, user_id=user_id, training_completed_at=None
        ).update(training_completed_at=timezone.now())
    )


def exam_attempt_start(*, project: Project, user: User, item_ids: list[int]) -> ExamAttempt:
    """Open an exam attempt over `item_ids`; a Conflict if one is open already (the partial
    unique constraint decides under races)."""
    try:
        with transaction.atomic():
            return ExamAttempt.objects.create(project=project, user=user, item_ids=item_ids)
    except IntegrityError:
        raise Conflict("Your qualification exam has already started.") from None


@transaction.atomic
def exam_attempt_finish(*, attempt_id: int, accuracy: float, passed: bool) -> bool:
    """Close an attempt with its verdict (quality computes it), exactly once: a pass qualifies
    the member, a failure sets when they may try again. True if this call closed it."""
    now = timezone.now()
    closed = ExamAttempt.objects.filter(pk=attempt_id, finished_at=None).update(
        finished_at=now, accuracy=accuracy, passed=passed
    )
    if not closed:
        return False
    attempt = ExamAttempt.objects.select_related("project").get(pk=attempt_id)
    membership = Membership.objects.filter(project_id=attempt.project_id, user_id=attempt.user_id)
    if passed:
        membership.update(qualified_at=now, exam_retry_at=None)
    else:
        retry = now + timedelta(minutes=attempt.project.exam_retry_minutes)
        membership.update(qualified_at=None, exam_retry_at=retry)
    return True


@transaction.atomic
def qualification_reset(*, project: Project) -> int:
    """Every member must pass the exam again (e.g. after the guidelines changed): qualification
    and retry waits are cleared and open attempts closed unscored. Answers how many members
    lost their qualification."""
    ExamAttempt.objects.filter(project=project, finished_at=None).update(finished_at=timezone.now())
    project.memberships.filter(exam_retry_at__isnull=False).update(exam_retry_at=None)
    return project.memberships.filter(qualified_at__isnull=False).update(qualified_at=None)


def _check_new_account(username: str, password: str | None = None) -> None:
    errors: dict[str, list[str]] = {}
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        errors["username"] = list(exc.messages)
    if not username or len(username) > 150:
        errors["username"] = ["Give a username of 1 to 150 characters."]
    elif get_user_model().objects.filter(username__iexact=username).exists():
        errors["username"] = [f"The username {username!r} is taken."]
    if password is not None:
        try:
            password_validation.validate_password(password, get_user_model()(username=username))
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise Invalid(errors)


def _account_create(*, project: Project, username: str, password: str, role: str) -> Membership:
    _check_new_account(username, password)
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(username=username, password=password)
    except IntegrityError:
        raise Invalid({"username": [f"The username {username!r} is taken."]}) from None
    return Membership.objects.create(project=project, user=user, role=role)


@transaction.atomic
def annotator_account_create(*, project: Project, username: str) -> tuple[Membership, str]:
    """A new account that is an annotator of the project, with a generated password (the
    caller shows it once: only its hash is stored)."""
    password = secrets.token_urlsafe(12)
    return _account_create(
        project=project, username=username, password=password, role=Role.ANNOTATOR
    ), password


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_create(*, project: Project, by: User, days: int = 7) -> tuple[Invite, str]:
    """A one-time invite link token (returned once; only its hash is stored)."""
    if not 1 <= days <= 90:
        raise Invalid({"days": ["An invite lasts 1 to 90 days."]})
    token = secrets.token_urlsafe(24)
    invite = Invite.objects.create(
        project=project,
        token_hash=_token_hash(token),
        created_by=by,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return invite, token


def invite_usable(*, token: str) -> Invite | None:
    """The invite a token names if it is unused and unexpired, else None."""
    return (
        Invite.objects.select_related("project")
        .filter(token_hash=_token_hash(token), used_at=None, expires_at__gt=timezone.now())
        .first()
    )


@transaction.atomic
def invite_accept(*, token: str, username: str, password: str) -> Membership:
    """Create the account and join the invite's project, once: the invite is spent by a
    conditional UPDATE, so two people racing on one link cannot both join."""
    invite = invite_usable(token=token)
    if invite is None:
        raise Invalid({"token": ["This invite link is invalid, expired or already used."]})
    membership = _account_create(
        project=invite.project, username=username, password=password, role=invite.role
    )
    spent = Invite.objects.filter(pk=invite.pk, used_at=None).update(
        used_at=timezone.now(), used_by=membership.user
    )
    if not spent:
        raise Invalid({"token": ["This invite link is invalid, expired or already used."]})
    return membership


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
