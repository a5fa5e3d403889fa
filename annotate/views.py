"""The labeling studio page: a JSON config for the ES modules; no inline script anywhere."""

import functools
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annotate.selectors import documents_visible_to
from common.errors import NotFound
from projects.access import item_for, project_for
from projects.models import Item, Project, Role

# `import … from './x.js'` and `export … from './x.js'`: the studio's static imports.
_STATIC_IMPORT = re.compile(
    r"""(?:^|[;\s])(?:import|export)\s[^;'"]*?from\s*['"](\.[^'"]+)['"]""", re.M
)


@functools.cache
def studio_modules() -> tuple[str, ...]:
    """The static paths of every module the studio's main.js imports, directly or not. The page
    names them all up front (modulepreload), so the browser asks for them at once instead of one
    import level at a time: five round trips deep, and each a revalidation once the static
    files' minute of caching is over."""
    root = Path(settings.BASE_DIR) / "frontend"
    found: dict[Path, None] = {}
    pending = [root / "studio" / "main.js"]
    while pending:
        module = pending.pop()
        if module in found or not module.is_file():
            continue
        found[module] = None
        for target in _STATIC_IMPORT.findall(module.read_text(encoding="utf-8")):
            pending.append((module.parent / target).resolve())
    # JSON modules are left to their import: a modulepreload is fetched as a script.
    scripts = (path for path in found if path.suffix == ".js")
    return tuple(sorted(f"loupe/{path.relative_to(root).as_posix()}" for path in scripts))


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
    context = {
        "project": project,
        "role": role,
        "page_config": config,
        "studio_modules": studio_modules(),
    }
    return render(request, "annotate/label.html", context)


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
