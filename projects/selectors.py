"""Reads filtered by what the user may see. Non-members get nothing (404, never a hint)."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, QuerySet

from projects.models import Item, ItemRole, Membership, Project, Role

ROLE_RANK = {Role.ANNOTATOR: 1, Role.REVIEWER: 2, Role.MANAGER: 3}
AnyUser = AbstractBaseUser | AnonymousUser


def project_role(*, user: AnyUser, project_id: int) -> str | None:
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.MANAGER
    return (
        Membership.objects.filter(project_id=project_id, user=user)
        .values_list("role", flat=True)
        .first()
    )


def role_at_least(role: str | None, needed: str) -> bool:
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role(needed)]


def projects_visible_to(*, user: AnyUser) -> QuerySet[Project]:
    projects = Project.objects.all()
    if not user.is_superuser:
        projects = projects.filter(memberships__user=user)
    return projects.annotate(item_count=Count("items", distinct=True)).order_by("-id")


def items_visible_to(*, user: AnyUser, project_id: int | None = None) -> QuerySet[Item]:
    """Managers and reviewers see every item; annotators only task items of their projects."""
    items = Item.objects.select_related("asset", "project")
    if project_id is not None:
        items = items.filter(project_id=project_id)
    if user.is_superuser:
        return items
    staff_projects = Membership.objects.filter(
        user=user, role__in=[Role.MANAGER, Role.REVIEWER]
    ).values("project_id")
    annotator_projects = Membership.objects.filter(user=user, role=Role.ANNOTATOR).values(
        "project_id"
    )
    return items.filter(project_id__in=staff_projects) | items.filter(
        project_id__in=annotator_projects, role=ItemRole.TASK
    )


def project_members(*, project: Project) -> QuerySet[Membership]:
    return project.memberships.select_related("user").order_by("role", "user__username")
