"""The OpenAPI schema says what the server does: unique components (no two operations share a
body by accident of naming), every write's body documented, lists documented as pages, every
error answer in the one shared Error shape."""

from collections import defaultdict
from typing import Any

import pytest
import yaml
from django.core.management import call_command

ERROR_REF = "#/components/schemas/Error"
WRITES = ("post", "put", "patch")
# Writes that take no body: the path says everything.
BODILESS = {
    ("post", "/api/v1/items/{item_id}/annotation/submit/"),
    ("post", "/api/v1/items/{item_id}/skip/"),
    ("post", "/api/v1/projects/{project_id}/queue/next/"),
    ("post", "/api/v1/projects/{project_id}/review/next/"),
    ("post", "/api/v1/projects/{project_id}/qualification/reset/"),
    ("post", "/api/v1/projects/{project_id}/training/exam/"),
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The schema as served, generated with --fail-on-warn: any component name collision, any
    view whose body or answer could not be worked out, fails here."""
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(path))
    return yaml.safe_load(path.read_text())


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def body_refs(operation: dict[str, Any]) -> set[str]:
    content = operation.get("requestBody", {}).get("content", {})
    return {media["schema"].get("$ref", "inline") for media in content.values()}


def test_each_write_has_a_documented_body_of_its_own(schema):
    used_by: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for method, path, operation in operations(schema):
        if method not in WRITES or (method, path) in BODILESS:
            continue
        refs = body_refs(operation)
        assert refs and "inline" not in refs, f"{method.upper()} {path} documents no body"
        for ref in refs:
            used_by[ref].append((method, path))
    shared = {ref: users for ref, users in used_by.items() if len(users) > 1}
    assert shared == {}
    # The collision this guards against: every body was the review's {decision, comment}.
    review = schema["components"]["schemas"]["AnnotationReviewRequest"]
    assert sorted(review["properties"]) == ["comment", "comments", "decision"]
    token = schema["components"]["schemas"]["TokenRequest"]
    assert sorted(token["properties"]) == ["password", "username"]


def test_bodiless_writes_really_have_no_body(schema):
    for method, path, operation in operations(schema):
        if (method, path) in BODILESS:
            assert "requestBody" not in operation


def test_lists_are_documented_as_pages(schema):
    components = schema["components"]["schemas"]
    arrays = []
    for method, path, operation in operations(schema):
        if method != "get":
            continue
        for media in operation["responses"].get("200", {}).get("content", {}).values():
            answer = media["schema"]
            if answer.get("type") == "array":
                arrays.append(path)
            ref = answer.get("$ref", "")
            if ref.startswith("#/components/schemas/Paginated"):
                page = components[ref.rsplit("/", 1)[-1]]
                assert {"count", "next", "previous", "results"} <= set(page["properties"])
                assert page["properties"]["results"]["type"] == "array"
                names = {parameter["name"] for parameter in operation.get("parameters", [])}
                assert {"page", "page_size"} <= names, path
    # The one list answered whole: a project's members.
    assert arrays == ["/api/v1/projects/{project_id}/members/"]
    listed = schema["paths"]["/api/v1/projects/{project_id}/items/"]["get"]
    assert listed["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginatedManagerItemOutputList"
    }


def test_every_error_answer_uses_the_shared_error_component(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail"]
    assert set(error["properties"]) == {"detail", "errors"}
    for method, path, operation in operations(schema):
        codes = operation["responses"]
        for code, response in codes.items():
            if code.startswith("4"):
                (media,) = response["content"].values()
                assert media["schema"] == {"$ref": ERROR_REF}, (method, path, code)
        if path != "/api/v1/auth/token/":
            assert {"401", "403"} <= set(codes), (method, path)
        if "{" in path:
            assert "404" in codes, (method, path)
        if method in WRITES:
            assert "400" in codes, (method, path)


def test_if_match_writes_document_412_and_428_and_the_token_429(schema):
    annotation = schema["paths"]["/api/v1/items/{item_id}/annotation/"]
    for method in ("put", "patch"):
        assert {"412", "428"} <= set(annotation[method]["responses"])
    assert "412" not in annotation["get"]["responses"]
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert {"200", "400", "401", "429"} <= set(token["responses"])


def test_the_upload_answer_is_documented_with_its_refusals(schema):
    upload = schema["paths"]["/api/v1/projects/{project_id}/items/"]["post"]
    assert set(upload["requestBody"]["content"]) >= {"multipart/form-data"}
    answer = upload["responses"]["201"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][answer["$ref"].rsplit("/", 1)[-1]]
    assert set(component["properties"]) == {"items", "created", "duplicates", "refused"}
