"""Every saved document carries the SHA-256 of its shapes' RFC 8785 canonical JSON."""

import hashlib
import json

import pytest

from annotate.models import EMPTY_SHAPES_HASH, AnnotationDocument
from annotate.services import annotation_save, annotation_submit
from tests.annotate.factories import box, document_saved
from tests.projects.factories import items_add

pytestmark = pytest.mark.django_db


def _es6_numbers(value: object) -> object:
    # RFC 8785 writes numbers as ECMAScript does: 30.0 is "30", 2.5 stays "2.5".
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_es6_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _es6_numbers(v) for k, v in value.items()}
    return value


def jcs_sha256(value: object) -> str:
    # Independent of formats.canonical: for these shapes (ASCII strings, short floats) RFC 8785
    # is json.dumps with sorted keys, no spaces and ECMAScript number formatting.
    text = json.dumps(_es6_numbers(value), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_save_records_the_canonical_hash_of_the_stored_shapes(project, annotator) -> None:
    (item,) = items_add(project)
    document = document_saved(item, annotator, [box(points=(1, 2.5, 30, 40))])
    stored = AnnotationDocument.objects.get(pk=document.pk)
    assert stored.content_hash == jcs_sha256(stored.shapes)
    assert stored.shapes[0]["points"] == [1.0, 2.5, 30.0, 40.0]


def test_the_hash_follows_the_content_not_the_version(project, annotator) -> None:
    (item,) = items_add(project)
    shapes = [box()]
    first = document_saved(item, annotator, shapes)
    first_hash = AnnotationDocument.objects.get(pk=first.pk).content_hash
    annotation_save(user=annotator, item=item, shapes=[], expected_version=1)
    assert AnnotationDocument.objects.get(pk=first.pk).content_hash == EMPTY_SHAPES_HASH
    annotation_save(user=annotator, item=item, shapes=shapes, expected_version=2)
    annotation_submit(user=annotator, item=item)
    again = AnnotationDocument.objects.get(pk=first.pk)
    assert again.version == 4
    assert again.content_hash == first_hash
