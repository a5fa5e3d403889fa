"""Object-level access for API views: 404 for what the caller may not know exists, 403 for what
they may see but not do."""

from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request

from projects.models import Item, Project
from projects.selectors import items_visible_to, project_role, role_at_least


def project_for(request: Request, project_id: int, *, needed: str) -> tuple[Project, str]:
    role = project_role(user=request.user, project_id=project_id)
    project = Project.objects.filter(pk=project_id).first() if role else None
    if project is None:
        raise NotFound("No such project.")
    if not role_at_least(role, needed):
        raise PermissionDenied(f"This needs the {needed} role in the project (you are {role}).")
    return project, role  # type: ignore[return-value]


def item_for(request: Request, item_id: int, *, needed: str) -> tuple[Item, str]:
    item = items_visible_to(user=request.user).filter(pk=item_id).first()
    if item is None:
        raise NotFound("No such item.")
    role = project_role(user=request.user, project_id=item.project_id)
    if not role_at_least(role, needed):
        raise PermissionDenied(f"This needs the {needed} role in the project (you are {role}).")
    return item, role  # type: ignore[return-value]
