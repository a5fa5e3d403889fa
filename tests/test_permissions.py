"""Who may do what: every v1 endpoint against every kind of caller.

Roles: anonymous; outsider (manager of another project only); annotator, reviewer and manager
of the project. Outsiders get 404 for anything of a project they are not in (never a hint that it
exists); annotators get 403 for operations of a higher role on things they may see, and 404 for
other people's documents, which they may not see at all. Gold and training items answer an
annotator exactly as task items do (hidden gold is served as real work, DESIGN.md): the same
codes, the same fields; only their gold answer stays a manager's (403, as on a task item).
"""

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from annotate.models import ActivityEvent, AnnotationDocument, Assignment, ReviewComment, Revision
from annotate.services import annotation_submit
from pipelines.models import PipelineRun
from projects.models import ExamAttempt, Invite, Item, Membership, Project
from quality.models import GoldAnswer, GoldScore
from storage.models import Asset
from tests.annotate.factories import box, document_submitted
from tests.conftest import client_for
from tests.objects import asset_copies
from tests.projects.factories import item_from_bytes, project_with_members, user_create
from tests.quality.factories import gold_add
from tests.storage.factories import image_bytes, upload
from tests.versioning.factories import tiny_codec_install, version_made
from versioning.jobs import job_execute
from versioning.models import (
    DatasetVersion,
    ExportFile,
    Job,
    Prediction,
    VersionItem,
    VersionTag,
)

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "outsider", "annotator", "reviewer", "manager")


@dataclass
class World:
    project: Project
    other_project: Project
    users: dict[str, Any]
    task: Item
    free: Item
    gold: Item
    training: Item
    other_item: Item
    carl: Any
    document: AnnotationDocument
    version: DatasetVersion
    job: Job
    export_job: Job
    gold_document: AnnotationDocument
    pipeline_run: Any = None

    def ids(self) -> dict[str, int]:
        return {
            "project": self.project.pk,
            "task": self.task.pk,
            "gold": self.gold.pk,
            "training": self.training.pk,
            "carl": self.carl.pk,
            "document": self.document.pk,
            "version": self.version.pk,
            "job": self.job.pk,
            "export_job": self.export_job.pk,
            "run": self.pipeline_run.pk,
            "tag": "stable",
            "gold_document": self.gold_document.pk,
        }


@pytest.fixture
def world(manager, annotator, reviewer, outsider, monkeypatch) -> World:
    carl = user_create("carl_annotator")
    user_create("dave")
    project = project_with_members(
        manager=manager,
        bob_annotator="annotator",
        rita_reviewer="reviewer",
        carl_annotator="annotator",
    )
    other_project = project_with_members(manager=outsider)
    # Fixed bytes: every test reuses the same five objects (refused uploads use fresh bytes).
    task, free, gold, training, other_item = (
        item_from_bytes(target, image_bytes(color=(shade, 7, 7)), role=role)
        for target, shade, role in [
            (project, 1, "task"),
            (project, 2, "task"),
            (project, 3, "gold"),
            (project, 4, "training"),
            (other_project, 5, "task"),
        ]
    )
    gold_add(gold, manager)
    gold_add(training, manager)
    document = document_submitted(task, carl)
    version = version_made(project, manager)
    VersionTag.objects.create(project=project, name="stable", version=version)
    job = Job.objects.get(result__version=version.pk)
    tiny_codec_install(monkeypatch)
    export_job = Job.objects.create(
        kind="export", project=project, params={"version": version.pk, "format": "lines"}
    )
    job_execute(job_id=export_job.pk)
    gold_document = document_submitted(gold, carl)
    users = {"anonymous": None, "outsider": outsider, "annotator": annotator}
    users |= {"reviewer": reviewer, "manager": manager}
    # Members as a project in use has them: through the course and qualified, so real work is
    # theirs (the exam test below sends the annotator back to the start).
    Membership.objects.filter(project=project).update(
        training_completed_at=timezone.now(), qualified_at=timezone.now()
    )
    pipeline_job = Job.objects.create(kind="pipeline", project=project, params={})
    pipeline_run = PipelineRun.objects.create(job=pipeline_job, version=version, pipeline="default")
    world = World(
        project,
        other_project,
        users,
        task,
        free,
        gold,
        training,
        other_item,
        carl,
        document,
        version,
        job,
        export_job,
        gold_document,
    )
    world.pipeline_run = pipeline_run
    return world


def snapshot() -> dict[str, Any]:
    """Every row a refused request could have touched."""
    return {
        "projects": sorted(
            Project.objects.values_list(
                "pk", "name", "description", "guidelines", "overlap", "labels"
            )
        ),
        "projects-qc": sorted(
            Project.objects.values_list("pk", "qc_threshold", "qc_min_gold_items", "gold_rate")
        ),
        "members": sorted(
            Membership.objects.values_list(
                "project_id", "user_id", "role", "paused_at", "qualified_at", "exam_retry_at"
            )
        ),
        "users": User.objects.count(),
        "invites": Invite.objects.count(),
        "exam_attempts": sorted(ExamAttempt.objects.values_list("pk", "finished_at")),
        "items": sorted(Item.objects.values_list("pk", "project_id", "assigned_count")),
        "assets": Asset.objects.count(),
        "documents": sorted(
            AnnotationDocument.objects.values_list(
                "pk", "annotator_id", "version", "status", "shapes"
            )
        ),
        "revisions": Revision.objects.count(),
        "gold": sorted(GoldAnswer.objects.values_list("item_id", "purpose", "shapes")),
        "scores": GoldScore.objects.count(),
        "review_comments": ReviewComment.objects.count(),
        "assignments": sorted(Assignment.objects.values_list("item_id", "user_id", "state")),
        "events": ActivityEvent.objects.count(),
        "versions": sorted(DatasetVersion.objects.values_list("pk", "message")),
        "version_items": VersionItem.objects.count(),
        "version_tags": sorted(VersionTag.objects.values_list("project_id", "name", "version_id")),
        "jobs": sorted(Job.objects.values_list("pk", "status", "result")),
        "exports": sorted(ExportFile.objects.values_list("version_id", "format", "sha256")),
        "pipeline_runs": sorted(PipelineRun.objects.values_list("pk", "version_id", "status")),
        "predictions": sorted(Prediction.objects.values_list("item_id", "source", "shapes")),
    }


P = "/api/v1/projects/{project}"
# (method, path, body, expected codes for anonymous, outsider, annotator, reviewer, manager)
ENDPOINTS: dict[str, tuple[str, str, Any, tuple[int, int, int, int, int]]] = {
    "projects-list": ("get", "/api/v1/projects/", None, (401, 200, 200, 200, 200)),
    "project-create": (
        "post",
        "/api/v1/projects/",
        {"name": "New", "labels": [{"name": "cat"}]},
        (401, 201, 403, 403, 201),  # a global permission: the outsider and the manager hold it
    ),
    "project-detail": ("get", f"{P}/", None, (401, 404, 200, 200, 200)),
    "project-patch": ("patch", f"{P}/", {"name": "Renamed"}, (401, 404, 403, 403, 200)),
    "members-list": ("get", f"{P}/members/", None, (401, 404, 403, 200, 200)),
    "members-add": (
        "post",
        f"{P}/members/",
        {"username": "dave", "role": "annotator"},
        (401, 404, 403, 403, 201),
    ),
    "member-remove": ("delete", f"{P}/members/{{carl}}/", None, (401, 404, 403, 403, 204)),
    "items-list": ("get", f"{P}/items/", None, (401, 404, 200, 200, 200)),
    "items-upload": ("post", f"{P}/items/", "UPLOAD", (401, 404, 403, 403, 201)),
    "item-task": ("get", "/api/v1/items/{task}/", None, (401, 404, 200, 200, 200)),
    "item-gold": ("get", "/api/v1/items/{gold}/", None, (401, 404, 200, 200, 200)),
    "item-training": ("get", "/api/v1/items/{training}/", None, (401, 404, 200, 200, 200)),
    "image-task": ("get", "/api/v1/items/{task}/image/", None, (401, 404, 200, 200, 200)),
    "image-gold": ("get", "/api/v1/items/{gold}/image/", None, (401, 404, 200, 200, 200)),
    "image-training": ("get", "/api/v1/items/{training}/image/", None, (401, 404, 200, 200, 200)),
    "thumbnail-task": ("get", "/api/v1/items/{task}/thumbnail/", None, (401, 404, 200, 200, 200)),
    "thumbnail-gold": ("get", "/api/v1/items/{gold}/thumbnail/", None, (401, 404, 200, 200, 200)),
    "gold-get": ("get", "/api/v1/items/{gold}/gold/", None, (401, 404, 403, 403, 200)),
    "gold-get-task-item": ("get", "/api/v1/items/{task}/gold/", None, (401, 404, 403, 403, 404)),
    "gold-put": (
        "put",
        "/api/v1/items/{gold}/gold/",
        {"shapes": [box(points=[3, 3, 9, 9])]},
        (401, 404, 403, 403, 200),
    ),
    "gold-put-task-item": (
        "put",
        "/api/v1/items/{task}/gold/",
        {"shapes": [box(points=[3, 3, 9, 9])]},
        (401, 404, 403, 403, 200),
    ),
    "annotation-get": ("get", "/api/v1/items/{task}/annotation/", None, (401, 404, 200, 200, 200)),
    "annotation-get-gold": (
        "get",
        "/api/v1/items/{gold}/annotation/",
        None,
        (401, 404, 200, 200, 200),
    ),
    "annotation-put": (
        "put",
        "/api/v1/items/{task}/annotation/",
        {"shapes": [box()]},
        (401, 404, 201, 201, 201),
    ),
    "annotation-put-training": (
        "put",
        "/api/v1/items/{training}/annotation/",
        {"shapes": [box()]},
        (401, 404, 201, 201, 201),
    ),
    "annotation-submit": (
        "post",
        "/api/v1/items/{task}/annotation/submit/",
        None,
        (401, 404, 200, 200, 200),
    ),
    "skip": ("post", "/api/v1/items/{task}/skip/", None, (401, 404, 204, 204, 204)),
    "queue-next": ("post", f"{P}/queue/next/", None, (401, 404, 200, 200, 200)),
    "project-annotations": ("get", f"{P}/annotations/", None, (401, 404, 403, 200, 200)),
    "annotation-detail": (
        "get",
        "/api/v1/annotations/{document}/",
        None,
        (401, 404, 404, 200, 200),
    ),
    "annotation-revisions": (
        "get",
        "/api/v1/annotations/{document}/revisions/",
        None,
        (401, 404, 404, 200, 200),
    ),
    "annotation-review": (
        "post",
        "/api/v1/annotations/{document}/review/",
        {"decision": "accept"},
        (401, 404, 404, 200, 200),
    ),
    "annotation-comments": (
        "get",
        "/api/v1/annotations/{document}/comments/",
        None,
        (401, 404, 404, 200, 200),
    ),
    "review-next": ("post", f"{P}/review/next/", None, (401, 404, 403, 200, 200)),
    "project-progress": ("get", f"{P}/progress/", None, (401, 404, 403, 200, 200)),
    "versions-list": ("get", f"{P}/versions/", None, (401, 404, 403, 200, 200)),
    "versions-snapshot": ("post", f"{P}/versions/", {}, (401, 404, 403, 403, 202)),
    "version-detail": ("get", "/api/v1/versions/{version}/", None, (401, 404, 403, 200, 200)),
    "version-manifest": (
        "get",
        "/api/v1/versions/{version}/manifest/",
        None,
        (401, 404, 403, 200, 200),
    ),
    "version-items": ("get", "/api/v1/versions/{version}/items/", None, (401, 404, 403, 200, 200)),
    "version-index": ("get", "/api/v1/versions/{version}/index/", None, (401, 404, 403, 200, 200)),
    "version-diff": (
        "get",
        "/api/v1/versions/{version}/diff/?against={version}",
        None,
        (401, 404, 403, 200, 200),
    ),
    "version-tag-put": (
        "put",
        f"{P}/version-tags/{{tag}}/",
        {"version": "{version}"},
        (401, 404, 403, 403, 200),
    ),
    "version-tag-get": ("get", f"{P}/version-tags/{{tag}}/", None, (401, 404, 403, 200, 200)),
    "version-tag-delete": ("delete", f"{P}/version-tags/{{tag}}/", None, (401, 404, 403, 403, 204)),
    "version-export": (
        "post",
        "/api/v1/versions/{version}/exports/",
        {"format": "lines"},
        (401, 404, 403, 202, 202),
    ),
    "job-detail": ("get", "/api/v1/jobs/{job}/", None, (401, 404, 403, 200, 200)),
    "job-download": (
        "get",
        "/api/v1/jobs/{export_job}/download/",
        None,
        (401, 404, 403, 200, 200),
    ),
    # Feedback only for a training item the caller submitted; nobody here did: the same 404.
    "feedback-training": (
        "get",
        "/api/v1/items/{training}/feedback/",
        None,
        (401, 404, 404, 404, 404),
    ),
    "feedback-gold": ("get", "/api/v1/items/{gold}/feedback/", None, (401, 404, 404, 404, 404)),
    "feedback-task": ("get", "/api/v1/items/{task}/feedback/", None, (401, 404, 404, 404, 404)),
    "annotation-score": (
        "get",
        "/api/v1/annotations/{gold_document}/score/",
        None,
        (401, 404, 404, 403, 200),
    ),
    "annotation-score-no-gold": (
        "get",
        "/api/v1/annotations/{document}/score/",
        None,
        (401, 404, 404, 403, 404),
    ),
    "project-quality": ("get", f"{P}/quality/", None, (401, 404, 403, 403, 200)),
    "project-quality-dashboard": (
        "get",
        f"{P}/quality/dashboard/",
        None,
        (401, 404, 403, 403, 200),
    ),
    "version-pipelines-list": (
        "get",
        "/api/v1/versions/{version}/pipelines/",
        None,
        (401, 404, 403, 200, 200),
    ),
    "version-pipelines-run": (
        "post",
        "/api/v1/versions/{version}/pipelines/",
        {"pipeline": "default"},
        (401, 404, 403, 403, 202),
    ),
    "pipeline-run-detail": ("get", "/api/v1/pipeline-runs/{run}/", None, (401, 404, 403, 200, 200)),
    "version-features": (
        "get",
        "/api/v1/versions/{version}/features/?step=image_stats",
        None,
        (401, 404, 403, 200, 200),
    ),
    "version-sql": (
        "post",
        "/api/v1/versions/{version}/sql/",
        {"sql": "SELECT count(*) FROM items"},
        (401, 404, 403, 200, 200),
    ),
    "project-features": ("get", f"{P}/features/", None, (401, 404, 403, 403, 200)),
    "queue-priority": ("get", f"{P}/queue-priority/", None, (401, 404, 403, 403, 200)),
    "queue-priority-set": (
        "put",
        f"{P}/queue-priority/",
        {"feature": None},
        (401, 404, 403, 403, 200),
    ),
    "imports": ("post", f"{P}/imports/", "IMPORT", (401, 404, 403, 403, 202)),
    "predictions-task": (
        "get",
        "/api/v1/items/{task}/predictions/",
        None,
        (401, 404, 200, 200, 200),
    ),
    # A gold item answers an annotator exactly as a task item does (anything else gives gold
    # away); its predictions are a model's, never the gold answer.
    "predictions-gold": (
        "get",
        "/api/v1/items/{gold}/predictions/",
        None,
        (401, 404, 200, 200, 200),
    ),
    # Reads pixels the caller may see anyway; writes nothing. A gold item answers alike.
    "assist-task": (
        "post",
        "/api/v1/items/{task}/assist/",
        {"box": [4, 4, 40, 30], "output": "polygon"},
        (401, 404, 200, 200, 200),
    ),
    "assist-gold": (
        "post",
        "/api/v1/items/{gold}/assist/",
        {"box": [4, 4, 40, 30], "output": "mask"},
        (401, 404, 200, 200, 200),
    ),
    "ping": ("get", "/api/v1/ping/", None, (401, 200, 200, 200, 200)),
    # Training and qualification: the caller's own stage (no item ids); bob has not trained yet
    # and reviewers and managers are never examined, so nobody here can start an exam.
    "training-status": ("get", f"{P}/training/", None, (401, 404, 200, 200, 200)),
    "exam-start": ("post", f"{P}/training/exam/", None, (401, 404, 409, 409, 409)),
    "qualification-reset": (
        "post",
        f"{P}/qualification/reset/",
        None,
        (401, 404, 403, 403, 200),
    ),
    "member-records": ("get", f"{P}/member-records/", None, (401, 404, 403, 403, 200)),
    "accounts-create": (
        "post",
        f"{P}/accounts/",
        {"username": "newcomer"},
        (401, 404, 403, 403, 201),
    ),
    "invites-create": ("post", f"{P}/invites/", {"days": 3}, (401, 404, 403, 403, 201)),
}
CASES = [
    pytest.param(name, role, expected[index], id=f"{name}-{role}")
    for name, (_, _, _, expected) in ENDPOINTS.items()
    for index, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("endpoint", "role", "expected"), CASES)
def test_role_by_endpoint(world: World, endpoint: str, role: str, expected: int) -> None:
    # given a caller of this role and the endpoint's request
    method, path, body, _ = ENDPOINTS[endpoint]
    client = client_for(world.users[role])
    kwargs: dict[str, Any] = {"format": "json"}
    uploaded = b""
    if body == "UPLOAD":
        uploaded = image_bytes()
        body, kwargs = {"file": upload(uploaded)}, {"format": "multipart"}
    if body == "IMPORT":
        header = json.dumps({"format": "loupe-jsonl", "version": 1, "labels": []}).encode()
        gold_import = upload(header + b"\n", "gold.jsonl", "application/jsonl")
        body = {"file": gold_import, "format": "jsonl", "target": "gold"}
        kwargs = {"format": "multipart"}
    if isinstance(body, dict):  # placeholders in string values, e.g. {"version": "{version}"}
        body = {
            key: value.format(**world.ids()) if isinstance(value, str) else value
            for key, value in body.items()
        }
    if endpoint.startswith("annotation-put"):
        kwargs["HTTP_IF_MATCH"] = '"0"'
    before = snapshot()

    # when it is sent
    response = getattr(client, method)(path.format(**world.ids()), body, **kwargs)

    # then the status is exactly the expected one, and a refusal changed nothing
    assert response.status_code == expected, getattr(response, "content", b"")[:300]
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"
        assert response.json() == {"detail": "Authentication credentials were not provided."}
    if expected >= 400:
        assert snapshot() == before
        if uploaded:
            assert asset_copies(hashlib.sha256(uploaded).hexdigest()) == []


def test_the_matrix_covers_every_v1_route() -> None:
    from django.urls import get_resolver

    (v1,) = [p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/"]
    routes = {str(pattern.pattern) for pattern in v1.url_patterns} - {"auth/token/"}
    converters = {
        "{project}": "<int:project_id>",
        "{carl}": "<int:user_id>",
        "{document}": "<int:document_id>",
        "{gold_document}": "<int:document_id>",
        "{task}": "<int:item_id>",
        "{gold}": "<int:item_id>",
        "{training}": "<int:item_id>",
        "{version}": "<str:version_id>",
        "{job}": "<int:job_id>",
        "{export_job}": "<int:job_id>",
        "{tag}": "<str:name>",
        "{run}": "<int:run_id>",
    }
    covered = set()
    for _, path, _, _ in ENDPOINTS.values():
        path = path.partition("?")[0]
        for placeholder, converter in converters.items():
            path = path.replace(placeholder, converter)
        covered.add(path.removeprefix("/api/v1/"))

    assert routes == covered


def test_the_project_list_shows_only_the_callers_projects(world: World) -> None:
    outsider = client_for(world.users["outsider"]).get("/api/v1/projects/").json()
    annotator = client_for(world.users["annotator"]).get("/api/v1/projects/").json()

    assert (outsider["count"], annotator["count"]) == (1, 1)
    assert [(p["id"], p["my_role"]) for p in outsider["results"]] == [
        (world.other_project.pk, "manager")
    ]
    assert [(p["id"], p["my_role"], p["item_count"]) for p in annotator["results"]] == [
        (world.project.pk, "annotator", 4)
    ]


def test_an_annotator_lists_every_item_alike_with_no_role_and_no_role_filter(world: World) -> None:
    url = f"/api/v1/projects/{world.project.pk}/items/"
    everything = [world.task.pk, world.free.pk, world.gold.pk, world.training.pk]

    annotator = client_for(world.users["annotator"])
    reviewer = client_for(world.users["reviewer"])
    manager = client_for(world.users["manager"])

    listed = annotator.get(url).json()
    assert [item["id"] for item in listed["results"]] == everything
    assert {frozenset(item) for item in listed["results"]} == {
        frozenset(
            {"id", "project", "name", "split", "metadata", "asset", "image_url", "thumbnail_url"}
            | {"created_at"}
        )
    }
    # A filter that answered differently would tell gold apart: for annotators it is ignored.
    assert annotator.get(url, {"role": "gold"}).json() == listed
    assert annotator.get(url, {"role": "task"}).json() == listed
    assert [item["id"] for item in reviewer.get(url).json()["results"]] == everything
    assert "role" not in reviewer.get(url).json()["results"][0]
    assert [(item["id"], item["role"]) for item in manager.get(url).json()["results"]] == [
        (world.task.pk, "task"),
        (world.free.pk, "task"),
        (world.gold.pk, "gold"),
        (world.training.pk, "training"),
    ]
    assert [item["id"] for item in manager.get(url, {"role": "gold"}).json()["results"]] == [
        world.gold.pk
    ]


def test_a_gold_item_answers_an_annotator_exactly_as_a_task_item_does(world: World) -> None:
    client = client_for(world.users["annotator"])

    def seen(item: Item) -> dict[str, Any]:
        detail = client.get(f"/api/v1/items/{item.pk}/").json()
        document = client.get(f"/api/v1/items/{item.pk}/annotation/").json()
        gold = client.get(f"/api/v1/items/{item.pk}/gold/")
        feedback = client.get(f"/api/v1/items/{item.pk}/feedback/")
        return {
            "detail": {key: value for key, value in detail.items() if key not in VARYING},
            "document": {key: value for key, value in document.items() if key != "item"},
            "gold": (gold.status_code, gold.json()),
            "feedback": (feedback.status_code, feedback.json()),
        }

    assert seen(world.gold) == seen(world.training) == seen(world.free)
    assert "role" not in client.get(f"/api/v1/items/{world.gold.pk}/").json()


VARYING = {"id", "name", "asset", "image_url", "thumbnail_url", "created_at"}
# What differs between any two documents: which item and row, and when.
OWN = {"id", "item", "created_at", "updated_at", "submitted_at"}


def test_an_exam_item_answers_an_annotator_exactly_as_a_task_item_does(world: World) -> None:
    """The qualification exam hands out hidden gold: as it is served, while it is labelled and
    once it is submitted, it answers like real work; the course status names no item."""
    Membership.objects.filter(project=world.project, user=world.users["annotator"]).update(
        training_completed_at=None, qualified_at=None
    )
    client = client_for(world.users["annotator"])
    project = f"/api/v1/projects/{world.project.pk}"
    (training,) = [client.post(f"{project}/queue/next/").json()["id"]]
    client.post(f"/api/v1/items/{training}/annotation/submit/")
    started = client.post(f"{project}/training/exam/")

    served = client.post(f"{project}/queue/next/").json()
    task = client.get(f"/api/v1/items/{world.task.pk}/").json()

    def seen(item_id: int) -> dict[str, Any]:
        document = client.get(f"/api/v1/items/{item_id}/annotation/").json()
        gold = client.get(f"/api/v1/items/{item_id}/gold/")
        feedback = client.get(f"/api/v1/items/{item_id}/feedback/")
        return {
            "document": {key: value for key, value in document.items() if key not in OWN},
            "gold": (gold.status_code, gold.json()),
            "feedback": (feedback.status_code, feedback.json()),
        }

    assert training == world.training.pk and started.status_code == 201
    assert served["id"] == world.gold.pk
    assert {k: v for k, v in served.items() if k not in VARYING} == {
        k: v for k, v in task.items() if k not in VARYING
    }
    assert seen(world.gold.pk) == seen(world.free.pk)
    client.post(f"/api/v1/items/{world.gold.pk}/annotation/submit/")
    # Real work is not taken during the exam (annotate.training.submit_gate): the task item's
    # submitted state is made as it would be once qualified, to compare the two answers.
    annotation_submit(user=world.users["annotator"], item=world.free)
    assert seen(world.gold.pk) == seen(world.free.pk)
    assert client.get(f"/api/v1/items/{training}/feedback/").status_code == 200
    body = json.dumps(client.get(f"{project}/training/").json())
    assert str(world.gold.pk) not in re.findall(r"\d+", body.replace('"items": 1', ""))


def test_the_studio_page_of_a_gold_item_is_that_of_a_task_item(world: World) -> None:
    from django.test import Client

    client = Client()
    client.force_login(world.users["annotator"])

    def page(item: Item) -> str:
        html = client.get(f"/items/{item.pk}/label/").content.decode()
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
        return html.replace(f'"itemId": {item.pk}', '"itemId": ID')

    assert page(world.gold) == page(world.training) == page(world.task)


def test_an_annotator_never_sees_another_annotators_document_or_a_gold_answer(world: World) -> None:
    client = client_for(world.users["annotator"])

    mine = client.get(f"/api/v1/items/{world.task.pk}/annotation/").json()
    item = client.get(f"/api/v1/items/{world.task.pk}/").json()

    assert (mine["annotator"], mine["version"], mine["shapes"]) == ("bob_annotator", 0, [])
    assert "gold" not in item
    # The same refusal as on a task item: the code does not say which items have an answer.
    gold = client.get(f"/api/v1/items/{world.gold.pk}/gold/")
    task = client.get(f"/api/v1/items/{world.task.pk}/gold/")
    assert (gold.status_code, gold.json()) == (task.status_code, task.json())
    assert gold.status_code == 403
    assert client.get(f"/api/v1/projects/{world.project.pk}/annotations/").status_code == 403


def test_an_outsider_sees_nothing_of_a_project_even_as_a_manager_elsewhere(world: World) -> None:
    client = client_for(world.users["outsider"])

    response = client.get(f"/api/v1/items/{world.task.pk}/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such item."}
    assert client.get(f"/api/v1/items/{world.other_item.pk}/").status_code == 200


def test_a_superuser_manages_every_project(world: World) -> None:
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", password="x" * 20)
    client = client_for(root)

    assert client.get("/api/v1/projects/").json()["count"] == 2
    assert client.get(f"/api/v1/items/{world.gold.pk}/gold/").status_code == 200


PAGES: dict[str, tuple[str, tuple[int, int, int, int, int]]] = {
    "home": ("/", (302, 200, 200, 200, 200)),
    "project-new": ("/projects/new/", (302, 200, 403, 403, 200)),
    "project": ("/projects/{project}/", (302, 404, 200, 200, 200)),
    "label": ("/projects/{project}/label/", (302, 404, 200, 200, 200)),
    "label-task": ("/items/{task}/label/", (302, 404, 200, 200, 200)),
    "label-gold": ("/items/{gold}/label/", (302, 404, 200, 200, 200)),
    # Carl's document: only the project's reviewers and managers open it.
    "label-document": ("/items/{task}/label/?document={document}", (302, 404, 404, 200, 200)),
    "review": ("/projects/{project}/review/", (302, 404, 403, 200, 200)),
    # Gold mode: managers only, and the same answers whether or not the item is gold.
    "label-gold-mode-task": ("/items/{task}/label/?gold=1", (302, 404, 403, 403, 200)),
    "label-gold-mode-gold": ("/items/{gold}/label/?gold=1", (302, 404, 403, 403, 200)),
}


@pytest.mark.parametrize(
    ("page", "role", "expected"),
    [
        pytest.param(page, role, codes[index], id=f"{page}-{role}")
        for page, (_, codes) in PAGES.items()
        for index, role in enumerate(ROLES)
    ],
)
def test_role_by_page(world: World, page: str, role: str, expected: int) -> None:
    from django.test import Client

    client = Client()
    if world.users[role] is not None:
        client.force_login(world.users[role])
    path = PAGES[page][0].format(**world.ids())

    response = client.get(path)

    assert response.status_code == expected
    if expected == 302:
        assert response["Location"] == f"/login/?next={quote(path, safe='/')}"
