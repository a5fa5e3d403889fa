"""The page shell: login, logout, the project list, health and the latency floor."""

from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.review import own_submissions, projects_progress
from common import ratelimit
from projects.models import Role
from projects.selectors import projects_visible_to


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
        # Read by the template.
        project.my_role = (  # type: ignore[attr-defined]
            Role.MANAGER if request.user.is_superuser else roles.get(project.pk)
        )
    # Done / total for reviewers and managers; an annotator sees their own submissions only
    # (a total of task items would tell how many items are gold).
    staff = [p.pk for p in projects if p.my_role in (Role.MANAGER, Role.REVIEWER)]  # type: ignore[attr-defined]
    progress = projects_progress(project_ids=staff)
    mine = own_submissions(user=request.user, project_ids=[p.pk for p in projects])
    for project in projects:
        project.progress = progress.get(project.pk)  # type: ignore[attr-defined]
        project.my_submitted = mine.get(project.pk, 0)  # type: ignore[attr-defined]
    return render(
        request,
        "loupe/home.html",
        {"projects": projects, "can_create": request.user.has_perm("projects.add_project")},
    )
