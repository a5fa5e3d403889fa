from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from rest_framework.authtoken.models import Token

from annotate.models import AnnotationDocument, DocumentKind, Revision
from common.prepared import ModelColumns, prepared_cursor
from projects.models import Item, Membership, Project, Role
from storage.models import Asset


def documents_visible_to(*, user: User) -> QuerySet[AnnotationDocument]:
    """Reviewers and managers see every document of their projects; anyone sees their own."""
    documents = AnnotationDocument.objects.select_related("item__project", "annotator")
    if user.is_superuser:
        return documents
    reviewing = Membership.objects.filter(user=user, role__in=[Role.MANAGER, Role.REVIEWER]).values(
        "project_id"
    )
    member_of = Membership.objects.filter(user=user).values("project_id")
    return documents.filter(item__project_id__in=reviewing) | documents.filter(
        annotator=user, item__project_id__in=member_of
    )


def revisions_of(*, document: AnnotationDocument) -> QuerySet[Revision]:
    return document.revisions.select_related("author").order_by("version")


def _own_document(*, user: User, item: Item) -> QuerySet[AnnotationDocument]:
    return AnnotationDocument.objects.filter(item=item, annotator=user, kind=DocumentKind.ANNOTATOR)


def _unsaved_document(*, user: User, item: Item) -> AnnotationDocument:
    return AnnotationDocument(item=item, annotator=user, version=0, shapes=[])


def annotation_document_json_of(*, user: User, item: Item) -> tuple[AnnotationDocument, str]:
    """The caller's document (or an unsaved empty one) with its shapes as the stored JSON text,
    not parsed: a reader that only hands them on (the studio's GET) skips decoding and encoding
    them again, which for 5,000 polygons (2 MB of JSON) was most of the response time. The
    document's `shapes` stay deferred: reading them would load and parse them after all."""
    document = (
        _own_document(user=user, item=item)
        .defer("shapes")
        .annotate(shapes_json=Cast("shapes", output_field=TextField()))
        .first()
    )
    if document is None:
        return _unsaved_document(user=user, item=item), "[]"
    document.item, document.annotator = item, user
    return document, document.shapes_json


def annotation_document_of(*, user: User, item: Item) -> AnnotationDocument:
    """The caller's document, or an unsaved empty one at version 0."""
    document = _own_document(user=user, item=item).first()
    if document is None:
        return _unsaved_document(user=user, item=item)
    document.annotator = user
    return document


# --- what a save reads before its body, in one statement ----------------------------------------


@dataclass(frozen=True)
class DocumentAccess:
    """What a save of the caller's document needs before it reads its body.

    `item` has its asset and project attached (None when there is no such item); `role` is the
    caller's role in its project (None for a non-member); `document` is the caller's row as
    (id, version, status, shapes), its shapes only when it is at the version the save expects
    (so a stale save reads no shapes), or None when the caller has no document yet.
    """

    item: Item | None
    role: str | None
    document: tuple[int, int, str, Any] | None


_TOKEN = ModelColumns(Token, "t")
_USER = ModelColumns(User, "u")
_ITEM = ModelColumns(Item, "i")
_ASSET = ModelColumns(Asset, "a")
_PROJECT = ModelColumns(Project, "p")
_ACCESS_COLUMNS = (
    f"{_ITEM.sql}, {_ASSET.sql}, {_PROJECT.sql}, m.role, d.id, d.version, d.status,"
    " CASE WHEN d.version = %(version)s THEN d.shapes END"
)


def _access_joins(user_id: str) -> str:
    """The membership and the document of the user that `user_id` (SQL) names, beside `i`."""
    return (
        f" LEFT JOIN {Membership._meta.db_table} m"
        f" ON m.project_id = i.project_id AND m.user_id = {user_id}"
        f" LEFT JOIN {AnnotationDocument._meta.db_table} d"
        f" ON d.item_id = i.id AND d.annotator_id = {user_id} AND d.kind = %(kind)s"
    )


# The token and its user come first so that an unknown key is no row at all, whatever the item.
_ACCESS_BY_TOKEN = (
    f"SELECT {_TOKEN.sql}, {_USER.sql}, {_ACCESS_COLUMNS}"
    f" FROM {Token._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id"
    f" LEFT JOIN {Item._meta.db_table} i ON i.id = %(item)s"
    f" LEFT JOIN {Asset._meta.db_table} a ON a.id = i.asset_id"
    f" LEFT JOIN {Project._meta.db_table} p ON p.id = i.project_id"
    + _access_joins("u.id")
    + " WHERE t.key = %(key)s"
)
_ACCESS_BY_USER = (
    f"SELECT {_ACCESS_COLUMNS} FROM {Item._meta.db_table} i"
    f" JOIN {Asset._meta.db_table} a ON a.id = i.asset_id"
    f" JOIN {Project._meta.db_table} p ON p.id = i.project_id"
    + _access_joins("%(user)s")
    + " WHERE i.id = %(item)s"
)


def document_access(
    *, user: User | AnonymousUser, item_id: int, expected_version: int
) -> DocumentAccess:
    """The caller's DocumentAccess for a save at `expected_version`, in one query (the access
    check projects.access.item_for makes and the caller's document row, which the save would
    otherwise read next)."""
    if not user.is_authenticated:
        return DocumentAccess(None, None, None)
    params = _access_params(item_id, expected_version, user=user.pk)
    with prepared_cursor() as cursor:
        cursor.execute(_ACCESS_BY_USER, params)
        row = cursor.fetchone()
    if row is None:
        return DocumentAccess(None, None, None)
    return _access_of(user, row)


def document_access_by_token(
    *, key: str, item_id: int, expected_version: int
) -> tuple[Token, DocumentAccess] | None:
    """The token with its user, and that user's DocumentAccess, in one query; None for a key
    no token has. The token is read on every call, as TokenAuthentication reads it: a deleted
    token stops working at once."""
    params = _access_params(item_id, expected_version, key=key)
    with prepared_cursor() as cursor:
        cursor.execute(_ACCESS_BY_TOKEN, params)
        row = cursor.fetchone()
    if row is None:
        return None
    token, user = _TOKEN.build(row[: _TOKEN.width]), _USER.build(row[_TOKEN.width :])
    assert token is not None and user is not None  # an inner join: both are there
    token.user = user
    return token, _access_of(user, row[_TOKEN.width + _USER.width :])


def _access_params(item_id: int, expected_version: int, **caller: Any) -> dict[str, Any]:
    return {
        "item": int(item_id),
        "version": expected_version,
        "kind": DocumentKind.ANNOTATOR.value,
        **caller,
    }


def _access_of(user: User, values: Any) -> DocumentAccess:
    item = _ITEM.build(values)
    if item is None:
        return DocumentAccess(None, None, None)
    start = _ITEM.width
    item.asset = _ASSET.build(values[start:])  # type: ignore[assignment]
    start += _ASSET.width
    item.project = _PROJECT.build(values[start:])  # type: ignore[assignment]
    role, document_id, version, status, shapes = values[start + _PROJECT.width :]
    document = None if document_id is None else (document_id, version, status, shapes)
    # As projects.selectors.item_with_role: a superuser manages every project.
    return DocumentAccess(item, Role.MANAGER if user.is_superuser else role, document)
