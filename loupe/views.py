"""Server-rendered pages. They hand a JSON config to ES modules; no inline script anywhere."""

from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from loupe import ratelimit
from projects.models import Project, Role
from projects.selectors import item_with_role, project_with_role, projects_visible_to, role_at_least


class LoginView(auth_views.LoginView):
    template_name = "loupe/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        wait = ratelimit.login_attempt(request, request.POST.get("username", ""))
        if wait is not None:
            response = render(
                request,
                self.template_name,
                {"form": self.get_form(), "throttled": True, "retry_after": wait},
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


class PingApi(APIView):
    """The cheapest authenticated endpoint: the floor that latency benchmarks compare against."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response({"user": request.user.get_username()})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    projects = list(projects_visible_to(user=request.user))
    roles = dict(request.user.memberships.values_list("project_id", "role"))
    for project in projects:
        project.my_role = Role.MANAGER if request.user.is_superuser else roles.get(project.pk)
    return render(
        request,
        "loupe/home.html",
        {"projects": projects, "can_create": request.user.has_perm("projects.add_project")},
    )


def _project_or_404(request: HttpRequest, project_id: int, needed: str) -> tuple[Project, str]:
    project, role = project_with_role(user=request.user, project_id=project_id)
    if project is None or role is None:
        raise Http404("No such project.")
    if not role_at_least(role, needed):
        raise PermissionDenied
    return project, role  # type: ignore[return-value]


@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("projects.add_project"):
        raise PermissionDenied
    return render(request, "projects/project_new.html", {"page_config": {}})


@login_required
def project_page(request: HttpRequest, project_id: int) -> HttpResponse:
    project, role = _project_or_404(request, project_id, Role.ANNOTATOR)
    config = {"projectId": project.pk, "role": role, "username": request.user.get_username()}
    return render(
        request,
        "projects/project.html",
        {"project": project, "role": role, "page_config": config},
    )


def _studio(request: HttpRequest, project: Project, role: str, item_id: int | None) -> HttpResponse:
    config = {
        "projectId": project.pk,
        "projectName": project.name,
        "itemId": item_id,
        "role": role,
        "username": request.user.get_username(),
        "labels": project.labels,
        "guidelines": project.guidelines,
        "apiRoot": "/api/v1/",
    }
    return render(
        request, "annotate/label.html", {"project": project, "role": role, "page_config": config}
    )


@login_required
def label_page(request: HttpRequest, project_id: int) -> HttpResponse:
    project, role = _project_or_404(request, project_id, Role.ANNOTATOR)
    return _studio(request, project, role, None)


@login_required
def label_item_page(request: HttpRequest, item_id: int) -> HttpResponse:
    item, role = item_with_role(user=request.user, item_id=item_id)
    if item is None or role is None:
        raise Http404("No such item.")
    return _studio(request, item.project, role, item.pk)
