"""The labeling studio page: a JSON config for the ES modules; no inline script anywhere."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from projects.access import item_for, project_for
from projects.models import Project, Role


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
    project, role = project_for(request.user, project_id, needed=Role.ANNOTATOR)
    return _studio(request, project, role, None)


@login_required
def label_item_page(request: HttpRequest, item_id: int) -> HttpResponse:
    item, role = item_for(request.user, item_id, needed=Role.ANNOTATOR)
    return _studio(request, item.project, role, item.pk)
