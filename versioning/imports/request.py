"""An import request: checked, its file stored (content-addressed), its job queued."""

import hashlib
import posixpath
from typing import IO, Any

from django.contrib.auth.models import User
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction

from common.errors import Invalid, PermissionDenied
from projects.models import Membership, Project, Role
from projects.selectors import project_role, role_at_least
from versioning.jobs import job_create
from versioning.models import Job, JobKind

FORMATS = ("coco", "voc", "yolo", "jsonl")
TARGETS = ("predictions", "annotations", "gold")
DEFAULT_SOURCE = "model"


@transaction.atomic
def import_request(
    *,
    project: Project,
    user: User,
    format: str,
    target: str,
    upload: IO[bytes],
    file_name: str,
    annotator: str | None = None,
    source: str | None = None,
) -> Job:
    """Check the request, store the file (content-addressed) and queue the import job."""
    if not role_at_least(project_role(user=user, project_id=project.pk), Role.MANAGER):
        raise PermissionDenied("Importing needs the manager role.")
    params = _params_clean(
        project=project, format=format, target=target, annotator=annotator, source=source
    )
    key, sha256 = upload_store(upload, file_name)
    params |= {"file_key": key, "file_name": posixpath.basename(file_name), "sha256": sha256}
    return job_create(kind=JobKind.IMPORT, project=project, user=user, params=params)


def _params_clean(
    *, project: Project, format: str, target: str, annotator: str | None, source: str | None
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if format not in FORMATS:
        errors["format"] = [f"Unknown format {format!r}; use one of: {', '.join(FORMATS)}."]
    if target not in TARGETS:
        errors["target"] = [f"Unknown target {target!r}; use one of: {', '.join(TARGETS)}."]
    params: dict[str, Any] = {"format": format, "target": target}
    if target == "annotations":
        member = Membership.objects.filter(project=project, user__username=annotator or "")
        user_id = member.values_list("user_id", flat=True).first()
        if user_id is None:
            errors["annotator"] = ["Name a member of the project whose documents these are."]
        params |= {"annotator": annotator, "annotator_id": user_id}
    elif annotator:
        errors["annotator"] = ["Only an import of annotations takes an annotator."]
    if target == "predictions":
        params["source"] = source or DEFAULT_SOURCE
        if len(params["source"]) > 100:
            errors["source"] = ["At most 100 characters."]
    elif source:
        errors["source"] = ["Only an import of predictions takes a source."]
    if errors:
        raise Invalid(errors)
    return params


def upload_store(upload: IO[bytes], file_name: str) -> tuple[str, str]:
    """Store the upload under its hash where any worker can read it; the same bytes once."""
    digest = hashlib.sha256()
    upload.seek(0)
    while chunk := upload.read(1024 * 1024):
        digest.update(chunk)
    sha256 = digest.hexdigest()
    extension = posixpath.splitext(posixpath.basename(file_name))[1].lower()[:10]
    key = f"imports/{sha256}{extension}"
    if not default_storage.exists(key):
        upload.seek(0)
        default_storage.save(key, File(upload, name=key))
    return key, sha256
