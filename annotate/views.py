"""The labeling studio page: a JSON config for the ES modules; no inline script anywhere."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annotate.selectors import documents_visible_to
from common.errors import NotFound
from projects.access import item_for, project_for
from projects.models import Item, Project, Role


def _studio(
    request: HttpRequest, project: Project, role: str, item_id: int | None, **extra: Any
) -> HttpResponse:
    config = {
        "projectId": project.pk,
        "projectName": project.name,
        "itemId": item_id,
        "role": role,
        "username": request.user.get_username(),
        "labels": project.labels,
        "guidelines": project.guidelines,
        "apiRoot": "/api/v1/",
        # Another person's document opened read-only (or to review); the review queue.
        "documentId": None,
        "reviewQueue": False,
        "gold": False,
        **extra,
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
    """The caller's own document of the item, or with ?document=<id> a document the caller may
    see (their own; anyone's for the project's reviewers and managers, else 404), or with
    ?gold=1 the item's gold answer (managers only)."""
    if request.GET.get("gold"):
        # The item's gold answer, for its managers; others get the API's 404/403 whether or not
        # the item has one, so the page tells nobody which items are gold.
        item, role = item_for(request.user, item_id, needed=Role.MANAGER)
        return _studio(request, item.project, role, item.pk, gold=True)
    item, role = item_for(request.user, item_id, needed=Role.ANNOTATOR)
    document_id = _document_param(request, item)
    return _studio(request, item.project, role, item.pk, documentId=document_id)


@login_required
def review_page(request: HttpRequest, project_id: int) -> HttpResponse:
    """The studio walking the reviewer's queue: submitted documents, oldest first."""
    project, role = project_for(request.user, project_id, needed=Role.REVIEWER)
    return _studio(request, project, role, None, reviewQueue=True)


def _document_param(request: HttpRequest, item: Item) -> int | None:
    raw = request.GET.get("document", "")
    if not raw:
        return None
    visible = documents_visible_to(user=request.user).filter(item=item)
    if not raw.isdigit() or not visible.filter(pk=int(raw)).exists():
        raise NotFound("No such annotation.")
    return int(raw)
