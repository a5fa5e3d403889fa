"""Version tags: a name set on (or moved to) one version of a project, by a manager."""

import re

from django.contrib.auth.models import User
from django.db import transaction

from common.errors import Invalid, NotFound, PermissionDenied
from projects.models import Project, Role
from projects.selectors import project_role, role_at_least
from versioning.models import DatasetVersion, VersionTag

TAG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def _require_manager(*, user: User, project: Project) -> None:
    if not role_at_least(project_role(user=user, project_id=project.pk), Role.MANAGER):
        raise PermissionDenied("Snapshotting and tagging versions needs the manager role.")


@transaction.atomic
def version_tag_set(*, project: Project, user: User, name: str, version_id: str) -> VersionTag:
    """Create the tag or move it to another version of the same project."""
    _require_manager(user=user, project=project)
    if not TAG_NAME.match(name):
        raise Invalid({"name": ["Use letters, digits, '.', '_' or '-' (at most 100)."]})
    version = DatasetVersion.objects.filter(pk=version_id, project=project).first()
    if version is None:
        raise Invalid({"version": ["No such version in this project."]})
    tag, _ = VersionTag.objects.update_or_create(
        project=project, name=name, defaults={"version": version, "updated_by": user}
    )
    return tag


@transaction.atomic
def version_tag_delete(*, project: Project, user: User, name: str) -> None:
    _require_manager(user=user, project=project)
    deleted, _ = VersionTag.objects.filter(project=project, name=name).delete()
    if not deleted:
        raise NotFound("No such tag.")
