from django.contrib.auth.models import User
from django.db.models import QuerySet

from annotate.models import AnnotationDocument, DocumentKind, Revision
from projects.models import Item, Membership, Role


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


def annotation_document_of(*, user: User, item: Item) -> AnnotationDocument:
    """The caller's document, or an unsaved empty one at version 0."""
    document = AnnotationDocument.objects.filter(
        item=item, annotator=user, kind=DocumentKind.ANNOTATOR
    ).first()
    if document is None:
        return AnnotationDocument(item=item, annotator=user, version=0, shapes=[])
    document.annotator = user
    return document
