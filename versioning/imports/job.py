"""The work of an import job: the stored file read through its codec in one transaction, then
the predictions or documents path (see the package docstring)."""

import tempfile
from collections.abc import Iterable
from typing import IO, Any

from django.core.files.storage import default_storage
from django.db import transaction

from common.errors import Invalid
from formats.records import FormatError, ImportedItem
from versioning.imports.documents import _documents_import
from versioning.imports.matching import ItemIndex, Progress, Tally, _AnySize
from versioning.imports.predictions import _predictions_import
from versioning.models import Job


def _entries(
    fp: IO[bytes], *, format: str, labels: list, name: str, index: ItemIndex
) -> Iterable[ImportedItem]:
    """The codec's items: a list for the formats parsed whole, a lazy stream for JSONL."""
    if format == "coco":
        from formats.coco import read_coco

        return read_coco(fp, labels=labels, name=name)
    if format == "voc":
        from formats.voc import read_voc

        return read_voc(fp, labels=labels, name=name)
    if format == "yolo":
        from formats.yolo import read_yolo

        return read_yolo(fp, labels=labels, image_sizes=_AnySize(index))
    from formats.jsonl import read_jsonl

    return read_jsonl(fp, labels=labels, name=name)


def project_import(*, job: Job, progress: Progress | None = None) -> dict[str, Any]:
    """The work of an import job (see the module docstring)."""
    params, project = job.params, job.project
    index = ItemIndex.of(project)
    tally = Tally()
    with tempfile.TemporaryFile() as spool:
        # Zip readers need to seek; not every storage backend's file can.
        with default_storage.open(params["file_key"], "rb") as stored:
            while chunk := stored.read(1024 * 1024):
                spool.write(chunk)
        spool.seek(0)
        try:
            # One transaction for the whole file: an error at its last line leaves nothing.
            # Progress reports inside it keep the job row locked by this attempt, so a
            # recovery cannot claim the job while the transaction is open.
            with transaction.atomic():
                entries = _entries(
                    spool,
                    format=params["format"],
                    labels=project.labels,
                    name=params["file_name"],
                    index=index,
                )
                if progress and isinstance(entries, list):
                    progress(0, len(entries))
                if params["target"] == "predictions":
                    _predictions_import(job, entries, index, tally, progress)
                else:
                    _documents_import(job, entries, index, tally, progress)
        except FormatError as error:
            raise Invalid(f"{error.location}: {error.message}") from None
    return tally.result(params)
