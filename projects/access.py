"""Object-level access for API views: 404 for what the caller may not know exists, 403 for what
they may see but not do. Each check is one query: the object with the caller's role beside it."""

from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request

from projects.models import Item, Project
from projects.selectors import item_with_role, project_with_role, role_at_least


def _require(role: str, needed: str) -> None:
    if not role_at_least(role, needed):
        raise PermissionDenied(f"This needs the {needed} role in the project (you are {role}).")


def project_for(request: Request, project_id: int, *, needed: str) -> tuple[Project, str]:
    project, role = project_with_role(user=request.user, project_id=project_id)
    if project is None or role is None:
        raise NotFound("No such project.")
    _require(role, needed)
    return project, role


def item_for(request: Request, item_id: int, *, needed: str) -> tuple[Item, str]:
    item, role = item_with_role(user=request.user, item_id=item_id)
    if item is None or role is None:
        raise NotFound("No such item.")
    _require(role, needed)
    return item, role
