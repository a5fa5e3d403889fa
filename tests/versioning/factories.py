"""Builders for versioning tests; they call the real services."""

import json
import time
from dataclasses import dataclass
from typing import Any, BinaryIO

import pytest
from django.contrib.auth.models import AbstractBaseUser

import formats
from annotate.models import AnnotationDocument
from annotate.services import annotation_review
from projects.models import Item, Project
from tests.annotate.factories import box, document_submitted
from versioning.jobs import job_execute
from versioning.models import DatasetVersion, Job, JobStatus
from versioning.services import version_snapshot_request


def document_accepted(
    item: Item,
    annotator: AbstractBaseUser,
    reviewer: AbstractBaseUser,
    shapes: list[dict[str, Any]] | None = None,
) -> AnnotationDocument:
    document = document_submitted(item, annotator, [box()] if shapes is None else shapes)
    return annotation_review(reviewer=reviewer, document=document, decision="accept", comment="")


def snapshot_job(
    project: Project,
    user: AbstractBaseUser,
    *,
    source: str = "accepted",
    filters: dict[str, Any] | None = None,
    message: str = "",
) -> Job:
    """A snapshot job, run (eager Celery runs it on commit; the factory's caller has none)."""
    job = version_snapshot_request(
        project=project, user=user, message=message, source=source, filters=filters or {}
    )
    job_execute(job_id=job.pk)  # a no-op when on_commit already ran it
    job.refresh_from_db()
    # Where a real worker runs jobs (job_worker in CI), it may hold the job's lease, and the
    # call above is then a no-op: wait for that worker to finish it.
    deadline = time.monotonic() + 60
    while job.status not in (JobStatus.SUCCEEDED, JobStatus.FAILED) and time.monotonic() < deadline:
        time.sleep(0.05)
        job.refresh_from_db()
    return job


def version_made(project: Project, user: AbstractBaseUser, **kwargs: Any) -> DatasetVersion:
    job = snapshot_job(project, user, **kwargs)
    assert job.status == "succeeded", job.error
    return DatasetVersion.objects.get(pk=job.result["version"])


@dataclass(frozen=True)
class TinyExporter:
    """The formats.EXPORTERS contract, with the smallest codec: one JSON line per item."""

    write: Any
    extension: str
    media_type: str


def write_lines(out: BinaryIO, *, labels: list[dict], items: Any) -> None:
    out.write(json.dumps([label["name"] for label in labels]).encode() + b"\n")
    for entry in items():
        record = entry.item
        line = [record.item_id, record.file_name, record.width, record.split]
        line.append([(shape["label"], shape["points"]) for shape in entry.shapes])
        out.write(json.dumps(line).encode() + b"\n")


def tiny_codec_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Export tests use this codec alone, whatever codecs formats/ holds."""
    tiny = TinyExporter(write=write_lines, extension="txt", media_type="text/plain")
    monkeypatch.setattr(formats, "EXPORTERS", {"lines": tiny}, raising=False)
