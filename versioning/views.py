"""Versioning pages: the diff of two versions. The page hands ids to an ES module, which reads
the diff from the API; access goes through the same checks as the API (reviewers and up)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from projects.models import Role
from versioning import selectors
from versioning.models import DatasetVersion


def _colors(*versions: DatasetVersion | None) -> dict[str, str]:
    """Class colours by name, the newer schema winning (a class removed since keeps its own)."""
    colors: dict[str, str] = {}
    for version in versions:
        for label in version.labels if version else []:
            colors[str(label.get("name"))] = str(label.get("color") or "#888888")
    return colors


@login_required
def diff_page(request: HttpRequest, version_id: str) -> HttpResponse:
    """/versions/<id>/diff/?against=<older id>; without `against`, against the parent."""
    new, _ = selectors.version_for(request.user, version_id, needed=Role.REVIEWER)
    against = request.GET.get("against", "") or (new.parent_id or "")
    old = None
    if against:
        old, _ = selectors.version_for(request.user, against, needed=Role.REVIEWER)
    same_project = old is None or old.project_id == new.project_id
    config = {
        "projectId": new.project_id,
        "versionId": new.pk,
        "againstId": old.pk if old and same_project else None,
        "colors": _colors(old, new),
    }
    context = {
        "project": new.project,
        "new": new,
        "old": old,
        "same_project": same_project,
        "page_config": config,
    }
    return render(request, "versioning/diff.html", context)
