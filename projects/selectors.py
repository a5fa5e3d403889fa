"""Reads filtered by what the user may see. Non-members get nothing (404, never a hint)."""

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, OuterRef, QuerySet, Subquery

from common.prepared import PreparedQuery
from projects.models import Item, Membership, Project, Role

ROLE_RANK = {Role.ANNOTATOR: 1, Role.REVIEWER: 2, Role.MANAGER: 3}
AnyUser = User | AnonymousUser


def project_role(*, user: AnyUser, project_id: int) -> str | None:
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.MANAGER
    return (
        Membership.objects.filter(project_id=project_id, user_id=_user_id(user))
        .values_list("role", flat=True)
        .first()
    )


def _user_id(user: AnyUser) -> int:
    # An anonymous user has no pk; 0 matches no row.
    return int(user.pk or 0)


def _role_subquery(user: AnyUser, project_ref: str) -> Subquery:
    return Subquery(
        Membership.objects.filter(project_id=OuterRef(project_ref), user_id=_user_id(user)).values(
            "role"
        )[:1]
    )


def project_with_role(*, user: AnyUser, project_id: int) -> tuple[Project | None, str | None]:
    """The project and the caller's role in it, in one query; (None, None) for non-members."""
    if not user.is_authenticated:
        return None, None
    projects = Project.objects.filter(pk=project_id)
    if user.is_superuser:
        project = projects.first()
        return project, Role.MANAGER if project else None
    project = projects.annotate(my_role=_role_subquery(user, "pk")).first()
    if project is None or project.my_role is None:
        return None, None
    return project, project.my_role


# Every save asks this: compiled once (common.prepared), it costs a query's execution only.
_ITEM_WITH_ROLE: PreparedQuery[Item] = PreparedQuery(
    lambda item_id, user_id: (
        Item.objects.select_related("asset", "project")
        .filter(pk=item_id)
        .annotate(
            my_role=Subquery(
                Membership.objects.filter(
                    project_id=OuterRef("project_id"), user_id=user_id
                ).values("role")[:1]
            )
        )
    ),
    arity=2,
)


def item_with_role(*, user: AnyUser, item_id: int) -> tuple[Item | None, str | None]:
    """The item and the caller's role, in one query; (None, None) when they may not see it.

    Every member sees every item of the project alike: hidden gold is served through the same
    URLs as real work, so whether an item is gold must not change any answer (DESIGN.md).
    """
    if not user.is_authenticated:
        return None, None
    items = Item.objects.select_related("asset", "project").filter(pk=item_id)
    if user.is_superuser:
        item = items.first()
        return item, Role.MANAGER if item else None
    item = _ITEM_WITH_ROLE.first(int(item_id), _user_id(user))
    role = getattr(item, "my_role", None)
    if item is None or role is None:
        return None, None
    return item, role


def role_at_least(role: str | None, needed: str) -> bool:
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role(needed)]


def projects_visible_to(*, user: AnyUser) -> QuerySet[Project]:
    projects = Project.objects.all()
    if not user.is_superuser:
        projects = projects.filter(memberships__user_id=_user_id(user))
    return projects.annotate(item_count=Count("items", distinct=True)).order_by("-id")


def items_visible_to(*, user: AnyUser, project_id: int | None = None) -> QuerySet[Item]:
    """Every item of the caller's projects, whatever their role: gold and training items are
    listed like any other (the same rows, fields and order), their role shown to managers only."""
    items = Item.objects.select_related("asset", "project")
    if project_id is not None:
        items = items.filter(project_id=project_id)
    if user.is_superuser:
        return items
    return items.filter(
        project_id__in=Membership.objects.filter(user_id=_user_id(user)).values("project_id")
    )


def project_members(*, project: Project) -> QuerySet[Membership]:
    return project.memberships.select_related("user").order_by("role", "user__username")
