"""The query page of a version: SQL over its tables with the results as a table and a chart.
The page hands the version id and its tables to an ES module that posts to the SQL endpoint;
access goes through the same check as the API (reviewers and managers)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pipelines import selectors
from projects.models import Role
from versioning.selectors import version_for

EXAMPLE = "SELECT split, count(*) AS items\nFROM items\nGROUP BY split\nORDER BY items DESC"


@login_required
def query_page(request: HttpRequest, version_id: str) -> HttpResponse:
    version, _ = version_for(request.user, version_id, needed=Role.REVIEWER)
    schema = selectors.version_schema(version=version)
    config = {
        "versionId": version.pk,
        "maxRows": selectors.SQL_MAX_ROWS,
        "timeoutSeconds": selectors.SQL_TIMEOUT_S,
        "tables": {name: [list(column) for column in columns] for name, columns in schema.items()},
    }
    context = {
        "project": version.project,
        "version": version,
        "tables": list(schema.items()),  # a table may be named `items`: no dict in templates
        "example": EXAMPLE,
        "page_config": config,
    }
    return render(request, "pipelines/query.html", context)
