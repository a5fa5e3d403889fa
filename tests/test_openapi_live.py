"""Real answers of the live server, validated by schemathesis against the served schema: the
main reads (with real objects and with generated query strings), a few writes, and the error
answers they give. A manager's token; bounded so the whole file runs in seconds."""

from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token

from annotate.models import AnnotationDocument
from tests.annotate.factories import box, document_saved, document_submitted
from tests.projects.factories import items_add, project_with_members, user_create
from tests.storage.factories import image_bytes
from tests.versioning.factories import document_accepted, version_made

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class World:
    url: str
    headers: dict[str, str]
    ids: dict[str, Any]  # path parameter -> a real object's id


@pytest.fixture
def world(live_server: Any, tasks_in_process: None) -> World:
    manager = user_create("alice_manager", can_create_projects=True)
    annotator = user_create("bob_annotator")
    reviewer = user_create("rita_reviewer")
    user_create("carl_candidate")
    project = project_with_members(
        manager=manager, bob_annotator="annotator", rita_reviewer="reviewer"
    )
    accepted, submitted, open_item = items_add(project, 3)
    document = document_accepted(accepted, annotator, reviewer, [box("car", (1, 2, 30, 40))])
    document_submitted(submitted, annotator, [box("person", (3, 3, 9, 9))])
    document_saved(open_item, manager, [box("car", (5, 5, 15, 15))])
    version = version_made(project, manager, message="first")
    token, _ = Token.objects.get_or_create(user=manager)
    return World(
        url=live_server.url,
        headers={"Authorization": f"Token {token.key}"},
        ids={
            "project_id": project.pk,
            "item_id": accepted.pk,
            "document_id": document.pk,
            "version_id": version.pk,
            "user_id": annotator.pk,
            "name": "production",
            "submitted_item": submitted.pk,
            "open_item": open_item.pk,
            "submitted_document": AnnotationDocument.objects.get(item=submitted).pk,
        },
    )


@pytest.fixture
def api_schema(world: World) -> Any:
    return schemathesis.openapi.from_url(f"{world.url}/api/schema/?format=json")


def checked(
    schema: Any,
    world: World,
    method: str,
    path: str,
    *,
    expect: int,
    headers: dict[str, str] | None = None,
    **parts: Any,
) -> Any:
    """Call one operation on the live server and validate the answer against the schema."""
    names = [p["name"] for p in schema[path][method].definition.raw.get("parameters", [])]
    path_parameters = {
        name: world.ids[name] for name in names if name in world.ids and "{" + name in path
    }
    path_parameters.update(parts.pop("path_parameters", {}))
    if "body" in parts:
        parts.setdefault("media_type", "application/json")
    case = schema[path][method].Case(path_parameters=path_parameters, **parts)
    response = case.call(base_url=world.url, headers={**world.headers, **(headers or {})})
    assert response.status_code == expect, (method, path, response.text[:500])
    case.validate_response(response)
    return response


READS = [
    "/api/v1/projects/",
    "/api/v1/projects/{project_id}/",
    "/api/v1/projects/{project_id}/items/",
    "/api/v1/projects/{project_id}/members/",
    "/api/v1/projects/{project_id}/annotations/",
    "/api/v1/projects/{project_id}/versions/",
    "/api/v1/items/{item_id}/",
    "/api/v1/items/{item_id}/annotation/",
    "/api/v1/items/{item_id}/gold/",
    "/api/v1/annotations/{document_id}/",
    "/api/v1/annotations/{document_id}/revisions/",
    "/api/v1/versions/{version_id}/",
    "/api/v1/versions/{version_id}/items/",
]


def test_the_main_reads_answer_as_documented(api_schema, world):
    for path in READS:
        expect = 404 if path.endswith("/gold/") else 200  # the task item has no gold answer
        checked(api_schema, world, "GET", path, expect=expect)
    checked(
        api_schema,
        world,
        "GET",
        "/api/v1/versions/{version_id}/diff/",
        expect=200,
        query={"against": world.ids["version_id"]},
    )
    checked(
        api_schema,
        world,
        "GET",
        "/api/v1/projects/{project_id}/items/",
        expect=404,
        query={"page": 99},
    )
    checked(
        api_schema,
        world,
        "GET",
        "/api/v1/projects/{project_id}/",
        expect=404,
        path_parameters={"project_id": 987654},
    )
    checked(
        api_schema, world, "GET", "/api/v1/projects/", expect=401, headers={"Authorization": ""}
    )


def test_writes_and_their_refusals_answer_as_documented(api_schema, world):
    ids = world.ids
    checked(
        api_schema,
        world,
        "POST",
        "/api/v1/projects/",
        expect=201,
        body={"name": "Fresh", "labels": [{"name": "cat", "kind": "box"}]},
    )
    checked(api_schema, world, "POST", "/api/v1/projects/", expect=400, body={"labels": []})
    checked(
        api_schema,
        world,
        "PATCH",
        "/api/v1/projects/{project_id}/",
        expect=200,
        body={"description": "Now with a description"},
    )
    checked(
        api_schema,
        world,
        "POST",
        "/api/v1/projects/{project_id}/members/",
        expect=201,
        body={"username": "carl_candidate", "role": "annotator"},
    )
    checked(
        api_schema,
        world,
        "POST",
        "/api/v1/annotations/{document_id}/review/",
        expect=200,
        path_parameters={"document_id": ids["submitted_document"]},
        body={"decision": "reject", "comment": "Box too loose."},
    )
    checked(
        api_schema,
        world,
        "POST",
        "/api/v1/annotations/{document_id}/review/",
        expect=409,
        body={"decision": "accept", "comment": ""},
    )
    annotation = "/api/v1/items/{item_id}/annotation/"
    shapes = {"shapes": [box("car", (2, 2, 12, 12))]}
    checked(
        api_schema,
        world,
        "PUT",
        annotation,
        expect=428,
        body=shapes,
        path_parameters={"item_id": ids["open_item"]},
    )
    checked(
        api_schema,
        world,
        "PUT",
        annotation,
        expect=412,
        body=shapes,
        path_parameters={"item_id": ids["open_item"]},
        headers={"If-Match": '"7"'},
    )
    checked(
        api_schema,
        world,
        "PUT",
        annotation,
        expect=200,
        body=shapes,
        path_parameters={"item_id": ids["open_item"]},
        headers={"If-Match": '"1"'},
    )
    checked(
        api_schema,
        world,
        "PUT",
        "/api/v1/projects/{project_id}/version-tags/{name}/",
        expect=200,
        body={"version": ids["version_id"]},
    )
    checked(
        api_schema,
        world,
        "POST",
        "/api/v1/projects/{project_id}/versions/",
        expect=202,
        body={"message": "second"},
    )
    checked(
        api_schema,
        world,
        "POST",
        "/api/v1/versions/{version_id}/exports/",
        expect=202,
        body={"format": "coco"},
    )
    checked(
        api_schema,
        world,
        "POST",
        "/api/v1/versions/{version_id}/exports/",
        expect=400,
        body={"format": "tiff"},
    )
    upload = [
        ("file", ("good.png", image_bytes(), "image/png")),
        ("file", ("fake.png", b"not pixels", "image/png")),
    ]
    case = api_schema["/api/v1/projects/{project_id}/items/"]["POST"].Case(
        path_parameters={"project_id": ids["project_id"]}, media_type="multipart/form-data"
    )
    response = case.call(base_url=world.url, headers=world.headers, files=upload, data={})
    assert response.status_code == 201, response.text
    assert [row["name"] for row in response.json()["refused"]] == ["fake.png"]
    case.validate_response(response)
    checked(
        api_schema,
        world,
        "POST",
        "/api/v1/auth/token/",
        expect=401,
        headers={},
        body={"username": "alice_manager", "password": "wrong"},
    )


GENERATED_READS = r"^/api/v1/(projects|versions|items|annotations)/"
# A pipeline step's features: `step` names a registered step, which no schema type can say.
NOT_GENERATED = r"/features/$"


def test_generated_query_strings_get_documented_answers(api_schema, world):
    """Generated queries (page, page_size, role, status, ids, against...) on real objects: a
    few examples per read, each answer valid against the schema (whatever its status)."""
    operations = [
        result.ok()
        for result in api_schema.include(method="GET", path_regex=GENERATED_READS)
        .exclude(path_regex=NOT_GENERATED)
        .get_all_operations()
    ]
    assert len(operations) >= len(READS)

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=3,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_as_documented(case: Any) -> None:
            for name in list(case.path_parameters or {}):
                if name in world.ids:
                    case.path_parameters[name] = world.ids[name]
            response = case.call(base_url=world.url, headers=world.headers)
            assert response.status_code < 500, (case.path, response.text[:300])
            case.validate_response(response)

        answers_as_documented()
