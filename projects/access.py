"""Object-level access, the one module every API view and page uses: NotFound for what the
caller may not know exists, PermissionDenied for what they may see but not do. Each check is one
query: the object with the caller's role beside it."""

from common.errors import NotFound, PermissionDenied
from projects.models import Item, Project
from projects.selectors import AnyUser, item_with_role, project_with_role, role_at_least


def require_role(role: str | None, needed: str) -> None:
    if not role_at_least(role, needed):
        raise PermissionDenied(f"This needs the {needed} role in the project (you are {role}).")


def project_for(user: AnyUser, project_id: int, *, needed: str) -> tuple[Project, str]:
    project, role = project_with_role(user=user, project_id=project_id)
    if project is None or role is None:
        raise NotFound("No such project.")
    require_role(role, needed)
    return project, role


def item_for(user: AnyUser, item_id: int, *, needed: str) -> tuple[Item, str]:
    item, role = item_with_role(user=user, item_id=item_id)
    return item_allowed(item, role, needed=needed)


def item_allowed(item: Item | None, role: str | None, *, needed: str) -> tuple[Item, str]:
    """item_for's answer for an item and role already read (annotate's saves read them in the
    same query as the caller's document)."""
    if item is None or role is None:
        raise NotFound("No such item.")
    require_role(role, needed)
    return item, role


def require_project_creator(user: AnyUser) -> None:
    if not user.has_perm("projects.add_project"):
        raise PermissionDenied("Your account may not create projects; ask an administrator.")
