"""What a save reads before its body: the token, the access check and the caller's document in
one statement (annotate.selectors, SaveTokenAuthentication), with the answers item_for and
TokenAuthentication give, in the same order."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotate.models import AnnotationDocument
from annotate.selectors import DocumentAccess, document_access, document_access_by_token
from tests.annotate.documents import put, state, url
from tests.annotate.factories import box, document_saved, document_submitted

pytestmark = pytest.mark.django_db


def patch(client, item, changes, version):
    return client.patch(url(item), changes, format="json", HTTP_IF_MATCH=f'"{version}"')


# --- the one read ---------------------------------------------------------------------------


def test_a_stale_save_is_answered_from_one_query(item, annotator, api):
    client = api(annotator)
    put(client, item, [box()], 0)
    put(client, item, [box()], 1)

    for send in (
        lambda: put(client, item, [box()], 1),
        lambda: patch(client, item, {"add": [box()]}, 1),
    ):
        with CaptureQueriesContext(connection) as queries:
            response = send()
        assert response.status_code == 412
        assert response.json()["current_version"] == 2
        # the token, the item with the caller's role and their document: one statement
        assert len(queries) == 1


def test_a_save_reads_once_and_writes_once_on_postgres(item, annotator, api):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writes the document, revision and activity one by one")
    client = api(annotator)
    put(client, item, [box()], 0)

    with CaptureQueriesContext(connection) as queries:
        response = put(client, item, [box(), box()], 1)

    assert response.status_code == 200
    assert len(queries) == 2
    assert AnnotationDocument.objects.get().version == 2


def test_the_access_read_answers_what_item_for_and_the_document_row_say(
    item, annotator, outsider, manager
):
    document = document_saved(item, annotator)
    token = Token.objects.create(user=annotator)

    found = document_access_by_token(key=token.key, item_id=item.pk, expected_version=1)
    assert found is not None
    got_token, access = found
    assert (got_token.key, got_token.user.username) == (token.key, "bob_annotator")
    assert access.role == "annotator"
    assert access.item is not None and access.item.pk == item.pk
    # asset and project come attached, converted as the ORM converts them
    with CaptureQueriesContext(connection) as queries:
        assert (access.item.asset.width, access.item.asset.height) == (64, 48)
        assert access.item.project.labels == item.project.labels
        assert access.item.metadata == item.metadata
        assert access.item.created_at == item.created_at
        assert got_token.user.date_joined == annotator.date_joined
    assert len(queries) == 0
    assert access.document == (document.pk, 1, "draft", access.document[3])
    assert access.document[3] is not None  # at the expected version: the shapes are read

    # at another version: the row without its shapes (a stale save reads no shapes)
    stale = document_access(user=annotator, item_id=item.pk, expected_version=7)
    assert stale.document == (document.pk, 1, "draft", None)
    assert stale.item is not None and stale.role == "annotator"

    outside = document_access(user=outsider, item_id=item.pk, expected_version=0)
    assert (outside.role, outside.document) == (None, None)
    assert document_access(user=manager, item_id=item.pk, expected_version=0).role == "manager"
    assert document_access(user=annotator, item_id=10**9, expected_version=0) == DocumentAccess(
        None, None, None
    )
    nothing = document_access_by_token(key=token.key, item_id=10**9, expected_version=0)
    assert nothing is not None and nothing[1] == DocumentAccess(None, None, None)
    assert document_access_by_token(key="0" * 40, item_id=item.pk, expected_version=0) is None


# --- the answers, in item_for's order -------------------------------------------------------


def test_an_outsider_gets_404_even_without_if_match(item, outsider, api):
    before = state(item)

    response = put(api(outsider), item, [box()], None)

    assert response.status_code == 404
    assert response.json() == {"detail": "No such item."}
    assert state(item) == before


def test_a_missing_item_is_404_before_the_if_match_is_checked(annotator, api):
    response = api(annotator).put(
        "/api/v1/items/999999/annotation/", {"shapes": []}, format="json", HTTP_IF_MATCH="junk"
    )

    assert response.status_code == 404


def test_a_superuser_saves_on_any_item_as_manager(item, api):
    admin = get_user_model().objects.create_superuser("root_admin", password="x")

    response = put(api(admin), item, [box()], 0)

    assert response.status_code == 201
    assert response.json()["annotator"] == "root_admin"


def test_an_accepted_document_is_a_409_for_put_and_patch(item, annotator, reviewer, api):
    document_submitted(item, annotator)
    document = AnnotationDocument.objects.get()
    assert (
        api(reviewer)
        .post(f"/api/v1/annotations/{document.pk}/review/", {"decision": "accept"}, format="json")
        .status_code
        == 200
    )
    before = state(item)

    assert put(api(annotator), item, [box()], 3).status_code == 409
    assert patch(api(annotator), item, {"add": [box()]}, 3).status_code == 409
    assert state(item) == before


# --- authentication stays TokenAuthentication's ---------------------------------------------


def test_a_deleted_token_is_refused_on_the_next_save(item, annotator, api):
    client = api(annotator)
    assert put(client, item, [box()], 0).status_code == 201
    Token.objects.filter(user=annotator).delete()
    before = state(item)

    for response in (put(client, item, [box()], 1), patch(client, item, {"add": [box()]}, 1)):
        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid token."}
        assert response["WWW-Authenticate"] == "Token"
    assert state(item) == before


def test_an_inactive_user_is_refused_as_token_authentication_refuses(item, annotator, api):
    client = api(annotator)
    annotator.is_active = False
    annotator.save(update_fields=["is_active"])

    response = put(client, item, [box()], 0)

    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}
    assert AnnotationDocument.objects.count() == 0


def test_a_malformed_token_header_is_refused_as_before(item, annotator):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token")

    response = put(client, item, [box()], 0)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token header. No credentials provided."}


def test_a_session_save_reads_access_and_document_in_one_query(item, annotator):
    client = APIClient()
    client.force_login(annotator)
    assert put(client, item, [box()], 0).status_code == 201

    with CaptureQueriesContext(connection) as queries:
        response = put(client, item, [box()], 0)

    assert response.status_code == 412
    # the session and its user (Django's), then the item, role and document in one statement
    assert len(queries) == 3
    assert patch(client, item, {"add": [box()]}, 1).status_code == 200


def test_a_get_with_a_token_still_authenticates_and_opens_the_document(item, annotator, api):
    document_saved(item, annotator)

    response = api(annotator).get(url(item))

    assert response.status_code == 200
    assert response["ETag"] == '"1"'


# --- prepared statements --------------------------------------------------------------------


def test_postgres_prepares_the_save_statements_once_per_connection(item, annotator, api):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are Postgres's")
    client = api(annotator)
    for version in range(3):
        assert put(client, item, [box()], version).status_code in (200, 201)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%annotate_revision%"],
        )
        writes = cursor.fetchall()
        cursor.execute(
            "SELECT DISTINCT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%authtoken_token%"],
        )
        reads = cursor.fetchall()
    # the UPDATE (and the INSERT of version 1), and the token's access read: prepared once each
    assert len(writes) == 2
    assert len(reads) == 1
