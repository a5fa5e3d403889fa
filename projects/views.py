"""Project pages. They hand a JSON config to ES modules; no inline script anywhere."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from projects.access import project_for, require_project_creator
from projects.models import Role


@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    require_project_creator(request.user)
    return render(request, "projects/project_new.html", {"page_config": {}})


@login_required
def project_page(request: HttpRequest, project_id: int) -> HttpResponse:
    project, role = project_for(request.user, project_id, needed=Role.ANNOTATOR)
    config = {"projectId": project.pk, "role": role, "username": request.user.get_username()}
    return render(
        request,
        "projects/project.html",
        {"project": project, "role": role, "page_config": config},
    )
