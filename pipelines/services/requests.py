"""Run requests and the nightly schedule."""

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q

from common.errors import Invalid, PermissionDenied
from formats.canonical import content_hash
from pipelines.builtin import PIPELINES
from pipelines.dag import Dag, build_dag
from pipelines.models import PipelineRun, RunStatus
from projects.models import Project, Role
from projects.selectors import project_role, role_at_least
from versioning.jobs import job_create
from versioning.models import DatasetVersion, Job, JobKind


def pipeline_dag(pipeline: str) -> Dag:
    if pipeline not in PIPELINES:
        raise Invalid({"pipeline": [f"Unknown pipeline {pipeline!r}."]})
    return build_dag(PIPELINES[pipeline])


def dag_fingerprint(dag: Dag) -> str:
    return content_hash([[s.name, s.version, s.fingerprint, s.config] for s in dag.steps])


@transaction.atomic
def pipeline_run_request(*, version: DatasetVersion, pipeline: str, user: User) -> Job:
    if not role_at_least(project_role(user=user, project_id=version.project_id), Role.MANAGER):
        raise PermissionDenied("Running pipelines needs the manager role.")
    return _run_create(version=version, pipeline=pipeline, user=user).job


def _run_create(*, version: DatasetVersion, pipeline: str, user: User | None) -> PipelineRun:
    dag = pipeline_dag(pipeline)
    job = job_create(
        kind=JobKind.PIPELINE,
        project=version.project,
        user=user,
        params={"version": version.pk, "pipeline": pipeline},
    )
    run = PipelineRun.objects.create(
        job=job, version=version, pipeline=pipeline, fingerprint=dag_fingerprint(dag)
    )
    job.params = {**job.params, "run": run.pk}
    job.save(update_fields=["params"])
    return run


def pipelines_nightly(*, pipeline: str = "default") -> list[int]:
    """Run `pipeline` on each project's latest version, unless the same code already ran on it
    without failures (or is running): the run ids started."""
    fingerprint = dag_fingerprint(pipeline_dag(pipeline))
    started = []
    for project in Project.objects.order_by("pk"):
        version = DatasetVersion.objects.filter(project=project).order_by("-created_at").first()
        if version is None:
            continue
        done = Q(status=RunStatus.RUNNING) | Q(status=RunStatus.SUCCEEDED, failed=0)
        runs = PipelineRun.objects.filter(version=version, pipeline=pipeline)
        if runs.filter(done, fingerprint=fingerprint).exists():
            continue
        with transaction.atomic():
            started.append(_run_create(version=version, pipeline=pipeline, user=None).pk)
    return started
