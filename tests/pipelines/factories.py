"""Builders for pipeline-run tests; they call the real services."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from pipelines.models import PipelineRun
from pipelines.services import pipeline_run_request
from projects.models import Project
from tests.annotate.factories import box, tag
from tests.projects.factories import items_add, user_create
from tests.versioning.factories import document_accepted, version_made
from versioning.jobs import job_execute
from versioning.models import DatasetVersion, Job


def labelled_version(
    project: Project, manager: Any, annotator: Any, reviewer: Any, count: int = 3
) -> tuple[list[Any], DatasetVersion]:
    """`count` items with distinct images, each accepted with a box and a tag, snapshotted."""
    items = items_add(project, count)
    for item in items:
        document_accepted(item, annotator, reviewer, [box("car", (1, 2, 20, 20)), tag("night")])
    return items, version_made(project, manager)


def relabelled_version(
    project: Project, manager: Any, reviewer: Any, item: Any, shapes: list[dict[str, Any]]
) -> DatasetVersion:
    """Another annotator's accepted document replaces the item's labels; a new snapshot."""
    carl = user_create()
    project.memberships.create(user=carl, role="annotator")
    document_accepted(item, carl, reviewer, shapes)
    return version_made(project, manager)


def pipeline_job(version: DatasetVersion, user: AbstractBaseUser, pipeline: str = "default") -> Job:
    """A run's job, run to completion in-process (no on_commit in a test transaction)."""
    job = pipeline_run_request(version=version, pipeline=pipeline, user=user)
    job_execute(job_id=job.pk)
    job.refresh_from_db()
    return job


def run_of(job: Job) -> PipelineRun:
    return PipelineRun.objects.get(job=job)
