"""Gold answers and a vendor's documents, imported a batch at a time through the services of
quality and annotate."""

from collections.abc import Callable, Iterable
from functools import partial

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from annotate.models import AnnotationDocument, DocumentKind
from annotate.services import annotation_save
from annotate.shapes import ShapeSchema
from common.errors import DomainError, Invalid
from formats.canonical import content_hash
from formats.records import ImportedItem
from projects.models import Item
from quality.models import GoldAnswer
from quality.services import gold_set
from versioning.imports.matching import (
    BATCH,
    ItemIndex,
    Matched,
    Progress,
    Tally,
    _batches,
    _clean,
    _matched,
)
from versioning.models import Job


def _documents_import(
    job: Job,
    entries: Iterable[ImportedItem],
    index: ItemIndex,
    tally: Tally,
    progress: Progress | None,
) -> None:
    """Gold answers or a vendor's documents, a batch at a time through their services."""
    # The project's classes looked up once for the whole file, not once per item.
    schema = ShapeSchema(job.project.labels)
    write: Callable[[list[Matched]], None]
    if job.params["target"] == "gold":
        write = partial(_gold_write, job, schema, tally)
    else:
        annotator = get_user_model().objects.get(pk=job.params["annotator_id"])
        write = partial(_annotations_write, job, schema, annotator, tally)
    for batch in _batches(entries, BATCH):
        write(_matched(batch, index, tally))
        if progress:
            progress(tally.items, None)


def _items_of(batch: list[Matched]) -> dict[int, Item]:
    ids = [entry.item.pk for entry in batch]
    return Item.objects.select_related("project", "asset").in_bulk(ids)


def _gold_write(job: Job, schema: ShapeSchema, tally: Tally, batch: list[Matched]) -> None:
    items = _items_of(batch)
    current = dict(
        GoldAnswer.objects.filter(item_id__in=list(items)).values_list("item_id", "shapes")
    )
    for entry in batch:
        shapes = _clean(entry, schema)
        if current.get(entry.item.pk) == shapes:
            tally.unchanged += 1
            continue
        gold_set(item=items[entry.item.pk], shapes=shapes, author=job.created_by, source="import")
        tally.written += 1
        tally.shapes += len(shapes)


def _annotations_write(
    job: Job, schema: ShapeSchema, annotator: User, tally: Tally, batch: list[Matched]
) -> None:
    """Through annotate's save, one document at a time: version-checked, revisioned, logged."""
    items = _items_of(batch)
    documents = AnnotationDocument.objects.filter(
        item_id__in=list(items), annotator=annotator, kind=DocumentKind.ANNOTATOR
    )
    current = {
        item_id: (version, digest)
        for item_id, version, digest in documents.values_list("item_id", "version", "content_hash")
    }
    for entry in batch:
        shapes = _clean(entry, schema)
        version, digest = current.get(entry.item.pk, (0, None))
        if digest == content_hash(shapes):
            tally.unchanged += 1
            continue
        try:
            annotation_save(
                user=annotator, item=items[entry.item.pk], shapes=shapes, expected_version=version
            )
        except DomainError as error:
            raise Invalid(f"{entry.file_name}: {error.message}") from None
        tally.written += 1
        tally.shapes += len(shapes)
