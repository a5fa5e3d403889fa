"""The predictions path, the bulk case: each entry matched, checked and encoded as it is read
and streamed into an open COPY (Postgres) or the ORM; unchanged items skipped by digest."""

import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from itertools import islice
from json.encoder import encode_basestring_ascii as _json_string
from typing import Any, NamedTuple

from django.db import connection
from django.utils import timezone

from annotate.shapes import ShapeSchema
from formats.records import ImportedItem
from projects.models import Item
from versioning.imports.matching import BATCH, ItemIndex, Progress, Tally, _clean, _match
from versioning.models import Job, Prediction


class _PredictionRow(NamedTuple):
    """A checked prediction: the JSON texts its change check hashes and COPY sends, and (off
    Postgres, for the ORM) its values. Strings only on Postgres, so a batch of them costs the
    garbage collector nothing."""

    item_id: int
    shapes_text: str
    scores_text: str
    digest: str
    shape_count: int
    values: tuple[list[dict[str, Any]], dict[str, float]] | None


def _prediction_rows(
    entries: Iterable[ImportedItem], index: ItemIndex, tally: Tally, schema: ShapeSchema
) -> Iterator[_PredictionRow]:
    """Each entry matched, checked and encoded as it is read, so its parsed shapes are freed
    at once instead of living through a batch (a batch of parsed items kept the collector
    busy for ~40% of an import). The first bad entry in the file fails the import."""
    keep_values = connection.vendor != "postgresql"
    for entry in entries:
        matched = _match(entry, index, tally)
        if matched is None:
            continue
        shapes = _clean(matched, schema)
        shapes_text = _shapes_json(shapes)
        scores_text = _SORTED_JSON.encode(matched.scores)
        yield _PredictionRow(
            matched.item.pk,
            shapes_text,
            scores_text,
            _prediction_digest(shapes_text, scores_text),
            len(shapes),
            (shapes, matched.scores) if keep_values else None,
        )


def _predictions_import(
    job: Job,
    entries: Iterable[ImportedItem],
    index: ItemIndex,
    tally: Tally,
    progress: Progress | None,
) -> None:
    """Stream the file into the source's predictions: new rows go into an open COPY as each
    entry is read, checked and encoded, so Postgres stores one row while Python prepares the
    next (a batch prepared first and copied after left each side idle half the time).

    The source's current digests are read once up front (a COPY in progress admits no other
    query); the COPY closes every BATCH entries for the changed rows' updates and a progress
    report. An error anywhere aborts the COPY and the transaction with it.
    """
    source = job.params["source"]
    current = dict(
        Prediction.objects.filter(item__project=job.project, source=source).values_list(
            "item_id", "content_hash"
        )
    )
    rows = _prediction_rows(entries, index, tally, ShapeSchema(job.project.labels))
    postgres = connection.vendor == "postgresql"
    while True:
        read = tally.items
        changed: list[_PredictionRow] = []
        new = _new_rows(islice(rows, BATCH), current, changed, tally)
        if postgres:
            _predictions_copy(job, source, new)
            _predictions_replace(job, source, changed)
        else:
            _predictions_orm_write(job, source, new, changed)
        if tally.items == read:
            return
        if progress:
            progress(tally.items, None)


def _new_rows(
    rows: Iterable[_PredictionRow],
    current: dict[int, str],
    changed: list[_PredictionRow],
    tally: Tally,
) -> Iterator[_PredictionRow]:
    """The rows of items without a prediction from this source; changed ones go to `changed`,
    unchanged ones are counted and skipped."""
    for row in rows:
        digest = current.get(row.item_id)
        if digest == row.digest:
            tally.unchanged += 1
            continue
        tally.written += 1
        tally.shapes += row.shape_count
        if digest is None:
            yield row
        else:
            changed.append(row)


def _predictions_orm_write(
    job: Job, source: str, new: Iterable[_PredictionRow], changed: list[_PredictionRow]
) -> None:
    """Off Postgres: bulk_create of the new rows, an update of each changed one."""
    Prediction.objects.bulk_create([_orm_prediction(job, source, row) for row in new])
    now = timezone.now()
    for row in changed:
        prediction = _orm_prediction(job, source, row)
        Prediction.objects.filter(item_id=row.item_id, source=source).update(
            shapes=prediction.shapes,
            scores=prediction.scores,
            content_hash=row.digest,
            job=job,
            updated_at=now,
        )


def _orm_prediction(job: Job, source: str, row: _PredictionRow) -> Prediction:
    assert row.values is not None, "kept wherever the ORM writes"
    shapes, scores = row.values
    return Prediction(
        item_id=row.item_id,
        source=source,
        shapes=shapes,
        scores=scores,
        content_hash=row.digest,
        job=job,
    )


# Sorted compact JSON, ASCII-escaped: the text the change check hashes and COPY sends.
_SORTED_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
# The keys of a plain stored shape (see _shape_json).
_PLAIN_KEYS = ({"id", "label", "kind", "points", "attributes", "occluded"}, {"label_id"})


def _shapes_json(shapes: list[dict[str, Any]]) -> str:
    """`_SORTED_JSON.encode(shapes)`, a third faster for the usual shapes (see _shape_json)."""
    return "[" + ",".join(map(_shape_json, shapes)) + "]"


def _shape_json(shape: dict[str, Any]) -> str:
    """A stored shape's sorted JSON: written out directly for the plain form (the six fields,
    maybe label_id, no attribute values), which is what _SORTED_JSON writes for it: keys in
    sorted order, strings through the encoder's own escaping, floats by float.__repr__ (as
    the encoder prints them: the points are floats, finite, after validation). Any other shape
    goes through the encoder."""
    keys = shape.keys()
    plain_keys, optional = _PLAIN_KEYS
    label_id = shape.get("label_id")
    if not (keys == plain_keys or (keys - optional == plain_keys and type(label_id) is str)):
        return _SORTED_JSON.encode(shape)
    points, occluded, attributes = shape["points"], shape["occluded"], shape["attributes"]
    if attributes != {} or type(occluded) is not bool or type(points) is not list:
        return _SORTED_JSON.encode(shape)
    if not all(type(value) is float and math.isfinite(value) for value in points):
        return _SORTED_JSON.encode(shape)
    label, kind, shape_id = shape["label"], shape["kind"], shape["id"]
    if type(label) is not str or type(kind) is not str or type(shape_id) is not str:
        return _SORTED_JSON.encode(shape)
    return "".join(
        (
            '{"attributes":{},"id":',
            _json_string(shape_id),
            ',"kind":',
            _json_string(kind),
            ',"label":',
            _json_string(label),
            "" if label_id is None else ',"label_id":' + _json_string(label_id),
            ',"occluded":true,"points":[' if occluded else ',"occluded":false,"points":[',
            ",".join(map(float.__repr__, points)),
            "]}",
        )
    )


def _prediction_digest(shapes_text: str, scores_text: str) -> str:
    """A change check, not a published hash: sha256 of the plain sorted json.dumps of
    {"scores", "shapes"} (about 5x cheaper than the RFC 8785 walk of formats.canonical),
    assembled from the two texts that also go to the database."""
    text = '{"scores":' + scores_text + ',"shapes":' + shapes_text + "}"
    return hashlib.sha256(text.encode()).hexdigest()


def _predictions_copy(job: Job, source: str, rows: Iterable[_PredictionRow]) -> None:
    """New rows by COPY of their JSON texts: several times faster than a multi-row INSERT of
    JSON, and no model instance per row."""
    now = timezone.now()
    table = Prediction._meta.db_table
    columns = "(item_id, source, shapes, scores, content_hash, job_id, created_at, updated_at)"
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} {columns} FROM STDIN") as copy:
        for row in rows:
            values = (row.item_id, source, row.shapes_text, row.scores_text, row.digest)
            copy.write_row((*values, job.pk, now, now))


def _predictions_replace(job: Job, source: str, rows: list[_PredictionRow]) -> None:
    """Changed rows in one pipelined executemany instead of an ORM update each."""
    if not rows:
        return
    now = timezone.now()
    sql = (
        f"UPDATE {Prediction._meta.db_table} SET shapes = %s::jsonb, scores = %s::jsonb,"
        " content_hash = %s, job_id = %s, updated_at = %s WHERE item_id = %s AND source = %s"
    )
    params = [
        (row.shapes_text, row.scores_text, row.digest, job.pk, now, row.item_id, source)
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def predictions_of(*, item: Item) -> Any:
    """An item's predictions, for anyone who may see the item (never gold: gold answers live
    in quality and are never imported here)."""
    return Prediction.objects.filter(item=item).order_by("source", "pk")
