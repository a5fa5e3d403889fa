"""common.prepared: a query compiled once answers exactly what the queryset answers."""

import pytest
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.test.utils import CaptureQueriesContext

from common.prepared import PreparedQuery
from projects.models import Item, Membership
from projects.selectors import item_with_role
from tests.projects.factories import items_add

pytestmark = pytest.mark.django_db


def _items_with_role(item_id, user_id):
    return (
        Item.objects.select_related("asset", "project")
        .filter(pk=item_id)
        .annotate(
            my_role=Subquery(
                Membership.objects.filter(
                    project_id=OuterRef("project_id"), user_id=user_id
                ).values("role")[:1]
            )
        )
    )


def test_prepared_query_gives_what_the_queryset_gives(project, annotator, outsider):
    prepared = PreparedQuery(_items_with_role, arity=2)
    items = items_add(project, 3)
    for item in items:
        for user in (annotator, outsider):
            expected = _items_with_role(item.pk, user.pk).first()
            got = prepared.first(item.pk, user.pk)
            assert got is not None and expected is not None
            assert (got.pk, got.my_role, got.metadata, got.created_at) == (
                expected.pk,
                expected.my_role,
                expected.metadata,
                expected.created_at,
            )
            # select_related objects come filled, converted like the ORM's (JSON, datetimes).
            with CaptureQueriesContext(connection) as queries:
                assert got.asset.sha256 == expected.asset.sha256
                assert got.project.labels == expected.project.labels
                assert got.project.created_at == expected.project.created_at
            assert len(queries) == 0
    assert prepared.first(10**9, annotator.pk) is None


def test_item_with_role_runs_one_query_and_refuses_outsiders(project, annotator, outsider):
    item = items_add(project, 1)[0]
    with CaptureQueriesContext(connection) as queries:
        found, role = item_with_role(user=annotator, item_id=item.pk)
    assert len(queries) == 1
    assert found is not None and found.pk == item.pk and role == "annotator"
    assert item_with_role(user=outsider, item_id=item.pk) == (None, None)


def test_a_parameter_that_never_reaches_the_sql_is_refused(db):
    prepared = PreparedQuery(lambda item_id, unused: Item.objects.filter(pk=item_id), arity=2)
    with pytest.raises(ValueError, match="do not reach the SQL"):
        prepared.first(1, 2)
